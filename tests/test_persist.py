"""Saving and loading a fitted model: a small JSON file that predicts bit for bit the same."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.data import load_donations
from analysis.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    BoundaryFitWarning,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
    load_model,
    model_from_dict,
    model_to_dict,
    persist,
    rate_ratios,
    save_model,
)
from analysis.models.shifted_beta_geo import RETENTION_EXAMPLE


def no_dropout_summary(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Customers who never drop out, each repeat buyer's last purchase at her window's end.

    Every dropout term of the BG/NBD likelihood then only lowers it, so the fit
    is the NBD limit with a and b not identified (see tests/test_boundary_fits.py).
    """
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 40.0, n)
    x = rng.poisson(rng.gamma(0.8, 1.0 / 6.0, n) * T)
    return pd.DataFrame({"frequency": x, "recency": np.where(x > 0, T, 0.0), "T": T})


def same(a, b) -> None:
    """Equal to the last bit (NaN where NaN), for floats, arrays and Series."""
    if isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


def count_predictions(model, data) -> dict:
    return {
        "p_alive": model.p_alive(data),
        "p_alive_ahead": model.p_alive(data, t=10),
        "expected_purchases": model.expected_purchases(data, t=10),
        "probability_of_purchases": model.probability_of_purchases(data, n=2, t=10),
        "new_customer": model.expected_purchases_new_customer(t=np.array([1.0, 10.0, 52.0])),
        "dert": model.dert(data, annual_discount_rate=0.1),
    }


@pytest.fixture(scope="module")
def weekly(cdnow_sample_summary):
    return cdnow_sample_summary[["frequency", "recency", "T", "monetary_value"]]


@pytest.fixture(scope="module")
def cases(weekly):
    """(fitted model, its predictions as a function of a model) per class."""
    donations = load_donations()
    repeat = weekly[weekly["frequency"] > 0]
    survival = ShiftedBetaGeo.data_from_survival(RETENTION_EXAMPLE["regular"].iloc[:8])
    weekly = weekly.copy()
    weekly.attrs["time_unit"] = "W"  # the fit records the data's unit
    return {
        "BetaGeo": (BetaGeo().fit(weekly), lambda m: count_predictions(m, weekly)),
        "ParetoNBD": (ParetoNBD().fit(weekly), lambda m: count_predictions(m, weekly)),
        "ModifiedBetaGeo": (
            ModifiedBetaGeo().fit(weekly),
            lambda m: count_predictions(m, weekly),
        ),
        "BetaGeoBetaBinom": (
            BetaGeoBetaBinom(time_unit="Y").fit(donations),
            lambda m: count_predictions(m, donations),
        ),
        "GammaGamma": (
            GammaGamma().fit(repeat),
            lambda m: {
                "expected_spend": m.expected_spend(weekly),
                "population_mean_spend": m.population_mean_spend,
            },
        ),
        "ShiftedBetaGeo": (
            ShiftedBetaGeo(time_unit="Y").fit(survival),
            lambda m: {
                "survival": m.survival(np.arange(13)),
                "retention_rate": m.retention_rate(np.arange(1, 13)),
                "expected_lifetime": m.expected_lifetime(),
                "dert": m.dert(annual_discount_rate=0.1),
            },
        ),
    }


def check_same_model(loaded, model) -> None:
    assert type(loaded) is type(model)
    same(loaded.params, model.params)
    same(loaded.standard_errors, model.standard_errors)
    pd.testing.assert_frame_equal(loaded.summary(), model.summary(), check_exact=True)
    assert (loaded.loglik, loaded.n_customers, loaded.penalizer) == (
        model.loglik,
        model.n_customers,
        model.penalizer,
    )
    assert (loaded.aic, loaded.bic) == (model.aic, model.bic)
    assert getattr(loaded, "time_unit", None) == getattr(model, "time_unit", None)
    assert loaded.boundary == model.boundary
    assert loaded.boundary_note == model.boundary_note
    assert loaded.identified_means == model.identified_means
    assert repr(loaded) == repr(model)
    for field in ("success", "message", "iterations", "at_bound", "not_identified"):
        assert getattr(loaded.convergence, field) == getattr(model.convergence, field)


@pytest.mark.parametrize(
    "name",
    ["BetaGeo", "ParetoNBD", "ModifiedBetaGeo", "BetaGeoBetaBinom", "GammaGamma", "ShiftedBetaGeo"],
)
def test_a_saved_model_loads_and_predicts_the_same(cases, name, tmp_path):
    model, predictions = cases[name]
    path = save_model(model, tmp_path / "model.json")
    assert path == tmp_path / "model.json"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # nothing but the file
    assert path.stat().st_size < 5_000
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert (saved["format"], saved["format_version"], saved["class"]) == (
        "analysis.model",
        1,
        name,
    )
    assert saved["package_version"] == persist.package_version() is not None
    loaded = load_model(path)
    check_same_model(loaded, model)
    before, after = predictions(model), predictions(loaded)
    for key in before:
        same(after[key], before[key])


def test_a_gamma_gamma_with_covariates_round_trips(weekly, tmp_path):
    repeat = weekly[weekly["frequency"] > 0].copy()
    repeat["flag"] = np.random.default_rng(7).integers(0, 2, len(repeat)).astype(float)
    model = GammaGamma(spend_covariates=["flag"]).fit(repeat)
    saved = model_to_dict(model)
    assert saved["spend_covariates"] == ["flag"]
    assert "purchase_covariates" not in saved
    loaded = load_model(save_model(model, tmp_path / "gg.json"))
    assert loaded.spend_covariates == ("flag",)
    check_same_model(loaded, model)
    same(loaded.expected_spend(repeat), model.expected_spend(repeat))
    pd.testing.assert_frame_equal(rate_ratios(loaded), rate_ratios(model), check_exact=True)
    with pytest.raises(Exception, match="flag"):
        loaded.expected_spend(repeat.drop(columns="flag"))  # the covariate is read, not dropped


def test_the_time_unit_is_saved(cases):
    assert model_to_dict(cases["BetaGeo"][0])["time_unit"] == "W"
    assert model_to_dict(cases["ShiftedBetaGeo"][0])["time_unit"] == "Y"
    assert "time_unit" not in model_to_dict(cases["GammaGamma"][0])
    assert model_from_dict(model_to_dict(cases["BetaGeo"][0])).resolve_time_unit() == "W"


def test_the_dict_is_plain_json(cases):
    d = model_to_dict(cases["BetaGeo"][0])
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert list(d["params"]) == ["r", "alpha", "a", "b"]
    assert np.array(d["covariance"]).shape == (4, 4)


def test_a_boundary_fit_keeps_its_flags(tmp_path):
    with pytest.warns(BoundaryFitWarning, match="no dropout detected"):
        model = BetaGeo(time_unit="W").fit(no_dropout_summary())
    assert {"a", "b"} <= set(model.boundary)
    path = save_model(model, tmp_path / "nbd.json")
    saved = json.loads(path.read_text(encoding="utf-8"))
    # the covariance of the unidentified parameters is NaN: null in the file
    assert saved["standard_errors"]["a"] is None and saved["covariance"][2][2] is None
    loaded = load_model(path)
    check_same_model(loaded, model)
    assert "note" in loaded.summary().columns
    assert not loaded.convergence.success
    assert set(loaded.convergence.not_identified) == set(model.convergence.not_identified)
    same(loaded.p_alive(no_dropout_summary()), model.p_alive(no_dropout_summary()))


def test_a_model_made_from_params_saves_without_covariance(tmp_path):
    model = BetaGeo.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, time_unit="W")
    loaded = load_model(save_model(model, tmp_path / "truth.json"))
    same(loaded.params, model.params)
    assert loaded._cov is None and loaded.loglik is None and loaded.convergence is None
    assert loaded.time_unit == "W"


def test_an_unknown_class_is_refused(cases, tmp_path):
    d = model_to_dict(cases["BetaGeo"][0])
    with pytest.raises(ValueError, match=r"unknown model class 'Popen'.*only the package's models"):
        model_from_dict(d | {"class": "Popen", "module": "subprocess"})
    with pytest.raises(ValueError, match="unknown model class 'BaseModel'"):
        model_from_dict(d | {"class": "BaseModel"})
    path = tmp_path / "other.json"
    path.write_text(json.dumps(d | {"class": "Popen"}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"other\.json.*unknown model class"):
        load_model(path)

    class MyBetaGeo(BetaGeo):
        pass

    # a subclass (a test double, a user's tweak) is saved as the package class it extends
    mine = MyBetaGeo.from_params(d["params"])
    assert model_to_dict(mine)["class"] == "BetaGeo"
    with pytest.raises(TypeError, match="only the package's models can be saved"):
        save_model(object(), tmp_path / "mine.json")
    assert not (tmp_path / "mine.json").exists()


def test_a_newer_format_or_another_file_is_refused(cases, tmp_path):
    d = model_to_dict(cases["BetaGeo"][0])
    with pytest.raises(ValueError, match="format version 2.*newer than this code reads"):
        model_from_dict(d | {"format_version": 2})
    with pytest.raises(ValueError, match="not a saved model of this package"):
        model_from_dict({"class": "BetaGeo", "params": d["params"]})
    with pytest.raises(ValueError, match=r"'params' must name \['r', 'alpha', 'a', 'b'\]"):
        model_from_dict(d | {"params": {"r": 1.0}})
    with pytest.raises(ValueError, match="missing or malformed"):
        model_from_dict(d | {"convergence": {"success": True}})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.json"):
        load_model(bad)
    with pytest.raises(FileNotFoundError, match="no file"):
        load_model(tmp_path / "none.json")


def test_an_unfitted_model_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted yet"):
        save_model(BetaGeo(), tmp_path / "m.json")
    with pytest.raises(RuntimeError, match="not fitted yet"):
        model_to_dict(GammaGamma())
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_kept_unless_overwrite(cases, tmp_path):
    path = tmp_path / "m.json"
    path.write_text("the user's file", encoding="utf-8")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_model(cases["BetaGeo"][0], path)
    assert path.read_text(encoding="utf-8") == "the user's file"
    save_model(cases["GammaGamma"][0], path, overwrite=True)
    assert isinstance(load_model(path), GammaGamma)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(cases["BetaGeo"][0], tmp_path / "missing" / "m.json")
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
