"""Strategy: the playbook by stage and value tier, the KPIs to watch, and plan-do-check-act.

The decision layer's answer to "what do we do with these customers?"
(``docs/domain.md#strategy``). One module per concept:

- :mod:`~analysis.strategy.playbook`: the playbook as data (``playbook.yaml``,
  English with the Chinese terms) and its checked loader (:func:`load_playbook`);
- :mod:`~analysis.strategy.recommend`: the stage x value-tier table with the
  playbook's strategy, relationship level, priority and KPIs per cell
  (:func:`recommend`; the early-warning list is :func:`analysis.churn.early_warning`);
- :mod:`~analysis.strategy.kpis`: the indicators per stage or segment
  (:func:`kpis`, :data:`KPI_DEFINITIONS`), with "not measurable: why" where
  the data cannot tell;
- :mod:`~analysis.strategy.pdca`: plan-do-check-act: targets written to an
  editable YAML file (:func:`plan`) and checked on a later run (:func:`check`);
- :mod:`~analysis.strategy.trial`: the honest round's rules (targets met by
  construction, the action behind a target, the holdout comparison);
- :mod:`~analysis.strategy.budget`: the loss list's break-even spend per
  playbook cell (:func:`budget_by_cell`) and the holdout group (:func:`holdout_split`);
- :mod:`~analysis.strategy.groups`: the groups (stage, tier, crossings);
- :mod:`~analysis.strategy.crm`: the decisions per customer as columns for a
  CRM (:func:`decision_columns`, :func:`with_decision_columns`).

The names below are re-exported, so ``from analysis.strategy import recommend`` works.
"""

from __future__ import annotations

from .budget import BUDGET_COLUMNS, budget_by_cell, holdout_split
from .crm import DECISION_COLUMNS, decision_columns, with_decision_columns
from .groups import TIERS, group_labels
from .kpis import KPI_DEFINITIONS, KpiDefinition, kpi_definitions_table, kpis, latest_kpis
from .pdca import check, parse_target, plan
from .playbook import (
    PLAYBOOK_PATH,
    PRIORITIES,
    RELATIONSHIP_LEVELS,
    Play,
    Playbook,
    PlaybookError,
    StagePlay,
    load_playbook,
)
from .recommend import recommend
from .trial import (
    CUMULATIVE_KPIS,
    KPI_ACTIONS,
    NOT_TESTED,
    by_construction_reason,
    target_action,
)

__all__ = [
    "BUDGET_COLUMNS",
    "CUMULATIVE_KPIS",
    "KPI_ACTIONS",
    "NOT_TESTED",
    "budget_by_cell",
    "by_construction_reason",
    "holdout_split",
    "target_action",
    "DECISION_COLUMNS",
    "KPI_DEFINITIONS",
    "PLAYBOOK_PATH",
    "PRIORITIES",
    "RELATIONSHIP_LEVELS",
    "TIERS",
    "KpiDefinition",
    "Play",
    "Playbook",
    "PlaybookError",
    "StagePlay",
    "check",
    "decision_columns",
    "group_labels",
    "kpi_definitions_table",
    "kpis",
    "latest_kpis",
    "load_playbook",
    "parse_target",
    "plan",
    "recommend",
    "with_decision_columns",
]
