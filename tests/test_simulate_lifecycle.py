"""The lifecycle simulator: shapes, determinism, the truth's own order, and the stage dynamics it promises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.simulate import Simulation, simulate_lifecycle
from analysis.simulate.lifecycle import STAGES

E, F, S, D = STAGES


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate_lifecycle(3000, 24, seed=7)


def test_returns_log_truth_and_customers(sim):
    log, truth, customers = sim.transactions, sim.stages, sim.truth
    assert list(log.columns) == ["customer_id", "date", "amount", "quantity"]
    assert list(truth.columns) == [
        "customer_id",
        "period",
        "age",
        "stage",
        "rate",
        "spend_per_purchase",
    ]
    assert len(customers) == 3000 and customers.index.name == "customer_id"
    assert log["customer_id"].nunique() == 3000  # everyone makes the acquisition purchase
    assert (log["amount"] > 0).all() and (log["quantity"] >= 1).all()
    assert log["date"].min() >= pd.Timestamp("2020-01-01")
    assert log["date"].max() <= pd.Timestamp("2021-12-31")
    assert log.equals(log.sort_values(["customer_id", "date"], kind="stable"))


def test_same_seed_same_log_other_seed_other_log():
    a = simulate_lifecycle(200, 12, seed=3)
    b = simulate_lifecycle(200, 12, seed=3)
    c = simulate_lifecycle(200, 12, seed=4)
    assert_frame_equal(a.transactions, b.transactions)
    assert_frame_equal(a.stages, b.stages)
    assert not a.transactions.equals(c.transactions)


def test_truth_rows_run_from_acquisition_to_the_end(sim):
    truth, customers = sim.stages, sim.truth
    first = truth.groupby("customer_id")["period"].min()
    assert (first == customers["acquisition_period"]).all()
    assert (truth.groupby("customer_id")["period"].max().astype(str) == "2021-12").all()
    assert set(customers["acquisition_period"].astype(str)) == {"2020-01", "2020-02", "2020-03"}


def test_first_purchase_falls_in_the_acquisition_period(sim):
    log, customers = sim.transactions, sim.truth
    first = log.groupby("customer_id")["date"].min().dt.to_period("M")
    assert (first == customers["acquisition_period"]).all()


def test_truth_respects_the_order_of_the_stages(sim):
    truth = sim.stages.sort_values(["customer_id", "period"])
    code = truth["stage"].cat.codes.to_numpy()
    same = truth["customer_id"].to_numpy()[1:] == truth["customer_id"].to_numpy()[:-1]
    a, b = code[:-1][same], code[1:][same]
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    assert (0, 2) not in pairs  # never exploration -> stability
    assert {x for x, y in pairs if y == 2} <= {1, 2}
    assert {y for x, y in pairs if x == 3} == {3}  # decline is absorbing in the simulator
    assert (truth.groupby("customer_id")["stage"].first().astype(str) == E).all()


def test_every_path_occurs(sim):
    customers = sim.truth
    fates = customers["fate"].value_counts()
    assert set(fates.index) == {"trial failed", "declined in formation", "declined from stability"}
    assert fates["trial failed"] / len(customers) == pytest.approx(0.4, abs=0.03)
    assert (customers["final_stage"] == S).sum() > 0  # some are still stable at the end
    assert customers["churn"].mean() == pytest.approx(0.3, abs=0.03)


def test_rates_and_spend_follow_the_lifecycle(sim):
    truth = sim.stages
    by_stage = truth.groupby("stage", observed=True)[["rate", "spend_per_purchase"]].mean()
    # slow start, fast growth, plateau at the peak, decline
    assert by_stage.loc[E, "rate"] < by_stage.loc[F, "rate"] < by_stage.loc[S, "rate"]
    assert by_stage.loc[D, "rate"] < by_stage.loc[E, "rate"]
    # spend per purchase rises through formation: revenue grows faster than volume
    assert by_stage.loc[E, "spend_per_purchase"] < by_stage.loc[F, "spend_per_purchase"]
    assert by_stage.loc[F, "spend_per_purchase"] < by_stage.loc[S, "spend_per_purchase"]
    # within formation the rate grows every period (geometrically, capped at the peak)
    form = truth.loc[truth["stage"] == F].sort_values(["customer_id", "period"])
    growth = form.groupby("customer_id")["rate"].diff().dropna()
    assert (growth > 0).all()


def test_observed_purchases_match_the_rates(sim):
    log, truth = sim.transactions, sim.stages
    purchases = (
        log.assign(period=log["date"].dt.to_period("M")).groupby(["customer_id", "period"]).size()
    )
    merged = truth.set_index(["customer_id", "period"]).join(purchases.rename("n")).fillna({"n": 0})
    later = merged.loc[merged["age"] > 0]  # the acquisition period holds the forced first purchase
    assert later["n"].sum() == pytest.approx(later["rate"].sum(), rel=0.03)


def test_stage_durations_have_the_requested_means():
    customers = simulate_lifecycle(
        20000, 6, seed=11, exploration_mean=3.0, stability_mean=12.0
    ).truth
    assert customers["exploration_periods"].mean() == pytest.approx(3.0, abs=0.05)
    assert customers["exploration_periods"].min() == 1
    stable = customers.loc[customers["stability_periods"] > 0, "stability_periods"]
    assert stable.mean() == pytest.approx(12.0, rel=0.05)


def test_weekly_periods():
    sim = simulate_lifecycle(100, 10, seed=1, period="W", start="2021-01-04")
    assert str(sim.stages["period"].dtype) == "period[W-SUN]"
    assert sim.transactions["date"].max() <= pd.Timestamp("2021-03-14")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_customers": 0}, "positive"),
        ({"acquisition_periods": 30}, "acquisition_periods"),
        ({"p_churn": 1.5}, "p_churn"),
        ({"trial_rate_ratio": 0.0}, "trial_rate_ratio"),
        ({"formation_growth": 1.0}, "formation_growth"),
        ({"stability_mean": 0.5}, "at least 1"),
    ],
)
def test_invalid_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_lifecycle(**{"n_customers": 10, "n_periods": 24, **kwargs})


def test_no_decline_hazard_and_no_failures_keeps_everyone_forming_or_stable():
    sim = simulate_lifecycle(
        300, 12, seed=5, p_fail_exploration=0.0, decline_hazard_formation=0.0, stability_mean=1000.0
    )
    assert (sim.truth["fate"] == "declined from stability").all()  # planned, beyond the window
    assert np.isin(sim.truth["final_stage"].astype(str), [E, F, S]).all()
