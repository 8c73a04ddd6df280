"""Parameter uncertainty of a fitted model: draws from the asymptotic distribution of the estimates.

A maximum-likelihood fit carries the inverse observed information (the
covariance of :attr:`BaseModel.standard_errors`). Its parameters are all
positive, so the draws are taken on the log scale: log(theta) is normal
around log(theta_hat) with the covariance carried over by the delta method,
diag(1/theta) Sigma diag(1/theta). This keeps every draw positive and is the
scale on which the optimiser searches. A parameter the fit does not identify
(a boundary or ridge fit, NaN in the covariance) is held at its estimate:
the data say nothing about it, and drawing it would invent a spread.

Per-customer intervals then come from evaluating a prediction at every draw
(:func:`draw_models`), as CLVTools' and pymc-marketing's intervals express
parameter uncertainty; they say how sure the estimate of a customer's
*expected* value is, not how far her actual purchases may fall from it.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_DRAWS", "draw_models", "parameter_draws"]

#: draws of the parameters used for intervals unless told otherwise
DEFAULT_DRAWS: int = 200


def parameter_draws(model, n_draws: int = DEFAULT_DRAWS, seed: int = 0) -> pd.DataFrame:
    """``n_draws`` parameter vectors of a fitted model from its estimates' asymptotic distribution.

    Parameters
    ----------
    model : fitted model
        Any model of :mod:`analysis.models` after ``fit`` (``params`` and the covariance).
    n_draws : int
        Number of draws (>= 1).
    seed : int
        Seed of the NumPy generator: the same seed gives the same draws.

    Returns
    -------
    DataFrame
        ``n_draws`` rows, one column per parameter (the model's ``param_names``).
        Parameters without a finite variance are held at the estimate.
    """
    if getattr(model, "params", None) is None:
        raise RuntimeError(f"{type(model).__name__} is not fitted: call .fit(data) first")
    if int(n_draws) < 1:
        raise ValueError(f"n_draws must be a whole number >= 1, got {n_draws!r}")
    est = model.params.to_numpy(dtype=float)
    cov = getattr(model, "_cov", None)
    cov = np.full((len(est), len(est)), np.nan) if cov is None else np.asarray(cov, dtype=float)
    diag = np.diag(cov)
    keep = np.isfinite(diag) & (diag > 0)  # an unidentified parameter has NaN on its row
    if keep.any() and not np.all(np.isfinite(cov[np.ix_(keep, keep)])):
        keep[:] = False  # no usable covariance among the identified ones: hold everything
    log_draws = np.tile(np.log(est), (int(n_draws), 1))
    if keep.any():
        idx = np.flatnonzero(keep)
        sub = cov[np.ix_(idx, idx)] / np.outer(est[idx], est[idx])
        rng = np.random.default_rng(seed)
        # eigen-decomposition: a covariance that is positive semi-definite only to rounding
        vals, vecs = np.linalg.eigh(0.5 * (sub + sub.T))
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))
        log_draws[:, idx] += rng.standard_normal((int(n_draws), idx.size)) @ root.T
    return pd.DataFrame(np.exp(log_draws), columns=list(model.params.index))


def draw_models(model, n_draws: int = DEFAULT_DRAWS, seed: int = 0) -> list:
    """Copies of a fitted model, one per row of :func:`parameter_draws`, each with those parameters.

    The copies predict like the model (time unit and settings kept); their
    ``params`` are the drawn values. The fit's own record (log-likelihood,
    covariance) is left as it was and does not describe the draw.
    """
    draws = parameter_draws(model, n_draws, seed)
    out = []
    for _, row in draws.iterrows():
        twin = copy.copy(model)
        twin.params = pd.Series(row.to_numpy(), index=model.params.index, name="estimate")
        twin.__dict__.pop("_prediction_cache", None)  # the copy shares the model's dict
        if hasattr(twin, "_clear_pass_cache"):
            twin._clear_pass_cache()
        out.append(twin)
    return out
