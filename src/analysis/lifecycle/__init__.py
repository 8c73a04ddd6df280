"""The customer relationship lifecycle: four stages per customer and period, their chain, curve and cohorts.

The stages are those of the Dwyer-Schurr-Oh / Chen Mingliang model
(``docs/domain.md#lifecycle``): exploration, formation, stability and decline
(:data:`analysis.units.STAGES`). One module per concept:

- :mod:`~analysis.lifecycle.stages`: the thresholds (:data:`THRESHOLDS`,
  :func:`thresholds_table`) and the rule classifier (:func:`assign_stages`,
  :func:`current_stage`, :func:`current_stages`, :func:`stage_mix`);
- :mod:`~analysis.lifecycle.signals`: what the rules read -- the pace tests
  and P(alive) from a fitted BG/NBD (:func:`bgnbd_p_alive`);
- :mod:`~analysis.lifecycle.chain`: the stages as a Markov chain
  (:func:`transition_counts`, :func:`transition_matrix`,
  :func:`project_stage_mix`, :func:`stage_rewards`, :func:`stage_clv`);
- :mod:`~analysis.lifecycle.curve`: the lifecycle curve (:func:`lifecycle_curve`);
- :mod:`~analysis.lifecycle.cohorts`: cohort retention, relationship
  survival and the log-rank test;
- :mod:`~analysis.lifecycle.evaluate`: accuracy against a known truth
  (:func:`stage_confusion`, :func:`stage_scores`,
  :func:`simulation_accuracy`), threshold tuning and sensitivity;
- :mod:`~analysis.lifecycle.stage_model`: the lifecycle model behind the
  hindsight view (and the model-based real-time view) of
  :func:`assign_stages` (:class:`StageModel`);
- :mod:`~analysis.lifecycle.accuracy`: each view's accuracy on fresh
  simulator seeds, by purchase rate (:func:`accuracy_by_rate`) and by
  setting (:func:`accuracy_by_setting`);
- :mod:`~analysis.lifecycle.hmm`: the hidden Markov model comparison
  (Netzer, Lattin & Srinivasan 2008), fitted by
  :mod:`~analysis.lifecycle.baum_welch`.
- :mod:`~analysis.lifecycle.holdout`: validity on a holdout -- the stages at a
  cut-off against the purchases after it (:func:`holdout_validation`).

Every period-by-period view reads the log's customer x period panel
(:func:`analysis.panel.build_panel`). The names below are re-exported here,
so ``from analysis.lifecycle import assign_stages`` works.
"""

from __future__ import annotations

from ..units import STAGES
from .accuracy import (
    EVALUATION_SEEDS,
    SETTINGS,
    TUNING_SEEDS,
    accuracy_by_rate,
    accuracy_by_setting,
)
from .chain import (
    project_stage_mix,
    stage_clv,
    stage_rewards,
    transition_counts,
    transition_matrix,
)
from .cohorts import (
    cohort_retention,
    first_period_spend_groups,
    relationship_survival,
    survival_logrank,
)
from .compare import (
    current_mix_by_period,
    p_alive_bands,
    paired_stages,
    stage_agreement,
    stage_crosstab,
    stage_mix_comparison,
)
from .curve import lifecycle_curve
from .evaluate import (
    simulation_accuracy,
    stage_confusion,
    stage_scores,
    threshold_sensitivity,
    tune_thresholds,
)
from .hmm import StageHMM, fit_stage_hmm, hmm_stages, map_states_to_stages, purchase_counts
from .holdout import HoldoutValidation, holdout_validation
from .signals import bgnbd_p_alive
from .stage_model import StageModel
from .stages import (
    MODEL_REASONS,
    REASONS,
    THRESHOLDS,
    Threshold,
    assign_stages,
    current_stage,
    current_stages,
    stage_mix,
    thresholds_table,
)

__all__ = [
    "STAGES",
    "THRESHOLDS",
    "Threshold",
    "thresholds_table",
    "assign_stages",
    "current_stage",
    "current_stages",
    "stage_mix",
    "bgnbd_p_alive",
    "transition_counts",
    "transition_matrix",
    "project_stage_mix",
    "stage_rewards",
    "stage_clv",
    "lifecycle_curve",
    "cohort_retention",
    "relationship_survival",
    "stage_confusion",
    "stage_scores",
    "tune_thresholds",
    "simulation_accuracy",
    "threshold_sensitivity",
    "survival_logrank",
    "REASONS",
    "StageHMM",
    "purchase_counts",
    "fit_stage_hmm",
    "map_states_to_stages",
    "hmm_stages",
    "stage_mix_comparison",
    "paired_stages",
    "stage_agreement",
    "stage_crosstab",
    "current_mix_by_period",
    "p_alive_bands",
    "first_period_spend_groups",
    "StageModel",
    "MODEL_REASONS",
    "accuracy_by_rate",
    "accuracy_by_setting",
    "TUNING_SEEDS",
    "EVALUATION_SEEDS",
    "SETTINGS",
]
__all__ += ["HoldoutValidation", "holdout_validation"]
