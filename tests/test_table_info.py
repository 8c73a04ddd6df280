"""The customer table's provenance as an explicit value: TableInfo and Valuation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis import customers
from analysis.customers import TableInfo, Valuation, value_customers


@pytest.fixture(scope="module")
def valued(cdnow_sample) -> Valuation:
    return value_customers(cdnow_sample, interval=None)


def test_value_customers_returns_the_table_and_its_info(valued, cdnow_sample):
    table, info = valued
    assert isinstance(info, TableInfo)
    assert table.attrs == {}
    assert info.observation_end == pd.Timestamp(cdnow_sample["date"].max()).normalize()
    assert info.model in {"BG/NBD", "Pareto/NBD", "MBG/NBD"}
    chosen = [row["model"] for row in info.model_choice if row["chosen"]]
    assert chosen == [info.model]
    assert info.fitted_count_model().params.to_dict() == info.count_model["params"]
    assert info.has_costs is False and info.value == "amounts" and info.value_unit == "currency"
    assert (info.time_unit, info.period, info.interval) == ("W", "M", None)


def test_customer_table_is_the_valuations_table(valued, cdnow_sample):
    plain = customers.customer_table(cdnow_sample, interval=None)
    pd.testing.assert_frame_equal(plain, valued.table)
    # deprecated, for one release: the same provenance in attrs
    assert plain.attrs == valued.info.to_attrs()


def test_info_round_trips_through_json(valued):
    info = valued.info
    text = json.dumps(info.to_dict(), allow_nan=False)
    back = TableInfo.from_dict(json.loads(text))
    assert back == info
    assert isinstance(back.observation_end, pd.Timestamp)


def test_from_dict_names_a_missing_field(valued):
    record = valued.info.to_dict()
    del record["margin"]
    with pytest.raises(ValueError, match="margin"):
        TableInfo.from_dict(record)


def test_value_intervals_read_the_models_from_info(valued):
    table, info = valued
    tiers = table["stage"].astype(str)
    totals = customers.value_intervals(table, tiers, info=info)
    np.testing.assert_allclose(totals.loc["total", "clv_total"], table["clv"].sum(), rtol=1e-9)
    # the same totals when the frame has lost its attrs (concat of differing attrs drops them)
    joined = pd.concat([table.iloc[:10].assign(x=1), table.iloc[10:]])
    again = customers.value_intervals(joined, tiers, info=info)
    np.testing.assert_allclose(again["clv_total"], totals["clv_total"], rtol=1e-9)


def test_export_writes_the_info_and_reads_it_back(valued, tmp_path):
    from analysis import customers_io

    table, info = valued
    head = table.head(50).copy()
    head.attrs = {"playbook": "default.yaml"}  # another frame attr (decision settings) stays
    csv, sidecar, parquet = customers_io.export(head, tmp_path, info=info)
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    # the file format is the one of the attrs export: the same dict under "attrs"
    assert record["attrs"] == info.to_dict() | {"playbook": "default.yaml"}
    assert customers_io.read_metadata(parquet)["attrs"] == record["attrs"]
    assert customers_io.read_info(csv) == info == customers_io.read_info(parquet)
    for path in (parquet, csv):
        back = customers_io.read_customers(path)
        assert back.info == info and back.table.attrs == {}
        assert list(back.table.columns) == list(head.columns)
        assert back.table["stage"].dtype == head["stage"].dtype
        np.testing.assert_allclose(back.table["clv"], head["clv"], rtol=1e-12)
        assert list(back.table.index.astype(str)) == list(head.index.astype(str))
    pd.testing.assert_frame_equal(customers_io.read_customers(parquet).table, head)


def test_an_export_without_info_has_no_provenance_to_read(valued, tmp_path):
    from analysis import customers_io

    plain = valued.table.head(5).copy()
    (parquet,) = customers_io.export(plain, tmp_path, formats=("parquet",))
    with pytest.raises(ValueError, match="lacks"):
        customers_io.read_info(parquet)
