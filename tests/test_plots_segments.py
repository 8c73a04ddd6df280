"""Segment figures: each takes its table, draws on a given axes (or a new one), passes kwargs on,
returns the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, QuadMesh  # noqa: E402

from analysis import plots, segments  # noqa: E402
from analysis.units import STAGES  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def table():
    rng = np.random.default_rng(4)
    n = 40
    current = np.where(rng.random(n) < 0.4, 0.0, rng.gamma(2.0, 20.0, n))
    table = pd.DataFrame(
        {
            "current_value": current,
            "potential_value": rng.gamma(1.5, 30.0, n),
            "p_alive": rng.uniform(0.05, 1.0, n),
            "interpurchase_cv": np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0.2, 2.0, n)),
            "stage": pd.Categorical(
                rng.choice(["formation", "stability", "decline"], n), list(STAGES), ordered=True
            ),
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )
    return table.assign(clv_net=table["potential_value"])


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_every_segment_plot_is_exported():
    for name in plots.segments.__all__:
        assert name in plots.__all__ and callable(getattr(plots, name))


def test_value_matrix_draws_every_cell_with_its_count_and_the_cuts(table):
    fig, given = plt.subplots()
    ax = plots.plot_value_matrix(table, currency="€", ax=given, marker="x")
    assert ax is given
    dots = [c for a in ax.figure.axes for c in a.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == len(table)
    zero = int((table["current_value"] == 0).sum())
    if 0 < zero < len(table):  # the customers without current value in their own strip
        strip = [a for a in ax.figure.axes if a is not ax]
        assert len(strip) == 1 and f"{zero:,}" in strip[0].get_title()
        assert sum(len(c.get_offsets()) for c in strip[0].collections) == zero
    summary = segments.segment_summary(table, segments.value_matrix(table), value="potential_value")
    for label, row in summary.iterrows():
        assert any(
            t.startswith(f"{label}\n{int(row['customers']):,} customers") for t in _texts(ax)
        )
    lines = [ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--"]
    assert table["current_value"].median() in lines
    assert ax.get_xscale() == "symlog" and ax.get_yscale() == "symlog"
    ylabel = " ".join(a.get_ylabel() for a in ax.figure.axes)  # on the strip when there is one
    assert "€" in ax.get_xlabel() and "€" in ylabel
    # dollar signs are escaped, so matplotlib does not read the labels as math
    ax = plots.plot_value_matrix(table, cut=(1.0, 2.0))
    assert r"\$" in ax.get_xlabel() and r"\$1.00" in ax.get_title()


def test_loyalty_profitability_is_a_two_by_two_with_counts(table):
    summary = segments.segment_summary(table, segments.loyalty_profitability(table))
    ax = plots.plot_loyalty_profitability(summary, cmap="Greys")
    assert len([c for c in ax.collections if isinstance(c, QuadMesh)]) == 1
    texts = _texts(ax)
    assert len(texts) == 4
    for label, row in summary.iterrows():
        assert f"{label}\n{int(row['customers']):,} customers" in " ".join(texts)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["loyal", "not loyal"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["profitable", "not profitable"]


def test_stage_tiers_heatmap_shows_counts_and_drops_empty_tiers(table):
    summary = segments.segment_summary(table, ["stage", segments.clv_tiers(table)])
    ax = plots.plot_stage_tiers(summary)
    tiers_present = [t for t in segments.CLV_TIERS if summary.xs(t, level=1)["customers"].sum()]
    assert [t.get_text() for t in ax.get_xticklabels()] == tiers_present
    assert [t.get_text() for t in ax.get_yticklabels()] == list(STAGES)
    counts = summary["customers"].unstack(1)[tiers_present].to_numpy().ravel()
    shown = [int(t.split("\n")[0].replace(",", "")) for t in _texts(ax)]
    assert shown == list(counts)
    assert "0" in _texts(ax)  # exploration is empty: a bare count
    ax = plots.plot_stage_tiers(summary, colour="share_customers")
    assert "share of the customers" in ax.get_title()
    with pytest.raises(ValueError, match="colour must be"):
        plots.plot_stage_tiers(summary, colour="mean_clv")
