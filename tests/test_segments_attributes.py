"""Segments by a customer attribute: segment_summary's key and the value and stage mix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import readings, segments


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


def _big_table(differ: bool) -> pd.DataFrame:
    """60 customers, channel 0/1 alternating; with ``differ`` channel 1 is worth 3x and all growth."""
    rng = np.random.default_rng(7)
    channel = np.tile(["0", "1"], 30)
    value = rng.uniform(10.0, 20.0, 60)
    stage = np.tile(["growth", "growth", "decline", "decline"], 15)
    if differ:
        value = np.where(channel == "1", 3 * value, value)
        stage = np.where(channel == "1", "growth", stage)  # channel 0 stays half in decline
    return pd.DataFrame({"clv_net": value, "stage": stage, "channel": channel})


def test_attribute_tests_find_a_difference_only_where_there_is_one():
    same = segments.attribute_tests(_big_table(False), ["channel"])
    assert same.loc["channel", "levels"] == 2
    assert same.loc["channel", "stage_p"] == pytest.approx(1.0)  # identical stage mixes
    assert same.loc["channel", "value_p"] > 0.05
    apart = segments.attribute_tests(_big_table(True), ["channel"])
    assert apart.loc["channel", "value_p"] < 1e-6 and apart.loc["channel", "stage_p"] < 1e-3


def test_attribute_tests_without_a_second_level_or_a_stage_column_give_nan():
    table = _table().assign(one="a")
    got = segments.attribute_tests(table.drop(columns="stage"), ["one", "channel"])
    assert np.isnan(got.loc["one", "value_p"]) and np.isnan(got.loc["one", "stage_p"])
    assert np.isnan(got.loc["channel", "stage_p"]) and np.isfinite(got.loc["channel", "value_p"])


def _mix_and_tests(differ: bool):
    table = _big_table(differ)
    return (
        segments.attribute_mix(table, ["channel"]),
        segments.attribute_tests(table, ["channel"]),
    )


def test_the_reading_says_plainly_when_levels_do_not_differ():
    mix, tests = _mix_and_tests(False)
    v = readings.attribute_verdict(mix, tests)["channel"]
    assert not v["value_differs"] and not v["stage_differs"]
    assert v["stage_gap"] == pytest.approx(0.0)
    text = readings.attribute_reading(mix, tests, currency="$")
    assert text.startswith("**Reading.** **The channel levels do not differ** beyond chance")
    assert "their stage mixes are alike (the widest gap, in decline: 50.0% of channel 0" in text
    f = readings.attribute_finding(mix, tests)
    assert f.verdict == "no value difference" and f.numbers["stage_differs"] == []
    assert f.text == (
        "The attribute channel does not separate value beyond chance: target by the forecast "
        "value, not by the attribute."
    )


def test_the_reading_names_the_richer_level_its_shares_and_the_widest_stage_gap():
    mix, tests = _mix_and_tests(True)
    v = readings.attribute_verdict(mix, tests)["channel"]
    one, zero = mix.loc[("channel", "1")], mix.loc[("channel", "0")]
    assert (v["high"], v["low"]) == ("1", "0")
    assert v["mean_ratio"] == pytest.approx(one["mean_clv"] / zero["mean_clv"])
    assert v["value_differs"] and v["stage_differs"]
    assert v["high_share_customers"] == pytest.approx(0.5)
    assert v["high_share_clv"] == pytest.approx(one["share_clv"])
    # growth and decline differ by 50 points each: the first stage column (decline) is named
    assert (v["stage"], v["stage_high"], v["stage_gap"]) == ("decline", "0", pytest.approx(0.5))
    text = readings.attribute_reading(mix, tests, currency="$")
    assert "**The channel levels differ in value and stage mix**" in text
    assert f"worth {v['mean_ratio']:.2f} times as much on average as channel 0" in text
    assert f"at 50.0% of the customers, hold {100 * one['share_clv']:.1f}% of the value" in text
    assert "differs most in decline: 50.0% of channel 0 against 0.0% of channel 1" in text
    f = readings.attribute_finding(mix, tests)
    assert f.verdict == "channel differs" and f.numbers["high"] == "1"
    assert f.text.startswith(f"Channel 1 customers are worth {v['mean_ratio']:.2f} times")
