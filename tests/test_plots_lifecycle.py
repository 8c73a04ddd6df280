"""Lifecycle figures: each takes its table, draws on a given axes (or a new one), passes kwargs on, returns the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import lifecycle as lc  # noqa: E402
from analysis import plots, tables  # noqa: E402
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


def test_lifecycle_curve_by_stage_breaks_at_the_stage_boundaries_and_shows_n(stages):
    curve = lc.lifecycle_curve(stages=stages, align="stage", min_customer_periods=1)
    ax = plots.plot_lifecycle_curve(curve, linewidth=3, currency="€")
    purchases = ax.get_lines()[0]
    y = np.asarray(purchases.get_ydata(), dtype=float)
    n_stages = curve["stage"].nunique()
    # one NaN between consecutive stages, none inside a stage
    assert np.isnan(y).sum() == n_stages - 1
    assert np.allclose(y[~np.isnan(y)], curve["purchases"])  # absolute, not indexed to the peak
    assert purchases.get_linewidth() == 3
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert [lab.split("\n")[0] for lab in labels] == curve["label"].tolist()
    assert labels[0].split("\n")[1] == str(curve["customer_periods"].iloc[0])  # n under the tick
    assert ax.get_xlabel().startswith("months since entering the stage")
    assert "per month" in ax.get_ylabel()
    assert "€" in ax.right_axis.get_ylabel()  # profit in money on the right axis
    assert np.allclose(np.asarray(ax.right_axis.get_lines()[0].get_ydata())[~np.isnan(y)],
                       curve["profit"])  # fmt: skip
    assert ax.figure.dpi == 150


def test_stage_curve_positions_leave_a_gap_between_stages():
    curve = pd.DataFrame({"stage": ["exploration", "exploration", "formation", "decline"]})
    assert plots.stage_curve_positions(curve).tolist() == [0.0, 1.0, 3.0, 5.0]


def test_lifecycle_by_age_in_panels_with_the_customers_who_reach_stability(stages):
    curve = lc.lifecycle_curve(stages=stages)
    reaching = lc.lifecycle_curve(stages=stages, reaching="stability")
    assert reaching["customers"].max() < curve["customers"].max()
    axes = plots.plot_lifecycle_by_age(curve, reaching, currency="£", period="M")
    assert len(axes) == 3 and axes[0].figure.dpi == 150
    assert np.allclose(axes[0].get_lines()[0].get_ydata(), curve["purchases"])
    assert np.allclose(axes[1].get_lines()[0].get_ydata(), reaching["purchases"])
    assert all("£" in ax.right_axis.get_ylabel() for ax in axes[:2])
    assert axes[0].get_xlabel().startswith("age, months")
    shares = axes[2]
    assert len(shares.collections) == 4 and shares.get_legend().get_title().get_text() == "stage"
    colours = [matplotlib.colors.to_hex(c.get_facecolor()[0]) for c in shares.collections]
    assert colours == [plots.STAGE_COLORS[s].lower() for s in lc.STAGES]


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
    legend = ax.get_legend()
    groups = [t.get_text() for t in legend.get_texts()]
    assert [g.split(" (n = ")[0] for g in groups] == ["2020-01", "2020-02", "2020-03"]
    assert all(g.endswith(")") and "(n = " in g for g in groups)  # the group's size
    assert legend.get_title().get_text() == "first-purchase month"
    assert len(ax.get_lines()) == 3 and ax.get_lines()[0].get_linestyle() == "--"
    ax = plots.plot_survival(lc.relationship_survival(stages), color="black")
    assert ax.get_lines()[0].get_color() == "black" and ax.get_legend() is None


def test_survival_has_whole_months_the_trial_rule_and_cut_points(stages):
    groups = lc.first_period_spend_groups(stages)
    labels = tables.spend_group_labels(stages, groups, currency="$")
    assert labels["1 low"].startswith("1 low: $") and " to $" in labels["1 low"]
    ax = plots.plot_survival(
        lc.relationship_survival(stages, by=groups),
        trial_months=2.0,
        labels=labels,
        legend_title="spend in the first month",
    )
    ticks = ax.get_xticks()
    assert np.allclose(ticks, np.round(ticks))  # whole months
    assert ax.get_xlabel() == "months since the first purchase"
    trial = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [2.0, 2.0]]
    assert len(trial) == 1 and any("trial_months = 2" in t.get_text() for t in ax.texts)
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "spend in the first month"
    assert legend.get_texts()[0].get_text().startswith("1 low: \\$")  # cut-points, $ escaped
    # in weeks the trial line sits at 2 months in weeks
    ax = plots.plot_survival(lc.relationship_survival(stages), trial_months=2.0, period="W")
    assert ax.get_lines()[-1].get_xdata()[0] == pytest.approx(2 * 365.25 / 12 / 7)


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


def test_lifecycle_curve_of_given_customers(stages):
    one = stages["customer_id"].iloc[0]
    curve = lc.lifecycle_curve(stages=stages, customers=[one])
    assert (curve["customers"] == 1).all()
    with pytest.raises(ValueError, match="reaching must be one of"):
        lc.lifecycle_curve(stages=stages, reaching="plateau")


def test_one_style_150_dpi_and_colour_blind_stage_colours():
    with matplotlib.rc_context():
        plots.use_style()
        assert matplotlib.rcParams["figure.dpi"] == 150 == matplotlib.rcParams["savefig.dpi"]
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert cycle[:2] == [plots.OKABE_ITO["blue"], plots.OKABE_ITO["orange"]]
    assert set(plots.STAGE_COLORS.values()) <= set(plots.OKABE_ITO.values())
    assert plots.new_axes().figure.dpi == plots.DPI == 150
