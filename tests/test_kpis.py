"""KPIs per stage and segment (analysis.strategy.kpis) on a hand-built log with exact values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.strategy import KPI_DEFINITIONS, kpi_definitions_table, kpis, latest_kpis
from analysis.strategy.kpis import KPI_COLUMNS

END = "2020-03-31"


@pytest.fixture
def log() -> pd.DataFrame:
    """Five customers over January to March 2020.

    a: Jan 5, Jan 20, Feb 10, Mar 15 (gaps 15, 21, 34 days)
    b: Jan 10 twice (one purchase day), Mar 5 (gap 55)
    c: Feb 1 only
    d: Jan 31, Mar 1 (gap 30)
    e: Mar 20 only
    """
    rows = [
        ("a", "2020-01-05", 10.0, "A"),
        ("a", "2020-01-20", 20.0, "B"),
        ("a", "2020-02-10", 30.0, "A"),
        ("a", "2020-03-15", 40.0, "A"),
        ("b", "2020-01-10", 50.0, "A"),
        ("b", "2020-01-10", 10.0, "A"),
        ("b", "2020-03-05", 20.0, "A"),
        ("c", "2020-02-01", 5.0, "C"),
        ("d", "2020-01-31", 8.0, "A"),
        ("d", "2020-03-01", 12.0, "D"),
        ("e", "2020-03-20", 7.0, "E"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "product"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture
def table() -> pd.DataFrame:
    """The customer-table columns the KPIs read, filled by hand from the log above."""
    t = pd.DataFrame(
        {
            "purchases": [4, 2, 1, 2, 1],
            "revenue": [100.0, 80.0, 5.0, 20.0, 7.0],
            "purchase_cycle_days": [21.0, 55.0, np.nan, 30.0, np.nan],
            "stage": pd.Categorical(
                ["stability", "decline", "decline", "formation", "exploration"],
                categories=["exploration", "formation", "stability", "decline"],
                ordered=True,
            ),
            "p_alive": [0.9, 0.4, 0.2, 0.8, 1.0],
            "clv_net": [50.0, 30.0, -5.0, 20.0, 5.0],
        },
        index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"),
    )
    return t


@pytest.fixture
def segment() -> pd.Series:
    return pd.Series(["x", "x", "x", "y", "y"], index=["a", "b", "c", "d", "e"], name="segment")


def _value(frame: pd.DataFrame, group: str, kpi: str, period=None) -> tuple[float, float]:
    sel = (frame["group"] == group) & (frame["kpi"] == kpi)
    sel &= frame["period"].isna() if period is None else frame["period"] == period
    rows = frame.loc[sel]
    assert len(rows) == 1, (group, kpi, period, rows)
    return float(rows["value"].iloc[0]), float(rows["base"].iloc[0])


def test_table_kpis_are_exact_per_segment(table, log, segment):
    k = kpis(table, log, by=segment, observation_end=END)
    assert list(k.columns) == KPI_COLUMNS
    assert k.attrs["by"] == "segment" and k.attrs["observation_end"] == END
    assert list(dict.fromkeys(k["group"])) == ["x", "y", "all"]
    # conversion to a repeat purchase: a, b and d of five
    assert _value(k, "all", "repeat_rate") == (0.6, 5.0)
    assert _value(k, "x", "repeat_rate") == pytest.approx((2 / 3, 3.0))
    assert _value(k, "y", "repeat_rate") == (0.5, 2.0)
    # purchase cycle: median of 21, 55, 30; of 21, 55; of 30
    assert _value(k, "all", "purchase_cycle_days") == (30.0, 3.0)
    assert _value(k, "x", "purchase_cycle_days") == (38.0, 2.0)
    assert _value(k, "y", "purchase_cycle_days") == (30.0, 1.0)
    # average order value: revenue over purchase days (b's two orders of Jan 10 are one)
    assert _value(k, "all", "average_order_value") == (21.2, 10.0)
    assert _value(k, "x", "average_order_value") == pytest.approx((185 / 7, 7.0))
    assert _value(k, "y", "average_order_value") == (9.0, 3.0)
    # shares of customers and of clv_net (total 100)
    assert _value(k, "x", "share_of_customers") == (0.6, 5.0)
    assert _value(k, "x", "share_of_value") == (0.75, 3.0)
    assert _value(k, "y", "share_of_value") == (0.25, 2.0)
    assert _value(k, "all", "mean_p_alive") == pytest.approx((0.66, 5.0))
    assert _value(k, "x", "customers") == (3.0, 3.0)


def test_period_kpis_follow_the_buyers_from_one_month_to_the_next(table, log, segment):
    k = kpis(table, log, by=segment, observation_end=END)
    # January buyers a, b, d: only a buys in February; February buyers a, c: only a in March
    assert _value(k, "all", "retention_rate", "2020-02") == pytest.approx((1 / 3, 3.0))
    assert _value(k, "all", "churn_rate", "2020-02") == pytest.approx((2 / 3, 3.0))
    assert _value(k, "all", "retention_rate", "2020-03") == (0.5, 2.0)
    assert _value(k, "x", "retention_rate", "2020-02") == (0.5, 2.0)
    assert _value(k, "y", "retention_rate", "2020-02") == (0.0, 1.0)
    # no February buyer in y: no March rate rather than a made-up 0 or 1
    assert k.query("group == 'y' and kpi == 'retention_rate' and period == '2020-03'").empty
    # win-back: b and d started before February, skipped it and came back in March
    assert _value(k, "all", "reactivation_rate", "2020-03") == (1.0, 2.0)
    assert _value(k, "x", "reactivation_rate", "2020-03") == (1.0, 1.0)
    # nobody started before January: no February reactivation
    assert k.query("kpi == 'reactivation_rate' and period == '2020-02'").empty


def test_repeat_within_days_counts_only_customers_observed_long_enough(table, log):
    k = kpis(table, log, repeat_within_days=30, observation_end=END)
    # base: first purchase on or before Mar 1 (a, b, c, d); within 30 days: a (15), d (30)
    assert _value(k, "all", "repeat_within_days") == (0.5, 4.0)
    assert _value(k, "decline", "repeat_within_days") == (0.0, 2.0)
    assert _value(k, "exploration", "repeat_within_days")[1] == 0.0
    assert "N = 30 days" in k.loc[k["kpi"] == "repeat_within_days", "note"].iloc[0]
    # N = 60: base a, b, d (first purchase on or before Jan 31), all three within 60 days
    k = kpis(table, log, repeat_within_days=60, observation_end=END)
    assert _value(k, "all", "repeat_within_days") == (1.0, 3.0)


def test_cross_selling_is_measured_from_a_product_column_and_refused_without(table, log):
    k = kpis(table, log, observation_end=END)
    # a bought A and B, d bought A and D
    assert _value(k, "all", "cross_sell_rate") == (0.4, 5.0)
    assert _value(k, "stability", "cross_sell_rate") == (1.0, 1.0)
    k = kpis(table, log.drop(columns="product"), observation_end=END)
    row = k.query("group == 'all' and kpi == 'cross_sell_rate'").iloc[0]
    assert not row["measurable"] and np.isnan(row["value"])
    assert row["note"].startswith("not measurable: the log has no 'product' column")


def test_what_the_data_cannot_measure_is_said_not_invented(table, log):
    k = kpis(table, log, observation_end=END)
    nm = k.loc[~k["measurable"]]
    assert set(nm["kpi"]) == {"referral_rate", "acquisition_cost", "retention_cost"}
    assert nm["value"].isna().all()
    assert nm["note"].str.startswith("not measurable: ").all()
    assert "no cost data" in nm.loc[nm["kpi"] == "acquisition_cost", "note"].iloc[0]
    # without the log, the log's KPIs are not measurable; the table's still are
    k = kpis(table, observation_end=END)
    assert set(k.loc[~k["measurable"], "kpi"]) == {
        "referral_rate", "acquisition_cost", "retention_cost", "repeat_within_days",
        "cross_sell_rate", "retention_rate", "churn_rate", "reactivation_rate",
    }  # fmt: skip
    assert _value(k, "all", "repeat_rate") == (0.6, 5.0)
    # cost columns are measured when the table has them
    k = kpis(table.assign(acquisition_cost=[10.0, 20.0, 30.0, 40.0, 50.0]), observation_end=END)
    assert _value(k, "decline", "acquisition_cost") == (25.0, 2.0)
    # a table without clv_net: share of value not measurable, named
    k = kpis(table.drop(columns="clv_net"), observation_end=END)
    assert k.query("kpi == 'share_of_value'")["note"].str.contains("no clv_net column").all()


def test_groups_default_to_the_stage_in_lifecycle_order(table, log):
    k = kpis(table, log, total=False, observation_end=END)
    assert list(dict.fromkeys(k["group"])) == ["exploration", "formation", "stability", "decline"]
    assert _value(k, "decline", "repeat_rate") == (0.5, 2.0)
    # crossed groups
    tier = pd.Series(["high", "high", "negative", "low", "low"], index=table.index)
    k = kpis(table, log, by=["stage", tier], total=False, observation_end=END)
    assert list(dict.fromkeys(k["group"])) == [
        "exploration/low", "formation/low", "stability/high", "decline/high", "decline/negative",
    ]  # fmt: skip
    assert k.attrs["by"] == "stage/group"


def test_a_partial_last_period_and_later_purchases_are_left_out(table, log):
    t = table.copy()
    # e's purchase on Mar 20 is inside; March is cut short
    k = kpis(t, log, observation_end="2020-03-20")
    assert set(k["period"].dropna()) == {"2020-02"}
    # the table's observation end decides: purchases after it are ignored, not an error
    later = pd.concat(
        [
            log,
            pd.DataFrame(
                {"customer_id": ["a"], "date": [pd.Timestamp("2020-04-02")], "amount": [1.0]}
            ),
        ]
    )
    assert kpis(table, later, observation_end=END).equals(kpis(table, log, observation_end=END))


def test_inputs_are_checked_and_not_mutated(table, log):
    before_t, before_l = table.copy(), log.copy()
    kpis(table, log, observation_end=END)
    pd.testing.assert_frame_equal(table, before_t)
    pd.testing.assert_frame_equal(log, before_l)
    with pytest.raises(ValueError, match=r"1 customer\(s\) of the table have no purchase.*'e'"):
        kpis(table, log.loc[log["customer_id"] != "e"], observation_end=END)
    with pytest.raises(ValueError, match="no label for 1 customer"):
        kpis(table, log, by=pd.Series(["x"] * 4, index=["a", "b", "c", "d"]), observation_end=END)
    with pytest.raises(ValueError, match="not a column of the customer table"):
        kpis(table, log, by="region", observation_end=END)
    with pytest.raises(ValueError, match="period must be one of"):
        kpis(table, log, period="fortnight", observation_end=END)


def test_latest_keeps_the_last_period_of_each_rate(table, log):
    last = latest_kpis(kpis(table, log, observation_end=END))
    assert not last.duplicated(["group", "kpi"]).any()
    assert _value(last, "all", "retention_rate", "2020-03") == (0.5, 2.0)
    # formation (d) had no February buyer: its latest retention is February's
    assert _value(last, "formation", "retention_rate", "2020-02") == (0.0, 1.0)


def test_definitions_are_documented():
    defs = kpi_definitions_table()
    assert list(defs.index) == list(KPI_DEFINITIONS)
    assert defs["zh"].str.len().gt(0).all() and defs["meaning"].str.len().gt(20).all()
    assert set(defs["better"].dropna()) == {"higher", "lower"}
    assert KPI_DEFINITIONS["churn_rate"].better == "lower"
