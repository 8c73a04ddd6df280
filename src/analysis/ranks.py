"""Ranks, the rank AUC and its standard error: the arithmetic the churn scores and the lifecycle holdout check share.

:func:`rank_auc` is the probability that a randomly drawn positive scores
above a randomly drawn negative, a tie counting one half: the Mann-Whitney
statistic of the positives' mid-ranks, ``(R+ - n+ (n+ + 1) / 2) / (n+ n-)``.
The callers check their inputs (:func:`analysis.churn.auc` refuses one class,
:func:`analysis.lifecycle.holdout.ranking_auc` gives NaN for it).
:func:`auc_standard_error` says how far an AUC may move by chance (Hanley
& McNeil 1982), which decides whether one score ranks significantly better.
"""

from __future__ import annotations

import numpy as np

__all__ = ["midranks", "rank_auc", "auc_standard_error"]


def midranks(values) -> np.ndarray:
    """Ranks 1..n of ``values`` in ascending order, tied values sharing the mean of their ranks.

    Parameters
    ----------
    values : array-like of float
        Finite values.

    Returns
    -------
    ndarray of float
        ``midranks([10, 20, 20, 30])`` is ``[1, 2.5, 2.5, 4]``.
    """
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    # start of each run of equal values in the sorted order
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], len(x)]
    run_rank = (starts + 1 + ends) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x), dtype=float)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def rank_auc(values: np.ndarray, labels: np.ndarray) -> float:
    """AUC of finite ``values`` for boolean ``labels``; NaN when the labels hold one class."""
    labels = np.asarray(labels, dtype=bool)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    u = midranks(values)[labels].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def auc_standard_error(auc: float, n_positive: int, n_negative: int) -> float:
    """Standard error of an AUC by Hanley and McNeil (1982), from the AUC and the class sizes.

    ``Q1 = A / (2 - A)``, ``Q2 = 2 A^2 / (1 + A)``, ``SE^2 = (A (1 - A) +
    (n+ - 1)(Q1 - A^2) + (n- - 1)(Q2 - A^2)) / (n+ n-)``; NaN when a class is empty.
    """
    a = float(auc)
    if n_positive < 1 or n_negative < 1:
        return float("nan")
    q1, q2 = a / (2.0 - a), 2.0 * a * a / (1.0 + a)
    var = (a * (1.0 - a) + (n_positive - 1) * (q1 - a * a) + (n_negative - 1) * (q2 - a * a)) / (
        n_positive * n_negative
    )
    return float(np.sqrt(max(var, 0.0)))
