"""Logs without amounts: valued in purchases, or at a fixed value per purchase, and said so."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import customers, data, readings, tables
from analysis.models import BoundaryFitWarning

END = "1998-06-30"


@pytest.fixture(scope="module")
def sample_without_amounts(tmp_path_factory) -> str:
    """The CDNOW sample's first 800 customers written as a log with dates only."""
    log = data.load_cdnow(sample=True)
    log = log.loc[log["customer_id"] <= 800, ["customer_id", "date"]]
    path = tmp_path_factory.mktemp("logs") / "dates_only.csv"
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return str(path)


def _load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.load_dataset(path, amount="", **kw)


def _table(log, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        return customers.customer_table(log, observation_end=END, model="bgnbd", **kw)


def test_a_log_without_amounts_loads_with_one_purchase_per_row(sample_without_amounts):
    log = _load(sample_without_amounts)
    assert (log["amount"] == 1.0).all()
    assert log.attrs["value"] == "purchases" and log.attrs["value_per_purchase"] == 1.0
    basis = data.value_basis(log, margin=0.3, currency="$")
    assert basis.in_purchases and basis.margin == 1.0 and basis.currency == "purchases"
    assert "in purchases" in basis.note and "no margin" in basis.note


def test_a_fixed_value_per_purchase_is_every_rows_amount(sample_without_amounts):
    log = _load(sample_without_amounts, value_per_purchase=12.5)
    assert (log["amount"] == 12.5).all() and log.attrs["value"] == "fixed"
    basis = data.value_basis(log, margin=0.3, currency="$")
    assert not basis.in_purchases and basis.margin == 0.3 and basis.currency == "$"
    assert "$12.50" in basis.note


def test_value_per_purchase_is_refused_with_an_amount_column(tmp_path):
    path = tmp_path / "log.csv"
    pd.DataFrame({"customer_id": [1], "date": ["2020-01-01"], "amount": [3.0]}).to_csv(path)
    with pytest.raises(ValueError, match="value_per_purchase .* is for a log without amounts"):
        data.load_dataset(str(path), value_per_purchase=5)
    with pytest.raises(ValueError, match="value_per_purchase must be"):
        data.load_dataset(str(path), amount="", value_per_purchase=-1)


def test_a_log_with_amounts_is_valued_by_them():
    log = data.load_dataset("cdnow_sample")
    assert log.attrs["value"] == "amounts"
    assert data.value_basis(log, 0.3, "$").has_amounts


def test_clv_of_a_log_without_amounts_is_discounted_expected_purchases(sample_without_amounts):
    table = _table(_load(sample_without_amounts), margin=0.3)
    assert table.attrs["value_unit"] == "purchases" and table.attrs["margin"] == 1.0
    assert (table["expected_spend"] == 1.0).all()
    assert "no amounts" in table.attrs["model_note"]
    # CLV in purchases: the discounted expected purchases themselves (no margin, no spend)
    summary = table[["frequency", "recency", "T"]]
    from analysis.clv import customer_lifetime_value

    value = customer_lifetime_value(
        customers.fit_count_model(summary.assign(monetary_value=0.0), "bgnbd")[0],
        1.0,
        summary,
        margin=1.0,
        time_unit="W",
    )
    np.testing.assert_allclose(table["clv"], value["discounted_purchases"], rtol=1e-12)
    assert (table["revenue"] == table["revenue"].round()).all()  # a count of purchases


def test_a_value_per_purchase_scales_the_clv_in_purchases(sample_without_amounts):
    in_purchases = _table(_load(sample_without_amounts), margin=0.3)
    valued = _table(_load(sample_without_amounts, value_per_purchase=20.0), margin=0.3)
    assert valued.attrs["value_unit"] == "currency" and valued.attrs["margin"] == 0.3
    # v times the CLV in purchases, at the margin on that revenue
    np.testing.assert_allclose(valued["clv"], 0.3 * 20.0 * in_purchases["clv"], rtol=1e-9)
    np.testing.assert_allclose(valued["expected_spend"], 20.0)


def test_money_in_purchases_is_written_after_the_number():
    assert tables.format.money(12.5, "purchases") == "12.50 purchases"
    assert tables.format.money(-12.5, "purchases") == "-12.50 purchases"
    assert tables.format.money(12.5, "$") == "$12.50"
    assert tables.format.money(12.5, "EUR") == "EUR12.50"
    shown = tables.format_table(
        pd.DataFrame({"clv": [1.5]}), {"clv": "money"}, currency="purchases"
    )
    assert shown.iloc[0, 0] == "1.50 purchases"


def test_the_value_reading_in_purchases_speaks_of_purchases_not_profit():
    summary = pd.DataFrame(
        {"customers": [3], "total": [6.0], "mean": [2.0], "median": [1.5], "top_10%": [0.5],
         "top_20%": [0.6]},
        index=["BG/NBD"],
    )  # fmt: skip
    value = pd.Series([1.0, 1.5, 3.5])
    text = readings.customer_value_reading(
        summary,
        value,
        pd.Series([0, 1, 4]),
        pd.Series([0.5, 0.6, 0.9]),
        margin=1.0,
        horizon_years=3,
        currency="purchases",
    )
    assert text.startswith("Counted in purchases, the 3 customers are worth 6.00 purchases")
    assert "profit" not in text and "margin" not in text and "$" not in text


def test_hidden_ids_keep_the_value_basis(sample_without_amounts):
    log = _load(sample_without_amounts, value_per_purchase=3.0, anonymize=True)
    assert log.attrs["value"] == "fixed" and log.attrs["value_per_purchase"] == 3.0
    assert log["customer_id"].str.len().eq(16).all()
