"""Predictive checks of the count models: the calibration histogram and the tracking band.

Two checks complement the holdout tables of :mod:`.validation`:

- :func:`period_transactions`: how many customers made 0, 1, 2, ... repeat
  purchases in the calibration period, against the number each model
  expects (a model fitted on these data should reproduce their
  distribution), with a chi-square goodness-of-fit statistic per model
  (:func:`period_chi_square`);
- :func:`tracking_band`: the cohort's expected cumulative repeat purchases
  of :func:`.validation.tracking_table`, with an interval from the parameter
  draws of :func:`.uncertainty.draw_models` and, by default, a wider
  predictive interval that adds the purchase noise of the cohort's count.

The new-customer variance behind the predictive interval,
:func:`variance_new_customer`, is computed from the model's purchase
distribution, so any :class:`~analysis.models.protocol.PurchaseCountDistribution`
works.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import chi2

from ..units import unit_days
from ..validate import DataValidationError
from .rows import unique_rows
from .uncertainty import DEFAULT_DRAWS, draw_models
from .validation import tracking_table

__all__ = [
    "period_transactions",
    "period_chi_square",
    "variance_new_customer",
    "tracking_band",
]

#: the open last row of the histogram starts here unless told otherwise ("7+")
DEFAULT_MAX_FREQUENCY = 7
#: purchase counts summed for a variance until the probability left above is below this
_TAIL_MASS = 1e-9
#: ages at which the new-customer variance is computed, then interpolated linearly; spaced
#: quadratically (dense near 0, where the variance bends most): within 1% on CDNOW's models
_VARIANCE_GRID = 33


# ----------------------------------------------------------------------------------------------
# the calibration histogram
# ----------------------------------------------------------------------------------------------
def period_transactions(
    fitted, calibration: pd.DataFrame, max_frequency: int = DEFAULT_MAX_FREQUENCY
) -> pd.DataFrame:
    """Customers by number of repeat purchases in calibration: observed and expected by each model.

    A customer observed for T_i (her first purchase to the calibration end)
    makes x repeat purchases with probability P(X(T_i) = x), the
    new-customer distribution of the model; the expected number of customers
    with x repeat purchases is the sum of these probabilities over customers.
    Customers are grouped by T, so each model's distribution is evaluated
    once per distinct T (a summary in whole days has few).

    Parameters
    ----------
    fitted : fitted model or mapping of str to fitted model
        Anything with ``probability_of_purchases_new_customer(n=..., t=...)``
        in the summary's time unit; a single model gets the column ``predicted``.
    calibration : DataFrame
        Calibration summary with ``frequency`` and ``T`` (from
        :func:`analysis.rfm.summarize`); an optional ``weight`` column
        (compressed data) counts each row that many times.
    max_frequency : int
        Frequencies at or above it form the last, open row ("7+" by default).

    Returns
    -------
    DataFrame
        Index ``frequency`` ("0", "1", ..., "7+"), columns ``actual``
        (customers observed) and one per model (customers expected). Every
        column sums to the number of customers: the open row is the
        customers less the rows above it.
    """
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise ValueError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}")
    max_frequency = int(max_frequency)
    models = dict(fitted) if isinstance(fitted, Mapping) else {"predicted": fitted}
    if not models:
        raise TypeError("fitted must be a fitted model or a non-empty mapping of name to model")
    missing = [c for c in ("frequency", "T") if c not in calibration.columns]
    if missing:
        raise DataValidationError(
            f"period_transactions needs column(s) {missing}; build the calibration summary "
            "with analysis.rfm.summarize."
        )
    x = calibration["frequency"].to_numpy(dtype=float)
    T = calibration["T"].to_numpy(dtype=float)
    w = (
        calibration["weight"].to_numpy(dtype=float)
        if "weight" in calibration.columns
        else np.ones(len(calibration))
    )
    bad = ~np.isfinite(T) | (T < 0) | ~np.isfinite(x) | (x < 0)
    if bad.any():
        raise DataValidationError(
            f"{int(bad.sum())} customer(s) have a missing or negative frequency or T (rows "
            f"{list(calibration.index[bad][:5])}); fix or drop them before the check."
        )
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    rows = np.minimum(x.astype(np.int64), max_frequency)
    customers = float(w.sum())
    out = pd.DataFrame(
        {"actual": np.bincount(rows, weights=w, minlength=max_frequency + 1)},
        index=pd.Index(labels, name="frequency"),
    )
    uT, inv = np.unique(T, return_inverse=True)
    w_by_T = np.bincount(inv, weights=w, minlength=uT.size)
    n = np.arange(max_frequency)[:, None]
    for name, model in models.items():
        if getattr(model, "has_covariates", False):
            closed = _closed_with_covariates(model, calibration, T, w, n)
        else:
            p = np.asarray(model.probability_of_purchases_new_customer(n=n, t=uT[None, :]))
            closed = p.reshape(max_frequency, uT.size) @ w_by_T
        out[str(name)] = np.r_[closed, customers - closed.sum()]
    if np.all(np.mod(out["actual"], 1) == 0):
        out["actual"] = out["actual"].astype(np.int64)
    return out


def _closed_with_covariates(model, calibration, T, w, n) -> np.ndarray:
    """Expected customers at each frequency in ``n`` of a model with covariates.

    Each customer has her own distribution: the rows are grouped by (T,
    covariates) and each group's profile weighs its customers.
    """
    cols = list(model.covariate_columns)
    missing = [c for c in cols if c not in calibration.columns]
    if missing:
        raise DataValidationError(
            f"period_transactions: the model's covariate(s) {missing} are not columns of the "
            "calibration summary"
        )
    z = calibration[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    uniq, _, inv = unique_rows(np.column_stack([T, z]), return_inverse=True)
    weight = np.bincount(inv, weights=w, minlength=uniq.shape[0])
    profiles = pd.DataFrame(uniq[:, 1:], columns=cols)
    p = np.asarray(
        model.probability_of_purchases_new_customer(n=n, t=uniq[None, :, 0], covariates=profiles)
    )
    return p.reshape(n.shape[0], uniq.shape[0]) @ weight


def period_chi_square(table: pd.DataFrame, n_params=4) -> pd.DataFrame:
    """Chi-square goodness of fit of each model's expected histogram to the observed one.

    The statistic is sum over rows of (observed - expected)^2 / expected,
    on rows - 1 - ``n_params`` degrees of freedom, as the BTYD papers use it
    for the calibration histogram. The models are fitted by maximum
    likelihood on the customers, not on the grouped counts, so the reference
    distribution is only approximate (the true one lies between chi-square
    on rows - 1 - k and on rows - 1 degrees of freedom): read a small p-value
    as a misfit of shape, not as an exact test. Rows expecting few customers
    (below about 5) make the statistic unstable; a smaller ``max_frequency``
    pools them.

    Parameters
    ----------
    table : DataFrame
        :func:`period_transactions` (``actual`` and one column per model).
    n_params : int or mapping of str to int
        Parameters estimated per model (4 for BG/NBD, Pareto/NBD and
        MBG/NBD); a mapping gives them model by model (``model.n_params``).

    Returns
    -------
    DataFrame
        Index ``model``, columns ``chi_square``, ``dof`` and ``p_value``
        (NaN when there are no degrees of freedom left).
    """
    observed = table["actual"].to_numpy(dtype=float)
    rows = {}
    for name in (c for c in table.columns if c != "actual"):
        expected = table[name].to_numpy(dtype=float)
        k = int(n_params[name] if isinstance(n_params, Mapping) else n_params)
        used = (expected > 0) | (observed > 0)
        with np.errstate(divide="ignore"):
            stat = float(np.sum((observed[used] - expected[used]) ** 2 / expected[used]))
        dof = int(used.sum()) - 1 - k
        rows[name] = {
            "chi_square": stat,
            "dof": dof,
            "p_value": float(chi2.sf(stat, dof)) if dof > 0 else float("nan"),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["dof"] = out["dof"].astype(np.int64)
    out.index.name = "model"
    return out


# ----------------------------------------------------------------------------------------------
# the tracking band
# ----------------------------------------------------------------------------------------------
def variance_new_customer(model, t, covariates=None) -> np.ndarray:
    """Var[X(t)]: variance of a new customer's repeat purchases in (0, t], from the model's pmf.

    The variance over customers drawn from the population (heterogeneity and
    dropout included), computed as sum over n of (n - E[X(t)])^2 P(X(t) = n)
    with n summed until less than 1e-9 of the probability is left above.

    Parameters
    ----------
    model : fitted model
        Anything with ``probability_of_purchases_new_customer`` and
        ``expected_purchases_new_customer``.
    t : float or array
        Window lengths (>= 0) in the model's time unit.
    covariates : mapping, optional
        A model with covariates: the new customer's values (one profile).

    Returns
    -------
    float or ndarray
        One variance per ``t`` (a float for scalar ``t``).
    """
    t_arr = np.atleast_1d(np.asarray(t, dtype=float))
    given = {} if covariates is None else {"covariates": covariates}
    mean = np.asarray(model.expected_purchases_new_customer(t=t_arr, **given), dtype=float)
    top = 100
    while True:
        n = np.arange(top + 1, dtype=float)[:, None]
        p = np.asarray(model.probability_of_purchases_new_customer(n=n, t=t_arr[None, :], **given))
        if np.max(1.0 - p.sum(axis=0)) < _TAIL_MASS:
            break
        if top >= 12_800:
            raise RuntimeError(
                f"the purchase distribution of {type(model).__name__} keeps more than "
                f"{_TAIL_MASS:g} of its probability above {top} purchases at t = "
                f"{t_arr.max():g}; its variance cannot be summed (is the fit degenerate?)."
            )
        top *= 2
    var = np.sum((n - mean[None, :]) ** 2 * p, axis=0)
    return var.reshape(np.shape(t)) if np.ndim(t) else float(var[0])


def _cohort_first_days(
    transactions, calibration_end, customer_id, date, with_ids: bool = False
) -> np.ndarray:
    """Day numbers of the first purchases of the calibration cohort (one per customer)."""
    days = pd.to_datetime(transactions[date]).dt.normalize().to_numpy()
    day_numbers = days.astype("datetime64[D]").astype(np.int64)
    first = pd.Series(day_numbers).groupby(transactions[customer_id].to_numpy()).min()
    cal_day = np.datetime64(pd.Timestamp(calibration_end).normalize(), "D").astype(np.int64)
    keep = first.to_numpy() <= cal_day
    return (first.index[keep], first.to_numpy()[keep]) if with_ids else first.to_numpy()[keep]


def _band_with_covariates(model, table, cohort, attributes, unit, n_draws, seed, noise):
    """Draws of the cohort curve (draws x periods) and its purchase-noise sd, by profile.

    Customers are grouped by (first day, covariate values); each group's
    expectation uses its own values (``tracking_table(..., attributes=...)``).
    """
    ids, first = cohort
    cols = list(model.covariate_columns)
    if attributes is None or any(c not in attributes.columns for c in cols):
        raise DataValidationError(
            f"tracking_band: {type(model).__name__} has covariates {cols}; pass attributes= "
            "(a frame indexed by customer id with these columns)"
        )
    z = attributes[cols].reindex(ids).to_numpy(dtype=float)
    uniq, counts = unique_rows(np.column_stack([first.astype(float), z]))
    edges = table["time"].to_numpy() * unit + first.min()
    ages = np.clip((edges[None, :] - uniq[:, :1]) / unit, 0.0, None)  # (groups, periods)
    profiles = pd.DataFrame(np.repeat(uniq[:, 1:], ages.shape[1], axis=0), columns=cols)
    curves = np.empty((int(n_draws), ages.shape[1]))
    for k, twin in enumerate(draw_models(model, n_draws, seed)):
        values = twin.expected_purchases_new_customer(t=ages.ravel(), covariates=profiles)
        curves[k] = counts @ np.asarray(values, dtype=float).reshape(ages.shape)
    if not noise:
        return curves, None
    var = np.zeros(ages.shape[1])
    grid = float(ages.max()) * np.linspace(0.0, 1.0, _VARIANCE_GRID) ** 2
    values, group = unique_rows(uniq[:, 1:], return_inverse=True)[0::2]
    for j, row in enumerate(values):
        v = variance_new_customer(model, grid, covariates=dict(zip(cols, row, strict=True)))
        mine = group == j
        var += counts[mine] @ np.interp(ages[mine], grid, v)
    return curves, np.sqrt(var)


def tracking_band(
    model,
    transactions: pd.DataFrame,
    calibration_end,
    observation_end=None,
    *,
    time_unit: str = "W",
    level: float = 0.9,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    noise: bool = True,
    name: str = "predicted",
    customer_id: str = "customer_id",
    date: str = "date",
    attributes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The cohort's expected cumulative repeat purchases by date, with an interval band.

    The curve is :func:`.validation.tracking_table`'s for one model (the sum
    over the cohort of the new-customer expectation from each customer's
    first purchase). The band ``low``-``high`` holds the central ``level`` of
    that curve over ``n_draws`` parameter draws (:func:`.uncertainty.draw_models`):
    the **parameter uncertainty of the expected curve**, which narrows as the
    cohort grows. It is not where the actual count should fall: the count
    also varies by the chance of who buys when, so an actual curve outside
    ``low``-``high`` is not yet a misfit.

    With ``noise=True`` the band ``predictive_low``-``predictive_high`` adds
    that chance: the cohort's count is a sum of independent customers, with
    variance the sum of their :func:`variance_new_customer` at the estimate
    (computed at 33 ages and interpolated, within about 1%), taken as normal and added
    to each draw's curve. This is the band to hold the actual count against.
    Both bands are for the cumulative count; ``low_period``-``high_period``
    is the parameter band of the purchases per period.

    Parameters
    ----------
    model : fitted model
        A fitted count model (``params`` and covariance, as
        :func:`.uncertainty.draw_models` needs, and the new-customer
        predictions). A model without a covariance gives a band of zero width.
    transactions : DataFrame
        The log, with ``customer_id`` and ``date`` columns.
    calibration_end, observation_end : date-like
        As :func:`.validation.tracking_table`.
    time_unit : {"D", "W", "M", "Q", "Y"}
        Tracking period and the model's time unit.
    level : float
        Central probability of the bands, in (0, 1).
    n_draws : int
        Parameter draws.
    seed : int
        Seed of the draws (and of the noise): the same seed gives the same bands.
    noise : bool
        Add the predictive band of the actual count.
    name : str
        Name of the column of the expected curve (the model's display name).
    customer_id, date : str
        Column names.
    attributes : DataFrame, optional
        Needed for a model with covariates: the covariate columns indexed by
        customer id (each customer's curve and noise with her own values).

    Returns
    -------
    DataFrame
        :func:`.validation.tracking_table`'s rows and columns (``date``,
        ``time``, ``calibration``, ``actual``, ``name``), then ``low``,
        ``high``, ``low_period``, ``high_period``, with ``noise``
        ``predictive_low`` and ``predictive_high``, and ``level`` (the same
        in every row, so a plot or reading can say what the band holds).
    """
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be a probability in (0, 1), got {level!r}")
    if name in ("date", "time", "calibration", "actual", "low", "high", "level"):
        raise ValueError(f"name {name!r} would clash with a column of the band; choose another")
    table = tracking_table(
        {name: model},
        transactions,
        calibration_end,
        observation_end,
        time_unit=time_unit,
        customer_id=customer_id,
        date=date,
        attributes=attributes,
    )
    unit = unit_days(time_unit)
    q = [(1 - level) / 2, (1 + level) / 2]
    if getattr(model, "has_covariates", False):
        cohort = _cohort_first_days(transactions, calibration_end, customer_id, date, True)
        curves, sd = _band_with_covariates(
            model, table, cohort, attributes, unit, n_draws, seed, noise
        )
        return _band_columns(table, curves, sd, q, seed, level)
    first = _cohort_first_days(transactions, calibration_end, customer_id, date)
    starts, counts = np.unique(first, return_counts=True)
    # ages in days, rounded so that equal day differences are one value: the curve depends on
    # the customers only through their ages, and each distinct age is evaluated once per draw
    days = table["time"].to_numpy()[None, :] * unit - (starts - starts.min())[:, None]
    uniq, inv = np.unique(np.round(np.clip(days, 0.0, None), 6), return_inverse=True)
    uniq = uniq / unit
    inv = inv.reshape(days.shape)
    curves = np.empty((int(n_draws), days.shape[1]))
    for k, twin in enumerate(draw_models(model, n_draws, seed)):
        values = np.asarray(twin.expected_purchases_new_customer(t=uniq), dtype=float)
        curves[k] = counts @ values[inv]
    sd = None
    if noise:
        grid = float(uniq.max()) * np.linspace(0.0, 1.0, _VARIANCE_GRID) ** 2
        var = np.interp(uniq, grid, variance_new_customer(model, grid))
        sd = np.sqrt(counts @ var[inv])
    return _band_columns(table, curves, sd, q, seed, level)


def _band_columns(table, curves, sd, q, seed, level) -> pd.DataFrame:
    """The band's columns from the drawn curves (draws x periods) and the noise sd (or None)."""
    out = table.copy()
    out["low"], out["high"] = np.quantile(curves, q, axis=0)
    per_period = np.diff(curves, axis=1, prepend=0.0)
    out["low_period"], out["high_period"] = np.quantile(per_period, q, axis=0)
    if sd is not None:
        z = np.random.default_rng([int(seed), 1]).standard_normal(curves.shape[0])
        counts_drawn = np.clip(curves + z[:, None] * sd[None, :], 0.0, None)
        out["predictive_low"], out["predictive_high"] = np.quantile(counts_drawn, q, axis=0)
    out["level"] = float(level)
    return out
