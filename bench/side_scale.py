"""One summary of a large log by one engine, in a fresh interpreter: seconds and peak memory.

Usage: .venv/bin/python bench/side_scale.py LOG.parquet OUT.json --engine {pandas,duckdb,spark}
       [--compress] [--score SCORES_DIR] [--driver-memory 4g] [--partitions 16]

Times ``analysis.rfm.summarize(LOG, engine=...)`` (``--compress``: the
distinct (frequency, recency, T) rows and their weight). For Spark it also
times starting the local session (``local[2]``, bound to 127.0.0.1) and,
with ``--score``, :func:`analysis.spark.score` with BG/NBD and Gamma-Gamma
fitted on the compressed summaries, written to Parquet.

Memory: ``peak_rss_mb`` is this process's ru_maxrss (the Python driver);
``peak_tree_mb`` the largest sum of resident memory of this process and all
its descendants (for Spark: the JVM, which holds the executors in local
mode, and the Python workers), sampled every 0.1 s from /proc.
"""

from __future__ import annotations

import argparse
import os
import threading
import warnings
from pathlib import Path

import common  # bench/ is on sys.path: it is the script's folder


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """Samples the resident memory of this process and its descendants in a thread."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            todo, total = [os.getpid()], 0
            while todo:
                pid = todo.pop()
                total += _rss_kb(pid)
                todo += _children(pid)
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run(args) -> dict:
    from analysis import rfm

    timer = common.Timer()
    out: dict = {"engine": args.engine, "compress": args.compress}
    options = {}
    if args.engine == "spark":
        from analysis import spark as aspark

        session = timer(
            "session",
            aspark.local_session,
            cores=2,
            driver_memory=args.driver_memory,
            shuffle_partitions=args.partitions,
        )
        options["spark"] = session
        out["driver_memory"] = args.driver_memory
        out["partitions"] = args.partitions
    kwargs = {"time_unit": common.TIME_UNIT, "observation_end": common.OBSERVATION_END}
    summary = timer(
        "summary", rfm.summarize, args.log, engine=args.engine, compress=args.compress, **kwargs
    )
    out["rows_returned"] = len(summary)
    out["customers"] = int(summary["weight"].sum()) if args.compress else len(summary)
    if args.score:
        from analysis.engines.spark import summarize_spark
        from analysis.models import BetaGeo, GammaGamma

        def fit():
            spend = summarize_spark(
                args.log, compress=["frequency", "monetary_value"], **kwargs, **options
            )
            spend = spend[(spend["frequency"] > 0) & (spend["monetary_value"] > 0)]
            return BetaGeo().fit(summary), GammaGamma().fit(spend)

        bgf, ggf = timer("fit", fit)

        def write():
            aspark.score(
                args.log, bgf, ggf, observation_end=common.OBSERVATION_END, spark=options["spark"]
            ).write.mode("overwrite").parquet(str(args.score))

        timer("score", write)
    if args.engine == "spark":
        options["spark"].stop()
    out["seconds"] = timer.seconds
    out["cpu_seconds"] = timer.cpu_seconds
    out["peak_rss_mb"] = common.peak_rss_mb()
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("out")
    parser.add_argument("--engine", choices=["pandas", "duckdb", "spark"], required=True)
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("--score", default=None, metavar="DIR", help="Spark: score into DIR")
    parser.add_argument("--driver-memory", default="4g", help="Spark: the JVM heap")
    parser.add_argument("--partitions", type=int, default=16, help="Spark: shuffle partitions")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    with TreeMemory() as tree:
        result = run(args)
    result["peak_tree_mb"] = tree.peak_kb / 1024.0
    common.write_json(args.out, result)


if __name__ == "__main__":
    main()
