"""The CLV methods set back to a calibration end and asked for the holdout revenue of each customer."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .formula import formula_clv, yearly_spend_rate
from .markov import markov_customer_clv, recency_chain, recency_states
from .model import customer_lifetime_value

__all__ = ["holdout_revenue", "backtest_methods"]


def holdout_revenue(calibration: pd.DataFrame) -> pd.Series:
    """Each customer's actual revenue in the holdout: holdout purchases times their mean value.

    ``calibration`` is :func:`analysis.rfm.summarize` with a ``calibration_end``
    (columns ``frequency_holdout`` and ``monetary_value_holdout``).
    """
    missing = [c for c in ("frequency_holdout", "monetary_value_holdout") if c not in calibration]
    if missing:
        raise ValueError(
            f"the summary lacks {missing}: summarise the log with a calibration_end "
            "(analysis.rfm.summarize(..., calibration_end=...))"
        )
    revenue = calibration["frequency_holdout"] * calibration["monetary_value_holdout"]
    return revenue.rename("actual")


def backtest_methods(
    transactions: pd.DataFrame,
    calibration: pd.DataFrame,
    fitted: Mapping[str, object],
    spend_model,
    holdout_years: float,
    calibration_end,
    *,
    time_unit: str = "W",
    markov_period: str = "M",
    max_recency: int = 12,
) -> pd.DataFrame:
    """Every method's forecast of each customer's holdout revenue, from the calibration data only.

    Undiscounted and at margin 1, so each column is comparable with
    :func:`holdout_revenue`: the count models of ``fitted`` (fitted on
    ``calibration``) times ``spend_model``; the annuity formula at the
    calibration spend rate; the recency Markov chain estimated on the
    calibration periods (its last state open at ``max_recency``). The
    retention method cannot take part: its rate is measured on the holdout.

    Returns
    -------
    DataFrame
        Index: the customers of ``calibration``; one column per model name of
        ``fitted``, then ``formula`` and ``markov``.
    """
    out = pd.DataFrame(
        {
            name: customer_lifetime_value(
                model, spend_model, calibration, holdout_years, 0.0, 1.0, time_unit=time_unit
            )["clv"]
            for name, model in fitted.items()
        },
        index=calibration.index,
    )
    out["formula"] = formula_clv(yearly_spend_rate(calibration, time_unit), 0.0, 0.0, holdout_years)
    states = recency_states(transactions, markov_period, calibration_end, max_recency)
    out["markov"] = markov_customer_clv(
        states, *recency_chain(states), 0.0, holdout_years, markov_period
    )
    return out
