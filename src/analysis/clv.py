"""Customer lifetime value: the seed formulas, Markov-chain CLV and CLV from fitted models.

Three families, from the simplest to the richest (DESIGN.md section 3):

- :func:`formula_clv` and :func:`retention_clv`: the closed forms of the seeds.
- :func:`markov_clv` (Pfeifer & Carraway 2000): customers move between states
  (recency buckets, lifecycle stages, brands) by a transition matrix; the
  brand-switching example of the seeds is :func:`brand_switching_clv`.
- :func:`customer_lifetime_value`: a fitted transaction model ("buy till you
  die") times a spend model, discounted in small steps of calendar time.

Discount rates are per period of the formula (per year for the seed
formulas and for :func:`customer_lifetime_value`, per step of the chain for
:func:`markov_clv`).
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
import pandas as pd

from .rfm import unit_days

__all__ = [
    "formula_clv",
    "retention_clv",
    "markov_clv",
    "brand_switching_clv",
    "project_shares",
    "customer_lifetime_value",
]

DAYS_PER_YEAR = 365.25
_ROW_SUM_TOL = 1e-6


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# 1. the seed formulas
# ----------------------------------------------------------------------------------------------
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
    """Retention form of the seeds: CLV = m * rho / (1 + d - rho).

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


# ----------------------------------------------------------------------------------------------
# 2. Markov-chain CLV (Pfeifer & Carraway 2000)
# ----------------------------------------------------------------------------------------------
def _transition_matrix(P) -> tuple[np.ndarray, pd.Index | None]:
    labels = None
    if isinstance(P, pd.DataFrame):
        if len(P.index) != len(P.columns) or not P.index.equals(P.columns):
            if set(P.index) == set(P.columns) and len(P.index) == len(P.columns):
                P = P.loc[:, P.index]  # same states, other column order: align
            else:
                raise ValueError(
                    "P: the row labels (from-states) and column labels (to-states) must be the "
                    f"same states; rows {list(P.index)}, columns {list(P.columns)}."
                )
        labels = P.index
        mat = P.to_numpy(dtype=float)
    else:
        mat = np.asarray(P, dtype=float)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
        raise ValueError(f"P must be a square matrix (states x states), got shape {mat.shape}")
    if not np.all(np.isfinite(mat)):
        raise ValueError("P holds missing or infinite values")
    names = list(labels) if labels is not None else list(range(mat.shape[0]))
    neg = np.argwhere(mat < 0)
    if len(neg):
        i, j = neg[0]
        raise ValueError(
            f"P has negative transition probabilities, first at row {names[i]!r}, "
            f"column {names[j]!r} ({mat[i, j]:g})."
        )
    sums = mat.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_SUM_TOL)
    if len(bad):
        detail = ", ".join(f"row {names[i]!r} sums to {sums[i]:.6g}" for i in bad[:5])
        raise ValueError(
            f"each row of P must sum to 1 (the probabilities of moving from one state to all "
            f"states): {detail}. Add the missing probability to an absorbing 'lost' state."
        )
    return mat, labels


def _reward(R, n_states: int, labels) -> tuple[np.ndarray, pd.Index | None, list | None]:
    columns = None
    if isinstance(R, (pd.Series, pd.DataFrame)):
        if labels is not None:
            missing = [s for s in labels if s not in R.index]
            extra = [s for s in R.index if s not in set(labels)]
            if missing or extra:
                raise ValueError(
                    f"R's labels do not match P's states: missing {missing}, unknown {extra}."
                )
            R = R.loc[labels]
        else:
            labels = R.index
        if isinstance(R, pd.DataFrame):
            columns = list(R.columns)
        mat = R.to_numpy(dtype=float)
    else:
        mat = np.asarray(R, dtype=float)
    if mat.ndim == 0:
        mat = np.full(n_states, float(mat))
    if mat.ndim > 2 or mat.shape[0] != n_states:
        raise ValueError(
            f"R must hold one reward per state ({n_states} states), got shape {mat.shape}"
        )
    if not np.all(np.isfinite(mat)):
        raise ValueError("R holds missing or infinite values")
    if labels is not None and len(labels) != n_states:
        raise ValueError(f"R has {len(labels)} labels for {n_states} states")
    return mat, labels, columns


def markov_clv(P, R, discount: float, horizon: int | None = None, first_period: int = 0):
    """Markov-chain CLV of Pfeifer & Carraway (2000): V = sum_t ((1 + d)^-1 P)^t R.

    A customer in state i at period 0 moves between states by the transition
    matrix ``P`` (``P[i, j]`` is the probability of being in state j next
    period given state i now) and brings the reward ``R[j]`` in every period
    spent in state j. ``V[i]`` is the expected discounted reward of a customer
    now in state i.

    Conventions: period t's reward is discounted by ``(1 + discount)^-t``;
    period 0 (the current state's reward, undiscounted) is counted by default,
    as in Pfeifer & Carraway. ``first_period=1`` counts only future periods.
    With ``horizon=None`` the sum runs to infinity, computed as
    ``M^first (I - M)^-1 R`` with ``M = P / (1 + d)`` (needs ``discount > 0``);
    with ``horizon=H`` it runs over t = first_period..H (H + 1 terms with the
    default ``first_period=0``).

    Works for customer-migration chains (recency buckets or lifecycle stages
    with an absorbing "lost" state of reward 0, or negative reward for a cost)
    and for brand switching (see :func:`brand_switching_clv`).

    Parameters
    ----------
    P : array-like or DataFrame, shape (s, s)
        Transition matrix; rows sum to 1. A DataFrame's index (from-states)
        and columns (to-states) must name the same states.
    R : array-like, Series or DataFrame, shape (s,) or (s, k)
        Reward per period in each state (net margin: revenue minus cost to
        serve); several reward columns are valued at once. A Series or
        DataFrame is aligned to P's states by label.
    discount : float
        Discount rate per period of the chain (e.g. 0.10 for yearly periods).
    horizon : int, optional
        Last period counted; None for an infinite horizon.
    first_period : int
        First period counted (0 includes the current period's reward).

    Returns
    -------
    Series or DataFrame
        Expected discounted value per starting state (``clv``), labelled by
        P's (or R's) state labels; a DataFrame when R had several columns.

    Examples
    --------
    Two states, active (margin 100) and lost (absorbing, 0), retention 0.8,
    d = 0.1: V_active = 100 / (1 - 0.8 / 1.1) = 366.67.

    >>> P = [[0.8, 0.2], [0.0, 1.0]]
    >>> print(round(float(markov_clv(P, [100, 0], 0.10).iloc[0]), 2))
    366.67
    """
    mat, labels = _transition_matrix(P)
    n = mat.shape[0]
    reward, labels, columns = _reward(R, n, labels)
    d = float(discount)
    if not np.isfinite(d) or d <= -1:
        raise ValueError(f"discount must be a rate greater than -1, got {discount!r}")
    if int(first_period) != first_period or first_period < 0:
        raise ValueError(f"first_period must be a non-negative integer, got {first_period!r}")
    first_period = int(first_period)
    M = mat / (1.0 + d)

    if horizon is None:
        if d <= 0:
            raise ValueError(
                "an infinite horizon needs a positive discount rate (with d <= 0 the sum of "
                "rewards of a stochastic P does not converge); give discount > 0 or a horizon."
            )
        value = np.linalg.solve(np.eye(n) - M, reward)
        for _ in range(first_period):
            value = M @ value
    else:
        if int(horizon) != horizon or horizon < 0:
            raise ValueError(f"horizon must be a non-negative integer or None, got {horizon!r}")
        horizon = int(horizon)
        if horizon < first_period:
            value = np.zeros_like(reward)
        elif d > 0 and horizon - first_period > 5000:
            # long horizons: the geometric-series identity sum_{t=a}^{H} M^t = M^a (I - M^{H-a+1}) (I - M)^-1
            tail = np.linalg.matrix_power(M, horizon - first_period + 1)
            value = np.linalg.solve(np.eye(n) - M, reward - tail @ reward)
            value = np.linalg.matrix_power(M, first_period) @ value
        else:
            term = np.linalg.matrix_power(M, first_period) @ reward
            value = term.copy()
            for _ in range(horizon - first_period):
                term = M @ term
                value = value + term

    index = labels if labels is not None else pd.RangeIndex(n, name="state")
    if value.ndim == 2:
        return pd.DataFrame(value, index=index, columns=columns if columns is not None else None)
    return pd.Series(value, index=index, name="clv")


def project_shares(shares, P, periods: int) -> pd.DataFrame:
    """Project a customer's share of purchases over states (brands) for ``periods`` periods.

    Row t is ``shares @ P^t`` (t = 0..periods).

    Parameters
    ----------
    shares : array-like or Series
        Current split of the customer's purchases over the states; sums to 1.
    P : array-like or DataFrame
        Brand-switching matrix, rows sum to 1.
    periods : int
        Number of periods to project.

    Returns
    -------
    DataFrame
        Index ``period`` 0..periods, one column per state.
    """
    mat, labels = _transition_matrix(P)
    s, labels, _ = _reward(shares, mat.shape[0], labels)
    if s.ndim != 1 or np.any(s < 0) or abs(s.sum() - 1) > _ROW_SUM_TOL:
        raise ValueError(f"shares must be non-negative and sum to 1, got {s.tolist()}")
    rows = [s]
    for _ in range(int(periods)):
        rows.append(rows[-1] @ mat)
    cols = labels if labels is not None else pd.RangeIndex(mat.shape[0])
    return pd.DataFrame(np.vstack(rows), index=pd.RangeIndex(len(rows), name="period"), columns=cols)


def brand_switching_clv(
    shares,
    P,
    category_spend: float,
    margin: float,
    discount: float,
    horizon: int | None = None,
    first_period: int = 0,
) -> pd.Series:
    """Value of one customer to each brand in a brand-switching (share-of-wallet) model.

    The seeds' example: a customer splits each period's purchases over brands
    A, B, C (e.g. 60/30/10) and the split moves by the switching matrix ``P``
    (``P[i, j]``: share of purchases moving from brand i to brand j). Brand
    j's expected share in period t is ``(shares @ P^t)[j]`` and its value is
    sum_t (1 + d)^-t * share_t[j] * category_spend * margin, the Markov CLV
    of :func:`markov_clv` with reward ``category_spend * margin`` in state j,
    averaged over the current split. Period 0 (the current split) is counted
    unless ``first_period=1``.

    Parameters
    ----------
    shares : array-like or Series
        Current split of the customer's category purchases over brands; sums to 1.
    P : array-like or DataFrame
        Brand-switching matrix, rows sum to 1.
    category_spend : float
        The customer's spend on the whole category per period.
    margin : float
        Margin rate on sales (e.g. 0.2), the same for every brand here.
    discount : float
        Discount rate per period.
    horizon, first_period
        As in :func:`markov_clv`.

    Returns
    -------
    Series
        Expected discounted margin of the customer for each brand.

    Examples
    --------
    An illustrative switching matrix (the seed text gives the 60/30/10 split
    but its matrix did not survive extraction): after one period the split is
    0.6*[.8,.1,.1] + 0.3*[.2,.7,.1] + 0.1*[.1,.1,.8] = [.55, .28, .17], so
    with spend 100, margin 0.2 and d = 0.1, brand A's two-period value is
    20 * (0.60 + 0.55 / 1.1) = 22.

    >>> P = pd.DataFrame([[.8, .1, .1], [.2, .7, .1], [.1, .1, .8]],
    ...                  index=list("ABC"), columns=list("ABC"))
    >>> v = brand_switching_clv(pd.Series([.6, .3, .1], index=list("ABC")), P, 100, 0.2, 0.1, horizon=1)
    >>> print(round(float(v["A"]), 6))
    22.0
    """
    mat, labels = _transition_matrix(P)
    n = mat.shape[0]
    s, labels, _ = _reward(shares, n, labels)
    if s.ndim != 1 or np.any(s < 0) or abs(s.sum() - 1) > _ROW_SUM_TOL:
        raise ValueError(f"shares must be non-negative and sum to 1, got {s.tolist()}")
    index = labels if labels is not None else pd.RangeIndex(n, name="brand")
    reward = pd.DataFrame(np.eye(n) * float(category_spend) * float(margin), index=index, columns=index)
    P_frame = pd.DataFrame(mat, index=index, columns=index)
    values = markov_clv(P_frame, reward, discount, horizon=horizon, first_period=first_period)
    return pd.Series(s @ values.to_numpy(), index=index, name="clv")


# ----------------------------------------------------------------------------------------------
# 3. CLV from a fitted transaction model and a spend model
# ----------------------------------------------------------------------------------------------
def _spend_per_purchase(spend_model, data: pd.DataFrame) -> np.ndarray:
    if hasattr(spend_model, "expected_spend"):
        spend = spend_model.expected_spend(data)
        return np.asarray(spend, dtype=float)
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


def _p_alive_at(model, data: pd.DataFrame, t: float) -> np.ndarray:
    """Probability alive ``t`` time units after each customer's observation end, from the model."""
    # ask the signature, not the call: a TypeError raised inside p_alive is a real error
    # and must not be reported as a missing feature
    try:
        inspect.signature(model.p_alive).bind(data, t)
    except (AttributeError, TypeError) as exc:
        raise ValueError(
            f"cost_per_period needs the probability that a customer is still alive in the "
            f"future, but {type(model).__name__}.p_alive(data, t) is not available ({exc}). "
            "Charge costs per purchase instead (cost_per_purchase=) or use a model that "
            "projects survival."
        ) from None
    return np.asarray(model.p_alive(data, t), dtype=float)


def customer_lifetime_value(
    transaction_model,
    spend_model,
    data: pd.DataFrame,
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    cost_per_period: float = 0.0,
    time_unit: str = "W",
    steps_per_year: int = 12,
    cost_per_purchase: float = 0.0,
) -> pd.DataFrame:
    """Per-customer CLV from a fitted transaction model and a spend model.

    CLV = discounted expected future purchases x expected spend per purchase
    x margin, minus the discounted cost of serving the customer, over
    ``horizon_years`` from each customer's observation end (DESIGN.md 3.3).

    Time and discounting
        The models work in the data's time unit (``time_unit``: "D", "W",
        "M", "Q", "Y" as in :data:`analysis.rfm.TIME_UNITS`); discounting is
        annual. For a continuous-time model (BG/NBD, Pareto/NBD, ...) the
        horizon is cut into equal steps of at most ``1 / steps_per_year``
        year (monthly by default); the purchases of step k are the increment
        of the model's conditional expectation
        ``expected_purchases(t_k) - expected_purchases(t_{k-1})`` and are
        discounted at ``(1 + annual_discount_rate) ** -(midpoint of the step
        in years)`` (midpoint rule: error far below 0.1% with monthly steps).
        For a discrete-time model (BG/BB, ``discrete_time = True``) each
        ``time_unit`` is one transaction opportunity; opportunity s after the
        observation end is discounted at ``(1 + rate) ** -(s in years)``, as
        in the model's DERT, and the horizon counts whole opportunities.

    Costs
        ``cost_per_period`` is the cost of serving a customer per
        ``time_unit`` *while she is alive* (a service, account or contact
        cost that stops when the relationship ends); its expectation uses the
        model's probability of being alive at each step's midpoint
        (``model.p_alive(data, t)``; each discrete opportunity while alive for
        BG/BB) and it is discounted like the purchases. BG/NBD, MBG/NBD,
        Pareto/NBD and BG/BB project survival; a model that cannot raises
        when this cost is non-zero. ``cost_per_purchase``
        is charged per expected purchase (handling, shipping) and discounted
        with the purchases.

    Spend and purchases are combined as independent (the Gamma-Gamma assumption).

    Parameters
    ----------
    transaction_model : fitted model
        With ``expected_purchases(t, data)`` (purchases in (T, T + t]
        conditional on each customer's history, t in the data's unit). A
        model with ``expected_purchases_grid(ts, data)`` (and
        ``p_alive_grid``: BG/NBD, MBG/NBD, Pareto/NBD) is asked for all step
        edges at once, with the same values.
    spend_model : GammaGamma, float or Series
        A fitted :class:`analysis.models.GammaGamma` (its ``expected_spend``),
        one spend per purchase for everyone, or a Series by customer.
    data : DataFrame
        Per-customer summary, as the models need it (``frequency``,
        ``recency``, ``T`` or ``n_periods``, and ``monetary_value`` for Gamma-Gamma).
    horizon_years : float
        Horizon in years (3 by default, as in the seeds).
    annual_discount_rate : float
        Yearly discount rate (WACC), 0.10 by default.
    margin : float
        Profit margin on spend (1.0 values revenue; 0.3 keeps 30%).
    cost_per_period : float
        Cost to serve per ``time_unit`` while the customer is alive.
    time_unit : str
        Unit of the data's recency and T (and of the model's time).
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
    unit = unit_days(time_unit)
    units_per_year = DAYS_PER_YEAR / unit
    horizon_years = float(horizon_years)
    rate = float(annual_discount_rate)
    if not np.isfinite(horizon_years) or horizon_years < 0:
        raise ValueError(f"horizon_years must be >= 0, got {horizon_years!r}")
    if not np.isfinite(rate) or rate <= -1:
        raise ValueError(f"annual_discount_rate must be > -1, got {annual_discount_rate!r}")
    if int(steps_per_year) != steps_per_year or steps_per_year < 1:
        raise ValueError(f"steps_per_year must be a whole number >= 1, got {steps_per_year!r}")
    log_disc = np.log1p(rate)

    spend = _spend_per_purchase(spend_model, data)
    n = len(data)
    discrete = bool(getattr(transaction_model, "discrete_time", False))

    cum_prev = np.zeros(n)
    disc_purchases = np.zeros(n)
    disc_alive_time = np.zeros(n)
    if discrete:
        n_opp = int(np.floor(horizon_years * units_per_year + 1e-9))
        for s in range(1, n_opp + 1):
            cum = np.asarray(transaction_model.expected_purchases(s, data), dtype=float)
            factor = np.exp(-log_disc * s / units_per_year)
            disc_purchases += (cum - cum_prev) * factor
            if cost_per_period:
                disc_alive_time += _p_alive_at(transaction_model, data, s) * factor
            cum_prev = cum
    else:
        horizon = horizon_years * units_per_year
        n_steps = max(1, int(np.ceil(horizon_years * steps_per_year - 1e-9)))
        edges = np.linspace(0.0, horizon, n_steps + 1)
        mids = 0.5 * (edges[:-1] + edges[1:])
        widths = np.diff(edges)
        factors = np.exp(-log_disc * mids / units_per_year)
        if hasattr(transaction_model, "expected_purchases_grid"):
            # all step edges at once: the data validated and its distinct rows found once
            grid = transaction_model.expected_purchases_grid(edges[1:], data)
            disc_purchases = grid.increments().combine(factors)
            cum_prev = grid.at(n_steps - 1)
        else:
            for k in range(n_steps):
                cum = transaction_model.expected_purchases(edges[k + 1], data)
                cum = np.asarray(cum, dtype=float)
                disc_purchases += (cum - cum_prev) * factors[k]
                cum_prev = cum
        if cost_per_period:
            if hasattr(transaction_model, "p_alive_grid"):
                alive = transaction_model.p_alive_grid(mids, data)
                disc_alive_time = alive.combine(widths * factors)
            else:
                for k in range(n_steps):
                    disc_alive_time += (
                        _p_alive_at(transaction_model, data, mids[k]) * widths[k] * factors[k]
                    )
    expected = cum_prev
    discounted_margin = disc_purchases * spend * float(margin)
    discounted_cost = float(cost_per_period) * disc_alive_time + float(cost_per_purchase) * disc_purchases
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
