"""Probabilistic CLV models ("buy till you die" and spend), one module per model.

Every model follows one interface: ``Model().fit(data) -> self``, then
``.params``, ``.loglik``, ``.summary()``, ``.aic``, ``.bic``, ``.convergence``
and vectorised predictions.
"""

from .base import BaseModel, Convergence, ConvergenceError, OnePassModel
from .beta_geo import BetaGeo
from .modified_beta_geo import ModifiedBetaGeo
from .pareto_nbd import ParetoNBD
from .beta_geo_beta_binom import BetaGeoBetaBinom
from .gamma_gamma import GammaGamma
from .shifted_beta_geo import ShiftedBetaGeo
from .validation import holdout_errors, holdout_predictions, holdout_table, tracking_table

__all__ = ["BaseModel", "Convergence", "ConvergenceError", "OnePassModel"]
__all__ += ["BetaGeoBetaBinom", "GammaGamma", "ShiftedBetaGeo"]
__all__ += ["holdout_errors", "holdout_predictions", "holdout_table", "tracking_table"]
__all__ += ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"]
