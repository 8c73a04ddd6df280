"""CLV figures: each takes its table, draws on a given axes (or a new one), passes kwargs on, returns the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import plots, tables  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def holdout():
    return pd.DataFrame(
        {
            "customers": [5, 3, 2],
            "actual": [0.2, 1.0, 3.0],
            "BG/NBD": [0.25, 0.9, 2.8],
            "Pareto/NBD": [0.1, 1.1, 3.1],
        },
        index=pd.Index(["0", "1", "2+"], name="frequency"),
    )


@pytest.fixture
def tracking():
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-02", periods=5),
            "time": [1.0, 2.0, 3.0, 4.0, 5.0],
            "calibration": [True, True, True, False, False],
            "actual": [0, 1, 1, 2, 3],
            "BG/NBD": [0.1, 0.3, 0.5, 0.7, 0.9],
        },
        index=pd.RangeIndex(1, 6, name="period"),
    )


def test_every_clv_plot_is_exported():
    for name in (
        "plot_holdout_by_frequency",
        "plot_tracking",
        "plot_clv_distribution",
        "plot_concentration",
        "plot_frequency_recency",
    ):
        assert name in plots.__all__ and callable(getattr(plots, name))


def test_holdout_by_frequency_draws_actual_and_one_line_per_model(holdout):
    fig, ax = plt.subplots()
    out = plots.plot_holdout_by_frequency(holdout, ax=ax, linewidth=3)
    assert out is ax
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["actual", "BG/NBD", "Pareto/NBD"]
    np.testing.assert_allclose(lines[0].get_ydata(), [0.2, 1.0, 3.0])
    np.testing.assert_allclose(lines[2].get_ydata(), [0.1, 1.1, 3.1])
    assert (
        lines[1].get_linewidth() == 3 and lines[0].get_linewidth() == 2
    )  # kwargs go to the models
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2+"]


def test_tracking_cumulative_and_per_period(tracking):
    ax = plots.plot_tracking(tracking, linestyle=":")
    lines = ax.get_lines()
    # actual, one model, and the calibration-end marker at the last calibration date
    assert [ln.get_label() for ln in lines[:2]] == ["actual", "BG/NBD"]
    end = np.datetime64(tracking.loc[tracking["calibration"], "date"].iloc[-1], "us")
    assert len(lines) == 3 and list(lines[2].get_xdata()) == [end, end]
    assert ax.get_xlabel() == "date"
    # without dates, the periods since the first purchase day
    ax = plots.plot_tracking(tracking.drop(columns="date"))
    assert list(ax.get_lines()[2].get_xdata()) == [3.0, 3.0]
    assert ax.get_xlabel() == "periods since the cohort's first purchase day"
    assert lines[1].get_linestyle() == ":"
    np.testing.assert_allclose(lines[0].get_ydata(), [0, 1, 1, 2, 3])
    ax = plots.plot_tracking(tracking, cumulative=False)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0, 1, 0, 1, 1])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [0.1, 0.2, 0.2, 0.2, 0.2])
    assert ax.get_ylabel() == "repeat purchases per period"
    # without a holdout there is no marker
    ax = plots.plot_tracking(tracking.assign(calibration=True))
    assert len(ax.get_lines()) == 2


def test_clv_distribution_is_a_log_histogram_of_the_positive_values():
    values = pd.Series(np.r_[np.zeros(3), np.geomspace(1, 1000, 50)], name="BG/NBD")
    fig, ax = plt.subplots()
    out = plots.plot_clv_distribution(values, ax=ax, bins=10)
    assert out is ax
    assert ax.get_xscale() == "log"
    assert len(ax.patches) == 10 and sum(p.get_height() for p in ax.patches) == 50
    # money in the currency (escaped so matplotlib never typesets it as math)
    assert r"3 below \$0.01" in ax.get_xlabel() and r"(\$, log scale" in ax.get_xlabel()
    assert ax.get_title() == "Distribution of CLV (BG/NBD)"
    assert len(ax.get_lines()) == 2  # median and mean


def test_concentration_draws_one_curve_per_method_and_the_diagonal():
    values = pd.DataFrame({"equal": [1.0, 1.0, 1.0, 1.0], "skewed": [0.0, 0.0, 1.0, 3.0]})
    ax = plots.plot_concentration(values, linewidth=4)
    labels = [ln.get_label() for ln in ax.get_lines()]
    # each method's total in the legend, since the curves show only shares
    assert labels[:3] == ["equal (total \\$4)", "skewed (total \\$4)", "equal value"]
    assert ax.get_legend().get_title().get_text() == "method"
    assert ax.figure.dpi == 150
    skewed = ax.get_lines()[1]
    np.testing.assert_allclose(skewed.get_xdata(), [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(skewed.get_ydata(), [0, 0.75, 1.0, 1.0, 1.0])
    assert skewed.get_linewidth() == 4
    # a Series gives one curve
    ax = plots.plot_concentration(values["skewed"])
    ax = plots.plot_concentration(values["skewed"] * 1000, currency="€")
    assert [ln.get_label() for ln in ax.get_lines()][:2] == ["skewed (total €4,000)", "equal value"]


def test_method_totals_against_the_backtest_actual():
    predicted = pd.DataFrame({"formula": [30.0, 30.0], "model": [9.0, 10.0]})
    totals = tables.method_totals(predicted, pd.Series([8.0, 12.0]))
    left, right = plots.plot_method_comparison(predicted, totals, currency="€")
    widths = [bar.get_width() for bar in right.patches]
    assert widths == [60.0, 19.0]  # one bar per method, its predicted total
    actual = [ln for ln in right.get_lines() if list(ln.get_xdata()) == [20.0, 20.0]]
    assert len(actual) == 1  # the actual total as a vertical line
    texts = [t.get_text() for t in right.texts]
    assert "€60 (3.00 x actual)" in texts and "actual €20" in texts
    assert "€" in right.get_xlabel()
    assert right.xaxis.get_major_formatter()(1_500_000, 0) == "€1.5M"
    assert [ln.get_label().split(" (")[0] for ln in left.get_lines()[:2]] == ["formula", "model"]
    assert left.figure.dpi == 150


def test_frequency_recency_heatmap_puts_the_highest_frequency_on_top():
    grid = pd.DataFrame(
        {"0-2": [8.0, 4.0, np.nan], "2-4": [np.nan, 2.0, 1.0]},
        index=pd.Index(["0", "1", "2+"], name="frequency"),
    )
    fig, ax = plt.subplots()
    out = plots.plot_frequency_recency(grid, label="P(alive)", ax=ax, cmap="Greens")
    assert out is ax
    mesh = ax.collections[0]
    assert mesh.get_cmap().name == "Greens"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2+", "1", "0"]
    assert sorted(t.get_text() for t in ax.texts) == [
        "1",
        "2",
        "4",
        "8",
    ]  # empty cells carry no number
    assert ax.get_title() == "P(alive) by frequency and recency"
