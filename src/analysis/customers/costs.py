"""The costs a customer table can carry, and the settings it refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..panel import check_period
from ..units import unit_days

__all__ = ["COST_COLUMNS", "check_costs", "check_table_parameters"]

#: a costs table's columns: acquisition_cost (once, spent) and retention_cost (a year, alive)
COST_COLUMNS: tuple[str, ...] = ("acquisition_cost", "retention_cost")


def check_costs(costs: pd.DataFrame, customer_ids: pd.Index) -> pd.DataFrame:
    """Validate a costs table against the customers of the log.

    ``costs`` is indexed by customer id, with ``acquisition_cost`` (currency,
    once) and/or ``retention_cost`` (currency per year while the customer is
    alive): numbers >= 0, one row per customer. Every id of ``customer_ids``
    needs a row; extra rows are ignored.

    Returns
    -------
    DataFrame
        The cost columns given, as floats, in :data:`COST_COLUMNS` order,
        indexed like ``customer_ids``.
    """
    if not isinstance(costs, pd.DataFrame):
        raise TypeError(
            f"costs must be a DataFrame indexed by customer_id with {list(COST_COLUMNS)}, "
            f"got {type(costs).__name__}"
        )
    unknown = [str(c) for c in costs.columns if c not in COST_COLUMNS]
    given = [c for c in COST_COLUMNS if c in costs.columns]
    if unknown or not given:
        raise ValueError(
            f"costs: columns must be among {list(COST_COLUMNS)} (at least one); found "
            f"{[str(c) for c in costs.columns]}{f', unknown: {unknown}' if unknown else ''}."
        )
    dup = costs.index.duplicated()
    if dup.any():
        raise ValueError(
            f"costs: {int(dup.sum())} duplicated customer id(s) in the index (e.g. "
            f"{list(costs.index[dup][:5])}); give one row per customer."
        )
    missing = customer_ids.difference(costs.index)
    if len(missing):
        raise ValueError(
            f"costs: no row for {len(missing):,} customer(s) of the log (e.g. "
            f"{list(missing[:5])}); give costs for every customer, indexed by customer_id "
            f"(the index holds e.g. {list(costs.index[:3])})."
        )
    out = costs.loc[customer_ids, given].copy()
    for col in given:
        values = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise ValueError(
                f"costs: column {col!r} has {int(bad.sum())} missing, non-numeric, infinite or "
                f"negative value(s) (customers {list(customer_ids[bad][:5])}); costs are "
                "numbers >= 0."
            )
        out[col] = values
    return out.rename_axis("customer_id")


def check_table_parameters(horizon_years, margin, cost_per_purchase, time_unit, period) -> None:
    """Refuse a time unit, period, horizon, margin or cost per purchase the customer table cannot use."""
    unit_days(time_unit)
    check_period(period)
    if not np.isfinite(float(horizon_years)) or float(horizon_years) <= 0:
        raise ValueError(f"horizon_years must be a number of years > 0, got {horizon_years!r}")
    if not 0 < float(margin) <= 1:
        raise ValueError(f"margin must be a share of revenue in (0, 1] (e.g. 0.30), got {margin!r}")
    if not np.isfinite(float(cost_per_purchase)) or float(cost_per_purchase) < 0:
        raise ValueError(f"cost_per_purchase must be a number >= 0, got {cost_per_purchase!r}")
