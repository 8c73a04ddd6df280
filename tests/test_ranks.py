"""analysis.ranks: mid-ranks, the rank AUC and its Hanley-McNeil standard error."""

import numpy as np
import pytest

from analysis.ranks import auc_standard_error, midranks, rank_auc


def test_midranks_share_ties():
    np.testing.assert_allclose(midranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])


def test_rank_auc_counts_a_tie_as_half():
    # positives 3 and 2 against negatives 1 and 2: pairs won 2 + 1 + 0.5 (tie) of 4
    assert rank_auc(np.array([3, 2, 1, 2]), np.array([1, 1, 0, 0])) == pytest.approx(3.5 / 4)
    assert np.isnan(rank_auc(np.array([1.0, 2.0]), np.array([1, 1])))


def test_auc_standard_error_hanley_mcneil():
    # A = 0.5, 10 and 10: Q1 = Q2 = 1/3, SE^2 = (0.25 + 2 * 9 * (1/3 - 1/4)) / 100
    assert auc_standard_error(0.5, 10, 10) == pytest.approx(np.sqrt(1.75 / 100))
    # A = 0.8, 4 and 6: Q1 = 0.8/1.2, Q2 = 1.28/1.8
    a, q1, q2 = 0.8, 0.8 / 1.2, 1.28 / 1.8
    want = np.sqrt((a * (1 - a) + 3 * (q1 - a * a) + 5 * (q2 - a * a)) / 24)
    assert auc_standard_error(0.8, 4, 6) == pytest.approx(want)
    assert auc_standard_error(0.9, 500, 500) < auc_standard_error(0.9, 20, 20)
    assert np.isnan(auc_standard_error(0.7, 0, 10))
