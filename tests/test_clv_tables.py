"""Tests of analysis.tables: the CLV report's comparison tables, exact frames on hand-built inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis import tables
from analysis.models.published import PUBLISHED, PUBLISHED_CDNOW


def _fake_model(params, se, loglik, n=100):
    params = pd.Series(params, dtype=float)
    k = len(params)
    return SimpleNamespace(
        params=params,
        standard_errors=pd.Series(se, index=params.index, dtype=float),
        loglik=loglik,
        n_customers=n,
        aic=2 * k - 2 * loglik,
        bic=k * np.log(n) - 2 * loglik,
    )


def test_compare_published_puts_estimates_next_to_published_values():
    models = {
        "m1": _fake_model({"r": 1.0, "alpha": 2.0}, [0.1, 0.2], -10.0),
        "m2": _fake_model({"s": 3.0}, [0.3], -20.0),
    }
    table = tables.compare_published(models, {"m1": {"r": 0.8, "loglik": -12.5}})
    expected = pd.DataFrame(
        {
            "estimate": [1.0, 2.0, -10.0, 3.0, -20.0],
            "std_error": [0.1, 0.2, np.nan, 0.3, np.nan],
            "published": [0.8, np.nan, -12.5, np.nan, np.nan],
            "difference_pct": [25.0, np.nan, 20.0, np.nan, np.nan],
        },
        index=pd.MultiIndex.from_tuples(
            [("m1", "r"), ("m1", "alpha"), ("m1", "loglik"), ("m2", "s"), ("m2", "loglik")],
            names=["model", "parameter"],
        ),
    )
    pd.testing.assert_frame_equal(table, expected)
    # without published values there is no comparison to show, not an empty one
    assert list(tables.compare_published(models).columns) == ["estimate", "std_error"]


def test_compare_published_marks_boundary_parameters():
    flagged = _fake_model({"r": 1.0, "a": 1e-6}, [0.1, np.nan], -10.0)
    flagged.boundary = {"a": "no finite standard error"}
    table = tables.compare_published({"m1": flagged, "m2": _fake_model({"s": 3.0}, [0.3], -20.0)})
    assert table["note"].tolist() == ["", "no finite standard error", "", "", ""]


def test_fit_table():
    table = tables.fit_table({"m1": _fake_model({"r": 1.0, "alpha": 2.0}, [0.1, 0.2], -10.0, n=50)})
    expected = pd.DataFrame(
        {
            "customers": [50],
            "parameters": [2],
            "loglik": [-10.0],
            "aic": [24.0],
            "bic": [2 * np.log(50) + 20.0],
        },
        index=pd.Index(["m1"], name="model"),
    )
    pd.testing.assert_frame_equal(table, expected)
    with pytest.raises(TypeError, match="mapping"):
        tables.fit_table([1, 2])


def test_concentration_curve():
    curve = tables.concentration(pd.Series([1.0, 3.0, 0.0, 4.0]))
    expected = pd.DataFrame(
        {
            "share_of_customers": [0.0, 0.25, 0.5, 0.75, 1.0],
            "share_of_value": [0.0, 0.5, 0.875, 1.0, 1.0],
        }
    )
    pd.testing.assert_frame_equal(curve, expected)
    with pytest.raises(ValueError, match="sum to 0"):
        tables.concentration(pd.Series([0.0, 0.0]))


def test_method_summary():
    values = pd.DataFrame({"a": np.arange(1.0, 11.0), "b": np.full(10, 2.0)})
    table = tables.method_summary(values)
    expected = pd.DataFrame(
        {
            "customers": [10, 10],
            "total": [55.0, 20.0],
            "mean": [5.5, 2.0],
            "median": [5.5, 2.0],
            "top_10%": [10 / 55, 0.1],
            "top_20%": [19 / 55, 0.2],
        },
        index=pd.Index(["a", "b"], name="method"),
    )
    pd.testing.assert_frame_equal(table, expected)


def test_mean_by_frequency_recency():
    summary = pd.DataFrame(
        {"frequency": [0, 1, 1, 5], "recency": [0.0, 1.0, 4.0, 3.5], "T": [4.0, 4.0, 4.0, 4.0]},
        index=[10, 11, 12, 13],
    )
    values = pd.Series(
        [1.0, 2.0, 4.0, 8.0], index=[13, 12, 11, 10]
    )  # any order: aligned by customer
    grid = tables.mean_by_frequency_recency(summary, values, max_frequency=2, recency_bins=2)
    expected = pd.DataFrame(
        {"0-2": [8.0, 4.0, np.nan], "2-4": [np.nan, 2.0, 1.0]},
        index=pd.CategoricalIndex(
            ["0", "1", "2+"], categories=["0", "1", "2+"], ordered=True, name="frequency"
        ),
    )
    expected.columns = pd.Index(["0-2", "2-4"], name="recency")
    pd.testing.assert_frame_equal(grid, expected)


# ----- the published values: one reference module, read by the report -------------------------------
def test_compare_published_reads_the_reference_values_and_flags_a_mismatch():
    pub = PUBLISHED_CDNOW["BG/NBD"]
    params = {k: v for k, v in pub.items() if k != "loglik"}
    exact = _fake_model(params, [0.01] * len(params), pub["loglik"])
    off = _fake_model({**params, "a": params["a"] * 1.05}, [0.01] * len(params), pub["loglik"] - 3)
    table = tables.compare_published({"BG/NBD": exact, "Other": exact}, PUBLISHED_CDNOW)
    # the published column is the reference module's, parameter by parameter
    bg = table.loc["BG/NBD"]
    assert bg["published"].to_dict() == pub
    assert (bg["difference_pct"] == 0).all()
    assert table.loc["Other", "published"].isna().all()  # a model the module does not know
    # a parameter 5% off shows as a 5% difference, the others stay at 0
    shifted = tables.compare_published({"BG/NBD": off}, PUBLISHED_CDNOW).loc["BG/NBD"]
    assert shifted.loc["a", "difference_pct"] == pytest.approx(5.0)
    assert shifted.loc["loglik", "difference_pct"] == pytest.approx(-100 * 3 / abs(pub["loglik"]))
    assert (shifted.drop(index=["a", "loglik"])["difference_pct"] == 0).all()


def test_our_cdnow_fit_matches_the_reference_values(cdnow_sample_summary):
    from analysis.models import BetaGeo

    fit = BetaGeo().fit(cdnow_sample_summary)
    table = tables.compare_published({"BG/NBD": fit}, PUBLISHED_CDNOW).loc["BG/NBD"]
    assert table["published"].notna().all()
    # published to 3 decimals: our estimates agree to well under 0.2%
    assert table["difference_pct"].abs().max() < 0.2


def test_published_table_lists_every_value_with_its_source():
    from analysis.models.published import published_table

    table = published_table()
    assert len(table) == sum(len(fit.values) for fit in PUBLISHED.values())
    assert set(table["fit"]) == set(PUBLISHED)
    assert table["source"].str.contains(r"\(\d{4}\)").all()  # each names its paper's year
    bg = table[table["fit"] == "BG/NBD CDNOW"].set_index("parameter")["value"]
    assert bg.to_dict() == PUBLISHED_CDNOW["BG/NBD"]
    # the report's CDNOW values are the reference fits' values
    for name, values in PUBLISHED_CDNOW.items():
        assert values == dict(PUBLISHED[f"{name} CDNOW"].values)
    assert tables.PUBLISHED_CDNOW is PUBLISHED_CDNOW


def _stage_inputs():
    chain = pd.DataFrame(
        {"customers": [0, 2, 1, 3], "clv": [9.0, 40.0, 30.0, 10.0]},
        index=pd.Index(["exploration", "formation", "stability", "decline"], name="stage"),
    )
    stages = ["formation", "decline", "formation", "stability", "decline", "decline"]
    table = pd.DataFrame(
        {
            "stage": pd.Categorical(stages, list(chain.index), ordered=True),
            "clv_net": [60.0, 1.0, 20.0, 45.0, 2.0, 3.0],
        },
        index=[f"c{i}" for i in range(6)],
    )
    return chain, table
