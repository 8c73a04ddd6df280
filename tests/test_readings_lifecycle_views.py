"""The views' accuracy reading on hand-built tables: every word decided by the numbers."""

from __future__ import annotations

import pandas as pd

from analysis import readings

VIEWS = [("realtime", "rules"), ("realtime", "model"), ("hindsight", "model")]


def _by_rate(scores: dict[float, list[float]]) -> pd.DataFrame:
    rows = [
        {"rate": rate, "view": v, "method": m, "macro_f1": f1}
        for rate, f1s in scores.items()
        for (v, m), f1 in zip(VIEWS, f1s, strict=True)
    ]
    return pd.DataFrame(rows)


def _by_setting(scores: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {"setting": name, "view": v, "method": m, "macro_f1": f1}
        for name, f1s in scores.items()
        for (v, m), f1 in zip(VIEWS, f1s, strict=True)
    ]
    return pd.DataFrame(rows)


SETTINGS = _by_setting(
    {
        "default (tuning seeds)": [0.765, 0.80, 0.87],
        "default": [0.76, 0.80, 0.87],
        "sparser buyers": [0.65, 0.73, 0.83],
    }
)


def test_the_table_has_one_column_per_view_in_a_fixed_order():
    table = readings.view_accuracy_table(_by_rate({1.0: [0.6, 0.7, 0.8]}), "rate")
    assert list(table.columns) == ["real time, rules", "real time, model", "hindsight"]
    assert table.loc[1.0, "hindsight"] == 0.8


def test_one_view_best_everywhere_and_accuracy_rising_with_the_rate():
    text = readings.view_accuracy_reading(
        _by_rate({0.25: [0.48, 0.64, 0.78], 4.0: [0.75, 0.80, 0.87]}), SETTINGS
    )
    assert "most accurate view is **hindsight**" in text
    assert "rises from" not in text  # the table beside says it
    assert "hardest setting is sparser buyers" in text
    assert "within 0.01 of each other" in text


def test_the_best_view_changing_with_the_rate_and_accuracy_falling():
    text = readings.view_accuracy_reading(
        _by_rate({0.25: [0.70, 0.64, 0.60], 4.0: [0.65, 0.80, 0.55]}),
        _by_setting({"default (tuning seeds)": [0.9, 0.8, 0.7], "default": [0.7, 0.8, 0.7]}),
    )
    assert "depends on the rate" in text and "0.25 a month: *real time, rules*" in text
    assert "up to 0.20 apart" in text and "read the fresh-seed rows" in text
