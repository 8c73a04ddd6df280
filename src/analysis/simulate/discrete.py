"""Simulators for the discrete-time and spend models: BG/BB, shifted-beta-geometric, Gamma-Gamma.

Each draws every customer's latent values from the model's mixing
distributions and then the observed summary, fully vectorised, from
``np.random.default_rng(seed)``. Each returns a
:class:`~analysis.simulate.result.Simulation` without a transaction log:
``summary`` in the form the model's ``fit`` expects, ``params`` (the true
parameters, named as in the model's ``params``; ``pd.Series(sim.params)``
lines up with a fitted model's) and ``truth``, the per-customer latent values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import Simulation

__all__ = ["simulate_bgbb", "simulate_sbg", "simulate_gamma_gamma"]

_TINY = 1e-300


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return value


def _count(name: str, value) -> int:
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _geometric0(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Failures before the first success, P(G = g) = (1-p)^g p on 0, 1, ...; inf when p = 0.

    Drawn by inversion (floor(log U / log(1-p))) so that tiny p gives a huge
    (float) count instead of an integer overflow.
    """
    u = rng.random(np.shape(p))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = np.floor(np.log(u) / np.log1p(-p))
    g = np.where(p >= 1, 0.0, g)
    return np.where(np.isnan(g), np.inf, g)


def simulate_bgbb(
    n_customers: int,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    n_periods=6,
    seed: int | None = None,
    n_holdout: int = 0,
) -> Simulation:
    """Simulate a BG/BB cohort (Fader, Hardie & Shang 2010).

    Each customer draws p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta).
    At the start of every opportunity 1, 2, ... a living customer dies with
    probability theta, so she is alive at opportunities 1..L with
    P(L = l) = theta (1 - theta)^l; at each opportunity alive she transacts
    with probability p.

    The summary is drawn without simulating every opportunity: the trailing
    run of non-transactions before the end of her alive opportunities m =
    min(L, n) is geometric (truncated at m), which fixes recency t_x; the
    t_x - 1 earlier opportunities hold Binomial(t_x - 1, p) further
    transactions.

    Parameters
    ----------
    n_customers : int
        Cohort size.
    alpha, beta, gamma, delta : float
        True parameters.
    n_periods : int or array-like
        Calibration opportunities per customer.
    seed : int, optional
        Seed of ``np.random.default_rng``.
    n_holdout : int
        Further opportunities to simulate as a holdout (adds
        ``frequency_holdout`` and ``duration_holdout``).

    Returns
    -------
    Simulation
        ``summary``: ``frequency, recency, n_periods`` (+ holdout columns);
        ``params``; ``truth``: ``p, theta, lifetime`` (opportunities alive,
        may exceed the observation) and ``alive`` (at opportunity n_periods + 1).
    """
    n = _count("n_customers", n_customers)
    params = {
        k: _positive(k, v)
        for k, v in zip(
            ("alpha", "beta", "gamma", "delta"), (alpha, beta, gamma, delta), strict=True
        )
    }
    periods = np.broadcast_to(np.asarray(n_periods, dtype=float), (n,)).copy()
    if np.any(periods < 1) or np.any(periods != np.round(periods)):
        raise ValueError(f"n_periods must be whole numbers >= 1, got {n_periods!r}")
    if int(n_holdout) != n_holdout or n_holdout < 0:
        raise ValueError(f"n_holdout must be a whole number >= 0, got {n_holdout!r}")
    rng = np.random.default_rng(seed)
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    lifetime = _geometric0(rng, theta)  # opportunities alive
    m = np.minimum(lifetime, periods)
    trailing = np.minimum(_geometric0(rng, p), m)  # non-transactions at the end of the alive run
    recency = m - trailing
    has = recency >= 1
    earlier = rng.binomial(np.maximum(recency - 1, 0).astype(np.int64), p)
    frequency = np.where(has, 1 + earlier, 0)
    summary = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": recency.astype(np.int64),
            "n_periods": periods.astype(np.int64),
        },
        index=pd.RangeIndex(n, name="customer_id"),
    )
    if n_holdout:
        alive_holdout = np.clip(lifetime - periods, 0, n_holdout).astype(np.int64)
        summary["frequency_holdout"] = rng.binomial(alive_holdout, p).astype(np.int64)
        summary["duration_holdout"] = int(n_holdout)
    truth = pd.DataFrame(
        {"p": p, "theta": theta, "lifetime": lifetime, "alive": lifetime >= periods + 1},
        index=summary.index,
    )
    return Simulation(transactions=None, summary=summary, params=params, truth=truth)


def simulate_sbg(
    n_customers: int,
    alpha: float,
    beta: float,
    n_periods: int = 8,
    seed: int | None = None,
) -> Simulation:
    """Simulate a contractual cohort under the shifted-beta-geometric model (Fader & Hardie 2007).

    Each customer draws theta ~ Beta(alpha, beta) and churns in period
    T ~ Geometric(theta) on 1, 2, ...; she is observed for ``n_periods``.

    Returns
    -------
    Simulation
        ``summary``: ``T`` (periods observed, min(T, n_periods)) and
        ``churned`` (True when she churned within the observation);
        ``params``; ``truth``: ``theta`` and the true ``lifetime`` T.
    """
    n = _count("n_customers", n_customers)
    periods = _count("n_periods", n_periods)
    params = {"alpha": _positive("alpha", alpha), "beta": _positive("beta", beta)}
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, n)
    lifetime = 1 + _geometric0(rng, theta)
    churned = lifetime <= periods
    summary = pd.DataFrame(
        {"T": np.minimum(lifetime, periods).astype(np.int64), "churned": churned},
        index=pd.RangeIndex(n, name="customer_id"),
    )
    truth = pd.DataFrame({"theta": theta, "lifetime": lifetime}, index=summary.index)
    return Simulation(transactions=None, summary=summary, params=params, truth=truth)


def simulate_gamma_gamma(
    n_customers: int,
    p: float,
    q: float,
    gamma: float,
    frequency=None,
    seed: int | None = None,
) -> Simulation:
    """Simulate mean spend per transaction under the Gamma-Gamma model.

    Each customer draws nu ~ Gamma(shape q, rate gamma); her x transaction
    values are Gamma(shape p, rate nu), so their mean is Gamma(shape p x,
    rate nu x), drawn directly.

    Parameters
    ----------
    n_customers : int
        Number of (repeat) customers.
    p, q, gamma : float
        True parameters.
    frequency : int or array-like, optional
        Number of repeat transactions x >= 1 per customer (broadcast); by
        default 1 + Poisson(2) draws.
    seed : int, optional
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Simulation
        ``summary``: ``frequency, monetary_value``; ``params``; ``truth``:
        ``nu`` and the customer's true mean spend ``mean_spend`` = p / nu.
    """
    n = _count("n_customers", n_customers)
    params = {"p": _positive("p", p), "q": _positive("q", q), "gamma": _positive("gamma", gamma)}
    rng = np.random.default_rng(seed)
    if frequency is None:
        x = 1 + rng.poisson(2.0, n)
    else:
        x = np.broadcast_to(np.asarray(frequency), (n,)).astype(float)
        if np.any(x < 1) or np.any(x != np.round(x)):
            raise ValueError("frequency must be whole numbers >= 1 (repeat buyers only)")
        x = x.astype(np.int64)
    nu = rng.gamma(q, 1.0 / gamma, n)
    nu = np.maximum(nu, _TINY)
    zbar = rng.gamma(p * x, 1.0 / (nu * x))
    summary = pd.DataFrame(
        {"frequency": np.asarray(x, dtype=np.int64), "monetary_value": zbar},
        index=pd.RangeIndex(n, name="customer_id"),
    )
    truth = pd.DataFrame({"nu": nu, "mean_spend": p / nu}, index=summary.index)
    return Simulation(transactions=None, summary=summary, params=params, truth=truth)
