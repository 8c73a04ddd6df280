"""Hand-built logs and stage frames shared by the lifecycle tests (tests/test_lifecycle_*.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import lifecycle as lc

E, F, S, D = lc.STAGES
END = "2020-12-31"


def log(customer, dates, amount=10.0) -> pd.DataFrame:
    """A log of one customer buying on ``dates``."""
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": pd.to_datetime(list(dates)),
            "amount": amount,
            "quantity": 1,
        }
    )


def monthly(counts, year=2020, day=3) -> list[pd.Timestamp]:
    """``counts[m]`` purchases in month m + 1, spread over the month from ``day`` on."""
    dates = []
    for month, count in enumerate(counts, start=1):
        for k in range(count):
            dates.append(pd.Timestamp(year, month, day) + pd.Timedelta(days=int(k * 27 / count)))
    return dates


def hand_built() -> pd.DataFrame:
    """Five customers whose stage sequence is known exactly under the default thresholds."""
    return pd.concat(
        [
            log("trial", ["2020-01-15"]),  # buys once, never again
            log("steady", pd.date_range("2020-01-06", END, freq="7D")),  # every week all year
            log("growing", monthly([1, 1, 2, 4, 8, 8, 8, 8, 8, 8, 8, 8])),  # doubles, then holds
            log("fading", monthly([1, 8, 8, 8, 8, 8, 8, 3, 3, 3, 3, 3])),  # holds, then buys less
            log("stopping", monthly([1, 8, 8, 8, 8, 8, 8, 3, 1, 1, 0, 0])),  # holds, then stops
        ],
        ignore_index=True,
    )


def tiny_stages() -> pd.DataFrame:
    """Two customers, hand-written stages (no classifier involved)."""
    per = pd.period_range("2020-01", periods=4, freq="M")
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 2],
            "period": list(per) + list(per[1:]),
            "age": [0, 1, 2, 3, 0, 1, 2],
            "stage": [E, F, S, D, E, D, D],
            "purchases": [1, 2, 3, 0, 1, 0, 0],
            "spend": [10.0, 20.0, 30.0, 0.0, 10.0, 0.0, 0.0],
        }
    )


def sequence(stages: pd.DataFrame, customer) -> list[str]:
    """The stages of one customer, in period order."""
    return stages.loc[stages["customer_id"] == customer, "stage"].astype(str).tolist()


def assert_order(stages: pd.DataFrame) -> None:
    """The seeds' order rule: never exploration -> stability, stability only from formation."""
    counts = lc.transition_counts(stages)
    names = np.array(lc.STAGES)
    a, b = np.nonzero(counts.to_numpy())
    pairs = set(zip(names[a], names[b], strict=True))
    assert (E, S) not in pairs, "exploration jumped straight to stability"
    assert {frm for frm, to in pairs if to == S} <= {F, S}, (
        "stability entered from outside formation"
    )
    assert {to for frm, to in pairs if frm == E} <= {E, F, D}
    first = stages.sort_values(["customer_id", "period"]).groupby("customer_id")["stage"].first()
    assert (first.astype(str) == E).all()
