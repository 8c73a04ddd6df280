"""The run's opening sentence: CDNOW named only when the dataset is CDNOW, the figures from the data."""

from __future__ import annotations

import pandas as pd

from analysis import readings


def _log():
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "date": pd.to_datetime(["2021-01-05", "2021-03-01", "2021-02-10", "2021-12-31"]),
        }
    )


def test_a_users_log_is_described_from_its_data():
    text = readings.run_intro("data/orders.csv", _log())
    assert text.startswith(
        "This run studies the log `data/orders.csv`: 3 customers and 4 purchase rows from "
        "2021-01-05 to 2021-12-31."
    )
    assert "CDNOW" not in text


def test_the_builtin_log_is_named():
    text = readings.run_intro("cdnow", _log())
    assert text.startswith("This run studies the full CDNOW log: the customers who made")
    assert "3 customers and 4 purchase rows" in text
    assert "one-tenth sample" in readings.run_intro("cdnow_sample", _log())
