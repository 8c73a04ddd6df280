"""Cohort views of the relationship: retention by first-purchase cohort, relationship survival.

:func:`cohort_retention` reads only the log (it uses no stages): the share
of each first-purchase cohort buying at every relationship age.
:func:`relationship_survival` and :func:`survival_logrank` read a stages
frame: how long relationships last before their first decline
(Kaplan-Meier, log-rank test; statsmodels).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

from ..errors import NotComputable
from ..panel import build_panel
from ..validate import DataValidationError
from ._common import require_stages

__all__ = ["cohort_retention", "relationship_survival", "survival_logrank"]


def cohort_retention(
    transactions: pd.DataFrame,
    period: str = "M",
    cohort: str | None = None,
    observation_end=None,
) -> pd.DataFrame:
    """Share of each first-purchase cohort that buys in each period of relationship age.

    Parameters
    ----------
    transactions : DataFrame
        The log.
    period : str
        Length of an age step (periods since the first purchase's period).
    cohort : str, optional
        Length of a cohort (pandas period alias, e.g. ``"M"``, ``"W"``,
        ``"Q"``); defaults to ``period``.
    observation_end : date-like, optional
        Last day observed; ages after it are missing (NaN), not zero.

    Returns
    -------
    DataFrame
        Index ``cohort`` (sorted), column ``customers`` (cohort size) and one
        column per age 0, 1, ... holding the share of the cohort's customers
        with a purchase in that period (age 0 is 1 by construction).
    """
    cohort = period if cohort is None else cohort
    panel = build_panel(transactions, period, observation_end)
    first_dates = pd.to_datetime(panel.first_day.astype("datetime64[D]"))
    cohorts = pd.PeriodIndex(first_dates, freq=cohort)
    rows, cols = np.nonzero(panel.active)
    ages = panel.age[rows, cols]
    bought = (panel.purchases[rows, cols] > 0).astype(float)
    frame = pd.DataFrame({"cohort": cohorts[rows], "age": ages, "bought": bought})
    table = frame.pivot_table(
        index="cohort", columns="age", values="bought", aggfunc="mean", sort=True
    )
    # a cohort whose members are not all observed at an age is shown only over the observed ones
    sizes = pd.Series(cohorts).value_counts().sort_index()
    table.columns = pd.Index([int(c) for c in table.columns], name="age")
    table.insert(0, "customers", sizes.reindex(table.index).astype(np.int64).to_numpy())
    return table


def _relationship_durations(stages: pd.DataFrame) -> pd.DataFrame:
    """Per customer: periods until the first decline (event) or until observation ends (censored)."""
    require_stages(stages)
    frame = stages[["customer_id", "period", "stage"]].sort_values(
        ["customer_id", "period"], kind="stable"
    )
    cust, ids = pd.factorize(frame["customer_id"])
    per = pd.PeriodIndex(frame["period"]).asi8
    first = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first, cust, per)
    last = np.full(len(ids), np.iinfo(np.int64).min)
    np.maximum.at(last, cust, per)
    is_dec = frame["stage"].astype(str).to_numpy() == "decline"
    first_dec = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first_dec, cust[is_dec], per[is_dec])
    event = first_dec != np.iinfo(np.int64).max
    duration = np.where(event, first_dec - first, last - first + 1)
    return pd.DataFrame(
        {"duration": duration.astype(float), "event": event.astype(int), "first_period": first},
        index=pd.Index(ids, name="customer_id"),
    )


def _groups(durations: pd.DataFrame, stages: pd.DataFrame, by) -> pd.Series:
    if by is None:
        return pd.Series("all", index=durations.index, name="group")
    if isinstance(by, str) and by == "cohort":
        freq = stages["period"].dtype.freq
        labels = pd.PeriodIndex.from_ordinals(durations["first_period"].to_numpy(), freq=freq)
        return pd.Series(labels.astype(str), index=durations.index, name="group")
    if isinstance(by, pd.Series):
        groups = by.reindex(durations.index)
        if groups.isna().any():
            missing = groups.index[groups.isna()][:5].tolist()
            raise DataValidationError(
                f"by: {int(groups.isna().sum())} customer(s) have no group (e.g. {missing}); "
                "give a group for every customer in stages."
            )
        return groups.astype(str).rename("group")
    raise TypeError("by must be None, 'cohort' or a Series of groups indexed by customer_id")


def relationship_survival(stages: pd.DataFrame, by=None) -> pd.DataFrame:
    """Kaplan-Meier survival of relationships: the share not yet in decline after t periods.

    A relationship's duration is the number of periods from the first purchase
    to its first period in decline (the event); relationships never in decline
    are censored at the end of observation. Estimated with statsmodels'
    ``SurvfuncRight``.

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`assign_stages`.
    by : None, "cohort" or Series
        Groups: none, the first-purchase period, or a Series of segments
        indexed by ``customer_id``.

    Returns
    -------
    DataFrame
        Columns ``group``, ``time`` (periods; 0 added with survival 1),
        ``survival``, ``lower`` and ``upper`` (pointwise 95% interval),
        ``at_risk``, ``events``; sorted by group and time.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    durations = _relationship_durations(stages)
    groups = _groups(durations, stages, by)
    parts = []
    for name in sorted(groups.unique()):
        sub = durations.loc[groups == name]
        sf = SurvfuncRight(sub["duration"].to_numpy(), sub["event"].to_numpy())
        se = np.nan_to_num(sf.surv_prob_se)
        part = pd.DataFrame(
            {
                "group": name,
                "time": np.r_[0.0, sf.surv_times],
                "survival": np.r_[1.0, sf.surv_prob],
                "lower": np.r_[1.0, np.clip(sf.surv_prob - 1.96 * se, 0, 1)],
                "upper": np.r_[1.0, np.clip(sf.surv_prob + 1.96 * se, 0, 1)],
                "at_risk": np.r_[len(sub), sf.n_risk].astype(np.int64),
                "events": np.r_[0, sf.n_events].astype(np.int64),
            }
        )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _group_word(by) -> str:
    if isinstance(by, str) and by == "cohort":
        return "first-purchase cohort"
    if isinstance(by, pd.Series) and isinstance(by.name, str) and by.name:
        return by.name
    return "group"


def _logrank(duration: np.ndarray, event: np.ndarray, group: np.ndarray):
    """The log-rank chi-square over the groups that carry information, and those groups.

    A group carries information when some of its relationships are at risk at
    an event time at which not everyone at risk has the event. Risk sets are
    nested, so every such group is at risk at the first such time ``t*``; a
    group not at risk there has observed = expected at every event time and
    no variance, so leaving it out changes nothing but makes the variance
    matrix of the others invertible (it is then positive definite: the
    groups share ``t*``). Returns ``(statistic, compared labels, left-out
    labels)``; ``statistic`` is None when no event time has a survivor.
    """
    labels, g = np.unique(group, return_inverse=True)
    times = np.unique(duration[event == 1])
    at_risk = np.empty((len(times), len(labels)))
    for j in range(len(labels)):
        own = np.sort(duration[g == j])
        at_risk[:, j] = len(own) - np.searchsorted(own, times, side="left")
    events = np.zeros_like(at_risk)
    hit = event == 1
    np.add.at(events, (np.searchsorted(times, duration[hit]), g[hit]), 1.0)
    n, d = at_risk.sum(axis=1), events.sum(axis=1)
    informative = np.flatnonzero(n > d)
    if len(informative) == 0:
        return None, [], list(labels)
    keep = at_risk[informative[0]] > 0
    n_k, d_k = at_risk[:, keep], events[:, keep]
    observed = d_k.sum(axis=0)
    expected = (d / n) @ n_k
    weight = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
    share = n_k / n[:, None]
    variance = np.diag(weight @ share) - (share * weight[:, None]).T @ share
    diff = (observed - expected)[:-1]
    statistic = float(diff @ np.linalg.solve(variance[:-1, :-1], diff)) if len(diff) else None
    return statistic, list(labels[keep]), list(labels[~keep])


def survival_logrank(stages: pd.DataFrame, by="cohort") -> pd.Series:
    """Log-rank test that relationship survival is the same in every group.

    The statistic is the usual (unweighted) log-rank chi-square, as
    statsmodels' ``survdiff`` computes it, over the groups that carry
    information: a group none of whose relationships is still at risk when
    the first decline with survivors happens (a cohort acquired at the very
    end of the log) has no variance and is left out, so the test never
    fails on a singular matrix; the left-out groups are in
    ``result.attrs["left_out"]``.

    Returns
    -------
    Series
        ``statistic`` (chi-square), ``df``, ``pvalue`` (the chi-square upper
        tail, exact for small p-values too), ``groups`` (compared).

    Raises
    ------
    NotComputable
        Fewer than two groups; no relationship has reached decline (or every
        relationship at risk ends in decline at once); fewer than two groups
        carry information.
    """
    durations = _relationship_durations(stages)
    groups = _groups(durations, stages, by)
    word = _group_word(by)
    names = sorted(groups.unique())
    if len(names) < 2:
        only = f" ({names[0]})" if names else ""
        raise NotComputable(
            f"all {len(durations):,} customers are in one {word}{only}, and the log-rank test "
            "needs at least two groups to compare"
        )
    if not durations["event"].any():
        raise NotComputable(
            "no relationship has reached decline in this log, so there is no survival "
            f"difference between {word}s to test"
        )
    statistic, compared, left_out = _logrank(
        durations["duration"].to_numpy(), durations["event"].to_numpy(), groups.to_numpy()
    )
    if statistic is None or len(compared) < 2:
        raise NotComputable(
            f"only {len(compared)} of the {len(names)} {word}s had relationships still open "
            "when the first relationship ended in decline, so there is nothing to compare"
        )
    k = len(compared)
    # the upper tail directly: 1 - cdf would be 0 for any p below 1e-16
    pvalue = float(chi2.sf(statistic, k - 1))
    result = pd.Series({"statistic": statistic, "df": int(k - 1), "pvalue": pvalue, "groups": k})
    result.attrs["left_out"] = left_out
    return result


def first_period_spend_groups(stages: pd.DataFrame, n_groups: int = 3) -> pd.Series:
    """Customers in groups of about equal size by their spend in their first period (for ``by=``).

    The cut-points are the spend's quantiles at 1/n, 2/n, ...; a group is the
    customers above one cut-point and at or below the next. When many
    customers spent the same (a log without amounts, where spend counts
    purchases), cut-points coincide and there are fewer groups: customers
    with the same spend are never split.

    Labels ``"1 low"``, ``"2 middle"``, ``"3 high"`` for three groups, ``"1 low"``
    and ``"2 high"`` for two; ``"1"`` to ``"n"`` (lowest first) otherwise.
    Indexed by ``customer_id``.

    Raises
    ------
    NotComputable
        Every customer spent the same in its first period.
    """
    require_stages(stages)
    spend = stages.loc[stages["age"] == 0].set_index("customer_id")["spend"].astype(float)
    if spend.nunique() < 2:
        value = f" ({spend.iloc[0]:g})" if len(spend) else ""
        raise NotComputable(
            f"every customer spent the same in its first period{value}, so there is no spread "
            "of first-period spend to group customers by"
        )
    cuts = np.unique(spend.quantile([i / n_groups for i in range(1, n_groups)]).to_numpy())
    cuts = cuts[cuts < spend.max()]  # a cut at the maximum would leave its upper group empty
    codes = np.searchsorted(cuts, spend.to_numpy(), side="left")
    k = len(cuts) + 1
    labels = {3: ["1 low", "2 middle", "3 high"], 2: ["1 low", "2 high"]}.get(
        k, [str(i + 1) for i in range(k)]
    )
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=labels, ordered=True),
        index=spend.index,
        name="first-period spend group",
    )
