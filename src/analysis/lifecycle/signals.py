"""The signals the stage rules read, per customer and period: the pace tests and P(alive).

:func:`pace_signals` measures every customer's pace of repeat purchases and
tests it for a rise or a fall against the customer's own past (one-sided
Poisson rate tests, statsmodels). :func:`bgnbd_p_alive` fits a BG/NBD model
and gives the probability that each customer is still active at the end of
every period: the optional ``p_alive`` input of
:func:`analysis.lifecycle.assign_stages`, which takes the values and fits
nothing itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..panel import Panel, build_panel

__all__ = ["pace_signals", "bgnbd_p_alive"]


def _window_counts(cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of a cell quantity over columns lo..hi (inclusive, per column) from its padded cumsum."""
    rows = np.arange(cum.shape[0])[:, None]
    return cum[rows, hi[None, :] + 1] - cum[rows, np.maximum(lo, 0)[None, :]]


def _poisson_pvalues(
    count1, exposure1, count2, exposure2, alternative: str, where: np.ndarray
) -> np.ndarray:
    """One-sided p-values of the score test that rate 1 is larger/smaller than rate 2 (statsmodels).

    Only the cells of ``where`` are tested (the others read 1): a p-value is only
    used where the rate ratio clears its threshold, and the test is the costly part.
    """
    from statsmodels.stats.rates import test_poisson_2indep

    out = np.ones(count1.shape)
    ok = where & (exposure1 > 0) & (exposure2 > 0) & ((count1 + count2) > 0)
    if ok.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            res = test_poisson_2indep(
                count1[ok],
                exposure1[ok],
                count2[ok],
                exposure2[ok],
                method="score",
                alternative=alternative,
            )
        p = np.asarray(res.pvalue, dtype=float)
        out[ok] = np.where(np.isfinite(p), p, 1.0)
    return out


def pace_signals(
    panel: Panel, window: int, growth_ratio: float, decline_ratio: float
) -> dict[str, np.ndarray]:
    """The per-cell pace signals the stage rules read (all customer x period arrays).

    The pace is the number of repeat purchases per period (the acquisition
    purchase is not a repeat; exposure runs from the day after it). The pace
    of the last k periods (k = 1 .. ``window``: one period, a third, two
    thirds and the whole window) is compared, with a one-sided Poisson rate
    test (statsmodels' score test) at every scale, with the k periods just
    before them (for a rise) and with the ``window`` periods before them
    (for a fall, against the customer's established level): one busy month
    can show a change for a frequent buyer, a sparse buyer needs the whole
    window.

    Parameters
    ----------
    panel : Panel
        The log's customer x period panel (:func:`analysis.panel.build_panel`).
    window : int
        The longest window, in periods.
    growth_ratio : float
        A rise needs the rate ratio to reach it (or a rate from nothing).
    decline_ratio : float
        A fall needs the rate ratio (against the window before) below it.

    Returns
    -------
    dict of ndarray
        ``age``, ``repeat_purchases`` (cumulative), ``window_purchases``,
        ``window_rate`` and ``reference_rate`` (repeat purchases in the
        trailing window and per period, and the rate in the window before),
        ``rate_ratio``, ``p_rising`` and ``p_falling`` (the smallest p-value
        over the scales whose ratio reaches ``growth_ratio`` / falls below
        ``decline_ratio``; 1 when none does), ``p_rising_last`` (the p-value
        of a rise of the last period alone over the period before, 1 when its
        ratio stays below ``growth_ratio``), ``periods_since_purchase`` and
        ``mean_cycle_periods`` (mean periods between purchase days so far; the
        customer table's ``purchase_cycle_days`` is another quantity, the median
        days between purchase days over the whole history). Values
        before a customer's first period are not meaningful.
    """
    n, m = panel.shape
    cols = np.arange(m)
    unit = panel.days_per_period
    repeats = panel.purchases.astype(float)
    repeats[np.arange(n), panel.first_column] -= 1.0  # the acquisition purchase is not a repeat
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(repeats, axis=1)], axis=1)
    cum_days = panel.purchases_to_date

    # Exposure to repeat purchases, in periods: from the day after the first purchase.
    def exposure(lo_col, hi_col):
        lo_day = panel.period_start[np.clip(lo_col, 0, m - 1)]
        hi_day = panel.period_end[np.clip(hi_col, 0, m - 1)]
        start = np.maximum(lo_day[None, :], panel.first_day[:, None] + 1)
        days = hi_day[None, :] - start + 1
        days = np.where((hi_col >= 0)[None, :], days, 0)
        return np.clip(days, 0, None) / unit

    def counts(lo_col, hi_col):
        inside = _window_counts(cum, lo_col, np.maximum(hi_col, 0))
        return np.where((hi_col >= 0)[None, :], inside, 0.0)

    p_rising = np.ones((n, m))
    p_falling = np.ones((n, m))
    # scales: one period, a third, two thirds and the whole window (1, 2, 3 months by default)
    scales = sorted({1, window} | {max(1, int(round(window * f))) for f in (1 / 3, 2 / 3)})
    for k in scales:
        c_cur, e_cur = counts(cols - k + 1, cols), exposure(cols - k + 1, cols)
        lo, hi = cols - k - window + 1, cols - k
        c_ref, e_ref = counts(lo, hi), exposure(lo, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_cur = np.where(e_cur > 0, c_cur / np.maximum(e_cur, 1.0), np.nan)
            r_ref = np.where(e_ref > 0, c_ref / np.maximum(e_ref, 1.0), np.nan)
            ratio = r_cur / r_ref
            down = ratio < decline_ratio
        # rises compare with the k periods just before (a plateau shows at once);
        # falls with the customer's level over the whole window before.
        lo = cols - 2 * k + 1
        c_adj, e_adj = counts(lo, hi), exposure(lo, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_adj = np.where(e_adj > 0, c_adj / np.maximum(e_adj, 1.0), np.nan)
            ratio_up = r_cur / r_adj
            up = (ratio_up >= growth_ratio) | ((r_adj == 0) & (r_cur > 0))
        p_up = _poisson_pvalues(c_cur, e_cur, c_adj, e_adj, "larger", up)
        p_down = _poisson_pvalues(c_cur, e_cur, c_ref, e_ref, "smaller", down)
        p_rising = np.where(up, np.minimum(p_rising, p_up), p_rising)
        p_falling = np.where(down, np.minimum(p_falling, p_down), p_falling)
        if k == 1:
            p_rising_last = np.where(up, p_up, 1.0)
        if k == window:
            count_cur, rate_cur, rate_ref, main_ratio = c_cur, r_cur, r_ref, ratio

    last = panel.latest_purchase_day
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (last - panel.first_day[:, None]) / (cum_days - 1) / unit
        cycle = np.where(cum_days >= 2, between, np.nan)
    return {
        "age": cols[None, :] - panel.first_column[:, None],
        "repeat_purchases": cum[:, 1:],
        "window_purchases": count_cur,
        "window_rate": rate_cur,
        "reference_rate": rate_ref,
        "rate_ratio": main_ratio,
        "p_rising": p_rising,
        "p_falling": p_falling,
        "p_rising_last": p_rising_last,
        "periods_since_purchase": panel.periods_since_purchase,
        "mean_cycle_periods": cycle,
    }


def bgnbd_p_alive(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
) -> pd.Series:
    """P(alive) of a BG/NBD model fitted on the whole log, at the end of every customer's every period.

    The model (:class:`analysis.models.BetaGeo`) is fitted once on the
    summary of the whole log in units of ``period``; each customer-period is
    then evaluated on the customer's history up to the period's end. Pass
    the result as ``p_alive`` to :func:`analysis.lifecycle.assign_stages`.

    Parameters
    ----------
    transactions : DataFrame
        The log: ``customer_id``, ``date`` (datetime64), ``amount``.
    period : {"D", "W", "M", "Q", "Y"}
        Length of a period, and the time unit of the fit.
    observation_end : date-like, optional
        Last day observed; defaults to the last purchase.

    Returns
    -------
    Series
        ``p_alive`` indexed by (``customer_id``, ``period``), one value per
        customer and period from its first purchase on, sorted. A customer
        without a repeat purchase so far has P(alive) = 1 under BG/NBD.
    """
    from ..models.beta_geo import BetaGeo
    from ..rfm import summarize

    panel = build_panel(transactions, period, observation_end)
    end = pd.Timestamp(np.datetime64(int(panel.period_end[-1]), "D"))
    model = BetaGeo().fit(summarize(transactions, time_unit=period, observation_end=end))
    rows, cols = np.nonzero(panel.active)
    first = panel.first_day[rows]
    history = pd.DataFrame(
        {
            "frequency": (panel.purchases_to_date[rows, cols] - 1).astype(np.int64),
            "recency": (panel.latest_purchase_day[rows, cols] - first) / panel.days_per_period,
            "T": (panel.period_end[cols] - first) / panel.days_per_period,
        }
    )
    index = pd.MultiIndex.from_arrays(
        [panel.customer_ids[rows], panel.periods[cols]], names=["customer_id", "period"]
    )
    return pd.Series(np.asarray(model.p_alive(history), dtype=float), index=index, name="p_alive")
