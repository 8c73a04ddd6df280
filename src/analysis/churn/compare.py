"""Do the scores rank who goes quiet? AUC and top-share lift per score and population, with bootstrap differences.

:func:`compare_scores` takes several scores of the same customers (higher =
more at risk) and the outcome (True = no purchase in the holdout), and
gives, per population (every customer, and each group asked for, e.g. the
valuable tiers) and per score, the AUC (:func:`analysis.churn.auc`) and the
lift of the top ``top`` share (:func:`analysis.churn.top_lift`), with the
difference in AUC and lift to a reference score and a bootstrap interval of
each difference (customers resampled with replacement, the same draws for
every score, so the differences are paired; ``np.random.default_rng(seed)``).
:func:`comparison_scores` builds the simple scores of a customer table;
:func:`reliability_table` sets predicted probabilities against observed
shares, by quantile bin of the prediction (the reliability diagram's data).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit

from ..errors import DataValidationError
from ..ranks import rank_auc
from .metrics import auc, top_lift
from .warning import warning_score

__all__ = ["SIMPLE_SCORES", "comparison_scores", "compare_scores", "reliability_table"]
__all__ += ["LIST_PROBABILITIES", "ListScore", "calibration_check", "list_score"]

#: the simple scores of a customer table, each oriented so that higher = more at risk
SIMPLE_SCORES: dict[str, str] = {
    "expected_purchases": "minus the expected purchases in the next period",
    "p_alive": "1 - P(alive)",
    "days_since_last": "days since the last purchase",
    "overdue": "days since the last purchase / own purchase cycle (the median cycle without one)",
    "warning_score": "the hand-weighted early-warning score (analysis.churn.warning_score)",
}


def comparison_scores(table: pd.DataFrame, **extra: pd.Series) -> pd.DataFrame:
    """The simple scores of :data:`SIMPLE_SCORES` for every customer, plus any ``extra`` ones.

    Parameters
    ----------
    table : DataFrame
        The customer table at the cut the scores rank from.
    **extra : Series
        Further scores by name (e.g. ``risk=...``), indexed like ``table``.

    Returns
    -------
    DataFrame
        One column per score, higher = more at risk, indexed like ``table``.
    """
    cycle = table["purchase_cycle_days"].astype(float)
    fill = float(cycle.median()) if cycle.notna().any() else 1.0
    out = pd.DataFrame(
        {
            "expected_purchases": -table["expected_purchases_period"].astype(float),
            "p_alive": 1.0 - table["p_alive"].astype(float),
            "days_since_last": table["days_since_last"].astype(float),
            "overdue": table["days_since_last"].astype(float) / cycle.fillna(fill).clip(lower=1.0),
            "warning_score": warning_score(table),
        },
        index=table.index,
    )
    for name, score in extra.items():
        out[name] = score.reindex(table.index).astype(float)
    return out


def reliability_table(predicted, observed, *, calibrated=None, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed share, by quantile bin of the prediction.

    Returns
    -------
    DataFrame
        ``bin`` (1 = lowest predictions), ``customers``, ``predicted``
        (mean), ``calibrated`` (mean of ``calibrated``, else ``predicted``),
        ``observed`` (share of the outcome).
    """
    p = np.asarray(predicted, dtype=float)
    y = np.asarray(observed, dtype=float)
    c = p if calibrated is None else np.asarray(calibrated, dtype=float)
    ranks = pd.Series(p).rank(method="first").to_numpy()
    b = np.minimum((ranks - 1) * bins // len(p), bins - 1).astype(int) + 1
    frame = pd.DataFrame({"bin": b, "predicted": p, "calibrated": c, "observed": y})
    out = frame.groupby("bin").agg(
        customers=("observed", "size"),
        predicted=("predicted", "mean"),
        calibrated=("calibrated", "mean"),
        observed=("observed", "mean"),
    )
    return out.reset_index()


def calibration_check(log_odds, outcome) -> dict:
    """How far predicted probabilities are off: the Platt fit of the outcome on their log-odds.

    Parameters
    ----------
    log_odds : array-like of float
        The predictions on the log-odds scale.
    outcome : array-like of bool
        What happened.

    Returns
    -------
    dict
        ``intercept`` and ``slope`` of ``Logit(outcome ~ 1 + log_odds)`` (0
        and 1 for calibrated predictions; a slope below 1 means too extreme),
        ``mean_predicted``, ``observed`` (share), ``brier_raw`` and
        ``brier_calibrated`` (mean squared error before and after the fit).
    """
    z = np.asarray(log_odds, dtype=float)
    y = np.asarray(outcome, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.Logit(y, sm.add_constant(z, has_constant="add")).fit(disp=0)
    a, b = (float(v) for v in res.params)
    p, cal = expit(z), expit(a + b * z)
    return {
        "intercept": a,
        "slope": b,
        "mean_predicted": float(p.mean()),
        "observed": float(y.mean()),
        "brier_raw": float(np.mean((p - y) ** 2)),
        "brier_calibrated": float(np.mean((cal - y) ** 2)),
    }


def _interval(draws: np.ndarray, tail: float) -> tuple[float, float]:
    ok = draws[np.isfinite(draws)]
    if not len(ok):
        return np.nan, np.nan
    low, high = np.quantile(ok, [tail, 1 - tail])
    return float(low), float(high)


def _lift(values: np.ndarray, labels: np.ndarray, top: float) -> float:
    return top_lift(values, labels, top)["lift"]


def compare_scores(
    scores: pd.DataFrame,
    inactive: pd.Series,
    *,
    groups: Mapping[str, pd.Series] | None = None,
    reference: str | None = None,
    top: float = 0.1,
    n_boot: int = 200,
    level: float = 0.9,
    seed: int = 0,
) -> pd.DataFrame:
    """AUC and top-share lift of every score, per population, with bootstrap differences.

    Parameters
    ----------
    scores : DataFrame
        Customers x scores, higher = more at risk, indexed by ``customer_id``.
    inactive : Series of bool
        True when the customer made no purchase in the holdout; every
        customer of ``scores`` needs a value.
    groups : mapping of str to bool Series, optional
        Further populations (e.g. ``{"valuable": mask}``) besides ``"all"``.
    reference : str, optional
        The score the others are compared with; by default the best simple
        score of each population by AUC among the columns other than the
        last (the last column is taken to be the challenger, e.g. ``risk``).
    top : float
        The top share for the lift (0.1: the top decile).
    n_boot : int
        Bootstrap resamples of the customers (0: no intervals).
    level : float
        The level of the intervals (0.9: the 5th to 95th percentiles).
    seed : int
        Seed of ``np.random.default_rng`` for the resamples.

    Returns
    -------
    DataFrame
        Index ``(population, score)``: ``customers``, ``inactive_share``,
        ``auc``, ``lift``, ``reference``, ``auc_diff`` (score - reference),
        ``auc_diff_low``, ``auc_diff_high``, ``lift_diff``,
        ``lift_diff_low``, ``lift_diff_high``. ``attrs``: ``top``,
        ``n_boot``, ``level``, ``seed``.
    """
    if scores.shape[1] < 1:
        raise DataValidationError("scores has no column; pass one column per score")
    missing = scores.index.difference(inactive.dropna().index)
    if len(missing):
        raise DataValidationError(
            f"inactive has no value for {len(missing)} customer(s) of scores (e.g. "
            f"{list(missing[:5])}); give every customer True or False"
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    y_all = inactive.reindex(scores.index).astype(bool)
    populations = {"all": pd.Series(True, index=scores.index)}
    for name, mask in (groups or {}).items():
        populations[name] = mask.reindex(scores.index).fillna(False).astype(bool)
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    rows = []
    for pop, mask in populations.items():
        s = scores.loc[mask.to_numpy()]
        y = y_all.loc[mask.to_numpy()].to_numpy()
        if len(y) == 0 or y.all() or not y.any():
            continue
        values = {c: s[c].to_numpy(dtype=float) for c in s.columns}
        aucs = {c: auc(values[c], y) for c in s.columns}
        lifts = {c: _lift(values[c], y, top) for c in s.columns}
        candidates = list(s.columns[:-1]) if s.shape[1] > 1 else list(s.columns)
        ref = reference if reference is not None else max(candidates, key=lambda c: aucs[c])
        if ref not in s.columns:
            raise ValueError(f"reference {ref!r} is not a column of scores {list(s.columns)}")
        boot_auc = {c: np.full(n_boot, np.nan) for c in s.columns}
        boot_lift = {c: np.full(n_boot, np.nan) for c in s.columns}
        for b in range(n_boot):
            idx = rng.integers(0, len(y), len(y))
            yb = y[idx]
            if yb.all() or not yb.any():
                continue
            for c in s.columns:
                boot_auc[c][b] = rank_auc(values[c][idx], yb)
                boot_lift[c][b] = _lift(values[c][idx], yb, top)
        for c in s.columns:
            da = boot_auc[c] - boot_auc[ref]
            dl = boot_lift[c] - boot_lift[ref]
            da_low, da_high = _interval(da, tail)
            dl_low, dl_high = _interval(dl, tail)
            rows.append(
                {
                    "population": pop,
                    "score": c,
                    "customers": int(len(y)),
                    "inactive_share": float(y.mean()),
                    "auc": aucs[c],
                    "lift": lifts[c],
                    "reference": ref,
                    "auc_diff": aucs[c] - aucs[ref],
                    "auc_diff_low": da_low,
                    "auc_diff_high": da_high,
                    "lift_diff": lifts[c] - lifts[ref],
                    "lift_diff_low": dl_low,
                    "lift_diff_high": dl_high,
                }
            )
    if not rows:
        raise DataValidationError(
            "no population has both outcomes (quiet and active customers), so no score can "
            "be judged"
        )
    out = pd.DataFrame(rows).set_index(["population", "score"])
    out.attrs = {"top": top, "n_boot": n_boot, "level": level, "seed": seed}
    return out


#: the probabilities of going quiet a loss list can rank by, and what each is
LIST_PROBABILITIES: dict[str, str] = {
    "risk": "the learned risk (analysis.churn.fit_inactivity_risk)",
    "p_quiet": "the count model's probability of no purchase within the horizon "
    "(analysis.churn.p_quiet)",
    "p_alive": "1 - P(alive): the count model's probability that the customer has already gone",
}
#: the probability that stands for a score that is not one: the same model's, same ranking
_COUNTERPART: dict[str, str] = {
    "risk": "risk",
    "p_quiet": "p_quiet",
    "expected_purchases": "p_quiet",
    "p_alive": "p_alive",
}


@dataclass(frozen=True)
class ListScore:
    """The score a comparison found best, and the probability a loss list uses for it.

    Attributes
    ----------
    population : str
        The population judged (``"valuable"`` when the comparison has it).
    best : str
        The score with the highest AUC there.
    best_auc : float
        Its AUC.
    use : str
        The probability the list uses, a key of :data:`LIST_PROBABILITIES`.
    use_auc : float
        Its AUC in the same population.
    counterpart : bool
        True when ``use`` is not ``best`` itself but the probability standing for it.
    """

    population: str
    best: str
    best_auc: float
    use: str
    use_auc: float
    counterpart: bool


def list_score(comparison: pd.DataFrame, population: str = "valuable") -> ListScore:
    """Which probability of going quiet a loss list should use, by the comparison's AUC.

    The rule: take the score with the highest AUC in ``population`` (the
    valuable customers, whom the list is about; ``"all"`` when the
    comparison has no such population). A probability (the learned ``risk``,
    ``p_quiet``) is used as it is; a score that is not a probability is
    replaced by the probability of the same model that ranks like it
    (expected purchases by ``p_quiet``, P(alive) by ``1 - P(alive)``); a
    score with no such counterpart (days since the last purchase, the
    overdue ratio, the warning score) by the better, in the same AUC, of
    ``risk`` and ``p_quiet``.

    Parameters
    ----------
    comparison : DataFrame
        :func:`compare_scores` (index ``population, score``; ``auc``).
    population : str
        The population that decides.

    Returns
    -------
    ListScore
    """
    pops = comparison.index.get_level_values("population")
    if population not in set(pops):
        population = "all"
    auc_of = comparison.xs(population, level="population")["auc"].astype(float)
    best = str(auc_of.idxmax())
    use = _COUNTERPART.get(best)
    if use is None or use not in auc_of.index:
        probabilities = [s for s in ("risk", "p_quiet") if s in auc_of.index]
        if not probabilities:
            raise DataValidationError(
                f"the comparison holds no probability of going quiet ({list(auc_of.index)}); "
                "add the learned risk or p_quiet to the scores"
            )
        use = max(probabilities, key=lambda s: auc_of[s])
    return ListScore(
        population=population,
        best=best,
        best_auc=float(auc_of[best]),
        use=use,
        use_auc=float(auc_of[use]),
        counterpart=use != best,
    )
