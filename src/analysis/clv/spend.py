"""Spend per purchase for the CLV: Gamma-Gamma where the log can identify it, else what the log says.

Gamma-Gamma needs amounts that vary: it is not fitted on a log without amounts
(every purchase is worth a fixed value, or one purchase), and it cannot be
fitted when every repeat buyer's mean spend is the same or too few customers
bought again. :func:`fit_spend_model` raises
:class:`~analysis.errors.NotComputable` saying which, and
:func:`observed_spend` gives the spend that replaces the model: the fixed
value, or each repeat buyer's own mean spend and the repeat buyers' mean for
the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NotComputable
from ..models import GammaGamma

__all__ = ["MIN_CORRELATION_BUYERS", "fit_spend_model", "observed_spend", "spend_correlation"]

#: fewest repeat buyers on which the correlation of frequency and spend is computed
MIN_CORRELATION_BUYERS = 3


def _no_amounts(value_per_purchase: float | None) -> None:
    if value_per_purchase is not None:
        raise NotComputable(
            "the log has no amounts, so spend per purchase is not modelled: every purchase is "
            "worth the same fixed value by construction"
        )


def fit_spend_model(repeat_buyers: pd.DataFrame, value_per_purchase: float | None = None):
    """Gamma-Gamma fitted on the repeat buyers, unless the log has no amounts.

    Parameters
    ----------
    repeat_buyers : DataFrame
        :func:`analysis.rfm.repeat_buyers` (``frequency`` > 0, ``monetary_value`` > 0).
    value_per_purchase : float, optional
        The fixed value of every purchase of a log without amounts
        (:attr:`analysis.data.ValueBasis.value_per_purchase`); None when the
        log has amounts.

    Raises
    ------
    NotComputable
        When the log has no amounts, or no customer bought again with a positive spend.
    DegenerateDataError, ConvergenceError
        From the model (e.g. every repeat buyer's mean spend identical).
    """
    _no_amounts(value_per_purchase)
    if len(repeat_buyers) == 0:
        raise NotComputable(
            "no customer made a repeat purchase with a positive amount, and the model of spend "
            "is fitted on repeat buyers"
        )
    return GammaGamma().fit(repeat_buyers)


def observed_spend(summary: pd.DataFrame, value_per_purchase: float | None = None):
    """The spend per purchase used when Gamma-Gamma is not: the fixed value, or the observed means.

    Returns
    -------
    float or Series
        ``value_per_purchase`` for a log without amounts; otherwise each repeat
        buyer's own mean repeat spend (``monetary_value``) and, for the
        others, the repeat buyers' mean spend per repeat purchase (0 when
        nobody bought again), indexed like ``summary``.
    """
    if value_per_purchase is not None:
        return float(value_per_purchase)
    repeat = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    weights = summary.loc[repeat, "frequency"].to_numpy(dtype=float)
    overall = (
        float(np.average(summary.loc[repeat, "monetary_value"], weights=weights))
        if repeat.any()
        else 0.0
    )
    return summary["monetary_value"].where(repeat, overall).astype(float).rename("spend")


def spend_correlation(repeat_buyers: pd.DataFrame, value_per_purchase: float | None = None):
    """Correlation of frequency and mean spend among the repeat buyers (Gamma-Gamma's assumption).

    Raises
    ------
    NotComputable
        When the log has no amounts, there are fewer than
        :data:`MIN_CORRELATION_BUYERS` repeat buyers, or frequency or spend
        takes one value for all of them (no correlation exists).
    """
    _no_amounts(value_per_purchase)
    n = len(repeat_buyers)
    if n < MIN_CORRELATION_BUYERS:
        raise NotComputable(
            f"only {n} customer(s) bought again with a positive amount; a correlation needs at "
            f"least {MIN_CORRELATION_BUYERS}"
        )
    for column, words in (
        ("monetary_value", "mean spend"),
        ("frequency", "number of repeat purchases"),
    ):
        if repeat_buyers[column].nunique() < 2:
            raise NotComputable(
                f"every repeat buyer has the same {words} "
                f"({repeat_buyers[column].iloc[0]:,.4g}), so it has no correlation with anything"
            )
    return repeat_buyers[["frequency", "monetary_value"]].corr()
