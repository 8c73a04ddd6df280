"""Models whose log-likelihood rows and gradient come from one pass over the data.

BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma compute the value and the
gradient of each row together; :class:`OnePassModel` keeps the last pass so
the optimiser's two requests at one point cost one pass.
"""

from __future__ import annotations

import numpy as np

from .base import BaseModel

__all__ = ["OnePassModel"]


class OnePassModel(BaseModel):
    """A model whose log-likelihood rows and gradient come from one pass, ``_pieces``.

    The optimiser asks for the value and the gradient at the same point, so the
    last pass is kept (one entry, keyed by the parameters and the arrays object
    itself, so a new dict can never be mistaken for it) and cleared after each
    fit. ``_precompute`` must add ``_precomputed_marker`` to the arrays; rows
    without it (e.g. from a direct call) are precomputed first.
    """

    #: a key that ``_precompute`` adds to the arrays
    _precomputed_marker = "_x_index"

    def __init__(self, penalizer: float = 0.0):
        super().__init__(penalizer=penalizer)
        self._clear_pass_cache()

    def _clear_pass_cache(self) -> None:
        self._cache_key = self._cache_arrays = self._cache_val = None

    def fit(self, data, initial_params=None, maxiter: int = 2000, tol: float = 1e-10):
        """Estimate the parameters by maximum likelihood (see :meth:`BaseModel.fit`)."""
        try:
            return super().fit(data, initial_params=initial_params, maxiter=maxiter, tol=tol)
        finally:
            self._clear_pass_cache()

    def _pieces(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> tuple:
        """(log-likelihood per row, gradient per row (n_rows, n_params), ...) in one pass."""
        raise NotImplementedError

    def _cached_pieces(self, params, arrays) -> tuple:
        if self._precomputed_marker not in arrays:
            arrays = self._precompute(dict(arrays))
        params = np.asarray(params, dtype=float)
        key = params.tobytes()
        if self._cache_key == key and self._cache_arrays is arrays:
            return self._cache_val
        value = self._pieces(params, arrays)
        self._cache_key, self._cache_arrays, self._cache_val = key, arrays, value
        return value

    def _loglik_rows(self, params, arrays):
        return self._cached_pieces(params, arrays)[0]

    def _loglik_grad_rows(self, params, arrays):
        return self._cached_pieces(params, arrays)[1]
