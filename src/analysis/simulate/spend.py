"""Mean spend per transaction under the Gamma-Gamma model with covariates on the spend scale.

A customer with covariates z_i draws nu_i ~ Gamma(shape q, rate gamma_i),
gamma_i = gamma * exp(d' z_i); her x transaction values are Gamma(shape p,
rate nu_i), so their mean is Gamma(shape p x, rate nu_i x), drawn directly.
Her expected spend per transaction, p gamma_i / (q - 1), is the plain
model's times exp(d' z_i): exp(d_k) is the spend ratio of one unit of z_k.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .result import Simulation

__all__ = ["simulate_spend"]


def simulate_spend(
    n_customers: int,
    p: float,
    q: float,
    gamma: float,
    coefficients: Mapping[str, float],
    covariates: pd.DataFrame | None = None,
    frequency=None,
    seed: int | None = None,
) -> Simulation:
    """Simulate repeat buyers' mean spend with covariates on the Gamma-Gamma spend scale.

    Parameters
    ----------
    n_customers : int
        Number of repeat buyers.
    p, q, gamma : float
        True parameters; ``gamma`` is the scale of a customer whose covariates are all 0.
    coefficients : mapping of column name to float
        The coefficients d of the covariates (log spend ratios), e.g. ``{"channel": 0.3}``.
    covariates : DataFrame, optional
        ``n_customers`` rows holding a column per coefficient; by default each
        covariate is a 0/1 flag drawn with probability 1/2.
    frequency : int or array-like, optional
        Number of repeat transactions x >= 1 per customer (broadcast); by
        default 1 + Poisson(2) draws.
    seed : int, optional
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Simulation
        ``summary``: ``frequency, monetary_value`` and the covariate columns;
        ``params``: ``p, q, gamma`` and ``spend:<column>``; ``truth``: ``nu``,
        ``gamma_i`` and the true mean spend ``mean_spend`` = p / nu.
    """
    n = int(n_customers)
    if n < 1 or n != n_customers:
        raise ValueError(f"n_customers must be a whole number >= 1, got {n_customers!r}")
    for name, value in (("p", p), ("q", q), ("gamma", gamma)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    names = [str(c) for c in coefficients]
    d = np.array([float(coefficients[c]) for c in coefficients], dtype=float)
    if not np.all(np.isfinite(d)):
        raise ValueError(f"coefficients must be finite numbers, got {dict(coefficients)!r}")
    rng = np.random.default_rng(seed)
    if covariates is None:
        z = rng.integers(0, 2, size=(n, len(names))).astype(float)
    else:
        missing = [c for c in names if c not in covariates.columns]
        if missing or len(covariates) != n:
            raise ValueError(
                f"covariates must have {n} rows and the column(s) {names}; missing {missing}, "
                f"{len(covariates)} rows"
            )
        z = covariates[names].to_numpy(dtype=float)
    if frequency is None:
        x = 1 + rng.poisson(2.0, n)
    else:
        x = np.broadcast_to(np.asarray(frequency), (n,)).astype(float)
        if np.any(x < 1) or np.any(x != np.round(x)):
            raise ValueError("frequency must be whole numbers >= 1 (repeat buyers only)")
        x = x.astype(np.int64)
    gamma_i = gamma * np.exp(z @ d)
    nu = np.maximum(rng.gamma(q, 1.0, n) / gamma_i, np.finfo(float).tiny)
    zbar = rng.gamma(p * x, 1.0 / (nu * x))
    index = pd.RangeIndex(n, name="customer_id")
    summary = pd.DataFrame(
        {"frequency": np.asarray(x, dtype=np.int64), "monetary_value": zbar}, index=index
    )
    for k, name in enumerate(names):
        summary[name] = z[:, k]
    params = {"p": float(p), "q": float(q), "gamma": float(gamma)}
    params |= {f"spend:{c}": float(v) for c, v in zip(names, d, strict=True)}
    truth = pd.DataFrame({"nu": nu, "gamma_i": gamma_i, "mean_spend": p / nu}, index=index)
    return Simulation(transactions=None, summary=summary, params=params, truth=truth)
