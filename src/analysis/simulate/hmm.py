"""Counts from a known Poisson hidden Markov model, to check :func:`analysis.lifecycle.fit_stage_hmm`.

Every customer starts in a period drawn from 0..``max_start``, in a state
drawn from ``initial``; from then on it moves between states by
``transition`` and buys Poisson(``means[state]``) times per period. The
draw is vectorised over customers and seeded by ``np.random.default_rng``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import Simulation

__all__ = ["simulate_poisson_hmm"]


def _check_model(means, initial, transition) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    means, initial, transition = (np.asarray(x, dtype=float) for x in (means, initial, transition))
    k = len(means)
    if means.ndim != 1 or k < 1 or not (np.isfinite(means).all() and (means >= 0).all()):
        raise ValueError(f"means must be K >= 1 non-negative rates, got {means.tolist()}")
    if initial.shape != (k,) or transition.shape != (k, k):
        raise ValueError(
            f"initial must have shape ({k},) and transition ({k}, {k}) for {k} states, "
            f"got {initial.shape} and {transition.shape}"
        )
    for name, probs in (("initial", initial[None, :]), ("transition", transition)):
        if (probs < 0).any() or not np.allclose(probs.sum(axis=1), 1.0):
            raise ValueError(f"{name} must hold probabilities summing to 1 (per row)")
    return means, initial, transition


def simulate_poisson_hmm(
    n_customers: int,
    n_periods: int,
    means,
    initial,
    transition,
    seed: int | None = 0,
    max_start: int = 0,
) -> Simulation:
    """Draw counts per customer and period from a known Poisson hidden Markov model.

    Parameters
    ----------
    n_customers, n_periods : int
        Customers and periods (columns 0 .. n_periods - 1).
    means : array-like (K,)
        Poisson rate of each state per period.
    initial : array-like (K,)
        Probability of each state in a customer's first period.
    transition : array-like (K, K)
        ``transition[j, k]``: probability of state k next period given j now.
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.
    max_start : int
        Customers start in a period drawn uniformly from 0 .. ``max_start``.

    Returns
    -------
    Simulation
        ``transactions`` None (the model draws counts, not a log);
        ``summary``: the counts, customers x periods (index ``customer_id``
        0..n-1, columns ``period`` 0..m-1), NaN before each customer's first
        period -- the matrix :func:`analysis.lifecycle.fit_stage_hmm` takes;
        ``truth``: the true states in the same layout (int, -1 before the
        first period); ``params``: ``means``, ``initial``, ``transition``
        (arrays) and the settings ``n_customers``, ``n_periods``,
        ``max_start``, ``seed``; ``stages`` None.
    """
    means, initial, transition = _check_model(means, initial, transition)
    n, m = int(n_customers), int(n_periods)
    if n < 1 or m < 1 or int(max_start) < 0:
        raise ValueError("n_customers and n_periods must be >= 1 and max_start >= 0")
    rng = np.random.default_rng(seed)
    start = rng.integers(0, max_start + 1, n)
    states = np.full((n, m), -1, dtype=np.int64)
    cum_a = np.cumsum(transition, axis=1)
    s = np.searchsorted(np.cumsum(initial), rng.random(n), side="right")
    for t in range(m):
        nxt = np.minimum((cum_a[s] < rng.random(n)[:, None]).sum(axis=1), len(means) - 1)
        s = np.where(start == t, s, np.where(start < t, nxt, s))
        states[:, t] = np.where(start <= t, s, -1)
    counts = np.where(states >= 0, rng.poisson(means[np.maximum(states, 0)]), np.nan)
    index = pd.RangeIndex(n, name="customer_id")
    columns = pd.RangeIndex(m, name="period")
    params = {
        "means": means,
        "initial": initial,
        "transition": transition,
        "n_customers": n,
        "n_periods": m,
        "max_start": int(max_start),
        "seed": seed,
    }
    return Simulation(
        transactions=None,
        summary=pd.DataFrame(counts.astype(float), index=index, columns=columns),
        params=params,
        truth=pd.DataFrame(states, index=index, columns=columns),
        stages=None,
    )
