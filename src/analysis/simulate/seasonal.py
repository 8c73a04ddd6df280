"""Pareto/NBD customers under calendar covariates (a high season), with known coefficients.

The process of :class:`analysis.models.ParetoNBDDynamic`: customer i, alive,
buys at rate lambda_i exp(g_p' x(u)) and drops out at rate mu_i exp(g_d' x(u)),
x(u) the calendar's covariates at calendar time u; lambda_i ~ Gamma(r, rate
alpha exp(-h_p' z_i)), mu_i ~ Gamma(s, rate beta exp(-h_d' z_i)) with z_i
optional static 0/1 covariates drawn per customer.

Draws are exact, with no stepping in time: with A(t), B(t) the integrated
rate multipliers (piecewise linear), the dropout time solves
mu B(tau) = E, E ~ Exp(1); the purchases are a Poisson process of rate lambda
on the A scale (a count N ~ Poisson(lambda A(end)) and N uniform points),
mapped back through A^-1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..units import unit_days
from .result import Simulation

__all__ = ["simulate_paretonbd_seasonal"]

_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class _Periods:
    start_days: np.ndarray
    end_days: np.ndarray
    values: np.ndarray


def _periods(calendar: pd.DataFrame, cols) -> _Periods:
    """The calendar's periods in days since 1970 (regular: the last ends a step after its start)."""
    starts = pd.DatetimeIndex(calendar.index).as_unit("ns").asi8.astype(float) / _NS_PER_DAY
    step = np.diff(starts)
    if starts.size < 2 or np.any(step <= 0):
        raise ValueError("calendar: needs increasing period starts, at least two")
    values = calendar[list(cols)].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"calendar: columns {list(cols)} must hold numbers in every period")
    return _Periods(starts, np.r_[starts[1:], starts[-1] + step[-1]], values)


def _cumulative(runs, X: np.ndarray, coef: np.ndarray, days: float):
    """Breakpoints (in units), the integrated multiplier there and the slope per period.

    ``X``: covariates per (row, period, column), one row shared or one per customer; the
    integrals and slopes have one row each.
    """
    slope = np.exp(X @ coef)
    knots = np.r_[runs.start_days, runs.end_days[-1]] / days
    cum = np.concatenate([np.zeros((slope.shape[0], 1)), np.cumsum(slope * np.diff(knots), 1)], 1)
    return knots, cum, slope


def _value_at(knots, cum, slope, u, rows):
    j = np.clip(np.searchsorted(knots, u, side="right") - 1, 0, slope.shape[1] - 1)
    return cum[rows, j] + slope[rows, j] * (u - knots[j])


def _inverse(knots, cum, slope, y, rows):
    if cum.shape[0] == 1:  # shared: one search
        j = np.searchsorted(cum[0], y, side="right") - 1
    else:  # each row its own (rows x periods)
        j = (cum[rows] <= y[:, None]).sum(axis=1) - 1
    j = np.clip(j, 0, slope.shape[1] - 1)
    return knots[j] + (y - cum[rows, j]) / slope[rows, j]


def _path_cube(paths, cols, calendar, n, fill):
    """Each customer's path values per calendar period, shape (n, n_periods, n_cols)."""
    starts = pd.DatetimeIndex(calendar.index)
    cube = np.full((n, len(starts), len(cols)), float(fill))
    if cols:
        pos = starts.get_indexer(pd.to_datetime(paths["period_start"]))
        who = paths["customer_id"].to_numpy().astype(np.int64) - 1
        if (pos < 0).any() or (who < 0).any() or (who >= n).any():
            raise ValueError("paths: customer ids must be 1..n and periods the calendar's starts")
        cube[who, pos] = paths[cols].to_numpy(dtype=float)
    return cube


def simulate_paretonbd_seasonal(
    n_customers: int,
    calendar: pd.DataFrame,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    purchase_coefficients: dict | None = None,
    dropout_coefficients: dict | None = None,
    static_purchase: dict | None = None,
    static_dropout: dict | None = None,
    static_share: float = 0.5,
    acquisition_start=None,
    acquisition_end=None,
    observation_end=None,
    time_unit: str = "W",
    seed: int = 0,
    paths: pd.DataFrame | None = None,
    path_fill: float = 0.0,
) -> Simulation:
    """Simulate Pareto/NBD customers whose rates follow a calendar.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    calendar : DataFrame
        Period starts as index, covariate columns; must cover the acquisition
        and observation windows.
    r, alpha, s, beta : float
        Gamma heterogeneity of the purchase and dropout rates (rates per ``time_unit``).
    purchase_coefficients, dropout_coefficients : dict
        Calendar or path column -> coefficient on the purchase / dropout
        rate; the columns named in either act on both (a missing coefficient is 0).
    static_purchase, static_dropout : dict, optional
        Static covariate name -> coefficient; each such covariate is 0/1 per
        customer, 1 with probability ``static_share``.
    acquisition_start, acquisition_end : date-like
        First purchases fall uniformly in [start, end); by default the
        calendar's first day (everyone acquired then).
    observation_end : date-like
        End of observation (T); by default the calendar's end.
    time_unit : str
        Unit of the summary's times and of the rates.
    seed : int
        Seed of ``np.random.default_rng``.
    paths : DataFrame, optional
        Covariates that differ by customer: ``customer_id`` (1..n, the
        simulated customers' ids), ``period_start`` (calendar period starts)
        and columns named in the coefficients; a (customer, period) without a
        row takes ``path_fill``.

    Returns
    -------
    Simulation
        ``transactions`` (``customer_id``, ``date`` as timestamps, ``amount``
        1.0), ``summary`` (the frame :class:`ParetoNBDDynamic` fits, exact
        continuous times, with the static covariates), ``params`` (the truth,
        named as the model's ``params``), ``truth`` (lambda, mu, dropout date,
        alive at the end).
    """
    rng = np.random.default_rng(seed)
    days = unit_days(time_unit)
    purchase_coefficients = dict(purchase_coefficients or {})
    dropout_coefficients = dict(dropout_coefficients or {})
    cols = list(dict.fromkeys([*purchase_coefficients, *dropout_coefficients]))
    path_cols = [c for c in cols if c not in calendar.columns]
    cal_cols = [c for c in cols if c in calendar.columns]
    cols = cal_cols + path_cols
    runs = _periods(calendar, cal_cols)
    gp = np.array([purchase_coefficients.get(c, 0.0) for c in cols], dtype=float)
    gd = np.array([dropout_coefficients.get(c, 0.0) for c in cols], dtype=float)
    cal0 = pd.Timestamp(runs.start_days[0] * _NS_PER_DAY)
    start = pd.Timestamp(acquisition_start) if acquisition_start is not None else cal0
    stop = pd.Timestamp(acquisition_end) if acquisition_end is not None else start
    end = (
        pd.Timestamp(observation_end)
        if observation_end is not None
        else pd.Timestamp(runs.end_days[-1] * _NS_PER_DAY)
    )
    to_units = lambda ts: ts.as_unit("ns").value / _NS_PER_DAY / days  # noqa: E731
    u_start, u_stop, u_end = to_units(start), to_units(stop), to_units(end)
    if u_start * days < runs.start_days[0] - 1e-9 or u_end * days > runs.end_days[-1] + 1e-9:
        raise ValueError("the calendar must cover the acquisition and observation windows")
    n = int(n_customers)
    static_purchase = dict(static_purchase or {})
    static_dropout = dict(static_dropout or {})
    static_cols = list(dict.fromkeys([*static_purchase, *static_dropout]))
    Z = (rng.random((n, len(static_cols))) < static_share).astype(float)
    hp = np.array([static_purchase.get(c, 0.0) for c in static_cols])
    hd = np.array([static_dropout.get(c, 0.0) for c in static_cols])
    alpha_i = alpha * np.exp(-(Z @ hp))
    beta_i = beta * np.exp(-(Z @ hd))
    lam = rng.gamma(r, 1.0, n) / alpha_i
    mu = rng.gamma(s, 1.0, n) / beta_i
    u0 = u_start + (u_stop - u_start) * rng.random(n)
    T = u_end - u0
    X = runs.values[None]
    if path_cols:
        own = _path_cube(paths, path_cols, calendar, n, path_fill)
        X = np.concatenate([np.broadcast_to(X, own.shape[:2] + X.shape[2:]), own], axis=2)
    rows = np.arange(n) if X.shape[0] > 1 else np.zeros(n, dtype=np.int64)
    kA, cA, sA = _cumulative(runs, X, gp, days)
    kB, cB, sB = _cumulative(runs, X, gd, days)
    A0, B0 = _value_at(kA, cA, sA, u0, rows), _value_at(kB, cB, sB, u0, rows)
    # dropout: mu (B(u0 + tau) - B(u0)) = E
    E = rng.exponential(1.0, n)
    top = cB[rows, -1]
    y_drop = np.minimum(B0 + E / mu, top)
    tau_abs = np.where(B0 + E / mu < top, _inverse(kB, cB, sB, y_drop, rows), np.inf)
    stop_abs = np.minimum(tau_abs, u_end)
    A_len = _value_at(kA, cA, sA, stop_abs, rows) - A0
    counts = rng.poisson(lam * A_len)
    owner = np.repeat(np.arange(n), counts)
    y = A0[owner] + rng.random(owner.size) * A_len[owner]
    u_buy = _inverse(kA, cA, sA, y, rows[owner])
    order = np.lexsort((u_buy, owner))
    owner, u_buy = owner[order], u_buy[order]
    ids = np.arange(1, n + 1)
    # the summary, exact in continuous time
    x = counts.astype(float)
    last = np.full(n, np.nan)
    last[owner] = u_buy  # sorted, so the last write is the latest purchase
    recency = np.where(counts > 0, last - u0, 0.0)
    idx = np.clip(
        np.searchsorted(runs.start_days / days, u_buy, side="right") - 1, 0, X.shape[1] - 1
    )
    at_buy = X[rows[owner], idx]
    first_ts = pd.to_datetime(np.round(u0 * days * _NS_PER_DAY).astype(np.int64), unit="ns")
    summary = pd.DataFrame(
        {"frequency": x, "recency": recency, "T": T, "first_purchase": first_ts},
        index=pd.Index(ids, name="customer_id"),
    )
    for k, c in enumerate(cols):
        summary[f"sum:{c}"] = np.bincount(owner, weights=at_buy[:, k], minlength=n)
    for k, c in enumerate(static_cols):
        summary[c] = Z[:, k]
    summary.attrs["time_unit"] = time_unit
    stamps = np.r_[u0, u_buy] * days * _NS_PER_DAY
    log = pd.DataFrame(
        {
            "customer_id": np.r_[ids, ids[owner]],
            "date": pd.to_datetime(np.round(stamps).astype(np.int64), unit="ns"),
            "amount": 1.0,
        }
    ).sort_values(["customer_id", "date"], kind="mergesort", ignore_index=True)
    params = {"r": r, "alpha": alpha, "s": s, "beta": beta}
    params.update({f"purchase:{c}": float(v) for c, v in zip(cols, gp, strict=True)})
    params.update({f"dropout:{c}": float(v) for c, v in zip(cols, gd, strict=True)})
    params.update({f"purchase:{c}": float(v) for c, v in zip(static_cols, hp, strict=True)})
    params.update({f"dropout:{c}": float(v) for c, v in zip(static_cols, hd, strict=True)})
    truth = pd.DataFrame(
        {
            "lambda": lam,
            "mu": mu,
            "dropout": pd.to_datetime(
                np.where(np.isfinite(tau_abs), tau_abs * days * _NS_PER_DAY, np.nan), unit="ns"
            ),
            "alive": tau_abs > u_end,
        },
        index=summary.index,
    )
    return Simulation(transactions=log, summary=summary, params=params, truth=truth)
