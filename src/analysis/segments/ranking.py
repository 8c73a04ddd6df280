"""The customer ranking (客户序位): one ordered list of customers from several criteria.

Dai Junliang and Liu Chengshui (2007) order customers by a weighted score of
current value, potential value and the probability of keeping them, so that
the firm serves its customers in order of what they are worth to it. Their
weights come from the firm's own judgement (an analytic hierarchy process);
no weights carry over from one firm to another, so the default here gives
the three criteria equal weight and the result carries the weights used in
``attrs["weights"]`` for a report to show.

Each criterion is first put on a common [0, 1] scale by rank, so a criterion
in currency and a probability weigh alike and one extreme customer does not
swamp the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ._common import numeric

__all__ = ["RANKING_WEIGHTS", "ranking"]

#: default criteria and weights of :func:`ranking`: current value, potential
#: value and P(alive) (the probability of retention), equally weighted
RANKING_WEIGHTS: dict[str, float] = {
    "current_value": 1.0 / 3.0,
    "potential_value": 1.0 / 3.0,
    "p_alive": 1.0 / 3.0,
}


def _weights(weights: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError(
            "weights must be a non-empty mapping of a column to its weight, e.g. "
            f"{RANKING_WEIGHTS}; got {weights!r}"
        )
    out = {}
    for column, weight in weights.items():
        try:
            w = float(weight)
        except (TypeError, ValueError):
            raise ValueError(f"weight of {column!r} must be a number, got {weight!r}") from None
        if not np.isfinite(w) or w < 0:
            raise ValueError(
                f"weight of {column!r} must be a finite number >= 0, got {weight!r}; "
                "to rank a criterion the other way, list it in lower_is_better"
            )
        out[column] = w
    total = sum(out.values())
    if total <= 0:
        raise ValueError(
            f"the weights are all zero ({weights!r}): give at least one criterion a positive weight"
        )
    return {column: w / total for column, w in out.items()}


def rank_scale(values: pd.Series, *, lower_is_better: bool = False) -> pd.Series:
    """Put ``values`` on [0, 1] by rank: 0 the worst customer, 1 the best, ties share a mean rank.

    ``(average rank - 1) / (n - 1)``; a lone customer scores 1.
    """
    n = len(values)
    if n <= 1:
        return pd.Series(1.0, index=values.index)
    ranks = values.rank(method="average", ascending=not lower_is_better)
    return (ranks - 1.0) / (n - 1.0)


def ranking(
    table: pd.DataFrame,
    *,
    weights: Mapping[str, float] = RANKING_WEIGHTS,
    lower_is_better: Iterable[str] = (),
) -> pd.DataFrame:
    """Rank every customer by a weighted score of its scaled criteria (rank 1 = best).

    Parameters
    ----------
    table : DataFrame
        The customer table, one row per customer.
    weights : mapping of str to float
        Column -> weight, each >= 0, not all zero; normalised to sum to 1.
        Default :data:`RANKING_WEIGHTS` (current value, potential value and
        P(alive), a third each).
    lower_is_better : iterable of str
        Criteria for which a smaller value is better (e.g. ``days_since_last``).

    Returns
    -------
    DataFrame
        Indexed by customer, sorted by rank, with ``score`` (weighted sum of
        the scaled criteria, 0 to 1), ``rank`` (1, 2, ..., n: one ordered
        list) and ``scaled_<criterion>`` for each criterion (0 to 1, see
        :func:`rank_scale`). ``attrs["weights"]``: the normalised weights used.

    Notes
    -----
    Customers with the same score are listed, and ranked, in the order of the
    table's index (a stable sort), so the list does not change between runs.
    """
    used = _weights(weights)
    worse_low = set(lower_is_better)
    unknown = worse_low - set(used)
    if unknown:
        raise ValueError(f"lower_is_better names criteria without a weight: {sorted(unknown)}")
    scaled = pd.DataFrame(index=table.index)
    for column in used:
        values = numeric(table, column, "ranking")
        scaled[f"scaled_{column}"] = rank_scale(values, lower_is_better=column in worse_low)
    # rounded to 12 decimals so that sums equal but for float rounding are ties
    score = sum(scaled[f"scaled_{c}"] * w for c, w in used.items()).round(12)
    out = pd.concat([score.rename("score"), scaled], axis=1)
    order = np.argsort(-out["score"].to_numpy(), kind="stable")
    out = out.iloc[order]
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    out.attrs["weights"] = used
    return out
