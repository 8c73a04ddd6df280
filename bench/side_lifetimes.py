"""The baseline side: the same steps with lifetimes 0.11.3, in bench/.venv-bench.

Usage: bench/.venv-bench/bin/python bench/side_lifetimes.py LOG.parquet OUT.json [--steps ...]

lifetimes is used as its documentation shows, with two choices that make its
summary the same as ours (checked by run.py): ``freq="D"`` with
``freq_multiplier=7`` gives exact fractional weeks (``freq="W"`` would count
whole calendar-week periods), and the CLV uses 36 monthly steps with the
monthly rate equivalent to 10% a year. ParetoNBDFitter starts from random
values, so numpy's global generator is seeded.

Also: ``--eval PARAMS.json`` evaluates lifetimes' own log-likelihoods at the
parameter sets in PARAMS.json on lifetimes' summary of the log (the
cross-check of the likelihood comparison in run.py).
"""

from __future__ import annotations

import argparse
import warnings

import common  # bench/ is on sys.path: it is the script's folder


def _summary(log_path: str):
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    tx = pd.read_parquet(log_path)
    return summary_data_from_transaction_data(
        tx,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=common.OBSERVATION_END,
        freq="D",
        freq_multiplier=7,
    )


def run(log_path: str, steps: list[str], clv_out: str | None) -> dict:
    import numpy as np
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    np.random.seed(common.SEED)
    timer = common.Timer()
    out: dict = {"side": "lifetimes"}
    summary = timer("summary", _summary, log_path)
    out["n_customers"] = len(summary)
    f, r, T = summary["frequency"], summary["recency"], summary["T"]
    bg = None
    if "bgnbd" in steps or "clv" in steps:
        bg = timer("bgnbd", BetaGeoFitter().fit, f, r, T)
        out["bgnbd"] = {
            "params": bg.params_.to_dict(),
            "loglik": -bg._negative_log_likelihood_ * len(summary),
        }
    if "paretonbd" in steps:
        pn = timer("paretonbd", ParetoNBDFitter().fit, f, r, T)
        # lifetimes minimises -sum(ll) / mean(weights): with unit weights the total
        out["paretonbd"] = {"params": pn.params_.to_dict(), "loglik": -pn._negative_log_likelihood_}
    gg = None
    if "gammagamma" in steps or "clv" in steps:

        def fit_gg():
            repeat = summary[summary["frequency"] > 0]
            return GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])

        gg = timer("gammagamma", fit_gg)
        n_repeat = int((summary["frequency"] > 0).sum())
        params = gg.params_.rename({"v": "gamma"}).to_dict()
        out["gammagamma"] = {"params": params, "loglik": -gg._negative_log_likelihood_ * n_repeat}
    if "clv" in steps:
        monthly = (1 + common.ANNUAL_DISCOUNT) ** (1 / 12) - 1

        def clv_fn():
            return gg.customer_lifetime_value(
                bg,
                f,
                r,
                T,
                summary["monetary_value"],
                time=12 * common.HORIZON_YEARS,
                discount_rate=monthly,
                freq="W",
            )

        clv = timer("clv", clv_fn).to_numpy()
        out["clv"] = {"mean": float(np.mean(clv)), "sum": float(np.sum(clv))}
        if clv_out:
            np.save(clv_out, clv)
    out["seconds"] = timer.seconds
    out["cpu_seconds"] = timer.cpu_seconds
    out["peak_rss_mb"] = common.peak_rss_mb()
    return out


def evaluate(log_path: str, params_path: str) -> dict:
    """lifetimes' log-likelihood (totals) at each parameter set, on lifetimes' own summary."""
    import numpy as np
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    summary = _summary(log_path)
    x = summary["frequency"].to_numpy().astype(int)
    tx = summary["recency"].to_numpy()
    T = summary["T"].to_numpy()
    w = np.ones(len(x))
    repeat = x > 0
    xr = x[repeat].astype(float)
    mr = summary["monetary_value"].to_numpy()[repeat]
    wr = np.ones(repeat.sum())
    sets = common.read_json(params_path)
    out = {}
    for label, models in sets.items():
        res = {}
        if "bgnbd" in models:
            p = models["bgnbd"]
            lp = np.log([p["r"], p["alpha"], p["a"], p["b"]])
            res["bgnbd"] = -BetaGeoFitter._negative_log_likelihood(lp, x, tx, T, w, 0.0) * len(x)
        if "paretonbd" in models:
            p = models["paretonbd"]
            pp = np.array([p["r"], p["alpha"], p["s"], p["beta"]])
            res["paretonbd"] = -ParetoNBDFitter._negative_log_likelihood(pp, x, tx, T, w, 0.0)
        if "gammagamma" in models:
            p = models["gammagamma"]
            lp = np.log([p["p"], p["q"], p["gamma"]])
            res["gammagamma"] = -GammaGammaFitter._negative_log_likelihood(
                lp, xr, mr, wr, 0.0
            ) * len(xr)
        out[label] = {k: float(v) for k, v in res.items()}
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("out")
    parser.add_argument("--steps", nargs="+", default=common.STEPS, choices=common.STEPS)
    parser.add_argument("--clv-out", default=None)
    parser.add_argument("--eval", default=None, metavar="PARAMS.json")
    parser.add_argument("--summary-out", default=None, help="save lifetimes' summary (Parquet)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.eval:
        common.write_json(args.out, evaluate(args.log, args.eval))
        return
    if args.summary_out:
        _summary(args.log).to_parquet(args.summary_out)
        return
    common.write_json(args.out, run(args.log, args.steps, args.clv_out))


if __name__ == "__main__":
    main()
