"""The decisions per customer, as columns a CRM can take: tier, playbook cell, play and warning.

The strategy report (``notebooks/05_strategy``) decides about *groups*: the
stage x value-tier cells of :func:`~analysis.strategy.recommend` and the
early-warning list of :func:`analysis.churn.early_warning`. A CRM needs the
same decisions on each customer's row. :func:`decision_columns` computes
them with the functions and defaults of that report, so a customer's tier,
cell and flag in ``customers.csv`` are those the report counts and lists;
:func:`with_decision_columns` appends them to the customer table.

The settings are the report's parameters that move these decisions, under
the same names and with the same defaults: ``playbook``,
``warning_top_tiers``, ``p_alive_below`` and ``cycle_factor``; and the tier
cut ``tier_shares`` (:data:`analysis.segments.CLV_TIER_SHARES`, which the
reports use and do not expose as a parameter).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..churn import TOP_TIERS, early_warning, warning_score
from ..errors import DataValidationError, where_rows
from ..segments import CLV_TIER_SHARES, clv_tiers, tiers_for
from ..units import P_ALIVE_EVEN, STAGES
from .groups import TIERS
from .playbook import PRIORITIES, RELATIONSHIP_LEVELS, Playbook, load_playbook

__all__ = [
    "DECISION_COLUMNS",
    "PLAYBOOK_CELLS",
    "decision_columns",
    "strategy_key",
    "with_decision_columns",
]

#: the columns of :func:`decision_columns`, in order (see its docstring for each)
DECISION_COLUMNS: tuple[str, ...] = (
    "tier",
    "playbook_cell",
    "strategy_key",
    "investment_priority",
    "relationship_level",
    "strategy",
    "warning_flag",
    "warning_score",
    "warning_reasons",
)

#: the playbook cells in the playbook's order (stage, then tier best first)
PLAYBOOK_CELLS: tuple[str, ...] = tuple(f"{s}/{t}" for s in STAGES for t in TIERS)


def strategy_key(stage: str, tier: str) -> str:
    """The key of a cell's play in the playbook YAML, e.g. ``stages.decline.tiers.high``.

    It is the path :func:`~analysis.strategy.load_playbook` names in its
    errors; the play's fields (``strategy``, ``priority``, ...) sit under it.
    """
    return f"stages.{stage}.tiers.{tier}"


def _book(playbook: Playbook | str | Path | None) -> Playbook:
    if isinstance(playbook, Playbook):
        return playbook
    return load_playbook(playbook or None)  # "" as in the report: the shipped playbook


def _stages(table: pd.DataFrame) -> np.ndarray:
    if "stage" not in table.columns:
        raise DataValidationError(
            "the customer table has no 'stage' column; build it with "
            "analysis.customers.customer_table, or add the stage per customer"
        )
    stage = table["stage"].astype(object)
    bad = (~stage.isin(STAGES)).to_numpy()
    if bad.any():
        raise DataValidationError(
            f"column 'stage' is missing or not one of {', '.join(STAGES)} at "
            f"{where_rows(table.index[bad], None, None)}; give every customer a stage"
        )
    return stage.astype(str).to_numpy()


def _ordered(values, categories: Sequence[str], index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical(values, categories=list(categories), ordered=True), index=index)


def decision_columns(
    table: pd.DataFrame,
    *,
    playbook: Playbook | str | Path | None = None,
    warning_top_tiers: Sequence[str] = TOP_TIERS,
    p_alive_below: float = P_ALIVE_EVEN,
    cycle_factor: float = 3.0,
    tier_shares: Sequence[float] = CLV_TIER_SHARES,
) -> pd.DataFrame:
    """What the strategy report decides for each customer, one row per customer.

    The tier is :func:`analysis.segments.clv_tiers`; the cell and its play
    are those of :func:`~analysis.strategy.recommend` with the same
    playbook, so the customers per ``playbook_cell`` are the recommendation's
    ``customers``; the flag, score and reasons are those of
    :func:`analysis.churn.early_warning` with the same settings, so the
    flagged customers are its list.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`),
        indexed by ``customer_id``; reads ``stage``, ``periods_in_stage``,
        ``clv_net``, ``p_alive``, ``days_since_last``, ``purchase_cycle_days``.
        It is not changed.
    playbook : Playbook, str or Path, optional
        A loaded playbook or the path of a playbook YAML file; None or ``""``
        (default, as the report's ``playbook``) uses the shipped one.
    warning_top_tiers : sequence of str
        The value tiers the early warning watches (default high and medium).
    p_alive_below : float
        The warning's ``low_p_alive`` threshold (probability, default 0.5).
    cycle_factor : float
        The warning's ``overdue`` threshold in own purchase cycles (default
        3); it also scales the score's silence component.
    tier_shares : sequence of float
        Cumulative shares of the positive value closing the high and medium
        tiers (default :data:`analysis.segments.CLV_TIER_SHARES`, 0.5 and 0.8).

    Returns
    -------
    DataFrame
        Indexed like ``table``, columns :data:`DECISION_COLUMNS`:

        - ``tier``: the CLV tier, ordered Categorical over ``high``,
          ``medium``, ``low``, ``negative`` (``clv_net`` below zero);
        - ``playbook_cell``: the stage x tier cell, ``"<stage>/<tier>"``
          (e.g. ``"decline/high"``), ordered Categorical over the 16 cells in
          the playbook's order;
        - ``strategy_key``: the key of the cell's play in the playbook YAML,
          ``"stages.<stage>.tiers.<tier>"`` (:func:`strategy_key`), text;
        - ``investment_priority``: the play's investment priority, ordered
          Categorical over ``invest``, ``maintain``, ``reduce``, ``exit``;
        - ``relationship_level``: the play's Kotler level, ordered
          Categorical from ``basic`` to ``partnership``;
        - ``strategy``: the play's strategy, text;
        - ``warning_flag``: bool, True when the customer is on the
          early-warning list (a watched tier and at least one reason);
        - ``warning_score``: the continuous warning score
          (:func:`analysis.churn.warning_score`, 0 to 4, higher is a stronger
          warning), float, for every customer;
        - ``warning_reasons``: why a flagged customer is flagged (the list's
          ``reasons``, e.g. ``"in decline for 3 periods; P(alive) 0.31 <
          0.5"``), text; empty for a customer not flagged.

        ``attrs``: ``playbook`` (its file), ``warning_top_tiers``,
        ``p_alive_below``, ``cycle_factor``, ``tier_shares`` (JSON-safe, so a
        Parquet file keeps them).

    Raises
    ------
    DataValidationError
        When a column is missing, a stage is not one of the four, or a value
        the warning reads is missing; the message names the column and rows.
    PlaybookError
        When the playbook file is not a valid playbook.
    """
    book = _book(playbook)
    if isinstance(warning_top_tiers, str):
        warning_top_tiers = (warning_top_tiers,)
    stage = _stages(table)
    tiers = clv_tiers(table, shares=tier_shares)
    tier = tiers_for(table, tiers, labels=TIERS)  # the recommendation's tiers
    at_risk = early_warning(
        table,
        tiers=tiers,
        top_tiers=warning_top_tiers,
        p_alive_below=p_alive_below,
        cycle_factor=cycle_factor,
    )
    index = table.index
    cell = pd.MultiIndex.from_arrays([stage, tier.astype(str).to_numpy()])
    plays = book.table().reindex(cell)
    flagged = index.isin(at_risk.index)
    reasons = at_risk["reasons"].reindex(index).fillna("").astype(str)
    out = pd.DataFrame(
        {
            "tier": tier,
            "playbook_cell": _ordered([f"{s}/{t}" for s, t in cell], PLAYBOOK_CELLS, index),
            "strategy_key": pd.Series([strategy_key(s, t) for s, t in cell], index=index),
            "investment_priority": _ordered(plays["priority"].to_numpy(), PRIORITIES, index),
            "relationship_level": _ordered(
                plays["relationship_level"].to_numpy(), RELATIONSHIP_LEVELS, index
            ),
            "strategy": pd.Series(plays["strategy"].to_numpy(), index=index).astype(str),
            "warning_flag": pd.Series(flagged, index=index, dtype=bool),
            "warning_score": warning_score(table, cycle_factor=cycle_factor).astype(float),
            "warning_reasons": reasons,
        },
        index=index,
    )
    out.attrs = {
        "playbook": book.source,
        "warning_top_tiers": ", ".join(map(str, warning_top_tiers)),
        "p_alive_below": float(p_alive_below),
        "cycle_factor": float(cycle_factor),
        "tier_shares": ", ".join(f"{float(s):g}" for s in tier_shares),
    }
    return out


def with_decision_columns(table: pd.DataFrame, **settings) -> pd.DataFrame:
    """The customer table with :func:`decision_columns` appended after its own columns.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`); not changed.
    **settings
        The keyword arguments of :func:`decision_columns`.

    Returns
    -------
    DataFrame
        A new frame: ``table``'s columns unchanged, then :data:`DECISION_COLUMNS`.
        ``attrs`` are those of :func:`decision_columns` (the decision
        settings); the table's provenance is its ``TableInfo``, passed on apart.

    Raises
    ------
    DataValidationError
        When ``table`` already has a decision column (appending again would
        replace it): use :func:`decision_columns`, or drop them first.
    """
    clash = [c for c in DECISION_COLUMNS if c in table.columns]
    if clash:
        raise DataValidationError(
            f"the customer table already has the decision column(s) {clash}; drop them first "
            "(table.drop(columns=analysis.strategy.DECISION_COLUMNS, errors='ignore')) "
            "or call decision_columns(table) for the new values alone"
        )
    decisions = decision_columns(table, **settings)
    out = pd.concat([table, decisions], axis=1)
    out.attrs = dict(decisions.attrs)
    return out
