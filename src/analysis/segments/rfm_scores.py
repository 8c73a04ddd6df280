"""RFM scores and the familiar named RFM segments: the baseline to read other segments against.

Recency, frequency and monetary value are each scored 1 (worst) to 5 (best)
by quintile, the code is the three digits (``"545"``), and a rule grid on
the recency score and the frequency score (or the mean of the frequency and
monetary scores) names the segment: champions, loyal customers, potential
loyalists, new customers, promising, need attention, about to sleep, at
risk, can't lose them, hibernating and lost -- the names marketing teams
use for the R x F map.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import labelled, numeric

__all__ = ["RFM_SEGMENTS", "RFM_GRID", "rfm_score", "rfm_grid_table", "rfm_segments"]

#: the named segments, in report order (best first)
RFM_SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal customers",
    "potential loyalists",
    "new customers",
    "promising",
    "need attention",
    "about to sleep",
    "at risk",
    "can't lose them",
    "hibernating",
    "lost",
)

_C, _L, _P, _N, _PR, _NA, _AS, _AR, _CL, _H, _LO = RFM_SEGMENTS

#: the segment of each (R, F) cell: rows R = 5, 4, 3, 2, 1 (top row most
#: recent), columns F = 1, 2, 3, 4, 5 (F is the frequency score, or with
#: ``second="fm"`` the integer part of the mean of F and M). Recent and
#: frequent buyers are champions; recent one-time buyers new customers (R 5)
#: or promising (R 4); frequent buyers who have not bought for long are at
#: risk or, the most frequent, can't-lose-them; long-gone occasional buyers
#: hibernating or lost.
RFM_GRID: tuple[tuple[str, ...], ...] = (
    (_N, _P, _L, _C, _C),  # R 5
    (_PR, _P, _L, _C, _C),  # R 4
    (_AS, _NA, _L, _L, _L),  # R 3
    (_H, _NA, _AR, _AR, _AR),  # R 2
    (_LO, _H, _AR, _CL, _CL),  # R 1
)


def rfm_score(values: pd.Series, *, bins: int = 5, lower_is_better: bool = False) -> pd.Series:
    """Score ``values`` 1 (worst) to ``bins`` (best) by quantile, ties sharing the lower score.

    The score is ``1 + floor(bins * w / n)``, ``w`` the number of customers
    *strictly worse* and ``n`` the number of customers. With distinct values
    it is the exact quintile (two customers per score out of ten); customers
    with equal values always get the same score, that of the first of them,
    so a score never depends on row order (with 60% one-time buyers, all of
    them score F = 1 and the two-purchase buyers F = 4).
    """
    n = len(values)
    if n == 0:
        return pd.Series(dtype=int, index=values.index)
    ranks = values.rank(method="min", ascending=not lower_is_better).to_numpy()
    worse = ranks.astype(np.int64) - 1
    return pd.Series(1 + (bins * worse) // n, index=values.index, dtype=int)


def rfm_grid_table(grid: Sequence[Sequence[str]] = RFM_GRID) -> pd.DataFrame:
    """The rule grid as a table to show: rows R (best first), columns F."""
    bins = len(grid)
    return pd.DataFrame(
        [list(row) for row in grid],
        index=pd.Index(range(bins, 0, -1), name="R"),
        columns=pd.Index(range(1, bins + 1), name="F"),
    )


def _check_grid(grid, bins: int, segments: Sequence[str]) -> np.ndarray:
    cells = np.asarray([list(row) for row in grid], dtype=object)
    if cells.shape != (bins, bins):
        raise ValueError(
            f"grid must have {bins} rows (R = {bins} .. 1) of {bins} segment names "
            f"(F = 1 .. {bins}), got shape {cells.shape}"
        )
    unknown = sorted(set(cells.ravel()) - set(segments))
    if unknown:
        raise ValueError(f"grid names segments not in segments: {unknown}; add them to segments")
    return cells


def rfm_segments(
    table: pd.DataFrame,
    *,
    recency: str = "days_since_last",
    frequency: str = "purchases",
    monetary: str = "revenue",
    bins: int = 5,
    second: str = "f",
    grid: Sequence[Sequence[str]] = RFM_GRID,
    segments: Sequence[str] = RFM_SEGMENTS,
) -> pd.DataFrame:
    """Score every customer's recency, frequency and monetary value and name its RFM segment.

    Parameters
    ----------
    table : DataFrame
        The customer table, one row per customer.
    recency : str
        Days since the last purchase (fewer is better).
    frequency : str
        Number of purchases (purchase days, the first included).
    monetary : str
        Money spent, in currency: ``revenue`` (total to date) by default.
    bins : int
        Number of score levels (5: quintiles).
    second : {"f", "fm"}
        The grid's column score: ``"f"`` the frequency score (default; one
        purchase never makes a loyal customer, however large), ``"fm"`` the
        integer part of the mean of the frequency and monetary scores.
    grid : bins x bins nested sequence of str
        The segment of each cell, rows R = bins .. 1, columns 1 .. bins;
        default :data:`RFM_GRID` (see :func:`rfm_grid_table`).
    segments : sequence of str
        The segment names in report order; default :data:`RFM_SEGMENTS`.

    Returns
    -------
    DataFrame
        Indexed like ``table``: ``r``, ``f``, ``m`` (int scores, 1 worst to
        ``bins`` best; see :func:`rfm_score` for ties), ``code`` (str, e.g.
        ``"545"``) and ``segment`` (ordered Categorical over ``segments``).
    """
    if not isinstance(bins, int | np.integer) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}")
    if second not in ("f", "fm"):
        raise ValueError(f"second must be 'f' or 'fm', got {second!r}")
    cells = _check_grid(grid, bins, segments)
    r = rfm_score(numeric(table, recency, "rfm_segments"), bins=bins, lower_is_better=True)
    f = rfm_score(numeric(table, frequency, "rfm_segments"), bins=bins)
    m = rfm_score(numeric(table, monetary, "rfm_segments"), bins=bins)
    column = f if second == "f" else (f + m) // 2
    names = cells[bins - r.to_numpy(), column.to_numpy() - 1]
    out = pd.DataFrame({"r": r, "f": f, "m": m}, index=table.index)
    out["code"] = r.astype(str) + f.astype(str) + m.astype(str)
    out["segment"] = labelled(names, table.index, segments, "segment")
    return out
