"""The customer table's provenance as an explicit value: TableInfo and Valuation."""

from __future__ import annotations

import dataclasses
import json
import re

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


# ------------------------------------------------------------------ no provenance read from attrs

#: the provenance fields, as they were read from a customer table's attrs
_FIELDS = [f.name for f in dataclasses.fields(TableInfo)]
_READ = re.compile(r"\.attrs\s*(?:\[|\.get\(|\.pop\()\s*[\"'](" + "|".join(_FIELDS) + r")[\"']")
#: a customer table's attrs passed on whole (a KPI table's own attrs are not its provenance)
_COPY = re.compile(r"(\*\*|dict\(|\.update\()\s*(?!kpi_table)\w*table\.attrs\b")
#: attrs with a provenance field's name that belong to other frames (file, key): most uses
_OTHER_FRAMES = {
    ("analysis/rfm.py", "time_unit"): 1,  # the summary's unit, which the models read (issue 20)
    ("analysis/models/time_unit.py", "time_unit"): 2,  # a summary's unit, read by the models
    ("analysis/customers/valuation.py", "time_unit"): 2,  # the compressed summary's unit
    ("analysis/models/dynamic_calendar.py", "time_unit"): 1,  # the dynamic summary's unit
    ("analysis/models/pareto_nbd_dynamic.py", "time_unit"): 1,
    ("analysis/simulate/seasonal.py", "time_unit"): 1,  # the simulated summary's unit
    ("analysis/data.py", "value"): 1,  # the log's value basis
    ("analysis/describe.py", "value"): 2,
    ("analysis/segments/summary.py", "value"): 1,  # the column a segment summary sums
    ("analysis/lifecycle/chain.py", "period"): 2,  # a stages frame's period
    ("analysis/lifecycle/stages.py", "period"): 1,
    ("analysis/lifecycle/hmm.py", "period"): 1,
    ("analysis/strategy/pdca.py", "observation_end"): 2,  # the KPI table's own record
    ("analysis/readings/strategy.py", "observation_end"): 2,  # the check's own record
}


def _code(path) -> str:
    """The file's code lines (docstring and comment lines dropped, roughly)."""
    keep, in_doc = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith(('"""', "'''")):
            quotes = stripped[:3]
            if not (len(stripped) > 3 and stripped.endswith(quotes)):
                in_doc = not in_doc
            continue
        if in_doc or stripped.startswith("#"):
            continue
        keep.append(line.split("  #")[0])
    return "\n".join(keep)


def test_no_module_reads_a_customer_tables_provenance_from_attrs():
    from analysis import config

    root = config.PACKAGE_DIR
    found: dict[tuple[str, str], int] = {}
    copies = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root.parent).as_posix()
        code = _code(path)
        for key in _READ.findall(code):
            found[(name, key)] = found.get((name, key), 0) + 1
        copies += [f"{name}: {m.group(0)}" for m in _COPY.finditer(code)]
    unexpected = {k: n for k, n in found.items() if n > _OTHER_FRAMES.get(k, 0)}
    assert not unexpected, (
        f"read the table's provenance from its TableInfo (value_customers), not attrs: {unexpected}"
    )
    assert not copies, f"a customer table's attrs copied on: {copies}"


@pytest.mark.parametrize("case", ["cdnow_sample", "cdnow_sample_costs", "simulated_costs"])
def test_the_attrs_of_earlier_tables_read_as_table_info(case):
    """The reference tables' attrs, written before TableInfo, read back as one (old exports)."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "customer_table" / f"{case}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    info = TableInfo.from_dict(record)
    assert info.has_costs is case.endswith("_costs")
    assert info.observation_end == pd.Timestamp(record["observation_end"])
    assert TableInfo.from_dict(info.to_dict()) == info
    assert info.count_model == record["count_model"]  # (keys sorted there: not a fit to rebuild)
