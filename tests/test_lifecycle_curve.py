"""The lifecycle curve, by relationship age and aligned on the stages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import lifecycle as lc
from lifecycle_cases import tiny_stages as _tiny_stages

E, F, S, D = lc.STAGES


@pytest.fixture
def tiny_stages() -> pd.DataFrame:
    return _tiny_stages()


def test_lifecycle_curve_by_age_exact(tiny_stages):
    got = lc.lifecycle_curve(stages=tiny_stages, margin=0.5)
    assert got["customers"].tolist() == [2, 2, 2, 1]
    assert got["purchases"].tolist() == [1.0, 1.0, 1.5, 0.0]
    assert got["profit"].tolist() == [5.0, 5.0, 7.5, 0.0]
    assert got.loc[1, "share_formation"] == 0.5 and got.loc[1, "share_decline"] == 0.5
    shares = got[[f"share_{s}" for s in lc.STAGES]].sum(axis=1)
    assert np.allclose(shares, 1.0)


def test_lifecycle_curve_by_stage(tiny_stages):
    got = lc.lifecycle_curve(
        stages=tiny_stages, align="stage", max_periods=2, min_customer_periods=1
    )
    assert got["stage"].astype(str).tolist() == [E, F, S, D, D]
    assert got["label"].tolist() == ["0", "0", "0", "0", "1+"]
    assert got["customer_periods"].tolist() == [2, 1, 1, 2, 1]
    with pytest.raises(ValueError, match="align"):
        lc.lifecycle_curve(stages=tiny_stages, align="calendar")


def test_lifecycle_curve_classifies_a_log_when_given_one(cdnow_sample):
    direct = lc.lifecycle_curve(cdnow_sample, gap_factor=4.0)
    staged = lc.lifecycle_curve(stages=lc.assign_stages(cdnow_sample, gap_factor=4.0))
    pd.testing.assert_frame_equal(direct, staged)
    with pytest.raises(TypeError, match="transactions or stages"):
        lc.lifecycle_curve()


def test_spend_per_purchase_by_stage_weights_points_by_customer_periods():
    # formation: 10 customer-periods at 2 purchases / $40 and 30 at 1 / $30 -> $1,300 / 50 purchases
    curve = pd.DataFrame(
        {
            "stage": [F, F, S, D],
            "customer_periods": [10, 30, 5, 4],
            "purchases": [2.0, 1.0, 1.0, 0.0],
            "revenue": [40.0, 30.0, 25.0, 0.0],
        }
    )
    got = lc.curve.spend_per_purchase_by_stage(curve)
    assert list(got.index) == [F, S, D]
    assert got[F] == pytest.approx(1300 / 50)
    assert got[S] == pytest.approx(25.0)
    assert np.isnan(got[D])
