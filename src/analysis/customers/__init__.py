"""The customer table: one row per customer with its history, stage, model predictions and value.

:func:`value_customers` returns the table with its provenance (a
:class:`Valuation`: ``table`` and ``info``, a :class:`TableInfo` of the
models and settings); :func:`customer_table` the table alone. The table is
what the decision layer (segments, strategy, churn) reads; code that needs
the provenance takes the ``info``. Per customer it joins the summary of :func:`analysis.rfm.summarize`;
the purchase history in days (:func:`purchase_history`, :mod:`.history`);
the lifecycle stage in the last period and how long it has lasted
(:func:`latest_stages`, :mod:`.stage_runs`); the count model chosen by
:data:`analysis.clv.choice.CHOICE_RULE` and the spend per purchase from
Gamma-Gamma (:func:`fit_table_models`, :func:`spend_per_purchase`,
:mod:`.valuation`, :mod:`.spend`); and the model columns, P(alive), expected
purchases, expected spend and CLV (:func:`model_columns`, :mod:`.scores`,
which :func:`analysis.spark.score_frame` uses too).

Value conventions (``docs/domain.md#clv``): ``clv`` is the discounted
expected margin over the horizon with no cost; ``clv_net`` subtracts the
discounted cost of the expected purchases (``cost_per_purchase`` each) and,
with a costs table, the discounted ``retention_cost`` per year while the
customer is alive; the acquisition cost, already spent, is reported but not
subtracted. ``current_value`` (the margin on the revenue of the last 365
days) and ``potential_value`` (= ``clv_net``) are the axes of the value
matrix (``docs/domain.md#segmentation``).
"""

from ..clv.choice import COUNT_MODELS, fit_count_model, resolve_model
from .costs import COST_COLUMNS, check_costs, check_table_parameters
from .history import CURRENT_VALUE_DAYS, HISTORY_COLUMNS, purchase_history
from .info import TableInfo, Valuation
from .scores import MODEL_COLUMNS, model_columns
from .spend import MIN_SPEND_BUYERS, spend_per_purchase
from .stage_runs import latest_stages, stage_durations
from .table import COLUMNS, INTERVAL_COLUMNS, customer_table, value_customers, value_intervals
from .valuation import TableModels, calibration_summary, fit_table_models

__all__ = ["COLUMNS", "COST_COLUMNS", "COUNT_MODELS", "CURRENT_VALUE_DAYS", "HISTORY_COLUMNS"]
__all__ += ["MIN_SPEND_BUYERS", "check_costs", "check_table_parameters", "customer_table"]
__all__ += ["INTERVAL_COLUMNS", "MODEL_COLUMNS", "fit_count_model", "model_columns"]
__all__ += ["purchase_history", "resolve_model", "spend_per_purchase", "stage_durations"]
__all__ += ["TableModels", "calibration_summary", "fit_table_models", "latest_stages"]
__all__ += ["TableInfo", "Valuation", "value_customers", "value_intervals"]
