"""Customer summaries: hand-built exact frames, the CDNOW published figures, invariants (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from analysis import data, rfm
from analysis.validate import DataValidationError


def test_small_log_daily_exact(small_log):
    got = rfm.summarize(small_log, time_unit="D", observation_end="2020-01-31")
    expected = pd.DataFrame(
        {
            "frequency": np.array([2, 0, 1], dtype=np.int64),
            "recency": [28.0, 0.0, 14.0],
            "T": [30.0, 16.0, 26.0],
            # a: repeat purchases of 30 (same day 20 + 10) and 60
            "monetary_value": [45.0, 0.0, 12.0],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    assert_frame_equal(got, expected)


def test_small_log_weekly_units(small_log):
    got = rfm.summarize(small_log, time_unit="W", observation_end="2020-01-31")
    assert got.loc["a", "recency"] == pytest.approx(4.0)
    assert got.loc["a", "T"] == pytest.approx(30 / 7)
    assert got.loc["c", "recency"] == pytest.approx(2.0)


def test_observation_end_defaults_to_last_purchase(small_log):
    got = rfm.summarize(small_log, time_unit="D")
    assert got.loc["a", "T"] == 28.0
    assert got.loc["b", "T"] == 14.0


def test_calibration_holdout_exact(small_log):
    with pytest.warns(UserWarning, match="1 customer"):
        got = rfm.summarize(
            small_log, time_unit="D", observation_end="2020-01-31", calibration_end="2020-01-10"
        )
    expected = pd.DataFrame(
        {
            "frequency": np.array([1, 0], dtype=np.int64),
            "recency": [7.0, 0.0],
            "T": [9.0, 5.0],
            "monetary_value": [30.0, 0.0],
            "frequency_holdout": np.array([1, 1], dtype=np.int64),
            "monetary_value_holdout": [60.0, 12.0],
            "duration_holdout": [21.0, 21.0],
        },
        index=pd.Index(["a", "c"], name="customer_id"),
    )
    assert_frame_equal(got, expected)


def test_purchase_after_observation_end_is_an_error(small_log):
    with pytest.raises(DataValidationError, match="after observation_end 2020-01-20"):
        rfm.summarize(small_log, observation_end="2020-01-20")


def test_calibration_after_observation_end_is_an_error(small_log):
    with pytest.raises(ValueError, match="calibration_end"):
        rfm.summarize(small_log, observation_end="2020-01-31", calibration_end="2020-02-10")


def test_unknown_time_unit(small_log):
    with pytest.raises(ValueError, match="time_unit must be one of"):
        rfm.summarize(small_log, time_unit="fortnight")


def test_missing_column_names_found_columns(small_log):
    with pytest.raises(
        DataValidationError, match=r"Columns found: \['customer_id', 'date', 'quantity'\]"
    ):
        rfm.summarize(small_log.drop(columns="amount"))


def test_custom_column_names(small_log):
    renamed = small_log.rename(columns={"customer_id": "cust", "date": "when", "amount": "value"})
    got = rfm.summarize(renamed, time_unit="D", customer_id="cust", date="when", amount="value")
    assert_frame_equal(got, rfm.summarize(small_log, time_unit="D"))


def test_input_frame_not_modified(small_log):
    before = small_log.copy()
    with pytest.warns(UserWarning, match="excluded"):
        rfm.summarize(small_log, time_unit="W", calibration_end="2020-01-10")
    assert_frame_equal(small_log, before)


# ----- the published CDNOW figures -----------------------------------------------------------


def test_cdnow_sample_published_counts(cdnow_sample_summary):
    s = cdnow_sample_summary
    assert len(s) == 2357
    assert int(s["frequency"].sum()) == 2457
    assert int((s["frequency"] == 0).sum()) == 1411
    assert int(s["frequency_holdout"].sum()) == 1882
    assert s["duration_holdout"].unique().tolist() == [39.0]  # weeks 40-78


def test_cdnow_sample_matches_published_weekly_summary(cdnow_sample_summary):
    published = data.load_cdnow_summary()
    ours = cdnow_sample_summary.loc[published.index]
    assert (ours["frequency"] == published["frequency"]).all()
    np.testing.assert_allclose(ours["recency"].round(2), published["recency"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(ours["T"].round(2), published["T"], atol=0.005 + 1e-9)


def test_cdnow_master_summary_size():
    s = rfm.summarize(data.load_cdnow(), time_unit="W")
    assert len(s) == 23570
    assert (s["recency"] <= s["T"]).all()


# ----- compress ---------------------------------------------------------------------------------


def test_compress_exact():
    summary = pd.DataFrame(
        {
            "frequency": [0, 1, 0, 1, 2],
            "recency": [0.0, 3.0, 0.0, 3.0, 5.0],
            "T": [6.0, 6.0, 6.0, 6.0, 6.0],
        }
    )
    got = rfm.compress(summary)
    expected = pd.DataFrame(
        {
            "frequency": [0, 1, 2],
            "recency": [0.0, 3.0, 5.0],
            "T": [6.0, 6.0, 6.0],
            "weight": np.array([2, 2, 1], dtype=np.int64),
        }
    )
    assert_frame_equal(got, expected)


def test_compress_sums_existing_weights():
    frame = pd.DataFrame({"frequency": [1, 1], "recency": [2.0, 2.0], "weight": [3, 4]})
    got = rfm.compress(frame)
    assert got["weight"].tolist() == [7]


def test_compress_unknown_column():
    with pytest.raises(DataValidationError, match="not in the summary"):
        rfm.compress(pd.DataFrame({"frequency": [1]}), columns=["recency"])


# ----- invariants (property-based) ----------------------------------------------------------------

logs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=6),  # customer
        st.integers(min_value=0, max_value=120),  # day offset
        st.floats(min_value=0, max_value=500, allow_nan=False),  # amount
    ),
    min_size=1,
    max_size=60,
)


def _frame(rows):
    cust, day, amount = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "customer_id": np.array(cust),
            "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(np.array(day), unit="D"),
            "amount": np.array(amount, dtype=float),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=logs, unit=st.sampled_from(["D", "W", "M"]))
def test_summary_invariants(rows, unit):
    tx = _frame(rows)
    s = rfm.summarize(tx, time_unit=unit, observation_end="2021-06-30")
    assert len(s) == tx["customer_id"].nunique()
    assert (s["frequency"] >= 0).all()
    assert (s["recency"] >= 0).all() and (s["recency"] <= s["T"] + 1e-12).all()
    assert (s.loc[s["frequency"] == 0, "recency"] == 0).all()
    assert (s.loc[s["frequency"] == 0, "monetary_value"] == 0).all()
    # frequency + 1 purchase days per customer
    days = tx.assign(d=tx["date"].dt.normalize()).drop_duplicates(["customer_id", "d"])
    assert (s["frequency"] + 1).sum() == len(days)


@settings(max_examples=40, deadline=None)
@given(rows=logs, cal=st.integers(min_value=0, max_value=120))
def test_holdout_invariants(rows, cal):
    tx = _frame(rows)
    cal_end = pd.Timestamp("2021-01-01") + pd.Timedelta(days=cal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        s = rfm.summarize(tx, time_unit="D", observation_end="2021-06-30", calibration_end=cal_end)
    first = tx.groupby("customer_id")["date"].min()
    assert set(s.index) == set(first.index[first <= cal_end])
    assert (s["recency"] <= s["T"]).all()
    days = tx.assign(d=tx["date"].dt.normalize()).drop_duplicates(["customer_id", "d"])
    days = days[days["customer_id"].isin(s.index)]
    assert (s["frequency"] + 1).sum() + s["frequency_holdout"].sum() == len(days)


@settings(max_examples=40, deadline=None)
@given(rows=logs)
def test_compress_preserves_totals(rows):
    s = rfm.summarize(_frame(rows), time_unit="W", observation_end="2021-06-30")
    c = rfm.compress(s[["frequency", "recency", "T"]])
    assert c["weight"].sum() == len(s)
    for col in ["frequency", "recency", "T"]:
        assert (c[col] * c["weight"]).sum() == pytest.approx(s[col].sum())
    assert not c.duplicated(["frequency", "recency", "T"]).any()


def test_repeat_buyers_are_the_spend_models_sample():
    summary = pd.DataFrame(
        {"frequency": [0, 2, 3, 1], "monetary_value": [0.0, 10.0, 0.0, 5.0]},
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )
    # no repeat purchase (a) and only free repeat purchases (c) are left out
    assert list(rfm.repeat_buyers(summary).index) == ["b", "d"]
    with pytest.raises(ValueError, match="monetary_value"):
        rfm.repeat_buyers(summary[["frequency"]])
