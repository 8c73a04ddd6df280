"""The stage Markov chain: transition counts and matrix, the projected mix, stage rewards and stage CLV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis import lifecycle as lc
from analysis.clv.markov import AbsorbingStateWarning
from lifecycle_cases import tiny_stages as _tiny_stages

E, F, S, D = lc.STAGES


@pytest.fixture
def tiny_stages() -> pd.DataFrame:
    return _tiny_stages()


def test_transition_counts_exact(tiny_stages):
    got = lc.transition_counts(tiny_stages)
    expected = pd.DataFrame(
        [[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1]],
        index=pd.Index(list(lc.STAGES), name="from"),
        columns=pd.Index(list(lc.STAGES), name="to"),
        dtype=np.int64,
    )
    assert_frame_equal(got, expected)


def test_unknown_stage_names_are_refused(tiny_stages):
    from analysis.validate import DataValidationError

    with pytest.raises(DataValidationError, match="unknown stage"):
        lc.transition_counts(tiny_stages.assign(stage=tiny_stages["stage"].replace(D, "churned")))


def test_transition_matrix_rows_sum_to_one(tiny_stages, cdnow_sample):
    P = lc.transition_matrix(tiny_stages)
    assert P.loc[E, F] == 0.5 and P.loc[E, D] == 0.5 and P.loc[D, D] == 1.0
    assert np.allclose(P.sum(axis=1), 1.0)
    P = lc.transition_matrix(lc.assign_stages(cdnow_sample))
    assert np.allclose(P.sum(axis=1), 1.0)
    assert (P.to_numpy() >= 0).all()


def test_transition_matrix_makes_unseen_stages_absorbing(tiny_stages):
    only_decline = tiny_stages.loc[tiny_stages["customer_id"] == 2]
    with pytest.warns(UserWarning, match="absorbing") as caught:
        P = lc.transition_matrix(only_decline)
    # the shared chain estimator's warning, naming the stages and pointing at the caller
    (warning,) = caught
    assert issubclass(warning.category, AbsorbingStateWarning)
    assert "'formation', 'stability'" in str(warning.message)
    assert warning.filename == __file__
    assert P.loc[S, S] == 1.0 and P.loc[F, F] == 1.0
    assert np.allclose(P.sum(axis=1), 1.0)


def test_gaps_in_periods_are_not_transitions(tiny_stages):
    gapped = tiny_stages.drop(index=1)  # customer 1 loses February: Jan -> Mar is no transition
    counts = lc.transition_counts(gapped)
    assert counts.loc[E, F] == 0 and counts.loc[F, S] == 0 and counts.to_numpy().sum() == 3


def test_project_stage_mix_exact(tiny_stages):
    P = lc.transition_matrix(tiny_stages)
    mix = lc.project_stage_mix(P, pd.Series({E: 2, F: 0, S: 0, D: 0}), periods=2)
    assert mix.loc[0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert mix.loc[1].tolist() == [0.0, 0.5, 0.0, 0.5]
    assert mix.loc[2].tolist() == [0.0, 0.0, 0.5, 0.5]
    assert np.allclose(mix.sum(axis=1), 1.0)
    # from a stages frame: the latest stage of each customer (both in decline)
    assert lc.project_stage_mix(P, tiny_stages, 1).loc[0, D] == 1.0


def test_stage_rewards_exact(tiny_stages):
    got = lc.stage_rewards(tiny_stages, margin=0.5, cost_per_purchase=1.0)
    # profit = 0.5 * spend - 1 * purchases
    assert got.loc[E, "profit"] == pytest.approx(4.0)
    assert got.loc[F, "profit"] == pytest.approx(8.0)
    assert got.loc[S, "profit"] == pytest.approx(12.0)
    assert got.loc[D, "profit"] == pytest.approx(0.0)
    assert got["customer_periods"].tolist() == [2, 1, 1, 3]


def _stable_and_declining(freq: str = "M") -> pd.DataFrame:
    """One customer stable for 3 periods (absorbing stability) and one in decline."""
    per = pd.period_range("2020-01", periods=3, freq=freq)
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2],
            "period": list(per) * 2,
            "stage": [S, S, S, D, D, D],
            "purchases": [1] * 3 + [0] * 3,
            "spend": [100.0] * 3 + [0.0] * 3,
        }
    )


def test_stage_clv_discounts_the_next_three_years():
    with pytest.warns(UserWarning, match="absorbing"):
        got = lc.stage_clv(
            _stable_and_declining(), margin=0.3, annual_discount_rate=0.10, horizon_years=3
        )
    d = 1.1 ** (1 / 12) - 1
    expected = sum(30.0 / (1 + d) ** t for t in range(1, 37))
    assert got.loc[S, "clv"] == pytest.approx(expected)
    assert got.loc[D, "clv"] == pytest.approx(0.0)
    assert got.loc[S, "customers"] == 1 and got.loc[S, "total_clv"] == pytest.approx(expected)


def test_stage_clv_reads_the_period_length_from_the_frame():
    # weekly periods: 156.5 weeks in 3 years, rounded to 157, each discounted by 1.1 ** (7 / 365.25)
    with pytest.warns(UserWarning, match="absorbing"):
        got = lc.stage_clv(_stable_and_declining("W"), margin=0.3, horizon_years=3)
    d = 1.1 ** (7 / 365.25) - 1
    expected = sum(30.0 / (1 + d) ** t for t in range(1, 158))
    assert got.loc[S, "clv"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="period must be one of"):
        lc.stage_clv(_stable_and_declining(), period="fortnight")


def test_stage_clv_on_cdnow_sample_orders_the_stages(cdnow_sample):
    clv = lc.stage_clv(lc.assign_stages(cdnow_sample), margin=0.3)
    assert (clv["clv"] >= 0).all()
    # a customer forming or stable now is worth more than one in decline
    assert clv.loc[F, "clv"] > clv.loc[D, "clv"] and clv.loc[S, "clv"] > clv.loc[D, "clv"]
    assert clv["customers"].sum() == cdnow_sample["customer_id"].nunique()
