"""The interface every count ("buy till you die") model offers, as typing protocols.

:class:`CountModel` is what BG/NBD, MBG/NBD, Pareto/NBD and BG/BB all offer
and what :func:`analysis.clv.customer_lifetime_value` relies on:

- the data come first and every time argument is keyword-only, so
  ``model.expected_purchases(data, t=39)`` reads the same for every model;
- every time is counted in the model's ``time_unit`` (the data's unit: a
  week for a weekly summary) after each customer's observation end; for a
  discrete-time model (``discrete_time = True``, BG/BB) it counts future
  transaction opportunities, which are then whole numbers;
- discounting is given as a yearly effective rate (``annual_discount_rate``,
  e.g. 0.10) and converted inside with :mod:`analysis.units`;
- a model with customer covariates (BG/NBD, MBG/NBD, Pareto/NBD given
  ``purchase_covariates`` or ``dropout_covariates``) reads each customer's
  covariate columns from ``data``, and its new-customer predictions take an
  optional keyword ``covariates=``: the covariate values of the new
  customer, a mapping ``{column: value}`` (one profile) or a DataFrame
  (one row per profile, ``t`` broadcast against the rows). It is required when the model has
  covariates and refused when it has none. BG/BB takes no covariates and
  has no such keyword, so the protocol's signatures leave it out; a caller
  that may hold a covariate model passes it only to such a model.

:class:`PurchaseCountDistribution` adds the distribution of the number of
purchases, new customer and conditional on a history. The four count models
offer it too; it is a separate protocol because the CLV does not need it and
a model whose distribution has no tractable form can still be a
:class:`CountModel`.

:class:`SpendModel` is the spend side of a CLV (Gamma-Gamma).

The protocols are ``runtime_checkable``: ``isinstance(model, CountModel)``
checks that the members exist (not their signatures).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from .rows import CustomerGrid

__all__ = ["CountModel", "PurchaseCountDistribution", "SpendModel"]


@runtime_checkable
class CountModel(Protocol):
    """A fitted model of how many purchases each customer makes and whether she is still alive."""

    #: True when time counts whole transaction opportunities (BG/BB), False for continuous time
    discrete_time: bool
    #: the unit of every time argument ("D", "W", "M", "Q", "Y"; see analysis.units), or None
    time_unit: str | None

    def expected_purchases(self, data: pd.DataFrame, *, t) -> pd.Series:
        """Each customer's expected purchases in (T, T + t] given her history.

        ``t`` (scalar or one value per customer) is in the model's time unit
        (opportunities for a discrete-time model). A Series indexed like ``data``.
        """
        ...

    def expected_purchases_new_customer(self, *, t) -> float | np.ndarray:
        """Expected repeat purchases in (0, t] of a customer just acquired (time 0 = first purchase).

        A model with covariates also takes ``covariates=`` (the new customer's
        values; see the module docstring).
        """
        ...

    def p_alive(self, data: pd.DataFrame, *, t=0.0) -> pd.Series:
        """Probability that each customer is alive ``t`` after her observation end (``t=0``: now)."""
        ...

    def expected_purchases_grid(self, data: pd.DataFrame, *, ts) -> CustomerGrid:
        """``expected_purchases(data, t=t)`` for every t in ``ts`` at once (factored)."""
        ...

    def p_alive_grid(self, data: pd.DataFrame, *, ts) -> CustomerGrid:
        """``p_alive(data, t=t)`` for every t in ``ts`` at once (factored)."""
        ...

    def dert(
        self, data: pd.DataFrame, *, annual_discount_rate: float, time_unit: str | None = None
    ) -> pd.Series:
        """Discounted expected residual transactions of each customer, all future purchases.

        ``annual_discount_rate`` is a yearly effective rate; ``time_unit``
        overrides the model's own unit for the conversion.
        """
        ...


@runtime_checkable
class PurchaseCountDistribution(Protocol):
    """A count model that gives the probability of exactly ``n`` purchases in a window ``t``."""

    def probability_of_purchases(self, data: pd.DataFrame, *, n, t) -> pd.Series:
        """P(exactly ``n`` purchases in (T, T + t] | each customer's history), a Series."""
        ...

    def probability_of_purchases_new_customer(self, *, n, t) -> float | np.ndarray:
        """P(exactly ``n`` repeat purchases in (0, t]) for a customer just acquired.

        A model with covariates also takes ``covariates=`` (as
        :meth:`CountModel.expected_purchases_new_customer`).
        """
        ...


@runtime_checkable
class SpendModel(Protocol):
    """A fitted model of the spend per purchase (Gamma-Gamma)."""

    def expected_spend(self, data: pd.DataFrame) -> pd.Series:
        """Each customer's expected spend per purchase given her purchases so far."""
        ...
