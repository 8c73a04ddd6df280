"""The thresholds of the stage rules: each one's default, unit and the reason for the default.

:func:`analysis.lifecycle.assign_stages` reads them (see
:mod:`analysis.lifecycle.stages` for the rules); :func:`thresholds_table` lists
them for a report, :func:`resolve_thresholds` checks a caller's overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..units import P_ALIVE_GONE

__all__ = ["Threshold", "THRESHOLDS", "thresholds_table", "resolve_thresholds"]


@dataclass(frozen=True)
class Threshold:
    """One named threshold of the stage rules: its default, unit and the reason for the default.

    ``whole`` marks a threshold that only takes whole numbers.
    """

    name: str
    default: float
    unit: str
    reason: str
    whole: bool = False


_THRESHOLD_LIST = [
    Threshold(
        "window_months", 3.0, "months",
        "the longest window for a customer's current pace: a quarter holds enough of a "
        "sparse buyer's purchases; frequent buyers are also tested on shorter windows",
    ),
    Threshold(
        "trial_months", 2.5, "months",
        "a customer without an established cycle (fewer than formation_repeats repeat "
        "purchases) who stays silent for two and a half months has let the trial lapse "
        "(exploration -> decline)",
    ),
    Threshold(
        "formation_repeats", 4, "purchases",
        "four repeat purchases make a pattern rather than a coincidence: a rise needs them "
        "to count as formation, and they give the customer a purchase cycle of its own "
        "(before it, silence is judged by trial_months)",
        whole=True,
    ),
    Threshold(
        "past_trial_repeats", 1, "purchases",
        "a customer who has come back at least once and is still buying when the trial "
        "months are over is past the trial, rise or not (exploration -> formation)",
        whole=True,
    ),
    Threshold(
        "exploration_months", 3.0, "months",
        "a trial lasts about a quarter: a repeat buyer older than three months is past it "
        "even without a clear rise (exploration -> formation)",
    ),
    Threshold(
        "formation_months", 5.0, "months",
        "fast growth takes time: formation lasts five months in all (a return from a "
        "decline does not start it again) before the pace can be called a plateau",
    ),
    Threshold(
        "growth_ratio", 2.0, "ratio",
        "a rise means the pace at least doubled against the periods just before",
    ),
    Threshold(
        "alpha_rise", 0.10, "probability",
        "a rise must also be unlikely as Poisson noise (one-sided test at 10%)",
    ),
    Threshold(
        "decline_ratio", 0.5, "ratio",
        "a fall means less than half the customer's own pace in the window before",
    ),
    Threshold(
        "alpha_fall", 0.01, "probability",
        "a fall must be very unlikely as Poisson noise (one-sided test at 1%): the test "
        "runs every period, and a false decline sends a good customer to win-back",
    ),
    Threshold(
        "gap_factor", 3.0, "ratio",
        "silent for three of the customer's own mean purchase cycles: an exponential gap "
        "that long has a chance of about 5% for a customer still at its pace",
    ),
    Threshold(
        "p_alive_min", P_ALIVE_GONE, "probability",
        "with a p_alive signal, below 30% the customer is more likely gone than active",
    ),
]  # fmt: skip


#: The thresholds of :func:`assign_stages`, by name (defaults, units, reasons).
THRESHOLDS: dict[str, Threshold] = {t.name: t for t in _THRESHOLD_LIST}


def thresholds_table() -> pd.DataFrame:
    """The stage rules' thresholds as a table: ``name`` (index), ``default``, ``unit``, ``reason``."""
    return pd.DataFrame(
        [(t.name, t.default, t.unit, t.reason) for t in _THRESHOLD_LIST],
        columns=["name", "default", "unit", "reason"],
    ).set_index("name")


def resolve_thresholds(overrides: Mapping[str, float]) -> dict[str, float]:
    """Every threshold's value: the defaults of :data:`THRESHOLDS` with ``overrides``, checked.

    Raises
    ------
    TypeError
        For a name that is not a threshold.
    ValueError
        For a negative or non-finite value, a non-whole ``formation_repeats`` or
        ``past_trial_repeats``,
        a zero window, or a probability outside (0, 1].
    """
    unknown = sorted(set(overrides) - set(THRESHOLDS))
    if unknown:
        raise TypeError(
            f"unknown threshold(s) {unknown}; the thresholds are {sorted(THRESHOLDS)} "
            "(see analysis.lifecycle.thresholds_table())"
        )
    values = {name: t.default for name, t in THRESHOLDS.items()}
    values.update(overrides)
    for name, value in values.items():
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"threshold {name} must be a non-negative number, got {value!r}")
    for name in ("formation_repeats", "past_trial_repeats"):
        repeats = values[name]
        if repeats != int(repeats) or repeats < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {repeats!r}")
    if values["window_months"] <= 0:
        raise ValueError("window_months must be positive")
    for name in ("alpha_rise", "alpha_fall", "p_alive_min"):
        if not 0 < values[name] <= 1:
            raise ValueError(f"{name} must lie in (0, 1], got {values[name]}")
    return values
