"""The Spark engine and Spark scoring agree with the pandas code they stand in for.

Summaries are compared bit for bit (``check_exact=True``), scores to 1e-9
relative, stages exactly. Runs in local mode (``local[2]``, one session for
the module) by ``make test-spark``; skipped, with the reason, when PySpark or
Java 17 is missing (``make test`` deselects the ``spark`` marker).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="PySpark is not installed (make test-spark installs it)")


def _java_major() -> int | None:
    if shutil.which("java") is None:
        return None
    try:
        text = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, timeout=60
        ).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)', text)
    return int(found.group(1)) if found else None


if (_java_major() or 0) < 17:
    pytest.skip("Spark 4 needs Java 17 or newer (java -version)", allow_module_level=True)

from analysis import data, engines, rfm  # noqa: E402
from analysis import spark as aspark  # noqa: E402
from analysis.customers import (  # noqa: E402
    customer_table,
    fit_count_model,
    purchase_history,
    spend_per_purchase,
)
from analysis.models import BetaGeo, GammaGamma  # noqa: E402
from analysis.validate import DataValidationError  # noqa: E402

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),  # PySpark's toPandas
]

OPTIONS = [
    {},
    {"time_unit": "D"},
    {"time_unit": "M", "observation_end": "2020-03-31"},
    {"calibration_end": "2020-01-10"},
    {"calibration_end": "2020-01-20", "observation_end": "2020-02-29", "time_unit": "Q"},
]
CDNOW_OPTIONS = [
    {"time_unit": "W", "observation_end": "1998-06-30", "calibration_end": "1997-09-30"},
    {"time_unit": "D"},
]


@pytest.fixture(scope="module")
def spark():
    session = aspark.local_session(cores=2, driver_memory="1g", shuffle_partitions=4)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    sample = data.load_cdnow(sample=True)
    folder = tmp_path_factory.mktemp("cdnow-spark")
    csv, parquet = folder / "cdnow.csv", folder / "cdnow.parquet"
    sample.assign(date=sample["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    sample.to_parquet(parquet, index=False)
    return sample, csv, parquet


def summarize(transactions, engine, **kwargs):
    """The summary and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=".*does not yet fully support pandas")
        out = rfm.summarize(transactions, engine=engine, **kwargs)
    return out, [(w.category, str(w.message)) for w in caught]


def assert_same(expected_source, source, **kwargs):
    """Spark's summary of ``source`` equals pandas' of ``expected_source``, warnings included."""
    a, wa = summarize(expected_source, "pandas", **kwargs)
    b, wb = summarize(source, "spark", **kwargs)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.index.dtype == b.index.dtype
    assert wa == wb
    return b


def error_of(transactions, engine, **kwargs):
    with pytest.raises(Exception) as info:
        summarize(transactions, engine, **kwargs)
    return info.type, str(info.value)


# ----- the summary -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", OPTIONS)
def test_small_log_identical_from_pandas_spark_and_files(spark, small_log, tmp_path, kwargs):
    assert_same(small_log, small_log, **kwargs)
    assert_same(small_log, spark.createDataFrame(small_log), **kwargs)
    path = tmp_path / "log.parquet"
    small_log.to_parquet(path, index=False)
    assert_same(path, path, **kwargs)


@pytest.mark.parametrize("kwargs", CDNOW_OPTIONS)
def test_cdnow_sample_identical_all_sources(spark, cdnow, kwargs):
    sample, csv, parquet = cdnow
    expected = assert_same(sample, sample, **kwargs)
    out = assert_same(sample, spark.createDataFrame(sample), **kwargs)
    for path in (csv, parquet):
        out = assert_same(path, path, **kwargs)
        pd.testing.assert_frame_equal(out, expected, check_exact=True)


def test_spark_dataframe_defaults_to_the_spark_engine(spark, small_log):
    frame = spark.createDataFrame(small_log)
    assert engines.default_engine(frame) == "spark"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        out = rfm.summarize(frame, time_unit="D")
    pd.testing.assert_frame_equal(out, rfm.summarize(small_log, time_unit="D"), check_exact=True)
    assert out.attrs["time_unit"] == "D"


def test_sums_follow_the_pandas_order_bit_for_bit(spark):
    # numpy adds a day of 8+ orders pairwise: a Spark sum in any other order would differ
    rng = np.random.default_rng(7)
    n = 20_000
    days = rng.integers(0, 40, n)
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 150, n),
            "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D"),
            "amount": rng.choice([0.1, 0.2, 0.3, 0.7, 1e-3, 1e3, 19.99], n),
        }
    )
    assert log.groupby(["customer_id", "date"]).size().max() >= 8
    shuffled = log.sample(frac=1.0, random_state=1).reset_index(drop=True)
    for kwargs in ({}, {"calibration_end": "2021-01-25"}):
        in_order = assert_same(log, spark.createDataFrame(log), **kwargs)
        reordered = assert_same(shuffled, spark.createDataFrame(shuffled), **kwargs)
        assert not in_order["monetary_value"].equals(reordered["monetary_value"])


def test_customers_split_across_arrow_batches(spark, small_log, cdnow):
    sample = cdnow[0]
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)
    try:
        for rows in ("1", "2", "3"):
            spark.conf.set(key, rows)
            assert_same(small_log, small_log, calibration_end="2020-01-10")
        spark.conf.set(key, "7")
        assert_same(sample, sample, **CDNOW_OPTIONS[0])
    finally:
        spark.conf.set(key, before)


def test_timestamps_with_time_of_day_and_int32_ids(spark):
    log = pd.DataFrame(
        {
            "customer_id": np.array([3, 1, 3, 1, 2], dtype=np.int32),
            "date": pd.to_datetime(
                ["2020-01-01 23:59", "2020-01-02 00:01", "2020-01-05 08:00", "2020-01-02 18:00"]
                + ["2020-01-03 00:00"]
            ),
            "amount": [1.5, 2.0, 3.25, 4.0, 5.0],
        }
    )
    out = assert_same(log, log, time_unit="D")
    assert out.index.dtype == np.int32 and out.loc[1, "frequency"] == 0
    frame = spark.createDataFrame(log.astype({"customer_id": np.int64}))
    pd.testing.assert_frame_equal(
        summarize(frame, "spark", time_unit="D")[0], out.set_axis(out.index.astype(np.int64))
    )


# ----- compress ----------------------------------------------------------------------------------
def test_compress_equals_compressing_the_full_summary(spark, cdnow):
    sample, _, parquet = cdnow
    frame = spark.createDataFrame(sample)
    for kwargs in CDNOW_OPTIONS:
        full = rfm.summarize(sample, **kwargs)
        for columns in (True, ["frequency", "monetary_value"]):
            out, _ = summarize(frame, "spark", compress=columns, **kwargs)
            expected = rfm.compress(full, rfm.COMPRESS_COLUMNS if columns is True else columns)
            pd.testing.assert_frame_equal(out, expected, check_exact=True)
            assert out["weight"].sum() == len(full) == sample["customer_id"].nunique()
            assert out.attrs["time_unit"] == kwargs["time_unit"]
    # the other engines compress after summarising: the same rows
    pd.testing.assert_frame_equal(
        summarize(parquet, "duckdb", compress=True)[0],
        summarize(parquet, "spark", compress=True)[0],
        check_exact=True,
    )


def test_compress_warns_about_customers_first_seen_after_calibration(spark, cdnow):
    sample = cdnow[0]
    _, expected = summarize(sample, "pandas", calibration_end="1997-01-31")
    out, caught = summarize(sample, "spark", calibration_end="1997-01-31", compress=True)
    assert caught == expected and len(caught) == 1
    n = int(re.match(r"(\d+) customer", caught[0][1]).group(1))
    assert out["weight"].sum() == sample["customer_id"].nunique() - n


def test_the_driver_receives_patterns_not_customers(spark, tmp_path):
    from analysis.simulate.btyd import simulate_bgnbd

    sim = simulate_bgnbd(
        60_000,
        r=0.243,
        alpha=4.414,
        a=0.793,
        b=2.426,
        time_unit="W",
        acquisition_start="2023-01-01",
        acquisition_end="2023-01-14",
        observation_end="2023-03-31",
        floor_dates=True,
        seed=3,
    )
    log = sim.transactions[["customer_id", "date", "amount"]]
    path = tmp_path / "simulated.parquet"
    # Spark cannot read nanosecond Parquet timestamps (pandas' default): the engine says so
    log.to_parquet(path, index=False)
    kind, message = error_of(path, "spark")
    assert kind is DataValidationError and "nanosecond" in message
    log.astype({"date": "datetime64[ms]"}).to_parquet(path, index=False)
    patterns, _ = summarize(path, "spark", compress=True, observation_end="2023-03-31")
    full = rfm.summarize(log, observation_end="2023-03-31")
    distinct = len(full[rfm.COMPRESS_COLUMNS].drop_duplicates())
    assert len(patterns) == distinct
    assert patterns["weight"].sum() == len(full) == 60_000
    assert len(patterns) * 10 < len(full)  # thousands of rows, not one per customer
    # the models fit on the patterns as on the customers
    a, b = BetaGeo().fit(patterns), BetaGeo().fit(full)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-6)


# ----- errors ------------------------------------------------------------------------------------
def test_bad_paths_same_errors(tmp_path):
    for path, kind, pattern in (
        (tmp_path / "missing.parquet", FileNotFoundError, "no transaction log"),
        (str(tmp_path / "*.parquet"), FileNotFoundError, "no file matches"),
    ):
        errors = {e: error_of(path, e) for e in ("duckdb", "spark")}
        assert errors["duckdb"] == errors["spark"]
        assert errors["spark"][0] is kind and pattern in errors["spark"][1]
    (tmp_path / "log.json").write_text("{}")
    assert error_of(tmp_path / "log.json", "spark") == error_of(tmp_path / "log.json", "duckdb")
    with pytest.raises(TypeError, match="DataFrame or the path"):
        engines.summarize_spark([1, 2, 3])


def test_missing_columns_same_message(spark, small_log, tmp_path):
    path = tmp_path / "log.parquet"
    small_log.to_parquet(path, index=False)
    expected = error_of(small_log, "pandas", amount="value")
    for source in (small_log, path, spark.createDataFrame(small_log)):
        assert error_of(source, "spark", amount="value") == expected
    assert expected[0] is DataValidationError and "amount -> 'value'" in expected[1]


def test_empty_logs_same_message(spark, small_log, tmp_path):
    header_only = tmp_path / "empty.csv"
    header_only.write_text("customer_id,date,amount\n")
    empty_parquet = tmp_path / "empty.parquet"
    small_log.iloc[:0].to_parquet(empty_parquet, index=False)
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("")
    for source in (small_log.iloc[:0], header_only, empty_parquet, nothing):
        assert error_of(source, "spark") == error_of(source, "duckdb")
    assert "Columns found: []" in error_of(nothing, "spark")[1]


def test_row_errors_same_messages(spark, small_log, tmp_path):
    path = tmp_path / "log.csv"
    small_log.to_csv(path, index=False)
    late = {"observation_end": "2020-01-10"}
    for source in (small_log, path):
        assert error_of(source, "spark", **late) == error_of(source, "duckdb", **late)
    kind, message = error_of(path, "spark", **late)
    assert kind is DataValidationError and "rows 3, 4, 6" in message
    frame = spark.createDataFrame(small_log)
    assert error_of(frame, "spark", **late) == error_of(
        small_log.reset_index(drop=True), "duckdb", **late
    )
    labelled = small_log.set_index(pd.Index([f"r{i}" for i in range(len(small_log))]))
    assert error_of(labelled, "spark", **late) == error_of(labelled, "pandas", **late)

    missing_ids = small_log.copy()
    missing_ids.loc[[1, 4], "customer_id"] = None
    for source in (missing_ids, spark.createDataFrame(missing_ids)):
        assert error_of(source, "spark") == error_of(missing_ids, "duckdb")
    for kwargs in (
        {"time_unit": "fortnight"},
        {"observation_end": "2020-01-31", "calibration_end": "2020-02-15"},
    ):
        assert error_of(small_log, "spark", **kwargs) == error_of(small_log, "pandas", **kwargs)
        assert error_of(frame, "spark", **kwargs) == error_of(small_log, "duckdb", **kwargs)


def test_unreadable_dates_and_amounts_same_messages(spark, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("customer_id,date,amount\n1,2020-01-01,5\n2,soon,4\n3,2020-01-03,4\n")
    assert error_of(path, "spark") == error_of(path, "duckdb")
    assert "rows 1" in error_of(path, "spark")[1]
    amounts = tmp_path / "amounts.csv"
    amounts.write_text("customer_id,date,amount\n1,2020-01-01,5\n2,2020-01-02,n/a\n")
    assert error_of(amounts, "spark") == error_of(amounts, "duckdb")
    numeric = pd.DataFrame({"customer_id": [1], "date": [19970101], "amount": [1.0]})
    kind, message = error_of(spark.createDataFrame(numeric), "spark")
    assert kind is DataValidationError and "holds BIGINT values, not dates" in message


# ----- scoring -----------------------------------------------------------------------------------
def assert_scores(scored: pd.DataFrame, table: pd.DataFrame, stages: bool = True) -> None:
    scored = scored.set_index("customer_id").sort_index()
    assert list(scored.index) == list(table.index)
    for column in aspark.SCORE_COLUMNS:
        if column not in scored.columns:
            assert not stages and column in ("stage", "periods_in_stage")
            continue
        if column == "stage":
            assert list(scored[column]) == list(table[column].astype(str))
        else:
            np.testing.assert_allclose(
                scored[column].to_numpy(float), table[column].to_numpy(float), rtol=1e-9, atol=0
            )


def fitted_models(log, observation_end=None):
    end = pd.Timestamp(log["date"].max() if observation_end is None else observation_end)
    end = end.normalize()
    summary = rfm.summarize(log, "W", observation_end=end)
    count_model, _, _ = fit_count_model(summary, "bgnbd")
    _, spend_model, _ = spend_per_purchase(summary, purchase_history(log, end))
    return count_model, spend_model


def test_scores_match_the_customer_table_on_cdnow(spark, cdnow):
    sample = cdnow[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = customer_table(sample, model="bgnbd", cost_per_purchase=2.0)
    bgf, ggf = fitted_models(sample)
    assert isinstance(ggf, GammaGamma)
    scored = aspark.score(
        spark.createDataFrame(sample), bgf, ggf, cost_per_purchase=2.0, stage_groups=6
    )
    assert scored.columns == ["customer_id", *aspark.SCORE_COLUMNS]
    assert_scores(scored.toPandas(), table)


def test_scores_written_back_as_parquet_from_a_log_path(spark, cdnow, tmp_path):
    sample, _, parquet = cdnow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = customer_table(sample, model="bgnbd", period="Q", horizon_years=1.0)
    bgf, ggf = fitted_models(sample)
    out = tmp_path / "scores"
    aspark.score(str(parquet), bgf, ggf, period="Q", horizon_years=1.0).write.parquet(str(out))
    assert_scores(pd.read_parquet(out), table)
    without = aspark.score(str(parquet), bgf, 25.0, stages=False).toPandas()
    assert "stage" not in without.columns and (without["expected_spend"] == 25.0).all()


def test_scores_and_stages_of_a_small_hand_built_log(spark):
    rng = np.random.default_rng(11)
    rows = []
    for customer in range(40):
        first = rng.integers(0, 200)
        n = rng.integers(1, 15)
        days = np.sort(first + rng.integers(0, 400 - first, n))
        rows += [(f"c{customer:03d}", d, float(rng.integers(5, 80))) for d in days]
    log = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    log["date"] = pd.Timestamp("2022-01-01") + pd.to_timedelta(log.pop("day"), unit="D")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = customer_table(log, model="bgnbd", period="W", observation_end="2023-02-15")
    bgf, ggf = fitted_models(log, "2023-02-15")
    frame = spark.createDataFrame(log)
    if ggf is None:  # too few repeat buyers for Gamma-Gamma: the table used own means
        pytest.skip("Gamma-Gamma not fitted on this log")
    scored = aspark.score(frame, bgf, ggf, period="W", observation_end="2023-02-15")
    assert_scores(scored.toPandas(), table)


def test_score_checks_its_arguments_before_running(spark, small_log):
    bgf = BetaGeo().fit(rfm.summarize(data.load_cdnow(sample=True), "W"))
    with pytest.raises(ValueError, match="margin"):
        aspark.score(small_log, bgf, 10.0, margin=2.0)
    with pytest.raises(ValueError, match="period must be one of"):
        aspark.score(small_log, bgf, 10.0, period="fortnight")
    with pytest.raises(ValueError, match="time unit of BetaGeo is unknown"):
        aspark.score(small_log, BetaGeo(), 10.0)
