"""Write the seeded synthetic logs that both sides of the benchmark read.

One Parquet file per size under data/interim/bench/ (git-ignored): a BG/NBD
customer base simulated by :func:`analysis.simulate.btyd.simulate_bgnbd`
with CDNOW-like parameters in weeks (about 2.5 purchases per customer), dates
floored to days and rows in date order, as a real log arrives. A file that
exists with the same settings is kept.

Usage: .venv/bin/python bench/make_data.py 100000 1000000 [--csv]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import common  # bench/ is on sys.path: it is the script's folder


def make_log(n_customers: int, csv: bool = False, force: bool = False) -> Path:
    import numpy as np

    from analysis.simulate.btyd import simulate_bgnbd

    path = common.log_path(n_customers)
    meta_path = path.with_suffix(".json")
    settings = {
        "n_customers": n_customers,
        "params": common.PARAMS,
        "spend": common.SPEND,
        "time_unit": common.TIME_UNIT,
        "acquisition": list(common.ACQUISITION),
        "observation_end": common.OBSERVATION_END,
        "seed": common.SEED,
    }
    if path.exists() and meta_path.exists() and not force:
        meta = common.read_json(meta_path)
        if meta.get("settings") == settings and (not csv or path.with_suffix(".csv").exists()):
            return path
    start = time.perf_counter()
    sim = simulate_bgnbd(
        n_customers,
        **common.PARAMS,
        **common.SPEND,
        time_unit=common.TIME_UNIT,
        acquisition_start=common.ACQUISITION[0],
        acquisition_end=common.ACQUISITION[1],
        observation_end=common.OBSERVATION_END,
        floor_dates=True,
        seed=common.SEED,
    )
    tx = sim.transactions[["customer_id", "date", "amount"]]
    # A real log arrives in time order, not grouped by customer.
    order = np.argsort(tx["date"].to_numpy(), kind="stable")
    tx = tx.iloc[order].reset_index(drop=True)
    tx["date"] = tx["date"].astype("datetime64[ms]")  # readable by older pyarrow/pandas too
    path.parent.mkdir(parents=True, exist_ok=True)
    tx.to_parquet(path, index=False, row_group_size=1_000_000)
    if csv:
        tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d")).to_csv(
            path.with_suffix(".csv"), index=False
        )
    common.write_json(
        meta_path,
        {
            "settings": settings,
            "rows": len(tx),
            "transactions_per_customer": len(tx) / n_customers,
            "seconds": time.perf_counter() - start,
            "true_params": {k: v for k, v in sim.params.items() if k != "time_unit"},
        },
    )
    common.log(f"wrote {path} ({len(tx):,} rows, {len(tx) / n_customers:.2f} per customer)")
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of customers")
    parser.add_argument("--csv", action="store_true", help="also write a CSV copy")
    parser.add_argument("--force", action="store_true", help="rewrite existing files")
    args = parser.parse_args(argv)
    for n in args.sizes:
        print(make_log(n, csv=args.csv, force=args.force))


if __name__ == "__main__":
    main()
