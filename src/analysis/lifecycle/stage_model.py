"""A lifecycle hidden Markov model with a per-customer rate: the model behind the stage views.

The rules of :mod:`analysis.lifecycle.stages` read a stage from tests on the
recent pace, so they lag a period at each boundary and need several
purchases to see anything. This module reads the same four stages from a
hidden Markov model whose latent states *are* the lifecycle
(``docs/domain.md#stages``), each with a purchase rate relative to the
customer's own peak rate ``lam``:

- **exploration**: a trial at ``trial_ratio x lam`` (a trial buys little).
  In hindsight it has a clock of one state per month of the trial, so that
  its length has the seeds' shape: a typical length (``1 + Poisson(
  exploration_months - 1)`` months, the chance of ending rising month by
  month) and an end by ``exploration_max_months``; in real time it is one
  memoryless state (see *Why a clock* below);
- **formation**: ``formation_levels`` states whose rates climb geometrically
  from the trial level to the peak (fast growth); the chain moves up a level
  a month on average, may stay or skip one, so a ramp of
  ``formation_months`` can run faster or slower;
- **stability**: one state at ``lam`` (the plateau);
- **decline**: ``decline_levels`` states at ``lam / 2**k`` (the rate halves
  every ``halving_months``), entered just below the rate the customer had,
  and a *stopped* state at almost nothing (share ``p_stop`` of declines); a
  declined customer may come back into formation (``p_recover`` a month).

Every transition respects the seeds' order: no upward skip (exploration
reaches stability only through formation), decline from any stage. Counts
are Poisson with mean ``exposure x rate``.

**Heterogeneity.** The peak rate ``lam`` is the customer's own: it lies on a
grid of ``rate_points`` values (``rate_min`` .. ``rate_max`` purchases a
month), and the model is the mixture over the grid, so a customer's stage
posterior weighs every rate its purchases allow, rather than a population
rate. The mixing weights are *pooled* from all customers (empirical Bayes:
``pool_iterations`` closed-form EM steps on the grid weights from a flat
start, on at most ``pool_sample`` customers), which is what helps a sparse
buyer: with two purchases a year its own rate is uncertain, and the
population says which rates are common.

**Why a clock, and a bound on the peak, in hindsight.** With a memoryless
trial and a grid up to 40 a month, a steady buyer at ``r`` a month was
explained as well by a long exploration at a quarter of a peak ``4r`` as by
stability at ``r`` (which the ordered chain reaches only through a climb):
on CDNOW the customer with the most purchase days (8-15 a month) explored
all 17 months, and the stage-aligned curve's exploration 4 and 5+ months in
ran at 1.2-1.9 purchases a month, above stability (0.4-0.5). The hindsight
view now gives the trial the seeds' typical length (the clock; the
simulator's trial passes six months once in 60) and bounds the peak by
``peak_ratio`` (2) x the customer's highest monthly rate, so a trial needs a
later rise the history shows. On fresh seeds 11-13 its macro-F1 gains
0.003-0.011 in every setting and rate band (0.871 -> 0.880 by default). The
real-time view (:meth:`StageModel.for_view`) cannot know the later rates,
and the clock cost it 0.017 when formation is three times faster than the
model's (0.724 -> 0.707): it keeps the chain it had. The clock adds 5 states.

Every computation is closed-form and deterministic: forward (filter) and
backward (smoother) passes over fixed parameters, vectorised over
customers, on the hidden Markov core of :mod:`analysis.lifecycle.hmm_core`
(each distinct history, and each distinct beginning and end of one, is
computed once). :func:`stage_probabilities` gives, per customer and
period, the stage probabilities given the history to date (``filtered``)
and given the whole observed history (``smoothed``); :func:`decode_hindsight`
and :func:`decode_realtime` turn them into stage paths that keep the order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import poisson

from ..panel import PurchaseDays, distinct_sequences, repeat_counts
from ..threads import each_block, one_blas_thread, release_freed_memory
from ..units import DAYS_PER_MONTH
from ._common import DECLINE, EXPLORATION, FORMATION, STABILITY
from .hmm_core import (
    PoissonTable,
    backward_pass,
    distinct_pairs,
    distinct_rows,
    forward_pass,
    normalised,
    shared_prefixes,
    shared_suffixes,
    viterbi_path,
)

__all__ = [
    "StageModel",
    "ALLOWED_MOVES",
    "stage_probabilities",
    "decode_hindsight",
    "decode_realtime",
    "model_stage_codes",
]


@dataclass(frozen=True)
class StageModel:
    """The settings of the lifecycle model (durations in months, rates in purchases a month).

    The defaults are the lifecycle that the default
    :func:`analysis.simulate.simulate_lifecycle` draws (its documented
    settings, checked on its seed 1 only); the evaluation on fresh seeds and
    on other simulator settings is in :mod:`analysis.lifecycle.accuracy`.

    Attributes
    ----------
    trial_ratio : float
        Rate in exploration as a share of the customer's peak (0.25: a trial
        buys at about a quarter of the later plateau).
    exploration_months : float
        Mean length of exploration (3: a trial of about a quarter; with the
        clock at least 1, the trial lasting ``1 + Poisson(mean - 1)`` months).
    exploration_max_months : int or None
        Months by which every trial has ended: a clock of one state a month
        (6: the simulator's trials pass six months once in 60). None: one
        memoryless state (the real-time view's, :meth:`for_view`).
    p_trial_fails : float
        Share of trials that end in decline rather than formation (0.4).
    formation_months : float
        Typical length of the climb from trial to peak (6 months).
    formation_levels : int
        Rate levels of the climb (6: one a month at the typical pace).
    formation_hazard : float
        Chance per month that formation breaks off into decline (0.05).
    stability_months : float
        Mean length of the plateau (12 months).
    halving_months : float
        Months for the rate to halve in decline (1).
    p_stop : float
        Share of declines that stop buying at once (0.3).
    decline_levels : int
        Halvings tracked before the rate counts as nothing (6).
    p_recover : float
        Chance per month that a declined customer comes back into formation
        (0.005: rare, but it keeps a late purchase from rewriting the past).
    peak_ratio : float
        In hindsight, the peak is at most this many times the customer's
        highest monthly rate (2; 0 lifts the bound; see :func:`_peak_bounded`).
    rate_min, rate_max : float
        Range of the grid of peak rates (0.05 to 40 purchases a month).
    rate_points : int
        Points of the grid (16, log-spaced: about 1.6x apart).
    pool_iterations : int
        EM steps on the grid weights from a flat start (2; 0 keeps the flat,
        log-uniform prior).
    pool_sample : int
        Customers the pooling reads at most (an evenly spaced subset; 20,000).
    """

    trial_ratio: float = 0.25
    exploration_months: float = 3.0
    exploration_max_months: int | None = 6
    p_trial_fails: float = 0.4
    formation_months: float = 6.0
    formation_levels: int = 6
    formation_hazard: float = 0.05
    stability_months: float = 12.0
    halving_months: float = 1.0
    p_stop: float = 0.3
    decline_levels: int = 6
    p_recover: float = 0.005
    peak_ratio: float = 2.0
    rate_min: float = 0.05
    rate_max: float = 40.0
    rate_points: int = 16
    pool_iterations: int = 2
    pool_sample: int = 20_000

    def __post_init__(self):
        for name in ("trial_ratio", "p_trial_fails", "formation_hazard", "p_stop", "p_recover"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"StageModel.{name} must lie in [0, 1), got {value}")
        if not 0 < self.trial_ratio:
            raise ValueError("StageModel.trial_ratio must be positive")
        for name in (
            "exploration_months",
            "formation_months",
            "stability_months",
            "halving_months",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"StageModel.{name} must be positive, got {getattr(self, name)}")
        for name in ("formation_levels", "decline_levels", "rate_points", "pool_sample"):
            value = getattr(self, name)
            if value != int(value) or value < 1:
                raise ValueError(f"StageModel.{name} must be a whole number >= 1, got {value}")
        if self.pool_iterations != int(self.pool_iterations) or self.pool_iterations < 0:
            raise ValueError(f"StageModel.pool_iterations must be >= 0, got {self.pool_iterations}")
        clock = self.exploration_max_months
        if clock is not None and (clock != int(clock) or clock < 1 or self.exploration_months < 1):
            raise ValueError(
                "StageModel.exploration_max_months must be None, or >= 1 with exploration_months"
                f" >= 1; got {clock} and {self.exploration_months}"
            )
        if self.peak_ratio != 0 and not self.peak_ratio >= 1:
            raise ValueError(f"StageModel.peak_ratio must be 0 or >= 1, got {self.peak_ratio}")
        if not 0 < self.rate_min < self.rate_max:
            raise ValueError("StageModel needs 0 < rate_min < rate_max")

    # -- the chain, in periods of a given length ---------------------------------------

    def exploration_hazard(self) -> np.ndarray:
        """Chance of ending exploration in each month of the trial (one per state), given it lasted.

        ``1 + Poisson(exploration_months - 1)`` months cut at ``exploration_max_months``:
        0.14, 0.31, 0.46, 0.56, 0.63, 1 by default; memoryless, ``1 / exploration_months``.
        """
        if self.exploration_max_months is None:  # memoryless: the same chance every month
            return np.array([1.0 / self.exploration_months])
        months = np.arange(int(self.exploration_max_months))
        mu = self.exploration_months - 1.0
        pmf, survival = poisson.pmf(months, mu), poisson.sf(months - 1, mu)
        hazard = np.clip(pmf / np.maximum(survival, 1e-300), 0.0, 1.0)
        hazard[-1] = 1.0
        return hazard

    def exploration_phases(self) -> int:
        """Latent states of exploration: one a month of the clock, or one (memoryless)."""
        return int(self.exploration_max_months or 1)

    def for_view(self, view: str) -> StageModel:
        """The settings a view reads with: real time keeps the memoryless trial, the whole grid."""
        if view == "hindsight":
            return self
        return replace(self, exploration_max_months=None, peak_ratio=0.0)

    def states(self) -> tuple[np.ndarray, np.ndarray]:
        """Relative rate (share of the peak) and stage code of every latent state."""
        p, j, k = self.exploration_phases(), int(self.formation_levels), int(self.decline_levels)
        ramp = self.trial_ratio ** (1 - np.arange(1, j + 1) / (j + 1))
        rel = np.concatenate(
            [[self.trial_ratio] * p, ramp, [1.0], 0.5 ** np.arange(1, k + 1), [1e-2 * 0.5**k]]
        )
        stage = np.array(
            [EXPLORATION] * p + [FORMATION] * j + [STABILITY] + [DECLINE] * (k + 1), dtype=np.int8
        )
        return rel, stage

    def transition(self, months_per_period: float) -> np.ndarray:
        """The state transition matrix for periods of ``months_per_period`` months."""
        rel, _ = self.states()
        p, j, k = self.exploration_phases(), int(self.formation_levels), int(self.decline_levels)
        q = len(rel)
        form, stab, stop = p, p + j, q - 1
        out = np.zeros((q, q))

        def stay(months: float) -> float:  # the per-period stay of a mean dwell of `months`
            return max(0.0, 1.0 - months_per_period / months)

        def per_period(p_month: float) -> float:
            return 1.0 - (1.0 - p_month) ** months_per_period

        def to_decline(row: int, prob: float) -> None:
            # into the decline level just below half the rate the customer had
            level = int(np.clip(np.round(-np.log2(rel[row] * 0.5)), 1, k))
            out[row, stab + level] += prob * (1 - self.p_stop)
            out[row, stop] += prob * self.p_stop

        # the trial's clock: a period of several months moves it as many phases
        hazard = self.exploration_hazard()
        steps = max(1, int(round(months_per_period)))
        for d in range(p):
            if self.exploration_max_months is None:  # memoryless: mean dwell exploration_months
                ends = 1.0 - stay(self.exploration_months)
                out[d, d] += 1 - ends
            elif months_per_period >= 1:
                ahead = np.minimum(np.arange(d, d + steps), p - 1)
                ends = 1.0 - np.prod(1.0 - hazard[ahead])
                out[d, min(d + steps, p - 1)] += 1 - ends
            else:
                ends = per_period(hazard[d])
                out[d, min(d + 1, p - 1)] += (1 - ends) * months_per_period
                out[d, d] += (1 - ends) * (1 - months_per_period)
            out[d, form] += ends * (1 - self.p_trial_fails)
            to_decline(d, ends * self.p_trial_fails)
        f_hazard = per_period(self.formation_hazard)
        level_stay = max(0.1, stay(self.formation_months / j))
        skip = min(0.1, 1 - level_stay)
        for i in range(form, stab):
            out[i, i] += (1 - f_hazard) * level_stay
            out[i, min(i + 1, stab)] += (1 - f_hazard) * (1 - level_stay - skip)
            out[i, min(i + 2, stab)] += (1 - f_hazard) * skip
            to_decline(i, f_hazard)
        s_stay = stay(self.stability_months)
        out[stab, stab] = s_stay
        to_decline(stab, 1 - s_stay)
        back = per_period(self.p_recover)
        d_stay = max(0.05, stay(self.halving_months))
        for level in range(1, k + 1):
            row = stab + level
            out[row, form] = back
            if level < k:
                out[row, row] = (1 - back) * d_stay
                out[row, row + 1] = (1 - back) * (1 - d_stay)
            else:
                out[row, row] = 1 - back
        out[stop, form] = back
        out[stop, stop] = 1 - back
        return out

    def rate_grid(self, months_per_period: float) -> np.ndarray:
        """The grid of peak rates, per period."""
        return np.geomspace(self.rate_min, self.rate_max, int(self.rate_points)) * months_per_period


#: Stage moves the seeds allow (row: from, column: to; order of STAGES): no upward skip,
#: decline from any stage, a return from decline into formation only.
ALLOWED_MOVES = np.array(
    [[1, 1, 0, 1], [0, 1, 1, 1], [0, 0, 1, 1], [0, 1, 0, 1]], dtype=bool
)  # fmt: skip


# --------------------------------------------------------------------------
# Forward and backward passes over (rate point, state)
# --------------------------------------------------------------------------


def _forward(y, e, first, emit, transition, starts, start_of):
    """The filter (:func:`~analysis.lifecycle.hmm_core.forward_pass`) over the distinct prefixes.

    ``starts`` (k, G) are the grid weights a customer starts from and ``start_of`` (n,)
    each customer's row in it. Yields, for every period, each customer's prefix id and
    the (distinct prefixes, G, Q) alphas: customers with the same start and the same
    counts up to a period share them, so each is computed once.
    """
    g, q = emit.rates.shape
    prefixes = shared_prefixes(y, e, start_of)

    def begin(t, begins):  # a history begins in the first state, at its start's grid weights
        prior = np.zeros((int(begins.sum()), g, q))
        prior[:, :, 0] = starts[start_of[prefixes[t][0][begins]]]
        return prior

    levels = [(parent, first[rows] == t) for t, (rows, parent, _) in enumerate(prefixes)]
    steps = forward_pass(
        levels, transition, lambda t: emit(y[prefixes[t][0], t], e[prefixes[t][0], t]), begin
    )
    for (_, _, ids), (alpha, _) in zip(prefixes, steps, strict=True):
        yield ids, alpha


def _pooled_weights(y, e, first, emit, transition, model: StageModel) -> np.ndarray:
    """Grid weights by EM from a flat start on an evenly spaced subset of customers."""
    g = emit.rates.shape[0]
    weights = np.full(g, 1.0 / g)
    n = y.shape[0]
    pick = np.unique(np.linspace(0, n - 1, min(n, int(model.pool_sample))).astype(np.int64))
    # customers with the same counts and exposures are read once, weighted by their number
    key = np.concatenate([np.nan_to_num(y[pick], nan=-1.0), np.nan_to_num(e[pick], nan=-1.0)], 1)
    index, _, count = distinct_rows(key)
    count = count.astype(float)
    pick = pick[index]
    start_of = np.zeros(len(pick), dtype=np.int64)
    for _ in range(int(model.pool_iterations)):
        steps = _forward(
            y[pick], e[pick], first[pick], emit, transition, weights[None, :], start_of
        )
        ids, alpha = deque(steps, maxlen=1)[0]  # the last period's
        last = alpha[ids]
        weights = np.maximum(count @ last.sum(axis=2) / count.sum(), 1e-6)
        weights /= weights.sum()
    return weights


def _peak_bounded(weights, y, e, peaks, months_per_period: float, ratio: float) -> np.ndarray:
    """Per-customer grid weights (n, G): the pooled ones without the peaks above ``ratio`` x the
    customer's highest rate (a period counting at least half; at least one a month; the lowest
    grid point always kept). A trial at a quarter of the peak then needs a later rise that the
    history shows, not months of steady buying read as the trial of an unseen peak.
    """
    with np.errstate(invalid="ignore"):
        seen = np.nanmax(np.nan_to_num(y, nan=0.0) / np.maximum(np.nan_to_num(e), 0.5), axis=1)
    top = np.maximum(seen, months_per_period)
    keep = peaks[None, :] <= ratio * top[:, None]
    keep[:, 0] = True
    out = np.where(keep, np.asarray(weights)[None, :], 0.0)
    return out / out.sum(axis=1, keepdims=True)


def stage_probabilities(
    counts: np.ndarray,
    exposure: np.ndarray,
    months_per_period: float = 1.0,
    model: StageModel | None = None,
    smooth: bool = True,
    weights: np.ndarray | None = None,
    chunk: int = 8192,
) -> dict[str, np.ndarray]:
    """Stage probabilities per customer and period, filtered (history to date) and smoothed (whole history).

    Parameters
    ----------
    counts, exposure : ndarray (n, m)
        Repeat purchases and exposure per cell (:func:`repeat_counts`); NaN
        before a customer's first period. A customer's history runs from its
        first period to the last column.
    months_per_period : float
        Length of a period in months.
    model : StageModel, optional
        The settings (defaults otherwise).
    smooth : bool
        Also run the backward pass (hindsight; both passes then bound the peak by
        ``model.peak_ratio``, so ``filtered`` differs from a run without it).
    weights : ndarray, optional
        Grid weights to use; pooled from these customers when not given.
    chunk : int
        Not used (the passes share the histories' common beginnings and ends
        instead of running in chunks); kept so that callers need not change.

    Returns
    -------
    dict
        ``filtered`` and (with ``smooth``) ``smoothed``: (n, m, 4) stage
        probabilities in the order of STAGES (0 before the first period);
        ``first``: each customer's first column; ``weights``: the pooled
        grid weights; ``rates``: the grid (per period).
    """
    return _probabilities(counts, exposure, months_per_period, model, smooth, weights, True)


def _probabilities(counts, exposure, months_per_period, model, smooth, weights, every: bool):
    """:func:`stage_probabilities`; with ``smooth`` and not ``every``, ``filtered`` holds the
    last period only (the rest 0): what the hindsight view reads."""
    model = model or StageModel()
    y = np.asarray(counts, dtype=float)
    e = np.asarray(exposure, dtype=float)
    n, m = y.shape
    first = (~np.isnan(y)).argmax(axis=1)
    rel, stage = model.states()
    grid = model.rate_grid(months_per_period)
    transition = model.transition(months_per_period)
    emit = PoissonTable(grid[:, None] * rel[None, :])
    if weights is None:
        weights = _pooled_weights(y, e, first, emit, transition, model)
    # each customer starts from the pooled weights, in hindsight bounded by its own peak
    start_of = np.zeros(n, dtype=np.int64)
    starts = np.asarray(weights, dtype=float)[None, :]
    if smooth and model.peak_ratio:
        bounded = _peak_bounded(weights, y, e, grid, months_per_period, model.peak_ratio)
        index, start_of, _ = distinct_rows(bounded)
        starts = bounded[index]
    filtered = np.zeros((n, m, 4))
    alphas, prefixes = [], []
    # the latent states come in stage order, so a stage's probability is a sum over rate
    # points and then over a run of states (reductions: no threaded BLAS call for them)
    runs = np.flatnonzero(np.r_[True, np.diff(stage) != 0])

    def by_stage(x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(x.sum(axis=1, dtype=float), runs, axis=1)

    for t, (ids, alpha) in enumerate(_forward(y, e, first, emit, transition, starts, start_of)):
        kept = alpha.astype(np.float32)
        if every or not smooth or t == m - 1:
            filtered[:, t] = by_stage(kept)[ids]
        if smooth:
            alphas.append(kept)
            prefixes.append(ids)
    smoothed = None
    if smooth:
        # backward: customers with the same counts after a period share its beta
        smoothed = np.zeros((n, m, 4))
        smoothed[:, m - 1] = filtered[:, m - 1]
        suffixes = shared_suffixes(y, e)

        def ahead(t):  # the likelihoods of period t + 1 of the distinct suffixes after t
            rows = suffixes[t][0]
            return emit(y[rows, t + 1], e[rows, t + 1])

        levels = [(t, suffixes[t][1], len(suffixes[t][0])) for t in range(m - 2, -1, -1)]
        last = np.ones((1,) + emit.rates.shape)
        for t, beta, _ in backward_pass(levels, transition, ahead, last):
            ids, prefix = suffixes[t][2], prefixes[t]
            pair_rows, pair = distinct_pairs(prefix, ids)
            # sum over rate points of alpha x beta per state (einsum: one pass, no product array)
            a = np.take(alphas[t], prefix[pair_rows], axis=0)
            joint = np.einsum("pgq,pgq->pq", a, np.take(beta, ids[pair_rows], axis=0))
            smoothed[:, t] = normalised(np.add.reduceat(joint, runs, axis=1))[pair]
            alphas[t] = None
        smoothed[np.arange(m)[None, :] < first[:, None]] = 0.0
    return {
        "filtered": filtered,
        "smoothed": smoothed,
        "first": first,
        "weights": weights,
        "rates": grid,
    }


# --------------------------------------------------------------------------
# From probabilities to stage paths that keep the order
# --------------------------------------------------------------------------


def decode_hindsight(prob: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The stage path with the most expected correct periods among the paths the order allows.

    A Viterbi pass over the four stages that maximises the sum of the
    smoothed probabilities of the chosen stages, subject to
    :data:`ALLOWED_MOVES` and exploration in the first period. Returns codes
    (n, m), -1 before the first period.
    """
    n, m, _ = prob.shape
    moves = np.where(ALLOWED_MOVES, 0.0, -np.inf)
    start = np.where(np.arange(4) == EXPLORATION, 0.0, -np.inf)
    end = np.full(n, m - 1)
    return viterbi_path(prob.transpose(1, 0, 2), moves, start, first, end).astype(np.int8)


def decode_realtime(prob: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Period by period, the most probable stage (filtered) among those the previous stage allows.

    Uses nothing after the period; exploration in the first period. Returns
    codes (n, m), -1 before the first period.
    """
    n, m, _ = prob.shape
    out = np.full((n, m), -1, dtype=np.int8)
    prev = np.zeros(n, dtype=np.int64)
    for t in range(m):
        cur = np.where(ALLOWED_MOVES[prev], prob[:, t], -1.0).argmax(axis=1)
        cur[first == t] = EXPLORATION
        on = first <= t
        out[on, t] = cur[on]
        prev = np.where(on, cur, prev)
    return out


def model_stage_codes(
    days: PurchaseDays,
    view: str,
    model: StageModel | None = None,
    step: int = 8192,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stage codes of every distinct history in a view, each code's probability, and each customer's history.

    ``view="realtime"`` decodes the filtered probabilities (history to
    date) with :func:`decode_realtime`; ``view="hindsight"`` the smoothed
    ones (whole history) with :func:`decode_hindsight`. The probability is
    the model's (filtered or smoothed) probability of the stage chosen.

    The distinct histories are read in blocks of ``step``, spread over threads
    (:func:`analysis.threads.each_block`, ``ANALYSIS_THREADS``): every history's
    values are computed row by row, so they are the same bit for bit whatever
    the block size or the number of threads.

    Returns
    -------
    codes : ndarray (u, m) of int8
        Stage codes of each distinct history (-1 before its first period).
    probability : ndarray (u, m) of float32
        The probability of each code (NaN before the first period).
    history : ndarray (n,) of int
        Each customer's row in ``codes``.
    """
    if view not in ("realtime", "hindsight"):
        raise ValueError(f"view must be 'realtime' or 'hindsight', got {view!r}")
    model = (model or StageModel()).for_view(view)
    months = days.days_per_period / DAYS_PER_MONTH
    hindsight = view == "hindsight"
    decode = decode_hindsight if hindsight else decode_realtime
    # the grid weights are pooled once, on an evenly spaced subset of the customers
    rel, _ = model.states()
    emit = PoissonTable(model.rate_grid(months)[:, None] * rel[None, :])
    n, m = days.n_customers, len(days.periods)
    pick = np.unique(np.linspace(0, n - 1, min(n, int(model.pool_sample))).astype(np.int64))
    counts, exposure = repeat_counts(days.panel(pick))
    first = (~np.isnan(counts)).argmax(axis=1)
    weights = _pooled_weights(counts, exposure, first, emit, model.transition(months), model)
    # customers with the same first day and the same periods of their later purchase days
    # have the same counts and exposures, so the same stages: each history is read once
    key = days.column.copy()
    starts = days.offsets[:-1]
    key[starts] = days.day[starts] - days.day[starts].min()
    index, history = distinct_sequences(days.offsets, key)
    u = len(index)
    codes = np.full((u, m), -1, dtype=np.int8)
    probability = np.full((u, m), np.nan, dtype=np.float32)

    def block(rows: slice) -> None:  # blocks are independent: each writes its own rows
        lo = rows.start
        counts, exposure = repeat_counts(days.panel(index[rows]))
        res = _probabilities(counts, exposure, months, model, hindsight, weights, False)
        prob = res["smoothed"] if hindsight else res["filtered"]
        part = decode(prob, res["first"])
        pick = np.maximum(part, 0)[..., None].astype(np.int64)
        chosen = np.clip(np.take_along_axis(prob, pick, axis=2)[..., 0], 0.0, 1.0)
        codes[lo : lo + step] = part
        probability[lo : lo + step] = np.where(part >= 0, chosen, np.nan)

    # blocks in threads (analysis.threads), BLAS in one: its small products in several
    # threads of their own only wait on each other
    with one_blas_thread():
        each_block(block, u, step)
    release_freed_memory()
    return codes, probability, history
