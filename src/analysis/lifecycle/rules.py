"""The stage recursion of the rule classifier: one period after another, each stage from the last.

What the rules are, and why, is told in :mod:`analysis.lifecycle.stages`;
:func:`run_rules` applies them to a panel's pace signals
(:func:`analysis.lifecycle.signals.pace_signals`), vectorised over customers.
"""

from __future__ import annotations

import numpy as np

from ..panel import Panel
from ..units import DAYS_PER_MONTH
from ._common import DECLINE, EXPLORATION, FORMATION, STABILITY

__all__ = ["REASONS", "run_rules"]

# --------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------


_R_NONE = -1
#: What decided each stage (the ``reason`` column of :func:`assign_stages`).
REASONS: tuple[str, ...] = (
    "first purchase",  # exploration starts
    "trial",  # exploration continues
    "rising pace",  # into or within formation
    "repeat buyer past the trial",  # exploration -> formation without a clear rise
    "forming",  # formation continues (formation_months not reached in all, or no plateau yet)
    "plateau",  # formation -> stability
    "steady",  # stability continues
    "silent",  # no purchase for gap_factor cycles (trial_months before formation_repeats)
    "pace falling",  # significantly below the customer's own previous level
    "p_alive low",  # probably no longer active
    "recovered",  # decline -> formation
    "still low",  # decline continues
)
(
    _R_FIRST, _R_TRIAL, _R_RISING, _R_SEASONED, _R_FORMING, _R_PLATEAU, _R_STEADY,
    _R_SILENT, _R_FALLING, _R_GONE, _R_RECOVERED, _R_STILL_LOW,
) = range(len(REASONS))  # fmt: skip


def run_rules(
    panel: Panel, sig: dict[str, np.ndarray], th: dict[str, float], p_alive: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The stage recursion over periods; returns stage codes and rule codes (customer x period)."""
    n, m = panel.shape
    per_month = DAYS_PER_MONTH / panel.days_per_period  # periods per month
    trial = th["trial_months"] * per_month
    min_formation = max(1, int(round(th["formation_months"] * per_month)))
    repeats_needed = int(th["formation_repeats"])
    past_trial = int(th["past_trial_repeats"])

    gap = sig["periods_since_purchase"]
    cycle = sig["mean_cycle_periods"]
    with np.errstate(invalid="ignore"):
        # Until the customer has formation_repeats repeat purchases its own cycle is not
        # established and the trial window applies; after that, silence is measured in cycles.
        own_cycle = sig["repeat_purchases"] >= repeats_needed
        silent = np.where(own_cycle, (gap > th["gap_factor"] * cycle), gap > trial)
        falling = sig["p_falling"] < th["alpha_fall"]
        rising = sig["p_rising"] < th["alpha_rise"]
        # the plateau asks of the last period alone: a climb that has ended still shows in
        # the longer scales for a few periods
        climbing = sig["p_rising_last"] < th["alpha_rise"]
    gone = np.zeros((n, m), dtype=bool)
    if p_alive is not None:
        with np.errstate(invalid="ignore"):
            gone = np.nan_to_num(p_alive, nan=1.0) < th["p_alive_min"]
    declining = silent | falling | gone
    has_repeats = sig["repeat_purchases"] >= repeats_needed
    seasoned = (sig["repeat_purchases"] >= past_trial) & (
        sig["age"] >= th["exploration_months"] * per_month
    )
    forming = has_repeats & rising
    recovered = (panel.purchases > 0) & rising & ~declining

    stage = np.full((n, m), -1, dtype=np.int8)
    reason = np.full((n, m), _R_NONE, dtype=np.int8)
    formed = np.zeros(n, dtype=np.int64)  # periods spent in formation so far, in all
    current = np.full(n, -1, dtype=np.int8)
    for j in range(m):
        prev = panel.first_column < j  # customers with a previous period
        new = current.copy()
        why = np.full(n, _R_NONE, dtype=np.int8)
        dec = declining[:, j]
        why_dec = np.where(silent[:, j], _R_SILENT, np.where(falling[:, j], _R_FALLING, _R_GONE))

        e = prev & (current == EXPLORATION)
        f = prev & (current == FORMATION)
        s = prev & (current == STABILITY)
        d = prev & (current == DECLINE)
        # decline can follow any stage
        to_dec = (e | f | s) & dec
        new[to_dec], why[to_dec] = DECLINE, why_dec[to_dec]
        # exploration -> formation: a rising pace with repeat purchases, or a repeat buyer
        # past the trial
        up = e & ~dec & (forming[:, j] | seasoned[:, j])
        new[up] = FORMATION
        why[up] = np.where(forming[up, j], _R_RISING, _R_SEASONED)
        why[e & ~dec & ~up] = _R_TRIAL
        # formation -> stability: formation has lasted its length in all, and the last
        # period's pace is no rise over the period before
        plateau = f & ~dec & (formed >= min_formation) & ~climbing[:, j]
        new[plateau], why[plateau] = STABILITY, _R_PLATEAU
        keep = f & ~dec & ~plateau
        why[keep] = np.where(rising[keep, j], _R_RISING, _R_FORMING)
        why[s & ~dec] = _R_STEADY
        # decline -> formation when the customer buys again at a rising pace (never straight
        # to stability)
        back = d & recovered[:, j]
        new[back], why[back] = FORMATION, _R_RECOVERED
        stay = d & ~back
        why[stay] = np.where(dec[stay], why_dec[stay], _R_STILL_LOW)
        # the first period is exploration
        start = panel.first_column == j
        new[start], why[start] = EXPLORATION, _R_FIRST

        formed += new == FORMATION
        current = new
        stage[:, j] = current
        reason[:, j] = why
    return stage, reason
