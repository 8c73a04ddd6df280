"""Strategy figures: each takes its table, draws on a given axes (or a new one), passes kwargs on, returns the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _rec(value=(60.0, 0.0, 10.0, 30.0)) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product(
        [["formation", "decline"], ["high", "low"]], names=["stage", "tier"]
    )
    customers = np.array([10, 0, 20, 70])
    value = np.asarray(value, dtype=float)
    total = value.sum()
    return pd.DataFrame(
        {
            "customers": customers,
            "share_customers": customers / customers.sum(),
            "share_value": value / total if total > 0 else np.nan,
        },
        index=idx,
    )


def test_strategy_plots_are_exported():
    for name in ("plot_value_heatmap", "plot_warning_scores", "plot_odds_ratios"):
        assert name in plots.__all__ and callable(getattr(plots, name))


def test_value_heatmap_writes_shares_and_counts():
    _, given = plt.subplots()
    ax = plots.plot_value_heatmap(_rec(), ax=given, cmap="viridis")
    assert ax is given
    texts = [t.get_text() for t in ax.texts]
    assert "60.0%\nn = 10" in texts and "30.0%\nn = 70" in texts
    assert texts.count("n = 0") == 1  # the empty cell, drawn once
    assert [t.get_text() for t in ax.get_yticklabels()] == ["formation", "decline"]
    assert ax.collections[0].get_cmap().name == "viridis"
    assert "share of the value" in ax.collections[0].colorbar.ax.get_ylabel()


def test_value_heatmap_falls_back_to_customers_without_positive_value():
    ax = plots.plot_value_heatmap(_rec(value=(-5.0, 0.0, 0.0, -1.0)))
    assert ax.get_title() == "Share of the customers by stage and tier"
    assert "70.0%\nn = 70" in [t.get_text() for t in ax.texts]


def _evaluation() -> pd.DataFrame:
    ev = pd.DataFrame(
        {
            "auc": {"early_warning": 0.65, "p_alive": 0.55, "expected_purchases": 0.75},
            "lift": {"early_warning": 1.1, "p_alive": 1.3, "expected_purchases": 1.8},
        }
    ).rename_axis("score")
    ev.attrs["fraction"] = 0.2
    return ev


def test_warning_scores_one_bar_per_score_best_on_top():
    ax = plots.plot_warning_scores(_evaluation())
    bars = ax.patches
    assert len(bars) == 3
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "expected_purchases"
    assert max(b.get_width() for b in bars) == pytest.approx(0.75)
    assert ax.lines[0].get_xdata()[0] == 0.5  # no-skill line
    orange = [b for b in bars if matplotlib.colors.to_hex(b.get_facecolor()) == "#e69f00"]
    assert len(orange) == 1 and orange[0].get_width() == pytest.approx(0.65)
    lift = plots.plot_warning_scores(_evaluation(), "lift", edgecolor="black")
    assert lift.lines[0].get_xdata()[0] == 1.0 and "top 20%" in lift.get_xlabel()
    assert matplotlib.colors.to_hex(lift.patches[0].get_edgecolor()) == "#000000"
    with pytest.raises(ValueError, match="metric"):
        plots.plot_warning_scores(_evaluation(), "gini")


def test_odds_ratios_forest_plot_on_a_log_axis():
    d = pd.DataFrame(
        {
            "odds_ratio": [6.0, 0.45, 2.2],
            "ci_low": [3.0, 0.40, 1.5],
            "ci_high": [10.0, 0.50, 3.2],
        },
        index=pd.Index(["const", "log2_purchases", "no_repeat"], name="term"),
    )
    ax = plots.plot_odds_ratios(d, markersize=4)
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["log2_purchases", "no_repeat"]
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(points) == 2 and points[0].get_markersize() == 4
    colors = [matplotlib.colors.to_hex(p.get_color()) for p in points]
    assert colors == ["#0072b2", "#d55e00"]  # below 1 blue, above 1 vermillion
    assert points[0].get_xdata()[0] == pytest.approx(0.45)
    assert "95%" in ax.get_xlabel()
