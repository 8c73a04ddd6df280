"""Loaders and validation: the shipped data, a user's CSV/Parquet, and every bad-input case by message."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import config, data
from analysis.validate import DataQualityWarning, DataValidationError, validate_transactions


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----- the shipped data -----------------------------------------------------------------------


def test_cdnow_master_shape_and_types():
    tx = data.load_cdnow()
    assert list(tx.columns) == ["customer_id", "date", "amount", "quantity"]
    assert len(tx) == 69_659
    assert tx["customer_id"].nunique() == 23_570
    assert tx["date"].dtype == "datetime64[ns]" or str(tx["date"].dtype).startswith("datetime64")
    assert tx["amount"].dtype == float and tx["quantity"].dtype == np.int64
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")
    assert tx["amount"].sum() == pytest.approx(2_500_315.63, abs=0.01)


def test_cdnow_sample_shape():
    tx = data.load_cdnow(sample=True)
    assert len(tx) == 6_919
    assert tx["customer_id"].nunique() == 2_357
    assert tx["customer_id"].min() == 1 and tx["customer_id"].max() == 2_357


def test_donations_summary():
    d = data.load_donations()
    assert list(d.columns) == ["frequency", "recency", "n_periods", "weight"]
    assert d["weight"].sum() == 11_104
    assert (d["n_periods"] == 6).all()


def test_raw_data_ships_with_provenance():
    readme = (config.RAW_DIR / "README.md").read_text()
    assert "CDNOW" in readme and "Fader" in readme and "donation" in readme.lower()


def test_load_dataset_unknown_name():
    with pytest.raises(FileNotFoundError, match="neither a built-in dataset"):
        data.load_dataset("no_such_dataset")


# ----- a user's file ---------------------------------------------------------------------------


def _write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_own_column_names_and_format(tmp_path):
    path = _write(
        tmp_path,
        "cust,day,value\nx1,20200105,10.5\nx2,20200103,3\nx1,20200101,7\n",
    )
    tx = data.load_transactions(path, customer_id="cust", date="day", amount="value", date_format="%Y%m%d")
    assert list(tx.columns) == ["customer_id", "date", "amount", "quantity"]
    assert tx["customer_id"].tolist() == ["x1", "x1", "x2"]
    assert tx["date"].tolist() == [pd.Timestamp(d) for d in ["2020-01-01", "2020-01-05", "2020-01-03"]]
    assert tx["amount"].tolist() == [7.0, 10.5, 3.0]
    assert (tx["quantity"] == 1).all()


def test_leading_zero_ids_are_kept(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\n00042,2020-01-01,1\n")
    assert data.load_transactions(path)["customer_id"].tolist() == ["00042"]


def test_parquet_roundtrip(tmp_path, cdnow_sample):
    path = tmp_path / "log.parquet"
    cdnow_sample.to_parquet(path)
    with pytest.warns(DataQualityWarning, match="21 row"):
        tx = data.load_transactions(path, quantity="quantity")
    pd.testing.assert_frame_equal(tx, cdnow_sample, check_dtype=False)


def test_cost_column_is_kept(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount,cost\na,2020-01-01,10,4\n")
    tx = data.load_transactions(path, cost="cost")
    assert tx["cost"].tolist() == [4.0]


# ----- every bad-input case, checked by message --------------------------------------------------

BAD = {
    "missing_column": (
        "customer_id,when,amount\na,2020-01-01,1\n",
        {},
        r"missing column\(s\) in .*date -> 'date'.*Columns found: \['customer_id', 'when', 'amount'\]",
    ),
    "unparseable_dates": (
        "customer_id,date,amount\na,2020-01-01,1\nb,not a date,2\nc,2020-13-45,3\nd,2020-01-02,4\n",
        {},
        r"column 'date': 2 value\(s\) could not be read as dates \(line 3: 'not a date'; line 4: '2020-13-45'",
    ),
    "missing_customer_id": (
        "customer_id,date,amount\na,2020-01-01,1\n,2020-01-02,2\n",
        {},
        r"column 'customer_id': 1 row\(s\) have no customer id \(lines 3 of .*log.csv\)",
    ),
    "non_numeric_amounts": (
        "customer_id,date,amount\na,2020-01-01,1\nb,2020-01-02,$5\nc,2020-01-03,abc\n",
        {},
        r"column 'amount': 2 value\(s\) are not numbers \(line 3: '\$5'; line 4: 'abc'.*currency symbols",
    ),
    "negative_amounts": (
        "customer_id,date,amount\na,2020-01-01,10\na,2020-01-02,-10\n",
        {},
        r"column 'amount': 1 negative amount\(s\), usually returns or refunds \(lines 3 .*returns='drop'",
    ),
    "duplicates_error": (
        "customer_id,date,amount\na,2020-01-01,10\na,2020-01-01,10\n",
        {"duplicates": "error"},
        r"1 row\(s\) are exact duplicates of an earlier row \(lines 3 ",
    ),
    "after_observation_end": (
        "customer_id,date,amount\na,2020-01-01,10\nb,2020-03-01,5\n",
        {"observation_end": "2020-02-01"},
        r"column 'date': 1 purchase\(s\) after observation_end 2020-02-01 \(latest 2020-03-01; lines 3 ",
    ),
    "empty_log": ("customer_id,date,amount\n", {}, r"is empty \(no rows\)"),
    "empty_file": ("", {}, r"is empty \(no rows\)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_message_and_file_untouched(tmp_path, case):
    text, kwargs, pattern = BAD[case]
    path = _write(tmp_path, text)
    before = _sha(path)
    with pytest.raises(DataValidationError, match=pattern):
        data.load_transactions(path, **kwargs)
    assert _sha(path) == before  # the user's file is never modified


def test_error_is_a_value_error():
    assert issubclass(DataValidationError, ValueError)


def test_returns_drop_policy_warns_and_drops(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\na,2020-01-01,10\na,2020-01-02,-10\nb,2020-01-03,5\n")
    with pytest.warns(DataQualityWarning, match=r"dropped 1 row\(s\) with negative 'amount'.*lines 3"):
        tx = data.load_transactions(path, returns="drop")
    assert tx["amount"].tolist() == [10.0, 5.0]


def test_returns_keep_policy(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\na,2020-01-01,10\na,2020-01-02,-10\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tx = data.load_transactions(path, returns="keep")
    assert tx["amount"].tolist() == [10.0, -10.0]


def test_duplicates_default_warns_and_keeps(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\na,2020-01-01,10\na,2020-01-01,10\n")
    with pytest.warns(DataQualityWarning, match=r"1 row\(s\) are exact duplicates.*kept as separate orders"):
        tx = data.load_transactions(path)
    assert len(tx) == 2


def test_duplicates_drop_policy(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\na,2020-01-01,10\na,2020-01-01,10\n")
    with pytest.warns(DataQualityWarning, match="dropped"):
        tx = data.load_transactions(path, duplicates="drop")
    assert len(tx) == 1


def test_unknown_policy_is_rejected(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\na,2020-01-01,10\n")
    with pytest.raises(ValueError, match="returns must be one of"):
        data.load_transactions(path, returns="ignore")


def test_frame_validation_reports_index_labels():
    frame = pd.DataFrame(
        {"customer_id": ["a", None], "date": ["2020-01-01", "2020-01-02"], "amount": [1, 2]},
        index=[10, 11],
    )
    with pytest.raises(DataValidationError, match=r"rows 11\)"):
        validate_transactions(frame)


def test_frame_validation_leaves_frame_untouched():
    frame = pd.DataFrame({"customer_id": ["b", "a"], "date": ["2020-01-02", "2020-01-01"], "amount": [1, 2]})
    before = frame.copy()
    out = validate_transactions(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["customer_id"].tolist() == ["a", "b"]


def test_many_bad_rows_are_summarised(tmp_path):
    rows = "".join(f"c{i},bad,1\n" for i in range(12))
    path = _write(tmp_path, "customer_id,date,amount\n" + rows)
    with pytest.raises(DataValidationError, match=r"12 value\(s\).*\(7 more\)"):
        data.load_transactions(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no transaction log"):
        data.load_transactions("/nonexistent/log.csv")
