"""Simulators for the continuous-time "buy till you die" models: BG/NBD, MBG/NBD, Pareto/NBD.

Each customer is acquired (makes her first purchase) at a uniform random
moment of an acquisition window, then buys and drops out as the model says;
every purchase (the first included) has a Gamma-Gamma value: per customer
nu ~ Gamma(q, rate gamma), each purchase ~ Gamma(p, rate nu). Everything is
vectorised over customers and purchases (a million customers take seconds):

* purchase counts come from the model's structure, never from stepping in
  time: for the BG/NBD the purchases made are min(N, K), N ~ Poisson(lambda W)
  arrivals ignoring dropout and K the geometric index of the purchase after
  which she drops out; for the Pareto/NBD N ~ Poisson(lambda min(tau, W))
  with tau her exponential lifetime;
* their times are order statistics of uniforms, drawn already sorted as
  normalised partial sums of exponentials, so no sort is needed.

Covariates (``purchase_coefficients``, ``dropout_coefficients``: mappings
column -> coefficient) take the models' form (:mod:`analysis.models.covariates`):
alpha_i = alpha exp(-g_p' z_i); for the BG/NBD and MBG/NBD a_i = a exp(g_d' z_i),
for the Pareto/NBD beta_i = beta exp(-g_d' z_i). The values z come from
``attributes`` (a frame, one row per customer in order) or, without it, are
drawn from the simulation's generator: ``binary`` ~ Bernoulli(0.5) and
``normal`` ~ N(0, 1). They are added to the summary as columns, and the
coefficients to ``params`` as ``purchase:<col>`` and ``dropout:<col>``.

The summary holds the exact continuous-time ``frequency``, ``recency``, ``T``
and ``monetary_value`` (so parameter recovery is not blurred by rounding
times to days); the transaction log holds dates, optionally floored to days
(then purchases on one day merge in :func:`analysis.rfm.summarize`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..units import unit_days
from .result import Simulation

__all__ = ["simulate_bgnbd", "simulate_mbgnbd", "simulate_paretonbd"]

_NS_PER_DAY = 86_400 * 10**9


def _positive(name: str, value) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return value


def _window(
    n_customers, acquisition_start, acquisition_end, observation_end, holdout_end, time_unit, rng
):
    """Acquisition moments (days since acquisition_start) and window lengths in time units."""
    n = int(n_customers)
    if n != n_customers or n < 1:
        raise ValueError(f"n_customers must be a positive whole number, got {n_customers!r}")
    unit = unit_days(time_unit)
    start = pd.Timestamp(acquisition_start).normalize()
    acq_end = pd.Timestamp(acquisition_end).normalize()
    obs_end = pd.Timestamp(observation_end).normalize()
    if acq_end < start:
        raise ValueError("acquisition_end must not be before acquisition_start")
    if obs_end < acq_end:
        raise ValueError("observation_end must not be before acquisition_end")
    acq_days = (acq_end - start).days + 1  # whole days, both ends included
    end_days = (obs_end - start).days + 1  # observation runs to the end of observation_end
    hold_days = 0.0
    if holdout_end is not None:
        h_end = pd.Timestamp(holdout_end).normalize()
        if h_end <= obs_end:
            raise ValueError("holdout_end must be after observation_end")
        hold_days = float((h_end - obs_end).days)
    birth = rng.random(n) * acq_days
    T = (end_days - birth) / unit
    H = hold_days / unit
    return start, birth, T, H, unit


def _sorted_times(rng, counts, window, extra):
    """For each customer, the first ``counts`` of sorted uniforms on (0, window).

    Sorted uniforms are normalised partial sums of exponentials: with E_1..E_(m+1)
    i.i.d. Exp(1), U_(i) = S_i / S_(m+1). When only the first c of m uniforms
    are wanted, S_(m+1) = S_c + Gamma(m + 1 - c); ``extra`` is m + 1 - c.
    Returns (customer index of each purchase, purchase times), grouped by customer, sorted.
    """
    counts = counts.astype(np.int64)
    total = int(counts.sum())
    cust = np.repeat(np.arange(counts.size), counts)
    e = rng.standard_exponential(total)
    cs = np.concatenate([[0.0], np.cumsum(e)])
    starts = np.cumsum(counts) - counts
    s = cs[1:] - cs[starts][cust]  # partial sums restarted at every customer
    last = np.zeros(counts.size)
    has = counts > 0
    last[has] = s[starts[has] + counts[has] - 1]
    norm = last + rng.standard_gamma(np.maximum(extra, 1e-300))
    times = window[cust] * s / norm[cust]
    return cust, times


def _assemble(rng, cust, times, window, spend, opts):
    """Summary, truth frame and (optionally) the log from purchase times after the first.

    ``window`` and ``opts`` are those of :func:`_setup`.
    """
    start, birth, T, H, unit = window
    n = T.size
    p_sp, q_sp, g_sp = spend
    nu = rng.gamma(q_sp, 1.0 / g_sp, size=n)
    amount = rng.gamma(p_sp, 1.0 / nu[cust]) if cust.size else np.zeros(0)
    in_cal = times <= T[cust]
    x = np.bincount(cust, weights=in_cal, minlength=n).astype(np.int64)
    counts = np.bincount(cust, minlength=n)
    starts = np.cumsum(counts) - counts
    recency = np.zeros(n)
    has = x > 0
    recency[has] = times[starts[has] + x[has] - 1]  # times are sorted within customer
    spend_cal = np.bincount(cust, weights=np.where(in_cal, amount, 0.0), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(has, spend_cal / np.maximum(x, 1), 0.0)
    ids = pd.RangeIndex(n, name="customer_id")
    summary = pd.DataFrame(
        {"frequency": x, "recency": recency, "T": T, "monetary_value": monetary}, index=ids
    )
    if H > 0:
        hold = ~in_cal
        xh = np.bincount(cust, weights=hold, minlength=n).astype(np.int64)
        sh = np.bincount(cust, weights=np.where(hold, amount, 0.0), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            summary["frequency_holdout"] = xh
            summary["monetary_value_holdout"] = np.where(xh > 0, sh / np.maximum(xh, 1), 0.0)
        summary["duration_holdout"] = H
    acquired = start + pd.to_timedelta(np.floor(birth), unit="D")
    truth = pd.DataFrame(index=ids)
    truth["nu"] = nu
    truth["mean_spend"] = p_sp / nu
    truth["acquired"] = acquired
    log = None
    if opts["transactions"]:
        first_amount = rng.gamma(p_sp, 1.0 / nu)
        all_cust = np.concatenate([np.arange(n), cust])
        all_days = np.concatenate([birth, birth[cust] + times * unit])
        all_amount = np.concatenate([first_amount, amount])
        order = np.argsort(all_cust, kind="stable")  # first purchase, then the later ones, in time
        all_cust, all_days, all_amount = all_cust[order], all_days[order], all_amount[order]
        if opts["floor_dates"]:
            all_days = np.floor(all_days)
        dates = start.to_datetime64() + (all_days * _NS_PER_DAY).astype("timedelta64[ns]")
        log = pd.DataFrame(
            {
                "customer_id": all_cust.astype(np.int64),
                "date": pd.to_datetime(dates),
                "amount": np.round(all_amount, 2),
                "quantity": np.ones(all_cust.size, dtype=np.int64),
            }
        )
    return summary, truth, log


def _setup(n_customers, process: dict, kwargs: dict):
    """Options, generator, checked parameters, spend and the observation window of one simulation."""
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown argument(s) {sorted(unknown)}")
    opts = {**_DEFAULTS, **kwargs}
    rng = np.random.default_rng(opts["seed"])
    process = {k: _positive(k, v) for k, v in process.items()}
    spend = tuple(_positive(k, opts[k]) for k in ("p", "q", "gamma"))
    window = _window(
        n_customers,
        opts["acquisition_start"],
        opts["acquisition_end"],
        opts["observation_end"],
        opts["holdout_end"],
        opts["time_unit"],
        rng,
    )
    params = {
        **process,
        "p": spend[0],
        "q": spend[1],
        "gamma": spend[2],
        "time_unit": opts["time_unit"],
    }
    return opts, rng, spend, window, params


def _covariates(opts, n: int, rng, params: dict):
    """Covariate values (a frame, possibly without columns), exp(g_p' z) and exp(g_d' z) per customer."""
    coefs = {
        "purchase": dict(opts["purchase_coefficients"] or {}),
        "dropout": dict(opts["dropout_coefficients"] or {}),
    }
    cols = list(dict.fromkeys([*coefs["purchase"], *coefs["dropout"]]))
    attributes = opts["attributes"]
    if attributes is None:
        unknown = set(cols) - {"binary", "normal"}
        if unknown:
            raise ValueError(
                f"covariates {sorted(unknown)} need their values: pass attributes= (a frame "
                "with one row per customer); without it only 'binary' and 'normal' are drawn"
            )
        drawn = {"binary": lambda: rng.integers(0, 2, n).astype(float), "normal": None}
        drawn["normal"] = lambda: rng.standard_normal(n)
        z = pd.DataFrame({c: drawn[c]() for c in sorted(cols)}, index=range(n))[cols]
    else:
        z = pd.DataFrame(attributes).reset_index(drop=True)
        if len(z) != n or set(cols) - set(z.columns):
            raise ValueError(
                f"attributes must have {n} rows (one per customer) and the columns {cols}; got "
                f"{len(z)} rows and {list(z.columns)}"
            )
        z = z[cols].astype(float)
    factors = {}
    for process in ("purchase", "dropout"):
        lin = np.zeros(n)
        for col, g in coefs[process].items():
            g = float(g)
            if not np.isfinite(g):
                raise ValueError(f"{process} coefficient of {col!r} must be finite, got {g!r}")
            lin += g * z[col].to_numpy()
            params[f"{process}:{col}"] = g
        factors[process] = np.exp(lin)
    return z, factors["purchase"], factors["dropout"]


def _simulate_bg(n_customers, r, alpha, a, b, extra_dropout, kwargs):
    opts, rng, spend, window, params = _setup(
        n_customers, {"r": r, "alpha": alpha, "a": a, "b": b}, kwargs
    )
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    start, birth, T, H, unit = window
    n = T.size
    z, up, down = _covariates(opts, n, rng, params)
    # purchase: alpha_i = alpha exp(-g_p' z) (up = exp(g_p' z)); dropout: a_i = a exp(g_d' z)
    lam = rng.gamma(r, 1.0 / (alpha / up), size=n)
    p = rng.beta(a * down, b, size=n)
    W = T + H
    N = rng.poisson(lam * W)
    # K: index of the purchase after which she drops out (BG/NBD: 1, 2, ...; MBG/NBD: 0, 1, ...)
    with np.errstate(divide="ignore", invalid="ignore"):
        K = np.floor(np.log(rng.random(n)) / np.log1p(-p)) + (1 - extra_dropout)
    K = np.where(np.isfinite(K), K, np.inf)
    made = np.minimum(N, K).astype(np.int64)
    cust, times = _sorted_times(rng, made, W, N + 1 - made)
    summary, truth, log = _assemble(rng, cust, times, window, spend, opts)
    for col in z.columns:
        summary[col] = z[col].to_numpy()
    truth["lambda"] = lam
    truth["p"] = p
    x = summary["frequency"].to_numpy()
    truth["alive"] = x < K  # dropped out iff her K-th purchase happened by T
    truth = truth[["lambda", "p", "alive", "nu", "mean_spend", "acquired"]]
    return Simulation(transactions=log, summary=summary, params=params, truth=truth)


_DEFAULTS = dict(
    p=6.0,
    q=4.0,
    gamma=15.0,
    acquisition_start="2024-01-01",
    acquisition_end="2024-03-31",
    observation_end="2024-12-31",
    holdout_end=None,
    time_unit="D",
    floor_dates=True,
    transactions=True,
    seed=None,
    purchase_coefficients=None,
    dropout_coefficients=None,
    attributes=None,
)

_COMMON_DOC = """
    p, q, gamma : float
        Gamma-Gamma spend: nu ~ Gamma(q, rate gamma) per customer, each purchase
        value ~ Gamma(p, rate nu) (mean spend per purchase p / nu).
    acquisition_start, acquisition_end : date-like
        Window of first purchases (both days included); acquisition moments are uniform in it.
    observation_end : date-like
        Last day observed (included): the end of the calibration period.
    holdout_end : date-like, optional
        If given, the process runs on to the end of this day and the summary
        gets ``frequency_holdout``, ``monetary_value_holdout`` and
        ``duration_holdout`` (purchases after observation_end).
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of the rates (the parameters) and of the summary's times.
    floor_dates : bool
        Floor the log's purchase moments to calendar days.
    transactions : bool
        Build the transaction log (False skips it when only the summary is needed).
    seed : int, optional
        Seed of ``np.random.default_rng``.
    purchase_coefficients, dropout_coefficients : mapping, optional
        Covariate column -> coefficient, in the models' form (module docstring).
    attributes : DataFrame, optional
        The covariates' values, one row per customer (in order); without it
        ``binary`` (0/1) and ``normal`` (N(0, 1)) are drawn.

    Returns
    -------
    Simulation
        ``transactions`` (``customer_id, date, amount, quantity``; None with
        ``transactions=False``), ``summary`` (exact, continuous time, index
        ``customer_id``), ``params`` (the model's and the spend parameters and
        ``time_unit``) and ``truth`` (per customer: ``lambda``, ``p`` or
        ``mu``, ``alive`` at the end of observation_end, ``nu``,
        ``mean_spend``, ``acquired``); no ``stages``.
"""


def simulate_bgnbd(
    n_customers: int, r: float, alpha: float, a: float, b: float, **kwargs
) -> Simulation:
    """Simulate a BG/NBD customer base with Gamma-Gamma spend.

    Purchase rate lambda ~ Gamma(r, rate alpha) per time unit; after every
    repeat purchase the customer drops out with probability p ~ Beta(a, b).
    """
    return _simulate_bg(n_customers, r, alpha, a, b, 0, kwargs)


def simulate_mbgnbd(
    n_customers: int, r: float, alpha: float, a: float, b: float, **kwargs
) -> Simulation:
    """Simulate an MBG/NBD customer base with Gamma-Gamma spend.

    As :func:`simulate_bgnbd`, but the customer may also drop out right after
    her first purchase (probability p), as in Batislam, Denizel & Filiztekin (2007).
    """
    return _simulate_bg(n_customers, r, alpha, a, b, 1, kwargs)


def simulate_paretonbd(
    n_customers: int, r: float, alpha: float, s: float, beta: float, **kwargs
) -> Simulation:
    """Simulate a Pareto/NBD customer base with Gamma-Gamma spend.

    Purchase rate lambda ~ Gamma(r, rate alpha) and dropout rate
    mu ~ Gamma(s, rate beta) per time unit; the lifetime is Exp(mu).
    """
    opts, rng, spend, window, params = _setup(
        n_customers, {"r": r, "alpha": alpha, "s": s, "beta": beta}, kwargs
    )
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))
    start, birth, T, H, unit = window
    n = T.size
    z, up, faster = _covariates(opts, n, rng, params)
    # alpha_i = alpha exp(-g_p' z), beta_i = beta exp(-g_d' z): rates x exp(g' z)
    lam = rng.gamma(r, 1.0 / (alpha / up), size=n)
    mu = rng.gamma(s, 1.0 / (beta / faster), size=n)
    with np.errstate(divide="ignore"):
        tau = rng.standard_exponential(n) / mu
    active = np.minimum(tau, T + H)
    made = rng.poisson(lam * active)
    cust, times = _sorted_times(rng, made, active, np.ones(n))
    summary, truth, log = _assemble(rng, cust, times, window, spend, opts)
    for col in z.columns:
        summary[col] = z[col].to_numpy()
    truth["lambda"] = lam
    truth["mu"] = mu
    truth["alive"] = tau > T
    truth = truth[["lambda", "mu", "alive", "nu", "mean_spend", "acquired"]]
    return Simulation(transactions=log, summary=summary, params=params, truth=truth)


for _f in (simulate_bgnbd, simulate_mbgnbd, simulate_paretonbd):
    _f.__doc__ += (
        """
    Parameters
    ----------
    n_customers : int
        Number of customers.
    r, alpha, ...: float
        The model's parameters, rates per ``time_unit``."""
        + _COMMON_DOC
    )
