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
- :func:`normalised`: the scaling of a pass, per customer;
- :func:`viterbi_path`: the best path under additive scores (log
  probabilities in the Netzer model, expected correct periods in the stage
  decoding), with per-row start and end positions.
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


def normalised(a: np.ndarray) -> np.ndarray:
    """``a`` (n, ...) divided by its sum over each row's block (blocks of 0 left as 0)."""
    return scaled(a)[0]


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
    for t in range(m):
        running = (begin < t) & (end >= t)
        if running.any():
            cand = delta[running, :, None] + log_transition[None]
            back[t, running] = cand.argmax(axis=1)
            delta[running] = cand.max(axis=1) + score[t, running]
        starts = begin == t
        delta[starts] = log_initial[None, :] + score[t, starts]
    path = np.full((n, m), -1, dtype=np.int64)
    cur = delta.argmax(axis=1)
    rows = np.arange(n)
    for t in range(m - 1, -1, -1):
        on = (begin <= t) & (end >= t)
        path[on, t] = cur[on]
        cur = np.where(on & (begin < t), back[t, rows, cur], cur)
    return path
