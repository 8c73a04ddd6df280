"""Shared fixtures: small hand-built logs and the shipped CDNOW data."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import data


@pytest.fixture(scope="session")
def cdnow_sample() -> pd.DataFrame:
    return data.load_cdnow(sample=True)


@pytest.fixture(scope="session")
def cdnow_sample_summary(cdnow_sample) -> pd.DataFrame:
    from analysis import rfm

    return rfm.summarize(
        cdnow_sample, time_unit="W", observation_end="1998-06-30", calibration_end="1997-09-30"
    )


@pytest.fixture
def small_log() -> pd.DataFrame:
    """Three customers with known summaries (see tests/test_rfm.py)."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c", "c"],
            "date": pd.to_datetime(
                [
                    "2020-01-01",
                    "2020-01-08",
                    "2020-01-08",  # same day: one purchase of 30
                    "2020-01-29",
                    "2020-01-15",
                    "2020-01-05",
                    "2020-01-19",
                ]
            ),
            "amount": [10.0, 20.0, 10.0, 60.0, 5.0, 8.0, 12.0],
            "quantity": [1, 2, 1, 3, 1, 1, 1],
        }
    )
