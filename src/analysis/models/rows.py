"""Rows of customer data: compressing identical rows, and predictions stored per distinct row.

A summary of a million customers has a few thousand distinct (frequency,
recency, T) rows; every fit and prediction works on those and maps back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CustomerGrid", "unique_rows", "weighted_columns", "weighted_total"]

_KEY_LIMIT = 2**62  # combined row keys of unique_rows stay below this (int64)


@dataclass(frozen=True)
class CustomerGrid:
    """A prediction for every customer at several times, stored factored.

    The value for customer i at time ``times[j]`` is
    ``scale[i] * values[inverse[i], j]``: ``scale`` is per customer (e.g.
    P(alive) now) and ``values`` per distinct row of what the prediction
    depends on (e.g. (x, T)), of which a summary has a few thousand. A
    million customers at 36 times would take 290 MB as a full matrix; factored
    it takes two vectors and a small table. :meth:`combine` gives linear
    combinations over the times (e.g. discounted sums) per customer.
    """

    index: pd.Index
    times: np.ndarray
    scale: np.ndarray
    values: np.ndarray
    inverse: np.ndarray

    def combine(self, weights) -> np.ndarray:
        """Per customer, ``sum_j weights[j] * value(times[j])``."""
        weights = np.asarray(weights, dtype=float)
        if weights.shape != self.times.shape:
            raise ValueError(
                f"one weight per time is needed ({self.times.size}), got shape {weights.shape}"
            )
        return self.scale * (self.values @ weights)[self.inverse]

    def at(self, j: int) -> np.ndarray:
        """Per customer, the value at ``times[j]``."""
        return self.scale * self.values[self.inverse, j]

    def increments(self) -> CustomerGrid:
        """The grid of differences between successive times (the first from 0)."""
        steps = np.diff(self.values, axis=1, prepend=0.0)
        return CustomerGrid(self.index, self.times, self.scale, steps, self.inverse)

    def to_frame(self) -> pd.DataFrame:
        """The full customers x times table (large for many customers)."""
        full = self.scale[:, None] * self.values[self.inverse]
        return pd.DataFrame(full, index=self.index, columns=pd.Index(self.times, name="t"))


def unique_rows(mat: np.ndarray, return_inverse: bool = False):
    """Unique rows of a 2-d float array (sorted as ``np.unique(axis=0)``) and their counts.

    With ``return_inverse`` also the index of each input row's unique row.
    Each unique row is the first of its occurrences in ``mat`` (which matters
    only for -0.0 and 0.0, equal here).

    Each column is numbered by value (a column of small whole numbers
    directly, others by hashing), the numbers are combined into one integer
    key per row, and the distinct keys are counted: with a dense table when
    the keys are few (at most a few per row), else by hashing the keys. Both
    are linear in the rows, where sorting them (``np.unique(axis=0)``, or a
    lexicographic argsort) is not. At a million rows this matters: every fit
    and prediction compresses its data here.
    """
    mat = np.asarray(mat, dtype=float)
    if mat.ndim == 1:
        mat = mat[:, None]
    if mat.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return (mat.copy(), empty, empty) if return_inverse else (mat.copy(), empty)
    if not np.isfinite(mat).all():
        return _unique_rows_sorted(mat, return_inverse)
    key = np.zeros(mat.shape[0], dtype=np.int64)
    n_keys = 1
    columns = []  # (distinct values, their number) per column, while the key stays decodable
    for j in range(mat.shape[1]):
        codes, values = _column_codes(mat[:, j])
        if n_keys * len(values) >= _KEY_LIMIT:
            # the combined key would overflow int64: renumber the keys so far (at most one per row)
            key, uniq_keys = pd.factorize(key, sort=True)
            n_keys = len(uniq_keys)
            columns = None
        key = key * len(values) + codes
        n_keys *= len(values)
        if columns is not None:
            columns.append(values)
    if columns is not None and n_keys <= max(_DENSE_ROWS * mat.shape[0], _DENSE_MIN):
        if not np.any((mat == 0.0) & np.signbit(mat)):  # a -0.0 must come back as it was
            return _unique_dense(key, n_keys, columns, return_inverse)
    # factorise the key in order of first appearance, then rank the (few) distinct keys
    codes, keys = pd.factorize(key, sort=False)
    seen = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])  # row where code c first appears
    order = np.argsort(keys, kind="stable")
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys))
    inverse = rank[codes]
    counts = np.bincount(inverse, minlength=len(keys))
    uniq = mat[first[order]]
    return (uniq, counts, inverse) if return_inverse else (uniq, counts)


#: a dense table of keys is used up to this many keys per row (or _DENSE_MIN keys)
_DENSE_ROWS = 4
_DENSE_MIN = 1 << 16


def _column_codes(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes ranking a column's values (0 for the smallest) and the distinct values, sorted.

    Whole numbers in a short range (counts such as ``frequency``) are
    numbered by a table; other columns by hashing (``pandas.factorize``).
    """
    head = column[:256]
    lo, hi = float(column.min()), float(column.max())
    if np.array_equal(head, np.floor(head)) and hi - lo < max(column.shape[0], _DENSE_MIN):
        shifted = column - lo
        ints = shifted.astype(np.int64)
        if np.array_equal(ints, shifted):
            present = np.bincount(ints, minlength=int(hi - lo) + 1) > 0
            rank = np.cumsum(present) - 1
            return rank[ints], np.flatnonzero(present) + lo
    # + 0.0 turns -0.0 into 0.0: equal values must share a code
    return pd.factorize(column + 0.0, sort=True)


def _unique_dense(key, n_keys: int, columns: list[np.ndarray], return_inverse: bool):
    """:func:`unique_rows` from row keys below ``n_keys`` counted in a table of ``n_keys``."""
    table = np.bincount(key, minlength=n_keys)
    present = np.flatnonzero(table)
    counts = table[present]
    uniq = np.empty((present.shape[0], len(columns)))
    rest = present
    for j in range(len(columns) - 1, -1, -1):  # the key is mixed-radix, last column fastest
        rest, code = np.divmod(rest, len(columns[j]))
        uniq[:, j] = columns[j][code]
    if not return_inverse:
        return uniq, counts
    rank = np.empty(n_keys, dtype=np.int64)
    rank[present] = np.arange(present.shape[0])
    return uniq, counts, rank[key]


def _unique_rows_sorted(mat: np.ndarray, return_inverse: bool):
    """:func:`unique_rows` by a lexicographic sort (rows with NaN: each NaN row is its own row)."""
    order = np.lexsort(mat.T[::-1])
    srt = mat[order]
    new = np.empty(srt.shape[0], dtype=bool)
    new[0] = True
    new[1:] = np.any(srt[1:] != srt[:-1], axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.r_[starts, srt.shape[0]])
    if not return_inverse:
        return srt[starts], counts
    inverse = np.empty(mat.shape[0], dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return srt[starts], counts, inverse


def weighted_total(weight, values) -> float:
    """sum_i weight_i values_i by numpy's pairwise summation, not BLAS (see :func:`weighted_columns`)."""
    return float(np.add.reduce(np.multiply(weight, values)))


def weighted_columns(weight, rows) -> np.ndarray:
    """sum_i weight_i rows[i, :] by numpy's pairwise summation, not BLAS.

    A BLAS product of a million-row vector hands the work to OpenBLAS's
    threads and waits for them: on a busy two-core machine the wait cost far
    more than the product (10 ms against 0.3 ms single-threaded, measured).
    numpy's pairwise sum costs the same on every machine, thread count and
    BLAS kernel, and its rounding error grows with log(rows), not with rows.
    Fastest when ``rows`` is column-major (each column contiguous), as the
    models' gradients are.
    """
    rows = np.asarray(rows, dtype=float)
    return np.array([np.add.reduce(np.multiply(weight, rows[:, j])) for j in range(rows.shape[1])])
