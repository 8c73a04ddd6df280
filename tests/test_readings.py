"""Readings written from the numbers: the verdict words follow the tables, on hand-built inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis import readings


def _model(params, loglik, *, boundary=None, note="", unit="W"):
    params = pd.Series(params, dtype=float)
    k = len(params)
    return SimpleNamespace(
        params=params,
        standard_errors=pd.Series(0.1, index=params.index),
        loglik=loglik,
        aic=2 * k - 2 * loglik,
        n_customers=100,
        boundary=boundary or {},
        boundary_note=note,
        time_unit=unit,
    )


def test_ranking_words_follow_the_likelihoods():
    models = {
        "BG/NBD": _model({"r": 0.25, "alpha": 4.5, "a": 0.8, "b": 2.4}, -9582.4),
        "Pareto/NBD": _model({"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}, -9595.0),
    }
    text = readings.fit_reading(models)
    assert "By log-likelihood BG/NBD fits best (-9,582.4); Pareto/NBD 12.6 points lower." in text
    assert "AIC ranks them the same way." in text
    assert "once every 18.0 weeks" in text and "r = 0.25 < 1" in text
    # the gap quoted is the difference of the values as shown: -7,701.2 and -7,715.5 -> 14.3
    # (the unrounded values differ by 14.24)
    apparel = {
        "Pareto/NBD": _model({"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}, -7701.24),
        "BG/NBD": _model({"r": 0.25, "alpha": 4.5, "a": 0.8, "b": 2.4}, -7715.48),
    }
    assert "BG/NBD 14.3 points lower" in readings.fit_reading(apparel)
    close = {
        "BG/NBD": _model({"r": 1.5, "alpha": 3.0}, -100.3),
        "MBG/NBD": _model({"r": 1.5, "alpha": 3.0}, -100.0),
    }
    text = readings.fit_reading(close, time_unit="M")
    assert "fit about equally well" in text and "within 0.30 points" in text
    assert "best MBG/NBD" in text and "once every 2.0 months" in text and "cluster" in text


def test_boundary_fit_is_said_in_bold():
    models = {
        "BG/NBD": _model(
            {"r": 0.8, "alpha": 6.0, "a": 1e-5, "b": 9856.0},
            -500.0,
            boundary={"a": "x", "b": "y"},
            note="BetaGeo: no dropout detected: ... reduces to the NBD ...",
        ),
        "Pareto/NBD": _model({"r": 0.8, "alpha": 6.0, "s": 1.0, "beta": 2.0}, -499.0),
    }
    text = readings.fit_reading(models)
    assert "**BG/NBD is a boundary fit.** BetaGeo: no dropout detected" in text
    assert "Pareto/NBD is a boundary fit" not in text
    assert np.isclose(float(text.count("boundary fit")), 1.0)


def test_spend_reading_words_follow_the_correlation_and_the_means(cdnow_sample_summary):
    from analysis.models import GammaGamma

    repeat = cdnow_sample_summary[cdnow_sample_summary["frequency"] > 0]
    model = GammaGamma().fit(repeat)
    text = readings.spend_reading(model, repeat)
    corr = repeat["frequency"].corr(repeat["monetary_value"])
    assert f"weakly correlated among the 946 repeat buyers ({corr:.2f}" in text
    assert f"${model.population_mean_spend:,.2f}" in text
    assert "€" in readings.spend_reading(model, repeat, currency="€")
    # correlated spend is called a problem; no published comparison is claimed here
    skewed = repeat.assign(monetary_value=repeat["monetary_value"] + 5.0 * repeat["frequency"])
    text = readings.spend_reading(model, skewed)
    assert "are correlated" in text and "buy more often spend more" in text
    assert "published" not in text
