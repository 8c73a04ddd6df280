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
    tx = data.load_transactions(
        path, customer_id="cust", date="day", amount="value", date_format="%Y%m%d"
    )
    assert list(tx.columns) == ["customer_id", "date", "amount", "quantity"]
    assert tx["customer_id"].tolist() == ["x1", "x1", "x2"]
    assert tx["date"].tolist() == [
        pd.Timestamp(d) for d in ["2020-01-01", "2020-01-05", "2020-01-03"]
    ]
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
    path = _write(
        tmp_path, "customer_id,date,amount\na,2020-01-01,10\na,2020-01-02,-10\nb,2020-01-03,5\n"
    )
    with pytest.warns(
        DataQualityWarning, match=r"dropped 1 row\(s\) with negative 'amount'.*lines 3"
    ):
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
    with pytest.warns(
        DataQualityWarning, match=r"1 row\(s\) are exact duplicates.*kept as separate orders"
    ):
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
    frame = pd.DataFrame(
        {"customer_id": ["b", "a"], "date": ["2020-01-02", "2020-01-01"], "amount": [1, 2]}
    )
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


# ----- duplicates are judged on every column of the user's log ----------------------------------


def _orders(invoices, index=None):
    """One customer buying 10.0 on one day, once per invoice number."""
    n = len(invoices)
    return pd.DataFrame(
        {
            "invoice": invoices,
            "customer_id": ["a"] * n,
            "date": ["2020-01-01"] * n,
            "amount": [10.0] * n,
        },
        index=index,
    )


def test_rows_differing_only_in_invoice_are_separate_orders():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(_orders([1001, 1002]))
    assert len(out) == 2
    assert out["amount"].tolist() == [10.0, 10.0]
    assert out.attrs["exact_duplicates"] == 0
    assert out.attrs["same_key_orders"] == 1


def test_rows_identical_in_every_column_warn_and_are_kept():
    with pytest.warns(DataQualityWarning) as caught:
        out = validate_transactions(_orders([1001, 1002, 1002]))
    messages = [str(w.message) for w in caught]
    assert messages == [
        "1 row(s) are exact duplicates of an earlier row (rows 2): equal to it in every column; "
        "kept as separate orders (duplicates='warn'). Pass duplicates='drop' to remove them if "
        "they are the same line recorded twice."
    ]
    assert len(out) == 3
    assert out.attrs["exact_duplicates"] == 1
    assert out.attrs["same_key_orders"] == 1


def test_rows_identical_in_every_column_dropped_with_drop():
    with pytest.warns(
        DataQualityWarning, match=r"1 row\(s\) are exact duplicates .*\(rows 2\).*dropped"
    ):
        out = validate_transactions(_orders([1001, 1002, 1002]), duplicates="drop")
    assert len(out) == 2  # invoices 1001 and 1002 once each
    assert out.attrs["exact_duplicates"] == 1
    assert out.attrs["same_key_orders"] == 1


def test_rows_identical_in_every_column_stop_with_error():
    with pytest.raises(
        DataValidationError,
        match=r"1 row\(s\) are exact duplicates of an earlier row \(rows 2\).*duplicates='drop' to remove",
    ):
        validate_transactions(_orders([1001, 1002, 1002]), duplicates="error")


def test_named_index_is_part_of_the_row():
    frame = _orders([1001, 1002]).set_index("invoice")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(frame, duplicates="error")
    assert len(out) == 2
    unnamed = _orders([1001, 1001], index=[7, 8])
    with pytest.raises(DataValidationError, match=r"exact duplicates of an earlier row \(rows 8\)"):
        validate_transactions(unnamed, duplicates="error")


def test_load_transactions_invoice_column(tmp_path):
    path = _write(
        tmp_path,
        "invoice,customer_id,date,amount\n"
        "536365,c1,2020-01-01,10\n"
        "536366,c1,2020-01-01,10\n"  # same customer, day and amount: another order
        "536367,c2,2020-01-02,5\n",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tx = data.load_transactions(path, duplicates="error")
    assert tx["customer_id"].tolist() == ["c1", "c1", "c2"]
    assert tx.attrs["same_key_orders"] == 1

    path.write_text(path.read_text() + "536367,c2,2020-01-02,5\n")  # line 5 repeats line 4
    with pytest.warns(
        DataQualityWarning, match=r"1 row\(s\) are exact duplicates of an earlier row \(lines 5 of"
    ):
        assert len(data.load_transactions(path)) == 4
    with pytest.warns(DataQualityWarning, match=r"\(lines 5 of .*dropped \(duplicates='drop'\)"):
        assert data.load_transactions(path, duplicates="drop")["customer_id"].tolist() == [
            "c1",
            "c1",
            "c2",
        ]
    with pytest.raises(
        DataValidationError, match=r"exact duplicates of an earlier row \(lines 5 of"
    ):
        data.load_transactions(path, duplicates="error")


# ----- day/month order of text dates ---------------------------------------------------------------


def _dated(dates):
    return pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(len(dates))], "date": dates, "amount": 1.0}
    )


def _days(tx):
    return tx["date"].dt.strftime("%Y-%m-%d").tolist()


def test_ambiguous_dates_warn_with_both_readings():
    with pytest.warns(DataQualityWarning) as caught:
        out = validate_transactions(_dated(["03/04/1997", "05/06/1997"]))
    (message,) = [str(w.message) for w in caught]
    assert (
        "'03/04/1997' (row 0) is 1997-03-04 read month-first, 1997-04-03 read day-first" in message
    )
    assert "They were read month-first ('%m/%d/%Y')" in message
    assert "pass date_format='%d/%m/%Y' or dayfirst=True" in message
    assert _days(out) == ["1997-03-04", "1997-05-06"]
    assert out.attrs["date_format"] == "%m/%d/%Y"


@pytest.mark.parametrize(
    "dayfirst, expected",
    [(True, ["1997-04-03", "1997-06-05"]), (False, ["1997-03-04", "1997-05-06"])],
)
def test_dayfirst_given_reads_that_way_silently(dayfirst, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(_dated(["03/04/1997", "05/06/1997"]), dayfirst=dayfirst)
    assert _days(out) == expected


def test_dates_equal_in_both_orders_are_not_ambiguous():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(_dated(["01/01/1997", "02/02/1997"]))
    assert _days(out) == ["1997-01-01", "1997-02-02"]


@pytest.mark.parametrize("dates", [["03/04/1997", "13/01/1997"], ["13/01/1997", "03/04/1997"]])
def test_days_above_12_read_the_whole_column_day_first(dates):
    # pandas alone reads '03/04/1997' as 4 March when it comes first and then fails on '13/01/1997'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(_dated(dates))
    by_text = dict(zip(dates, _days(out.sort_values("customer_id")), strict=True))
    assert by_text == {"03/04/1997": "1997-04-03", "13/01/1997": "1997-01-13"}
    assert out.attrs["date_format"] == "%d/%m/%Y"


def test_months_above_12_read_the_whole_column_month_first():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(_dated(["03/04/1997", "01/13/1997"]))
    assert _days(out) == ["1997-03-04", "1997-01-13"]


def test_two_digit_years_read_in_one_order():
    # pandas cannot infer a %y format and would read '3/4/97' month-first, '13/4/97' day-first
    out = validate_transactions(_dated(["3/4/97", "13/4/97"]))
    assert _days(out) == ["1997-04-03", "1997-04-13"]
    assert out.attrs["date_format"] == "%d/%m/%y"


def test_dates_in_both_orders_stop_with_lines(tmp_path):
    path = _write(
        tmp_path, "customer_id,date,amount\na,03/04/1997,1\nb,13/01/1997,2\nc,01/13/1997,3\n"
    )
    with pytest.raises(DataValidationError) as info:
        data.load_transactions(path)
    message = str(info.value)
    assert message.startswith("column 'date': no single day/month order reads every date.")
    assert (
        "Read month-first ('%m/%d/%Y'), 1 value(s) could not be read as dates (line 3: '13/01/1997'"
        in message
    )
    assert "read day-first ('%d/%m/%Y'), 1 value(s) could not (line 4: '01/13/1997'" in message


def test_dayfirst_contradicted_by_the_data_stops(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\na,03/04/1997,1\nb,01/13/1997,2\n")
    with pytest.raises(
        DataValidationError,
        match=r"1 value\(s\) could not be read as dates \(line 3: '01/13/1997'.*read day-first.*"
        r"read validly month-first: pass dayfirst=False",
    ):
        data.load_transactions(path, dayfirst=True)


def test_junk_among_day_first_dates_is_named():
    with pytest.raises(
        DataValidationError,
        match=r"1 value\(s\) could not be read as dates \(row 1: 'soon'; rows 1\)\. "
        r"The dates were read day-first \('%d/%m/%Y'\)",
    ):
        validate_transactions(_dated(["13/01/1997", "soon", "03/04/1997"]))


@pytest.mark.parametrize("dayfirst", [None, True, False])
def test_iso_and_datetime_dates_are_never_ambiguous(dayfirst):
    iso = ["1997-03-04", "1997-05-06"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(_dated(iso), dayfirst=dayfirst)
        assert _days(out) == ["1997-03-04", "1997-05-06"]
        stamped = validate_transactions(
            _dated(pd.to_datetime(["1997-03-04", "1997-05-06"])), dayfirst=dayfirst
        )
    assert _days(stamped) == ["1997-03-04", "1997-05-06"]
    assert stamped.attrs["date_format"] is None


def test_date_format_given_is_never_ambiguous():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_transactions(
            _dated(["03/04/1997", "05/06/1997"]), date_format="%d/%m/%Y", dayfirst=False
        )
    assert _days(out) == ["1997-04-03", "1997-06-05"]


def test_timezone_text_dates_keep_wall_clock_time():
    out = validate_transactions(_dated(["2020-01-01T10:00:00Z", "2020-01-02T11:30:00Z"]))
    assert out["date"].tolist() == [
        pd.Timestamp("2020-01-01 10:00"),
        pd.Timestamp("2020-01-02 11:30"),
    ]


def test_integer_dates_read_as_yyyymmdd():
    out = validate_transactions(_dated([19970304, 19971231]))
    assert _days(out) == ["1997-03-04", "1997-12-31"]


def test_dayfirst_must_be_a_bool():
    with pytest.raises(ValueError, match="dayfirst must be True, False or None, got 'yes'"):
        validate_transactions(_dated(["1997-03-04"]), dayfirst="yes")


AMBIGUOUS_CSV = "invoice,customer_id,date,amount\n1,a,03/04/1997,1\n2,b,05/06/1997,2\n"


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_load_transactions_ambiguous_dates(tmp_path, engine):
    if engine == "duckdb":
        pytest.importorskip("duckdb")  # its own CSV sniffer would read these day-first silently
    path = _write(tmp_path, AMBIGUOUS_CSV)
    with pytest.warns(
        DataQualityWarning,
        match=r"'03/04/1997' \(line 2 of .*log.csv\) is 1997-03-04 read month-first, 1997-04-03 read day-first",
    ):
        tx = data.load_transactions(path, engine=engine)
    assert _days(tx) == ["1997-03-04", "1997-05-06"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tx = data.load_transactions(path, engine=engine, dayfirst=True)
    assert _days(tx) == ["1997-04-03", "1997-06-05"]


def test_load_transactions_day_first_file_with_days_above_12(tmp_path):
    path = _write(tmp_path, "customer_id,date,amount\na,03/04/1997,1\nb,13/01/1997,2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tx = data.load_transactions(path)
    assert _days(tx) == ["1997-04-03", "1997-01-13"]


def test_load_dataset_forwards_options_to_a_file(tmp_path):
    path = _write(tmp_path, AMBIGUOUS_CSV.replace("2,b,05/06/1997,2", "2,b,05/06/1997,-2"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tx = data.load_dataset(str(path), dayfirst=True, returns="keep", duplicates="error")
    assert _days(tx) == ["1997-04-03", "1997-06-05"]
    assert tx["amount"].tolist() == [1.0, -2.0]


def test_load_dataset_builtin_ignores_file_options(cdnow_sample):
    tx = data.load_dataset("cdnow_sample", dayfirst=True, returns="keep", duplicates="drop")
    pd.testing.assert_frame_equal(tx, cdnow_sample)


def test_up_to_keeps_every_purchase_of_the_last_day_whatever_its_time():
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(["2022-06-30 09:00", "2022-07-01 18:56", "2022-07-02 00:00"]),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    kept = data.up_to(log, "2022-07-01")
    assert kept["amount"].tolist() == [1.0, 2.0]
    assert data.up_to(log, pd.Timestamp("2022-07-01 08:00"))["amount"].tolist() == [1.0, 2.0]
