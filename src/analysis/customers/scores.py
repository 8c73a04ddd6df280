"""The customer table's model columns, one function for the pandas table and the Spark scoring.

:func:`model_columns` turns a fitted count model, a spend per purchase and
the per-customer summary into ``p_alive``, the expected purchases in the
next period and over the horizon, the expected spend, ``clv`` and
``clv_net``; :func:`analysis.customers.customer_table` and
:func:`analysis.spark.score_frame` both call it, so a column means the same
in both.

Value conventions (``docs/domain.md#clv``): ``clv`` is the discounted
expected margin over the horizon with no cost; ``clv_net`` subtracts the
discounted cost of the expected purchases (``cost_per_purchase`` each) and
the discounted ``retention_cost`` per year while the customer is alive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..clv import customer_lifetime_value
from ..units import DAYS_PER_YEAR, unit_days

__all__ = ["MODEL_COLUMNS", "model_columns"]

#: the columns of model_columns, in the customer table's order
MODEL_COLUMNS: tuple[str, ...] = (
    "p_alive", "expected_purchases_period", "expected_purchases_horizon", "expected_spend",
    "clv", "clv_net",
)  # fmt: skip


def model_columns(
    count_model,
    spend,
    summary: pd.DataFrame,
    *,
    time_unit: str,
    period: str = "M",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 0.30,
    cost_per_purchase: float = 0.0,
    retention_cost=None,
) -> pd.DataFrame:
    """P(alive), expected purchases, expected spend, CLV and net CLV of every customer of ``summary``.

    Parameters
    ----------
    count_model : CountModel
        A fitted BG/NBD, Pareto/NBD, MBG/NBD (or other continuous-time count model).
    spend : GammaGamma, float or Series
        Spend per purchase, as :func:`analysis.clv.customer_lifetime_value` takes it.
    summary : DataFrame
        ``frequency``, ``recency``, ``T`` (and ``monetary_value`` for a
        spend model) in ``time_unit``, one row per customer.
    time_unit, period : str
        Unit of the summary and the model; period of ``expected_purchases_period``.
    horizon_years, annual_discount_rate, margin : float
        CLV horizon, yearly discount rate and margin on revenue.
    cost_per_purchase : float
        Cost per expected purchase (currency), discounted with the purchases.
    retention_cost : float, array or None
        Cost per year while the customer is alive (currency), one for all or
        one per customer of ``summary`` (in its order); None for none.

    Returns
    -------
    DataFrame
        Indexed like ``summary``: :data:`MODEL_COLUMNS`.
    """
    per_unit = unit_days(time_unit)
    retention = retention_cost is not None
    value = customer_lifetime_value(
        count_model,
        spend,
        summary,
        horizon_years=horizon_years,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
        cost_per_period=1.0 if retention else 0.0,  # discounted alive time, in time units
        time_unit=time_unit,
    )
    clv = value["discounted_margin"].to_numpy(dtype=float)
    net = clv - float(cost_per_purchase) * value["discounted_purchases"].to_numpy()
    if retention:
        per_period = np.asarray(retention_cost, dtype=float) * per_unit / DAYS_PER_YEAR
        net = net - per_period * value["discounted_cost"].to_numpy()
    ahead = unit_days(period) / per_unit
    return pd.DataFrame(
        {
            "p_alive": count_model.p_alive(summary).to_numpy(dtype=float),
            "expected_purchases_period": count_model.expected_purchases(summary, t=ahead).to_numpy(
                dtype=float
            ),
            "expected_purchases_horizon": value["expected_purchases"].to_numpy(dtype=float),
            "expected_spend": value["expected_spend"].to_numpy(dtype=float),
            "clv": clv,
            "clv_net": net,
        },
        index=summary.index,
    )
