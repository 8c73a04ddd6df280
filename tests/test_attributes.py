"""Customer attributes and calendar covariates: reading the files and every refusal."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import attributes
from analysis.errors import DataValidationError
from analysis.report import schema


def _write(tmp_path, text: str, name: str = "customers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_numeric_columns_are_read_in_the_logs_order(tmp_path):
    path = _write(tmp_path, "customer_id,gender,channel\n2,1,0\n1,0,1\n3,1,1\n")
    got = attributes.load_attributes(path, pd.Index([1, 2, 3]))
    expected = pd.DataFrame(
        {"gender": [0.0, 1.0, 1.0], "channel": [1.0, 0.0, 1.0]}, index=pd.Index([1, 2, 3])
    )
    pd.testing.assert_frame_equal(got.frame, expected)
    assert got.columns == ("gender", "channel") and got.notes == ()
    assert list(got.labels["gender"]) == ["0", "1", "1"]


def test_text_column_is_one_hot_against_its_most_frequent_level(tmp_path):
    path = _write(tmp_path, "id,region\na,north\nb,south\nc,south\nd,east\n")
    got = attributes.load_attributes(path, ["a", "b", "c", "d"], customer_id="id")
    assert got.columns == ("region=east", "region=north")
    assert list(got.frame["region=east"]) == [0.0, 0.0, 0.0, 1.0]
    assert list(got.frame["region=north"]) == [1.0, 0.0, 0.0, 0.0]
    assert any("'south'" in note for note in got.notes)


def test_constant_column_is_dropped_and_extra_customers_counted(tmp_path):
    path = _write(tmp_path, "customer_id,country,channel\n1,FR,0\n2,FR,1\n9,DE,1\n")
    got = attributes.load_attributes(path, [1, 2])
    assert got.columns == ("channel",)
    assert any("'country'" in n and "dropped" in n for n in got.notes)
    assert any(n.startswith("1 customer(s)") for n in got.notes)


def test_attribute_columns_choose_the_columns(tmp_path):
    path = _write(tmp_path, "customer_id,gender,channel\n1,0,1\n2,1,0\n")
    got = attributes.load_attributes(path, [1, 2], columns=["channel"])
    assert got.columns == ("channel",)


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("id,gender\n1,0\n2,1\n", {}, "no id column 'customer_id'"),
        ("customer_id,gender\n1,0\n2,1\n", {"columns": ["channel"]}, "lacks the attribute"),
        ("customer_id,gender\n1,0\n1,1\n2,1\n", {}, "more than once (1)"),
        ("customer_id,gender\n1,0\n", {}, "1 of the log's 2 customers have no row"),
        ("customer_id,gender\n1,0\n2,\n", {}, "no value of 'gender' (2)"),
        ("customer_id,gender\n1,0\n2,0\n", {}, "no attribute column varies"),
        ("customer_id\n1\n2\n", {}, "no attribute column"),
    ],
)
def test_refusals_say_what_and_where(tmp_path, text, kwargs, message):
    path = _write(tmp_path, text)
    with pytest.raises(DataValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        attributes.load_attributes(path, [1, 2], **kwargs)


def test_too_many_levels_refused(tmp_path):
    rows = "".join(f"{i},level{i}\n" for i in range(12))
    path = _write(tmp_path, "customer_id,shop\n" + rows)
    with pytest.raises(DataValidationError, match="12 levels"):
        attributes.load_attributes(path, list(range(12)))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at"):
        attributes.load_attributes(tmp_path / "none.csv", [1])
    with pytest.raises(schema.ParameterError, match="customer_attributes: no file at"):
        schema.check_parameters({"customer_attributes": str(tmp_path / "none.csv")})


def test_with_attributes_joins_and_refuses_clashes(tmp_path):
    path = _write(tmp_path, "customer_id,channel\n1,0\n2,1\n")
    got = attributes.load_attributes(path, [1, 2])
    summary = pd.DataFrame({"frequency": [1, 2]}, index=[1, 2])
    assert list(attributes.with_attributes(summary, got)["channel"]) == [0.0, 1.0]
    with pytest.raises(DataValidationError, match="already columns"):
        attributes.with_attributes(summary.assign(channel=1), got)
    with pytest.raises(DataValidationError, match="1 customer"):
        attributes.with_attributes(pd.DataFrame({"frequency": [1]}, index=[3]), got)


WEEKS = "week_start,high_season\n2020-01-05,0\n2020-01-12,1\n2020-01-19,0\n"


def test_calendar_read_one_row_per_week(tmp_path):
    path = _write(tmp_path, WEEKS, "weeks.csv")
    got = attributes.load_calendar(path, start="2020-01-05", end="2020-01-25")
    assert list(got["high_season"]) == [0.0, 1.0, 0.0]
    assert got.index[0] == pd.Timestamp("2020-01-05") and got.index.name == "period_start"


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("week_start,high_season\n2020-01-05,0\n2020-01-19,1\n", {}, "missing 1 period"),
        ("week_start,high_season\n2020-01-05,0\n2020-01-05,1\n", {}, "twice"),
        ("week_start,high_season\n2020-01-01,0\n2020-02-01,1\n", {}, "not one row per period"),
        ("week_start,high_season\n2020-01-05,0\n2020-01-12,x\n", {}, "not numbers"),
        ("week_start,high_season\n5/1/2020,0\n", {}, "not dates"),
        ("week_start\n2020-01-05\n", {}, "at least one covariate"),
        (WEEKS, {"start": "2020-01-01"}, "after the log's first purchase"),
        (WEEKS, {"end": "2020-01-26"}, "before the observation end"),
        (WEEKS, {"columns": ["promo"]}, "lacks the covariate"),
    ],
)
def test_calendar_refusals(tmp_path, text, kwargs, message):
    path = _write(tmp_path, text, "weeks.csv")
    with pytest.raises(DataValidationError, match=message):
        attributes.load_calendar(path, **kwargs)


def test_monthly_calendar(tmp_path):
    path = _write(tmp_path, "month,promo\n2020-01-01,0\n2020-02-01,1\n", "months.csv")
    got = attributes.load_calendar(path, time_unit="M", end="2020-02-29")
    assert list(got["promo"]) == [0.0, 1.0]
    with pytest.raises(DataValidationError, match="before the observation end"):
        attributes.load_calendar(path, time_unit="M", end="2020-03-01")


def test_the_shipped_apparel_files_read():
    from analysis import config

    raw = config.PROJECT_ROOT / "data" / "raw" / "apparel"
    ids = pd.read_csv(raw / "transactions.csv")["customer_id"].unique()
    got = attributes.load_attributes(raw / "customers.csv", ids)
    assert got.columns == ("gender", "channel") and len(got.frame) == 600
    weeks = attributes.load_calendar(raw / "season_weeks.csv", start="2005-01-02", end="2010-12-20")
    assert weeks.columns.tolist() == ["high_season"] and len(weeks) == 313


def test_hidden_ids_are_matched_through_the_same_salt(tmp_path):
    from analysis import data

    path = _write(tmp_path, "customer_id,channel\n1,0\n2,1\n")
    log = pd.DataFrame({"customer_id": [1, 2]})
    hidden = data.anonymize_ids(log, "pepper")["customer_id"]
    got = attributes.load_attributes(path, hidden, salt="pepper")
    assert list(got.frame["channel"]) == [0.0, 1.0] and list(got.frame.index) == list(hidden)
