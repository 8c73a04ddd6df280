"""Tables of the lifecycle report: the stage mix now, where the Markov chain takes it, what a stage is worth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..units import STAGES
from .format import money, time_unit_name

__all__ = ["stage_projection_table", "spend_group_labels", "stage_values"]


def stage_projection_table(
    projection: pd.DataFrame,
    steps=None,
    *,
    customers: int | None = None,
    period: str = "M",
) -> pd.DataFrame:
    """The stage mix now beside the projected mix some periods ahead, stage by stage.

    In place of a plot of flat lines: the chain moves the mix in the first
    periods and then hardly at all, which a table of now and +12 months
    says directly.

    Parameters
    ----------
    projection : DataFrame
        :func:`analysis.lifecycle.project_stage_mix` output: index ``step``
        (0 = now), one column of shares per stage.
    steps : int or sequence of int, optional
        The steps ahead to show; the last step of ``projection`` by default.
    customers : int, optional
        Today's customers; when given, ``customers_now`` and the expected
        customers at each step are added (shares times ``customers``, no new
        customers arriving).
    period : str
        Length of a step (``"M"``: months), for the column names.

    Returns
    -------
    DataFrame
        Index ``stage``; columns ``now`` and ``+<k> <unit>`` (shares), then
        ``change`` (the last step minus now, in shares: the table's roles
        show it in percentage points) and, with ``customers``, the expected
        customers per column. ``attrs["roles"]`` declares the roles for
        :func:`analysis.tables.format_table`.
    """
    if 0 not in projection.index:
        raise ValueError("projection needs step 0 (now): pass lifecycle.project_stage_mix output")
    if steps is None:
        steps = [int(projection.index.max())]
    steps = [int(s) for s in np.atleast_1d(steps)]
    absent = [s for s in steps if s not in projection.index]
    if absent:
        raise ValueError(
            f"steps {absent} are beyond the projection (steps 0 to {int(projection.index.max())})"
        )
    unit = time_unit_name(period)
    names = ["now", *[f"+{s} {unit[:-1] if s == 1 else unit}" for s in steps]]
    shares = projection.loc[[0, *steps]].T.astype(float)
    shares.columns = names
    shares.index = pd.Index([str(s) for s in shares.index], name="stage")
    shares["change"] = shares[names[-1]] - shares["now"]
    roles = {name: "share" for name in names} | {"change": "points"}
    if customers is not None:
        if int(customers) != customers or customers < 0:
            raise ValueError(f"customers must be a non-negative whole number, got {customers!r}")
        for name in names:
            shares[f"customers {name}"] = shares[name] * int(customers)
            roles[f"customers {name}"] = "count"
    shares.attrs["roles"] = roles
    return shares


def spend_group_labels(stages: pd.DataFrame, groups: pd.Series, *, currency: str = "$") -> dict:
    """Each first-period spend group with its cut-points: ``{"1 low": "1 low: $0.00 to $12.50"}``.

    Parameters
    ----------
    stages : DataFrame
        :func:`analysis.lifecycle.assign_stages` output (``customer_id``,
        ``age``, ``spend``).
    groups : Series
        The group of each customer, indexed by ``customer_id``
        (:func:`analysis.lifecycle.first_period_spend_groups`).
    currency : str
        Currency sign.

    Returns
    -------
    dict
        Group -> label with the lowest and highest first-period spend in it,
        for the legend of :func:`analysis.plots.plot_survival`.
    """
    missing = [c for c in ("customer_id", "age", "spend") if c not in stages.columns]
    if missing:
        raise ValueError(f"spend_group_labels: stages lacks column(s) {missing}")
    first = stages.loc[stages["age"] == 0].set_index("customer_id")["spend"].astype(float)
    spend = first.reindex(groups.index)
    ranges = spend.groupby(groups.astype(str), sort=True).agg(["min", "max"])
    return {
        group: f"{group}: {money(lo, currency)} to {money(hi, currency)}"
        for group, (lo, hi) in ranges.iterrows()
    }


def stage_values(
    table: pd.DataFrame, *, value: str = "clv", hindsight: pd.Series | None = None
) -> pd.DataFrame:
    """What the customers in each stage are worth, from the customer table: counts, means, totals.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`): one
        row per customer with ``stage`` (the real-time stage in the last
        period) and ``value``; with ``value_low`` and ``value_high`` (each
        customer's interval, e.g. ``clv_low`` and ``clv_high``) when present.
    value : str
        The table's value per customer: ``clv`` by default.
    hindsight : Series, optional
        Each customer's stage in the last period by another view (the
        hindsight view's :func:`analysis.lifecycle.current_stage`), indexed
        by customer id; adds the share of each stage's customers that it puts
        in the same stage.

    Returns
    -------
    DataFrame
        Indexed by stage (all four, in order): ``customers``,
        ``share_of_customers``, ``mean_<value>`` (per customer; NaN for a stage
        without customers), ``total_<value>``, ``share_of_value`` (of the
        table's total), then ``mean_<value>_low`` and ``mean_<value>_high``
        (the mean of the customers' interval ends) when the table has them,
        and ``same_in_hindsight`` with ``hindsight``. ``attrs["roles"]``
        declares the roles for :func:`analysis.tables.format_table`.

    Raises
    ------
    ValueError
        When a column is missing, a stage is not one of the four, the total
        value is zero, or ``hindsight`` lacks customers of the table.
    """
    missing = [c for c in ("stage", value) if c not in table.columns]
    if missing:
        raise ValueError(
            f"stage_values: the table lacks column(s) {missing}; pass the customer table "
            "(analysis.customers.customer_table)"
        )
    stage = table["stage"].astype(str)
    unknown = sorted(set(stage) - set(STAGES))
    if unknown:
        raise ValueError(f"stage_values: unknown stage(s) {unknown}; the stages are {list(STAGES)}")
    values = table[value].astype(float)
    total = float(values.sum())
    if total == 0 or not np.isfinite(total):
        raise ValueError(
            f"stage_values: the {value} column sums to {total}, so shares are undefined"
        )
    grouped = values.groupby(stage)
    n = grouped.size().reindex(STAGES, fill_value=0).astype(np.int64)
    sums = grouped.sum().reindex(STAGES, fill_value=0.0)
    out = pd.DataFrame(
        {
            "customers": n,
            "share_of_customers": n / n.sum(),
            f"mean_{value}": sums / n.where(n > 0),
            f"total_{value}": sums,
            "share_of_value": sums / total,
        }
    )
    roles = {"customers": "count", "share_of_customers": "share", "share_of_value": "share"}
    roles |= {f"mean_{value}": "money", f"total_{value}": "money"}
    for end in ("low", "high"):
        if f"{value}_{end}" in table.columns:
            column = f"mean_{value}_{end}"
            means = table[f"{value}_{end}"].astype(float).groupby(stage).mean()
            out[column] = means.reindex(STAGES)
            roles[column] = "money"
    if hindsight is not None:
        other = hindsight.astype(str).reindex(table.index)
        if other.isna().any():
            absent = list(table.index[other.isna()][:5])
            raise ValueError(
                f"stage_values: hindsight lacks {int(other.isna().sum())} customer(s) of the "
                f"table, e.g. {absent}; build both from the same log and observation_end"
            )
        same = (other.to_numpy() == stage.to_numpy()).astype(float)
        out["same_in_hindsight"] = pd.Series(same, index=table.index).groupby(stage).mean()
        roles["same_in_hindsight"] = "share"
    out.index = pd.Index(list(STAGES), name="stage")
    out.attrs["roles"] = roles
    return out
