"""Readings of the lifecycle curve: purchases by age and by stage, spend per purchase.

A companion of :mod:`.lifecycle`: the curve of ``notebooks/02_lifecycle.ipynb``
(:func:`analysis.lifecycle.lifecycle_curve`, by age and aligned on the stages)
read from its numbers; the direction words follow the tolerances below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import PURCHASES
from ..lifecycle.curve import spend_per_purchase_by_stage
from ..units import STAGES
from ._format import join_and, money, pct
from .lifecycle import LEVEL_CHANGE

__all__ = ["CONSTANT_SPEND", "curve_by_age_reading", "curve_by_stage_reading"]

#: spend per purchase whose largest stage value is at most this much above the smallest
#: is "close to constant" across the stages
CONSTANT_SPEND: float = 0.10


def curve_by_age_reading(curve: pd.DataFrame) -> str:
    """Purchases per customer by relationship age (:func:`analysis.lifecycle.lifecycle_curve`)."""
    p = curve["purchases"].astype(float)
    peak, later = p.idxmax(), p.iloc[1:]
    close = (
        " This average mixes every stage, the customers who have left included, so it says little "
        "about the shape of a single relationship."
    )
    if len(later) >= 2 and not later.any():
        return (
            f"**Reading.** By age, purchases per customer are {p.iloc[0]:.2f} at age "
            f"{p.index[0]} (it holds the acquisition purchase) and zero at every later age, "
            f"up to {later.index[-1]}: no customer buys again.{close}"
        )
    if len(later) < 2:
        seen = (
            f"; the only later age observed is {later.index[0]}, at {later.iloc[0]:.2f}"
            if len(later)
            else "; no customer is observed beyond its first period"
        )
        return (
            f"**Reading.** By age, purchases per customer are {p.iloc[0]:.2f} at age "
            f"{p.index[0]} (it holds the acquisition purchase){seen}: the log is too short for "
            f"the curve to show a shape.{close}"
        )
    change = (later.iloc[-1] - later.iloc[0]) / later.iloc[0] if later.iloc[0] > 0 else np.inf
    word = "stay about level" if abs(change) <= LEVEL_CHANGE else ("fall" if change < 0 else "rise")
    return (
        f"**Reading.** By age, purchases per customer peak at age {peak} ({p[peak]:.2f}; age 0 "
        f"holds the acquisition purchase) and {word} from {later.iloc[0]:.2f} at age "
        f"{later.index[0]} to {later.iloc[-1]:.2f} at age {later.index[-1]}.{close}"
    )


def _pace(curve_by_stage: pd.DataFrame, stage: str) -> tuple[float, float]:
    rows = curve_by_stage.loc[curve_by_stage["stage"].astype(str) == stage]
    first = rows.loc[rows["periods_in_stage"] == 0, "purchases"]
    rest = rows.loc[rows["periods_in_stage"] > 0]
    w = rest["customer_periods"].astype(float)
    later = float((rest["purchases"] * w).sum() / w.sum()) if w.sum() > 0 else np.nan
    return (float(first.iloc[0]) if len(first) else np.nan), later


def curve_by_stage_reading(curve_by_stage: pd.DataFrame, *, currency: str = "$") -> str:
    """The curve aligned on the stages: each stage's opening and later pace, spend per purchase.

    Spend per purchase is "close to constant" when its largest stage value is at
    most :data:`CONSTANT_SPEND` above the smallest; otherwise its direction over
    exploration, formation, stability decides "rises" / "falls" / "varies".
    """
    if curve_by_stage.empty:
        return (
            "**Reading.** No point of the curve rests on enough customer-periods to be drawn: "
            "the log is too small to show the lifecycle curve by stage."
        )
    paces = {s: _pace(curve_by_stage, s) for s in STAGES}
    parts = [
        f"{s} opens at {a:.2f} purchases a period and runs at {b:.2f} after that"
        if np.isfinite(b)
        else f"{s} opens at {a:.2f} purchases a period (too few customers stay in it longer to "
        "draw its later pace)"
        for s, (a, b) in paces.items()
        if np.isfinite(a)
    ]
    top = curve_by_stage.loc[curve_by_stage["purchases"].astype(float).idxmax()]
    later = pd.Series({s: b for s, (a, b) in paces.items() if np.isfinite(b)})
    text = (
        f"**Reading.** Aligned on the stages, {join_and(parts)}. The busiest point is period "
        f"{top['label']} of {top['stage']} ({top['purchases']:.2f})"
    )
    if len(later) > 1:
        text += f"; the highest pace after a stage's first period is in {later.idxmax()}."
    else:
        text += "."
    if str(currency).strip() == PURCHASES:
        return text + (
            " Each purchase counts as one (the log has no amounts), so value moves with the "
            "number of purchases alone."
        )
    spp = spend_per_purchase_by_stage(curve_by_stage).dropna()
    if len(spp) < 2:
        where = (
            f"in {spp.index[0]} alone ({money(spp.iloc[0], currency)})"
            if len(spp)
            else "in no stage"
        )
        return text + (
            f" Spend per purchase is measured {where}, so there is no change across the "
            "stages to read."
        )
    listed = " / ".join(f"{money(v, currency)} in {s}" for s, v in spp.items())
    ratio = spp.max() / spp.min() - 1 if spp.min() > 0 else np.nan
    text += f" Spend per purchase is {listed}"
    growth = spp.reindex(["exploration", "formation", "stability"]).dropna()
    if np.isfinite(ratio) and ratio <= CONSTANT_SPEND:
        return text + (
            f" (within {pct(ratio)}): close to constant, so profit moves with the number of "
            "purchases."
        )
    if len(growth) >= 2 and growth.is_monotonic_increasing:
        return text + (
            f": it rises by {pct(growth.iloc[-1] / growth.iloc[0] - 1)} from {growth.index[0]} "
            f"to {growth.index[-1]}, so profit per purchase grows as the relationship "
            "develops, as the lifecycle model expects."
        )
    if len(growth) >= 2 and growth.is_monotonic_decreasing:
        return text + (
            f": it falls by {pct(1 - growth.iloc[-1] / growth.iloc[0])} from "
            f"{growth.index[0]} to {growth.index[-1]}, so profit per purchase shrinks as the "
            "relationship develops."
        )
    return text + f": it varies by up to {pct(ratio)} between the stages, with no steady direction."
