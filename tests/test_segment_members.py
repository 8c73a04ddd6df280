"""One segment of a segmentation: the label checked, its members, its profile and stage mix."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import segments
from analysis.units import STAGES


def _table() -> pd.DataFrame:
    """Six customers: three worth most of the value (high tier), the rest small."""
    return pd.DataFrame(
        {
            "clv_net": [100.0, 90.0, 80.0, 5.0, 4.0, 1.0],
            "purchases": [10, 8, 6, 1, 1, 2],
            "revenue": [500.0, 400.0, 300.0, 20.0, 10.0, 30.0],
            "p_alive": [0.9, 0.8, 0.95, 0.2, 0.1, 0.3],
            "stage": ["stability", "stability", "formation", "decline", "decline", "exploration"],
        },
        index=pd.Index(list("abcdef"), name="customer_id"),
    )


def test_an_impossible_label_is_refused_with_the_labels_before_any_work():
    with pytest.raises(
        ValueError,
        match=r"'top' is not a label of clv_tiers; its labels are 'high', 'medium', 'low', 'negative'",
    ):
        segments.check_segment("clv_tiers", "top")
    with pytest.raises(
        ValueError, match="segmentation 'tiers' is not one of clv_tiers, value_matrix"
    ):
        segments.check_segment("tiers", "high")
    segments.check_segment("rfm_segments", "can't lose them")  # a real label passes


def test_members_are_the_label_s_rows_and_an_empty_label_names_the_held_ones():
    table = _table()
    tiers = segments.clv_tiers(table)
    rows = segments.members(table, "clv_tiers", "high")
    assert list(rows.index) == list(tiers.index[tiers == "high"])
    assert rows.attrs["segment"] == "high" and rows.attrs["segmentation"] == "clv_tiers"
    counts = segments.segment_counts(table, "clv_tiers")
    assert list(counts.index) == list(segments.CLV_TIERS) and counts.sum() == len(table)
    with pytest.raises(ValueError, match=r"'negative' of clv_tiers has no customer.*'high' \(\d\)"):
        segments.members(table, "clv_tiers", "negative")


def test_profile_and_segment_stages_set_the_segment_beside_the_base():
    table = _table()
    rows = table.loc[["a", "b"]]
    profile = segments.segment_profile(table, rows)
    assert "days_since_last" not in profile.index  # a column the table lacks is skipped
    assert profile.loc["clv_net", "segment_mean"] == 95.0
    assert profile.loc["clv_net", "base_mean"] == pytest.approx(280 / 6)
    assert profile.loc["clv_net", "ratio"] == pytest.approx(95 / (280 / 6))
    mix = segments.segment_stages(table, rows)
    assert list(mix.index) == list(STAGES)
    assert mix.loc["stability", "share"] == 1.0 and mix.loc["stability", "base_share"] == 2 / 6
    assert mix.loc["stability", "share_value"] == 1.0 and mix["customers"].sum() == 2


def test_membership_labels_the_segment_and_the_rest():
    table = _table()
    labels = segments.membership(table, table.loc[["a", "c"]], "high")
    assert list(labels.cat.categories) == ["high", segments.REST]
    assert list(labels) == [
        "high",
        segments.REST,
        "high",
        segments.REST,
        segments.REST,
        segments.REST,
    ]
