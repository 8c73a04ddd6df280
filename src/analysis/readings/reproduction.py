"""Readings of the reproduction page (``notebooks/00_reproduction.ipynb``), and the tracking.

:func:`reproduction_reading` counts the published values that our fits
reproduce and names the largest difference, from
:func:`analysis.tables.reproduction_table`; :func:`tracking_reading` sets the
cumulative forecast of the holdout tracking beside the actual count (also read
by the CLV report). The words ("All", "not", "above", "below") follow the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ._format import count, join_and, pct

__all__ = ["reproduction_reading", "tracking_reading"]


def _signed(x: float, more: str = "above", less: str = "below") -> str:
    """``12% below`` / ``3.4% above`` / ``equal to`` for a relative difference."""
    if x == 0:
        return "equal to"
    return f"{pct(abs(x))} {more if x > 0 else less}"


def reproduction_reading(table: pd.DataFrame) -> str:
    """How many published values the fits reproduce, and the largest difference.

    ``table``: :func:`analysis.tables.reproduction_table` (``check``,
    ``difference``, ``difference_pct``, ``tolerance``, ``model``; index fit,
    parameter).
    """
    checked = table[table["check"] != "not published"]
    if checked.empty:
        return "No published value applies to these fits, so nothing is checked."
    passed = checked["check"].eq("pass")
    fits = list(dict.fromkeys(checked.index.get_level_values("fit")))
    failed_fits = list(dict.fromkeys(checked[~passed].index.get_level_values("fit")))
    params = checked.drop(index="loglik", level="parameter", errors="ignore")
    text = [
        ("All" if passed.all() else f"{int(passed.sum())} of the")
        + f" {len(checked)} published values ({count(len(fits), 'fit')}) are "
        "reproduced within the tolerance of the model tests"
        + (
            "."
            if passed.all()
            else f"; {int((~passed).sum())} are **not**, in {join_and(failed_fits)}."
        )
    ]
    if len(params):
        share = params["difference_pct"].abs()
        where = share.idxmax()
        text.append(
            f"The largest parameter difference is {share.max():.2f}% ({where[0]}, {where[1]}: "
            f"{params.loc[where, 'difference']:+.4f} against a tolerance of "
            f"{params.loc[where, 'tolerance']:g})."
        )
    logliks = checked.xs("loglik", level="parameter", drop_level=False)
    if len(logliks):
        gap = logliks["difference"].abs()
        text.append(
            f"The log-likelihoods differ from the published ones by at most {gap.max():.2f} points "
            f"({gap.idxmax()[0]})."
        )
    missing = list(
        dict.fromkeys(table[table["check"] == "not published"].index.get_level_values("fit"))
    )
    if missing:
        text.append(
            f"{join_and(missing)} {'has' if len(missing) == 1 else 'have'} no published fit on "
            "these data, so the estimates are shown unchecked."
        )
    return " ".join(text)


def _tracking_errors(tracking: pd.DataFrame, models: Sequence[str]) -> pd.Series:
    last = tracking.iloc[-1]
    return pd.Series({m: (last[m] - last["actual"]) / last["actual"] for m in models})


def tracking_reading(tracking: pd.DataFrame) -> str:
    """The cumulative forecast at the end of observation against the actual count.

    ``tracking``: :func:`analysis.models.validation.tracking_table` (``date``,
    ``calibration``, ``actual`` and one column per model).
    """
    models = [c for c in tracking.columns if c not in ("date", "time", "calibration", "actual")]
    end = tracking.iloc[-1]
    calib = tracking[tracking["calibration"]]
    errors = _tracking_errors(tracking, models)
    at_cal = (
        f"At the calibration end ({calib['date'].iloc[-1]:%Y-%m-%d}) the cohort had made "
        f"{int(calib['actual'].iloc[-1]):,} repeat purchases. "
        if len(calib)
        else ""
    )
    each = join_and(
        f"{_signed(errors[m])} ({m}, {end[m]:,.0f})" for m in errors.abs().sort_values().index
    )
    return (
        f"{at_cal}The forecast for {end['date']:%Y-%m-%d}, made from the calibration fit alone, "
        f"ends {each} the actual {int(end['actual']):,} repeat purchases."
    )
