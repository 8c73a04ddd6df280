"""Where our time goes: cProfile of each benchmark step on one log.

Usage: .venv/bin/python bench/profile_ours.py [N_CUSTOMERS] [--top 12] [--steps ...]

Prints, per step, the wall time and the functions with the most own time
(tottime) and the most cumulative time inside the project package.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
import warnings

import common  # bench/ is on sys.path: it is the script's folder


def main(argv=None) -> None:
    from analysis import engines

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--steps", nargs="+", default=common.STEPS, choices=common.STEPS)
    parser.add_argument("--engine", choices=engines.names(), default=None)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from make_data import make_log

    from analysis import rfm
    from analysis.clv import customer_lifetime_value
    from analysis.models.beta_geo import BetaGeo
    from analysis.models.gamma_gamma import GammaGamma
    from analysis.models.pareto_nbd import ParetoNBD

    path = make_log(args.n)
    state = {}

    def summary():
        state["summary"] = rfm.summarize(
            path,
            time_unit=common.TIME_UNIT,
            observation_end=common.OBSERVATION_END,
            engine=args.engine,
        )

    def bgnbd():
        state["bg"] = BetaGeo().fit(state["summary"], time_unit=common.TIME_UNIT)

    def paretonbd():
        state["pn"] = ParetoNBD().fit(state["summary"], time_unit=common.TIME_UNIT)

    def gammagamma():
        s = state["summary"]
        state["gg"] = GammaGamma().fit(s[s["frequency"] > 0])

    def clv():
        customer_lifetime_value(
            state["bg"],
            state["gg"],
            state["summary"],
            horizon_years=common.HORIZON_YEARS,
            annual_discount_rate=common.ANNUAL_DISCOUNT,
            time_unit=common.TIME_UNIT,
        )

    steps = {
        "summary": summary,
        "bgnbd": bgnbd,
        "paretonbd": paretonbd,
        "gammagamma": gammagamma,
        "clv": clv,
    }
    needed = list(args.steps)
    for s in ("summary", "bgnbd", "gammagamma"):
        if "clv" in needed and s not in needed:
            needed.insert(0, s)
    if "summary" not in needed:
        needed.insert(0, "summary")
    for name in [s for s in common.STEPS if s in needed]:
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.runcall(steps[name])
        wall = time.perf_counter() - start
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats("analysis", args.top)
        print(f"===== {name}: {wall:.2f} s (under cProfile) =====")
        text = buf.getvalue()
        print(
            "\n".join(
                line
                for line in text.splitlines()
                if line.strip() and not line.startswith(("   Ordered by", "   List reduced"))
            )
        )


if __name__ == "__main__":
    main()
