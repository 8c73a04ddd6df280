"""Every count model is called the same way: the CountModel protocol, its time unit, its keywords."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    CountModel,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    PurchaseCountDistribution,
    ShiftedBetaGeo,
)
from analysis.simulate import simulate_bgbb
from analysis.validate import DataValidationError

COUNT_MODELS = [BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom]


@pytest.fixture(scope="module")
def weekly(cdnow_sample_summary):
    """A small CDNOW summary (weekly, attrs["time_unit"] = "W" from rfm.summarize)."""
    small = cdnow_sample_summary.iloc[::3]
    assert small.attrs["time_unit"] == "W"
    return small


@pytest.fixture(scope="module")
def quarterly():
    """A simulated BG/BB summary: 8 quarterly opportunities (attrs set as summarize would)."""
    summary = simulate_bgbb(3000, 1.2, 0.75, 0.66, 2.78, n_periods=8, seed=5).summary.copy()
    summary.attrs["time_unit"] = "Q"
    return summary


@pytest.fixture(scope="module", params=COUNT_MODELS, ids=lambda m: m.__name__)
def fitted(request, weekly, quarterly):
    data = quarterly if request.param is BetaGeoBetaBinom else weekly
    return request.param().fit(data), data


def test_every_count_model_is_called_the_same_way(fitted):
    model, data = fitted
    assert isinstance(model, CountModel) and isinstance(model, PurchaseCountDistribution)
    assert model.time_unit == data.attrs["time_unit"]  # taken from the data at fit
    assert model.discrete_time is (type(model) is BetaGeoBetaBinom)

    expected = model.expected_purchases(data, t=4)
    new = model.expected_purchases_new_customer(t=4)
    alive_now = model.p_alive(data)
    alive_later = model.p_alive(data, t=4)
    dert = model.dert(data, annual_discount_rate=0.1)
    prob = model.probability_of_purchases(data, n=1, t=4)
    prob_new = model.probability_of_purchases_new_customer(n=1, t=4)

    for series in (expected, alive_now, alive_later, dert, prob):
        assert isinstance(series, pd.Series) and series.index.equals(data.index)
        assert np.all(np.isfinite(series)) and (series >= 0).all()
    assert isinstance(new, float) and new > 0 and 0 < prob_new < 1
    assert (alive_later <= alive_now + 1e-15).all() and (alive_now <= 1).all()
    assert (prob <= 1).all()
    # more discounting, less value; a longer window, more purchases
    assert (model.dert(data, annual_discount_rate=0.3) < dert).all()
    assert (model.expected_purchases(data, t=8) > expected).all()
    # the grids hold the same values as one call per time
    ts = [1, 4]
    np.testing.assert_allclose(
        model.expected_purchases_grid(data, ts=ts).at(1), expected, rtol=1e-12
    )
    np.testing.assert_allclose(model.p_alive_grid(data, ts=ts).at(1), alive_later, rtol=1e-12)


def test_times_are_keyword_only(fitted):
    model, data = fitted
    for call in (
        lambda: model.expected_purchases(data, 4),
        lambda: model.expected_purchases_new_customer(4),
        lambda: model.p_alive(data, 4),
        lambda: model.dert(data, 0.1),
        lambda: model.probability_of_purchases(data, 1, 4),
        lambda: model.probability_of_purchases_new_customer(1, 4),
        lambda: model.expected_purchases_grid(data, [1, 4]),
    ):
        with pytest.raises(TypeError):
            call()


def test_dert_converts_the_yearly_rate_with_the_time_unit(fitted):
    model, data = fitted
    own = model.dert(data, annual_discount_rate=0.1)
    np.testing.assert_array_equal(
        own, model.dert(data, annual_discount_rate=0.1, time_unit=model.time_unit)
    )
    # the same yearly rate read with a longer period is a larger rate per period: less value
    longer = model.dert(data, annual_discount_rate=0.1, time_unit="Y")
    assert (longer < own).all()
    unknown = type(model).from_params(model.params)
    assert unknown.time_unit is None
    with pytest.raises(ValueError, match="time unit"):
        unknown.dert(data, annual_discount_rate=0.1)
    with pytest.raises(ValueError, match="time_unit must be one of"):
        model.dert(data, annual_discount_rate=0.1, time_unit="weeks")


def test_the_time_unit_comes_from_the_constructor_or_the_data(weekly):
    cols = weekly[["frequency", "recency", "T"]]
    plain = pd.DataFrame(cols.to_numpy(), columns=cols.columns)  # no attrs
    assert BetaGeo().fit(plain).time_unit is None
    assert BetaGeo(time_unit="W").fit(plain).time_unit == "W"
    assert BetaGeo(time_unit="W").fit(weekly).time_unit == "W"
    with pytest.raises(DataValidationError, match="time_unit='D'"):
        BetaGeo(time_unit="D").fit(weekly)
    with pytest.raises(ValueError, match="time_unit must be one of"):
        BetaGeo(time_unit="fortnight")
    assert BetaGeo.from_params(BetaGeo().fit(weekly).params, time_unit="W").time_unit == "W"


def test_the_time_unit_is_an_argument_of_fit(weekly):
    cols = weekly[["frequency", "recency", "T"]]
    plain = pd.DataFrame(cols.to_numpy(), columns=cols.columns)  # no attrs, as after a merge
    assert not plain.attrs
    model = BetaGeo().fit(plain, time_unit="W")
    assert model.time_unit == "W"
    # the same fit as from the summary that carries its unit
    np.testing.assert_array_equal(model.params, BetaGeo().fit(weekly).params)
    assert BetaGeo().fit(weekly, time_unit="W").time_unit == "W"
    with pytest.raises(DataValidationError, match="fit's time_unit='D'"):
        BetaGeo().fit(weekly, time_unit="D")
    with pytest.raises(DataValidationError, match="constructor's time_unit='M'"):
        BetaGeo(time_unit="M").fit(plain, time_unit="W")
    with pytest.raises(ValueError, match="time_unit must be one of"):
        BetaGeo().fit(plain, time_unit="weeks")


def test_models_outside_the_protocol():
    # a contract model and a spend model have no per-customer purchase predictions
    assert not isinstance(ShiftedBetaGeo(), CountModel)
    assert not isinstance(GammaGamma(), CountModel)
