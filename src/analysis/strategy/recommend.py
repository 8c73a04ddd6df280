"""The playbook applied to a customer table: one row per stage x value tier.

:func:`recommend` counts the customers of every lifecycle stage and value
tier, their share of the customers and of the value (``clv_net``), and puts
beside each cell what the playbook (:mod:`analysis.strategy.playbook`) says
to do. The list of valuable customers in or entering decline is
:func:`analysis.churn.early_warning`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..segments import tiers_for
from ..units import STAGES
from .groups import TIERS
from .playbook import Playbook, load_playbook

__all__ = ["RECOMMEND_COLUMNS", "recommend"]

#: the columns of :func:`recommend`
RECOMMEND_COLUMNS = [
    "customers",
    "share_customers",
    "value",
    "share_value",
    "stage_zh",
    "label",
    "strategy",
    "relationship_level",
    "priority",
    "kpis",
]


def _playbook(playbook: Playbook | str | Path | None) -> Playbook:
    if isinstance(playbook, Playbook):
        return playbook
    return load_playbook(playbook)


def _stages(table: pd.DataFrame) -> pd.Series:
    if "stage" not in table.columns:
        raise ValueError(
            "the customer table has no 'stage' column; build it with "
            "analysis.customers.customer_table, or add the stage per customer."
        )
    stage = table["stage"].astype(object)
    unknown = sorted(set(stage.dropna().astype(str)) - set(STAGES))
    if unknown or stage.isna().any():
        what = ", ".join(map(repr, unknown)) if unknown else "missing values"
        raise ValueError(
            f"column 'stage' holds {what}; every stage must be one of {', '.join(STAGES)}."
        )
    return stage.astype(str)


def recommend(
    table: pd.DataFrame,
    playbook: Playbook | str | Path | None = None,
    tiers: pd.Series | None = None,
) -> pd.DataFrame:
    """The stage x value-tier table with the playbook's recommendation for every cell.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`):
        indexed by ``customer_id``, with ``stage`` and ``clv_net``.
    playbook : Playbook, str or Path, optional
        A loaded :class:`~analysis.strategy.playbook.Playbook` or the path of
        a playbook YAML file; None (default) uses the shipped one.
    tiers : Series, optional
        The value tier of every customer (indexed by ``customer_id``); None
        (default) computes them with :func:`analysis.segments.clv_tiers`.

    Returns
    -------
    DataFrame
        Indexed by (``stage``, ``tier``), every stage and tier in order (16
        rows, empty cells included), columns :data:`RECOMMEND_COLUMNS`:
        ``customers`` (count), ``share_customers`` (of all customers),
        ``value`` (summed ``clv_net``, currency), ``share_value`` (of the
        table's summed ``clv_net``; NaN when that total is not positive),
        ``stage_zh``, ``label`` (the prospect tier in exploration),
        ``strategy``, ``relationship_level``, ``priority`` and ``kpis`` (the
        KPI names to watch, joined by ``", "``). ``attrs["playbook"]`` is the
        playbook's file.
    """
    book = _playbook(playbook)
    stage = _stages(table)
    if "clv_net" not in table.columns:
        raise ValueError("the customer table has no 'clv_net' column; the share of value needs it.")
    tier = tiers_for(table, tiers, labels=TIERS).astype(str)
    value = table["clv_net"].astype(float)
    cells = pd.MultiIndex.from_product([list(STAGES), list(TIERS)], names=["stage", "tier"])
    keys = [stage.to_numpy(), tier.to_numpy()]
    counts = value.groupby(keys).size().reindex(cells, fill_value=0)
    sums = value.groupby(keys).sum().reindex(cells, fill_value=0.0)
    total = float(value.sum())
    plays = book.table()
    out = pd.DataFrame(
        {
            "customers": counts.astype(np.int64),
            "share_customers": counts / len(table),
            "value": sums,
            "share_value": sums / total if total > 0 else np.nan,
        },
        index=cells,
    )
    out = out.join(
        plays[["stage_zh", "label", "strategy", "relationship_level", "priority", "kpis"]]
    )
    out = out[RECOMMEND_COLUMNS]
    out.attrs["playbook"] = book.source
    return out
