"""Customer lifetime value: the closed-form formulas, Markov-chain CLV and CLV from fitted models.

Three families, from the simplest to the richest (``docs/domain.md#clv``), one
module each:

- :mod:`.formula`: :func:`formula_clv` and :func:`retention_clv`, the closed
  forms of ``docs/domain.md#formula-methods``, with their inputs from an RFM summary
  (:func:`yearly_spend_rate`, :func:`holdout_retention`, :func:`retention_value`).
- :mod:`.markov` (Pfeifer & Carraway 2000): :func:`markov_clv` values
  customers who move between states (recency buckets, lifecycle stages,
  brands) by a transition matrix, estimated from counted transitions by
  :func:`transition_matrix_from_counts`; the brand-switching example of
  ``docs/domain.md#markov-chain-method`` is :func:`brand_switching_clv`, the recency chain of a log
  :func:`recency_states`, :func:`recency_chain`, :func:`markov_customer_clv`.
- :mod:`.backtest`: :func:`backtest_methods` and :func:`holdout_revenue`, every
  method set back to the calibration end and compared with the holdout revenue.
- :mod:`.fitting`: :func:`fit_models`, several count models fitted side by
  side, one that cannot be fitted named with its reason; :mod:`.spend`: the
  spend per purchase when Gamma-Gamma cannot be fitted or the log has no amounts.
- :mod:`.scorecard`: :func:`scorecard` (Gini, Spearman, decile MAPE, MAE,
  bias, top-decile share of a per-customer prediction) and
  :func:`holdout_scorecard`, the models and simple baselines scored on the holdout.
- :mod:`.model`: :func:`customer_lifetime_value`, a fitted count model ("buy
  till you die", :class:`analysis.models.protocol.CountModel`) times a spend
  model, discounted in small steps of calendar time.
- :mod:`.intervals`: :func:`customer_intervals` and :func:`total_intervals`,
  intervals for P(alive), expected purchases, CLV and segment totals from
  draws of the fitted parameters (``docs/intervals.md``).

Discount rates are per period of the formula (per year for the closed
forms and for :func:`customer_lifetime_value`, per step of the chain for
:func:`markov_clv`); yearly rates are converted with :mod:`analysis.units`.
"""

from .backtest import backtest_methods, holdout_revenue
from .fitting import fit_models, not_fitted_note, refit_note
from .formula import (
    formula_clv,
    holdout_retention,
    retention_clv,
    retention_value,
    yearly_spend_rate,
)
from .intervals import customer_intervals, total_intervals
from .markov import (
    AbsorbingStateWarning,
    brand_switching_clv,
    markov_clv,
    markov_customer_clv,
    project_shares,
    recency_chain,
    recency_states,
    transition_matrix_from_counts,
)
from .model import customer_lifetime_value
from .scorecard import (
    decile_table,
    holdout_predictions,
    holdout_scorecard,
    prediction_deciles,
    score_predictions,
    scorecard,
)
from .spend import fit_spend_model, observed_spend, spend_correlation

__all__ = [
    "formula_clv",
    "retention_clv",
    "markov_clv",
    "brand_switching_clv",
    "project_shares",
    "customer_lifetime_value",
    "customer_intervals",
    "total_intervals",
    "retention_value",
    "yearly_spend_rate",
    "holdout_retention",
    "AbsorbingStateWarning",
    "transition_matrix_from_counts",
    "recency_states",
    "recency_chain",
    "markov_customer_clv",
    "backtest_methods",
    "holdout_revenue",
    "fit_models",
    "not_fitted_note",
    "refit_note",
    "fit_spend_model",
    "observed_spend",
    "spend_correlation",
    "scorecard",
    "decile_table",
    "holdout_predictions",
    "score_predictions",
    "prediction_deciles",
    "holdout_scorecard",
]
