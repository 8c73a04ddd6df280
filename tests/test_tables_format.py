"""Tests of analysis.tables.format and the display tables: exact strings on hand-built frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import tables


def test_money_has_separators_a_currency_and_cents_below_one_hundred():
    assert tables.money(1234.5) == "$1,234"
    assert tables.money(-1234.5, currency="EUR ") == "-EUR 1,234"
    assert tables.money(99.994) == "$99.99"
    assert tables.money(100.0) == "$100"
    assert tables.money(-42.5) == "-$42.50"
    assert tables.money(1_234_567.891) == "$1,234,568"
    assert tables.money(0.004) == "$0.00"  # no "-$0.00" for a rounded-away negative
    assert tables.money(-0.001) == "$0.00"
    assert tables.money(12.5, "£", decimals=0) == "£12"
    assert tables.money(np.nan) == "n/a"


def test_counts_shares_points_and_p_values():
    assert tables.integer(12345.0) == "12,345"
    assert tables.percent(0.1234) == "12.3%"
    assert tables.points(-0.0521) == "-5.2 pts"
    assert tables.p_value(0.0004) == "< 0.001"
    assert tables.p_value(0.001) == "0.001"
    assert tables.p_value(0.23456) == "0.235"
    assert tables.ratio(1234.567) == "1,234.57"
    assert tables.time_unit_name("W") == "weeks"
    with pytest.raises(ValueError, match="time_unit must be one of"):
        tables.time_unit_name("fortnight")


def test_format_table_by_role_with_one_money_precision_per_column():
    frame = pd.DataFrame(
        {
            "customers": [1200, 3],
            "clv": [25_000.0, 12.345],
            "revenue": [12.3, np.nan],
            "share_decline": [0.5, 0.0123],
            "pvalue": [0.2, 1e-9],
            "reason": ["silent for longer than three of its own purchase cycles", "trial"],
            "score": [1.23456, 2.0],
        }
    )
    out = tables.format_table(frame, {"score": "ratio"}, currency="€")
    assert isinstance(out, tables.FormattedTable)
    expected = pd.DataFrame(
        {
            "customers": ["1,200", "3"],
            "clv": ["€25,000", "€12"],  # the column reaches 100: no cents in any of its cells
            "revenue": ["€12.30", ""],
            "share_decline": ["50.0%", "1.2%"],
            "pvalue": ["0.200", "< 0.001"],
            "reason": frame["reason"].tolist(),
            "score": ["1.23", "2.00"],
        }
    )
    pd.testing.assert_frame_equal(pd.DataFrame(out), expected)


def test_format_table_shows_text_in_full_whatever_the_display_options():
    reason = "the pace fell below half of the customer's own previous pace " * 3
    out = tables.format_table(pd.DataFrame({"reason": [reason]}))
    with pd.option_context("display.max_colwidth", 20):
        assert reason.strip() in repr(out)
        assert reason.strip() in out._repr_html_()
        # a plain frame would cut it
        assert reason.strip() not in repr(pd.DataFrame({"reason": [reason]}))


def test_format_table_refuses_unknown_roles_and_columns():
    frame = pd.DataFrame({"a": [1.0]})
    with pytest.raises(ValueError, match="unknown column role"):
        tables.format_table(frame, {"a": "dollars"})
    with pytest.raises(ValueError, match="lacks"):
        tables.format_table(frame, {"b": "money"})


def test_table_functions_declare_their_roles():
    values = pd.DataFrame({"m": [100.0, 50.0, 25.0, 25.0]})
    out = tables.format_table(tables.method_summary(values))
    assert out.loc["m"].tolist() == ["4", "$200", "$50.00", "$37.50", "50.0%", "50.0%"]


def test_summary_table_replaces_describe_with_units():
    frame = pd.DataFrame(
        {
            "frequency": [0, 0, 1, 2, 3, 4, 5, 6, 7, 80],
            "recency": np.linspace(0.0, 9.0, 10),
            "monetary_value": [0.0, 10, 20, 30, 40, 50, 60, 70, 80, 12_000],
            "p_alive": [0.5] * 10,
        }
    )
    numbers = tables.summary_table(frame, time_unit="W", formatted=False)
    assert list(numbers.columns) == ["unit", "customers", "mean", "median", "p90", "max"]
    assert numbers.loc["frequency", "median"] == 3  # an observed value, not 3.5
    assert numbers.loc["frequency", "p90"] == 7
    out = tables.summary_table(frame, time_unit="W", currency="£")
    assert out.loc["frequency"].tolist() == ["repeat purchases", "10", "10.80", "3", "7", "80"]
    assert out.loc["recency", "unit"] == "weeks"
    assert out.loc["monetary_value"].tolist() == ["£", "10", "£1,236", "£40", "£80", "£12,000"]
    assert out.loc["p_alive", "mean"] == "50.0%"
    assert tables.summary_table(frame[["recency"]]).loc["recency", "unit"] == "periods"
    holdout = pd.DataFrame({"duration_holdout": [26.0, 26.0]})
    assert tables.summary_table(holdout, time_unit="W").loc["duration_holdout", "unit"] == "weeks"


def test_stage_projection_table_now_and_ahead():
    projection = pd.DataFrame(
        {
            "exploration": [0.5, 0.25, 0.0],
            "formation": [0.25, 0.25, 0.25],
            "stability": [0.25, 0.25, 0.25],
            "decline": [0.0, 0.25, 0.5],
        },
        index=pd.Index([0, 1, 2], name="step"),
    )
    table = tables.stage_projection_table(projection, customers=100)
    assert list(table.columns) == [
        "now",
        "+2 months",
        "change",
        "customers now",
        "customers +2 months",
    ]
    assert table.loc["decline", "change"] == pytest.approx(0.5)
    assert table.loc["exploration", "customers +2 months"] == 0
    shown = tables.format_table(table)
    assert shown.loc["decline"].tolist() == ["0.0%", "50.0%", "+50.0 pts", "0", "50"]
    one = tables.stage_projection_table(projection, 1, period="W")
    assert list(one.columns) == ["now", "+1 week", "change"]
    with pytest.raises(ValueError, match="beyond the projection"):
        tables.stage_projection_table(projection, 12)


def test_method_totals_against_the_actual_total():
    predicted = pd.DataFrame({"formula": [10.0, 30.0], "model": [5.0, 5.0]})
    actual = pd.Series([8.0, 12.0])
    table = tables.method_totals(predicted, actual)
    assert table["predicted"].tolist() == [40.0, 10.0]
    assert table["ratio"].tolist() == [2.0, 0.5]
    assert table["difference"].tolist() == [20.0, -10.0]
    assert tables.format_table(table).loc["model"].tolist() == [
        "2", "$10.00", "$20.00", "-$10.00", "0.50",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="same customers"):
        tables.method_totals(predicted, actual.iloc[:1])


def test_format_values_reads_each_row_by_its_label_and_value():
    values = pd.Series(
        {
            "customers": 23570,
            "first date": pd.Timestamp("1997-01-01"),
            "revenue": 2500315.63,
            "mean transaction value": 35.894,
            "share of customers who return": 0.4886,
            "repeat buyers (for the spend model)": 9451,
            "mean gap": 1.23456,
        },
        dtype=object,
    )
    shown = tables.format_values(values)
    assert list(shown["value"]) == [
        "23,570", "1997-01-01", "$2,500,316", "$35.89", "48.9%", "9,451", "1.23",
    ]  # fmt: skip


def test_format_values_takes_given_roles_and_refuses_unknown_ones():
    values = pd.Series({"a": 0.5, "b": 12.0})
    shown = tables.format_values(values, {"a": "money", "b": "share"}, currency="€")
    assert list(shown["value"]) == ["€0.50", "1,200.0%"]
    with pytest.raises(ValueError, match="unknown role"):
        tables.format_values(values, {"a": "euros"})


def test_format_kpis_shows_each_row_in_its_kpis_unit():
    table = pd.DataFrame(
        {
            "kpi": ["customers", "retention_rate", "purchase_cycle_days", "average_order_value"],
            "baseline": [1200, 0.3124, 44.0, 36.987],
            "gap": [5, -0.0421, 1.5, 2.0],
            "period": ["", "1997-12", np.nan, ""],
        }
    )
    shown = tables.format_kpis(table, ["baseline", "gap"], currency="€")
    assert list(shown["baseline"]) == ["1,200", "31.2%", "44.0", "€36.99"]
    # a change of a share is in percentage points; a missing text is blank, never "nan"
    assert shown["gap"].iloc[1] == "-4.2 pts" and shown["period"].iloc[2] == ""
    with pytest.raises(ValueError, match="names no KPI"):
        tables.format_kpis(table.drop(columns="kpi"))
    with pytest.raises(ValueError, match="unknown KPI"):
        tables.format_kpis(table.assign(kpi="happiness"))


def test_join_and_lists_in_prose():
    assert tables.join_and([]) == ""
    assert tables.join_and(["a"]) == "a"
    assert tables.join_and(["a", 2]) == "a and 2"
    assert tables.join_and("abc") == "a, b and c"


def test_readings_write_money_and_lists_with_the_tables_rule():
    from analysis.readings import _format
    from analysis.readings.strategy import kpi_value

    assert _format.money is tables.money and _format.join_and is tables.join_and
    assert kpi_value("average_order_value", 1234.5) == tables.money(1234.5) == "$1,234"
