"""The customer table equals the stored output of the code before it was made fast (issue 21).

The references (tests/data/customer_table, written by tests/customer_reference.py
at commit ac69a33) cover the CDNOW sample with the defaults (the count model
chosen by the rule, 90% intervals), with a forced Pareto/NBD, quarterly stages,
a cost per purchase and a costs table, and in days without intervals, and a
simulated BG/NBD log of 4,000 customers with the defaults and with costs.

Integer, boolean, date and categorical columns must be equal bit for bit.
Float columns must agree to 1e-9 relative to each value or to the column's
largest absolute value, whichever is larger: the fits are the same
deterministic optimisations on the same summaries, so the values agree to
rounding; the column-wide part covers values that are differences of larger
ones (``clv_net`` near zero is CLV less costs, where a change in the last digits
of a fitted parameter showed as 2.3e-9 relative).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from customer_reference import REFERENCE_DIR, attrs_record, build, cases

RTOL = 1e-9


def _compare(table: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(table.columns) == list(ref.columns)
    assert table.index.equals(ref.index)
    assert table.index.name == ref.index.name
    for col in ref.columns:
        got, want = table[col], ref[col]
        assert got.dtype == want.dtype, col
        if pd.api.types.is_float_dtype(want.dtype):
            scale = float(np.nanmax(np.abs(want.to_numpy()), initial=0.0))
            np.testing.assert_allclose(
                got.to_numpy(), want.to_numpy(), rtol=RTOL, atol=RTOL * scale, err_msg=col
            )
        else:
            pd.testing.assert_series_equal(got, want, check_exact=True, obj=col)


def _compare_attrs(got: dict, want: dict) -> None:
    skip = {"package_version"}
    assert got.keys() == want.keys()
    for key in want:
        if key in ("count_model", "spend_model") and want[key] is not None:
            assert got[key]["class"] == want[key]["class"]
            for name, value in want[key]["params"].items():
                assert got[key]["params"][name] == pytest.approx(value, rel=RTOL), (key, name)
            assert got[key]["loglik"] == pytest.approx(want[key]["loglik"], rel=RTOL)
        elif key == "model_choice":
            for row_got, row_want in zip(got[key], want[key], strict=True):
                for name, value in row_want.items():
                    if isinstance(value, float):
                        assert row_got[name] == pytest.approx(value, rel=RTOL), name
                    else:
                        assert row_got[name] == value, name
        elif key not in skip:
            assert got[key] == want[key], key


@pytest.mark.parametrize("name", list(cases()))
def test_customer_table_equals_its_reference(name):
    table = build(name)
    record = attrs_record(table)
    ref = pd.read_parquet(REFERENCE_DIR / f"{name}.parquet")
    _compare(table, ref)
    _compare_attrs(record, json.loads((REFERENCE_DIR / f"{name}.json").read_text()))


@pytest.mark.parametrize("name, block_size", [("cdnow_sample_costs", 700), ("simulated", 1_500)])
def test_the_table_in_customer_blocks_equals_its_reference(name, block_size):
    """Blocks change nothing but the rounding of the discount sums (about 1e-16 relative)."""
    table = build(name, block_size=block_size)
    _compare(table, pd.read_parquet(REFERENCE_DIR / f"{name}.parquet"))
    _compare_attrs(attrs_record(table), json.loads((REFERENCE_DIR / f"{name}.json").read_text()))
