"""Readings of a segment study: one segment of one segmentation set beside the whole base.

Each function takes a table that ``notebooks/segment_study.ipynb`` shows and
returns Markdown stating what its numbers show about the segment; every word
carrying a direction ("more", "above", "rises", "better") is chosen by
comparing the segment's number with the base's (or with its own earlier
number), so the text stays true for any segment of any log.
:func:`segment_retention_curves` shapes two cohort-retention tables for reading.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..churn import REASONS
from ..strategy import KPI_DEFINITIONS
from ._format import cap, count, join_and, money, pct
from .strategy import kpi_matrix, kpi_value

__all__ = [
    "SEGMENTATION_WORDS",
    "segment_heading",
    "SEGMENT_SAME_RATIO",
    "SEGMENT_SKEWED_MEAN",
    "SEGMENT_MIN_CURVE_CUSTOMERS",
    "segment_profile_reading",
    "segment_stage_reading",
    "SEGMENT_LEVEL_BAND",
    "segment_curve_verdict",
    "segment_curve_reading",
    "segment_spread_reading",
    "segment_retention_curves",
    "segment_retention_reading",
    "segment_kpi_reading",
    "segment_warning_reading",
    "segment_recommendation_reading",
]

#: what one label of each segmentation is called in prose
SEGMENTATION_WORDS = {
    "clv_tiers": "CLV tier",
    "value_matrix": "value-matrix cell",
    "loyalty_profitability": "loyalty-profitability group",
    "rfm_segments": "RFM segment",
}

#: two numbers whose ratio lies within 1 +- this are "about the same"
SEGMENT_SAME_RATIO = 0.05
#: a mean above this multiple of the median is "pulled up by a few large values"
SEGMENT_SKEWED_MEAN = 1.25
#: the later ages' first-third and last-third means within this share of each other: "level"
SEGMENT_LEVEL_BAND = 0.10
#: ages of the lifecycle curve resting on fewer customers are not read
SEGMENT_MIN_CURVE_CUSTOMERS = 30

_PROFILE_NAMES = {
    "purchases": ("purchase days", False),
    "revenue": ("revenue to date", True),
    "days_since_last": ("days since the last purchase", False),
    "purchase_cycle_days": ("days between purchases", False),
    "p_alive": ("P(alive)", False),
    "expected_purchases_horizon": ("expected purchases over the horizon", False),
    "clv_net": ("net CLV", True),
}


def _compare(a: float, b: float, words=("above", "below", "about the same as")) -> str:
    """``above`` / ``below`` / ``about the same as``: ``a`` against ``b`` (within :data:`SEGMENT_SAME_RATIO`)."""
    if b == 0 or not np.isfinite(b):
        return words[0] if a > b else words[1] if a < b else words[2]
    ratio = a / b
    if abs(ratio - 1) <= SEGMENT_SAME_RATIO:
        return words[2]
    return words[0] if a > b else words[1]


def _number(column: str, x: float, currency: str) -> str:
    money_like = _PROFILE_NAMES.get(column, ("", False))[1]
    if money_like:
        return money(x, currency)
    if column == "p_alive":
        return f"{x:.2f}"
    return f"{x:,.1f}"


def segment_heading(segmentation: str, segment: str, summary: pd.DataFrame) -> str:
    """The study's title and opening: the segment named, with its size and value beside the base's.

    Parameters
    ----------
    segmentation : str
        A key of :data:`SEGMENTATION_WORDS`.
    segment : str
        The label studied.
    summary : DataFrame
        :func:`analysis.segments.segment_summary` of the segmentation.
    """
    word = SEGMENTATION_WORDS.get(segmentation, f"label of {segmentation}")
    row = summary.loc[segment]
    total = int(summary["customers"].sum())
    return (
        f"# Segment study: the {segment} {word}\n\n"
        f"The {count(row['customers'])} of the *{segment}* {word} "
        f"({pct(row['share_customers'])} of the {total:,}, {pct(row['share_clv'])} of "
        f"the net CLV) beside the whole base; `{segmentation}` labels the whole customer table."
    )


def segment_profile_reading(
    summary: pd.DataFrame, profile: pd.DataFrame, segment: str, *, currency: str = "$"
) -> str:
    """The segment's size and value share, and how its customers differ from the base.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.segments.segment_summary` of the segmentation (index the labels).
    profile : DataFrame
        :func:`analysis.segments.segment_profile` of the segment.
    segment : str
        The label studied.
    """
    row = summary.loc[segment]
    n, share_n, share_v = int(row["customers"]), row["share_customers"], row["share_clv"]
    text = (
        f"The segment *{segment}* holds {count(n)}, {pct(share_n)} of the customers, "
        f"and {pct(share_v)} of the value (net CLV)"
    )
    if np.isfinite(share_v):
        word = _compare(share_v, share_n, ("more", "less", "about as much"))
        than = "as" if word == "about as much" else "than"
        text += f": {word} of the value {than} of the customers"
    text += "."
    parts = []
    for column, r in profile.iterrows():
        if column not in _PROFILE_NAMES or not np.isfinite(r["segment_mean"]):
            continue
        word = _compare(r["segment_mean"], r["base_mean"])
        parts.append(
            f"{_PROFILE_NAMES[column][0]} {_number(column, r['segment_mean'], currency)} "
            f"({word} the base's {_number(column, r['base_mean'], currency)})"
        )
    if parts:
        text += " Per customer, on average: " + join_and(parts) + "."
    return text


def segment_stage_reading(mix: pd.DataFrame, segment: str) -> str:
    """Where the segment's customers stand in the lifecycle, against the base's mix.

    Parameters
    ----------
    mix : DataFrame
        :func:`analysis.segments.segment_stages` (index stages; ``customers``,
        ``share``, ``base_share``, ``share_value``).
    """
    top = mix["share"].idxmax()
    lead = (
        "All of the segment's customers are"
        if mix.loc[top, "share"] >= 1
        else "Most of the segment's customers are"
        if mix.loc[top, "share"] > 0.5
        else ("The largest group of the segment's customers is")
    )
    text = (
        f"{lead} in **{top}** ({pct(mix.loc[top, 'share'])}, "
        f"against {pct(mix.loc[top, 'base_share'])} of the base)."
    )
    held = mix.loc[(mix["customers"] > 0) | (mix["base_share"] > 0)]
    excess = (held["share"] - held["base_share"]).sort_values()
    over, under = excess.index[-1], excess.index[0]
    if excess.iloc[-1] > 0:
        shortfall = (
            f"the largest shortfall is in {under} ({pct(held.loc[under, 'share'])} "
            f"against {pct(held.loc[under, 'base_share'])})"
            if excess.iloc[0] < 0
            else ""
        )
        if over != top:
            text += (
                f" The most excess is in {over} "
                f"({pct(held.loc[over, 'share'])} against {pct(held.loc[over, 'base_share'])})"
            )
            text += f"; {shortfall}." if shortfall else "."
        elif shortfall:
            text += f" {cap(shortfall)}."
    else:
        text += " Its stage mix is the base's."
    if mix["share_value"].notna().all() and mix["share_value"].sum() != 0:
        most = mix["share_value"].idxmax()
        text += (
            f" The largest share of its value sits in {most} ({pct(mix.loc[most, 'share_value'])})."
        )
    return text


def _readable(curve: pd.DataFrame, min_customers: int) -> pd.DataFrame:
    kept = curve.loc[curve["customers"] >= min_customers]
    return kept if len(kept) else curve


def segment_curve_verdict(
    curve: pd.DataFrame,
    base_curve: pd.DataFrame,
    *,
    min_customers: int = SEGMENT_MIN_CURVE_CUSTOMERS,
) -> dict:
    """Profit per customer along the relationship, as data: the first period, then the later ages.

    The later ages (those after the first read, with at least ``min_customers``
    of the segment's customers) are summed up by their range and by the
    direction from their first third to their last third: ``"level"`` when the
    two means lie within :data:`SEGMENT_LEVEL_BAND` of each other, else
    ``"rises"`` or ``"falls"``.

    Returns
    -------
    dict
        ``noisy`` (no age rests on ``min_customers``: every age is read),
        ``first_age``, ``first`` (profit), ``base_first`` (the base's, or None);
        ``later``: None, or ``ages`` (first, last), ``low``, ``high``,
        ``start_mean``, ``end_mean``, ``direction``, ``last`` (profit at the
        last age), ``last_customers``; ``mean`` and ``base_mean`` over the
        ages both observe.
    """
    seg = _readable(curve, min_customers)
    first = seg.index[0]
    out = {
        "noisy": not bool((curve["customers"] >= min_customers).any()),
        "first_age": int(first),
        "first": float(seg.loc[first, "profit"]),
        "base_first": float(base_curve.loc[first, "profit"]) if first in base_curve.index else None,
        "later": None,
    }
    later = seg.loc[seg.index > first, "profit"].astype(float)
    if len(later):
        third = max(1, len(later) // 3)
        start, end = float(later.iloc[:third].mean()), float(later.iloc[-third:].mean())
        ratio = end / start if start else np.inf
        direction = (
            "level"
            if abs(ratio - 1) <= SEGMENT_LEVEL_BAND
            else ("rises" if end > start else "falls")
        )
        out["later"] = {
            "ages": (int(later.index[0]), int(later.index[-1])),
            "low": float(later.min()),
            "high": float(later.max()),
            "start_mean": start,
            "end_mean": end,
            "third": int(third),
            "direction": direction,
            "last": float(later.iloc[-1]),
            "last_customers": int(seg.loc[later.index[-1], "customers"]),
        }
    ages = seg.index.intersection(base_curve.index)
    out["mean"] = float(seg.loc[ages, "profit"].mean()) if len(ages) else None
    out["base_mean"] = float(base_curve.loc[ages, "profit"].mean()) if len(ages) else None
    return out


def segment_curve_reading(
    curve: pd.DataFrame,
    base_curve: pd.DataFrame,
    *,
    currency: str = "$",
    min_customers: int = SEGMENT_MIN_CURVE_CUSTOMERS,
) -> str:
    """Profit per customer along the relationship, written from :func:`segment_curve_verdict`.

    Parameters
    ----------
    curve, base_curve : DataFrame
        :func:`analysis.lifecycle.lifecycle_curve` (``align="age"``) of the
        segment and of the base: index ``age``, ``customers``, ``profit``.
    min_customers : int
        Ages observed on fewer of the segment's customers are not read.
    """
    v = segment_curve_verdict(curve, base_curve, min_customers=min_customers)
    text = f"At age {v['first_age']} a customer earns {money(v['first'], currency)}"
    if v["base_first"] is not None:
        text += f", {_compare(v['first'], v['base_first'])} the base's {money(v['base_first'], currency)}"
    text += "."
    later = v["later"]
    if later is None:
        return text + " No later age rests on enough customers to read."
    (a1, an), k = later["ages"], later["third"]
    noisy = (
        f" (every age rests on fewer than {count(min_customers)}, so the curve is noisy)"
        if v["noisy"]
        else ""
    )
    text += f" Over ages {a1} to {an}{noisy} it "
    if a1 != an:
        words = {"level": "stays about level", "rises": "rises", "falls": "falls"}
        text += (
            f"{words[later['direction']]} ({money(later['start_mean'], currency)} a period at "
            f"ages {a1}-{a1 + k - 1}, {money(later['end_mean'], currency)} at {an - k + 1}-{an})."
        )
    else:
        text += f"is {money(later['low'], currency)} a period."
    if v["mean"] is not None:
        text += (
            f" Its mean over those ages, {money(v['mean'], currency)}, is "
            f"{_compare(v['mean'], v['base_mean'])} the base's {money(v['base_mean'], currency)}."
        )
    return text


def segment_spread_reading(spread: pd.DataFrame, segment: str, *, currency: str = "$") -> str:
    """How evenly the segment's value is spread: mean against median, the top tenth's share.

    Parameters
    ----------
    spread : DataFrame
        :func:`analysis.tables.method_summary` of the segment's ``clv_net``
        (one row; ``customers``, ``total``, ``mean``, ``median``, ``top_10%``).
    """
    row = spread.iloc[0]
    mean, median = row["mean"], row["median"]
    text = (
        f"The segment is worth {money(row['total'], currency)}: mean "
        f"{money(mean, currency)}, median {money(median, currency)}"
    )
    if median > 0 and mean > SEGMENT_SKEWED_MEAN * median:
        text += " (a few large values pull it up)."
    elif median > 0 and mean < median / SEGMENT_SKEWED_MEAN:
        text += " (a few small values pull it down)."
    elif median > 0:
        text += " (fairly evenly spread)."
    else:
        text += "."
    if "top_10%" in row.index and np.isfinite(row["top_10%"]):
        share = row["top_10%"]
        word = _compare(share, 0.10, ("more than", "less than", "about"))
        text += f" Its top tenth holds {pct(share)} of its value, {word} an even tenth."
    return text


def segment_retention_curves(retention: pd.DataFrame, base_retention: pd.DataFrame, segment: str):
    """Share of customers buying at each age after the first, the segment beside the base.

    Each curve is the mean over the cohorts of :func:`analysis.lifecycle.cohort_retention`
    observed at that age, weighted by the cohorts' sizes. Only ages from 1 are kept
    (age 0 is 1 by construction).

    Returns
    -------
    DataFrame
        Index ``age``; columns ``segment`` (named after it) and ``base``.
    """

    def weighted(table: pd.DataFrame) -> pd.Series:
        ages = [c for c in table.columns if c != "customers" and int(c) >= 1]
        shares = table[ages]
        weights = shares.notna().mul(table["customers"], axis=0)
        return (shares.fillna(0).mul(table["customers"], axis=0)).sum() / weights.sum()

    out = pd.DataFrame({segment: weighted(retention), "base": weighted(base_retention)})
    out.index = pd.Index([int(a) for a in out.index], name="age")
    return out


def segment_retention_reading(curves: pd.DataFrame, segment: str) -> str:
    """The segment's repeat buying by age against the base's (from :func:`segment_retention_curves`)."""
    both = curves.dropna()
    if both.empty:
        return "The segment and the base share no observed age after the first: nothing to compare."
    first = both.index[0]
    s1, b1 = both.loc[first, segment], both.loc[first, "base"]
    text = (
        f"At age {first}, {pct(s1)} of the segment's customers buy again, "
        f"{_compare(s1, b1)} the base's {pct(b1)}."
    )
    if len(both) > 1:
        s_mean, b_mean = both[segment].mean(), both["base"].mean()
        text += (
            f" Over ages {first} to {both.index[-1]} the share averages "
            f"{pct(s_mean)}, {_compare(s_mean, b_mean)} the base's {pct(b_mean)}."
        )
    return text


def segment_kpi_reading(
    kpi_table: pd.DataFrame, segment: str, *, rest: str, currency: str = "$"
) -> str:
    """Where the segment does better or worse than the rest of the base, per directed KPI.

    Parameters
    ----------
    kpi_table : DataFrame
        :func:`analysis.strategy.kpis` grouped by
        :func:`analysis.segments.membership` (groups ``segment`` and ``rest``).
    segment, rest : str
        The two groups' labels.
    currency : str
        Sign written before money (average order value).
    """
    matrix = kpi_matrix(kpi_table).droplevel(["unit", "period"])
    if rest not in matrix.columns or matrix[rest].isna().all():
        return "The segment is the whole base: there is no rest to compare it with."
    better, worse, same = [], [], []
    for kpi, r in matrix.iterrows():
        direction = KPI_DEFINITIONS[kpi].better
        a, b = r.get(segment, np.nan), r.get(rest, np.nan)
        if direction is None or not (np.isfinite(a) and np.isfinite(b)):
            continue
        if kpi == "churn_rate" and "retention_rate" in matrix.index:
            continue  # 1 - retention rate: read once
        words = (
            ("better", "worse", "same") if direction == "higher" else ("worse", "better", "same")
        )
        word = _compare(a, b, words)
        a_shown, b_shown = kpi_value(kpi, a, currency), kpi_value(kpi, b, currency)
        shown = f"{kpi.replace('_', ' ')} ({a_shown} against {b_shown})"
        {"better": better, "worse": worse, "same": same}[word].append(shown)
    parts = []
    if better:
        parts.append("better than the rest of the base on " + join_and(better))
    if worse:
        parts.append(
            ("worse on " if better else "worse than the rest of the base on ") + join_and(worse)
        )
    if same:
        parts.append("about the same on " + join_and(same))
    if not parts:
        return "No KPI with a direction could be measured for both the segment and the rest."
    return "The segment does " + "; ".join(parts) + "."


def segment_warning_reading(
    at_risk: pd.DataFrame,
    rows: pd.DataFrame,
    tiers: pd.Series,
    top_tiers,
    *,
    currency: str = "$",
) -> str:
    """How many of the segment's customers the warning signs flag, and the value they carry.

    Parameters
    ----------
    at_risk : DataFrame
        :func:`analysis.churn.early_warning` restricted to the segment's customers.
    rows : DataFrame
        The segment's rows of the customer table (``clv_net``).
    tiers : Series
        The CLV tier of every customer (at least the segment's).
    top_tiers : sequence of str
        The tiers the warning watches.
    """
    watched = tiers.reindex(rows.index).astype(str).isin(list(top_tiers))
    tiers_text = join_and(top_tiers)
    if not watched.any():
        return (
            f"None of the segment's customers is in the watched tiers ({tiers_text}): "
            "the early warning does not look at them."
        )
    n_watched = int(watched.sum())
    if at_risk.empty:
        return (
            f"Of the segment's {count(n_watched)} in the watched tiers ({tiers_text}), "
            "none shows a warning sign."
        )
    total = float(rows["clv_net"].sum())
    risk = float(at_risk["clv_net"].sum())
    text = (
        f"Warning signs flag {count(len(at_risk))} ({pct(len(at_risk) / n_watched)}) of "
        f"the segment's {n_watched:,} in the watched tiers ({tiers_text}), with "
        f"{money(risk, currency)} of net CLV"
    )
    text += f" ({pct(risk / total)})." if total > 0 else "."
    counts = {r: int(at_risk[r].sum()) for r in REASONS if r in at_risk.columns}
    if counts and max(counts.values()) > 0:
        top = max(counts, key=counts.get)
        text += f" Most often: {top.replace('_', ' ')} ({count(counts[top])})."
    return text


def segment_recommendation_reading(rec: pd.DataFrame) -> str:
    """Which playbook cells the segment falls in, and what the cell holding most of it prescribes.

    Parameters
    ----------
    rec : DataFrame
        :func:`analysis.strategy.recommend` on the segment's rows (index
        ``stage``, ``tier``; ``customers``, ``share_value``, ``strategy``,
        ``priority``, ``relationship_level``).
    """
    held = rec.loc[rec["customers"] > 0]
    by_value = held["share_value"].notna().all()
    key = held["share_value"].idxmax() if by_value else held["customers"].idxmax()
    cell = held.loc[key]
    n_cells = len(held)
    text = (
        f"The segment falls in {n_cells} of the playbook's {len(rec)} cells; "
        f"for **{key[0]} x {key[1]}**, holding most of its "
        f"{'value' if by_value else 'customers'}, "
        f"the playbook says: {cap(str(cell['strategy']).strip().rstrip('.'))}."
    )
    return text
