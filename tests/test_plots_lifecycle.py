"""Lifecycle figures: each takes its table, draws on a given axes (or a new one), passes kwargs on, returns the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from analysis import lifecycle as lc  # noqa: E402
from analysis import plots  # noqa: E402
from analysis.simulate import simulate_lifecycle  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    return simulate_lifecycle(300, 12, seed=3)


@pytest.fixture(scope="module")
def stages(sim):
    return lc.assign_stages(sim.transactions)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_every_lifecycle_plot_is_exported():
    for name in (
        "plot_stage_mix",
        "plot_lifecycle_curve",
        "plot_transition_matrix",
        "plot_stage_projection",
        "plot_cohort_retention",
        "plot_survival",
        "plot_stage_confusion",
        "plot_sensitivity",
    ):
        assert name in plots.__all__ and callable(getattr(plots, name))
    assert set(plots.STAGE_COLORS) == set(lc.STAGES)


def test_stage_mix_draws_one_band_per_stage_on_the_given_axes(stages):
    fig, ax = plt.subplots()
    out = plots.plot_stage_mix(lc.stage_mix(stages), ax=ax, alpha=0.5)
    assert out is ax
    assert len(ax.collections) == 4 and ax.collections[0].get_alpha() == 0.5
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(lc.STAGES)


def test_lifecycle_curve_by_age_and_by_stage(stages):
    ax = plots.plot_lifecycle_curve(lc.lifecycle_curve(stages=stages), linewidth=3)
    lines = ax.get_lines()
    assert len(lines) == 2 and lines[0].get_linewidth() == 3
    assert np.nanmax(lines[0].get_ydata()) == pytest.approx(1.0)  # indexed to the peak
    curve = lc.lifecycle_curve(stages=stages, align="stage", min_customer_periods=1)
    ax = plots.plot_lifecycle_curve(curve)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == curve["label"].tolist()
    assert ax.get_xlabel() == "periods since entering the stage"


def test_transition_matrix_heatmap_is_annotated(stages):
    ax = plots.plot_transition_matrix(lc.transition_matrix(stages), cmap="Greens")
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 16 and all(len(t) == 4 for t in texts)  # "0.58"
    assert ax.get_ylabel() == "stage this period"


def test_stage_projection_draws_a_line_per_stage(stages):
    mix = lc.project_stage_mix(lc.transition_matrix(stages), stages, 6)
    ax = plots.plot_stage_projection(mix, linestyle=":")
    assert len(ax.get_lines()) == 4 and ax.get_lines()[0].get_linestyle() == ":"
    assert list(ax.get_lines()[0].get_xdata()) == list(range(7))


def test_cohort_retention_heatmap_leaves_out_age_zero(sim):
    retention = lc.cohort_retention(sim.transactions)
    ax = plots.plot_cohort_retention(retention, annot=False)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "0" not in labels and labels[0] == "1"
    assert len(ax.get_yticklabels()) == len(retention)


def test_survival_curves_one_per_group(stages):
    ax = plots.plot_survival(
        lc.relationship_survival(stages, by="cohort"), linestyle="--", palette="dark"
    )
    groups = [t.get_text() for t in ax.get_legend().get_texts()]
    assert groups == ["2020-01", "2020-02", "2020-03"]
    assert len(ax.get_lines()) == 3 and ax.get_lines()[0].get_linestyle() == "--"
    ax = plots.plot_survival(lc.relationship_survival(stages), color="black")
    assert ax.get_lines()[0].get_color() == "black" and ax.get_legend() is None


def test_confusion_heatmap_rows_are_shares(sim, stages):
    confusion = lc.stage_confusion(sim.stages, stages)
    ax = plots.plot_stage_confusion(confusion)
    values = np.array([float(t.get_text()) for t in ax.texts]).reshape(4, 4)
    assert np.allclose(values.sum(axis=1), 1.0, atol=0.02)
    ax = plots.plot_stage_confusion(confusion, normalize=False)
    assert int(ax.texts[0].get_text()) == confusion.iloc[0, 0]


def test_sensitivity_heatmap(sim):
    table = lc.threshold_sensitivity(sim.transactions, names=["gap_factor"])
    ax = plots.plot_sensitivity(table)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["gap_factor -25%", "gap_factor +25%"]
    assert len(ax.texts) == 8


def test_plots_make_their_own_axes_when_none_given(stages):
    ax = plots.plot_stage_mix(lc.stage_mix(stages))
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(plt.get_fignums()) == 1


def test_a_colour_passed_on_overrides_the_stage_colours(stages):
    ax = plots.plot_lifecycle_curve(lc.lifecycle_curve(stages=stages), color="grey")
    assert {line.get_color() for line in ax.get_lines()} == {"grey"}
