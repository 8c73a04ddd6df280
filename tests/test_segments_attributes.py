"""Segments by a customer attribute: segment_summary's key and the value and stage mix."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import segments


def _table():
    return pd.DataFrame(
        {
            "clv_net": [10.0, 30.0, 20.0, 40.0],
            "stage": ["growth", "decline", "growth", "growth"],
            "channel": ["0", "1", "0", "1"],
        },
        index=[1, 2, 3, 4],
    )


def test_an_attribute_column_is_a_segmentation_key():
    got = segments.segment_summary(_table(), "channel")
    assert list(got.index) == ["0", "1"]
    assert list(got["customers"]) == [2, 2]
    assert list(got["total_clv"]) == [30.0, 70.0]
    assert got.loc["1", "share_clv"] == pytest.approx(0.7)


def test_attribute_mix_gives_value_and_stage_shares_per_level():
    got = segments.attribute_mix(_table(), ["channel"])
    assert list(got.index) == [("channel", "0"), ("channel", "1")]
    assert got.loc[("channel", "1"), "mean_clv"] == pytest.approx(35.0)
    assert got.loc[("channel", "0"), "growth"] == pytest.approx(1.0)
    assert got.loc[("channel", "1"), "decline"] == pytest.approx(0.5)
    assert "total_clv" not in got.columns
    with pytest.raises(ValueError, match="at least one"):
        segments.attribute_mix(_table(), [])
