"""Probabilistic CLV models ("buy till you die" and spend), one module per model.

Every model follows one interface: ``Model().fit(data) -> self``, then
``.params``, ``.loglik``, ``.summary()``, ``.aic``, ``.bic``, ``.convergence``
and vectorised predictions.
"""

from .base import BaseModel, Convergence, ConvergenceError

__all__ = ["BaseModel", "Convergence", "ConvergenceError"]
