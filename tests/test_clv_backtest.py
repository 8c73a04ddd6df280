"""The methods' backtest on the holdout: every method from calibration data only, beside the actual revenue."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import clv, data, models, rfm


@pytest.fixture(scope="module")
def sample():
    transactions = data.load_dataset("cdnow_sample")
    calibration = rfm.summarize(
        transactions, "W", observation_end="1998-06-30", calibration_end="1997-09-30"
    )
    return transactions, calibration


def test_holdout_revenue_is_purchases_times_their_mean_value(sample):
    transactions, calibration = sample
    actual = clv.holdout_revenue(calibration)
    after = transactions.loc[transactions["date"] > "1997-09-30"]
    # the summary counts purchase days; the revenue of the holdout is the spend of those days
    assert actual.sum() == pytest.approx(after["amount"].sum(), rel=1e-9)
    with pytest.raises(ValueError, match="calibration_end"):
        clv.holdout_revenue(calibration.drop(columns=["frequency_holdout"]))


def test_backtest_methods_give_every_method_for_every_customer(sample):
    transactions, calibration = sample
    fitted = {"BG/NBD": models.BetaGeo().fit(calibration)}
    repeat = calibration.loc[calibration["frequency"].gt(0) & calibration["monetary_value"].gt(0)]
    spend = models.GammaGamma().fit(repeat)
    years = 39 / 52.1775
    backtest = clv.backtest_methods(
        transactions, calibration, fitted, spend, years, "1997-09-30", time_unit="W"
    )
    assert list(backtest.columns) == ["BG/NBD", "formula", "markov"]
    assert backtest.index.equals(calibration.index) and backtest.notna().all().all()
    # the formula is the calibration spend rate times the holdout years (no discount, margin 1)
    rate = clv.yearly_spend_rate(calibration, "W")
    assert np.allclose(backtest["formula"], rate * years)
    # no customer is worth less than nothing, and the totals are of the order of the actual
    actual = clv.holdout_revenue(calibration).sum()
    assert (backtest >= 0).all().all()
    assert (backtest.sum() / actual).between(0.3, 3).all()
