"""The playbook applied to a customer table: one row per stage x value tier, and the early-warning list.

:func:`recommend` counts the customers of every lifecycle stage and value
tier, their share of the customers and of the value (``clv_net``), and puts
beside each cell what the playbook (:mod:`analysis.strategy.playbook`) says
to do. :func:`early_warning` lists the customers in decline that the
playbook still invests in: the ones worth a win-back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..units import STAGES
from .groups import TIERS, resolve_tiers
from .playbook import Playbook, load_playbook

__all__ = ["RECOMMEND_COLUMNS", "WORTH_SAVING", "recommend", "early_warning"]

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

#: the priorities whose customers in decline are worth a win-back
WORTH_SAVING: tuple[str, ...] = ("invest", "maintain")


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
    tier = resolve_tiers(table, tiers).astype(str)
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


def early_warning(
    table: pd.DataFrame,
    playbook: Playbook | str | Path | None = None,
    tiers: pd.Series | None = None,
    *,
    worth_saving: tuple[str, ...] = WORTH_SAVING,
    max_periods_in_stage: int | None = None,
) -> pd.DataFrame:
    """The valuable customers in decline: those whose playbook cell still spends on them.

    Parameters
    ----------
    table : DataFrame
        The customer table, with ``stage`` and ``clv_net`` (and, when
        present, ``p_alive``, ``days_since_last``, ``periods_in_stage``,
        ``revenue`` are shown).
    playbook, tiers
        As in :func:`recommend`.
    worth_saving : tuple of str
        The priorities of the decline cells whose customers are listed
        (default :data:`WORTH_SAVING`: invest and maintain).
    max_periods_in_stage : int, optional
        Keep only customers who entered decline at most this many periods
        ago (``periods_in_stage``): the ones *entering* decline.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, sorted by ``clv_net`` (largest first):
        ``tier``, ``priority``, ``clv_net`` and the optional columns above.
    """
    book = _playbook(playbook)
    stage = _stages(table)
    tier = resolve_tiers(table, tiers)
    priority = tier.astype(str).map({t: book.play("decline", t).priority for t in TIERS})
    keep = (stage == "decline") & priority.isin(worth_saving)
    if max_periods_in_stage is not None:
        if "periods_in_stage" not in table.columns:
            raise ValueError("max_periods_in_stage needs the table's 'periods_in_stage' column.")
        keep &= table["periods_in_stage"] <= max_periods_in_stage
    shown = [
        c
        for c in ("clv_net", "p_alive", "days_since_last", "periods_in_stage", "revenue")
        if c in table
    ]
    out = table.loc[keep.to_numpy(), shown].copy()
    out.insert(0, "priority", priority[keep].to_numpy())
    out.insert(0, "tier", tier[keep].to_numpy())
    return out.sort_values("clv_net", ascending=False, kind="stable")
