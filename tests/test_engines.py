"""The DuckDB engine gives the same summaries, warnings and errors as the pandas engine.

"The same" is bit for bit: every comparison is ``check_exact=True``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import data, engines, rfm
from analysis.validate import DataValidationError

OPTIONS = [
    {},
    {"time_unit": "D"},
    {"time_unit": "M", "observation_end": "2020-03-31"},
    {"calibration_end": "2020-01-10"},
    {"calibration_end": "2020-01-20", "observation_end": "2020-02-29", "time_unit": "Q"},
]


@pytest.fixture
def saved_registry():
    """Restore the engine registry after a test that changes it."""
    saved = {name: engines.get(name) for name in engines.names()}
    yield
    for name in engines.names():
        if name not in saved:
            engines.unregister(name)
    for name, engine in saved.items():
        engines.register(name, engine.summarize, engine.read, replace=True)
    assert engines.names() == tuple(saved)


def both(transactions, **kwargs):
    """Summaries by both engines, with the warnings each raised."""
    out = {}
    for engine in ("pandas", "duckdb"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            summary = rfm.summarize(transactions, engine=engine, **kwargs)
        out[engine] = (summary, [(w.category, str(w.message)) for w in caught])
    return out


def assert_same(transactions, **kwargs):
    res = both(transactions, **kwargs)
    (a, wa), (b, wb) = res["pandas"], res["duckdb"]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.index.dtype == b.index.dtype
    assert wa == wb
    return a


def error_of(transactions, engine, **kwargs):
    with pytest.raises(Exception) as info:
        rfm.summarize(transactions, engine=engine, **kwargs)
    return info.type, str(info.value)


# ----- small hand-built logs ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", OPTIONS)
def test_small_log_frame_identical(small_log, kwargs):
    assert_same(small_log, **kwargs)


def test_small_log_exact_values_from_duckdb(small_log):
    # same expected values as tests/test_rfm.py: a buys on days 0, 7 (two orders: 30), 28
    out = rfm.summarize(small_log, time_unit="D", engine="duckdb")
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["a", "frequency"] == 2
    assert out.loc["a", "recency"] == 28.0
    assert out.loc["a", "T"] == 28.0
    assert out.loc["a", "monetary_value"] == 45.0  # (30 + 60) / 2
    assert out.loc["b", "frequency"] == 0 and out.loc["b", "monetary_value"] == 0.0
    assert out.loc["c", "T"] == 24.0 and out.loc["c", "monetary_value"] == 12.0
    assert out["frequency"].dtype == np.int64


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("kwargs", OPTIONS)
def test_small_log_files_identical(small_log, tmp_path, fmt, kwargs):
    expected = rfm.summarize(small_log, **kwargs) if "calibration_end" not in kwargs else None
    path = tmp_path / f"log.{fmt}"
    frame = (
        small_log.assign(date=small_log["date"].dt.strftime("%Y-%m-%d"))
        if fmt == "csv"
        else small_log
    )
    getattr(frame, f"to_{fmt}")(path, index=False)
    out = assert_same(path, **kwargs)
    if expected is not None:
        pd.testing.assert_frame_equal(out, expected, check_exact=True)


def test_path_defaults_to_duckdb_and_str_path_works(small_log, tmp_path, saved_registry):
    path = tmp_path / "log.parquet"
    small_log.to_parquet(path, index=False)
    calls = []
    original = engines.get("duckdb")
    engines.register(
        "duckdb",
        lambda *a, **k: calls.append(1) or original.summarize(*a, **k),
        original.read,
        replace=True,
    )
    out = rfm.summarize(str(path), time_unit="D")
    assert calls == [1]
    pd.testing.assert_frame_equal(out, rfm.summarize(small_log, time_unit="D"), check_exact=True)


def test_sums_follow_the_pandas_order_bit_for_bit(tmp_path):
    # Floating-point addition is not associative: (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3).
    # Same-day groups of 3+ orders and customers with many days make the order visible.
    assert (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3)
    rng = np.random.default_rng(7)
    n = 20_000
    days = rng.integers(0, 40, n)
    log = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 300, n),
            "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D"),
            "amount": rng.choice([0.1, 0.2, 0.3, 0.7, 1e-3, 1e3, 19.99], n),
        }
    )
    assert log.groupby(["customer_id", "date"]).size().max() >= 3
    shuffled = log.sample(frac=1.0, random_state=1)
    for kwargs in ({}, {"calibration_end": "2021-01-25"}):
        in_order = assert_same(log, **kwargs)
        reordered = assert_same(shuffled, **kwargs)
        # the same purchases in another row order sum to other last bits somewhere:
        # the engines agree because both follow row order, not because they round alike
        assert not in_order["monetary_value"].equals(reordered["monetary_value"])
        np.testing.assert_allclose(
            in_order["monetary_value"], reordered["monetary_value"], rtol=1e-12
        )
    path = tmp_path / "orders.parquet"
    log.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(
        rfm.summarize(path, engine="duckdb"), rfm.summarize(log), check_exact=True
    )


def test_customers_split_across_batches(small_log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # customer b is first seen after calibration_end
        expected = rfm.summarize(small_log, calibration_end="2020-01-10")
        for batch_rows in (1, 2, 3, 5):
            out = engines.summarize_duckdb(
                small_log, calibration_end="2020-01-10", batch_rows=batch_rows
            )
            pd.testing.assert_frame_equal(out, expected, check_exact=True)


def test_glob_and_folder_of_parquet_files(small_log, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(small_log)), 3)):
        small_log.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    expected = rfm.summarize(small_log, time_unit="D")
    for source in (str(folder / "*.parquet"), folder):
        out = assert_same(source, time_unit="D")
        pd.testing.assert_frame_equal(out, expected, check_exact=True)


def test_integer_ids_and_timestamps_with_time_of_day():
    log = pd.DataFrame(
        {
            "customer_id": np.array([3, 1, 3, 1, 2], dtype=np.int32),
            "date": pd.to_datetime(
                [
                    "2020-01-01 23:59",
                    "2020-01-02 00:01",
                    "2020-01-05 08:00",
                    "2020-01-02 18:00",
                    "2020-01-03 00:00",
                ]
            ),
            "amount": [1.5, 2.0, 3.25, 4.0, 5.0],
        }
    )
    out = assert_same(log, time_unit="D")
    assert out.index.dtype == np.int32
    assert out.loc[1, "frequency"] == 0  # two orders on 2 January: one purchase
    assert out.loc[3, "recency"] == 4.0


def test_custom_column_names(small_log):
    log = small_log.rename(columns={"customer_id": "client", "date": "day", "amount": "value"})
    out = assert_same(log, customer_id="client", date="day", amount="value")
    pd.testing.assert_frame_equal(out, rfm.summarize(small_log), check_exact=True)


def test_non_default_index_labels_in_errors(small_log):
    log = small_log.set_index(pd.Index([f"r{i}" for i in range(len(small_log))]))
    errors = {e: error_of(log, e, observation_end="2020-01-20") for e in ("pandas", "duckdb")}
    assert errors["pandas"] == errors["duckdb"]
    assert "'r3'" in errors["duckdb"][1]


# ----- CDNOW -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow_files(tmp_path_factory, request):
    sample = data.load_cdnow(sample=True)
    folder = tmp_path_factory.mktemp("cdnow")
    csv = folder / "cdnow.csv"
    sample.assign(date=sample["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    parquet = folder / "cdnow.parquet"
    sample.to_parquet(parquet, index=False)
    return sample, csv, parquet


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_unit": "W", "observation_end": "1998-06-30", "calibration_end": "1997-09-30"},
        {"time_unit": "D"},
    ],
)
def test_cdnow_sample_both_engines_all_sources(cdnow_files, kwargs):
    sample, csv, parquet = cdnow_files
    expected = assert_same(sample, **kwargs)
    for path in (csv, parquet):
        out = assert_same(path, **kwargs)
        pd.testing.assert_frame_equal(out, expected, check_exact=True)


def test_cdnow_sample_matches_published_summary(cdnow_files):
    _, _, parquet = cdnow_files
    out = rfm.summarize(
        parquet, time_unit="W", observation_end="1998-06-30", calibration_end="1997-09-30"
    )
    published = data.load_cdnow_summary()
    assert (out["frequency"] == published["frequency"].reindex(out.index)).all()
    np.testing.assert_allclose(
        out["T"], published["T"].reindex(out.index), atol=0.005
    )  # 2 decimals


def test_customers_first_seen_after_calibration_warn_alike(cdnow_files):
    sample, _, parquet = cdnow_files
    res = both(parquet, calibration_end="1997-01-31")
    assert res["pandas"][1] == res["duckdb"][1]
    ((category, message),) = res["duckdb"][1]
    assert category is UserWarning
    n = int(re.match(r"(\d+) customer", message).group(1))
    assert n == sample.groupby("customer_id")["date"].min().gt("1997-01-31").sum() > 0
    pd.testing.assert_frame_equal(res["pandas"][0], res["duckdb"][0], check_exact=True)


def test_warning_points_at_the_caller(small_log):
    with pytest.warns(UserWarning, match="excluded") as record:
        rfm.summarize(small_log, calibration_end="2020-01-04", engine="duckdb")
    assert record[0].filename == __file__


# ----- errors ------------------------------------------------------------------------------------
def test_missing_columns_same_message(small_log, tmp_path):
    path = tmp_path / "log.parquet"
    small_log.to_parquet(path, index=False)
    for source in (small_log, path):
        errors = {e: error_of(source, e, amount="value") for e in ("pandas", "duckdb")}
        assert errors["pandas"] == errors["duckdb"]
        assert errors["duckdb"][0] is DataValidationError
        assert "amount -> 'value'" in errors["duckdb"][1]


def test_empty_logs(small_log, tmp_path):
    header_only = tmp_path / "empty.csv"
    header_only.write_text("customer_id,date,amount\n")
    empty_parquet = tmp_path / "empty.parquet"
    small_log.iloc[:0].to_parquet(empty_parquet, index=False)
    for source in (small_log.iloc[:0], header_only, empty_parquet):
        errors = {e: error_of(source, e) for e in ("pandas", "duckdb")}
        assert errors["pandas"] == errors["duckdb"]
        assert errors["duckdb"][0] is DataValidationError and "empty" in errors["duckdb"][1]


def test_zero_byte_csv_reports_missing_columns(tmp_path):
    path = tmp_path / "nothing.csv"
    path.write_text("")
    errors = {e: error_of(path, e) for e in ("pandas", "duckdb")}
    assert errors["pandas"] == errors["duckdb"]
    assert "Columns found: []" in errors["duckdb"][1]


def test_purchases_after_observation_end_same_message(small_log, tmp_path):
    path = tmp_path / "log.csv"
    small_log.to_csv(path, index=False)
    for source in (small_log, path):
        errors = {
            e: error_of(source, e, observation_end="2020-01-10") for e in ("pandas", "duckdb")
        }
        assert errors["pandas"] == errors["duckdb"]
        kind, message = errors["duckdb"]
        assert kind is DataValidationError
        assert message.startswith("column 'date': 3 purchase(s) after observation_end 2020-01-10")
        assert "latest 2020-01-29" in message and "rows 3, 4, 6" in message


def test_calibration_after_observation_end_same_message(small_log):
    errors = {
        e: error_of(small_log, e, observation_end="2020-01-31", calibration_end="2020-02-15")
        for e in ("pandas", "duckdb")
    }
    assert errors["pandas"] == errors["duckdb"]
    assert errors["duckdb"][0] is ValueError


def test_missing_customer_ids_same_message(small_log):
    log = small_log.copy()
    log.loc[[1, 4], "customer_id"] = None
    errors = {e: error_of(log, e) for e in ("pandas", "duckdb")}
    assert errors["pandas"] == errors["duckdb"]
    assert "2 row(s) have no customer id" in errors["duckdb"][1]


def test_unknown_time_unit_same_error(small_log):
    errors = {e: error_of(small_log, e, time_unit="fortnight") for e in ("pandas", "duckdb")}
    assert errors["pandas"] == errors["duckdb"]
    assert errors["duckdb"][0] is ValueError


def test_duckdb_explains_unreadable_dates(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("customer_id,date,amount\n1,2020-01-01,5\n2,soon,4\n3,2020-01-03,4\n")
    with pytest.raises(DataValidationError, match=r"column 'date': 1 value\(s\).*rows 1"):
        rfm.summarize(path)
    numeric = pd.DataFrame({"customer_id": [1], "date": [19970101], "amount": [1.0]})
    with pytest.raises(DataValidationError, match="holds BIGINT values, not dates"):
        rfm.summarize(numeric, engine="duckdb")


def test_unknown_engine_and_bad_paths(small_log, tmp_path):
    with pytest.raises(ValueError, match="engine must be one of"):
        rfm.summarize(small_log, engine="polars")
    with pytest.raises(FileNotFoundError, match="no transaction log"):
        rfm.summarize(tmp_path / "missing.parquet")
    with pytest.raises(FileNotFoundError, match="no file matches"):
        rfm.summarize(str(tmp_path / "*.parquet"))
    (tmp_path / "log.json").write_text("{}")
    with pytest.raises(ValueError, match="cannot tell the format"):
        rfm.summarize(tmp_path / "log.json")
    with pytest.raises(TypeError, match="DataFrame or the path"):
        engines.summarize_duckdb([1, 2, 3])


def test_memory_limit_and_threads_are_applied(small_log):
    out = engines.summarize_duckdb(small_log, memory_limit="256MB", threads=1)
    pd.testing.assert_frame_equal(out, rfm.summarize(small_log), check_exact=True)


# ----- load_transactions(engine="duckdb") -----------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_load_transactions_duckdb_reader_identical(cdnow_files, fmt):
    _, csv, parquet = cdnow_files
    path = csv if fmt == "csv" else parquet
    res = {}
    for engine in ("pandas", "duckdb"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = data.load_transactions(path, engine=engine)
        res[engine] = (frame, [str(w.message) for w in caught])
    pd.testing.assert_frame_equal(res["pandas"][0], res["duckdb"][0], check_exact=True)
    assert res["pandas"][1] == res["duckdb"][1]


def test_load_transactions_duckdb_keeps_validation_messages(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "customer_id,date,amount\n007,2020-01-01,5\n008,2020-01-02,-3\n009,2020-01-03,4\n"
    )
    messages = []
    for engine in ("pandas", "duckdb"):
        with pytest.raises(DataValidationError) as info:
            data.load_transactions(path, engine=engine)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "lines 3 of" in messages[1]
    frame = data.load_transactions(path, engine="duckdb", returns="keep")
    assert list(frame["customer_id"]) == ["007", "008", "009"]  # ids stay text
    with pytest.raises(ValueError, match="engine must be"):
        data.load_transactions(path, engine="polars")


# ----- the engine registry -----------------------------------------------------------------------
def test_builtin_engines_are_registered():
    assert engines.names()[:3] == ("pandas", "duckdb", "spark")
    assert engines.get("spark").summarize is engines.summarize_spark
    assert engines.get("duckdb").summarize is engines.summarize_duckdb
    assert engines.get("duckdb").read is engines.read_log_duckdb
    assert engines.get("pandas").read is None  # files are read by load_transactions' pandas reader
    assert engines.default_engine("log.parquet") == "duckdb"
    assert engines.default_engine(pd.DataFrame()) == "pandas"


# "spark" needs PySpark and Java: tests/test_spark.py compares it with pandas the same way
@pytest.mark.parametrize("name", [n for n in engines.names() if n != "spark"])
@pytest.mark.parametrize("kwargs", [{}, {"calibration_end": "2020-01-10", "time_unit": "D"}])
def test_every_registered_engine_matches_pandas(small_log, tmp_path, name, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # customer b is first seen after calibration_end
        expected = rfm.summarize(small_log, engine="pandas", **kwargs)
        path = tmp_path / "log.parquet"
        small_log.to_parquet(path, index=False)
        for source in (small_log, path):
            out = rfm.summarize(source, engine=name, **kwargs)
            pd.testing.assert_frame_equal(out, expected, check_exact=True)
            assert out.attrs["time_unit"] == kwargs.get("time_unit", "W")


def test_unknown_engine_lists_the_registered_ones(small_log, tmp_path):
    expected = f"engine must be one of {engines.names()}, got 'polars'"
    for call in (
        lambda: rfm.summarize(small_log, engine="polars"),
        lambda: engines.get("polars"),
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == expected
        assert "'pandas'" in str(info.value) and "'duckdb'" in str(info.value)
    path = tmp_path / "log.csv"
    small_log.to_csv(path, index=False)
    with pytest.raises(ValueError, match=re.escape(expected)):
        data.load_transactions(path, engine="polars")


def test_a_registered_engine_is_called_by_summarize_and_load_transactions(
    small_log, tmp_path, saved_registry
):
    calls = []

    def fake_summarize(transactions, **kwargs):
        calls.append(("summarize", kwargs))
        return rfm.summarize(transactions, engine="pandas", time_unit=kwargs["time_unit"]).head(1)

    def fake_read(path, **kwargs):
        calls.append(("read", kwargs))
        return small_log.assign(date=small_log["date"].dt.strftime("%Y-%m-%d"))

    engines.register("fake", fake_summarize, fake_read)
    assert engines.names()[-1] == "fake"
    out = rfm.summarize(small_log, time_unit="D", customer_id="customer_id", engine="fake")
    assert len(out) == 1 and out.attrs["time_unit"] == "D"
    ((kind, kwargs),) = calls
    assert kind == "summarize"
    assert kwargs == {
        "time_unit": "D",
        "observation_end": None,
        "calibration_end": None,
        "customer_id": "customer_id",
        "date": "date",
        "amount": "amount",
        "stacklevel": 3,
    }
    path = tmp_path / "anything.csv"
    path.write_text("not read by the fake engine\n")
    frame = data.load_transactions(path, engine="fake", sep=";")
    assert calls[-1] == ("read", {"customer_id": "customer_id", "sep": ";"})
    assert len(frame) == len(small_log)
    with pytest.raises(ValueError, match="already registered"):
        engines.register("fake", fake_summarize)
    assert engines.unregister("fake").summarize is fake_summarize
    assert "fake" not in engines.names()
    with pytest.raises(ValueError, match="engine must be one of"):
        rfm.summarize(small_log, engine="fake")
    with pytest.raises(TypeError, match="callable"):
        engines.register("broken", "not a function")


def test_engines_do_not_import_rfm():
    import ast
    from pathlib import Path

    folder = Path(engines.__file__).parent
    for module in folder.glob("*.py"):
        tree = ast.parse(module.read_text())
        imported = [
            (node.module or "") + "".join(f".{a.name}" for a in node.names)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level > 0
        ]
        assert not any("rfm" in name or "data" in name.split(".") for name in imported), (
            module.name,
            imported,
        )


def test_the_package_imports_without_pyspark_and_says_how_to_get_it():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "import pandas as pd\n"
        "import analysis.spark\n"
        "from analysis import engines, rfm\n"
        "assert 'spark' in engines.names()\n"
        "assert engines.default_engine(pd.DataFrame()) == 'pandas'\n"
        "try:\n"
        "    rfm.summarize(pd.DataFrame({'customer_id': [1], 'date': pd.to_datetime(['2020-01-01']),"
        " 'amount': [1.0]}), engine='spark')\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'analysis[spark]'" in out.stdout and "Java 17" in out.stdout


def test_compress_option_of_summarize_equals_compress(small_log):
    for engine in ("pandas", "duckdb"):
        out = rfm.summarize(small_log, engine=engine, compress=True)
        pd.testing.assert_frame_equal(
            out, rfm.compress(rfm.summarize(small_log), rfm.COMPRESS_COLUMNS), check_exact=True
        )
        assert out.attrs["time_unit"] == "W" and out["weight"].sum() == 3
        spend = rfm.summarize(small_log, engine=engine, compress=["frequency", "monetary_value"])
        assert list(spend.columns) == ["frequency", "monetary_value", "weight"]
