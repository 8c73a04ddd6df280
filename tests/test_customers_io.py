"""Exporting the customer table: CSV for a spreadsheet, Parquet with dtypes and attrs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis import customers_io
from analysis.models import BetaGeo, model_from_dict, model_to_dict
from analysis.units import STAGES


@pytest.fixture
def table():
    frame = pd.DataFrame(
        {
            "purchases": [3, 1],
            "first_purchase": pd.to_datetime(["2020-01-01", "2020-02-03"]),
            "stage": pd.Categorical(["stability", "decline"], list(STAGES), ordered=True),
            "clv_net": [12.5, 0.25],
        },
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    frame.attrs = {
        "model": "BG/NBD",
        "observation_end": pd.Timestamp("2020-06-30"),
        "margin": np.float64(0.3),
        "has_costs": False,
    }
    return frame


def test_writes_csv_and_parquet_that_read_back(table, tmp_path):
    written = customers_io.export(table, tmp_path)
    assert written == [
        tmp_path / "customers.csv",
        tmp_path / "customers.json",
        tmp_path / "customers.parquet",
    ]
    csv = pd.read_csv(written[0], index_col="customer_id")
    assert list(csv.index) == ["a", "b"]
    assert list(csv["first_purchase"]) == ["2020-01-01", "2020-02-03"]
    assert list(csv["stage"]) == ["stability", "decline"]
    back = pd.read_parquet(written[2])
    pd.testing.assert_frame_equal(back, table, check_freq=False)
    assert back["stage"].cat.ordered and list(back["stage"].cat.categories) == list(STAGES)
    assert back.attrs == {
        "model": "BG/NBD",
        "observation_end": "2020-06-30T00:00:00",
        "margin": 0.3,
        "has_costs": False,
    }


def test_the_table_is_not_changed(table, tmp_path):
    before = table.copy()
    customers_io.export(table, tmp_path, formats=("csv",), name="x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.json"]
    pd.testing.assert_frame_equal(table, before)
    assert isinstance(table.attrs["observation_end"], pd.Timestamp)


def test_a_missing_folder_or_format_is_refused(table, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        customers_io.export(table, tmp_path / "nope")
    with pytest.raises(FileNotFoundError):
        customers_io.export(table, "")
    with pytest.raises(ValueError, match="formats must be among"):
        customers_io.export(table, tmp_path, formats=("xlsx",))
    with pytest.raises(TypeError):
        customers_io.export([1, 2], tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def traced(table):
    """The table with the attrs customer_table records: the models' dicts and the cut."""
    model = BetaGeo.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, time_unit="W")
    traced = table.copy()
    traced.attrs = table.attrs | {
        "count_model": model_to_dict(model),
        "spend_model": None,
        "calibration_end": pd.Timestamp("2020-03-31"),
        "model_choice": [{"model": "BG/NBD", "aic": np.float64(12.5), "holdout_mae": np.nan}],
    }
    return traced


def test_the_csv_has_a_sidecar_with_attrs_columns_and_rows(traced, tmp_path):
    customers_io.export(traced, tmp_path, formats=("csv",))
    sidecar = json.loads((tmp_path / "customers.json").read_text(encoding="utf-8"))
    assert sidecar["format"] == "analysis.customer_table"
    assert sidecar["file"] == "customers.csv"
    assert sidecar["rows"] == 2
    assert sidecar["index"] == {"name": "customer_id", "dtype": str(traced.index.dtype)}
    assert sidecar["columns"] == {
        "purchases": "int64",
        "first_purchase": str(traced["first_purchase"].dtype),
        "stage": "category",
        "clv_net": "float64",
    }
    assert sidecar["categories"] == {"stage": {"categories": list(STAGES), "ordered": True}}
    assert sidecar["package_version"] == "0.1.0"
    assert pd.Timestamp(sidecar["exported_at"]).tz is not None
    attrs = sidecar["attrs"]
    assert attrs["observation_end"] == "2020-06-30T00:00:00"
    assert attrs["calibration_end"] == "2020-03-31T00:00:00"
    assert attrs["count_model"] == traced.attrs["count_model"]
    assert attrs["spend_model"] is None
    # nested values made portable: NumPy scalars as numbers, NaN as null
    assert attrs["model_choice"] == [{"model": "BG/NBD", "aic": 12.5, "holdout_mae": None}]
    # the model in the sidecar is the model: it loads and predicts
    loaded = model_from_dict(attrs["count_model"])
    assert loaded.time_unit == "W" and loaded.params["r"] == 0.24


def test_read_metadata_reads_either_format(traced, tmp_path):
    csv, sidecar, parquet = customers_io.export(traced, tmp_path)
    from_csv = customers_io.read_metadata(csv)
    from_parquet = customers_io.read_metadata(parquet)
    assert customers_io.read_metadata(sidecar) == from_csv
    assert (from_csv["file"], from_parquet["file"]) == ("customers.csv", "customers.parquet")
    # one export, one record: the same but for the file name
    assert from_csv | {"file": ""} == from_parquet | {"file": ""}
    assert from_parquet["attrs"]["count_model"]["params"] == {
        "r": 0.24,
        "alpha": 4.4,
        "a": 0.79,
        "b": 2.4,
    }


def test_the_nested_model_dict_survives_parquet(traced, tmp_path):
    (path,) = customers_io.export(traced, tmp_path, formats=("parquet",))
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, traced, check_freq=False)
    assert back.attrs["count_model"] == traced.attrs["count_model"]
    assert back.attrs == customers_io.portable_attrs(traced.attrs)
    assert back.attrs == customers_io.read_metadata(path)["attrs"]
    assert not (tmp_path / "customers.json").exists()  # the sidecar goes with the CSV only


def test_portable_attrs_recurses_and_leaves_the_attrs_alone(traced):
    before = dict(traced.attrs)
    out = customers_io.portable_attrs(
        {
            "when": {"end": pd.Timestamp("2020-06-30"), "cut": (1, np.int64(2))},
            "x": np.inf,
            "d": np.datetime64("2020-01-31", "ns"),
        }
    )
    assert out == {
        "when": {"end": "2020-06-30T00:00:00", "cut": [1, 2]},
        "x": "inf",
        "d": "2020-01-31T00:00:00",
    }
    assert type(out["when"]["cut"][1]) is int
    customers_io.portable_attrs(traced.attrs)
    assert traced.attrs.keys() == before.keys()
    assert isinstance(traced.attrs["calibration_end"], pd.Timestamp)


def test_read_metadata_says_what_is_missing(table, tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        customers_io.read_metadata(tmp_path / "customers.csv")
    plain = table.copy()
    plain.attrs = {}  # a table written by other means
    plain.to_csv(tmp_path / "other.csv")
    with pytest.raises(FileNotFoundError, match=r"no sidecar .*other\.json"):
        customers_io.read_metadata(tmp_path / "other.csv")
    plain.to_parquet(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="no customer-table record"):
        customers_io.read_metadata(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="reads a .csv"):
        customers_io.read_metadata(tmp_path / "other.xlsx")
