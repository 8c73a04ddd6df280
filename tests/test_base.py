"""Shared model machinery: compression of identical rows (unique_rows)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.models import base, rows
from analysis.models.rows import unique_rows


def _reference(mat):
    """np.unique over rows: sorted unique rows, their counts and each row's unique row."""
    uniq, inverse, counts = np.unique(mat, axis=0, return_inverse=True, return_counts=True)
    return uniq, counts, inverse.ravel()


def _random_rows(rng, n, k, kind):
    if kind == "ties":  # few distinct values per column: many identical rows
        return rng.integers(0, 4, size=(n, k)).astype(float)
    if kind == "floats":  # continuous: almost every row distinct
        return rng.normal(size=(n, k)) * 10.0 ** rng.integers(-3, 4, size=k)
    # the shape of a customer summary: integer counts, durations with ties, one float column
    x = rng.poisson(2.0, n).astype(float)
    T = rng.integers(30, 40, n).astype(float)
    tx = np.where(x > 0, np.floor(rng.uniform(0, 1, n) * T), 0.0)
    cols = [x, tx, T, rng.gamma(2.0, 10.0, n).round(1)]
    if k > 4:
        cols.append(rng.normal(size=(n, k - 4)))
    return np.column_stack(cols)[:, :k] if k < 4 else np.column_stack(cols)


@pytest.mark.parametrize("kind", ["ties", "floats", "summary"])
@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_unique_rows_equals_numpy_unique(kind, k):
    rng = np.random.default_rng(20 + k)
    mat = _random_rows(rng, 5000, k, kind)
    uniq, counts, inverse = unique_rows(mat, return_inverse=True)
    ref_uniq, ref_counts, ref_inverse = _reference(mat)
    np.testing.assert_array_equal(uniq, ref_uniq)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(inverse, ref_inverse)
    np.testing.assert_array_equal(uniq[inverse], mat)
    uniq2, counts2 = unique_rows(mat)
    np.testing.assert_array_equal(uniq2, ref_uniq)
    np.testing.assert_array_equal(counts2, ref_counts)


def test_unique_rows_equals_the_sorting_implementation():
    # the lexicographic sort it replaces (kept for rows with NaN): identical output
    rng = np.random.default_rng(3)
    for kind in ("ties", "floats", "summary"):
        mat = _random_rows(rng, 3000, 3, kind)
        for got, want in zip(
            unique_rows(mat, return_inverse=True), rows._unique_rows_sorted(mat, True), strict=True
        ):
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype


def test_unique_rows_many_columns_do_not_overflow_the_key(monkeypatch):
    # 12 columns of ~1000 distinct values: the product of the code ranges is 1e36,
    # far beyond int64; the key is renumbered on the way
    rng = np.random.default_rng(5)
    mat = rng.integers(0, 1000, size=(4000, 12)).astype(float)
    mat[2000:] = mat[:2000]  # every row twice
    uniq, counts, inverse = unique_rows(mat, return_inverse=True)
    ref = _reference(mat)
    np.testing.assert_array_equal(uniq, ref[0])
    np.testing.assert_array_equal(counts, ref[1])
    np.testing.assert_array_equal(inverse, ref[2])
    # the same with a tiny limit, so that every column triggers the renumbering
    monkeypatch.setattr(rows, "_KEY_LIMIT", 50)
    for got, want in zip(unique_rows(mat, return_inverse=True), ref, strict=True):
        np.testing.assert_array_equal(got, want)


def test_unique_rows_small_cases():
    mat = np.array([[2.0, 1.0], [1.0, 5.0], [2.0, 1.0], [1.0, -0.0], [1.0, 0.0]])
    uniq, counts, inverse = unique_rows(mat, return_inverse=True)
    np.testing.assert_array_equal(uniq, [[1.0, 0.0], [1.0, 5.0], [2.0, 1.0]])
    assert np.signbit(uniq[0, 1])  # the first occurrence (-0.0) represents its group
    np.testing.assert_array_equal(counts, [2, 1, 2])
    np.testing.assert_array_equal(inverse, [2, 1, 2, 0, 0])
    # one column given as a 1-d array
    uniq, counts = unique_rows(np.array([3.0, 1.0, 3.0]))
    np.testing.assert_array_equal(uniq, [[1.0], [3.0]])
    np.testing.assert_array_equal(counts, [1, 2])
    # no rows
    uniq, counts, inverse = unique_rows(np.zeros((0, 3)), return_inverse=True)
    assert uniq.shape == (0, 3) and counts.size == 0 and inverse.size == 0


def test_unique_rows_with_nan_falls_back_to_sorting():
    mat = np.array([[1.0, np.nan], [1.0, 2.0], [1.0, np.nan]])
    uniq, counts, inverse = unique_rows(mat, return_inverse=True)
    # NaN != NaN: each NaN row stays its own row, sorted last
    np.testing.assert_array_equal(counts, [1, 1, 1])
    np.testing.assert_array_equal(inverse, [1, 0, 2])
    assert uniq[0, 1] == 2.0 and np.isnan(uniq[1:, 1]).all()


def test_as_frame_accepts_frames_and_mappings_only():
    import pandas as pd

    frame = pd.DataFrame({"x": [1, 2]})
    assert base.as_frame(frame) is frame
    pd.testing.assert_frame_equal(base.as_frame({"x": [1, 2]}), frame)
    with pytest.raises(TypeError, match="DataFrame"):
        base.as_frame([[1, 2]])


@pytest.mark.parametrize("order", ["C", "F"])
def test_weighted_sums_equal_the_dot_product(order):
    rng = np.random.default_rng(7)
    w = rng.integers(1, 50, 20_000).astype(float)
    cols = np.asarray(rng.normal(size=(20_000, 4)) * [1.0, 1e3, 1e-3, 7.0], order=order)
    got = rows.weighted_columns(w, cols)
    assert got.shape == (4,)
    np.testing.assert_allclose(got, w @ cols, rtol=1e-11, atol=1e-9)
    assert rows.weighted_total(w, cols[:, 1]) == pytest.approx(
        float(np.dot(w, cols[:, 1])), rel=1e-12
    )
    # a permutation of the rows changes the pairwise sum only in its last bits
    perm = rng.permutation(len(w))
    np.testing.assert_allclose(rows.weighted_columns(w[perm], cols[perm]), got, rtol=1e-12)
