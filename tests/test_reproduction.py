"""The reproduction table: our fits beside the published values, with the model tests' check."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis import readings, tables
from analysis.models.published import PUBLISHED, PublishedFit


def _model(**values):
    loglik = values.pop("loglik")
    return SimpleNamespace(params=pd.Series(values, dtype=float), loglik=loglik)


PAPER = {
    "M data": PublishedFit("M", "d", "s", {"r": 0.243, "alpha": 4.414, "loglik": -100.0}),
    "S data": PublishedFit("S", "d", "s", {"alpha": 0.704}),
}


def test_tolerance_is_half_a_unit_of_the_third_significant_figure():
    assert tables.reproduction_tolerance("r", 0.243) == pytest.approx(0.0005)
    assert tables.reproduction_tolerance("alpha", 4.414) == pytest.approx(0.005)
    assert tables.reproduction_tolerance("gamma", 15.44) == pytest.approx(0.05)
    assert tables.reproduction_tolerance("delta", -2.5) == pytest.approx(0.005)
    assert tables.reproduction_tolerance("loglik", -9582.4) == tables.REPRODUCTION_LOGLIK_TOLERANCE


def test_table_passes_within_and_fails_beyond_the_tolerance():
    fits = {
        "M data": _model(r=0.2434, alpha=4.43, loglik=-100.04),  # alpha off by 0.016 > 0.005
        "S data": _model(alpha=0.7041, beta=1.0, loglik=-5.0),  # beta and loglik not published
        "N data": _model(r=1.0, loglik=-3.0),  # no published fit at all
    }
    table = tables.reproduction_table(fits, PAPER)
    check = table["check"]
    assert check[("M data", "r")] == "pass"
    assert check[("M data", "alpha")] == "fail"
    assert check[("M data", "loglik")] == "pass"
    assert check[("S data", "alpha")] == "pass"
    assert check[("S data", "beta")] == "not published"
    assert ("S data", "loglik") not in table.index  # only the published fits' log-likelihoods
    assert (check.loc["N data"] == "not published").all()
    assert table.loc[("M data", "alpha"), "difference"] == pytest.approx(0.016)
    assert table.loc[("M data", "alpha"), "difference_pct"] == pytest.approx(100 * 0.016 / 4.414)
    assert table.loc[("M data", "r"), "model"] == "M"
    assert np.isnan(table.loc[("N data", "r"), "published"])
    loose = tables.reproduction_table(
        {"M data": _model(r=0.2434, alpha=4.43, loglik=-100.2)}, PAPER
    )
    assert loose.loc[("M data", "loglik"), "check"] == "fail"


def test_reading_counts_the_passes_and_names_the_largest_difference():
    good = tables.reproduction_table(
        {"M data": _model(r=0.2434, alpha=4.414, loglik=-100.01), "N data": _model(r=1, loglik=0)},
        PAPER,
    )
    text = readings.reproduction_reading(good)
    assert text.startswith("All 3 published values (1 fit) are reproduced")
    assert "not**" not in text and "(M data, r:" in text and "0.16%" in text
    assert "N data has no published fit" in text
    bad = tables.reproduction_table({"M data": _model(r=0.2434, alpha=4.43, loglik=-100.2)}, PAPER)
    text = readings.reproduction_reading(bad)
    assert text.startswith("1 of the 3 published values") and "2 are **not**, in M data" in text
    assert "(M data, alpha:" in text and "0.20 points" in text
    nothing = tables.reproduction_table({"N data": _model(r=1, loglik=0)}, PAPER)
    assert "nothing is checked" in readings.reproduction_reading(nothing)


def test_every_published_value_is_reproduced(cdnow_sample_summary):
    fits = tables.reproduction_fits(cdnow_sample_summary)
    assert set(PUBLISHED) < set(fits) and "MBG/NBD CDNOW" in fits
    table = tables.reproduction_table(fits)
    published = table[table["check"] != "not published"]
    assert (published["check"] == "pass").all(), published[published["check"] != "pass"]
    assert len(published) == sum(len(fit.values) for fit in PUBLISHED.values())
    assert (table.loc["MBG/NBD CDNOW", "check"] == "not published").all()
