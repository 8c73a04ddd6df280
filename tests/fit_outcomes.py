"""The outcome of a fit as a fact about the data: what the perturbation tests compare.

A fit's outcome is its class (fitted, a boundary or ridge fit naming the parameters it does
not identify, degenerate data, or an error) and, where identified, its estimates, which
:func:`same_outcome` compares to four significant figures (a relative difference of at
most 1e-4: rounding both to four figures would call 4.15449 and 4.15451 different). For a ridge (a pair flagged together) the pair's mean is identified
(``model.identified_means``) and compared instead of the two parameters. Used by tests/test_fit_stability.py, in this
process and in subprocesses that select another OpenBLAS kernel.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis import config, data, rfm, simulate
from analysis.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    ConvergenceError,
    DegenerateDataError,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)
from analysis.models.shifted_beta_geo import RETENTION_EXAMPLE

COUNT_MODELS = {"BG/NBD": BetaGeo, "MBG/NBD": ModifiedBetaGeo, "Pareto/NBD": ParetoNBD}
EPS = 1e-12


#: "the same to four significant figures"
REL_TOL = 1e-4


def same_outcome(a: tuple, b: tuple) -> bool:
    """True when two outcomes have the same class and estimates within :data:`REL_TOL`."""
    (label_a, est_a), (label_b, est_b) = a, b
    if label_a != label_b or [k for k, _ in est_a] != [k for k, _ in est_b]:
        return False
    return all(
        abs(float(x) - float(y)) <= REL_TOL * max(abs(float(x)), abs(float(y)))
        for (_, x), (_, y) in zip(est_a, est_b, strict=True)
    )


def outcome(model_cls, frame: pd.DataFrame) -> tuple:
    """(class, identified estimates) of ``model_cls().fit(frame)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = model_cls().fit(frame)
        except DegenerateDataError:
            return ("degenerate data", ())
        except ConvergenceError as err:
            return ("error", (type(err).__name__,))
    flagged = set(model.boundary)
    estimates = [(k, float(v)) for k, v in model.params.items() if k not in flagged]
    # a ridge leaves the pair's mean identified (model.identified_means); a boundary such as
    # "no dropout" (the NBD) does not: the dropout parameters run to zero, not along a ridge
    estimates += [(k, float(v)) for k, v in sorted(model.identified_means.items())]
    label = "fitted" if not flagged else "not identified: " + ", ".join(sorted(flagged))
    return (label, tuple(estimates))


def perturbed(frame: pd.DataFrame, columns: tuple[str, ...], how: str, seed: int = 0):
    """``frame`` with ``columns`` scaled by 1 +- 1e-12 (how = "up"/"down") or its rows permuted."""
    out = frame.copy()
    if how == "up" or how == "down":
        factor = 1 + EPS if how == "up" else 1 - EPS
        for col in columns:
            out[col] = out[col].to_numpy(dtype=float) * factor
        if "recency" in columns and "T" in columns:
            # recency <= T survives the scaling (both scaled alike); clip the rounding
            out["recency"] = np.minimum(out["recency"], out["T"])
        return out
    if how == "permuted":
        order = np.random.default_rng(seed).permutation(len(out))
        return out.iloc[order]
    raise ValueError(how)


PERTURBATIONS = ("up", "down", "permuted")


# ----- the logs the suite fits -----------------------------------------------------------------
def weekly_summary(transactions: pd.DataFrame, observation_end=None) -> pd.DataFrame:
    summary = rfm.summarize(transactions, "W", observation_end=observation_end)
    return summary[["frequency", "recency", "T", "monetary_value"]]


def log_summary(name: str) -> pd.DataFrame:
    """The whole-period weekly summary of one of the logs the suite fits."""
    if name == "cdnow_sample":
        return weekly_summary(data.load_cdnow(sample=True), "1998-06-30")
    if name == "cdnow":
        return weekly_summary(data.load_cdnow(), "1998-06-30")
    if name == "cdnow_sample_calibration":
        summary = rfm.summarize(
            data.load_cdnow(sample=True),
            "W",
            observation_end="1998-06-30",
            calibration_end="1997-09-30",
        )
        return summary[["frequency", "recency", "T", "monetary_value"]]
    if name == "synthetic":
        # notebooks/params/synthetic.yaml's log: the lifecycle simulator, seed 3
        drawn = simulate.simulate_lifecycle(
            n_customers=2000, n_periods=24, seed=3, start="2020-01-01"
        )
        return weekly_summary(drawn.transactions, "2021-12-31")
    if name.startswith("corpus:"):
        # a log of the edge-case corpus (analysis.simulate.corpus), in its standard columns
        from analysis.simulate import corpus

        spec = corpus.LOGS[name.split(":", 1)[1]]
        log = spec.draw(np.random.default_rng(spec.seed))
        log = log[log["amount"] > 0] if spec.amount is not None else log.assign(amount=1.0)
        return weekly_summary(log.assign(date=log["date"].dt.normalize()))
    if name == "apparel":
        path = config.PROJECT_ROOT / "data" / "raw" / "apparel" / "transactions.csv"
        log = data.load_transactions(path, returns="drop")
        return weekly_summary(log)
    raise KeyError(name)


def spend_frame(summary: pd.DataFrame) -> pd.DataFrame:
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    return repeat[["frequency", "monetary_value"]]


def outcomes_of_log(name: str, models=None, perturbations=("none", *PERTURBATIONS)) -> dict:
    """Every model's outcome on one log, under each perturbation: {(model, how): outcome}."""
    summary = log_summary(name)
    out = {}
    for model_name, cls in COUNT_MODELS.items():
        if models is not None and model_name not in models:
            continue
        base = summary[["frequency", "recency", "T"]]
        for how in perturbations:
            frame = base if how == "none" else perturbed(base, ("recency", "T"), how)
            out[(model_name, how)] = outcome(cls, frame)
    if models is None or "Gamma-Gamma" in models:
        base = spend_frame(summary)
        for how in perturbations:
            frame = base if how == "none" else perturbed(base, ("monetary_value",), how)
            out[("Gamma-Gamma", how)] = outcome(GammaGamma, frame)
    return out


def discrete_outcomes(perturbations=("none", "permuted")) -> dict:
    """BG/BB on the donations and sBG on the published retention curves, rows permuted."""
    out = {}
    donations = data.load_donations()
    for how in perturbations:
        frame = donations if how == "none" else perturbed(donations, (), how)
        out[("BG/BB", how)] = outcome(BetaGeoBetaBinom, frame)
    for cohort in RETENTION_EXAMPLE:
        contracts = ShiftedBetaGeo.data_from_survival(RETENTION_EXAMPLE[cohort].iloc[:8])
        for how in perturbations:
            frame = contracts if how == "none" else perturbed(contracts, (), how)
            out[(f"sBG {cohort}", how)] = outcome(ShiftedBetaGeo, frame)
    return out
