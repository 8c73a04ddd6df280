"""Cohort retention, relationship survival (Kaplan-Meier) and the log-rank test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis import lifecycle as lc
from lifecycle_cases import log
from lifecycle_cases import tiny_stages as _tiny_stages

E, F, S, D = lc.STAGES


@pytest.fixture
def tiny_stages() -> pd.DataFrame:
    return _tiny_stages()


def test_cohort_retention_exact():
    three = pd.concat(
        [
            log(1, ["2020-01-05", "2020-02-05"]),
            log(2, ["2020-01-20"]),
            log(3, ["2020-02-10", "2020-03-01"]),
        ]
    )
    got = lc.cohort_retention(three, observation_end="2020-03-31")
    expected = pd.DataFrame(
        {
            "customers": np.array([2, 1], dtype=np.int64),
            0: [1.0, 1.0],
            1: [0.5, 1.0],
            2: [0.0, np.nan],
        },
        index=pd.PeriodIndex(["2020-01", "2020-02"], freq="M", name="cohort"),
    )
    expected.columns = pd.Index(["customers", 0, 1, 2], dtype=object)
    got.columns = pd.Index(list(got.columns), dtype=object)
    assert_frame_equal(got, expected, check_names=False)


def test_relationship_survival_kaplan_meier(tiny_stages):
    # customer 1 reaches decline at age 3, customer 2 at age 1: no censoring
    got = lc.relationship_survival(tiny_stages)
    assert got["time"].tolist() == [0.0, 1.0, 3.0]
    assert got["survival"].tolist() == [1.0, 0.5, 0.0]
    assert got["at_risk"].tolist() == [2, 2, 1]
    censored = tiny_stages.loc[~((tiny_stages["customer_id"] == 1) & (tiny_stages["stage"] == D))]
    got = lc.relationship_survival(censored)  # customer 1 now censored after 3 periods
    assert got["survival"].tolist() == [1.0, 0.5]


def test_survival_groups_must_cover_every_customer(tiny_stages):
    with pytest.raises(ValueError, match="no group"):
        lc.relationship_survival(tiny_stages, by=pd.Series({1: "a"}))
    with pytest.raises(TypeError, match="by must be"):
        lc.relationship_survival(tiny_stages, by="segment")


def test_survival_by_cohort_and_logrank(cdnow_sample):
    stages = lc.assign_stages(cdnow_sample)
    surv = lc.relationship_survival(stages, by="cohort")
    assert sorted(surv["group"].unique()) == ["1997-01", "1997-02", "1997-03"]
    assert surv.groupby("group")["survival"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert (surv["lower"] <= surv["survival"]).all() and (surv["survival"] <= surv["upper"]).all()
    test = lc.survival_logrank(stages, by="cohort")
    assert test["df"] == 2 and 0 <= test["pvalue"] <= 1
    segment = pd.Series("a", index=stages["customer_id"].unique())
    with pytest.raises(ValueError, match="two groups"):
        lc.survival_logrank(stages, by=segment)


def test_logrank_pvalue_is_the_upper_tail_even_when_tiny(cdnow_sample):
    from scipy.stats import chi2

    stages = lc.assign_stages(cdnow_sample)
    # groups that differ sharply: the customers who buy again in their first month apart
    first = stages.loc[stages["age"] == 1].set_index("customer_id")["purchases"] > 0
    groups = first.reindex(stages["customer_id"].unique(), fill_value=False).map(
        {True: "quick", False: "slow"}
    )
    test = lc.survival_logrank(stages, by=groups)
    assert test["pvalue"] == pytest.approx(chi2.sf(test["statistic"], test["df"]), rel=1e-9)
    # statsmodels' 1 - cdf would give exactly 0 here; the tail is tiny but positive
    assert test["statistic"] > 80 and 0 < test["pvalue"] < 1e-16
