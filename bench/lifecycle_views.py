"""Both views of the lifecycle stages on the benchmark log: seconds and peak memory, against today's call.

Usage: .venv/bin/python bench/lifecycle_views.py [--size 1000000] [--runs 3]
       (or `make bench BENCH_ARGS="--only lifecycle"`)

Times :func:`analysis.lifecycle.assign_stages` on the seeded benchmark log
(``bench/make_data.py``; monthly periods) in a fresh process per run, the
variants alternating:

- ``today``: ``assign_stages(log)``, the call every caller makes today (the
  baseline of the ratios);
- ``realtime``: ``view="realtime"`` (the rules; the same output as today);
- ``realtime, model``: ``view="realtime", method="model"`` (the lifecycle
  model filtered to each period);
- ``hindsight``: ``view="hindsight"`` (the lifecycle model's forward-backward).

Reports medians of wall-clock and CPU seconds and of peak memory
(``ru_maxrss``; reading the log included), and each median's ratio to
``today``. Writes ``reports/bench_lifecycle.md``.
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
    "today": {},
    "realtime": {"view": "realtime"},
    "realtime, model": {"view": "realtime", "method": "model"},
    "hindsight": {"view": "hindsight"},
}


def _child(variant: str, log: str, out: str) -> None:
    import pandas as pd

    from analysis.lifecycle import assign_stages

    frame = pd.read_parquet(log)
    wall, cpu = time.perf_counter(), time.process_time()
    stages = assign_stages(frame, observation_end=common.OBSERVATION_END, **VARIANTS[variant])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mix = stages["stage"].astype(str).value_counts(normalize=True).round(4).to_dict()
    Path(out).write_text(
        json.dumps({"seconds": wall, "cpu": cpu, "peak_mb": peak, "rows": len(stages), "mix": mix})
    )


def _median(values):
    values = sorted(values)
    k = len(values)
    return values[k // 2] if k % 2 else 0.5 * (values[k // 2 - 1] + values[k // 2])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--child", nargs=3, metavar=("VARIANT", "LOG", "OUT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--output", default=str(common.ROOT / "reports" / "bench_lifecycle.md"))
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return
    import make_data

    log = make_data.make_log(args.size)
    out_dir = common.OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {v: [] for v in VARIANTS}
    for run in range(args.runs):
        for variant in VARIANTS:
            out = out_dir / f"lifecycle_{variant.replace(', ', '_')}_{run}.json"
            cmd = [sys.executable, __file__, "--child", variant, str(log), str(out)]
            subprocess.run(cmd, check=True)
            results[variant].append(json.loads(out.read_text()))
            print(variant, run, results[variant][-1], flush=True)
    base = {k: _median([r[k] for r in results["today"]]) for k in ("seconds", "cpu", "peak_mb")}
    lines = [
        f"Lifecycle stages on the {args.size:,}-customer benchmark log (monthly periods), "
        f"{args.runs} run(s) per variant in fresh processes, medians; load average "
        f"{' / '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} cores.",
        "",
        "| variant | wall s | x today | CPU s | peak MiB | x today |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for variant, runs in results.items():
        wall = _median([r["seconds"] for r in runs])
        cpu = _median([r["cpu"] for r in runs])
        peak = _median([r["peak_mb"] for r in runs])
        lines.append(
            f"| {variant} | {wall:.1f} | {wall / base['seconds']:.2f} | {cpu:.1f} | "
            f"{peak:,.0f} | {peak / base['peak_mb']:.2f} |"
        )
    text = "\n".join(lines)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
