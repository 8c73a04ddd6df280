"""Helpers shared by both sides of the benchmark.

Imported by the interpreter of the project (``.venv``) and by the baseline's
(``bench/.venv-bench``, lifetimes): standard library only, no ``analysis``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = ROOT / "data" / "interim" / "bench"
OUT_DIR = DATA_DIR / "out"

#: the synthetic study: CDNOW-like BG/NBD parameters in weeks, daily dates
TIME_UNIT = "W"
OBSERVATION_END = "2024-03-31"
ACQUISITION = ("2023-01-01", "2023-03-31")
PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND = {"p": 6.0, "q": 4.0, "gamma": 15.0}
HORIZON_YEARS = 3
ANNUAL_DISCOUNT = 0.10
SEED = 20240331

#: steps timed on both sides, in order; END_TO_END is what the 10x target measures
STEPS = ["summary", "bgnbd", "paretonbd", "gammagamma", "clv"]
END_TO_END = ["summary", "bgnbd", "gammagamma", "clv"]


def log_path(n_customers: int) -> Path:
    """The Parquet log both sides read."""
    return DATA_DIR / f"bgnbd_{n_customers}.parquet"


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timer:
    """Collects wall-clock and CPU seconds (all threads of the process) per step."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}

    def __call__(self, name: str, fn, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.seconds[name] = time.perf_counter() - start
        self.cpu_seconds[name] = time.process_time() - cpu
        return out


def write_json(path, payload) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=1, default=float))


def read_json(path):
    return json.loads(Path(path).read_text())


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
