"""The four lifecycle stages per customer and period, their Markov chain, the lifecycle curve, cohort views.

The stages are those of the Dwyer-Schurr-Oh / Chen Mingliang model in the
seeds: exploration (考察期), formation (形成期), stability (稳定期) and
decline (退化期). :func:`assign_stages` gives every customer a stage in every
period from the first purchase to the end of observation, by transparent
rules on the customer's own history; :data:`THRESHOLDS` lists every threshold
with its default and the reason for it.

The rules, applied period by period (a customer's stage in a period depends
on its stage in the previous one, so the seeds' order holds by
construction), and using nothing after the period: a stage is what the firm
could have known then. The *pace* is the number of repeat purchases per
period; the pace of the last period, the last third, two thirds and the whole
of ``window_months`` is compared with the pace before by one-sided Poisson
rate tests (statsmodels), so a frequent buyer's change shows within a month
while a sparse buyer needs the whole window.

- the first period is **exploration**;
- **decline** can follow any stage, when the customer is *silent* (no
  purchase for longer than ``gap_factor`` times its own mean time between
  purchases, or, while it has fewer than ``formation_repeats`` repeat
  purchases and so no cycle of its own, for longer than ``trial_months``),
  or its pace is *falling* (below ``decline_ratio`` times
  its own pace in the window before, significant at ``alpha_fall``), or it is
  probably no longer active (``p_alive`` below ``p_alive_min``, when given);
- exploration turns into **formation** when the customer has
  ``formation_repeats`` repeat purchases and its pace is *rising* (at least
  ``growth_ratio`` times the periods just before, significant at
  ``alpha_rise``), or when it has those repeat purchases and is older than
  ``exploration_months`` (a steady repeat buyer is past the trial);
- formation turns into **stability** once it has lasted ``formation_months``
  and the pace no longer rises (a plateau);
- a customer in decline returns to **formation** (never straight to
  stability) when it buys again at a rising pace and is neither silent nor
  falling.

So exploration never jumps to stability, and stability is entered only from
formation. Every rule compares the customer with itself (its own purchase
cycle, its own previous pace), not with population quantiles.

All computations are vectorised over customers; only the stage recursion loops
over periods (CDNOW's 23,570 customers x 18 months classify in about a second).

Accuracy, measured against :func:`analysis.simulate.simulate_lifecycle`
(customers at about four purchases a month at their peak; defaults tuned on
seed 1, measured on seed 2): macro-F1 0.77, formation the weakest stage (0.59).
It falls for sparser buyers (0.64 at one purchase a month) -- see
:func:`simulation_accuracy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rfm import TIME_UNITS
from .validate import DataValidationError, check_observation_end, require_columns

__all__ = [
    "STAGES",
    "THRESHOLDS",
    "thresholds_table",
    "assign_stages",
    "current_stage",
    "stage_mix",
    "transition_counts",
    "transition_matrix",
    "project_stage_mix",
    "stage_rewards",
    "stage_clv",
    "lifecycle_curve",
    "cohort_retention",
    "relationship_survival",
    "stage_confusion",
    "stage_scores",
    "tune_thresholds",
    "simulation_accuracy",
    "threshold_sensitivity",
    "survival_logrank",
    "REASONS",
]

STAGES: tuple[str, ...] = ("exploration", "formation", "stability", "decline")
_EXPLORATION, _FORMATION, _STABILITY, _DECLINE = range(4)
_DAYS_PER_MONTH = 365.25 / 12.0


@dataclass(frozen=True)
class Threshold:
    """One named threshold of the stage rules: its default, unit and the reason for the default."""

    name: str
    default: float
    unit: str
    reason: str


_THRESHOLD_LIST = [
    Threshold(
        "window_months", 3.0, "months",
        "the longest window for a customer's current pace: a quarter holds enough of a "
        "sparse buyer's purchases; frequent buyers are also tested on shorter windows",
    ),
    Threshold(
        "trial_months", 2.0, "months",
        "a customer without an established cycle who stays silent for two months has "
        "let the trial lapse (exploration -> decline)",
    ),
    Threshold(
        "formation_repeats", 3, "purchases",
        "three repeat purchases make a pattern rather than a coincidence, and give the "
        "customer a purchase cycle of its own",
    ),
    Threshold(
        "exploration_months", 4.0, "months",
        "a customer who has kept coming back for four months is past the trial even "
        "without a clear rise (exploration -> formation)",
    ),
    Threshold(
        "formation_months", 4.0, "months",
        "fast growth takes time: formation lasts at least four months before the pace "
        "can be called a plateau",
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
        "p_alive_min", 0.3, "probability",
        "with a p_alive signal, below 30% the customer is more likely gone than active",
    ),
]


#: The thresholds of :func:`assign_stages`, by name (defaults, units, reasons).
THRESHOLDS: dict[str, Threshold] = {t.name: t for t in _THRESHOLD_LIST}
_INTEGER_THRESHOLDS = {"formation_repeats"}


def thresholds_table() -> pd.DataFrame:
    """The stage rules' thresholds as a table: ``name`` (index), ``default``, ``unit``, ``reason``."""
    return pd.DataFrame(
        [(t.name, t.default, t.unit, t.reason) for t in _THRESHOLD_LIST],
        columns=["name", "default", "unit", "reason"],
    ).set_index("name")


def _resolve_thresholds(overrides: Mapping[str, float]) -> dict[str, float]:
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
    if values["formation_repeats"] != int(values["formation_repeats"]) or values["formation_repeats"] < 1:
        raise ValueError(
            f"formation_repeats must be a whole number >= 1, got {values['formation_repeats']!r}"
        )
    if values["window_months"] <= 0:
        raise ValueError("window_months must be positive")
    for name in ("alpha_rise", "alpha_fall", "p_alive_min"):
        if not 0 < values[name] <= 1:
            raise ValueError(f"{name} must lie in (0, 1], got {values[name]}")
    return values


# --------------------------------------------------------------------------
# The customer x period grid
# --------------------------------------------------------------------------


@dataclass
class _Grid:
    """Dense customer x calendar-period arrays of a log (rows: customers, columns: periods)."""

    ids: np.ndarray  # customer ids, sorted
    periods: pd.PeriodIndex  # calendar periods, columns
    unit: float  # days per period (TIME_UNITS)
    first_col: np.ndarray  # column of each customer's first purchase
    first_day: np.ndarray  # day number of the first purchase
    period_start: np.ndarray  # day number of each column's first day
    period_end: np.ndarray  # day number of each column's last observed day (inclusive)
    purchases: np.ndarray  # purchase days per cell (int)
    spend: np.ndarray  # amount per cell
    last_day: np.ndarray  # last purchase day in the cell, -1 when none

    @property
    def active(self) -> np.ndarray:
        """True from the customer's first period on."""
        return np.arange(len(self.periods))[None, :] >= self.first_col[:, None]


def _check_period(period: str) -> str:
    if period not in TIME_UNITS:
        raise ValueError(f"period must be one of {sorted(TIME_UNITS)}, got {period!r}")
    return period


def _build_grid(
    transactions: pd.DataFrame,
    period: str,
    observation_end=None,
) -> _Grid:
    require_columns(transactions, {"customer_id": "customer_id", "date": "date", "amount": "amount"})
    if len(transactions) == 0:
        raise DataValidationError("the transaction log is empty (no rows): no stages to assign.")
    _check_period(period)
    dates = transactions["date"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise DataValidationError(
            "column 'date' must hold dates (datetime64); load the log with "
            "analysis.data.load_transactions, which parses them."
        )
    if observation_end is None:
        end = dates.max().normalize()
    else:
        end = check_observation_end(transactions, observation_end).normalize()
    codes, ids = pd.factorize(transactions["customer_id"], sort=True)
    if (codes < 0).any():
        raise DataValidationError(
            f"column 'customer_id': {int((codes < 0).sum())} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    amount = transactions["amount"].to_numpy(dtype=float)

    # One row per customer and purchase day (same-day orders are one purchase, as in rfm).
    order = np.lexsort((day, codes))
    c, d, a = codes[order], day[order], amount[order]
    new = np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1])]
    starts = np.flatnonzero(new)
    c, d, a = c[starts], d[starts], np.add.reduceat(a, starts)

    ords = pd.PeriodIndex(d.astype("datetime64[D]"), freq=period).asi8
    end_ord = pd.Period(end, freq=period).ordinal
    cust_start = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    base = int(ords[cust_start].min())
    n_cols = int(end_ord - base + 1)
    n = len(ids)
    col = ords - base
    flat = c * n_cols + col
    purchases = np.bincount(flat, minlength=n * n_cols).reshape(n, n_cols)
    spend = np.bincount(flat, weights=a, minlength=n * n_cols).reshape(n, n_cols)
    last_day = np.full(n * n_cols, -1, dtype=np.int64)
    # rows are sorted by (customer, day), so the last row of each cell holds its last day
    cell_end = np.r_[flat[1:] != flat[:-1], True]
    last_day[flat[cell_end]] = d[cell_end]

    periods = pd.PeriodIndex.from_ordinals(np.arange(base, end_ord + 1), freq=period)
    p_start = periods.start_time.to_numpy().astype("datetime64[D]").astype(np.int64)
    p_end = periods.end_time.to_numpy().astype("datetime64[D]").astype(np.int64)
    end_day = int(np.datetime64(end.date(), "D").astype(np.int64))
    p_end = np.minimum(p_end, end_day)
    return _Grid(
        ids=np.asarray(ids),
        periods=periods,
        unit=TIME_UNITS[period],
        first_col=col[cust_start],
        first_day=d[cust_start],
        period_start=p_start,
        period_end=p_end,
        purchases=purchases,
        spend=spend,
        last_day=last_day.reshape(n, n_cols),
    )


def _window_counts(cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of a cell quantity over columns lo..hi (inclusive, per column) from its padded cumulative sum."""
    rows = np.arange(cum.shape[0])[:, None]
    return cum[rows, hi[None, :] + 1] - cum[rows, np.maximum(lo, 0)[None, :]]


def _poisson_pvalues(count1, exposure1, count2, exposure2, alternative):
    """One-sided p-values of the score test that rate 1 is larger/smaller than rate 2 (statsmodels)."""
    from statsmodels.stats.rates import test_poisson_2indep

    out = np.ones(count1.shape)
    ok = (exposure1 > 0) & (exposure2 > 0) & ((count1 + count2) > 0)
    if ok.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            res = test_poisson_2indep(
                count1[ok], exposure1[ok], count2[ok], exposure2[ok],
                method="score", alternative=alternative,
            )
        p = np.asarray(res.pvalue, dtype=float)
        out[ok] = np.where(np.isfinite(p), p, 1.0)
    return out


def _signals(grid: _Grid, window: int, th: dict[str, float]) -> dict[str, np.ndarray]:
    """The per-cell signals the rules read (all customer x period arrays).

    The pace of the last k periods (k = 1 .. window) is compared, with a
    one-sided Poisson rate test (statsmodels' score test) at every scale, with
    the k periods just before them (for a rise) and with the ``window``
    periods before them (for a fall, against the customer's established
    level): one busy month can show a change for a frequent buyer, a sparse
    buyer needs the whole window. ``p_rising`` (``p_falling``) is the smallest
    p-value over the scales whose rate ratio reaches ``growth_ratio`` (falls
    below ``decline_ratio``); 1 when none does.
    """
    n, m = grid.purchases.shape
    cols = np.arange(m)
    unit = grid.unit
    repeats = grid.purchases.astype(float)
    repeats[np.arange(n), grid.first_col] -= 1.0  # the acquisition purchase is not a repeat
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(repeats, axis=1)], axis=1)
    cum_days = np.cumsum(grid.purchases, axis=1)

    # Exposure to repeat purchases, in periods: from the day after the first purchase.
    def exposure(lo_col, hi_col):
        lo_day = grid.period_start[np.clip(lo_col, 0, m - 1)]
        hi_day = grid.period_end[np.clip(hi_col, 0, m - 1)]
        start = np.maximum(lo_day[None, :], grid.first_day[:, None] + 1)
        days = hi_day[None, :] - start + 1
        days = np.where((hi_col >= 0)[None, :], days, 0)
        return np.clip(days, 0, None) / unit

    def counts(lo_col, hi_col):
        return np.where((hi_col >= 0)[None, :], _window_counts(cum, lo_col, np.maximum(hi_col, 0)), 0.0)

    p_rising = np.ones((n, m))
    p_falling = np.ones((n, m))
    # scales: one period, a third, two thirds and the whole window (1, 2, 3 months by default)
    scales = sorted({1, window} | {max(1, int(round(window * f))) for f in (1 / 3, 2 / 3)})
    for k in scales:
        c_cur, e_cur = counts(cols - k + 1, cols), exposure(cols - k + 1, cols)
        c_ref, e_ref = counts(cols - k - window + 1, cols - k), exposure(cols - k - window + 1, cols - k)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_cur = np.where(e_cur > 0, c_cur / np.maximum(e_cur, 1.0), np.nan)
            r_ref = np.where(e_ref > 0, c_ref / np.maximum(e_ref, 1.0), np.nan)
            ratio = r_cur / r_ref
            down = ratio < th["decline_ratio"]
        # rises compare with the k periods just before (a plateau shows at once);
        # falls with the customer's level over the whole window before.
        c_adj, e_adj = counts(cols - 2 * k + 1, cols - k), exposure(cols - 2 * k + 1, cols - k)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_adj = np.where(e_adj > 0, c_adj / np.maximum(e_adj, 1.0), np.nan)
            ratio_up = r_cur / r_adj
            up = (ratio_up >= th["growth_ratio"]) | ((r_adj == 0) & (r_cur > 0))
        p_up = _poisson_pvalues(c_cur, e_cur, c_adj, e_adj, "larger")
        p_down = _poisson_pvalues(c_cur, e_cur, c_ref, e_ref, "smaller")
        p_rising = np.where(up, np.minimum(p_rising, p_up), p_rising)
        p_falling = np.where(down, np.minimum(p_falling, p_down), p_falling)
        if k == window:
            count_cur, rate_cur, rate_ref, main_ratio = c_cur, r_cur, r_ref, ratio

    last = np.maximum.accumulate(grid.last_day, axis=1)
    gap = (grid.period_end[None, :] - last) / unit
    with np.errstate(divide="ignore", invalid="ignore"):
        cycle = np.where(cum_days >= 2, (last - grid.first_day[:, None]) / (cum_days - 1) / unit, np.nan)
    return {
        "age": cols[None, :] - grid.first_col[:, None],
        "repeat_purchases": cum[:, 1:],
        "window_purchases": count_cur,
        "window_rate": rate_cur,
        "reference_rate": rate_ref,
        "rate_ratio": main_ratio,
        "p_rising": p_rising,
        "p_falling": p_falling,
        "periods_since_purchase": gap,
        "purchase_cycle": cycle,
    }


def _run_rules(grid: _Grid, sig: dict[str, np.ndarray], th: dict[str, float], p_alive):
    """The stage recursion over periods; returns stage codes and rule codes (customer x period)."""
    n, m = grid.purchases.shape
    per_month = _DAYS_PER_MONTH / grid.unit  # periods per month
    trial = th["trial_months"] * per_month
    min_formation = max(1, int(round(th["formation_months"] * per_month)))
    repeats_needed = int(th["formation_repeats"])

    gap = sig["periods_since_purchase"]
    cycle = sig["purchase_cycle"]
    with np.errstate(invalid="ignore"):
        # Until the customer has formation_repeats repeat purchases its own cycle is not
        # established and the trial window applies; after that, silence is measured in cycles.
        own_cycle = sig["repeat_purchases"] >= repeats_needed
        silent = np.where(own_cycle, (gap > th["gap_factor"] * cycle), gap > trial)
        falling = sig["p_falling"] < th["alpha_fall"]
        rising = sig["p_rising"] < th["alpha_rise"]
    gone = np.zeros((n, m), dtype=bool)
    if p_alive is not None:
        with np.errstate(invalid="ignore"):
            gone = np.nan_to_num(p_alive, nan=1.0) < th["p_alive_min"]
    declining = silent | falling | gone
    has_repeats = sig["repeat_purchases"] >= repeats_needed
    seasoned = has_repeats & (sig["age"] >= th["exploration_months"] * per_month)
    forming = has_repeats & rising
    recovered = (grid.purchases > 0) & rising & ~declining

    stage = np.full((n, m), -1, dtype=np.int8)
    reason = np.full((n, m), _R_NONE, dtype=np.int8)
    in_stage = np.zeros(n, dtype=np.int64)  # periods spent in the current stage
    current = np.full(n, -1, dtype=np.int8)
    for j in range(m):
        prev = grid.first_col < j  # customers with a previous period
        new = current.copy()
        why = np.full(n, _R_NONE, dtype=np.int8)
        dec = declining[:, j]
        why_dec = np.where(silent[:, j], _R_SILENT, np.where(falling[:, j], _R_FALLING, _R_GONE))

        e = prev & (current == _EXPLORATION)
        f = prev & (current == _FORMATION)
        s = prev & (current == _STABILITY)
        d = prev & (current == _DECLINE)
        # decline can follow any stage
        to_dec = (e | f | s) & dec
        new[to_dec], why[to_dec] = _DECLINE, why_dec[to_dec]
        # exploration -> formation: a rising pace with repeat purchases, or a repeat buyer past the trial
        up = e & ~dec & (forming[:, j] | seasoned[:, j])
        new[up] = _FORMATION
        why[up] = np.where(forming[up, j], _R_RISING, _R_SEASONED)
        why[e & ~dec & ~up] = _R_TRIAL
        # formation -> stability: formation has lasted its minimum and the pace no longer rises
        plateau = f & ~dec & (in_stage >= min_formation) & ~rising[:, j]
        new[plateau], why[plateau] = _STABILITY, _R_PLATEAU
        keep = f & ~dec & ~plateau
        why[keep] = np.where(rising[keep, j], _R_RISING, _R_FORMING)
        why[s & ~dec] = _R_STEADY
        # decline -> formation when the customer buys again at a rising pace (never straight to stability)
        back = d & recovered[:, j]
        new[back], why[back] = _FORMATION, _R_RECOVERED
        stay = d & ~back
        why[stay] = np.where(dec[stay], why_dec[stay], _R_STILL_LOW)
        # the first period is exploration
        start = grid.first_col == j
        new[start], why[start] = _EXPLORATION, _R_FIRST

        in_stage = np.where(new != current, 1, in_stage + 1)
        current = new
        stage[:, j] = current
        reason[:, j] = why
    return stage, reason


_R_NONE = -1
#: What decided each stage (the ``reason`` column of :func:`assign_stages`).
REASONS: tuple[str, ...] = (
    "first purchase",  # exploration starts
    "trial",  # exploration continues
    "rising pace",  # into or within formation
    "repeat buyer past the trial",  # exploration -> formation without a clear rise
    "forming",  # formation continues (minimum length not reached, or no plateau yet)
    "plateau",  # formation -> stability
    "steady",  # stability continues
    "silent",  # no purchase for gap_factor cycles (or trial_months before any repeat)
    "pace falling",  # significantly below the customer's own previous level
    "p_alive low",  # probably no longer active
    "recovered",  # decline -> formation
    "still low",  # decline continues
)
(
    _R_FIRST, _R_TRIAL, _R_RISING, _R_SEASONED, _R_FORMING, _R_PLATEAU, _R_STEADY,
    _R_SILENT, _R_FALLING, _R_GONE, _R_RECOVERED, _R_STILL_LOW,
) = range(len(REASONS))


# --------------------------------------------------------------------------
# Public API: stages
# --------------------------------------------------------------------------


def _window_periods(window_months: float, period: str) -> int:
    return max(1, int(round(window_months * _DAYS_PER_MONTH / TIME_UNITS[period])))


def assign_stages(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
    p_alive=None,
    **thresholds,
) -> pd.DataFrame:
    """Assign a lifecycle stage to every customer in every period from its first purchase on.

    Parameters
    ----------
    transactions : DataFrame
        The log: ``customer_id``, ``date`` (datetime64), ``amount``; see
        :func:`analysis.data.load_transactions`. Purchases on the same day are
        one purchase.
    period : {"D", "W", "M", "Q", "Y"}
        Length of a period (pandas period alias). Thresholds are in months and
        converted to periods, so the defaults mean the same in any period.
    observation_end : date-like, optional
        Last day observed; defaults to the last purchase. A last period cut
        short by it is measured over the days observed.
    p_alive : optional
        An extra decline signal, the probability that the customer is still
        active: a Series indexed by (``customer_id``, ``period``), or a Series
        indexed by ``customer_id`` (then it applies to the last period only),
        or ``"bgnbd"`` to fit :class:`analysis.models.BetaGeo` on the whole log
        and evaluate it at the end of every period. None (default) leaves it
        out.
    **thresholds
        Any of :data:`THRESHOLDS` (see :func:`thresholds_table` for defaults
        and reasons): ``window_months`` (3), ``trial_months`` (2),
        ``formation_repeats`` (3), ``exploration_months`` (4),
        ``formation_months`` (4), ``growth_ratio`` (2), ``alpha_rise``
        (0.10), ``decline_ratio`` (0.5), ``alpha_fall`` (0.01),
        ``gap_factor`` (3), ``p_alive_min`` (0.3). The defaults were tuned
        for macro-F1 on :func:`analysis.simulate.simulate_lifecycle` (seed 1)
        and measured on another seed (see ``tests/test_lifecycle.py``).

    Returns
    -------
    DataFrame
        One row per customer and period, sorted: ``customer_id``, ``period``,
        ``age`` (periods since the first purchase), ``purchases`` (purchase
        days in the period), ``spend``, ``repeat_purchases`` (cumulative),
        ``window_purchases`` and ``window_rate`` (repeat purchases in the
        trailing window, and per period), ``reference_rate`` (the rate in the
        window before), ``rate_ratio`` (their ratio), ``p_rising`` and
        ``p_falling`` (the smallest one-sided Poisson test p-value of a rise or
        a fall over the window's scales; 1 when none clears its ratio),
        ``periods_since_purchase`` (at the period's end),
        ``purchase_cycle`` (mean periods between purchases so far),
        ``p_alive`` (when given), ``stage`` (ordered categorical) and
        ``reason`` (the rule that decided it).
    """
    th = _resolve_thresholds(thresholds)
    grid = _build_grid(transactions, period, observation_end)
    window = _window_periods(th["window_months"], period)
    sig = _signals(grid, window, th)
    alive_grid = _p_alive_grid(p_alive, grid, transactions, period)
    stage, reason = _run_rules(grid, sig, th, alive_grid)

    rows, cols = np.nonzero(grid.active)
    out = {
        "customer_id": grid.ids[rows],
        "period": grid.periods[cols],
        "age": sig["age"][rows, cols].astype(np.int64),
        "purchases": grid.purchases[rows, cols].astype(np.int64),
        "spend": grid.spend[rows, cols],
    }
    for name in (
        "repeat_purchases", "window_purchases", "window_rate", "reference_rate", "rate_ratio",
        "p_rising", "p_falling", "periods_since_purchase", "purchase_cycle",
    ):
        out[name] = sig[name][rows, cols]
    out["repeat_purchases"] = out["repeat_purchases"].astype(np.int64)
    out["window_purchases"] = out["window_purchases"].astype(np.int64)
    if alive_grid is not None:
        out["p_alive"] = alive_grid[rows, cols]
    out["stage"] = pd.Categorical.from_codes(stage[rows, cols], categories=list(STAGES), ordered=True)
    out["reason"] = pd.Categorical.from_codes(reason[rows, cols], categories=list(REASONS))
    frame = pd.DataFrame(out)
    frame.attrs["period"] = period
    return frame


def _p_alive_grid(p_alive, grid: _Grid, transactions: pd.DataFrame, period: str):
    """The p_alive signal as a customer x period array (NaN where unknown), or None."""
    if p_alive is None:
        return None
    n, m = grid.purchases.shape
    out = np.full((n, m), np.nan)
    if isinstance(p_alive, str):
        if p_alive.lower() not in ("bgnbd", "betageo", "bg/nbd"):
            raise ValueError(f"p_alive must be a Series, 'bgnbd' or None, got {p_alive!r}")
        return _bgnbd_p_alive(grid, transactions, period)
    if not isinstance(p_alive, pd.Series):
        raise TypeError(
            f"p_alive must be a pandas Series (by customer_id, or by customer_id and period), "
            f"'bgnbd' or None, got {type(p_alive).__name__}"
        )
    values = p_alive.astype(float)
    if isinstance(values.index, pd.MultiIndex):
        cust = values.index.get_level_values(0)
        per = pd.PeriodIndex(values.index.get_level_values(1), freq=period)
        r = pd.Index(grid.ids).get_indexer(cust)
        c = per.asi8 - grid.periods.asi8[0]
        ok = (r >= 0) & (c >= 0) & (c < m)
        out[r[ok], c[ok]] = values.to_numpy()[ok]
    else:
        r = pd.Index(grid.ids).get_indexer(values.index)
        ok = r >= 0
        out[r[ok], m - 1] = values.to_numpy()[ok]
    if np.nanmin(np.r_[out[np.isfinite(out)], 0.0]) < 0 or np.nanmax(np.r_[out[np.isfinite(out)], 0.0]) > 1:
        raise ValueError("p_alive holds values outside [0, 1]; it must be a probability.")
    return out


def _bgnbd_p_alive(grid: _Grid, transactions: pd.DataFrame, period: str) -> np.ndarray:
    """P(alive) of a BG/NBD model fitted on the whole log, evaluated at the end of every period."""
    from .models.beta_geo import BetaGeo
    from .rfm import summarize

    end = pd.Timestamp(np.datetime64(int(grid.period_end[-1]), "D"))
    model = BetaGeo().fit(summarize(transactions, time_unit=period, observation_end=end))
    n, m = grid.purchases.shape
    rows, cols = np.nonzero(grid.active)
    cum_days = np.cumsum(grid.purchases, axis=1)
    last = np.maximum.accumulate(grid.last_day, axis=1)
    first = grid.first_day[rows]
    frame = pd.DataFrame(
        {
            "frequency": (cum_days[rows, cols] - 1).astype(np.int64),
            "recency": (last[rows, cols] - first) / grid.unit,
            "T": (grid.period_end[cols] - first) / grid.unit,
        }
    )
    out = np.full((n, m), np.nan)
    out[rows, cols] = np.asarray(model.p_alive(frame), dtype=float)
    return out


def current_stage(
    stages: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    **kwargs,
) -> pd.DataFrame:
    """The latest stage of every customer.

    Parameters
    ----------
    stages : DataFrame, optional
        Output of :func:`assign_stages`.
    transactions : DataFrame, optional
        A log to classify first (with ``**kwargs`` passed to :func:`assign_stages`)
        when ``stages`` is not given.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``: the last period's row of ``stages``
        (``period``, ``age``, signals, ``stage``, ``reason``).
    """
    if stages is None:
        if transactions is None:
            raise TypeError("current_stage needs stages (from assign_stages) or transactions")
        stages = assign_stages(transactions, **kwargs)
    _require_stages(stages)
    last = stages.groupby("customer_id", sort=True)["period"].transform("max")
    out = stages.loc[stages["period"] == last].set_index("customer_id").sort_index()
    return out


def _require_stages(stages: pd.DataFrame) -> None:
    require_columns(stages, {"customer_id": "customer_id", "period": "period", "stage": "stage"})


def stage_mix(stages: pd.DataFrame, by: str = "period", normalize: bool = True) -> pd.DataFrame:
    """Customers per stage in each period (or by ``age``): shares (default) or counts.

    Returns
    -------
    DataFrame
        Indexed by ``by`` (sorted), one column per stage in the seeds' order.
    """
    _require_stages(stages)
    table = pd.crosstab(stages[by], pd.Categorical(stages["stage"], categories=list(STAGES)), dropna=False)
    table = table.reindex(columns=list(STAGES), fill_value=0)
    table.columns = pd.Index(list(STAGES), name="stage")
    if normalize:
        table = table.div(table.sum(axis=1), axis=0)
    return table.sort_index()


# --------------------------------------------------------------------------
# Accuracy against a known truth
# --------------------------------------------------------------------------


def stage_confusion(truth: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """Confusion matrix of assigned stages against true ones, matched on customer and period.

    Rows are the true stage, columns the assigned one (counts of customer-periods).
    """
    _require_stages(truth)
    _require_stages(assigned)
    merged = truth[["customer_id", "period", "stage"]].merge(
        assigned[["customer_id", "period", "stage"]],
        on=["customer_id", "period"],
        suffixes=("_true", "_assigned"),
        validate="one_to_one",
    )
    if len(merged) == 0:
        raise DataValidationError("truth and assigned stages share no (customer_id, period) rows")
    t = pd.Categorical(merged["stage_true"].astype(str), categories=list(STAGES))
    a = pd.Categorical(merged["stage_assigned"].astype(str), categories=list(STAGES))
    table = pd.crosstab(t, a, dropna=False).reindex(index=list(STAGES), columns=list(STAGES), fill_value=0)
    table.index = pd.Index(list(STAGES), name="true")
    table.columns = pd.Index(list(STAGES), name="assigned")
    return table.astype(np.int64)


def stage_scores(confusion: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall, F1 and support per stage from a confusion matrix, plus the macro average.

    Returns
    -------
    DataFrame
        Indexed by stage and ``"macro"``: ``precision``, ``recall``, ``f1``, ``support``.
    """
    cm = confusion.to_numpy(dtype=float)
    tp = np.diag(cm)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(cm.sum(axis=0) > 0, tp / cm.sum(axis=0), 0.0)
        recall = np.where(cm.sum(axis=1) > 0, tp / cm.sum(axis=1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    out = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": cm.sum(axis=1).astype(np.int64)},
        index=pd.Index(list(confusion.index), name="stage"),
    )
    out.loc["macro"] = [precision.mean(), recall.mean(), f1.mean(), int(cm.sum())]
    out["support"] = out["support"].astype(np.int64)
    return out


def simulation_accuracy(
    vary: str | None = None,
    values=(None,),
    n_customers: int = 2000,
    n_periods: int = 24,
    seed: int = 2,
    simulator: Mapping | None = None,
    period: str = "M",
    **thresholds,
) -> pd.DataFrame:
    """F1 per stage and macro-F1 of :func:`assign_stages` on simulated logs, varying one simulator setting.

    Parameters
    ----------
    vary : str, optional
        A parameter of :func:`analysis.simulate.simulate_lifecycle` to vary
        (e.g. ``"peak_rate_mean"``); None measures the default simulator once.
    values : sequence
        Values of ``vary``.
    n_customers, n_periods, seed : int
        Size and seed of each simulated log (the same seed for every value).
    simulator : dict, optional
        Further simulator settings held fixed.
    period : str
        Period of the simulator and the classifier.
    **thresholds
        Passed to :func:`assign_stages`.

    Returns
    -------
    DataFrame
        One row per value: ``f1_<stage>`` and ``macro_f1`` (index: the values,
        named after ``vary``; ``"default"`` when nothing varies).
    """
    from .simulate.lifecycle import simulate_lifecycle

    simulator = dict(simulator or {})
    rows, index = [], []
    for value in values:
        settings = dict(simulator)
        if vary is not None:
            settings[vary] = value
        sim = simulate_lifecycle(n_customers, n_periods, seed=seed, period=period, **settings)
        assigned = assign_stages(sim.transactions, period=period, **thresholds)
        scores = stage_scores(stage_confusion(sim.stages, assigned))["f1"]
        rows.append({**{f"f1_{s}": float(scores[s]) for s in STAGES}, "macro_f1": float(scores["macro"])})
        index.append("default" if vary is None else value)
    return pd.DataFrame(rows, index=pd.Index(index, name=vary or "simulator"))


def tune_thresholds(
    transactions: pd.DataFrame,
    truth: pd.DataFrame,
    grid: Mapping[str, list] | None = None,
    period: str = "M",
    passes: int = 2,
    **start,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Coordinate search for the thresholds that maximise macro-F1 against known stages.

    Meant for a simulated log (:func:`analysis.simulate.simulate_lifecycle`):
    tune on one seed, then measure on another.

    Parameters
    ----------
    transactions : DataFrame
        The log to classify.
    truth : DataFrame
        True stages: ``customer_id``, ``period``, ``stage``.
    grid : dict, optional
        Candidate values per threshold; by default each threshold at 0.5x,
        0.75x, 1x, 1.5x and 2x its default (probabilities capped at 1,
        ``formation_repeats`` at 1..4).
    period : str
        Passed to :func:`assign_stages`.
    passes : int
        Rounds over all thresholds.
    **start
        Starting values (the defaults otherwise).

    Returns
    -------
    (dict, DataFrame)
        The best thresholds found, and every evaluation: ``pass``,
        ``threshold``, ``value``, ``macro_f1`` (in search order).
    """
    current = _resolve_thresholds(start)
    if grid is None:
        grid = {}
        for name, t in THRESHOLDS.items():
            if name == "p_alive_min":
                continue
            if name in _INTEGER_THRESHOLDS:
                grid[name] = [1, 2, 3, 4]
            else:
                values = [t.default * f for f in (0.5, 0.75, 1.0, 1.5, 2.0)]
                if t.unit == "probability":
                    values = [min(v, 1.0) for v in values]
                grid[name] = sorted(set(values))

    def score(values):
        stages = assign_stages(transactions, period=period, **values)
        return float(stage_scores(stage_confusion(truth, stages)).loc["macro", "f1"])

    best = score(current)
    rows = [(0, "start", np.nan, best)]
    for p in range(1, int(passes) + 1):
        for name, candidates in grid.items():
            for value in candidates:
                if value == current[name]:
                    continue
                trial = dict(current, **{name: value})
                f1 = score(trial)
                rows.append((p, name, float(value), f1))
                if f1 > best + 1e-12:
                    best, current = f1, trial
    history = pd.DataFrame(rows, columns=["pass", "threshold", "value", "macro_f1"])
    return current, history


# --------------------------------------------------------------------------
# The stage Markov chain: transitions, projected mix, stage-based CLV
# --------------------------------------------------------------------------


def _stages_period(stages: pd.DataFrame, period: str | None) -> str:
    """The period alias of a stages frame (given, from assign_stages' attrs, or from the Period dtype)."""
    if period is not None:
        return _check_period(period)
    if stages.attrs.get("period") in TIME_UNITS:
        return stages.attrs["period"]
    dtype = stages["period"].dtype
    freq = getattr(dtype, "freq", None)
    if freq is not None:
        code = freq.freqstr.upper()
        for alias in ("M", "W", "Q", "D"):
            if code.startswith(alias):
                return alias
        if code.startswith(("Y", "A")):
            return "Y"
    raise ValueError("cannot tell the length of a period from the stages frame; pass period=")


def _pairs(stages: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Stage codes of consecutive periods of the same customer (from, to)."""
    _require_stages(stages)
    frame = stages[["customer_id", "period", "stage"]].sort_values(["customer_id", "period"], kind="stable")
    cust, _ = pd.factorize(frame["customer_id"])
    per = pd.PeriodIndex(frame["period"]).asi8
    code = pd.Categorical(frame["stage"].astype(str), categories=list(STAGES)).codes
    if (code < 0).any():
        bad = sorted(set(frame["stage"].astype(str)[code < 0]))
        raise DataValidationError(f"column 'stage' holds unknown stage(s) {bad}; stages are {list(STAGES)}")
    same = (cust[1:] == cust[:-1]) & (per[1:] - per[:-1] == 1)
    return code[:-1][same], code[1:][same]


def transition_counts(stages: pd.DataFrame) -> pd.DataFrame:
    """Counts of period-to-period stage transitions (rows: from, columns: to).

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`assign_stages` (``customer_id``, ``period``, ``stage``);
        only consecutive periods of the same customer count.

    Returns
    -------
    DataFrame
        4 x 4 integer counts, stages in the seeds' order.
    """
    a, b = _pairs(stages)
    counts = np.bincount(a * 4 + b, minlength=16).reshape(4, 4)
    return pd.DataFrame(
        counts.astype(np.int64),
        index=pd.Index(list(STAGES), name="from"),
        columns=pd.Index(list(STAGES), name="to"),
    )


def transition_matrix(stages: pd.DataFrame) -> pd.DataFrame:
    """Period-to-period stage transition probabilities: the lifecycle as a Markov chain.

    Row i holds the share of customer-periods in stage i that are in each
    stage one period later (counts from :func:`transition_counts`). A stage
    never observed with a following period gets a row that stays put (an
    absorbing row), with a warning, so every row sums to 1.

    Returns
    -------
    DataFrame
        4 x 4, index ``from``, columns ``to``; rows sum to 1.
    """
    counts = transition_counts(stages)
    totals = counts.sum(axis=1)
    probs = counts.div(totals.where(totals > 0), axis=0)
    empty = totals.index[totals == 0].tolist()
    if empty:
        import warnings

        warnings.warn(
            f"no observed transitions out of stage(s) {empty}: their rows are set to stay put "
            "(absorbing) so the matrix is a Markov chain.",
            UserWarning,
            stacklevel=2,
        )
        for stage in empty:
            probs.loc[stage] = 0.0
            probs.loc[stage, stage] = 1.0
    return probs.astype(float)


def project_stage_mix(P: pd.DataFrame, start, periods: int) -> pd.DataFrame:
    """Project the stage mix ``periods`` periods ahead with the transition matrix.

    Parameters
    ----------
    P : DataFrame
        Transition matrix from :func:`transition_matrix` (rows sum to 1).
    start : Series or DataFrame
        The mix now: a Series of counts or shares per stage, or a stages frame
        (then the latest stage of each customer is counted).
    periods : int
        Number of periods to project.

    Returns
    -------
    DataFrame
        Index ``step`` 0..periods (0 = now), one column per stage: shares.
    """
    from .clv import project_shares

    if isinstance(start, pd.DataFrame):
        start = current_stage(start)["stage"].astype(str).value_counts()
    start = pd.Series(start, dtype=float).reindex(list(P.index), fill_value=0.0)
    if (start < 0).any() or start.sum() <= 0:
        raise ValueError(f"start must hold non-negative counts or shares per stage, got {start.to_dict()}")
    if int(periods) != periods or periods < 0:
        raise ValueError(f"periods must be a non-negative whole number, got {periods!r}")
    mix = project_shares(start / start.sum(), P, int(periods))
    mix.index.name = "step"
    mix.columns = pd.Index(list(P.columns), name="stage")
    return mix


def stage_rewards(
    stages: pd.DataFrame,
    margin: float = 0.3,
    cost_per_purchase: float = 0.0,
) -> pd.DataFrame:
    """Mean purchases, revenue and profit per customer-period in each stage.

    Profit is ``margin x revenue - cost_per_purchase x purchases``: the log has
    no costs (CDNOW has none), so the margin and the cost per purchase are
    assumptions the caller states.

    Returns
    -------
    DataFrame
        Indexed by stage: ``customer_periods``, ``purchases``, ``revenue``,
        ``profit`` (means per customer-period).
    """
    require_columns(stages, {"stage": "stage", "purchases": "purchases", "spend": "spend"})
    profit = margin * stages["spend"] - cost_per_purchase * stages["purchases"]
    frame = pd.DataFrame(
        {
            "stage": pd.Categorical(stages["stage"].astype(str), categories=list(STAGES)),
            "purchases": stages["purchases"].astype(float),
            "revenue": stages["spend"].astype(float),
            "profit": profit.astype(float),
        }
    )
    grouped = frame.groupby("stage", observed=False)
    out = grouped[["purchases", "revenue", "profit"]].mean()
    out.insert(0, "customer_periods", grouped.size().astype(np.int64))
    out = out.reindex(list(STAGES))
    out.index.name = "stage"
    return out.fillna(0.0)


def stage_clv(
    stages: pd.DataFrame,
    margin: float = 0.3,
    cost_per_purchase: float = 0.0,
    annual_discount_rate: float = 0.10,
    horizon_years: float = 3.0,
    period: str | None = None,
    P: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Stage-based CLV: the discounted profit of the next ``horizon_years`` by current stage.

    The stage transition matrix is the Markov chain and each stage's mean
    profit per customer-period is its reward (Pfeifer-Carraway, through
    :func:`analysis.clv.markov_clv`). The current period is not counted (its
    profit is already earned); the periods 1..H of the horizon are, each
    discounted at the per-period rate equivalent to ``annual_discount_rate``.

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`assign_stages`.
    margin, cost_per_purchase : float
        Profit = margin x revenue - cost per purchase x purchases (assumptions:
        the log carries no costs).
    annual_discount_rate : float
        Yearly discount rate (the firm's cost of capital; 10% by default).
    horizon_years : float
        Horizon in years (3 by default: the seeds' practice).
    period : str, optional
        Length of a period; read from ``stages`` when omitted.
    P : DataFrame, optional
        A transition matrix to use instead of the one estimated from ``stages``.

    Returns
    -------
    DataFrame
        Indexed by stage: ``customers`` (now in the stage), ``reward`` (mean
        profit per period), ``clv`` (expected discounted profit over the
        horizon for a customer now in the stage) and ``total_clv``
        (customers x clv).
    """
    from .clv import markov_clv

    period = _stages_period(stages, period)
    per_year = 365.25 / TIME_UNITS[period]
    discount = (1.0 + annual_discount_rate) ** (1.0 / per_year) - 1.0
    horizon = int(round(horizon_years * per_year))
    if P is None:
        P = transition_matrix(stages)
    rewards = stage_rewards(stages, margin=margin, cost_per_purchase=cost_per_purchase)["profit"]
    clv = markov_clv(P, rewards, discount, horizon=horizon, first_period=1)
    now = current_stage(stages)["stage"].astype(str).value_counts().reindex(list(STAGES), fill_value=0)
    out = pd.DataFrame(
        {
            "customers": now.to_numpy().astype(np.int64),
            "reward": rewards.reindex(list(STAGES)).to_numpy(),
            "clv": pd.Series(clv).reindex(list(STAGES)).to_numpy(),
        },
        index=pd.Index(list(STAGES), name="stage"),
    )
    out["total_clv"] = out["customers"] * out["clv"]
    return out


# --------------------------------------------------------------------------
# The lifecycle curve
# --------------------------------------------------------------------------


def lifecycle_curve(
    transactions: pd.DataFrame | None = None,
    period: str = "M",
    margin: float = 0.3,
    cost_per_purchase: float = 0.0,
    stages: pd.DataFrame | None = None,
    align: str = "age",
    max_periods: int = 6,
    min_customer_periods: int = 30,
    **thresholds,
) -> pd.DataFrame:
    """Mean purchases, revenue and profit per customer along the relationship, with stage shares.

    Parameters
    ----------
    transactions : DataFrame, optional
        The log; classified with :func:`assign_stages` (``period``,
        ``**thresholds``) unless ``stages`` is given.
    period : str
        Length of a period.
    margin, cost_per_purchase : float
        Profit = margin x revenue - cost per purchase x purchases. CDNOW has no
        cost data: these are stated assumptions, not measurements.
    stages : DataFrame, optional
        Output of :func:`assign_stages`, to reuse.
    align : {"age", "stage"}
        ``"age"``: by relationship age (periods since the first purchase),
        over all customers observed at that age, with the share of each stage.
        ``"stage"``: the relationship as the seeds draw it -- customer-periods
        aligned on the period they entered each stage (0, 1, ... up to
        ``max_periods - 1`` periods into the stage, the last bucket holding
        the rest), stages in order, so the curve reads exploration, formation,
        stability, decline.
    max_periods : int
        With ``align="stage"``: periods shown per stage.
    min_customer_periods : int
        With ``align="stage"``: points resting on fewer customer-periods are
        left out (too noisy to draw).

    Returns
    -------
    DataFrame
        ``align="age"``: index ``age``; ``customers``, ``purchases``,
        ``revenue``, ``profit`` (means per customer) and ``share_<stage>``.
        ``align="stage"``: columns ``stage``, ``periods_in_stage``, ``label``
        (``"5+"`` for the last bucket), ``customer_periods``, ``purchases``,
        ``revenue``, ``profit``, in the order of the curve.
    """
    if stages is None:
        if transactions is None:
            raise TypeError("lifecycle_curve needs transactions or stages")
        stages = assign_stages(transactions, period=period, **thresholds)
    require_columns(
        stages,
        {"customer_id": "customer_id", "period": "period", "age": "age", "stage": "stage",
         "purchases": "purchases", "spend": "spend"},
    )
    frame = pd.DataFrame(
        {
            "customer_id": stages["customer_id"].to_numpy(),
            "period": stages["period"].to_numpy(),
            "age": stages["age"].to_numpy(),
            "stage": pd.Categorical(stages["stage"].astype(str), categories=list(STAGES)),
            "purchases": stages["purchases"].to_numpy(dtype=float),
            "revenue": stages["spend"].to_numpy(dtype=float),
        }
    )
    frame["profit"] = margin * frame["revenue"] - cost_per_purchase * frame["purchases"]
    values = ["purchases", "revenue", "profit"]
    if align == "age":
        grouped = frame.groupby("age", sort=True)
        out = grouped[values].mean()
        out.insert(0, "customers", grouped.size().astype(np.int64))
        shares = pd.crosstab(frame["age"], frame["stage"], normalize="index", dropna=False)
        shares = shares.reindex(columns=list(STAGES), fill_value=0.0)
        for stage in STAGES:
            out[f"share_{stage}"] = shares[stage].reindex(out.index).fillna(0.0).to_numpy()
        return out
    if align == "stage":
        frame = frame.sort_values(["customer_id", "period"], kind="stable")
        change = (frame["stage"] != frame.groupby("customer_id")["stage"].shift()).to_numpy()
        spell = np.cumsum(change)
        position = frame.groupby(spell).cumcount().to_numpy()
        frame["periods_in_stage"] = np.minimum(position, int(max_periods) - 1)
        grouped = frame.groupby(["stage", "periods_in_stage"], observed=True, sort=True)
        out = grouped[values].mean()
        out.insert(0, "customer_periods", grouped.size().astype(np.int64))
        out = out.reset_index()
        out = out.loc[out["customer_periods"] >= min_customer_periods].reset_index(drop=True)
        last = int(max_periods) - 1
        out.insert(
            2, "label",
            [f"{k}+" if k == last else str(k) for k in out["periods_in_stage"].astype(int)],
        )
        return out
    raise ValueError(f"align must be 'age' or 'stage', got {align!r}")


# --------------------------------------------------------------------------
# Cohort views
# --------------------------------------------------------------------------


def cohort_retention(
    transactions: pd.DataFrame,
    period: str = "M",
    cohort: str | None = None,
    observation_end=None,
) -> pd.DataFrame:
    """Share of each first-purchase cohort that buys in each period of relationship age.

    Parameters
    ----------
    transactions : DataFrame
        The log.
    period : str
        Length of an age step (periods since the first purchase's period).
    cohort : str, optional
        Length of a cohort (pandas period alias, e.g. ``"M"``, ``"W"``,
        ``"Q"``); defaults to ``period``.
    observation_end : date-like, optional
        Last day observed; ages after it are missing (NaN), not zero.

    Returns
    -------
    DataFrame
        Index ``cohort`` (sorted), column ``customers`` (cohort size) and one
        column per age 0, 1, ... holding the share of the cohort's customers
        with a purchase in that period (age 0 is 1 by construction).
    """
    cohort = period if cohort is None else cohort
    grid = _build_grid(transactions, period, observation_end)
    n, m = grid.purchases.shape
    first_dates = pd.to_datetime(grid.first_day.astype("datetime64[D]"))
    cohorts = pd.PeriodIndex(first_dates, freq=cohort)
    rows, cols = np.nonzero(grid.active)
    ages = cols - grid.first_col[rows]
    bought = (grid.purchases[rows, cols] > 0).astype(float)
    frame = pd.DataFrame({"cohort": cohorts[rows], "age": ages, "bought": bought})
    table = frame.pivot_table(index="cohort", columns="age", values="bought", aggfunc="mean", sort=True)
    # a cohort whose members are not all observed at an age is shown only over the observed ones
    sizes = pd.Series(cohorts).value_counts().sort_index()
    table.columns = pd.Index([int(c) for c in table.columns], name="age")
    table.insert(0, "customers", sizes.reindex(table.index).astype(np.int64).to_numpy())
    return table


def _relationship_durations(stages: pd.DataFrame) -> pd.DataFrame:
    """Per customer: periods until the first decline (event) or until observation ends (censored)."""
    _require_stages(stages)
    frame = stages[["customer_id", "period", "stage"]].sort_values(["customer_id", "period"], kind="stable")
    cust, ids = pd.factorize(frame["customer_id"])
    per = pd.PeriodIndex(frame["period"]).asi8
    first = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first, cust, per)
    last = np.full(len(ids), np.iinfo(np.int64).min)
    np.maximum.at(last, cust, per)
    is_dec = frame["stage"].astype(str).to_numpy() == "decline"
    first_dec = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first_dec, cust[is_dec], per[is_dec])
    event = first_dec != np.iinfo(np.int64).max
    duration = np.where(event, first_dec - first, last - first + 1)
    return pd.DataFrame(
        {"duration": duration.astype(float), "event": event.astype(int), "first_period": first},
        index=pd.Index(ids, name="customer_id"),
    )


def _groups(durations: pd.DataFrame, stages: pd.DataFrame, by) -> pd.Series:
    if by is None:
        return pd.Series("all", index=durations.index, name="group")
    if isinstance(by, str) and by == "cohort":
        freq = stages["period"].dtype.freq
        labels = pd.PeriodIndex.from_ordinals(durations["first_period"].to_numpy(), freq=freq)
        return pd.Series(labels.astype(str), index=durations.index, name="group")
    if isinstance(by, pd.Series):
        groups = by.reindex(durations.index)
        if groups.isna().any():
            missing = groups.index[groups.isna()][:5].tolist()
            raise DataValidationError(
                f"by: {int(groups.isna().sum())} customer(s) have no group (e.g. {missing}); "
                "give a group for every customer in stages."
            )
        return groups.astype(str).rename("group")
    raise TypeError("by must be None, 'cohort' or a Series of groups indexed by customer_id")


def relationship_survival(stages: pd.DataFrame, by=None) -> pd.DataFrame:
    """Kaplan-Meier survival of relationships: the share not yet in decline after t periods.

    A relationship's duration is the number of periods from the first purchase
    to its first period in decline (the event); relationships never in decline
    are censored at the end of observation. Estimated with statsmodels'
    ``SurvfuncRight``.

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`assign_stages`.
    by : None, "cohort" or Series
        Groups: none, the first-purchase period, or a Series of segments
        indexed by ``customer_id``.

    Returns
    -------
    DataFrame
        Columns ``group``, ``time`` (periods; 0 added with survival 1),
        ``survival``, ``lower`` and ``upper`` (pointwise 95% interval),
        ``at_risk``, ``events``; sorted by group and time.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    durations = _relationship_durations(stages)
    groups = _groups(durations, stages, by)
    parts = []
    for name in sorted(groups.unique()):
        sub = durations.loc[groups == name]
        sf = SurvfuncRight(sub["duration"].to_numpy(), sub["event"].to_numpy())
        se = np.nan_to_num(sf.surv_prob_se)
        part = pd.DataFrame(
            {
                "group": name,
                "time": np.r_[0.0, sf.surv_times],
                "survival": np.r_[1.0, sf.surv_prob],
                "lower": np.r_[1.0, np.clip(sf.surv_prob - 1.96 * se, 0, 1)],
                "upper": np.r_[1.0, np.clip(sf.surv_prob + 1.96 * se, 0, 1)],
                "at_risk": np.r_[len(sub), sf.n_risk].astype(np.int64),
                "events": np.r_[0, sf.n_events].astype(np.int64),
            }
        )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def survival_logrank(stages: pd.DataFrame, by="cohort") -> pd.Series:
    """Log-rank test that relationship survival is the same in every group (statsmodels ``survdiff``).

    Returns
    -------
    Series
        ``statistic`` (chi-square), ``df``, ``pvalue``, ``groups``.
    """
    from statsmodels.duration.survfunc import survdiff

    durations = _relationship_durations(stages)
    groups = _groups(durations, stages, by)
    k = groups.nunique()
    if k < 2:
        raise ValueError("the log-rank test needs at least two groups")
    stat, pvalue = survdiff(
        durations["duration"].to_numpy(), durations["event"].to_numpy(), groups.to_numpy()
    )
    return pd.Series(
        {"statistic": float(stat), "df": int(k - 1), "pvalue": float(pvalue), "groups": int(k)}
    )


# --------------------------------------------------------------------------
# Sensitivity of the stage mix to the thresholds
# --------------------------------------------------------------------------


def _moved(name: str, value: float, factor: float) -> float:
    moved = value * factor
    if name in _INTEGER_THRESHOLDS:
        # whole numbers move by at least one step
        moved = np.floor(moved) if factor < 1 else np.ceil(moved)
        if moved == value:
            moved = value - 1 if factor < 1 else value + 1
        return float(max(moved, 1))
    if THRESHOLDS[name].unit == "probability":
        return float(min(moved, 1.0))
    return float(moved)


def threshold_sensitivity(
    transactions: pd.DataFrame,
    period: str = "M",
    change: float = 0.25,
    names: list[str] | None = None,
    truth: pd.DataFrame | None = None,
    observation_end=None,
    **base,
) -> pd.DataFrame:
    """How the stage mix moves when each threshold moves by +-``change`` (one at a time).

    Parameters
    ----------
    transactions : DataFrame
        The log.
    period : str
        Passed to :func:`assign_stages`.
    change : float
        Relative move (0.25: -25% and +25%). Whole-number thresholds move by at
        least one; probabilities are capped at 1.
    names : list of str, optional
        Thresholds to move; all but ``p_alive_min`` by default (it only acts
        with a p_alive signal).
    truth : DataFrame, optional
        True stages (simulated logs): adds the macro-F1 of every variant.
    observation_end : date-like, optional
        Passed to :func:`assign_stages`.
    **base
        Thresholds of the baseline (the defaults otherwise).

    Returns
    -------
    DataFrame
        One row for the baseline and two per threshold: ``threshold``,
        ``change`` (e.g. "-25%"), ``value``, the current-stage shares
        ``exploration`` .. ``decline`` (share of customers by latest stage),
        their change from the baseline in percentage points (``d_<stage>``),
        and ``macro_f1`` when ``truth`` is given.
    """
    base_values = _resolve_thresholds(base)
    names = [n for n in THRESHOLDS if n != "p_alive_min"] if names is None else list(names)
    unknown = sorted(set(names) - set(THRESHOLDS))
    if unknown:
        raise TypeError(f"unknown threshold(s) {unknown}; the thresholds are {sorted(THRESHOLDS)}")

    def run(values):
        stages = assign_stages(transactions, period=period, observation_end=observation_end, **values)
        mix = current_stage(stages)["stage"].astype(str).value_counts(normalize=True)
        row = {s: float(mix.get(s, 0.0)) for s in STAGES}
        if truth is not None:
            row["macro_f1"] = float(stage_scores(stage_confusion(truth, stages)).loc["macro", "f1"])
        return row

    rows = [dict(threshold="(defaults)", change="0%", value=np.nan, **run(base_values))]
    for name in names:
        for sign in (-1, 1):
            value = _moved(name, base_values[name], 1 + sign * change)
            label = f"{'+' if sign > 0 else '-'}{change:.0%}"
            shares = run(dict(base_values, **{name: value}))
            rows.append(dict(threshold=name, change=label, value=value, **shares))
    out = pd.DataFrame(rows)
    for stage in STAGES:
        out[f"d_{stage}"] = 100.0 * (out[stage] - out.loc[0, stage])
    return out
