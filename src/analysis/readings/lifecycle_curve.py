"""Readings of the lifecycle curve: purchases by relationship age.

A companion of :mod:`.lifecycle`: the curve of ``notebooks/02_lifecycle.ipynb``
(:func:`analysis.lifecycle.lifecycle_curve` by age) read from its numbers; the
direction words follow :data:`.lifecycle.LEVEL_CHANGE`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lifecycle import LEVEL_CHANGE

__all__ = ["curve_by_age_reading"]


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
