"""A transaction log whose customers move through the four lifecycle stages, with the true stage kept.

Each customer is acquired in one of the first ``acquisition_periods`` periods
(one cohort, as in CDNOW) with a first purchase, and then follows the
lifecycle of ``docs/domain.md#stages`` (Dwyer-Schurr-Oh / Chen Mingliang):

- **exploration** (考察期): a trial at a low purchase rate
  (``trial_rate_ratio`` x the customer's peak rate) and small orders, for
  ``1 + Poisson(exploration_mean - 1)`` periods;
- then either the trial fails and the relationship goes straight to
  **decline** (share ``p_fail_exploration``), or
- **formation** (形成期): fast growth -- the purchase rate grows by a
  customer-specific factor per period (``formation_growth`` on average) until
  it reaches the peak, and the spend per purchase rises with it (so revenue
  grows faster than volume); each formation period carries a hazard
  ``decline_hazard_formation`` of turning to decline;
- **stability** (稳定期): the peak rate and full spend per purchase, for a
  random number of periods (a geometric duration, i.e. a constant hazard of
  decline);
- **decline** (退化期): the rate decays by ``decay`` per period, or drops to
  zero at once (churn, share ``p_churn``); decline is absorbing.

So some customers never get past exploration, some decline from every stage
and some are still stable when observation ends. Purchases in a period are Poisson at the period's rate
on uniformly drawn days; amounts are gamma around the period's mean spend per
purchase.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..units import STAGES
from .result import Simulation

__all__ = ["simulate_lifecycle", "STAGES"]


def _geometric(rng: np.random.Generator, mean: float, size: int) -> np.ndarray:
    """Durations of at least one period with the given mean (geometric on 1, 2, ...)."""
    if mean < 1:
        raise ValueError(f"a mean duration must be at least 1 period, got {mean}")
    return rng.geometric(1.0 / mean, size)


def simulate_lifecycle(
    n_customers: int = 1000,
    n_periods: int = 24,
    seed: int | None = 0,
    *,
    period: str = "M",
    start: str = "2020-01-01",
    acquisition_periods: int = 3,
    peak_rate_mean: float = 4.0,
    peak_rate_shape: float = 3.0,
    trial_rate_ratio: float = 0.25,
    exploration_mean: float = 3.0,
    p_fail_exploration: float = 0.4,
    formation_growth: float = 1.25,
    formation_growth_sigma: float = 0.1,
    decline_hazard_formation: float = 0.05,
    stability_mean: float = 12.0,
    decay: float = 0.5,
    p_churn: float = 0.3,
    spend_mean: float = 40.0,
    spend_sigma: float = 0.4,
    trial_spend_ratio: float = 0.6,
    spend_shape: float = 4.0,
    unit_price: float = 15.0,
) -> Simulation:
    """Simulate a transaction log with known lifecycle stages per customer and period.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    n_periods : int
        Number of calendar periods observed (from ``start``).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.
    period : {"D", "W", "M", "Q", "Y"}
        Length of a period (pandas period alias); rates are per period.
    start : date-like
        First day of the first period.
    acquisition_periods : int
        Customers are acquired uniformly over the first this many periods.
    peak_rate_mean, peak_rate_shape : float
        The plateau purchase rate (purchases per period) is gamma-distributed
        across customers with this mean and shape.
    trial_rate_ratio : float
        Purchase rate in exploration as a share of the peak rate.
    exploration_mean : float
        Mean length of exploration in periods (``1 + Poisson(mean - 1)``: a
        trial has a typical length; the acquisition period counts).
    p_fail_exploration : float
        Share of trials that go straight from exploration to decline.
    formation_growth, formation_growth_sigma : float
        In formation the purchase rate is multiplied every period by the
        customer's growth factor, ``1 + (formation_growth - 1) * exp(N(0,
        sigma))``; formation holds the periods below the peak, so with the
        defaults it lasts about six periods (``ceil(log(1 / trial_rate_ratio)
        / log(1.25)) - 1``) unless decline strikes first.
    decline_hazard_formation : float
        Per-period probability that a forming relationship turns to decline.
    stability_mean : float
        Mean length of stability (geometric, at least 1) before decline.
    decay : float
        Rate multiplier per period in decline (0.5 halves it each period).
    p_churn : float
        Share of declines where purchasing stops at once instead of fading.
    spend_mean, spend_sigma : float
        Mean (dollars) and log-scale spread across customers of the spend per
        purchase at the plateau (log-normal).
    trial_spend_ratio : float
        Spend per purchase in exploration as a share of the plateau spend; it
        rises to the plateau over formation.
    spend_shape : float
        Gamma shape of single purchase amounts around the period's mean
        (coefficient of variation ``1 / sqrt(spend_shape)``).
    unit_price : float
        Dollars per item, to derive ``quantity`` from the amount.

    Returns
    -------
    Simulation
        ``transactions`` (``customer_id, date, amount, quantity``), no
        ``summary``, ``params`` (every argument but ``seed``), ``stages``
        (the truth per customer and period from acquisition to the last period:
        ``customer_id, period, age, stage, rate, spend_per_purchase``) and
        ``truth`` (per customer: ``acquisition_period, peak_rate,
        spend_per_purchase, exploration_periods, formation_periods,
        stability_periods, decline_start_age, churn``, ``fate`` -- the
        planned path: "trial failed", "declined in formation" or "declined
        from stability", which may lie beyond the observation window -- and
        ``final_stage``, the true stage in the last period).
    """
    if n_customers < 1 or n_periods < 1:
        raise ValueError("n_customers and n_periods must be positive")
    if not 1 <= acquisition_periods <= n_periods:
        raise ValueError(
            f"acquisition_periods must be between 1 and n_periods ({n_periods}), got {acquisition_periods}"
        )
    for name, value in (
        ("p_fail_exploration", p_fail_exploration),
        ("decline_hazard_formation", decline_hazard_formation),
        ("decay", decay),
        ("p_churn", p_churn),
        ("trial_spend_ratio", trial_spend_ratio),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    if not 0.0 < trial_rate_ratio < 1.0:
        raise ValueError(f"trial_rate_ratio must lie in (0, 1), got {trial_rate_ratio}")
    if exploration_mean < 1 or stability_mean < 1:
        raise ValueError(
            "exploration_mean and stability_mean are in periods and must be at least 1"
        )
    params = {
        "n_customers": n_customers,
        "n_periods": n_periods,
        "period": period,
        "start": start,
        "acquisition_periods": acquisition_periods,
        "peak_rate_mean": peak_rate_mean,
        "peak_rate_shape": peak_rate_shape,
        "trial_rate_ratio": trial_rate_ratio,
        "exploration_mean": exploration_mean,
        "p_fail_exploration": p_fail_exploration,
        "formation_growth": formation_growth,
        "formation_growth_sigma": formation_growth_sigma,
        "decline_hazard_formation": decline_hazard_formation,
        "stability_mean": stability_mean,
        "decay": decay,
        "p_churn": p_churn,
        "spend_mean": spend_mean,
        "spend_sigma": spend_sigma,
        "trial_spend_ratio": trial_spend_ratio,
        "spend_shape": spend_shape,
        "unit_price": unit_price,
    }
    rng = np.random.default_rng(seed)
    n = int(n_customers)

    periods = pd.period_range(start=start, periods=n_periods, freq=period)
    first_day = periods.start_time.to_numpy().astype("datetime64[D]").astype(np.int64)
    last_day = periods.end_time.to_numpy().astype("datetime64[D]").astype(np.int64)
    period_days = last_day - first_day + 1

    # --- per-customer truth -------------------------------------------------
    acq = rng.integers(0, acquisition_periods, n)
    peak = rng.gamma(peak_rate_shape, peak_rate_mean / peak_rate_shape, n)
    spend = np.exp(rng.normal(np.log(spend_mean) - spend_sigma**2 / 2, spend_sigma, n))
    d_explore = 1 + rng.poisson(exploration_mean - 1, n)
    fail = rng.random(n) < p_fail_exploration
    if formation_growth <= 1:
        raise ValueError(
            f"formation_growth must exceed 1 (growth per period), got {formation_growth}"
        )
    growth = 1 + (formation_growth - 1) * np.exp(rng.normal(0, formation_growth_sigma, n))
    trial = trial_rate_ratio * peak
    # periods of growth until the peak: trial * growth**D >= peak
    with np.errstate(divide="ignore"):
        needed = np.log(1 / max(trial_rate_ratio, 1e-12)) / np.log(growth)
    # the first period at the peak is stability, so formation holds the periods below it
    d_form_planned = np.maximum(1, np.ceil(needed - 1e-9) - 1).astype(np.int64)
    if decline_hazard_formation > 0:
        hazard_at = rng.geometric(
            decline_hazard_formation, n
        )  # formation period in which decline strikes
    else:
        hazard_at = np.full(n, np.iinfo(np.int64).max // 4)
    d_stable = _geometric(rng, stability_mean, n)
    churn = rng.random(n) < p_churn

    # Formation is cut short when the hazard strikes during it (then no stability).
    early = ~fail & (hazard_at <= d_form_planned)
    d_form = np.where(fail, 0, np.where(early, hazard_at, d_form_planned))
    d_stab = np.where(fail | early, 0, d_stable)
    end_explore = d_explore
    end_form = end_explore + d_form
    end_stab = end_form + d_stab  # = age at which decline starts

    # --- per customer and period (customers x ages) --------------------------
    max_age = n_periods  # ages 0 .. n_periods - 1
    age = np.arange(max_age)[None, :]
    in_obs = (acq[:, None] + age) < n_periods
    stage_code = np.select(
        [age < end_explore[:, None], age < end_form[:, None], age < end_stab[:, None]],
        [0, 1, 2],
        default=3,
    )
    # Formation period j (1, 2, ...): the rate grows geometrically, capped at the peak;
    # spend per purchase rises in step (share of the way from trial to peak on a log scale).
    j = np.maximum(age - end_explore[:, None] + 1, 0)
    grown = np.minimum(trial[:, None] * growth[:, None] ** j, peak[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = np.clip(
            np.log(grown / trial[:, None]) / np.log(1 / max(trial_rate_ratio, 1e-12)), 0, 1
        )
    progress = np.nan_to_num(progress, nan=1.0)
    rate = np.where(
        stage_code == 0, trial[:, None], np.where(stage_code == 1, grown, peak[:, None])
    )
    spend_ratio = np.where(
        stage_code == 0,
        trial_spend_ratio,
        np.where(stage_code == 1, trial_spend_ratio + (1 - trial_spend_ratio) * progress, 1.0),
    )
    # Decline: decay from the rate of the last period before it (or stop, for churners).
    last_before = np.clip(end_stab - 1, 0, max_age - 1)
    rate_before = np.take_along_axis(rate, last_before[:, None], axis=1)[:, 0]
    spend_before = np.take_along_axis(spend_ratio, last_before[:, None], axis=1)[:, 0]
    k = age - end_stab[:, None] + 1  # 1 in the first decline period
    decline_rate = np.where(churn[:, None], 0.0, rate_before[:, None] * decay ** np.maximum(k, 0))
    rate = np.where(stage_code == 3, decline_rate, rate)
    spend_ratio = np.where(stage_code == 3, spend_before[:, None], spend_ratio)
    spend_pp = spend[:, None] * spend_ratio

    # --- purchases ----------------------------------------------------------
    # The acquisition purchase falls on a uniform day of the first period; further
    # purchases in that period come at the trial rate over the days left.
    first_offset = np.floor(rng.random(n) * period_days[acq]).astype(np.int64)
    left = (period_days[acq] - first_offset - 1) / period_days[acq]
    exposure = np.where(age == 0, left[:, None], 1.0)
    counts = rng.poisson(rate * exposure) * in_obs
    extra = counts.ravel()
    cell_cust = np.repeat(np.repeat(np.arange(n), max_age), extra)
    cell_age = np.repeat(np.broadcast_to(age, (n, max_age)).ravel(), extra)
    cell_cal = acq[cell_cust] + cell_age
    lo = np.where(cell_age == 0, first_offset[cell_cust] + 1, 0)
    span = period_days[cell_cal] - lo
    offset = lo + np.floor(rng.random(len(cell_cust)) * span).astype(np.int64)
    day = first_day[cell_cal] + offset
    mean_amount = spend_pp.ravel()[cell_cust * max_age + cell_age]

    first_cust = np.arange(n)
    all_cust = np.concatenate([first_cust, cell_cust])
    all_day = np.concatenate([first_day[acq] + first_offset, day])
    all_mean = np.concatenate([spend[:] * spend_ratio[:, 0], mean_amount])
    amount = np.round(rng.gamma(spend_shape, all_mean / spend_shape), 2)
    amount = np.maximum(amount, 0.01)
    quantity = np.maximum(1, np.rint(amount / unit_price)).astype(np.int64)
    order = np.lexsort((all_day, all_cust))
    transactions = pd.DataFrame(
        {
            "customer_id": (all_cust[order] + 1).astype(np.int64),
            "date": all_day[order].astype("datetime64[D]").astype("datetime64[ns]"),
            "amount": amount[order],
            "quantity": quantity[order],
        }
    )

    # --- truth frames -------------------------------------------------------
    ci, ai = np.nonzero(in_obs)
    truth = pd.DataFrame(
        {
            "customer_id": (ci + 1).astype(np.int64),
            "period": pd.PeriodIndex(periods[acq[ci] + ai]),
            "age": ai.astype(np.int64),
            "stage": pd.Categorical.from_codes(stage_code[ci, ai], categories=list(STAGES)),
            "rate": rate[ci, ai],
            "spend_per_purchase": spend_pp[ci, ai],
        }
    )
    fate = np.where(
        fail,
        "trial failed",
        np.where(early, "declined in formation", "declined from stability"),
    )
    final_age = n_periods - 1 - acq
    customers = pd.DataFrame(
        {
            "acquisition_period": pd.PeriodIndex(periods[acq]),
            "peak_rate": peak,
            "spend_per_purchase": spend,
            "exploration_periods": d_explore.astype(np.int64),
            "formation_periods": d_form.astype(np.int64),
            "stability_periods": d_stab.astype(np.int64),
            "decline_start_age": end_stab.astype(np.int64),
            "churn": churn,
            "fate": fate,
            "final_stage": pd.Categorical.from_codes(
                stage_code[np.arange(n), final_age], categories=list(STAGES)
            ),
        },
        index=pd.Index(np.arange(1, n + 1, dtype=np.int64), name="customer_id"),
    )
    return Simulation(
        transactions=transactions, summary=None, params=params, truth=customers, stages=truth
    )
