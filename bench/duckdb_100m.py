"""Summarise a log larger than comfortable for pandas: 100 million transactions with the DuckDB engine.

Writes a seeded synthetic log (BG/NBD customers, as bench/make_data.py, about
2.5 purchases per customer) in chunks of customers to one Parquet file per
calendar month under data/interim/bench/log_100m/ (git-ignored), so a
customer's purchases are spread over files as in a date-partitioned
warehouse export. Then times ``analysis.rfm.summarize(folder)`` (DuckDB
engine, ``memory_limit`` set) in a fresh child process and reports its wall
time and peak resident memory (ru_maxrss of the child), and checks the
summary's totals against the log. The folder is deleted afterwards unless
``--keep``.

Usage: .venv/bin/python bench/duckdb_100m.py [--rows 100000000] [--memory-limit 4GB] [--runs 1]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common  # bench/ is on sys.path: it is the script's folder

FOLDER = common.DATA_DIR / "log_100m"


def generate(rows: int, chunk_customers: int, folder: Path) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.simulate.btyd import simulate_bgnbd

    meta_path = folder / "_meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("target_rows") == rows:
            return meta
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    per_customer = 2.55  # measured for these settings by bench/make_data.py
    n_total = int(rows / per_customer)
    writers: dict[str, pq.ParquetWriter] = {}
    schema = pa.schema(
        [("customer_id", pa.int64()), ("date", pa.date32()), ("amount", pa.float64())]
    )
    written = customers = 0
    start = time.perf_counter()
    chunk = 0
    while customers < n_total:
        n = min(chunk_customers, n_total - customers)
        sim = simulate_bgnbd(
            n,
            **common.PARAMS,
            **common.SPEND,
            time_unit=common.TIME_UNIT,
            acquisition_start=common.ACQUISITION[0],
            acquisition_end=common.ACQUISITION[1],
            observation_end=common.OBSERVATION_END,
            floor_dates=True,
            seed=common.SEED + chunk,
        )
        tx = sim.transactions
        ids = tx["customer_id"].to_numpy() + customers
        days = tx["date"].to_numpy().astype("datetime64[D]")
        order = np.argsort(days, kind="stable")
        ids, days, amount = ids[order], days[order], tx["amount"].to_numpy()[order]
        months = days.astype("datetime64[M]")
        bounds = np.flatnonzero(np.r_[True, months[1:] != months[:-1], True])
        for lo, hi in itertools.pairwise(bounds):
            key = str(months[lo])
            if key not in writers:
                writers[key] = pq.ParquetWriter(folder / f"month={key}.parquet", schema)
            writers[key].write_table(
                pa.table(
                    {"customer_id": ids[lo:hi], "date": days[lo:hi], "amount": amount[lo:hi]},
                    schema=schema,
                ),
                row_group_size=1_000_000,
            )
        written += len(tx)
        customers += n
        chunk += 1
        common.log(
            f"  {customers:,} customers, {written:,} rows ({time.perf_counter() - start:.0f} s)"
        )
    for w in writers.values():
        w.close()
    size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
    meta = {
        "target_rows": rows,
        "rows": written,
        "customers": customers,
        "files": len(writers),
        "bytes": size,
        "seconds": time.perf_counter() - start,
    }
    meta_path.write_text(json.dumps(meta))
    return meta


def child(folder: str, memory_limit: str, threads: int | None, out: str) -> None:
    """Summarise in this process; write seconds, peak memory and totals."""
    import warnings

    import numpy as np

    from analysis import engines

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    summary = engines.summarize_duckdb(
        folder,
        time_unit=common.TIME_UNIT,
        observation_end=common.OBSERVATION_END,
        memory_limit=memory_limit,
        threads=threads,
    )
    seconds = time.perf_counter() - start
    res = {
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "customers": len(summary),
        "purchase_days": int(summary["frequency"].sum() + len(summary)),
        "sorted": bool(summary.index.is_monotonic_increasing),
        "mean_frequency": float(np.mean(summary["frequency"])),
    }
    Path(out).write_text(json.dumps(res))


def check_totals(folder: Path) -> dict:
    """Customers and distinct (customer, day) pairs, counted independently by DuckDB."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '4GB'")
    glob = str(folder / "*.parquet")
    customers, days = con.execute(
        f"SELECT count(DISTINCT customer_id), count(*) FROM "
        f"(SELECT DISTINCT customer_id, date FROM read_parquet('{glob}'))"
    ).fetchall()[0]
    con.close()
    return {"customers": customers, "purchase_days": days}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--chunk-customers", type=int, default=2_000_000)
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the generated log")
    parser.add_argument("--folder", default=str(FOLDER))
    parser.add_argument("--output", default=str(common.ROOT / "reports" / "bench_duckdb.md"))
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.memory_limit, args.threads, args.child[1])
        return

    folder = Path(args.folder)
    free = shutil.disk_usage(folder.parent if folder.parent.exists() else common.ROOT).free
    common.log(f"free disk: {free / 2**30:.0f} GiB")
    if free < 20 * 2**30:
        sys.exit("need at least 20 GiB free for the log and DuckDB's spill files")
    try:
        meta = generate(args.rows, args.chunk_customers, folder)
        common.log(
            f"log: {meta['rows']:,} rows, {meta['customers']:,} customers, {meta['files']} files, "
            f"{meta['bytes'] / 2**30:.2f} GiB"
        )
        results = []
        for i in range(args.runs):
            out = folder / f"_run{i}.json"
            load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
            cmd = [
                sys.executable,
                __file__,
                "--child",
                str(folder),
                str(out),
                "--memory-limit",
                args.memory_limit,
            ]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            start = time.perf_counter()
            subprocess.run(cmd, check=True)
            res = json.loads(out.read_text())
            res["process_seconds"] = time.perf_counter() - start
            res["load_before"] = load
            results.append(res)
            common.log(
                f"run {i + 1}: {res['seconds']:.1f} s, peak {res['peak_rss_mb']:.0f} MiB "
                f"(load before {load})"
            )
        totals = check_totals(folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    ok = all(
        r["customers"] == totals["customers"]
        and r["purchase_days"] == totals["purchase_days"]
        and r["sorted"]
        for r in results
    )
    med = statistics.median(r["seconds"] for r in results)
    peak = statistics.median(r["peak_rss_mb"] for r in results)
    text = "\n".join(
        [
            f"# DuckDB engine: summary of {meta['rows'] / 1e6:.0f} million transactions",
            "",
            (
                f"Generated {_dt.datetime.now().isoformat(timespec='seconds')} by `bench/duckdb_100m.py` on "
                f"{os.cpu_count()} cores."
            ),
            "",
            (
                f"- log: {meta['rows']:,} transactions of {meta['customers']:,} customers in {meta['files']} "
                f"monthly Parquet files ({meta['bytes'] / 2**30:.2f} GiB on disk; about "
                f"{meta['rows'] * 24 / 2**30:.1f} GiB as three 8-byte columns in memory)"
            ),
            f"- `rfm.summarize(folder)` with DuckDB `memory_limit` {args.memory_limit}: "
            f"{med:.1f} s (median of {len(results)} run(s): "
            + ", ".join(f"{r['seconds']:.1f}" for r in results)
            + ")",
            (
                f"- peak resident memory of the summarising process: {peak:.0f} MiB "
                f"({peak / 1024:.1f} GiB), the summary of {results[0]['customers']:,} customers included"
            ),
            (
                f"- totals checked against DuckDB's own count of customers and distinct purchase days: "
                f"{'equal' if ok else 'DIFFERENT'}"
            ),
            "- load average before each run: " + "; ".join(r["load_before"] for r in results),
            "",
        ]
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
