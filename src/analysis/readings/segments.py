"""Readings of the segments report: who holds the value, per segmentation, from its summary.

Each function takes the table a section of ``notebooks/04_segments.ipynb``
shows (mostly :func:`analysis.segments.segment_summary` output, index the labels,
columns ``customers``, ``share_customers``, ``total_clv``, ``share_clv``,
``mean_clv``) and returns Markdown stating what those numbers show. The
words that carry a verdict ("concentrated", "most", "higher") are chosen
from the numbers by the documented cut-offs below, so the text stays true
on any log. Money is written with separators after ``currency``. The readings
of the customer table as a whole (its value, the stage chain beside it) are in
:mod:`.customer_value`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..customers import CURRENT_VALUE_DAYS
from ..segments import HIGH, LOYALTY_PROFITABILITY, SUMMARY_COLUMNS, VALUE_MATRIX
from ..tables.format import p_value, percent
from ..units import P_ALIVE_EVEN, STAGES
from ._format import cap, count, join_and, money, pct, word_for
from .findings import Finding

__all__ = [
    "TOP_TIER_WORDS",
    "CLOSE_SHARES",
    "FLAT_SPREAD",
    "tier_reading",
    "value_matrix_reading",
    "loyalty_reading",
    "cost_matrix_reading",
    "prospect_reading",
    "ranking_reading",
    "relationship_reading",
    "rfm_reading",
    "stage_tier_reading",
    "ATTRIBUTE_SIGNIFICANCE",
    "attribute_verdict",
    "attribute_reading",
    "attribute_finding",
]

#: a ranking criterion whose values span at most this share of its largest absolute value
#: "hardly varies": its rank then orders customers by rounding noise
FLAT_SPREAD: float = 0.01
#: an attribute's levels differ (in value or stage mix) when the test's p-value is below this
ATTRIBUTE_SIGNIFICANCE: float = 0.05
#: two shares of value within this ratio are "close": the larger is only "just ahead"
CLOSE_SHARES: float = 1.10
#: the word for how concentrated value is, from the share of customers in the top CLV
#: tier (which holds about half of the value with the default cuts; an even spread puts
#: half the customers there): at most 10% "highly concentrated", at most 25% "concentrated"
TOP_TIER_WORDS: tuple[tuple[float, str], ...] = (
    (0.10, "highly concentrated"),
    (0.25, "concentrated"),
    (np.inf, "spread fairly evenly"),
)


def _cell(summary: pd.DataFrame, label) -> str:
    row = summary.loc[label]
    return (
        f"{count(row['customers'])} ({pct(row['share_customers'])}) holding "
        f"{pct(row['share_clv'])} of the value"
    )


def tier_reading(summary: pd.DataFrame, *, currency: str = "$") -> str:
    """Customers and value per CLV tier; the concentration word from the top tier's customers.

    ``summary``: :func:`analysis.segments.segment_summary` by
    :func:`analysis.segments.clv_tiers` (labels most valuable first, the last
    the negative tier). The word comes from :data:`TOP_TIER_WORDS`.
    """
    labels = list(summary.index)
    positive, negative = labels[:-1], labels[-1]
    # each tier's customers and value are the table's: the reading says what they mean
    top, bottom = summary.loc[positive[0]], summary.loc[positive[-1]]
    word = word_for(top["share_customers"], TOP_TIER_WORDS, above=False)
    text = (
        "**Reading.** The tiers are cut by cumulative value, so their value shares sit near the "
        f"cuts by design; the finding is the customers each takes: the {positive[0]} tier's "
        f"{pct(top['share_customers'])} of the customers hold {pct(top['share_clv'])} of the "
        f"value, so value is {word}."
    )
    if top["customers"] > 0 and bottom["customers"] > 0 and bottom["mean_clv"] > 0:
        times = top["mean_clv"] / bottom["mean_clv"]
        text += (
            f" A {positive[0]}-tier customer is worth {money(top['mean_clv'], currency)} on "
            f"average, {times:.{0 if times >= 10 else 1}f} times a {positive[-1]}-tier one "
            f"({money(bottom['mean_clv'], currency)})."
        )
    neg = summary.loc[negative]
    if neg["customers"] > 0:
        text += (
            f" {count(neg['customers'])} ({pct(neg['share_customers'])}) "
            f"{'has' if int(neg['customers']) == 1 else 'have'} a "
            f"negative net CLV ({money(neg['total_clv'], currency)} together): retention "
            "spending on such customers loses money."
        )
    else:
        text += f" No customer is in the {negative} tier (net CLV below zero)."
    return text


def _median_cut(values: pd.Series, cut) -> float:
    return float(values.median()) if isinstance(cut, str) else float(cut)


def value_matrix_reading(
    summary: pd.DataFrame,
    table: pd.DataFrame,
    *,
    current: str = "current_value",
    potential: str = "potential_value",
    cut="median",
    currency: str = "$",
) -> str:
    """Where customers and value sit in the value matrix, with the cuts that split its axes.

    ``summary``: :func:`analysis.segments.segment_summary` by
    :func:`analysis.segments.value_matrix` (labels of
    :data:`analysis.segments.VALUE_MATRIX`); ``table`` and ``cut`` as given
    to :func:`~analysis.segments.value_matrix`, to state the cut values.
    """
    cut_c, cut_p = cut if isinstance(cut, tuple | list) else (cut, cut)
    c = _median_cut(table[current], cut_c)
    p = _median_cut(table[potential], cut_p)
    how = "the medians" if cut_c == cut_p == "median" else "the cuts"
    text = (
        f"**Reading.** The axes split at {how}: current value {money(c, currency)}, potential "
        f"value {money(p, currency)}."
    )
    if isinstance(cut_c, str) and c <= 0:
        text += (
            " At least half of the customers bought nothing in the current-value window (the "
            f"last {CURRENT_VALUE_DAYS} days by default), so *high current value* means any "
            "purchase in it."
        )
    cells = {label: key for key, label in VALUE_MATRIX.items() if label in summary.index}
    # each cell's customers and value are the table's
    text += f" {cap(str(summary['share_clv'].idxmax()))} holds the most value."
    diagonal = [lab for lab, (a, b) in cells.items() if a == b]
    off = [lab for lab, (a, b) in cells.items() if a != b]
    on = summary.loc[diagonal, "share_customers"].sum()
    text += (
        f" The two axes agree ({join_and(diagonal)}) for {pct(on)} of the customers; the "
        f"off-diagonal cells ({join_and(off)}), where past value is a poor guide to future "
        f"value, hold {count(summary.loc[off, 'customers'].sum())} and "
        f"{pct(summary.loc[off, 'share_clv'].sum())} of the value."
    )
    return text


def loyalty_reading(
    summary: pd.DataFrame,
    table: pd.DataFrame,
    *,
    p_alive: str = "p_alive",
    regularity: str = "interpurchase_cv",
    p_alive_cut: float = P_ALIVE_EVEN,
) -> str:
    """Customers and value per Reinartz-Kumar cell, and what decided loyalty on this log.

    ``summary``: by :func:`analysis.segments.loyalty_profitability` (labels of
    :data:`analysis.segments.LOYALTY_PROFITABILITY`); ``table`` the customer
    table, to say how many customers have no measured regularity and whether
    P(alive) separated anyone at ``p_alive_cut``.
    """
    words = {
        label: f"{'loyal' if a == HIGH else 'not loyal'}, {'' if b == HIGH else 'not '}profitable"
        for (a, b), label in LOYALTY_PROFITABILITY.items()
    }
    # each cell's customers and value are the table's: the reading names what the cells mean
    parts = [
        f"{label} ({words.get(label, '')})"
        for label in summary.index
        if summary.loc[label, "customers"] > 0
    ]
    empty = [label for label in summary.index if summary.loc[label, "customers"] == 0]
    by_value = summary["share_clv"].idxmax()
    text = f"**Reading.** {cap('; '.join(parts))}."
    if empty:
        text += f" No customer falls in {join_and(empty)}."
    runner = summary["share_clv"].drop(index=by_value).idxmax()
    first, second = summary.loc[by_value, "share_clv"], summary.loc[runner, "share_clv"]
    close = second > 0 and first <= CLOSE_SHARES * second
    text += f" The most value sits with the {by_value}" + (
        f", just ahead of the {runner} ({pct(second)})." if close else "."
    )
    unmeasured = int(table[regularity].isna().sum())
    if unmeasured:
        text += (
            f" {count(unmeasured)} ({pct(unmeasured / len(table))}) "
            f"{'has' if unmeasured == 1 else 'have'} fewer than two repeat purchases, so no "
            f"measured regularity, and count{'s' if unmeasured == 1 else ''} as not loyal."
        )
    above = (table[p_alive] > p_alive_cut).mean()
    if above == 1:
        text += (
            f" Every customer's P(alive) is above {p_alive_cut:g}, so loyalty is decided here by "
            "the regularity of purchases alone."
        )
    elif above == 0:
        text += f" No customer's P(alive) is above {p_alive_cut:g}, so no customer counts as loyal."
    return text


def cost_matrix_reading(table: pd.DataFrame, summary: pd.DataFrame | None = None) -> str:
    """The cost matrix's reading, or what to pass when the table has no cost data.

    Without cost data (no cost columns: a table built without ``costs``)
    the note says the segment is not computed and how to supply costs; with
    it, ``summary`` (by :func:`analysis.segments.cost_matrix`) is read.
    """
    has = {"acquisition_cost", "retention_cost"} <= set(table.columns)
    if not has or summary is None:
        return (
            "**No cost data.** The cost matrix is not computed (no costs are invented): pass "
            "`costs=` to `customer_table`, indexed by `customer_id` with `acquisition_cost` and "
            "`retention_cost` (per year), and `segments.cost_matrix` splits both at their medians."
        )
    parts = [
        f"{label} ({_cell(summary, label)})"
        for label in summary.index
        if summary.loc[label, "customers"] > 0
    ]
    unlabelled = int(summary.attrs.get("unlabelled", 0))
    text = f"**Reading.** {cap(join_and(parts))}."
    text += f" The most value sits with the {summary['share_clv'].idxmax()} customers."
    if unlabelled:
        text += (
            f" {count(unlabelled)} without a cost {'is' if unlabelled == 1 else 'are'} left out."
        )
    return text


def prospect_reading(
    summary: pd.DataFrame,
    table: pd.DataFrame,
    *,
    stage: str = "stage",
    currency: str = "$",
    observation_end=None,
) -> str:
    """How many customers are in exploration and how the prospect tiers split them.

    ``summary``: by :func:`analysis.segments.prospect_tiers` (best tier
    first); ``table`` the customer table, for the most recent first
    purchase when there is no prospect; ``observation_end`` the table's
    (``info.observation_end``), named when given.
    """
    n = int(summary["customers"].sum())
    end = observation_end
    at = f" at the observation end ({pd.Timestamp(end):%Y-%m-%d})" if end is not None else ""
    if n == 0:
        text = f"**Reading.** No customer is in exploration{at}, so there are no prospects to tier."
        if "first_purchase" in table.columns and len(table):
            last = pd.Timestamp(table["first_purchase"].max())
            text += f" The most recent first purchase in the log was on {last:%Y-%m-%d}"
            if end is not None:
                text += f", {(pd.Timestamp(end) - last).days:,} days before that end"
            text += "."
        return text
    labels = [lab for lab in summary.index if summary.loc[lab, "customers"] > 0]
    parts = [
        f"{lab} {int(summary.loc[lab, 'customers']):,} "
        f"(worth {money(summary.loc[lab, 'mean_clv'], currency)} each on average)"
        for lab in labels
    ]
    best = summary.index[0]
    text = (
        f"**Reading.** {count(n)} ({pct(n / len(table))} of all) "
        f"{'is' if n == 1 else 'are'} in exploration{at}: "
        f"{join_and(parts)}."
    )
    if summary.loc[best, "customers"] > 0:
        text += (
            f" The {best} prospects hold {pct(summary.loc[best, 'share_clv'])} of the prospects' "
            "value: the place for scarce acquisition and conversion effort."
        )
    return text


def ranking_reading(
    ranking: pd.DataFrame, table: pd.DataFrame, *, top: int = 10, value: str = "clv_net"
) -> str:
    """The ranking's weights in one sentence, and how its head compares with the top by value.

    ``ranking``: :func:`analysis.segments.ranking` output (``attrs["weights"]``).
    """
    weights = ranking.attrs["weights"]
    names = {"p_alive": "P(alive)"}
    listed = join_and(
        f"{names.get(name, name.replace('_', ' '))} {pct(w)}" for name, w in weights.items()
    )
    equal = np.allclose(list(weights.values()), 1 / len(weights))
    text = f"**Reading.** The score weighs {listed}"
    text += (
        ": equal weights, the default when the firm has not set its own (Dai and Liu derive them "
        "from the firm's judgement)."
        if equal
        else ": the weights given for this run."
    )
    head = set(ranking.index[:top])
    best = set(table[value].nlargest(top).index)
    both = len(head & best)
    count = "None" if both == 0 else f"{both}"
    text += f" {count} of the {top} first-ranked customers {'is' if both == 1 else 'are'} also "
    text += f"among the {top} with the highest net CLV; " + (
        "the ranking and the value agree on who comes first."
        if both == top
        else f"the other {top - both} owe their place to the other criteria."
    )
    for name in weights:
        values = table[name].astype(float)
        low, high = float(values.min()), float(values.max())
        if weights[name] > 0 and high - low <= FLAT_SPREAD * max(abs(low), abs(high)):
            label = names.get(name, name.replace("_", " "))
            text += (
                f" {cap(label)} hardly varies on this log ({low:.6g} to {high:.6g}), so its rank "
                "orders customers by differences of no practical meaning: a weight of zero on it "
                "would rank them on the other criteria alone."
            )
    return text


def relationship_reading(levels: pd.DataFrame, *, currency: str = "$") -> str:
    """Kotler's level per segment, with the size and the margin that decided it.

    ``levels``: :func:`analysis.segments.relationship_level` output (a summary
    with ``size``, ``margin_level`` and ``relationship_level``).
    """
    present = levels[levels["customers"] > 0]
    overall = (present["customers"] * present["mean_clv"]).sum() / present["customers"].sum()
    # size, share and mean are the table's; the reading adds the margin against the base's
    parts = [
        f"{label} ({row['size']}, {row['mean_clv'] / overall:.1f} times) → "
        f"**{row['relationship_level']}**"
        for label, row in present.iterrows()
    ]
    text = (
        f"**Reading.** Mean net CLV against the base's {money(overall, currency)}: "
        + "; ".join(parts)
        + "."
    )
    empty = [str(label) for label in levels.index if levels.loc[label, "customers"] == 0]
    if empty:
        text += f" {join_and(empty).capitalize()}: no customers, no level."
    return text


def rfm_reading(summary: pd.DataFrame) -> str:
    """Which RFM segments hold most of the value, and which are empty on this log.

    ``summary``: by :func:`analysis.segments.rfm_segments` (its ``segment``).
    The segments named are the fewest, by value, that together hold at least
    half of it.
    """
    ordered = summary.sort_values("share_clv", ascending=False, kind="stable")
    cumulative = ordered["share_clv"].cumsum()
    k = int(np.searchsorted(cumulative.to_numpy(), 0.5, side="left")) + 1
    lead = list(ordered.index[:k])
    share_c = ordered["share_customers"].iloc[:k].sum()
    which = f"one segment, {lead[0]}," if k == 1 else f"{k} segments, {join_and(lead)},"
    text = (
        f"**Reading.** At least half of the value sits in {which} with "
        f"{pct(cumulative.iloc[k - 1])} of the value and {pct(share_c)} of the customers."
    )
    # the other segments' customers and value are the table's
    empty = [str(lab) for lab in summary.index if summary.loc[lab, "customers"] == 0]
    if empty:
        text += f" Empty on this log: {join_and(empty)}."
    return text


def stage_tier_reading(summary: pd.DataFrame) -> str:
    """Where value sits by stage and tier, and how many of the top tier are in decline.

    ``summary``: :func:`analysis.segments.segment_summary` by ``["stage",
    "clv_tiers"]`` (MultiIndex stage, tier; the top tier first).
    """
    tier_level = summary.index.names[1]
    grid = summary["customers"].unstack(tier_level)
    value = summary["share_clv"].unstack(tier_level)
    top = summary["share_clv"].idxmax()
    text = f"**Reading.** The largest cell by value is {top[0]} x {top[1]}: {_cell(summary, top)}."
    parts = []
    for tier in grid.columns:
        n = grid[tier].sum()
        if n == 0:
            continue
        modal = grid[tier].idxmax()
        share = grid.loc[modal, tier] / n
        word = "mostly in" if share > 0.5 else "most often in"
        parts.append(f"the {tier} tier is {word} {modal} ({pct(share)} of its {int(n):,})")
    if parts:
        text += " " + cap(join_and(parts)) + "."
    decline, first = STAGES[-1], grid.columns[0]
    if decline in grid.index and grid[first].sum() > 0:
        n_dec = int(grid.loc[decline, first])
        if n_dec:
            verb = "is" if n_dec == 1 else "are"
            text += (
                f" {count(n_dec, f'{first}-tier customer')} ({pct(n_dec / grid[first].sum())} "
                f"of the tier) {verb} in {decline}, holding {pct(value.loc[decline, first])} of "
                "all value: valuable customers going quiet, the early-warning list's concern."
            )
        else:
            text += f" No {first}-tier customer is in {decline}."
    return text


def attribute_verdict(mix: pd.DataFrame, tests: pd.DataFrame) -> dict:
    """Per attribute: its most and least valuable levels, its widest stage gap, and the tests.

    Parameters
    ----------
    mix : DataFrame
        :func:`analysis.segments.attribute_mix` (index attribute, level).
    tests : DataFrame
        :func:`analysis.segments.attribute_tests` (index attribute).

    Returns
    -------
    dict
        Attribute -> ``high`` and ``low`` (the levels with the highest and lowest
        mean value), ``mean_ratio`` (high's mean over low's; NaN unless low's
        is positive), ``high_share_customers``, ``high_share_clv``,
        ``stage`` (the stage whose share differs most between levels, or None),
        ``stage_high``/``stage_low`` (the levels with its largest and smallest
        share) and ``stage_gap`` (their difference), ``value_p``, ``stage_p``,
        ``value_differs`` and ``stage_differs`` (p below :data:`ATTRIBUTE_SIGNIFICANCE`).
    """
    out = {}
    stages = [c for c in mix.columns if c not in SUMMARY_COLUMNS and c != "total_clv"]
    for attribute in mix.index.get_level_values(0).unique():
        levels = mix.xs(attribute, level=0)
        levels = levels[levels["customers"] > 0]
        means = levels["mean_clv"].astype(float)
        high, low = means.idxmax(), means.idxmin()
        verdict = {
            "high": high,
            "low": low,
            "mean_ratio": float(means[high] / means[low]) if means[low] > 0 else float("nan"),
            "high_share_customers": float(levels.loc[high, "share_customers"]),
            "high_share_clv": float(levels.loc[high, "share_clv"]),
            "stage": None,
        }
        if stages and len(levels) > 1:
            spread = levels[stages].max() - levels[stages].min()
            stage = spread.idxmax()
            verdict.update(
                stage=stage,
                stage_high=levels[stage].idxmax(),
                stage_low=levels[stage].idxmin(),
                stage_gap=float(spread[stage]),
            )
        p = tests.loc[attribute] if attribute in tests.index else {}
        value_p, stage_p = float(p.get("value_p", np.nan)), float(p.get("stage_p", np.nan))
        verdict.update(
            value_p=value_p,
            stage_p=stage_p,
            value_differs=bool(value_p < ATTRIBUTE_SIGNIFICANCE),
            stage_differs=bool(stage_p < ATTRIBUTE_SIGNIFICANCE),
        )
        out[attribute] = verdict
    return out


def _attribute_sentence(attribute: str, v: dict, mix: pd.DataFrame, currency: str) -> str:
    levels = mix.xs(attribute, level=0)
    hi, lo = levels.loc[v["high"]], levels.loc[v["low"]]
    if v["high"] == v["low"]:
        return f"**{attribute}** has one level: nothing to compare."
    ratio = (
        f"{v['mean_ratio']:.2f} times as much on average"
        if np.isfinite(v["mean_ratio"])
        else "more on average"
    )
    value = (
        f"{attribute} {v['high']} customers are worth {ratio} as {attribute} {v['low']} "
        f"({money(hi['mean_clv'], currency)} against {money(lo['mean_clv'], currency)}) and, "
        f"at {percent(v['high_share_customers'])} of the customers, hold "
        f"{percent(v['high_share_clv'])} of the value"
    )
    stage = ""
    if v["stage"] is not None:
        gap = (
            f"{percent(levels.loc[v['stage_high'], v['stage']])} of {attribute} "
            f"{v['stage_high']} against {percent(levels.loc[v['stage_low'], v['stage']])} of "
            f"{attribute} {v['stage_low']}"
        )
        stage = (
            f"; the stage mix differs most in {v['stage']}: {gap}"
            if v["stage_differs"]
            else f"; their stage mixes are alike (the widest gap, in {v['stage']}: {gap})"
        )
    tests = (
        f"(Kruskal-Wallis on value p {_p(v['value_p'])}; chi-square on stage p {_p(v['stage_p'])})"
    )
    if not v["value_differs"] and not v["stage_differs"]:
        return (
            f"**The {attribute} levels do not differ** beyond chance in value or stage mix "
            f"{tests}: {value}{stage}."
        )
    which = join_and(
        w for w, d in (("value", v["value_differs"]), ("stage mix", v["stage_differs"])) if d
    )
    return f"**The {attribute} levels differ in {which}** {tests}: {value}{stage}."


def _p(p: float) -> str:
    shown = p_value(p)
    return shown if shown.startswith(("<", "n/a")) else f"= {shown}"


def attribute_reading(mix: pd.DataFrame, tests: pd.DataFrame, *, currency: str = "$") -> str:
    """What differs between the levels of each attribute: value per customer, value share
    against customer share, stage mix; said plainly when the levels do not differ.

    ``mix``: :func:`analysis.segments.attribute_mix`; ``tests``:
    :func:`analysis.segments.attribute_tests`. A difference counts when its test's
    p-value is below :data:`ATTRIBUTE_SIGNIFICANCE`; the numbers are the table's.
    """
    verdict = attribute_verdict(mix, tests)
    return "**Reading.** " + " ".join(
        _attribute_sentence(a, v, mix, currency) for a, v in verdict.items()
    )


def attribute_finding(mix: pd.DataFrame, tests: pd.DataFrame, *, currency: str = "$") -> Finding:
    """The segments report's finding on the attributes: the one whose levels differ most in value,
    or that none does."""
    verdict = attribute_verdict(mix, tests)
    differing = {a: v for a, v in verdict.items() if v["value_differs"]}
    names = join_and(verdict)
    if not differing:
        stage = [a for a, v in verdict.items() if v["stage_differs"]]
        return Finding(
            "attributes",
            "no value difference",
            {"attributes": list(verdict), "stage_differs": stage},
            f"The {'attribute' if len(verdict) == 1 else 'attributes'} {names} "
            f"{'does' if len(verdict) == 1 else 'do'} not separate value beyond chance"
            + (f" (the stage mix differs by {join_and(stage)})" if stage else "")
            + ": target by the forecast value, not by the attribute.",
        )
    attribute = min(differing, key=lambda a: differing[a]["value_p"])
    v = differing[attribute]
    ratio = (
        f"{v['mean_ratio']:.2f} times as much on average as {attribute} {v['low']}"
        if np.isfinite(v["mean_ratio"])
        else f"more on average than {attribute} {v['low']}"
    )
    return Finding(
        "attributes",
        f"{attribute} differs",
        {
            "attribute": attribute,
            "high": v["high"],
            "low": v["low"],
            "mean_ratio": v["mean_ratio"],
            "value_p": v["value_p"],
        },
        f"{cap(attribute)} {v['high']} customers are worth {ratio} "
        f"({percent(v['high_share_customers'])} of the customers, "
        f"{percent(v['high_share_clv'])} of the value; Kruskal-Wallis p {_p(v['value_p'])}).",
    )
