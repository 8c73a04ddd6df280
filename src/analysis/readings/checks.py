"""Readings of the predictive checks: the calibration histogram and the tracking band.

For the CLV report's holdout section: :func:`period_check_reading` beside
:func:`analysis.models.checks.period_transactions` and its chi-square
table, :func:`tracking_band_reading` beside the tracking figure with the band of
:func:`analysis.models.checks.tracking_band`. The verdicts (best fit,
inside or outside the band, above or below) are computed first, as data
(:func:`period_check_verdict`, :func:`tracking_band_verdict`), then written.
Counts are written as integers with separators, as the tables show them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._format import cap, join_and, pct

__all__ = [
    "FIT_P_VALUE",
    "period_check_verdict",
    "period_check_reading",
    "tracking_band_verdict",
    "tracking_band_reading",
]

#: a model reproduces the histogram within sampling error when its chi-square p-value is at least this
FIT_P_VALUE = 0.05

_BAND_COLUMNS = frozenset(
    ("date", "time", "calibration", "actual", "low", "high", "low_period", "high_period")
    + ("predictive_low", "predictive_high", "level")
)
_PERIOD_WORDS = (
    (1, "day"),
    (7, "week"),
    (30.4375, "month"),
    (91.3125, "quarter"),
    (365.25, "year"),
)


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _row_words(label: str) -> str:
    """Who a row of the histogram holds, in words."""
    if label == "0":
        return "customers without a repeat purchase (one-time buyers)"
    if label.endswith("+"):
        return f"customers with {label[:-1]} or more repeat purchases"
    return f"customers with {label} repeat purchase" + ("" if label == "1" else "s")


# ----------------------------------------------------------------------------------------------
# the calibration histogram
# ----------------------------------------------------------------------------------------------
def period_check_verdict(table: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """Per model: its chi-square, whether it fits, and the row it misses most.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.models.checks.period_transactions`.
    stats : DataFrame
        :func:`analysis.models.checks.period_chi_square` of ``table``.

    Returns
    -------
    DataFrame
        Index ``model`` (best fit first: smallest chi-square), columns
        ``chi_square``, ``dof``, ``p_value``, ``fits`` (p-value at least
        :data:`FIT_P_VALUE`), ``worst_row`` (label of the row with the largest
        miss in customers), ``expected``, ``actual`` and ``miss`` (expected -
        actual, customers) in that row, ``relative_miss`` (miss / actual).
    """
    actual = table["actual"].astype(float)
    rows = {}
    for name in stats.index:
        miss = table[name].astype(float) - actual
        worst = miss.abs().idxmax()
        rows[name] = {
            "chi_square": float(stats.loc[name, "chi_square"]),
            "dof": int(stats.loc[name, "dof"]),
            "p_value": float(stats.loc[name, "p_value"]),
            "fits": bool(stats.loc[name, "p_value"] >= FIT_P_VALUE),
            "worst_row": str(worst),
            "expected": float(table.loc[worst, name]),
            "actual": float(actual[worst]),
            "miss": float(miss[worst]),
            "relative_miss": float(miss[worst] / actual[worst]) if actual[worst] else np.inf,
        }
    out = pd.DataFrame.from_dict(rows, orient="index").sort_values("chi_square", kind="stable")
    out.index.name = "model"
    return out


def period_check_reading(table: pd.DataFrame, stats: pd.DataFrame) -> str:
    """Which model reproduces the calibration histogram, and where each one misses (Markdown).

    Parameters are those of :func:`period_check_verdict`.
    """
    v = period_check_verdict(table, stats)
    customers = float(table["actual"].sum())
    zero = float(table["actual"].iloc[0])
    first = (
        f"Of the {customers:,.0f} customers, {zero:,.0f} ({pct(zero / customers)}) made "
        + (
            "no repeat purchase"
            if str(table.index[0]) == "0"
            else f"{table.index[0]} repeat purchases"
        )
        + " in the calibration period."
    )
    best, rest = v.index[0], list(v.index[1:])
    first += (
        f" {best} reproduces the distribution of repeat purchases best (chi-square "
        f"{v.loc[best, 'chi_square']:,.1f} on {v.loc[best, 'dof']} degrees of freedom, "
        f"{_p(v.loc[best, 'p_value'])})"
    )
    if rest:
        first += ", then " + join_and(f"{m} ({v.loc[m, 'chi_square']:,.1f})" for m in rest)
    fit = [m for m in v.index if v.loc[m, "fits"]]
    if not fit:
        first += f"; no model matches it within sampling error at the {FIT_P_VALUE:.0%} level."
    elif len(fit) == len(v):
        first += f"; {'it matches' if len(v) == 1 else 'all match'} it within sampling error."
    else:
        first += f"; only {join_and(fit)} within sampling error."
    worst = v["relative_miss"].abs().idxmax()
    row = v.loc[worst]
    largest = float(abs(row["relative_miss"]))
    second = (
        f"The largest miss is {worst}'s: {abs(row['miss']):,.0f} "
        f"{'more' if row['miss'] > 0 else 'fewer'} {_row_words(row['worst_row'])} than observed "
        f"({pct(largest)} of the row)"
    )
    if not fit and largest < 0.10:
        second += f"; with {customers:,.0f} customers even misses this small are beyond chance"
    parts = [first, second + "."]
    return " ".join(parts)


# ----------------------------------------------------------------------------------------------
# the tracking band
# ----------------------------------------------------------------------------------------------
def _period_word(dates: pd.Series) -> str:
    if len(dates) < 3:
        return "period"
    gaps = np.diff(pd.to_datetime(dates).to_numpy()) / np.timedelta64(1, "D")
    step = float(np.median(gaps))
    word = min(_PERIOD_WORDS, key=lambda kv: abs(kv[0] - step))
    return word[1] if abs(word[0] - step) <= 0.15 * word[0] else "period"


def tracking_band_verdict(tracking: pd.DataFrame, band: pd.DataFrame) -> dict:
    """Whether the actual count stays in the band over the holdout, and the totals at the end.

    Parameters
    ----------
    tracking : DataFrame
        :func:`analysis.models.validation.tracking_table` (the other models' curves).
    band : DataFrame
        :func:`analysis.models.checks.tracking_band` of one model.

    Returns
    -------
    dict
        ``model``, ``level``, ``predictive`` (the band judged is the
        predictive one), ``periods`` (holdout periods), ``inside``,
        ``above``, ``below`` (holdout periods with the actual count in,
        above or below the band), ``first_out`` (date the count first left
        the band, or None), ``stays_out`` (it never came back), ``unit``
        (the tracking period in words), ``end`` (the last row's date, ``actual``,
        ``expected``, ``low``, ``high`` of the band judged, ``param_low``,
        ``param_high``), ``holdout_actual`` and ``holdout_expected`` (repeat
        purchases in the holdout alone), ``others`` (other model: ``inside``,
        ``above`` or ``below`` the parameter interval at the end, and its value).
    """
    model = next(c for c in band.columns if c not in _BAND_COLUMNS)
    predictive = "predictive_low" in band.columns
    lo, hi = ("predictive_low", "predictive_high") if predictive else ("low", "high")
    hold = band[~band["calibration"].astype(bool)]
    actual = hold["actual"].astype(float)
    above = actual > hold[hi]
    below = actual < hold[lo]
    out_rows = hold[above | below]
    last = band.iloc[-1]
    calib = band[band["calibration"].astype(bool)]
    at_cal = calib.iloc[-1] if len(calib) else None
    others = {}
    if len(tracking):
        end = tracking.iloc[-1]
        for name in tracking.columns:
            if name in _BAND_COLUMNS or name == model:
                continue
            value = float(end[name])
            side = "above" if value > last["high"] else "below" if value < last["low"] else "inside"
            others[str(name)] = (side, value)
    return {
        "model": model,
        "level": float(band["level"].iloc[0]) if "level" in band.columns else float("nan"),
        "predictive": predictive,
        "periods": int(len(hold)),
        "inside": int((~above & ~below).sum()),
        "above": int(above.sum()),
        "below": int(below.sum()),
        "first_out": out_rows["date"].iloc[0] if len(out_rows) else None,
        "stays_out": bool(len(out_rows)) and bool((above | below)[out_rows.index[0] :].all()),
        "unit": _period_word(band["date"]),
        "end": {
            "date": last["date"],
            "actual": float(last["actual"]),
            "expected": float(last[model]),
            "low": float(last[lo]),
            "high": float(last[hi]),
            "param_low": float(last["low"]),
            "param_high": float(last["high"]),
        },
        "holdout_actual": float(last["actual"] - at_cal["actual"]) if at_cal is not None else None,
        "holdout_expected": float(last[model] - at_cal[model]) if at_cal is not None else None,
        "others": others,
    }


def tracking_band_reading(tracking: pd.DataFrame, band: pd.DataFrame) -> str:
    """Whether the actual cumulative count stays inside one model's band over the holdout (Markdown).

    Parameters are those of :func:`tracking_band_verdict`.
    """
    v = tracking_band_verdict(tracking, band)
    m, e = v["model"], v["end"]
    level = f"{v['level']:.0%} " if np.isfinite(v["level"]) else ""
    what = (
        f"{m}'s {level}range for the actual count (parameter uncertainty plus the chance of who "
        "buys when)"
        if v["predictive"]
        else f"{m}'s {level}interval of the expected count (parameter uncertainty only)"
    )
    parts = []
    if v["periods"]:
        n, unit = v["periods"], v["unit"]
        units = unit if n == 1 else f"{unit}s"
        subject = f"{cap(what)} holds the cohort's cumulative repeat purchases"
        if v["inside"] == n:
            parts.append(f"{subject} in all {n} holdout {units}.")
        else:
            sides = [f"{side} it in {v[side]}" for side in ("above", "below") if v[side]]
            since = "from {:%Y-%m-%d} on" if v["stays_out"] else "first on {:%Y-%m-%d}"
            parts.append(
                f"{subject} in {v['inside']} of the {n} holdout {units}; the count lies "
                f"{join_and(sides)}, {since.format(pd.Timestamp(v['first_out']))}."
            )
    side = "above" if e["actual"] > e["high"] else "below" if e["actual"] < e["low"] else "inside"
    end = (
        f"By {pd.Timestamp(e['date']):%Y-%m-%d} the cohort had made {e['actual']:,.0f} repeat "
        f"purchases, {side} {'the range' if side == 'inside' else 'the range of'} "
        f"{e['low']:,.0f} to {e['high']:,.0f} ({m} expects {e['expected']:,.0f}"
    )
    if v["predictive"]:
        end += f"; the parameter uncertainty alone spans {e['param_low']:,.0f} to {e['param_high']:,.0f}"
    end += ")."
    if v["holdout_actual"] is not None and v["holdout_expected"]:
        gap = v["holdout_actual"] / v["holdout_expected"] - 1
        word = "more than" if gap > 0 else "fewer than" if gap < 0 else "exactly as"
        end += (
            f" In the holdout alone it made {v['holdout_actual']:,.0f}, "
            f"{pct(abs(gap)) + ' ' if gap else ''}{word} the {v['holdout_expected']:,.0f} expected."
        )
    parts.append(end)
    groups: dict[str, list[str]] = {}
    for name, (where, value) in v["others"].items():
        groups.setdefault(where, []).append(f"{name} ({value:,.0f})")
    interval = f"{m}'s interval of the expected count at the end"
    for where in ("inside", "above", "below"):
        if where not in groups:
            continue
        names = groups[where]
        one = len(names) == 1
        text = (
            f"The forecast{'' if one else 's'} of {join_and(names)} "
            f"{'lies' if one else 'lie'} {where} {interval}"
        )
        if where == "inside":
            text += ": within the uncertainty of the estimates, the models agree there"
        parts.append(text + ".")
        interval = "that interval"
    return cap(" ".join(parts))
