"""The hidden Markov machinery the lifecycle models share: distinct histories, scaled passes, Viterbi.

Two models read stages off a hidden Markov chain: the lifecycle model behind
the stage views (:mod:`analysis.lifecycle.stage_model`, fixed parameters,
forward-backward over a grid of customer rates) and the Netzer comparison
(:mod:`analysis.lifecycle.hmm`, fitted by Baum-Welch in
:mod:`analysis.lifecycle.baum_welch`). Both use this module for:

- :func:`distinct_rows`: customers with the same observations get the same
  posteriors, so each distinct row of observations is computed once;
- :func:`shared_prefixes` and :func:`shared_suffixes`: the same idea per
  period -- customers whose histories agree up to (from) a period share the
  forward (backward) quantities there, so a pass computes each distinct
  prefix (suffix) once;
- :func:`forward_pass`, :func:`backward_pass`, :func:`posteriors` and
  :func:`expected_transitions`: the scaled forward-backward, over a tree of
  histories (each node a distinct prefix or suffix, or one sequence);
  :func:`scaled` and :func:`normalised`: its scaling, per node;
- :func:`viterbi_path`: the best path under additive scores (log
  probabilities in the Netzer model, expected correct periods in the stage
  decoding), with per-row start and end positions.

:class:`PoissonTable` (Poisson likelihoods under fixed rates) serves the
stage model only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "distinct_rows",
    "distinct_pairs",
    "shared_prefixes",
    "shared_suffixes",
    "scaled",
    "normalised",
    "PoissonTable",
    "forward_pass",
    "backward_pass",
    "posteriors",
    "expected_transitions",
    "viterbi_path",
]


def distinct_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D key: the first row of each, each row's group, and group sizes.

    Returns ``index`` (u,), ``inverse`` (n,) and ``count`` (u,), with the groups in
    the sorted order of their rows (as :func:`numpy.unique` with ``axis=0``).
    """
    _, index, inverse, count = np.unique(
        key, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    return index, inverse.ravel(), count


def _first_rows(codes: np.ndarray, k: int) -> np.ndarray:
    """The first row holding each of the codes 0 .. k - 1."""
    rows = np.empty(k, dtype=np.int64)
    rows[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return rows


def distinct_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) pairs of two non-negative int arrays: the first row of each pair, each row's pair.

    Pairs are numbered in order of first appearance (a hash table, linear in the rows).
    """
    width = int(b.max()) + 1 if len(b) else 1
    codes, uniques = pd.factorize(np.asarray(a, dtype=np.int64) * width + b)
    return _first_rows(codes, len(uniques)), codes.astype(np.int64)


def _cell_ids(y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """(n, m) ids of the distinct (count, exposure) cells; NaN cells are one value of their own."""
    cy = pd.factorize(y.ravel())[0].astype(np.int64) + 1  # NaN is -1 before the shift
    ce = pd.factorize(e.ravel())[0].astype(np.int64) + 1
    return (cy * (int(ce.max()) + 1) + ce).reshape(y.shape)


def shared_prefixes(y: np.ndarray, e: np.ndarray, start: np.ndarray) -> list[tuple]:
    """Per period, the distinct (start, observations up to the period) prefixes of every row.

    Parameters
    ----------
    y, e : ndarray (n, m)
        Counts and exposures (NaN where not observed).
    start : ndarray (n,) of int
        A class of each row's start (rows with different starts never share a prefix).

    Returns
    -------
    list of (rows, parent, ids)
        For period t: ``rows`` (p,) one row holding each distinct prefix, ``parent`` (p,)
        the prefix id at t - 1 of each (its start class at t = 0), ``ids`` (n,) each
        row's prefix id.
    """
    cells = _cell_ids(y, e)
    prev = np.asarray(start, dtype=np.int64)
    out = []
    for t in range(y.shape[1]):
        rows, ids = distinct_pairs(prev, cells[:, t])
        out.append((rows, prev[rows], ids))
        prev = ids
    return out


def shared_suffixes(y: np.ndarray, e: np.ndarray) -> list[tuple]:
    """Per period t, the distinct suffixes (observations after t) of every row.

    Returns a list indexed by t of (rows, child, ids) as :func:`shared_prefixes`:
    ``child`` is the suffix id at t + 1 (0, the empty suffix, at the last period).
    """
    n, m = y.shape
    cells = _cell_ids(y, e)
    out = [None] * m
    nxt = np.zeros(n, dtype=np.int64)
    out[m - 1] = (np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), nxt)
    for t in range(m - 2, -1, -1):
        rows, ids = distinct_pairs(nxt, cells[:, t + 1])
        out[t] = (rows, nxt[rows], ids)
        nxt = ids
    return out


def scaled(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` (n, ...) divided by its sum over each row's block, and the sums (the scales of a pass).

    Blocks that sum to 0 are left as 0.
    """
    total = a.reshape(len(a), -1).sum(axis=1)
    shape = (len(a),) + (1,) * (a.ndim - 1)
    return a / np.where(total > 0, total, 1.0).reshape(shape), total


def _scale_in_place(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`scaled` without a copy: ``a`` (float) is divided in place and returned with its sums."""
    total = a.reshape(len(a), -1).sum(axis=1)
    a /= np.where(total > 0, total, 1.0).reshape((len(a),) + (1,) * (a.ndim - 1))
    return a, total


def normalised(a: np.ndarray) -> np.ndarray:
    """``a`` (n, ...) divided by its sum over each row's block (blocks of 0 left as 0)."""
    return scaled(a)[0]


class PoissonTable:
    """Poisson likelihoods of a period's counts under fixed rates, rescaled per row.

    ``PoissonTable(rates)(y, e)``: (n,) counts and exposures (NaN read as 0) to the
    (n, G, Q) likelihoods of ``Poisson(e x rate)`` for the (G, Q) rates, each row
    divided by its largest (a factor the scaled passes cancel). A full period
    (exposure 1) with a small count reads a precomputed table; other cells are
    computed. The stage model's emissions (rate point x state); the Netzer model
    refits its rates, so it computes its own.
    """

    def __init__(self, rates: np.ndarray, table_max: int = 64):
        self.rates = rates
        self.log_rates = np.log(rates)
        y = np.arange(table_max + 1, dtype=float)[:, None, None]
        logb = y * self.log_rates[None] - rates[None]
        self.table = np.exp(logb - logb.max(axis=(1, 2), keepdims=True))
        self.table_max = table_max

    def __call__(self, y: np.ndarray, e: np.ndarray) -> np.ndarray:
        y = np.nan_to_num(y)
        e = np.nan_to_num(e)
        full = (e == 1.0) & (y <= self.table_max)
        out = np.take(self.table, np.where(full, y, 0).astype(np.int64), axis=0)
        other = np.flatnonzero(~full)
        if len(other):
            logb = (
                y[other, None, None] * self.log_rates[None]
                - e[other, None, None] * self.rates[None]
            )
            top = logb.reshape(len(other), -1).max(axis=1)
            out[other] = np.exp(logb - top[:, None, None])
        return out


def forward_pass(levels, transition, emission, begin):
    """The scaled forward pass (the filter), period by period, over a tree of histories.

    The nodes of period t are histories up to t (one sequence each, or a
    distinct prefix shared by several customers); each continues a node of
    t - 1 or begins at t. The state may be any trailing shape whose last axis
    is the chain's (the stage model's is rate point x state).

    Parameters
    ----------
    levels : iterable of (parent, begins)
        Per period: ``parent`` indexes the previous alphas for each node (an int
        array, or a slice such as ``slice(0, r)``: the first r nodes, without a
        copy); ``begins`` selects the nodes whose history begins at t (a mask or
        slice; None: none). At t = 0 a node that does not begin has alpha 0.
    transition : ndarray (k, k)
    emission : callable
        ``emission(t)``: the likelihoods (p, ..., k) of period t's observations,
        up to a factor per node (it cancels in the scaling; a caller that
        needs the likelihood adds its log back).
    begin : callable
        ``begin(t, begins)``: the prior of the beginning nodes (broadcast to them).

    Yields
    ------
    alpha, scale
        ``alpha`` (p, ..., k): P(state | observations to t), per node (0 for a node
        whose history has not begun); ``scale`` (p,): P(observation t | those
        before), the sum the step divided by; the log-likelihood of a node's
        history is the sum of the logs of its scales.
    """
    alpha = None
    for t, (parent, begins) in enumerate(levels):
        b = emission(t)
        if alpha is None:
            prior = np.zeros(b.shape)
        elif isinstance(parent, slice):
            prior = alpha[parent] @ transition
        else:  # every node continues one of t - 1 (no more of them): the product, then the copies
            prior = np.take(alpha @ transition, parent, axis=0)
        if begins is not None:
            prior[begins] = begin(t, begins)
        prior *= b
        del b, alpha  # the pass holds one period's arrays at a time
        alpha, scale = _scale_in_place(prior)
        del prior
        yield alpha, scale


def backward_pass(levels, transition, emission, last, scales=None):
    """The backward pass, from the last period down to the first, over a tree of histories.

    The nodes of period t are histories after t (a sequence, or a distinct
    suffix); ``beta`` of a node is P(observations after t | state), up to a
    factor per node.

    Parameters
    ----------
    levels : iterable of (t, child, size)
        From the second-to-last period down: the ``size`` nodes of period t, the
        first of which continue into the nodes ``child`` of t + 1 (an int array,
        or a slice of the nodes of t + 1); the rest end at t (beta 1).
    transition : ndarray (k, k)
    emission : callable
        ``emission(t)``: the likelihoods of period t + 1's observations for the
        continuing nodes (as :func:`forward_pass`'s).
    last : ndarray
        Beta of the last period's nodes (ones).
    scales : callable, optional
        ``scales(t)``: the forward scales of period t + 1 of the continuing nodes
        (when nodes are sequences, so the forward and backward nodes are the same):
        beta is then scaled as alpha, and :func:`expected_transitions` reads it.
        Without it each beta is normalised per node.

    Yields
    ------
    t, beta, nxt
        ``beta`` of period t's nodes; with ``scales``, ``nxt`` (continuing nodes):
        the emission at t + 1 times beta at t + 1 over the scale, what the step
        multiplied by the transition (None without ``scales``).
    """
    beta = last
    for t, child, size in levels:
        nxt = emission(t) * (beta[child] if isinstance(child, slice) else np.take(beta, child, 0))
        if scales is not None:
            nxt /= scales(t)[(slice(None),) + (None,) * (nxt.ndim - 1)]
        del beta  # the pass holds one period's arrays at a time
        if len(nxt) < size:  # the nodes that end at t have beta 1
            beta = np.ones((size,) + nxt.shape[1:])
            np.matmul(nxt, transition.T, out=beta[: len(nxt)])
        else:
            beta = nxt @ transition.T
        if scales is None:
            _scale_in_place(beta)
            nxt = None
        yield t, beta, nxt


def posteriors(alpha: np.ndarray, beta: np.ndarray, reduce=None) -> np.ndarray:
    """P(state | whole history) per node: alpha x beta, optionally summed by ``reduce``, normalised per node."""
    joint = alpha * beta
    return normalised(joint if reduce is None else reduce(joint))


def expected_transitions(alpha, nxt, transition, weight) -> np.ndarray:
    """Expected moves (k, k) between t and t + 1, summed over nodes with weights.

    ``alpha`` (p, k) at t and ``nxt`` (p, k) from :func:`backward_pass` with
    scales, for the same p continuing nodes: xi(i, j) = alpha(i) A(i, j) nxt(j).
    """
    return transition * ((weight[:, None] * alpha).T @ nxt)


def viterbi_path(
    score: np.ndarray,
    log_transition: np.ndarray,
    log_initial: np.ndarray,
    begin: np.ndarray,
    end: np.ndarray,
) -> np.ndarray:
    """The path of states with the highest total score: Viterbi's max-sum recursion, vectorised over rows.

    Parameters
    ----------
    score : ndarray (m, n, k)
        Score of each state at each position (time-major): a log-likelihood, or
        any additive reward.
    log_transition : ndarray (k, k)
        Score of each move (``-inf`` forbids it).
    log_initial : ndarray (k,)
        Score of each state at a row's first position.
    begin, end : ndarray (n,) of int
        Each row's first and last position (inclusive).

    Returns
    -------
    ndarray (n, m) of int64
        The state path (ties go to the lowest state); -1 outside each row's positions.
    """
    m, n, k = score.shape
    begin, end = np.asarray(begin), np.asarray(end)
    delta = np.full((n, k), -np.inf)
    back = np.zeros((m, n, k), dtype=np.int8 if k < 128 else np.int64)

    def best(t, rows):  # the best move into each state, and the score with it
        cand = delta[rows, :, None] + log_transition[None]
        arg = cand.argmax(axis=1)
        return arg, np.take_along_axis(cand, arg[:, None], axis=1)[:, 0] + score[t, rows]

    for t in range(m):
        running = (begin < t) & (end >= t)
        if running.all():  # every row (no copies)
            back[t], delta = best(t, slice(None))
        elif running.any():
            back[t, running], delta[running] = best(t, running)
        starts = begin == t
        if starts.any():
            delta[starts] = log_initial[None, :] + score[t, starts]
    path = np.full((n, m), -1, dtype=np.int64)
    cur = delta.argmax(axis=1)
    rows = np.arange(n)
    for t in range(m - 1, -1, -1):
        on = (begin <= t) & (end >= t)
        path[on, t] = cur[on]
        cur = np.where(on & (begin < t), back[t, rows, cur], cur)
    return path
