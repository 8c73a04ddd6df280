"""Stages against a known truth: confusion and scores, accuracy on simulated logs, tuning, sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import lifecycle as lc
from analysis.simulate import simulate_lifecycle
from analysis.validate import DataValidationError
from lifecycle_cases import tiny_stages as _tiny_stages

E, F, S, D = lc.STAGES


@pytest.fixture
def tiny_stages() -> pd.DataFrame:
    return _tiny_stages()


def test_threshold_sensitivity_moves_each_threshold(cdnow_sample):
    table = lc.threshold_sensitivity(cdnow_sample, names=["formation_repeats", "gap_factor"])
    assert (
        table["threshold"].tolist()
        == ["(defaults)"] + ["formation_repeats"] * 2 + ["gap_factor"] * 2
    )
    assert table["value"].tolist()[1:] == [
        3.0,
        5.0,
        2.25,
        3.75,
    ]  # whole numbers move by one at least
    assert table["change"].tolist() == ["0%", "-25%", "+25%", "-25%", "+25%"]
    assert np.allclose(table[list(lc.STAGES)].sum(axis=1), 1.0)
    assert (table.loc[0, [f"d_{s}" for s in lc.STAGES]] == 0).all()
    # every row's shift is its share less the baseline's, in percentage points
    for s in lc.STAGES:
        assert np.allclose(table[f"d_{s}"], 100 * (table[s] - table.loc[0, s]))
    # the baseline is the current-stage mix at the defaults
    now = lc.current_stage(lc.assign_stages(cdnow_sample))["stage"].astype(str)
    assert table.loc[0, D] == pytest.approx((now == D).mean())
    # a longer silence before decline leaves fewer customers in decline
    assert table.loc[4, D] < table.loc[3, D]
    with pytest.raises(TypeError, match="unknown threshold"):
        lc.threshold_sensitivity(cdnow_sample, names=["patience"])


def test_stage_scores_exact():
    confusion = pd.DataFrame(
        [[8, 2, 0, 0], [2, 6, 2, 0], [0, 0, 10, 0], [0, 0, 0, 10]],
        index=pd.Index(list(lc.STAGES), name="true"),
        columns=pd.Index(list(lc.STAGES), name="assigned"),
    )
    scores = lc.stage_scores(confusion)
    assert scores.loc[E, "precision"] == pytest.approx(0.8) and scores.loc[
        E, "recall"
    ] == pytest.approx(0.8)
    assert scores.loc[F, "precision"] == pytest.approx(0.75) and scores.loc[
        F, "recall"
    ] == pytest.approx(0.6)
    assert scores.loc[F, "f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert scores.loc[S, "f1"] == pytest.approx(2 * (10 / 12) / (10 / 12 + 1))
    assert scores.loc["macro", "f1"] == pytest.approx(scores["f1"].iloc[:4].mean())
    assert scores.loc["macro", "support"] == 40


def test_stage_confusion_exact(tiny_stages):
    # the truth says customer 2 was still exploring in its second month
    truth = tiny_stages.copy()
    truth.loc[5, "stage"] = E
    got = lc.stage_confusion(truth, tiny_stages)
    assert got.loc[E, E] == 2 and got.loc[E, D] == 1
    assert got.loc[D, D] == 2 and got.loc[F, F] == 1 and got.loc[S, S] == 1
    assert int(got.to_numpy().sum()) == len(tiny_stages)


def test_stage_confusion_needs_matching_rows(tiny_stages):
    other = tiny_stages.assign(customer_id=tiny_stages["customer_id"] + 100)
    with pytest.raises(DataValidationError, match="share no"):
        lc.stage_confusion(tiny_stages, other)


def test_accuracy_against_the_simulator_truth():
    """Macro-F1 at the default thresholds on a fresh seed (tuned on seeds 1-5, measured on seed 11).

    Measured on seed 11: macro-F1 0.790 (exploration 0.805, formation 0.626, stability 0.818,
    decline 0.911); seeds 1..5 give 0.788 .. 0.796 (0.793 +- 0.003), so each bar is the
    measurement less about three standard deviations. (Before the rules of issue #13, seed 2
    measured 0.768: formation 0.593.)
    """
    sim = simulate_lifecycle(2000, 24, seed=11)
    stages = lc.assign_stages(sim.transactions)
    scores = lc.stage_scores(lc.stage_confusion(sim.stages, stages))
    assert scores.loc["macro", "f1"] >= 0.78
    # the weakest stage is formation (short, and its start is hard to see in Poisson noise)
    assert scores.loc[F, "f1"] >= 0.61
    assert scores.loc[D, "f1"] >= 0.90
    assert scores.loc[E, "f1"] >= 0.79 and scores.loc[S, "f1"] >= 0.80


def test_accuracy_rises_with_the_purchase_rate():
    table = lc.simulation_accuracy("peak_rate_mean", [1.0, 8.0], n_customers=800)
    assert table.loc[8.0, "macro_f1"] > table.loc[1.0, "macro_f1"] + 0.1


def _macro_f1(sim, values) -> float:
    stages = lc.assign_stages(sim.transactions, **values)
    return float(lc.stage_scores(lc.stage_confusion(sim.stages, stages)).loc["macro", "f1"])


def test_tune_thresholds_returns_the_best_of_its_own_search():
    sim = simulate_lifecycle(300, 12, seed=1)
    grid = {"gap_factor": [2.0, 4.0], "formation_months": [2.0, 3.0]}
    best, history = lc.tune_thresholds(sim.transactions, sim.stages, grid=grid, passes=2)
    assert set(best) == set(lc.THRESHOLDS)
    assert history.loc[0, "threshold"] == "start"
    assert history.loc[0, "macro_f1"] == pytest.approx(_macro_f1(sim, {}))

    # replay the coordinate search: in every pass each grid value is tried unless it is the
    # current value, and the current values move to a trial only when it scores better
    current = {name: t.default for name, t in lc.THRESHOLDS.items()}
    best_f1, row = history.loc[0, "macro_f1"], 1
    for p in (1, 2):
        for name, values in grid.items():
            for value in values:
                if value == current[name]:
                    continue
                assert tuple(history.loc[row, ["pass", "threshold", "value"]]) == (p, name, value)
                if history.loc[row, "macro_f1"] > best_f1 + 1e-12:
                    best_f1, current = history.loc[row, "macro_f1"], dict(current, **{name: value})
                row += 1
    assert row == len(history)
    assert best == current
    # what it returns scores the best of its own history, and moved only the thresholds searched
    assert _macro_f1(sim, best) == pytest.approx(history["macro_f1"].max())
    assert history["macro_f1"].max() > history.loc[0, "macro_f1"]  # on this seed the search helps
    assert {n for n in lc.THRESHOLDS if best[n] != lc.THRESHOLDS[n].default} <= set(grid)
