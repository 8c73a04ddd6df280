"""Early warning of decline among valuable customers: the list, its drivers and how well it warns.

The decline stage's strategy (``docs/domain.md#strategy``) calls for an
early-warning and win-back process for the customers worth saving. This
package reads the customer table (:func:`analysis.customers.customer_table`)
and the CLV tiers (:func:`analysis.segments.clv_tiers`). One module per concept:

- :mod:`~analysis.churn.warning`: the four reasons (:data:`REASONS`), the
  continuous warning score (:func:`warning_score`) and the list of valuable
  customers in or entering decline (:func:`early_warning`);
- :mod:`~analysis.churn.drivers`: a Logit of holdout inactivity on
  calibration features, as odds ratios (:func:`drivers`; the features that
  vary over the customers: :func:`informative_features`);
- :mod:`~analysis.churn.loss`: valuable customers ranked by expected loss
  (risk x value) with their break-even retention spend (:func:`loss_list`)
  and the list's precision one horizon back (:func:`flag_precision`);
- :mod:`~analysis.churn.metrics`: AUC with ties and top-share lift
  (:func:`auc`, :func:`top_lift`);
- :mod:`~analysis.churn.evaluate`: the holdout outcome
  (:func:`active_between`) and the comparison of the warning score with
  P(alive) and expected purchases alone (:func:`evaluate`).
"""

from __future__ import annotations

from .drivers import (
    DEFAULT_FEATURES,
    FEATURES,
    MIN_FEATURE_STD,
    SeparationError,
    driver_features,
    drivers,
    fit_logit,
    inactive_outcome,
    informative_features,
)
from .evaluate import SCORES, active_between, evaluate, evaluation_scores
from .loss import (
    DEFAULT_SAVE_RATE,
    LOSS_COLUMNS,
    SAVE_RATE_RANGE,
    SAVE_RATE_SOURCE,
    flag_precision,
    loss_list,
)
from .metrics import auc, midranks, top_lift
from .warning import (
    REASONS,
    SCORE_WEIGHTS,
    TOP_TIERS,
    VALUE_AT_RISK,
    early_warning,
    require_table_columns,
    score_components,
    valuable,
    warning_reasons,
    warning_score,
)

__all__ = [
    "DEFAULT_SAVE_RATE",
    "LOSS_COLUMNS",
    "SAVE_RATE_RANGE",
    "SAVE_RATE_SOURCE",
    "flag_precision",
    "loss_list",
    "REASONS",
    "SCORE_WEIGHTS",
    "TOP_TIERS",
    "VALUE_AT_RISK",
    "early_warning",
    "require_table_columns",
    "score_components",
    "valuable",
    "warning_reasons",
    "warning_score",
    "DEFAULT_FEATURES",
    "FEATURES",
    "SeparationError",
    "driver_features",
    "drivers",
    "fit_logit",
    "inactive_outcome",
    "MIN_FEATURE_STD",
    "informative_features",
    "SCORES",
    "active_between",
    "evaluate",
    "evaluation_scores",
    "auc",
    "midranks",
    "top_lift",
]

# the learned risk of going quiet (churn.risk) and the comparison of scores (churn.compare)
from .compare import (  # noqa: E402
    SIMPLE_SCORES,
    calibration_check,
    compare_scores,
    comparison_scores,
    reliability_table,
)
from .risk import (  # noqa: E402
    RISK_FEATURES,
    RiskModel,
    fit_inactivity_risk,
    inactivity_risk,
    p_quiet,
    quiet_between,
    risk_features,
    training_cuts,
)

__all__ += [
    "SIMPLE_SCORES",
    "calibration_check",
    "compare_scores",
    "comparison_scores",
    "reliability_table",
    "RISK_FEATURES",
    "RiskModel",
    "fit_inactivity_risk",
    "inactivity_risk",
    "p_quiet",
    "quiet_between",
    "risk_features",
    "training_cuts",
]
