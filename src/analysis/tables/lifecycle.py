"""Tables of the lifecycle report: the stage mix now and where the Markov chain takes it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .format import money, time_unit_name

__all__ = ["stage_projection_table", "spend_group_labels"]


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
