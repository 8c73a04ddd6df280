"""A hidden Markov model of the relationship with ordered latent states (Netzer, Lattin & Srinivasan 2008).

A model-based comparison to the rule-based stages of :mod:`analysis.lifecycle`.
Every customer's repeat purchases per period are Poisson with a rate that
depends on a latent *relationship state*; the states are ordered by their mean
rate (state 0 is the lowest, "dormant" when its mean is near zero), and the
customer moves between them by a Markov chain whose initial-state
probabilities and transition matrix are shared by all customers. The model is
fitted by EM (Baum-Welch with a scaled forward-backward pass, vectorised over
customers; only the periods are looped over; :mod:`analysis.lifecycle.baum_welch`)
from several seeded starts. The counts come from the log's customer x period
panel (:func:`analysis.panel.build_panel`), as the rules' do.

This is the homogeneous core of Netzer et al.: no covariates in the
transitions and no customer heterogeneity in the rates, so a state is an
absolute purchase level shared by all customers, not a level relative to the
customer's own potential. :func:`hmm_stages` reads the four named stages off
each customer's most likely state path relative to that customer's own path
(see its docstring); unlike :func:`analysis.lifecycle.assign_stages`, it uses
the whole history (the path is a smoother), so it is a hindsight reading.

Its accuracy against :func:`analysis.simulate.simulate_lifecycle`, beside the
rules' and the lifecycle model's, is measured in the methods report
(``notebooks/06_methods.py``); ``tests/test_lifecycle_hmm.py`` holds lower
bounds on one simulated log. The passes (forward-backward, Viterbi) are the
hidden Markov core's (:mod:`analysis.lifecycle.hmm_core`), shared with the
lifecycle model behind the stage views.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NotComputable
from ..panel import build_panel, repeat_counts
from ..units import STAGES
from ._common import DECLINE, EXPLORATION, FORMATION, STABILITY
from .baum_welch import em, forward_backward, log_emissions, prepare_sequences, to_grid, viterbi

__all__ = [
    "StageHMM",
    "purchase_counts",
    "fit_stage_hmm",
    "map_states_to_stages",
    "hmm_stages",
    "MIN_LEVEL_GAP",
]

#: two states whose purchase levels (repeat purchases a period) are closer than this are one
#: level: the log does not separate them (a state at 1e-8 beside one at 2e-8 is no second level)
MIN_LEVEL_GAP: float = 1e-3


@dataclass
class StageHMM:
    """A fitted Poisson hidden Markov model with ordered states (what :func:`fit_stage_hmm` returns).

    Attributes
    ----------
    means : ndarray (K,)
        Poisson rate of each state per unit of exposure (a full period), increasing.
    initial : ndarray (K,)
        Probability of each state in a customer's first period.
    transition : ndarray (K, K)
        ``transition[j, k]``: probability of state k next period given state j now.
    log_likelihood : float
        Log-likelihood of the counts at the estimates.
    history : ndarray
        Log-likelihood after every EM iteration of the best start (non-decreasing).
    n_iter : int
        EM iterations of the best start.
    converged : bool
        Whether the best start met the tolerance before ``max_iter``.
    posterior : ndarray (n, m, K)
        Posterior state probabilities per customer and period (NaN outside a
        customer's observed periods).
    path : ndarray (n, m)
        Most likely (Viterbi) state path, -1 outside a customer's observed periods.
    start_log_likelihoods : ndarray
        Final log-likelihood of every start (to see whether the starts agree).
    """

    means: np.ndarray
    initial: np.ndarray
    transition: np.ndarray
    log_likelihood: float
    history: np.ndarray
    n_iter: int
    converged: bool
    posterior: np.ndarray = field(repr=False)
    path: np.ndarray = field(repr=False)
    start_log_likelihoods: np.ndarray = field(repr=False)

    @property
    def n_states(self) -> int:
        return len(self.means)

    @property
    def n_parameters(self) -> int:
        """Free parameters: K means, K - 1 initial probabilities, K (K - 1) transitions."""
        k = self.n_states
        return k + (k - 1) + k * (k - 1)

    def parameters(self) -> pd.DataFrame:
        """The estimates as a table, one row per state: ``mean``, ``initial``, ``to_0`` .. ``to_{K-1}``."""
        k = self.n_states
        table = pd.DataFrame(self.transition, columns=[f"to_{j}" for j in range(k)])
        table.insert(0, "initial", self.initial)
        table.insert(0, "mean", self.means)
        table.index = pd.Index(range(k), name="state")
        return table


# --------------------------------------------------------------------------
# Data: customers x periods
# --------------------------------------------------------------------------


def purchase_counts(
    transactions: pd.DataFrame, period: str = "M", observation_end=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeat purchases and their exposure per customer and period, as customers x periods frames.

    Counts are purchase days (same-day orders are one purchase, as in
    :func:`analysis.lifecycle.assign_stages`) less the acquisition purchase;
    the exposure is the share of the period observed after the first purchase
    day (1 for a full period, less in the first period and in a last period
    cut short by ``observation_end``). Both are NaN before a customer's first
    period.

    Returns
    -------
    counts, exposure : DataFrame
        Indexed by ``customer_id`` (sorted), one column per calendar period.
    """
    panel = build_panel(transactions, period, observation_end)
    counts, exposure = repeat_counts(panel)
    index = pd.Index(panel.customer_ids, name="customer_id")
    columns = pd.Index(panel.periods, name="period")
    return pd.DataFrame(counts, index, columns), pd.DataFrame(exposure, index, columns)


def fit_stage_hmm(
    counts,
    n_states: int = 4,
    exposure=None,
    n_starts: int = 5,
    seed: int = 0,
    start_iter: int = 20,
    max_iter: int = 500,
    tol: float = 1e-8,
) -> StageHMM:
    """Fit a Poisson hidden Markov model with ordered states to customers x periods counts by EM.

    Parameters
    ----------
    counts : array-like or DataFrame (n customers x m periods)
        Repeat purchases per period; NaN where a customer is not observed
        (before its first period, and after its last). A NaN between observed
        periods is a missing count: the chain runs through it.
    n_states : int
        Number of latent states K.
    exposure : array-like, optional
        Share of each period observed (same shape; 1 by default): the count is
        Poisson with mean ``exposure x means[state]``.
    n_starts : int
        Random starts (seeded from ``seed``). Each runs ``start_iter`` EM
        iterations; the one with the highest log-likelihood then runs to
        convergence.
    seed : int
        Seed of :func:`numpy.random.default_rng` for the starts.
    start_iter : int
        EM iterations of every start before the best is chosen.
    max_iter : int
        Most EM iterations of the chosen start in all.
    tol : float
        Stop when the log-likelihood gains less than ``tol x (1 + |loglik|)``.

    Returns
    -------
    StageHMM
        Means (increasing), initial-state probabilities, transition matrix,
        log-likelihood, posterior state probabilities and the Viterbi path.

    Raises
    ------
    NotComputable
        No repeat purchase at all: every state's level would be zero; or the
        fitted levels of two neighbouring states are less than
        :data:`MIN_LEVEL_GAP` apart (the log supports fewer levels than
        ``n_states``: e.g. almost nobody repeats, and several states sit at zero).
    """
    if int(n_states) != n_states or n_states < 1:
        raise ValueError(f"n_states must be a whole number >= 1, got {n_states!r}")
    if n_starts < 1:
        raise ValueError(f"n_starts must be at least 1, got {n_starts}")
    k = int(n_states)
    seq = prepare_sequences(counts, exposure)
    if not float(seq.weight @ seq.y.sum(axis=0)) > 0:
        raise NotComputable(
            "no customer made a repeat purchase, so the hidden states have no purchase levels "
            "to tell apart"
        )
    total_e = float(seq.weight @ seq.e.sum(axis=0))
    level = max(float(seq.weight @ seq.y.sum(axis=0)) / max(total_e, 1e-12), 1e-3)
    rng = np.random.default_rng(seed)
    best = None
    finals = []
    for _ in range(n_starts):
        means0 = np.sort(rng.exponential(2.0 * level, k)) + 1e-3 * level * np.arange(1, k + 1)
        initial0 = rng.dirichlet(np.ones(k))
        transition0 = 0.7 * np.eye(k) + 0.3 * rng.dirichlet(np.ones(k), size=k)
        fit = em(seq, means0, initial0, transition0, min(start_iter, max_iter), tol)
        finals.append(fit[3][-1])
        if best is None or fit[3][-1] > best[3][-1]:
            best = fit
    means, initial, transition, history, converged = best
    if not converged and len(history) < max_iter:
        means, initial, transition, history, converged = em(
            seq, means, initial, transition, max_iter - len(history) + 1, tol, history[:-1]
        )
    same = np.flatnonzero(np.diff(means) < MIN_LEVEL_GAP)
    if len(same):
        level = float(means[same[0]])
        raise NotComputable(
            f"the repeat purchases in this log do not support {k} distinct purchase levels: the "
            f"fitted model puts {len(same) + 1} of its states at the same level (about "
            f"{level:.2g} repeat purchases a period), so its states cannot be read as stages "
            "(a smaller hmm_states may fit)"
        )
    logb = log_emissions(seq, means)
    loglik, gamma, _, _ = forward_backward(seq, logb, initial, transition)
    path = viterbi(seq, logb, initial, transition)
    return StageHMM(
        means=means,
        initial=initial,
        transition=transition,
        log_likelihood=loglik,
        history=history,
        n_iter=len(history),
        converged=converged,
        posterior=to_grid(seq, gamma.transpose(1, 0, 2), np.nan),
        path=to_grid(seq, path, -1),
        start_log_likelihoods=np.asarray(finals),
    )


# --------------------------------------------------------------------------
# From latent states to the four named stages
# --------------------------------------------------------------------------


def map_states_to_stages(path: np.ndarray, trial_periods: int = 2) -> np.ndarray:
    """Read the four stages off each customer's ordered state path (codes 0..3 in ``STAGES`` order, -1 outside).

    Along a customer's path (states ordered by mean rate, 0 the lowest), its
    *trial level* is its state in its first period, its *peak* its highest
    state over the whole path, its *best so far* its highest state up to the
    period before, and its *age* the periods since its first. Period by period:

    - the first period is **exploration**;
    - **decline** when the state is below the best so far (the customer has
      been at a higher level), or when it is still the lowest state at an age
      beyond ``trial_periods`` (a lapsed trial: it never rose);
    - the relationship is *established* when the state is above the trial
      level, or, beyond ``trial_periods``, at a trial level above the lowest
      (a steady buyer is past the trial); then **stability** when the state
      is the customer's peak and the previous stage was formation or
      stability, **formation** otherwise (so a rise straight to the peak, a
      steady buyer leaving the trial and a return from decline all pass
      through formation);
    - otherwise (at the trial level within ``trial_periods``) the previous
      stage continues: **exploration**, or **decline** after a decline.

    So exploration never jumps to stability, stability is entered only from
    formation, and decline can follow any stage. ``trial_periods`` plays the
    part of the rules' ``trial_months`` and ``exploration_months``.
    """
    path = np.asarray(path)
    if trial_periods < 0:
        raise ValueError(f"trial_periods must be >= 0, got {trial_periods}")
    n, m = path.shape
    act = path >= 0
    start = act.argmax(axis=1)
    base = path[np.arange(n), start]
    peak = np.where(act, path, -1).max(axis=1)
    stage = np.full((n, m), -1, dtype=np.int8)
    prev = np.full(n, -1, dtype=np.int8)
    best = np.full(n, -1, dtype=np.int64)
    for t in range(m):
        s = path[:, t]
        on = act[:, t]
        first = on & (start == t)
        later = on & (start < t)
        past_trial = t - start > trial_periods
        dec = later & ((s < best) | ((s == 0) & past_trial))
        established = later & ~dec & ((s > base) | past_trial)
        stab = established & (s == peak) & ((prev == FORMATION) | (prev == STABILITY))
        form = established & ~stab
        flat = later & ~dec & ~established
        new = np.full(n, -1, dtype=np.int8)
        new[first] = EXPLORATION
        new[dec] = DECLINE
        new[stab] = STABILITY
        new[form] = FORMATION
        new[flat] = np.where(prev[flat] == DECLINE, DECLINE, EXPLORATION)
        stage[:, t] = new
        prev = np.where(on, new, prev)
        best = np.where(on, np.maximum(best, s), best)
    return stage


def hmm_stages(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
    model: StageHMM | None = None,
    trial_periods: int = 2,
    **fit_options,
) -> pd.DataFrame:
    """Lifecycle stages per customer and period from a Poisson HMM with ordered states.

    Parameters
    ----------
    transactions : DataFrame
        The log (``customer_id``, ``date``, ``amount``).
    period : {"D", "W", "M", "Q", "Y"}
        Length of a period.
    observation_end : date-like, optional
        Last day observed; defaults to the last purchase.
    model : StageHMM, optional
        A model already fitted by :func:`fit_stage_hmm` on
        :func:`purchase_counts` of the same log and period; fitted here when
        not given.
    trial_periods : int
        Periods after the first that a customer may stay in the lowest state
        and still be in exploration (see :func:`map_states_to_stages`).
    **fit_options
        Passed to :func:`fit_stage_hmm` (``n_states``, ``n_starts``, ``seed``, ...).

    Returns
    -------
    DataFrame
        One row per customer and period from the first purchase on, sorted,
        as :func:`analysis.lifecycle.assign_stages`: ``customer_id``,
        ``period``, ``age``, ``purchases`` (repeat purchases),
        ``exposure``, ``state`` (Viterbi state, 0 = lowest rate),
        ``state_mean`` (its rate), ``state_probability`` (posterior
        probability of that state) and ``stage`` (ordered categorical).
    """
    counts, exposure = purchase_counts(transactions, period, observation_end)
    if model is None:
        model = fit_stage_hmm(counts, exposure=exposure, **fit_options)
    elif fit_options:
        raise TypeError(f"fit options {sorted(fit_options)} given together with a fitted model")
    if model.path.shape != counts.shape:
        raise ValueError(
            f"the model was fitted on {model.path.shape[0]} customers x {model.path.shape[1]} periods, "
            f"this log has {counts.shape[0]} x {counts.shape[1]}; fit it on purchase_counts of this log"
        )
    stage = map_states_to_stages(model.path, trial_periods=trial_periods)
    y = counts.to_numpy()
    rows, cols = np.nonzero(~np.isnan(y))
    state = model.path[rows, cols]
    first = (~np.isnan(y)).argmax(axis=1)
    frame = pd.DataFrame(
        {
            "customer_id": counts.index.to_numpy()[rows],
            "period": counts.columns[cols],
            "age": (cols - first[rows]).astype(np.int32),
            "purchases": y[rows, cols].astype(np.int32),
            "exposure": exposure.to_numpy()[rows, cols],
            "state": state,
            "state_mean": model.means[state],
            "state_probability": model.posterior[rows, cols, state],
            "stage": pd.Categorical.from_codes(
                stage[rows, cols], categories=list(STAGES), ordered=True
            ),
        }
    )
    frame.attrs["period"] = period
    return frame
