"""Reference outputs of the summary, the model fits and the CLV, stored in tests/data/fit_reference.

Written by the code before the end-to-end comparison with lifetimes was made
fast (issue 21); tests/test_fit_reference.py compares today's output with
them. Rewrite them only when a change of values is intended, and say why in
the commit:

    .venv/bin/python tests/fit_reference.py

Cases: CDNOW's sample (data/raw), a log simulated as the benchmark's
(bench/make_data.py: BG/NBD with CDNOW-like weekly parameters, daily dates,
rows in date order; 10,000 customers) and a summary without dropout (every
repeat buyer bought at the end of her window: the count models' boundary
fit, where the NBD check decides).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE_DIR = Path(__file__).parent / "data" / "fit_reference"
#: the benchmark's study (bench/common.py), on fewer customers
BENCH = {
    "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "spend": {"p": 6.0, "q": 4.0, "gamma": 15.0},
    "acquisition": ("2023-01-01", "2023-03-31"),
    "observation_end": "2024-03-31",
    "seed": 20240331,
}
N_SIMULATED = 10_000
#: the CLV settings of the benchmark
CLV = {"horizon_years": 3, "annual_discount_rate": 0.10}


def cdnow_log() -> pd.DataFrame:
    from analysis import data

    return data.load_cdnow(sample=True)


def simulated_log() -> pd.DataFrame:
    from analysis.simulate.btyd import simulate_bgnbd

    sim = simulate_bgnbd(
        N_SIMULATED,
        **BENCH["params"],
        **BENCH["spend"],
        time_unit="W",
        acquisition_start=BENCH["acquisition"][0],
        acquisition_end=BENCH["acquisition"][1],
        observation_end=BENCH["observation_end"],
        floor_dates=True,
        seed=BENCH["seed"],
    )
    tx = sim.transactions[["customer_id", "date", "amount"]]
    order = np.argsort(tx["date"].to_numpy(), kind="stable")  # date order, as a log arrives
    return tx.iloc[order].reset_index(drop=True)


def no_dropout_summary() -> pd.DataFrame:
    """Poisson purchases at gamma rates, nobody dropping out, every last purchase at T."""
    rng = np.random.default_rng(5)
    n = 3000
    T = rng.uniform(20.0, 40.0, n)
    x = rng.poisson(rng.gamma(0.8, 1.0 / 6.0, n) * T)
    return pd.DataFrame({"frequency": x, "recency": np.where(x > 0, T, 0.0), "T": T})


def logs() -> dict[str, tuple[pd.DataFrame, str | None]]:
    """Case name -> (log, observation_end)."""
    return {
        "cdnow_sample": (cdnow_log(), None),
        "simulated": (simulated_log(), BENCH["observation_end"]),
    }


def summaries() -> dict[str, pd.DataFrame]:
    """Case name -> the weekly summary (pandas engine), and the no-dropout summary."""
    from analysis import rfm

    out = {
        name: rfm.summarize(log, time_unit="W", observation_end=end)
        for name, (log, end) in logs().items()
    }
    out["no_dropout"] = no_dropout_summary()
    return out


def fit_record(model) -> dict:
    """What a fit gives: estimates, log-likelihood, standard errors, boundary verdict."""
    return {
        "params": {k: float(v) for k, v in model.params.items()},
        "loglik": float(model.loglik),
        "std_errors": {k: float(v) for k, v in model.standard_errors.items()},
        "boundary": sorted(model.boundary),
        "boundary_note": model.boundary_note,
    }


def count_models() -> dict:
    from analysis.models import BetaGeo, ModifiedBetaGeo, ParetoNBD

    return {"bgnbd": BetaGeo, "mbgnbd": ModifiedBetaGeo, "paretonbd": ParetoNBD}


def compute(summary: pd.DataFrame, with_spend: bool) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Fits (records) and per-customer predictions (frames) on one summary."""
    from analysis.clv import customer_lifetime_value
    from analysis.models import GammaGamma

    fits, frames = {}, {}
    fitted = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, cls in count_models().items():
            model = cls().fit(summary, time_unit="W")
            fitted[name] = model
            fits[name] = fit_record(model)
            frames[name] = pd.DataFrame(
                {
                    "p_alive": model.p_alive(summary),
                    "expected_purchases": model.expected_purchases(summary, t=52.0),
                }
            )
        if with_spend:
            spend = GammaGamma().fit(summary[summary["frequency"] > 0])
            fits["gammagamma"] = fit_record(spend)
            for name in ("bgnbd", "paretonbd"):
                frames[f"clv_{name}"] = customer_lifetime_value(
                    fitted[name], spend, summary, time_unit="W", **CLV
                )
    return fits, frames


def write() -> None:
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    record = {}
    for case, summary in summaries().items():
        with_spend = "monetary_value" in summary.columns
        if with_spend:
            summary.to_parquet(REFERENCE_DIR / f"{case}_summary.parquet")
        fits, frames = compute(summary, with_spend)
        record[case] = fits
        for name, frame in frames.items():
            frame.to_parquet(REFERENCE_DIR / f"{case}_{name}.parquet")
        print(case, len(summary), sorted(frames))
    (REFERENCE_DIR / "fits.json").write_text(json.dumps(record, indent=1, sort_keys=True))


if __name__ == "__main__":
    sys.exit(write())
