"""Probabilistic CLV models ("buy till you die" and spend), one module per model.

Every model follows one interface: ``Model().fit(data) -> self``, then
``.params``, ``.loglik``, ``.summary()``, ``.aic``, ``.bic``, ``.convergence``
and vectorised predictions. The count models (BG/NBD, MBG/NBD, Pareto/NBD,
BG/BB) share one prediction interface, :class:`CountModel` (data first, times
keyword-only, in the model's ``time_unit``), and
:class:`PurchaseCountDistribution`; see :mod:`.protocol`. A fitted model
saves to and loads from a small JSON file (:mod:`.persist`).
"""

from .base import BaseModel
from .beta_geo import BetaGeo
from .beta_geo_beta_binom import BetaGeoBetaBinom
from .checks import period_chi_square, period_transactions, tracking_band, variance_new_customer
from .convergence import BoundaryFitWarning, Convergence, ConvergenceError, DegenerateDataError
from .covariates import LikelihoodRatioTest, likelihood_ratio_test, rate_ratios
from .gamma_gamma import GammaGamma
from .modified_beta_geo import ModifiedBetaGeo
from .one_pass import OnePassModel
from .pareto_nbd import ParetoNBD
from .pareto_nbd_dynamic import ParetoNBDDynamic, dynamic_summary, extend_calendar, extend_paths
from .persist import load_model, model_from_dict, model_to_dict, save_model
from .protocol import CountModel, PurchaseCountDistribution
from .shifted_beta_geo import ShiftedBetaGeo
from .validation import (
    holdout_comparison,
    holdout_error_table,
    holdout_errors,
    holdout_purchases,
    holdout_table,
    tracking_table,
    value_errors,
)

__all__ = ["BaseModel", "Convergence", "ConvergenceError", "OnePassModel"]
__all__ += ["BoundaryFitWarning", "DegenerateDataError"]
__all__ += ["BetaGeoBetaBinom", "GammaGamma", "ShiftedBetaGeo"]
__all__ += ["holdout_errors", "holdout_purchases", "holdout_table", "tracking_table"]
__all__ += ["holdout_comparison", "holdout_error_table", "value_errors"]
__all__ += ["CountModel", "PurchaseCountDistribution"]
__all__ += ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"]
__all__ += ["load_model", "model_from_dict", "model_to_dict", "save_model"]
__all__ += ["period_chi_square", "period_transactions", "tracking_band", "variance_new_customer"]
__all__ += ["LikelihoodRatioTest", "likelihood_ratio_test", "rate_ratios"]
__all__ += ["ParetoNBDDynamic", "dynamic_summary", "extend_calendar", "extend_paths"]
