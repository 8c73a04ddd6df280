"""The customer table's reference cases: logs and settings whose output is stored in tests/data.

The stored tables (``tests/data/customer_table/<case>.parquet``, with the
table's ``attrs`` in ``<case>.json``) were written by the code before the
customer table was made fast (issue 21) and are what
tests/test_customers_reference.py compares today's output with. Rewrite them
only when a change of values is intended, and say why in the commit:

    .venv/bin/python tests/customer_reference.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE_DIR = Path(__file__).parent / "data" / "customer_table"
#: the bench's BG/NBD parameters in weeks (bench/common.py), a smaller base
SIMULATION = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _cdnow_sample() -> pd.DataFrame:
    from analysis import data

    return data.load_cdnow(sample=True)


def _simulated() -> pd.DataFrame:
    from analysis.simulate.btyd import simulate_bgnbd

    sim = simulate_bgnbd(
        4_000,
        **SIMULATION,
        time_unit="W",
        acquisition_start="2023-01-01",
        acquisition_end="2023-03-31",
        observation_end="2024-03-31",
        floor_dates=True,
        seed=20240331,
    )
    return sim.transactions[["customer_id", "date", "amount"]]


def _costs(ids: pd.Index) -> pd.DataFrame:
    """A costs table that differs by customer: acquisition 0-9 and retention 0-8 a year."""
    key = np.arange(len(ids))
    return pd.DataFrame(
        {"acquisition_cost": 1.5 * (key % 7), "retention_cost": 2.0 * (key % 5)},
        index=pd.Index(ids, name="customer_id"),
    )


def cases() -> dict[str, tuple]:
    """Case name -> (function returning the log, settings, whether a costs table is given).

    ``cost`` in the settings is the cost per purchase (the keyword's name
    changed from ``cost_per_order`` to ``cost_per_purchase``).
    """
    return {
        "cdnow_sample": (_cdnow_sample, {}, False),
        "cdnow_sample_costs": (
            _cdnow_sample,
            {"model": "paretonbd", "cost": 2.5, "period": "Q", "horizon_years": 2.0},
            True,
        ),
        "cdnow_sample_days": (
            _cdnow_sample,
            {"time_unit": "D", "period": "W", "interval": None, "calibration_end": False},
            False,
        ),
        "simulated": (_simulated, {}, False),
        "simulated_costs": (_simulated, {"cost": 1.0, "interval": 0.8}, True),
    }


def build(name: str, cost_keyword: str = "cost_per_purchase", **extra) -> pd.DataFrame:
    """The customer table of one case, as the code of today computes it (``extra`` added)."""
    from analysis.customers import customer_table

    load, settings, with_costs = cases()[name]
    log = load()
    kwargs = dict(settings)
    if "cost" in kwargs:
        kwargs[cost_keyword] = kwargs.pop("cost")
    if with_costs:
        kwargs["costs"] = _costs(pd.Index(np.sort(log["customer_id"].unique())))
    return customer_table(log, **kwargs, **extra)


def attrs_record(table: pd.DataFrame) -> dict:
    """The table's attrs as JSON-safe data (Timestamps as ISO text)."""
    return json.loads(json.dumps(table.attrs, default=str))


def write(cost_keyword: str) -> None:
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    for name in cases():
        table = build(name, cost_keyword)
        record = attrs_record(table)
        table.attrs = {}  # stored apart: pyarrow would write them into the file's metadata
        table.to_parquet(REFERENCE_DIR / f"{name}.parquet")
        (REFERENCE_DIR / f"{name}.json").write_text(json.dumps(record, indent=1, sort_keys=True))
        print(name, table.shape)


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "cost_per_purchase")
