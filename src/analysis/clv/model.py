"""CLV from a fitted count model and a spend model, discounted in small steps of calendar time.

:func:`customer_lifetime_value` takes any fitted
:class:`~analysis.models.protocol.CountModel` (BG/NBD, MBG/NBD, Pareto/NBD,
BG/BB) through that interface alone: the expected purchases and the
probability of being alive at every step edge come from the model's grid
methods, and the model's ``discrete_time`` says whether time is calendar
time or transaction opportunities.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ..models.protocol import CountModel, SpendModel
from ..units import continuous_rate, unit_days, units_per_year

__all__ = ["customer_lifetime_value"]


def _spend_per_purchase(spend_model, data: pd.DataFrame) -> np.ndarray:
    if isinstance(spend_model, SpendModel):
        return np.asarray(spend_model.expected_spend(data), dtype=float)
    if isinstance(spend_model, pd.Series):
        missing = data.index.difference(spend_model.index)
        if len(missing):
            raise ValueError(
                f"spend_model Series has no spend for {len(missing)} customer(s) of data "
                f"(e.g. {list(missing[:5])}); give one value per customer id."
            )
        return spend_model.reindex(data.index).to_numpy(dtype=float)
    if isinstance(spend_model, numbers.Real):
        return np.full(len(data), float(spend_model))
    raise TypeError(
        "spend_model must be a fitted GammaGamma (with expected_spend), a number or a Series "
        f"of spend per purchase indexed by customer; got {type(spend_model).__name__}"
    )


def customer_lifetime_value(
    transaction_model: CountModel,
    spend_model,
    data: pd.DataFrame,
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    cost_per_period: float = 0.0,
    time_unit: str | None = None,
    steps_per_year: int = 12,
    cost_per_purchase: float = 0.0,
) -> pd.DataFrame:
    """Per-customer CLV from a fitted count model and a spend model.

    CLV = discounted expected future purchases x expected spend per purchase
    x margin, minus the discounted cost of serving the customer, over
    ``horizon_years`` from each customer's observation end
    (``docs/domain.md#model-based-method``).

    Time and discounting
        The model works in its time unit (``time_unit``: "D", "W", "M", "Q",
        "Y" as in :data:`analysis.units.TIME_UNITS`); discounting is annual.
        For a continuous-time model (``discrete_time = False``: BG/NBD,
        MBG/NBD, Pareto/NBD) the horizon is cut into equal steps of at most
        ``1 / steps_per_year`` year (monthly by default); the purchases of
        step k are the increment of the model's conditional expectation
        ``expected_purchases(data, t=t_k) - expected_purchases(data, t=t_(k-1))``
        and are discounted at ``(1 + annual_discount_rate) ** -(midpoint of
        the step in years)`` (midpoint rule: error far below 0.1% with
        monthly steps). For a discrete-time model (BG/BB) each ``time_unit``
        is one transaction opportunity; opportunity s after the observation
        end is discounted at ``(1 + rate) ** -(s in years)``, as in the
        model's DERT, and the horizon counts whole opportunities.

    Costs
        ``cost_per_period`` is the cost of serving a customer per
        ``time_unit`` *while she is alive* (a service, account or contact
        cost that stops when the relationship ends); its expectation uses the
        model's probability of being alive at each step's midpoint
        (``p_alive_grid``; each discrete opportunity while alive for BG/BB)
        and it is discounted like the purchases. ``cost_per_purchase`` is
        charged per expected purchase (handling, shipping) and discounted
        with the purchases.

    Spend and purchases are combined as independent (the Gamma-Gamma assumption).

    Parameters
    ----------
    transaction_model : CountModel
        A fitted count model (:class:`analysis.models.protocol.CountModel`):
        its ``expected_purchases_grid`` and ``p_alive_grid`` give the
        purchases in (T, T + t] and P(alive) for all step edges at once.
    spend_model : GammaGamma, float or Series
        A fitted :class:`analysis.models.GammaGamma` (its ``expected_spend``),
        one spend per purchase for everyone, or a Series by customer.
    data : DataFrame
        Per-customer summary, as the models need it (``frequency``,
        ``recency``, ``T`` or ``n_periods``, and ``monetary_value`` for Gamma-Gamma).
    horizon_years : float
        Horizon in years (3 by default: the three-year practice of
        ``docs/domain.md#horizon-and-discounting``).
    annual_discount_rate : float
        Yearly discount rate (WACC), 0.10 by default.
    margin : float
        Profit margin on spend (1.0 values revenue; 0.3 keeps 30%).
    cost_per_period : float
        Cost to serve per ``time_unit`` while the customer is alive.
    time_unit : str, optional
        Unit of the data's times and of the model's parameters; by default
        the model's own ``time_unit`` (recorded at fit from the summary).
    steps_per_year : int
        Discounting steps per year for continuous-time models.
    cost_per_purchase : float
        Cost per expected purchase.

    Returns
    -------
    DataFrame
        Indexed like ``data``: ``expected_purchases`` (undiscounted, over the
        horizon), ``discounted_purchases``, ``expected_spend`` (per purchase),
        ``discounted_margin``, ``discounted_cost`` and ``clv`` (margin minus cost).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame, got {type(data).__name__}")
    if not isinstance(transaction_model, CountModel):
        raise TypeError(
            "transaction_model must be a fitted count model (analysis.models.protocol.CountModel: "
            "BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom), got "
            f"{type(transaction_model).__name__}"
        )
    unit = transaction_model.time_unit if time_unit is None else time_unit
    if unit is None:
        raise ValueError(
            f"the time unit of {type(transaction_model).__name__} is unknown: fit it on a summary "
            "from analysis.rfm.summarize (which records it) or pass time_unit=..."
        )
    unit_days(unit)
    per_year = units_per_year(unit)
    horizon_years = float(horizon_years)
    if not np.isfinite(horizon_years) or horizon_years < 0:
        raise ValueError(f"horizon_years must be >= 0, got {horizon_years!r}")
    if int(steps_per_year) != steps_per_year or steps_per_year < 1:
        raise ValueError(f"steps_per_year must be a whole number >= 1, got {steps_per_year!r}")
    # (1 + annual)^-(t in years) = exp(-delta t), t in the model's unit
    delta = continuous_rate(annual_discount_rate, unit)

    spend = _spend_per_purchase(spend_model, data)
    n = len(data)
    expected = np.zeros(n)
    disc_purchases = np.zeros(n)
    disc_alive_time = np.zeros(n)
    if transaction_model.discrete_time:
        n_opp = int(np.floor(horizon_years * per_year + 1e-9))
        if n_opp > 0:
            ts = np.arange(1, n_opp + 1, dtype=float)
            factors = np.exp(-delta * ts)
            grid = transaction_model.expected_purchases_grid(data, ts=ts)
            disc_purchases = grid.increments().combine(factors)
            expected = grid.at(n_opp - 1)
            if cost_per_period:
                disc_alive_time = transaction_model.p_alive_grid(data, ts=ts).combine(factors)
    else:
        horizon = horizon_years * per_year
        n_steps = max(1, int(np.ceil(horizon_years * steps_per_year - 1e-9)))
        edges = np.linspace(0.0, horizon, n_steps + 1)
        mids = 0.5 * (edges[:-1] + edges[1:])
        factors = np.exp(-delta * mids)
        # all step edges at once: the data validated and its distinct rows found once
        grid = transaction_model.expected_purchases_grid(data, ts=edges[1:])
        disc_purchases = grid.increments().combine(factors)
        expected = grid.at(n_steps - 1)
        if cost_per_period:
            alive = transaction_model.p_alive_grid(data, ts=mids)
            disc_alive_time = alive.combine(np.diff(edges) * factors)
    discounted_margin = disc_purchases * spend * float(margin)
    discounted_cost = (
        float(cost_per_period) * disc_alive_time + float(cost_per_purchase) * disc_purchases
    )
    out = pd.DataFrame(
        {
            "expected_purchases": expected,
            "discounted_purchases": disc_purchases,
            "expected_spend": spend,
            "discounted_margin": discounted_margin,
            "discounted_cost": discounted_cost,
            "clv": discounted_margin - discounted_cost,
        },
        index=data.index,
    )
    bad = ~np.isfinite(out.to_numpy()).all(axis=1)
    if bad.any():
        raise ValueError(
            f"CLV is not finite for {int(bad.sum())} customer(s) (e.g. {list(data.index[bad][:5])}); "
            "check the fitted parameters (e.g. a Gamma-Gamma q <= 1 gives infinite mean spend)."
        )
    return out
