"""Both views of the lifecycle stages and the customer table's current stages: seconds and peak memory.

Usage: .venv/bin/python bench/lifecycle_views.py [--sizes 100000 1000000] [--runs 3]
       (or `make bench BENCH_ARGS="--only lifecycle"`)

Times, on the seeded benchmark logs (``bench/make_data.py``; monthly
periods), each in a fresh process per run, the variants alternating:

- ``realtime``: ``assign_stages(log)`` (the rules, every customer and period);
- ``hindsight``: ``assign_stages(log, view="hindsight")`` (the lifecycle
  model's forward-backward);
- ``current``: ``current_stages(log)`` (the last period's stage and its
  length, what the customer table reads);
- ``realtime, model`` (only with ``--variants``): ``method="model"``;
- ``current, hindsight`` (only with ``--variants``): ``current_stages(log,
  view="hindsight")``.

The model's blocks and the long frame's customer blocks run in
``analysis.threads.workers()`` threads (the cores, or ``ANALYSIS_THREADS``;
the output is the same whatever the number): the table's first line says how
many.

Reports medians of wall-clock and CPU seconds and of peak memory
(``ru_maxrss``, reading the log included; the memory of the process before
the call is shown apart) and the load average before and after. Writes
``reports/bench_lifecycle.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import common  # bench/ is on sys.path: it is the script's folder

VARIANTS = {
    "realtime": ("assign_stages", {"view": "realtime"}),
    "hindsight": ("assign_stages", {"view": "hindsight"}),
    "current": ("current_stages", {"view": "realtime"}),
    "realtime, model": ("assign_stages", {"view": "realtime", "method": "model"}),
    "current, hindsight": ("current_stages", {"view": "hindsight"}),
}
DEFAULT_VARIANTS = ["realtime", "hindsight", "current"]


def _child(variant: str, log: str, out: str) -> None:
    import pandas as pd

    from analysis import lifecycle

    frame = pd.read_parquet(log)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    name, options = VARIANTS[variant]
    wall, cpu = time.perf_counter(), time.process_time()
    result = getattr(lifecycle, name)(frame, observation_end=common.OBSERVATION_END, **options)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mix = result["stage"].astype(str).value_counts(normalize=True).round(4).to_dict()
    from analysis.threads import workers

    record = {"seconds": wall, "cpu": cpu, "peak_mb": peak, "before_mb": before}
    record["threads"] = workers()
    Path(out).write_text(json.dumps(record | {"rows": len(result), "mix": mix}))


def _median(values):
    values = sorted(values)
    k = len(values)
    return values[k // 2] if k % 2 else 0.5 * (values[k // 2 - 1] + values[k // 2])


def _threads(rows) -> str:
    """The threads the runs used (analysis.threads.workers() in the child processes)."""
    used = sorted({int(med["threads"]) for _, _, med in rows if "threads" in med})
    return "/".join(map(str, used)) or "?"


def _load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--size", type=int, help="one size (same as --sizes N)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS, choices=list(VARIANTS))
    parser.add_argument(
        "--child", nargs=3, metavar=("VARIANT", "LOG", "OUT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--output", default=str(common.ROOT / "reports" / "bench_lifecycle.md"))
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return
    import make_data

    sizes = [args.size] if args.size else args.sizes
    out_dir = common.OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    load_before = _load()
    rows = []
    for size in sizes:
        log = make_data.make_log(size)
        results = {v: [] for v in args.variants}
        for run in range(args.runs):
            for variant in args.variants:
                out = out_dir / f"lifecycle_{size}_{variant.replace(', ', '_')}_{run}.json"
                cmd = [sys.executable, __file__, "--child", variant, str(log), str(out)]
                subprocess.run(cmd, check=True)
                results[variant].append(json.loads(out.read_text()))
                print(size, variant, run, results[variant][-1], flush=True)
        for variant, runs in results.items():
            med = {k: _median([r[k] for r in runs]) for k in runs[0] if k != "mix"}
            rows.append((size, variant, med))
    lines = [
        f"Lifecycle stages on the benchmark logs (monthly periods), {args.runs} run(s) per "
        f"variant in fresh processes, medians; load average {load_before} before, "
        f"{_load()} after (1 / 5 / 15 min), {os.cpu_count()} cores, "
        f"{_threads(rows)} thread(s) (analysis.threads).",
        "",
        "| customers | variant | rows out | wall s | CPU s | peak MiB | of which before the call |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size, variant, med in rows:
        lines.append(
            f"| {size:,} | {variant} | {int(med['rows']):,} | {med['seconds']:.1f} | "
            f"{med['cpu']:.1f} | {med['peak_mb']:,.0f} | {med['before_mb']:,.0f} |"
        )
    text = "\n".join(lines)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
