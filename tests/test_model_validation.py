"""Tests of the holdout validation helpers: exact tables with a fake model, then real models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import BetaGeoBetaBinom, holdout_errors, holdout_predictions, holdout_table
from analysis.simulate import simulate_bgbb
from analysis.validate import DataValidationError


class PerPurchase:
    """A fake model: expected holdout purchases = 0.1 * (frequency + 1) * duration."""

    def expected_purchases(self, t, data):
        return pd.Series(0.1 * (data["frequency"] + 1) * t, index=data.index)


@pytest.fixture
def summary():
    return pd.DataFrame(
        {
            "frequency": [0, 0, 1, 3, 7, 9],
            "frequency_holdout": [0, 1, 1, 2, 5, 3],
            "duration_holdout": 10.0,
        },
        index=pd.Index(list("abcdef"), name="customer_id"),
    )


def test_holdout_predictions(summary):
    pred = holdout_predictions(PerPurchase(), summary)
    np.testing.assert_allclose(pred["predicted"], [1, 1, 2, 4, 8, 10])
    np.testing.assert_allclose(pred["actual"], [0, 1, 1, 2, 5, 3])
    assert pred.index.equals(summary.index)
    # an explicit duration overrides the column
    np.testing.assert_allclose(holdout_predictions(PerPurchase(), summary, duration=5)["predicted"], [0.5, 0.5, 1, 2, 4, 5])


def test_holdout_table_exact(summary):
    table = holdout_table(PerPurchase(), summary, max_frequency=7)
    expected = pd.DataFrame(
        {
            "customers": [2, 1, 1, 2],
            "actual": [0.5, 1.0, 2.0, 4.0],
            "predicted": [1.0, 2.0, 4.0, 9.0],
            "error": [0.5, 1.0, 2.0, 5.0],
        },
        index=pd.Index(["0", "1", "3", "7+"], name="frequency"),
    )
    pd.testing.assert_frame_equal(table, expected)
    # a lower censoring point merges more groups
    assert list(holdout_table(PerPurchase(), summary, max_frequency=2).index) == ["0", "1", "2+"]


def test_holdout_table_uses_weights(summary):
    weighted = summary.assign(weight=[1, 3, 1, 1, 1, 1])
    table = holdout_table(PerPurchase(), weighted)
    assert table.loc["0", "customers"] == 4
    assert table.loc["0", "actual"] == pytest.approx(0.75)


def test_holdout_errors_exact(summary):
    errors = holdout_errors(PerPurchase(), summary)
    diff = np.array([1, 0, 1, 2, 3, 7], dtype=float)
    assert errors["customers"] == 6
    assert errors["mae"] == pytest.approx(diff.mean())
    assert errors["rmse"] == pytest.approx(np.sqrt((diff**2).mean()))
    assert errors["total_actual"] == 12
    assert errors["total_predicted"] == 26
    assert errors["total_relative_error"] == pytest.approx(14 / 12)
    assert errors["correlation"] == pytest.approx(np.corrcoef([0, 1, 1, 2, 5, 3], [1, 1, 2, 4, 8, 10])[0, 1])


def test_varying_holdout_durations_are_predicted_per_group(summary):
    mixed = summary.assign(duration_holdout=[10.0, 20.0, 10.0, 20.0, 10.0, 20.0])
    pred = holdout_predictions(PerPurchase(), mixed)
    np.testing.assert_allclose(pred["predicted"], [1, 2, 2, 8, 8, 20])


def test_missing_holdout_columns(summary):
    with pytest.raises(DataValidationError, match="frequency_holdout"):
        holdout_table(PerPurchase(), summary.drop(columns="frequency_holdout"))
    with pytest.raises(DataValidationError, match="duration_holdout"):
        holdout_errors(PerPurchase(), summary.drop(columns="duration_holdout"))


def test_bgbb_on_simulated_holdout_tracks_actuals():
    sim = simulate_bgbb(50_000, 1.2, 0.75, 0.66, 2.78, n_periods=6, seed=12, n_holdout=5)
    model = BetaGeoBetaBinom().fit(sim.summary)
    table = holdout_table(model, sim.summary, max_frequency=6)
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6+"]
    assert table["customers"].sum() == 50_000
    np.testing.assert_allclose(table["predicted"], table["actual"], rtol=0.06, atol=0.01)
    errors = holdout_errors(model, sim.summary)
    assert abs(errors["total_relative_error"]) < 0.03
    assert errors["correlation"] > 0.6


def test_bgnbd_on_cdnow_holdout(cdnow_sample_summary):
    models = pytest.importorskip("analysis.models")
    BetaGeo = getattr(models, "BetaGeo", None)
    if BetaGeo is None:
        pytest.skip("BetaGeo not available yet")
    model = BetaGeo().fit(cdnow_sample_summary)
    table = holdout_table(model, cdnow_sample_summary)
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    errors = holdout_errors(model, cdnow_sample_summary)
    # BG/NBD on the CDNOW sample under-predicts the 39-week holdout: 1,653 expected against 1,882
    # actual purchase days (-12.1%), most of the gap among customers with 1-6 calibration repeats.
    # This is a measured regression value, not a published one.
    assert errors["total_actual"] == 1882
    assert errors["total_relative_error"] == pytest.approx(-0.121, abs=0.01)
    # predictions rise with calibration frequency, as the actuals do
    assert table["predicted"].is_monotonic_increasing
