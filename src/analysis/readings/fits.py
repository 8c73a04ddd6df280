"""Readings of the CLV report's model fits: the ranking, spend, boundary fits.

The check against the papers' published values is the reproduction report's
(:mod:`analysis.readings.reproduction`, with the tolerance of
:mod:`analysis.models.published`).

Each function takes the tables (or fitted models) a report section shows and
returns Markdown that states only what those numbers show: the words that
carry a direction or a verdict ("reproduce", "best", "equally well") are
chosen by comparing the numbers, never typed in for one dataset. The
notebooks display the result with ``IPython.display.Markdown``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..clv.spend import spend_correlation
from ..errors import NotComputable
from ._format import money

__all__ = ["fit_reading", "spend_fallback_note", "spend_reading"]

#: models whose log-likelihoods are closer than this fit "about equally well"
EQUAL_FIT_POINTS = 1.0

_UNIT_WORDS = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}


def _number(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def _spread_words(r: float) -> str:
    if r < 1:
        return (
            f"r = {r:.2f} < 1: the purchase rates are very unequal, most customers buy rarely and a "
            "few often"
        )
    return f"r = {r:.2f} >= 1: the purchase rates cluster around their mean"


def fit_reading(models: Mapping, *, time_unit: str | None = None) -> str:
    """How the fitted models compare, what they say about buying, and any boundary fit.

    Parameters
    ----------
    models : mapping of str to fitted model
        Display name -> fitted model (``loglik``, ``aic``, ``params``, ``boundary_note``).
    time_unit : str, optional
        The models' time unit, for the words ("weeks"); taken from the models when None.

    Returns
    -------
    str
        Markdown: the ranking by log-likelihood (with "about equally well" when
        the spread is under :data:`EQUAL_FIT_POINTS`), whether AIC agrees, the
        mean time between purchases and the spread of rates (BG/NBD or
        Pareto/NBD), and every boundary note in bold.
    """
    if not models:
        raise ValueError("fit_reading needs at least one fitted model")
    ll = pd.Series({name: float(m.loglik) for name, m in models.items()}).sort_values(
        ascending=False
    )
    aic = pd.Series({name: float(m.aic) for name, m in models.items()}).sort_values()
    ranking: list[str] = []
    if len(ll) > 1:
        spread = float(ll.iloc[0] - ll.iloc[-1])
        # differences of the values as shown (one decimal), so the reader's subtraction agrees
        shown = ll.round(1)
        behind = ", ".join(
            f"{name} {_number(shown.iloc[0] - value)} points lower"
            for name, value in shown.iloc[1:].items()
        )
        if spread < EQUAL_FIT_POINTS:
            ranking.append(
                f"The {len(ll)} models fit about equally well: their log-likelihoods are within "
                f"{spread:.2f} points of each other (best {ll.index[0]}, {_number(ll.iloc[0])})."
            )
        else:
            ranking.append(
                f"By log-likelihood {ll.index[0]} fits best ({_number(ll.iloc[0])}); {behind}."
            )
        same = list(aic.index) == list(ll.index)
        ranking.append(
            "AIC ranks them the same way."
            if same
            else f"AIC, which charges each parameter, ranks them {', '.join(aic.index)}."
        )
        ranking.append("In-sample fit alone does not choose between the models; the holdout can.")
    behaviour: list[str] = []
    first = next(iter(models.values()))
    unit = time_unit or getattr(first, "time_unit", None)
    words = _UNIT_WORDS.get(unit, "time units")
    for name, model in models.items():
        p = model.params
        if {"r", "alpha"} <= set(p.index) and not getattr(model, "boundary", {}).get("r"):
            r, alpha = float(p["r"]), float(p["alpha"])
            behaviour.append(
                f"While alive, the average customer buys about once every {alpha / r:.1f} {words} "
                f"({name}: alpha / r), and {_spread_words(r)}."
            )
            break
    notes = [
        f"**{name} is a boundary fit.** {model.boundary_note}"
        for name, model in models.items()
        if getattr(model, "boundary_note", "")
    ]
    paragraphs = [" ".join(ranking), " ".join(behaviour), *notes]
    return "\n\n".join(p for p in paragraphs if p)


def spend_reading(
    spend_model,
    repeat_buyers: pd.DataFrame,
    *,
    correlation_limit: float = 0.3,
    currency: str = "$",
) -> str:
    """The Gamma-Gamma section's reading: independence of frequency and spend, mean spend.

    Parameters
    ----------
    spend_model : fitted GammaGamma
    repeat_buyers : DataFrame
        The rows it was fitted on (``frequency``, ``monetary_value``).
    correlation_limit : float
        Largest absolute correlation of frequency and mean spend called "weak".
    currency : str
        Sign written before money.

    Returns
    -------
    str
        Markdown.
    """
    try:
        corr = float(spend_correlation(repeat_buyers).loc["frequency", "monetary_value"])
    except NotComputable:
        corr = float("nan")
    n = len(repeat_buyers)
    if not np.isfinite(corr):
        first = (
            f"The correlation of frequency and mean spend is not defined among the {n:,} repeat "
            "buyers (one of the two takes a single value), so the model's independence "
            "assumption cannot be checked on this log."
        )
    elif abs(corr) < correlation_limit:
        first = (
            f"Frequency and mean spend are weakly correlated among the {n:,} repeat buyers "
            f"({corr:.2f}, below {correlation_limit}), so the model's independence assumption is "
            "acceptable."
        )
    else:
        direction = "buy more often spend more" if corr > 0 else "buy more often spend less"
        first = (
            f"Frequency and mean spend are correlated among the {n:,} repeat buyers ({corr:.2f}): "
            f"customers who {direction} per purchase, against the model's independence "
            "assumption; read the CLV below with that bias in mind."
        )
    observed = float(repeat_buyers["monetary_value"].mean())
    model_mean = float(spend_model.population_mean_spend)
    gap = 100 * (model_mean - observed) / observed
    third = (
        f"The model's mean spend per purchase for a new customer is "
        f"{money(model_mean, currency)}, {abs(gap):.1f}% {'above' if gap > 0 else 'below'} the "
        f"observed mean of the repeat buyers ({money(observed, currency)})."
    )
    note = getattr(spend_model, "boundary_note", "")
    parts = [first, third] + ([f"**The spend model is a boundary fit.** {note}"] if note else [])
    return " ".join(p for p in parts if p)


def spend_fallback_note(value_per_purchase: float | None = None, *, currency: str = "$") -> str:
    """What replaces the Gamma-Gamma model of spend when it is not fitted on this log.

    ``value_per_purchase``: the fixed value of a purchase of a log without
    amounts (None when the log has amounts).
    """
    if value_per_purchase is not None:
        return (
            f"**Spend per purchase.** The log has no amounts: every purchase is worth "
            f"{money(value_per_purchase, currency)}, so the valuation needs no model of spend."
        )
    return (
        "**Spend per purchase without the model.** Each repeat buyer is valued at her own "
        "observed mean spend per repeat purchase, and every other customer at the repeat "
        "buyers' mean; the forecast of spend does not shrink towards the population mean as "
        "the model's would."
    )
