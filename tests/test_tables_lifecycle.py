"""tables.stage_values: what the customers in each stage are worth, from the customer table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import tables
from analysis.units import STAGES


def _table(**columns):
    index = pd.Index([f"c{i}" for i in range(5)], name="customer_id")
    return pd.DataFrame(
        {"stage": ["exploration", "decline", "decline", "stability", "decline"], **columns},
        index=index,
    )


def test_stage_values_exact():
    table = _table(clv=[10.0, 1.0, 3.0, 80.0, 2.0])
    got = tables.stage_values(table)
    expected = pd.DataFrame(
        {
            "customers": np.array([1, 0, 1, 3], dtype=np.int64),
            "share_of_customers": [0.2, 0.0, 0.2, 0.6],
            "mean_clv": [10.0, np.nan, 80.0, 2.0],
            "total_clv": [10.0, 0.0, 80.0, 6.0],
            "share_of_value": [10 / 96, 0.0, 80 / 96, 6 / 96],
        },
        index=pd.Index(list(STAGES), name="stage"),
    )
    pd.testing.assert_frame_equal(got, expected)
    shown = tables.format_table(got)
    assert shown.loc["stability"].tolist() == ["1", "20.0%", "$80.00", "$80.00", "83.3%"]


def test_stage_values_with_intervals_and_the_hindsight_view():
    table = _table(
        clv=[10.0, 1.0, 3.0, 80.0, 2.0],
        clv_low=[5.0, 0.0, 1.0, 40.0, 2.0],
        clv_high=[20.0, 2.0, 6.0, 160.0, 4.0],
    )
    hindsight = pd.Series(
        ["decline", "decline", "decline", "stability", "formation"], index=table.index[::-1]
    )  # in another order: matched by customer id
    got = tables.stage_values(table, hindsight=hindsight)
    assert got["mean_clv_low"].tolist()[2:] == [40.0, 1.0]
    assert got["mean_clv_high"].tolist()[2:] == [160.0, 4.0]
    # reversed: c0 formation, c1 decline, c2 stability, c3 decline, c4 decline
    assert got["same_in_hindsight"].fillna(-1).tolist() == [0.0, -1, 0.0, pytest.approx(2 / 3)]
    assert got.attrs["roles"]["same_in_hindsight"] == "share"


def test_stage_values_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['clv'\]"):
        tables.stage_values(_table(value=1.0))
    with pytest.raises(ValueError, match=r"unknown stage\(s\) \['lost'\]"):
        tables.stage_values(_table(clv=1.0).assign(stage="lost"))
    with pytest.raises(ValueError, match="sums to 0.0"):
        tables.stage_values(_table(clv=0.0))
    with pytest.raises(ValueError, match=r"hindsight lacks 1 customer\(s\).*\['c4'\]"):
        tables.stage_values(
            _table(clv=1.0), hindsight=pd.Series("decline", index=["c0", "c1", "c2", "c3"])
        )
