"""Closed-form CLV: the annuity formula and the retention form, with their inputs.

- :func:`formula_clv`: CLV = (Pr - C) (1 - (1 + r)^-n) / r, yearly net
  profit as an annuity over n years.
- :func:`retention_clv`: CLV = m rho / (1 + d - rho), the margins of a
  customer retained each period with probability rho; :func:`retention_value`
  cuts it to a finite horizon.
- :func:`yearly_spend_rate` and :func:`holdout_retention`: the per-customer
  yearly profit and the retention rate these formulas need, from an RFM
  summary.

Rates are per period of the formula (per year, as in
``docs/domain.md#formula-methods``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..units import DAYS_PER_YEAR, unit_days
from ..validate import DataValidationError

__all__ = [
    "formula_clv",
    "retention_clv",
    "retention_value",
    "yearly_spend_rate",
    "holdout_retention",
]


def _pandas_index(*values):
    """The index of the first pandas argument, or None."""
    for v in values:
        if isinstance(v, (pd.Series, pd.DataFrame)):
            return v.index
    return None


def _wrap(result: np.ndarray, index, name: str):
    """Return a float for scalar results, a Series when an input was pandas, an array otherwise."""
    if np.ndim(result) == 0:
        return float(result)
    if index is not None and len(index) == len(result):
        return pd.Series(result, index=index, name=name)
    return result


def _array(value, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite numbers, got {value!r}")
    return arr


def formula_clv(profit, cost, rate, years):
    """Seed formula: CLV = (Pr - C) * (1 - (1 + r)^-n) / r, an annuity of yearly net profit.

    Each year's net profit ``Pr - C`` is received at the end of the year for
    ``n`` years and discounted at ``r`` per year. At ``r = 0`` the value is the
    limit ``(Pr - C) * n``. Inputs broadcast (scalars, arrays or Series).

    Parameters
    ----------
    profit : float or array-like
        Yearly profit from the customer (Pr).
    cost : float or array-like
        Yearly cost of serving the customer (C).
    rate : float or array-like
        Yearly discount rate r (e.g. 0.10 for the WACC); must be > -1.
    years : float or array-like
        Years of loyalty n (>= 0; fractions allowed).

    Returns
    -------
    float, ndarray or Series
        CLV, a Series when an input was a Series (with its index).

    Examples
    --------
    >>> round(formula_clv(100, 20, 0.10, 3), 4)  # 80 * (1 - 1.1**-3) / 0.1
    198.9482
    """
    pr = _array(profit, "profit")
    c = _array(cost, "cost")
    r = _array(rate, "rate")
    n = _array(years, "years")
    if np.any(r <= -1):
        raise ValueError(f"rate must be greater than -1 (a yearly rate such as 0.10), got {rate!r}")
    if np.any(n < 0):
        raise ValueError(f"years must be >= 0, got {years!r}")
    r, n = np.broadcast_arrays(r, n)
    # annuity factor (1 - (1+r)^-n) / r, written with log1p/expm1 so small r is exact
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(r == 0, n, -np.expm1(-n * np.log1p(r)) / np.where(r == 0, 1.0, r))
    result = (pr - c) * factor
    return _wrap(result, _pandas_index(profit, cost, rate, years), "clv")


def retention_clv(margin, retention, discount):
    """Retention form (``docs/domain.md#formula-methods``): CLV = m * rho / (1 + d - rho).

    The value of the future margins of a customer retained each period with
    probability ``rho``, a margin ``m`` received at the end of each period
    survived, discounted at ``d`` per period: sum over t >= 1 of
    m * rho^t / (1 + d)^t. Limits: ``rho = 0`` gives 0; ``rho = 1`` gives the
    perpetuity ``m / d``; ``d = 0`` with ``rho < 1`` gives ``m * rho / (1 - rho)``
    (undiscounted expected future margin). ``rho = 1`` with ``d = 0`` is
    infinite and raises.

    Parameters
    ----------
    margin : float or array-like
        Margin per period m.
    retention : float or array-like
        Retention probability per period rho, in [0, 1].
    discount : float or array-like
        Discount rate per period d, >= 0.

    Returns
    -------
    float, ndarray or Series
        CLV, a Series when an input was a Series.
    """
    m = _array(margin, "margin")
    rho = _array(retention, "retention")
    d = _array(discount, "discount")
    if np.any((rho < 0) | (rho > 1)):
        raise ValueError(f"retention must lie in [0, 1], got {retention!r}")
    if np.any(d < 0):
        raise ValueError(f"discount must be >= 0, got {discount!r}")
    denom = 1.0 + d - rho
    if np.any(denom == 0):
        raise ValueError(
            "retention = 1 with discount = 0 gives an infinite value (a customer kept forever, "
            "undiscounted); use a positive discount rate or a finite horizon (formula_clv)."
        )
    result = m * rho / denom
    return _wrap(result, _pandas_index(margin, retention, discount), "clv")


def retention_value(profit, retention: float, rate: float, years: float):
    """Retention CLV over a finite horizon: sum over t = 1..n of m rho^t / (1 + d)^t.

    The retention form m rho / (1 + d - rho)
    (:func:`retention_clv`) counts every future year; over
    ``years`` it is that value times 1 - (rho / (1 + d))^n.

    Parameters
    ----------
    profit : float, array or Series
        Yearly profit m of a retained customer.
    retention : float
        Yearly retention rho.
    rate : float
        Yearly discount rate d.
    years : float
        Horizon n in years.
    """
    factor = 1.0 - (float(retention) / (1.0 + float(rate))) ** float(years)
    value = retention_clv(profit, retention, rate) * factor
    if isinstance(value, pd.Series):
        return value.rename("clv")
    return value


def yearly_spend_rate(summary: pd.DataFrame, time_unit: str = "W") -> pd.Series:
    """Each customer's repeat spend per year: frequency x monetary value / T (in years).

    The first purchase (the acquisition) is left out, as in the
    probabilistic models, which predict repeat purchases. A customer with
    ``T = 0`` gets 0.

    Returns
    -------
    Series
        ``yearly_spend``, indexed like ``summary``.
    """
    years = summary["T"].to_numpy(dtype=float) * unit_days(time_unit) / DAYS_PER_YEAR
    frequency = summary["frequency"].to_numpy(dtype=float)
    spend = frequency * summary["monetary_value"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(years > 0, spend / np.where(years > 0, years, 1.0), 0.0)
    return pd.Series(rate, index=summary.index, name="yearly_spend")


def holdout_retention(summary: pd.DataFrame, time_unit: str = "W") -> pd.Series:
    """Retention estimated from the holdout: the share of calibration customers who buy again in it.

    The share covers the holdout's length; the yearly retention is that
    share raised to the power (one year / holdout length), i.e. the share
    that would survive a year at the same constant hazard. It counts as lost
    everyone who did not buy in the holdout, alive or not, so it is a lower
    bound of the share still alive.

    Returns
    -------
    Series
        ``customers``, ``active_in_holdout`` (share), ``holdout_years`` and
        ``yearly_retention``.
    """
    missing = [c for c in ("frequency_holdout", "duration_holdout") if c not in summary.columns]
    if missing:
        raise DataValidationError(
            f"holdout_retention needs column(s) {missing}; build the summary with "
            "analysis.rfm.summarize(..., calibration_end=...)."
        )
    share = float((summary["frequency_holdout"] > 0).mean())
    years = float(summary["duration_holdout"].max()) * unit_days(time_unit) / DAYS_PER_YEAR
    if years <= 0:
        raise DataValidationError(
            "the holdout has length 0: choose a calibration end before the observation end"
        )
    return pd.Series(
        {
            "customers": float(len(summary)),
            "active_in_holdout": share,
            "holdout_years": years,
            "yearly_retention": share ** (1.0 / years),
        },
        name="retention",
    )
