"""Readings of report 3's section on customer attributes and season.

:func:`covariate_table` is the comparison of :func:`analysis.clv.covariate_comparison`
as the report shows it; :func:`covariate_verdict` judges, on the values *as
shown*, whether a model with attributes or a season predicts the holdout
better than the plain models (lower MAE), and which variants fit the
calibration significantly better (likelihood-ratio test); :func:`covariate_reading`
says it in words. :func:`ratio_table` and :func:`ratio_reading` show the
coefficients as rate ratios with their intervals ("customers with channel 1
buy 1.40 times as often (1.10-1.80)").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tables.format import FormattedTable, p_value
from ._format import cap, join_and
from .findings import Finding

__all__ = [
    "SIGNIFICANCE",
    "covariate_table",
    "covariate_verdict",
    "covariate_reading",
    "ratio_table",
    "ratio_reading",
    "quarter_reading",
    "covariate_finding",
]

#: a variant fits significantly better than its plain model below this p-value
SIGNIFICANCE = 0.05
_PROCESS_WORDS = {
    "purchase": "buy {r} times as often",
    "dropout": "drop out at {r} times the rate",
    "spend": "spend {r} times as much per purchase",
}


def _mae(x: float) -> str:
    return f"{x:.3f}"


def _bias(x: float) -> str:
    shown = f"{100 * x:+.1f}%"
    return "0.0%" if shown in ("+0.0%", "-0.0%") else shown


def _lr(row: pd.Series) -> str:
    if not np.isfinite(row["lr_statistic"]):
        return "—"
    return f"{row['lr_statistic']:.1f} on {int(row['lr_df'])} df, p {_p(row['lr_p_value'])}"


def _p(p: float) -> str:
    shown = p_value(p)
    return shown if shown.startswith("<") else f"= {shown}"


def covariate_table(comparison: pd.DataFrame) -> FormattedTable:
    """The comparison as shown: covariates, parameters, log-likelihood and AIC (one decimal),
    the likelihood-ratio test against the plain model, holdout MAE (purchases per customer,
    three decimals) and total bias (signed percentage)."""
    out = pd.DataFrame(
        {
            "covariates": comparison["covariates"],
            "parameters": comparison["parameters"].astype(int).astype(str),
            "log-likelihood": comparison["loglik"].map(lambda x: f"{x:,.1f}"),
            "AIC": comparison["aic"].map(lambda x: f"{x:,.1f}"),
            "LR test vs plain": comparison.apply(_lr, axis=1),
            "holdout MAE": comparison["mae"].map(_mae),
            "holdout bias": comparison["bias"].map(_bias),
        },
        index=comparison.index,
    )
    return FormattedTable(out)


def covariate_verdict(comparison: pd.DataFrame) -> dict:
    """Whether attributes or a season beat the plain models on the holdout, as the table shows.

    Returns
    -------
    dict
        ``best_plain`` (the plain model with the lowest MAE as shown, the first
        on a tie), ``plain_mae``, ``best`` (the model with the lowest MAE as
        shown; a plain model wins a tie), ``best_mae``, ``beats`` (``best`` is a
        variant: its MAE is below every plain model's), ``significant`` (the
        variants whose likelihood-ratio p-value is below :data:`SIGNIFICANCE`),
        ``not_significant`` (the others), ``variants`` (every variant).
    """
    shown = comparison["mae"].round(3)
    plain = comparison["lr_statistic"].isna()
    if not plain.any():
        raise ValueError("the comparison has no plain model to judge the variants against")
    best_plain = shown[plain].idxmin()
    order = list(comparison.index[plain]) + list(comparison.index[~plain])
    best = shown.reindex(order).idxmin()  # the first of the lowest: plain models come first
    variants = list(comparison.index[~plain])
    significant = [v for v in variants if comparison.loc[v, "lr_p_value"] < SIGNIFICANCE]
    return {
        "best_plain": best_plain,
        "plain_mae": float(shown[best_plain]),
        "best": best,
        "best_mae": float(shown[best]),
        "beats": best != best_plain and not plain[best],
        "significant": significant,
        "not_significant": [v for v in variants if v not in significant],
        "variants": variants,
    }


def covariate_reading(
    comparison: pd.DataFrame, *, valuation_model: str, not_fitted: dict | None = None
) -> str:
    """The section's verdict: does a model with attributes or a season predict the holdout better?

    Parameters
    ----------
    comparison : DataFrame
        :func:`analysis.clv.covariate_comparison`.
    valuation_model : str
        The customer table's model (it takes no covariates).
    not_fitted : dict, optional
        Variant -> why it is not in the table.

    Returns
    -------
    str
        Markdown: the holdout verdict in bold with the MAEs as shown, the
        likelihood-ratio result, the variants not fitted, and one sentence on
        the valuation.
    """
    v = covariate_verdict(comparison)
    bias = comparison["bias"]
    if not v["variants"]:
        first = "**No model with covariates could be fitted**, so the plain models stand."
    elif v["beats"]:
        first = (
            f"**{v['best']} predicts the holdout best**: MAE {_mae(v['best_mae'])} purchases "
            f"per customer against {_mae(v['plain_mae'])} for the best plain model, "
            f"{v['best_plain']} (total bias {_bias(bias[v['best']])} against "
            f"{_bias(bias[v['best_plain']])})."
        )
    else:
        first = (
            "**The covariates do not help on the holdout**: no model with them has a lower MAE "
            f"than the plain {v['best_plain']} ({_mae(v['plain_mae'])} purchases per customer)."
        )
    if not v["variants"]:
        second = ""
    elif not v["not_significant"]:
        second = (
            f"In the calibration data every variant fits significantly better than its plain "
            f"model (likelihood-ratio test, p < {SIGNIFICANCE})."
        )
    elif not v["significant"]:
        second = (
            f"In the calibration data no variant fits significantly better than its plain "
            f"model (likelihood-ratio test, p >= {SIGNIFICANCE})."
        )
    else:
        second = (
            f"In the calibration data {join_and(v['significant'])} fit significantly better "
            f"than their plain model (likelihood-ratio test, p < {SIGNIFICANCE}); "
            f"{join_and(v['not_significant'])} do not."
        )
    missing = [f"{name} could not be fitted ({why})." for name, why in (not_fitted or {}).items()]
    if v["beats"]:
        last = (
            f"The customer table still values with the plain {valuation_model}: the valuation "
            "does not take covariates yet."
        )
    else:
        last = (
            f"The customer table stays on the plain {valuation_model}: the holdout shows no gain "
            "from the covariates."
        )
    return " ".join(p for p in [first, second, *missing, last] if p)


def _interval(row: pd.Series) -> str:
    return f"{row['ratio']:.2f} ({row['lower']:.2f}-{row['upper']:.2f})"


def ratio_table(ratios: pd.DataFrame) -> FormattedTable:
    """Rate ratios as shown: process, covariate, ratio with its interval (two decimals)."""
    out = pd.DataFrame(
        {
            "process": ratios["process"].astype(str),
            "covariate": ratios["covariate"].astype(str),
            "rate ratio (95% interval)": ratios.apply(_interval, axis=1),
        }
    ).set_index(["process", "covariate"])  # the rows named, not numbered
    return FormattedTable(out)


def _who(covariate: str, binary: bool, periods: bool = False) -> str:
    if periods:  # a calendar covariate: the same for every customer, it marks periods
        return (
            f"in {covariate} periods customers" if binary else f"per unit of {covariate}, customers"
        )
    if "=" in covariate:  # a level of a text attribute (analysis.attributes)
        name, level = covariate.split("=", 1)
        return f"customers with {name} {level}"
    return f"customers with {covariate} 1" if binary else f"per unit of {covariate}, customers"


def _ratio_words(row: pd.Series, binary: set, calendar: set) -> str:
    """One rate ratio in words with its interval, as the ratio table shows it."""
    words = _PROCESS_WORDS.get(str(row["process"]), "have {r} times the rate")
    if "odds" in str(row.get("meaning", "")):  # BG/NBD, MBG/NBD: dropout at a purchase
        words = "have {r} times the odds of dropping out at a purchase"
    name = str(row["covariate"])
    who = _who(name, name in binary, name in calendar)
    r = f"{row['ratio']:.2f}"
    return f"{who} {words.format(r=r)} ({row['lower']:.2f}-{row['upper']:.2f})"


def ratio_reading(
    ratios: pd.DataFrame, *, model: str, binary=(), calendar=(), level: float = 0.95
) -> str:
    """The rate ratios whose interval excludes 1, in words; and those that do not.

    Parameters
    ----------
    ratios : DataFrame
        ``process`` (purchase or dropout), ``covariate``, ``ratio``, ``lower``, ``upper``
        (:func:`analysis.models.rate_ratios`).
    model : str
        The model they come from.
    binary : collection of str
        The 0/1 covariates ("customers with channel 1"); others are read per unit.
    calendar : collection of str
        The calendar's covariates ("in high_season periods customers ...").
    level : float
        The intervals' level.
    """
    binary = set(binary)
    clear, unclear = [], []
    for _, row in ratios.iterrows():
        if row["lower"] > 1 or row["upper"] < 1:
            clear.append(_ratio_words(row, binary, set(calendar)))
        else:
            unclear.append(f"{row['covariate']} on {row['process']}")
    pct = f"{100 * level:.0f}%"
    if clear:
        text = f"In {model}, {'; '.join(clear)} (rate ratios, {pct} intervals)."
    else:
        text = f"In {model}, no rate ratio's {pct} interval excludes 1."
    if clear and unclear:
        text += f" The {pct} intervals of {join_and(unclear)} include 1 (no clear effect)."
    return text


def quarter_reading(by_quarter: pd.DataFrame) -> str:
    """How far each model misses the holdout's purchases quarter by quarter, and its worst quarter.

    Parameters
    ----------
    by_quarter : DataFrame
        :func:`analysis.clv.holdout_by_quarter`: ``actual`` and one column per model.

    Returns
    -------
    str
        Two sentences: each model's expected purchases in the busiest quarter
        (whole numbers, signed miss in percent); per model, the mean absolute
        relative miss over the quarters with purchases and its largest miss.
    """
    actual = by_quarter["actual"]
    judged = actual > 0
    if not judged.any():
        return "No calibration customer bought in the holdout: no quarter to compare."
    parts = []
    for name in by_quarter.columns.drop("actual"):
        miss = (by_quarter.loc[judged, name] / actual[judged] - 1.0).astype(float)
        worst = miss.abs().idxmax()
        parts.append(
            f"{name} by {100 * miss.abs().mean():.0f}% on average (most in {worst}: "
            f"{by_quarter.loc[worst, name]:,.0f} expected against {actual[worst]:,.0f}, "
            f"{100 * miss[worst]:+.0f}%)"
        )
    peak = actual.idxmax()
    at_peak = join_and(
        [
            f"{name} {by_quarter.loc[peak, name]:,.0f} "
            f"({100 * (by_quarter.loc[peak, name] / actual[peak] - 1):+.0f}%)"
            for name in by_quarter.columns.drop("actual")
        ]
    )
    return (
        f"In the busiest quarter, {peak} ({actual[peak]:,.0f} purchases), the models expect "
        f"{at_peak}. Quarter by quarter they miss the actual purchases: {'; '.join(parts)}."
    )


def _clear_ratios(ratios: dict, binary, calendar, most: int) -> list[tuple]:
    """The ratios whose interval excludes 1, at most ``most``: (model, words, ratio, process)."""
    found, seen = [], set()
    for model, frame in ratios.items():
        for _, row in frame.iterrows():
            key = (str(row["process"]), str(row["covariate"]))
            if key in seen or not (row["lower"] > 1 or row["upper"] < 1):
                continue  # a covariate in two models is quoted from the first
            seen.add(key)
            text = _ratio_words(row, binary, calendar)
            found.append((model, text, float(row["ratio"]), str(row["process"])))
    # purchase rates first (what a firm reads as "buy more"), each process strongest first
    found.sort(key=lambda x: (x[3] != "purchase", -abs(np.log(x[2]))))
    return found[:most]


def covariate_finding(
    comparison: pd.DataFrame,
    ratios: dict,
    *,
    valuation_model: str,
    binary=(),
    calendar=(),
    most: int = 2,
) -> Finding:
    """Report 3's finding on attributes and season: the clearest rate ratios and the holdout verdict.

    The verdict is :func:`covariate_verdict`'s (the section's own rule): a
    model with covariates "helps" when its MAE as shown is below every plain
    model's.

    Parameters
    ----------
    comparison : DataFrame
        :func:`analysis.clv.covariate_comparison`.
    ratios : dict
        Model -> its rate ratios as the section shows them (``process``,
        ``covariate``, ``ratio``, ``lower``, ``upper``).
    valuation_model : str
        The customer table's model (it takes no covariates).
    binary, calendar : collections of str
        As :func:`ratio_reading`.
    most : int
        The number of ratios quoted (among those whose interval excludes 1): purchase
        ratios first, each process's strongest first.

    Returns
    -------
    Finding
        Topic ``covariates``; verdict ``helps``, ``does not help`` or ``not fitted``.
    """
    v = covariate_verdict(comparison)
    clear = _clear_ratios(ratios, set(binary), set(calendar), most)
    numbers = {
        "best": v["best"],
        "best_mae": v["best_mae"],
        "best_plain": v["best_plain"],
        "plain_mae": v["plain_mae"],
        "ratios": {text: r for _, text, r, _ in clear},
    }
    said = f"{cap(join_and(c[1] for c in clear))}. " if clear else ""
    if not v["variants"]:
        return Finding(
            "covariates",
            "not fitted",
            numbers,
            f"No model with the customer attributes or the season could be fitted; "
            f"the valuation stays on the plain {valuation_model}.",
        )
    if v["beats"]:
        verdict = "helps"
        holdout = (
            f"On the holdout the error falls from {_mae(v['plain_mae'])} purchases per customer "
            f"(the best plain model, {v['best_plain']}) to {_mae(v['best_mae'])} "
            f"({v['best']}), but the valuation stays on the plain {valuation_model}, which "
            "takes no covariates."
        )
    else:
        verdict = "does not help"
        holdout = (
            f"On the holdout no model with covariates beats the plain {v['best_plain']} "
            f"({_mae(v['plain_mae'])} purchases per customer; the best with covariates, "
            f"{_best_variant(comparison, v)})"
            + (", though the rates differ" if clear else "")
            + f": the valuation stays on the plain {valuation_model}."
        )
    return Finding("covariates", verdict, numbers, said + holdout)


def _best_variant(comparison: pd.DataFrame, v: dict) -> str:
    shown = comparison.loc[v["variants"], "mae"].round(3)
    name = shown.idxmin()
    return f"{name}, {_mae(shown[name])}"
