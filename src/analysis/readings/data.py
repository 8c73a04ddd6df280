"""Readings of the data report: the log's scale, frequency, spend, weeks and cohorts.

Each function takes the table a section of ``notebooks/01_data.ipynb`` shows
(the :mod:`analysis.describe` outputs and the count table of the customer
summary) and returns Markdown that states only what those numbers show. The
words with a direction ("most", "falls", "similar", "wider") are chosen from
the numbers with the tolerances below, so the text stays true on any log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._format import cap, count, money, pct
from .lifecycle import not_read

__all__ = [
    "LEVEL_TOLERANCE",
    "SKEW_RATIO",
    "SIMILAR_RETURN_POINTS",
    "overview_reading",
    "frequency_reading",
    "spend_distribution_reading",
    "weekly_reading",
    "cohort_reading",
    "model_inputs_reading",
]

#: two weekly averages within this relative difference are "about level"
LEVEL_TOLERANCE: float = 0.10
#: a mean above this multiple of the median makes a distribution "skewed to the right"
SKEW_RATIO: float = 1.10
#: cohorts whose shares of returning customers span at most this many points are "similar"
SIMILAR_RETURN_POINTS: float = 5.0


def overview_reading(overview: pd.Series, *, currency: str = "$") -> str:
    """The log's scale and the share of one-time buyers (:func:`analysis.describe.log_overview`).

    "Most" is said of whichever group (one-time buyers or returners) is above half.
    """
    returning = float(overview["share of customers who return"])
    once = 1.0 - returning
    text = (
        f"**Reading.** {cap(pct(returning))} of the customers come back after their first "
        f"purchase day and {pct(once)} never do"
    )
    if once > 0.5:
        text += ": most are trial buyers; the value rests on the minority who return."
    elif returning > 0.5:
        text += ": most customers go beyond a trial, so repeat buying carries the base."
    else:
        text += ": the base splits evenly between trial buyers and returners."
    return text


def frequency_reading(per_customer: pd.DataFrame) -> str:
    """Purchase days per customer (:func:`analysis.describe.purchases_per_customer`).

    States the one-day and the last (open) bin's shares and whether the share
    falls with every extra purchase day up to the last bin.
    """
    shares = per_customer["share"].astype(float)
    if len(shares) == 1:
        only = str(per_customer.index[0])
        if only == "1":
            return (
                "**Reading.** Every customer bought on one day only: nobody has come back yet, so "
                "the log holds trials and no repeat buying to read."
            )
        return f"**Reading.** Every customer bought on {only} days."
    one, top = float(shares.iloc[0]), float(shares.iloc[-1])
    top_label = str(per_customer.index[-1])
    body = shares.iloc[:-1].to_numpy()
    if len(body) < 2:  # two bins: nothing to say about a fall between them
        return (
            f"**Reading.** {cap(pct(one))} of the customers bought on {per_customer.index[0]} "
            f"day{'s' if str(per_customer.index[0]) != '1' else ''} and {pct(top)} on "
            f"{top_label} days."
        )
    falling = bool(np.all(np.diff(body) <= 0))
    text = (
        f"**Reading.** {cap(pct(one))} of the customers bought on one day only and "
        f"{pct(top)} on {top_label} days. "
    )
    if falling:
        text += f"The share falls with every extra purchase day up to {per_customer.index[-2]}"
    else:
        text += (
            f"The share does not fall steadily from one purchase day to "
            f"{per_customer.index[-2]} (the largest bin is {per_customer['share'].astype(float).idxmax()})"
        )
    text += (
        f"; the {top_label} buyers are the relationships to protect, the one-day buyers the "
        "trials whose conversion decides whether acquisition pays."
    )
    return text


def _skew(column: pd.Series) -> tuple[float, str]:
    mean, median = float(column["mean"]), float(column["50%"])
    ratio = mean / median if median > 0 else np.inf
    return ratio, "skewed to the right" if ratio > SKEW_RATIO else "roughly symmetric"


def _spread(column: pd.Series) -> float:
    low, high = float(column["10%"]), float(column["90%"])
    return high / low if low > 0 else np.inf


def spend_distribution_reading(spend: pd.DataFrame, *, currency: str = "$") -> str:
    """Spend per transaction and per customer (:func:`analysis.describe.spend_summary`).

    Each column is "skewed to the right" when its mean exceeds :data:`SKEW_RATIO`
    times its median; the wider spread is the larger 90%/10% quantile ratio.
    ``spend`` not computed (a log without amounts): one sentence saying so.
    """
    if note := not_read(spend, missing="how spend is distributed"):
        return note
    order = spend["per transaction"]
    if float(order["min"]) == float(order["max"]):
        return (
            f"**Reading.** Every purchase in the log has the same amount, "
            f"{money(float(order['min']), currency)}: there is no spread in spend per "
            "transaction, so revenue per customer only counts purchases (from "
            f"{money(float(spend['per customer']['min']), currency)} to "
            f"{money(float(spend['per customer']['max']), currency)}), and value segments rest on "
            "frequency alone."
        )
    parts = []
    for name in ["per transaction", "per customer"]:
        ratio, word = _skew(spend[name])
        parts.append(f"{name} the mean is {ratio:.2f} times the median ({word})")
    order, customer = _spread(spend["per transaction"]), _spread(spend["per customer"])
    text = f"**Reading.** {cap(parts[0])}; {parts[1]}. "

    def fmt(x: float) -> str:
        return f"{x:.1f}" if np.isfinite(x) else "unbounded (the 10% quantile is zero)"

    spread = (
        f"The 90% quantile is {fmt(order)} times the 10% quantile per transaction and "
        f"{fmt(customer)} per customer"
    )
    if customer > order:
        text += (
            f"{spread}: revenue per customer is spread wider than the order (it multiplies "
            "spend by purchases), so value segments rest on frequency as much as basket size."
        )
    else:
        text += f"{spread}: revenue per customer is spread no wider than the order."
    return text


def weekly_reading(weekly: pd.DataFrame) -> str:
    """Weekly first and repeat purchases (:func:`analysis.describe.repeat_transactions`).

    Names the weeks with first purchases, and compares the mean weekly repeat
    purchases of the first and the last third of the weeks after the last
    acquisition (the whole log when acquisition goes on to the end; the final,
    possibly partial, week left out): "rise"/"fall" beyond
    :data:`LEVEL_TOLERANCE`, "stay about level" within it.
    """
    weeks = weekly.iloc[:-1] if len(weekly) > 3 else weekly
    acquiring = np.flatnonzero(weekly["first"].to_numpy() > 0)
    first_week, last_week = weekly.index[acquiring[0]], weekly.index[acquiring[-1]]
    n_acq = int(acquiring[-1] - acquiring[0] + 1)
    after = weeks.loc[weeks.index > last_week]
    if len(after) >= 3:
        span = (
            f"the week of {first_week:%Y-%m-%d}"
            if n_acq == 1
            else f"the {n_acq} weeks from the week of {first_week:%Y-%m-%d} to the week of "
            f"{last_week:%Y-%m-%d}"
        )
        text = (
            f"**Reading.** All first purchases fall in {span}; after that every purchase is a "
            "repeat purchase. "
        )
        base, label = after, "after the last acquisition"
    else:
        text = (
            f"**Reading.** New customers arrive from the week of {first_week:%Y-%m-%d} to "
            f"the week of {last_week:%Y-%m-%d}, close to the end of the log. "
        )
        base, label = weeks, "of the log"
    third = max(len(base) // 3, 1)
    early, late = (
        float(base["repeat"].iloc[:third].mean()),
        float(base["repeat"].iloc[-third:].mean()),
    )
    if early == 0 and late == 0:
        return text + (
            f"There are no repeat purchases to follow: none in the {count(len(base), 'week')} "
            f"{label}."
        )
    change = (late - early) / early if early > 0 else np.inf
    if abs(change) <= LEVEL_TOLERANCE:
        word = "stay about level"
    else:
        word = "fall" if change < 0 else "rise"
    text += (
        f"Weekly repeat purchases {word}: {early:,.0f} a week on average in the first "
        f"{count(third, 'week')} {label}, {late:,.0f} in the last {third}"
    )
    if word == "fall" and len(after) >= 3:
        text += (
            ": with no new customers, the decline is built into the base as relationships lapse."
        )
    else:
        text += "."
    return text


def cohort_reading(cohorts: pd.DataFrame, *, currency: str = "$") -> str:
    """Acquisition cohorts (:func:`analysis.describe.cohorts`): sizes and return shares.

    The return shares are "similar" when they span at most
    :data:`SIMILAR_RETURN_POINTS` points; otherwise the lowest cohort is named.
    """
    if len(cohorts) == 1:
        row = cohorts.iloc[0]
        return (
            f"**Reading.** One cohort ({cohorts.index[0]}): {count(row['customers'])}, "
            f"{pct(float(row['returned']))} of whom came back."
        )
    returned = cohorts["returned"].astype(float)
    span = 100 * (returned.max() - returned.min())
    text = (
        f"**Reading.** {len(cohorts)} cohorts of {int(cohorts['customers'].min()):,} to "
        f"{int(cohorts['customers'].max()):,} customers; between {pct(returned.min())} and "
        f"{pct(returned.max())} of each came back, revenue per customer from "
        f"{money(float(cohorts['revenue_per_customer'].min()), currency)} to "
        f"{money(float(cohorts['revenue_per_customer'].max()), currency)}. "
    )
    if span <= SIMILAR_RETURN_POINTS:
        text += (
            f"The return shares are similar (within {span:.1f} points): one population to model."
        )
    else:
        text += (
            f"The return shares differ by {span:.1f} points (lowest: {returned.idxmin()}); "
            "later cohorts have had less time to come back, and a cohort that returns much less "
            "deserves its own study before one model covers them all."
        )
    return text


def model_inputs_reading(counts: pd.Series, *, amounts: bool = True) -> str:
    """The calibration summary's counts (customers, repeat purchases, holdout purchases).

    ``amounts=False`` (a log without amounts): no spend model is fitted, said so.
    """
    customers = int(counts["customers in the calibration summary"])
    none = int(counts["customers with no repeat purchase"])
    text = (
        f"**Reading.** {pct(none / customers if customers else np.nan)} of the customers have "
        "no repeat purchase in calibration; the repeat buyers "
        + (
            "feed the spend model"
            if amounts
            else "would feed a spend model, but the log has no amounts, so none is fitted"
        )
    )
    holdout = counts.get("purchases in the holdout")
    if holdout is not None and pd.notna(holdout):
        text += ", the holdout purchases check the fits"
    return text + ". The published counts are checked in `00_reproduction` and the tests."
