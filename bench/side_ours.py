"""Our side of the benchmark: one run of every step in a fresh interpreter (the project's .venv).

Usage: .venv/bin/python bench/side_ours.py LOG.parquet OUT.json [--steps ...] [--clv-out FILE.npy]

Prints nothing on stdout; writes seconds per step, fitted parameters, the
models' own log-likelihoods and the peak memory of this process to OUT.json.
With ``--eval PARAMS.json`` it instead evaluates our log-likelihoods at the
parameter sets in PARAMS.json (both sides' fits) on our summary. With
``--customer-table`` it instead reads the log into pandas and builds
:func:`analysis.customers.customer_table` (no lifetimes counterpart), timing both.
"""

from __future__ import annotations

import argparse
import warnings

import common  # bench/ is on sys.path: it is the script's folder


def run(log_path: str, steps: list[str], engine: str | None, clv_out: str | None) -> dict:
    import numpy as np

    from analysis import rfm
    from analysis.clv import customer_lifetime_value
    from analysis.models.beta_geo import BetaGeo
    from analysis.models.gamma_gamma import GammaGamma
    from analysis.models.pareto_nbd import ParetoNBD

    timer = common.Timer()
    out: dict = {"side": "ours", "engine": engine or "default"}
    summary = timer(
        "summary",
        rfm.summarize,
        log_path,
        time_unit=common.TIME_UNIT,
        observation_end=common.OBSERVATION_END,
        engine=engine,
    )
    out["n_customers"] = len(summary)
    bg = None
    if "bgnbd" in steps or "clv" in steps:
        bg = timer("bgnbd", BetaGeo().fit, summary, time_unit=common.TIME_UNIT)
        out["bgnbd"] = {"params": bg.params.to_dict(), "loglik": bg.loglik}
    if "paretonbd" in steps:
        pn = timer("paretonbd", ParetoNBD().fit, summary, time_unit=common.TIME_UNIT)
        out["paretonbd"] = {"params": pn.params.to_dict(), "loglik": pn.loglik}
    gg = None
    if "gammagamma" in steps or "clv" in steps:

        def fit_gg():
            return GammaGamma().fit(summary[summary["frequency"] > 0])

        gg = timer("gammagamma", fit_gg)
        out["gammagamma"] = {"params": gg.params.to_dict(), "loglik": gg.loglik}
    if "clv" in steps:
        clv = timer(
            "clv",
            customer_lifetime_value,
            bg,
            gg,
            summary,
            horizon_years=common.HORIZON_YEARS,
            annual_discount_rate=common.ANNUAL_DISCOUNT,
            time_unit=common.TIME_UNIT,
        )["clv"].to_numpy()
        out["clv"] = {"mean": float(np.mean(clv)), "sum": float(np.sum(clv))}
        if clv_out:
            np.save(clv_out, clv)
    out["seconds"] = timer.seconds
    out["cpu_seconds"] = timer.cpu_seconds
    out["peak_rss_mb"] = common.peak_rss_mb()
    return out


def segment_everyone(table):
    """Every segmentation of analysis.segments that needs no cost data, on the whole table."""
    from analysis import segments

    tiers = segments.clv_tiers(table)
    out = {
        "clv_tiers": tiers,
        "value_matrix": segments.value_matrix(table),
        "loyalty_profitability": segments.loyalty_profitability(table),
        "prospect_tiers": segments.prospect_tiers(table),
        "ranking": segments.ranking(table),
        "rfm_segments": segments.rfm_segments(table),
    }
    out["relationship_level"] = segments.relationship_level(table, by=tiers)
    return out


def customer_table_run(log_path: str) -> dict:
    """Read the log into pandas, build the customer table with its defaults, segment, recommend; timed."""
    import pandas as pd

    from analysis.customers import customer_table
    from analysis.strategy import recommend

    timer = common.Timer()
    log = timer("read", pd.read_parquet, log_path)
    table = timer(
        "customers",
        customer_table,
        log,
        observation_end=common.OBSERVATION_END,
        time_unit=common.TIME_UNIT,
        horizon_years=common.HORIZON_YEARS,
        annual_discount_rate=common.ANNUAL_DISCOUNT,
    )
    timer("segments", segment_everyone, table)
    timer("recommend", recommend, table)
    return {
        "side": "ours",
        "n_customers": len(table),
        "rows": len(log),
        "model": table.attrs["model"],
        "clv_mean": float(table["clv"].mean()),
        "seconds": timer.seconds,
        "cpu_seconds": timer.cpu_seconds,
        "peak_rss_mb": common.peak_rss_mb(),
    }


def evaluate(log_path: str, params_path: str) -> dict:
    """Our log-likelihood (totals) at each parameter set, on our summary of the log."""
    import numpy as np

    from analysis import rfm
    from analysis.models.beta_geo import BetaGeo
    from analysis.models.gamma_gamma import GammaGamma
    from analysis.models.pareto_nbd import ParetoNBD

    summary = rfm.summarize(
        log_path, time_unit=common.TIME_UNIT, observation_end=common.OBSERVATION_END
    )
    repeat = summary[summary["frequency"] > 0]
    models = {
        "bgnbd": (BetaGeo, summary),
        "paretonbd": (ParetoNBD, summary),
        "gammagamma": (GammaGamma, repeat),
    }
    out = {}
    for label, sets in common.read_json(params_path).items():
        res = {}
        for name, params in sets.items():
            cls, data = models[name]
            model = cls()
            arrays = model._prepare(data)
            theta = np.array([params[k] for k in cls.param_names], dtype=float)
            res[name] = float(np.dot(arrays["weight"], model._loglik_rows(theta, arrays)))
        out[label] = res
    return out


def main(argv=None) -> None:
    from analysis import engines

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("out")
    parser.add_argument("--steps", nargs="+", default=common.STEPS, choices=common.STEPS)
    parser.add_argument(
        "--engine",
        choices=engines.names(),
        default=None,
        help="summary engine (default: duckdb, as for any path)",
    )
    parser.add_argument("--clv-out", default=None, help="save per-customer CLV (sorted by id) here")
    parser.add_argument(
        "--eval",
        default=None,
        metavar="PARAMS.json",
        help="only evaluate our log-likelihoods at the parameter sets in this file",
    )
    parser.add_argument("--summary-out", default=None, help="only save our summary (Parquet)")
    parser.add_argument(
        "--customer-table",
        action="store_true",
        help="only time reading the log and analysis.customers.customer_table",
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.customer_table:
        common.write_json(args.out, customer_table_run(args.log))
        return
    if args.eval:
        common.write_json(args.out, evaluate(args.log, args.eval))
        return
    if args.summary_out:
        from analysis import rfm

        rfm.summarize(
            args.log, time_unit=common.TIME_UNIT, observation_end=common.OBSERVATION_END
        ).to_parquet(args.summary_out)
        return
    common.write_json(args.out, run(args.log, args.steps, args.engine, args.clv_out))


if __name__ == "__main__":
    main()
