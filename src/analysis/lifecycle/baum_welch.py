"""Baum-Welch for a Poisson hidden Markov model on customers x periods counts, vectorised over customers.

The engine of :func:`analysis.lifecycle.fit_stage_hmm`, on the hidden Markov core
the lifecycle model shares (:mod:`analysis.lifecycle.hmm_core`: distinct rows,
the scaled forward and backward passes, Viterbi). Every customer's
count in a period is Poisson with mean ``exposure x means[state]``; the
states follow a Markov chain shared by all customers. Each customer's
observed stretch (first to last observed period; a missing count inside it
is skipped by the emissions, the chain runs through it) is left-aligned,
identical stretches are merged into one weighted sequence, and the
recursions run over all sequences at once, looping only over positions:

- :func:`prepare_sequences` turns the counts into :class:`Sequences`;
- :func:`forward_backward` is the scaled forward-backward pass
  (log-likelihood, posteriors, expected transitions);
- :func:`viterbi` gives the most likely state paths;
- :func:`em` runs EM with the states kept in increasing order of mean;
- :func:`to_grid` puts per-sequence results back on the customers x
  calendar periods grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy

from .hmm_core import (
    backward_pass,
    distinct_rows,
    expected_transitions,
    forward_pass,
    posteriors,
    viterbi_path,
)

__all__ = [
    "MIN_MEAN",
    "Sequences",
    "prepare_sequences",
    "log_emissions",
    "forward_backward",
    "viterbi",
    "sort_states",
    "em",
    "to_grid",
]

MIN_MEAN = 1e-8  # a state's rate is kept positive so that its log-likelihood stays finite


@dataclass
class Sequences:
    """The observed stretch of every distinct customer sequence, left-aligned and sorted by length (longest first)."""

    # time-major (position x sequence), so that every step of the recursions reads contiguous memory
    y: np.ndarray  # (L, u) counts, 0 where missing
    e: np.ndarray  # (L, u) exposure, 0 where missing
    observed: np.ndarray  # (L, u) bool
    weight: np.ndarray  # (u,) customers with this sequence
    lengths: np.ndarray  # (u,) length of each sequence
    n_at: np.ndarray  # (L,) sequences still running at position t (a prefix of the rows)
    const: float  # sum over customers of the count terms that do not depend on the states
    # back to the customers x calendar periods grid:
    row: np.ndarray  # (n,) row of each customer in the sequences
    start: np.ndarray  # (n,) column of each customer's first observed period
    length: np.ndarray  # (n,) observed stretch, in periods
    shape: tuple


def prepare_sequences(counts, exposure) -> Sequences:
    y = np.asarray(counts, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"counts must be a customers x periods matrix, got {y.ndim} dimension(s)")
    if exposure is None:
        e = np.where(np.isnan(y), np.nan, 1.0)
    else:
        e = np.asarray(exposure, dtype=float)
        if e.shape != y.shape:
            raise ValueError(f"exposure has shape {e.shape}, counts {y.shape}; they must match")
    observed = ~np.isnan(y)
    y0 = np.where(observed, y, 0.0)
    bad = observed & ((y0 < 0) | (y0 != np.round(y0)))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"counts must be whole numbers >= 0; row {i}, column {j} is {y[i, j]}")
    bad = observed & ~(np.nan_to_num(e, nan=-1.0) >= 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"exposure must be >= 0 where a count is observed; row {i}, column {j} is {e[i, j]}"
        )
    has = observed.any(axis=1)
    if not has.all():
        raise ValueError(
            f"{int((~has).sum())} customer(s) (first: row {int(np.argmin(has))}) have no observed period; drop them"
        )
    n, m = y.shape
    start = observed.argmax(axis=1)
    end = m - 1 - observed[:, ::-1].argmax(axis=1)
    length = end - start + 1
    # left-align: position j of customer i is calendar column start_i + j
    cols = np.minimum(start[:, None] + np.arange(m)[None, :], m - 1)
    inside = np.arange(m)[None, :] < length[:, None]
    rows = np.arange(n)[:, None]
    obs = inside & observed[rows, cols]
    yl = np.where(obs, y0[rows, cols], 0.0)
    el = np.where(obs, np.nan_to_num(e)[rows, cols], 0.0)
    # identical sequences share their likelihood terms: fit on the distinct ones, weighted
    key = np.concatenate([length[:, None], np.where(obs, yl, -1.0), el], axis=1)
    index, inverse, weight = distinct_rows(key)
    uniq = key[index]
    order = np.argsort(-uniq[:, 0], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    uniq, weight = uniq[order], weight[order]
    u_len = uniq[:, 0].astype(np.int64)
    u_obs = uniq[:, 1 : m + 1] >= 0
    u_y = np.where(u_obs, uniq[:, 1 : m + 1], 0.0)
    u_e = uniq[:, m + 1 :]
    # y log(e mu) - e mu - log y! = y log mu - e mu + [y log e - log y!]
    const = float(
        np.sum(weight[:, None] * np.where(u_obs, xlogy(u_y, u_e) - gammaln(u_y + 1.0), 0.0))
    )
    n_at = (u_len[None, :] > np.arange(m)[:, None]).sum(axis=1)
    keep = int(u_len.max())
    return Sequences(
        y=np.ascontiguousarray(u_y[:, :keep].T),
        e=np.ascontiguousarray(u_e[:, :keep].T),
        observed=np.ascontiguousarray(u_obs[:, :keep].T),
        weight=weight.astype(float),
        lengths=u_len,
        n_at=n_at[:keep],
        const=const,
        row=rank[inverse],
        start=start,
        length=length,
        shape=(n, m),
    )


# --------------------------------------------------------------------------
# Forward-backward, Viterbi, EM
# --------------------------------------------------------------------------


def log_emissions(seq: Sequences, means):
    """log P(count | state) less the state-free terms (in ``seq.const``); 0 where the count is missing."""
    logb = seq.y[..., None] * np.log(means)[None, None, :] - seq.e[..., None] * means[None, None, :]
    logb[~seq.observed] = 0.0
    return logb


def forward_backward(seq: Sequences, logb, initial, transition):
    """Scaled forward-backward on all sequences at once: (log-likelihood, gamma, expected transitions, gamma at t=0).

    The passes are :mod:`analysis.lifecycle.hmm_core`'s over the sequences (one
    node each; the first ``n_at[t]`` still run at position t).
    """
    m, u, k = logb.shape
    shift = logb.max(axis=2, keepdims=True)
    b = np.exp(logb - shift)
    n_at = seq.n_at
    alpha = np.zeros((m, u, k))
    scale = np.ones((m, u))
    levels = [(slice(0, n_at[t]), slice(None) if t == 0 else None) for t in range(m)]
    steps = forward_pass(
        levels, transition, lambda t: b[t, : n_at[t]], lambda t, rows: initial[None, :]
    )
    for t, (a, c) in enumerate(steps):
        alpha[t, : n_at[t]], scale[t, : n_at[t]] = a, c
    loglik = float((np.log(scale).sum(axis=0) + shift[..., 0].sum(axis=0)) @ seq.weight) + seq.const
    beta = np.ones((m, u, k))
    xi = np.zeros((k, k))
    back = backward_pass(
        [(t, slice(None), n_at[t]) for t in range(m - 2, -1, -1)],
        transition,
        lambda t: b[t + 1, : n_at[t + 1]],
        np.ones((n_at[m - 1], k)),
        scales=lambda t: scale[t + 1, : n_at[t + 1]],
    )
    for t, bt, nxt in back:
        r = len(nxt)
        xi += expected_transitions(alpha[t, :r], nxt, transition, seq.weight[:r])
        beta[t, : n_at[t]] = bt
    gamma = posteriors(alpha.reshape(m * u, k), beta.reshape(m * u, k)).reshape(m, u, k)
    return loglik, gamma, xi, seq.weight @ gamma[0]


def viterbi(seq: Sequences, logb, initial, transition):
    """The most likely state path of every sequence (-1 after its end)."""
    with np.errstate(divide="ignore"):
        log_a, log_pi = np.log(transition), np.log(initial)
    u = logb.shape[1]
    return viterbi_path(logb, log_a, log_pi, np.zeros(u, dtype=np.int64), seq.lengths - 1)


def sort_states(means, initial, transition):
    order = np.argsort(means, kind="stable")
    return means[order], initial[order], transition[np.ix_(order, order)]


def em(seq: Sequences, means, initial, transition, max_iter, tol, history=None):
    history = [] if history is None else list(history)
    converged = False
    wy = seq.y * seq.weight[None, :]
    we = seq.e * seq.weight[None, :]
    for _ in range(max_iter):
        loglik, gamma, xi, init_sum = forward_backward(
            seq, log_emissions(seq, means), initial, transition
        )
        history.append(loglik)
        if len(history) > 1 and history[-1] - history[-2] < tol * (1.0 + abs(history[-1])):
            converged = True
            break
        exposure = np.einsum("tuk,tu->k", gamma, we)
        hits = np.einsum("tuk,tu->k", gamma, wy)
        means = np.where(exposure > 0, hits / np.where(exposure > 0, exposure, 1.0), means)
        means = np.maximum(means, MIN_MEAN)
        initial = init_sum / init_sum.sum()
        rows = xi.sum(axis=1, keepdims=True)
        transition = np.where(rows > 0, xi / np.where(rows > 0, rows, 1.0), transition)
        # a relabelling leaves the likelihood unchanged, so EM stays monotone with ordered states
        means, initial, transition = sort_states(means, initial, transition)
    return means, initial, transition, np.asarray(history), converged


def to_grid(seq: Sequences, values, fill):
    """Sequence-aligned values (u, L, ...) back onto the customers x calendar periods grid."""
    n, m = seq.shape
    out = np.full((n, m) + values.shape[2:], fill, dtype=values.dtype)
    cols = np.arange(m)
    inside = (cols[None, :] >= seq.start[:, None]) & (
        cols[None, :] < (seq.start + seq.length)[:, None]
    )
    rows, cc = np.nonzero(inside)
    out[rows, cc] = values[seq.row[rows], cc - seq.start[rows]]
    return out
