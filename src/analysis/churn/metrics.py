"""How well a score ranks an outcome: the AUC (Mann-Whitney, ties counted half) and top-share lift.

Both are computed here from their definitions, so their handling of ties is
written down rather than inherited:

- :func:`auc` is the probability that a randomly drawn positive scores above
  a randomly drawn negative, a tie counting one half. It equals the
  Mann-Whitney statistic of the positives' mid-ranks,
  ``(R+ - n+ (n+ + 1) / 2) / (n+ n-)``.
- :func:`top_lift` is the share of positives among the top ``fraction`` of
  customers by score, divided by the share among all. When the cut falls
  inside a group of tied scores, every member of that group is counted with
  the same fractional weight (the expected hit rate if the ties were broken
  at random), so the result does not depend on the row order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError, where_rows
from ..ranks import midranks, rank_auc

__all__ = ["midranks", "auc", "top_lift"]


def _checked(score, outcome) -> tuple[np.ndarray, np.ndarray]:
    """Scores and labels as arrays; two Series are aligned by index, anything else by position."""
    if isinstance(score, pd.Series) and isinstance(outcome, pd.Series):
        if not score.index.sort_values().equals(outcome.index.sort_values()):
            raise DataValidationError(
                "score and outcome are indexed by different customers; align them first "
                f"(score has {len(score)}, outcome {len(outcome)})"
            )
        s, y = score, outcome.reindex(score.index)
    else:
        s, y = pd.Series(np.asarray(score)), pd.Series(np.asarray(outcome))
        if len(s) != len(y):
            raise DataValidationError(
                f"score and outcome differ in length ({len(s)} and {len(y)}); "
                "pass one score per outcome"
            )
    values = s.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataValidationError(
            f"score is missing or not finite at {where_rows(s.index[bad], None, None)}; "
            "drop those customers or fill their score"
        )
    if y.isna().any():
        raise DataValidationError(
            f"outcome is missing at {where_rows(y.index[y.isna().to_numpy()], None, None)}"
        )
    labels = y.to_numpy()
    if not np.isin(labels, [0, 1, True, False]).all():
        raise DataValidationError("outcome must be boolean (True = the event, e.g. inactive)")
    labels = labels.astype(bool)
    if labels.all() or not labels.any():
        raise DataValidationError(
            f"outcome needs both classes; all {len(labels)} customers are "
            f"{'positive' if labels.all() else 'negative'}, so no ranking can be judged"
        )
    return values, labels


def auc(score, outcome) -> float:
    """Area under the ROC curve of ``score`` for a boolean ``outcome``, ties counted one half.

    Parameters
    ----------
    score : array-like or Series of float
        Higher means more likely positive.
    outcome : array-like or Series of bool
        True for the event (e.g. inactive in the holdout). Aligned to
        ``score`` by index when both are Series.

    Returns
    -------
    float
        In [0, 1]; 0.5 for an uninformative score.

    Raises
    ------
    DataValidationError
        When a score is missing, or the outcome has a single class.
    """
    values, labels = _checked(score, outcome)
    return rank_auc(values, labels)


def top_lift(score, outcome, fraction: float = 0.1) -> dict[str, float]:
    """Hit rate and lift of the top ``fraction`` of customers by ``score``.

    Parameters
    ----------
    score : array-like or Series of float
        Higher means more likely positive.
    outcome : array-like or Series of bool
        True for the event.
    fraction : float
        Share of customers in the top group, in (0, 1]; 0.1 is the top decile.
        The group holds ``fraction * n`` customers (not rounded); the group of
        tied scores across the cut enters with the weight that fills it.

    Returns
    -------
    dict
        ``hit_rate`` (share of positives in the top group), ``base_rate``
        (share among all) and ``lift`` (their ratio; 1 for an uninformative score).
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    values, labels = _checked(score, outcome)
    n = len(values)
    capacity = fraction * n
    order = np.argsort(-values, kind="stable")
    v = values[order]
    y = labels[order].astype(float)
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    ends = np.r_[starts[1:], n]
    sizes = ends - starts
    positives = np.add.reduceat(y, starts)
    before = starts.astype(float)  # customers in higher-scoring groups
    weight = np.clip((capacity - before) / sizes, 0.0, 1.0)
    hit_rate = float((weight * positives).sum() / capacity)
    base_rate = float(labels.mean())
    return {"hit_rate": hit_rate, "base_rate": base_rate, "lift": hit_rate / base_rate}
