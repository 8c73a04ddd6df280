"""Exporting the customer table: CSV for a spreadsheet, Parquet with dtypes and attrs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import customers_io
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
    assert written == [tmp_path / "customers.csv", tmp_path / "customers.parquet"]
    csv = pd.read_csv(written[0], index_col="customer_id")
    assert list(csv.index) == ["a", "b"]
    assert list(csv["first_purchase"]) == ["2020-01-01", "2020-02-03"]
    assert list(csv["stage"]) == ["stability", "decline"]
    back = pd.read_parquet(written[1])
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
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]
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
