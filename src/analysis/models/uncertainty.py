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
from scipy.special import expit, exprel

from ..threads import each_block
from ._special import pnbd_log_j
from .gamma_gamma import GammaGamma
from .rows import unique_rows

__all__ = ["DEFAULT_DRAWS", "ParetoNBDDraws", "draw_models", "parameter_draws", "spend_draws"]

#: draws of the parameters used for intervals unless told otherwise
DEFAULT_DRAWS: int = 200
#: Pareto/NBD's J by its series up to this u, by quadrature beyond (as :mod:`._special`)
_J_SERIES_UMAX = 0.9


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
    # covariate coefficients (any sign) are drawn on their own scale, the others on the log scale
    free = np.isin(model.params.index, list(getattr(model, "free_params", ())))
    scale = np.where(free, 1.0, est)
    log_draws = np.tile(np.where(free, est, np.log(np.where(free, 1.0, est))), (int(n_draws), 1))
    if keep.any():
        idx = np.flatnonzero(keep)
        sub = cov[np.ix_(idx, idx)] / np.outer(scale[idx], scale[idx])
        rng = np.random.default_rng(seed)
        # eigen-decomposition: a covariance that is positive semi-definite only to rounding
        vals, vecs = np.linalg.eigh(0.5 * (sub + sub.T))
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))
        log_draws[:, idx] += rng.standard_normal((int(n_draws), idx.size)) @ root.T
    draws = np.where(free, log_draws, np.exp(log_draws))
    return pd.DataFrame(draws, columns=list(model.params.index))


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


class ParetoNBDDraws:
    """Pareto/NBD predictions of fixed customers under many parameter vectors, without gradients.

    The intervals evaluate P(alive now) at every draw of the parameters on
    the same customers: here the data's parts that do not depend on the
    parameters (the distinct (x, t_x) and (x, T) pairs of the integral F,
    the distinct T) are found once, F is evaluated once per draw on the
    pairs, and P(alive) a block of customers at a time for all draws at once
    (customers x draws), with no gradient. The formulas are the model's
    (:mod:`.pareto_nbd`): P(alive) = 1 / (1 + s I / ((alpha+T)^(r+x) (beta+T)^s))
    with I = F(t_x) - F(T) in logs; tests check the values against
    ``ParetoNBD.p_alive`` and ``expected_purchases_grid`` at drawn parameters.

    Parameters
    ----------
    params : array (draws x 4)
        (r, alpha, s, beta) per draw.
    x, tx, T : arrays
        Frequency, recency and T of the customers (usually distinct rows).
    """

    def __init__(self, params, x, tx, T):
        params = np.asarray(params, dtype=float)
        if params.ndim != 2 or params.shape[1] != 4:
            raise ValueError(f"params must be draws x (r, alpha, s, beta), got {params.shape}")
        self.params = params
        self.x = np.asarray(x, dtype=float)
        n = self.x.shape[0]
        pairs = np.column_stack([np.r_[self.x, self.x], np.r_[tx, T]])
        uniq, _, inv = unique_rows(pairs, return_inverse=True)
        self._i_tx, self._i_T = inv[:n], inv[n:]
        # log F on the pairs, one column per draw
        self._log_f = np.empty((uniq.shape[0], params.shape[0]))

        def columns(sl):  # the draws sl (threads.each_block: each writes its own columns)
            for j in range(sl.start, sl.stop):
                self._log_f[:, j] = _pnbd_log_f(params[j], uniq[:, 0], uniq[:, 1])

        each_block(columns, params.shape[0], 25)
        # log of the first term less log s, log[(alpha+T)^-(r+x) (beta+T)^-s / s], by (x, T)
        x_t, _, self.xt_index = unique_rows(np.column_stack([self.x, T]), return_inverse=True)
        self.x_t = x_t  # the distinct (x, T) and each customer's (xt_index)
        r, alpha, s, beta = (v[None, :] for v in params.T)
        ux, ut = x_t[:, :1], x_t[:, 1:]
        self._log_first = -(r + ux) * np.log(alpha + ut) - s * np.log(beta + ut) - np.log(s)

    def p_alive(self, rows=slice(None)) -> np.ndarray:
        """P(alive now) of the customers ``rows`` (a slice or index array): customers x draws."""
        lf1 = self._log_f[self._i_tx[rows]]
        # log I = log F(t_x) + log(1 - F(T)/F(t_x)); -inf where t_x = T (alive for sure)
        diff = self._log_f[self._i_T[rows]]
        diff -= lf1
        np.minimum(diff, 0.0, out=diff)  # F decreases in tau and T >= t_x
        np.expm1(diff, out=diff)
        np.negative(diff, out=diff)
        with np.errstate(divide="ignore"):
            np.log(diff, out=diff)
        lf1 += diff
        z = self._log_first[self.xt_index[rows]]
        z -= lf1
        return expit(z, out=z)

    def alive_purchases(self, j: int, x, T, t):
        """Draw ``j``'s expected purchases in (T, T + t] of a customer alive at T (arrays broadcast).

        (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)], exact at s = 1.
        """
        r, alpha, s, beta = self.params[j]
        log_ratio = np.log1p(t / (beta + T))
        return (r + x) / (alpha + T) * (beta + T) * log_ratio * exprel(-(s - 1.0) * log_ratio)


def _pnbd_log_f(params, px, ptau) -> np.ndarray:
    """log F(x, tau) of the Pareto/NBD (module docstring of :mod:`.pareto_nbd`), values only."""
    r, alpha, s, beta = (float(v) for v in params)
    k = r + s + px
    if alpha >= beta:
        lc = np.log(alpha + ptau)
        lj = _log_j(
            k, np.full_like(k, s + 1.0), (alpha - beta) / (alpha + ptau), np.log(beta + ptau) - lc
        )
    else:
        lc = np.log(beta + ptau)
        lj = _log_j(k, r + px, (beta - alpha) / (beta + ptau), np.log(alpha + ptau) - lc)
    return -k * lc + lj


def _log_j(k, e, u, log_eps) -> np.ndarray:
    """log J(k, e, u) = log 2F1(k, e; k+1; u) / k, the value of :func:`._special.pnbd_log_j`.

    For u <= 0.9 by the same series after Euler's transformation,
    2F1(k, e; k+1; u) = (1-u)^(1-e) 2F1(1, k+1-e; k+1; u), whose terms are
    positive with ratios below u; without the gradient's three sums, and
    with converged rows dropped every 8 terms rather than after each (the
    terms then added are below 1e-17 of the sum). Beyond 0.9 (rare:
    alpha and beta far apart and tau small) by ``pnbd_log_j`` itself.
    """
    out = np.empty(k.shape[0])
    far = u > _J_SERIES_UMAX
    if far.any():
        out[far] = pnbd_log_j(k[far], e[far], u[far], log_eps[far])[0]
    idx = np.flatnonzero(~far)
    kk, ee, uu = k[idx], e[idx], u[idx]
    ec = kk + 1.0 - ee
    total = np.ones(idx.size)
    q = ec / (kk + 1.0)  # c_n u^(n-1) at n = 1
    s_e = 1.0 / ec  # sum_{j<n} 1/(ec + j), bounds the tail with q
    done = np.empty(idx.size)
    active = np.arange(idx.size)
    a_k, a_ec, a_u = kk, ec, uu
    n = 1
    while active.size:
        for _ in range(8):
            total += q * a_u
            q = q * a_u * (a_ec + n) / (a_k + 1.0 + n)
            s_e = s_e + 1.0 / (a_ec + n)
            n += 1
        small = q * (n + 1.0) * (1.0 + s_e) <= 1e-17 * (1.0 - a_u) * total
        if n > 2000:
            small[:] = True
        if small.any():
            done[active[small]] = total[small]
            keep = ~small
            active, total, q, s_e = active[keep], total[keep], q[keep], s_e[keep]
            a_k, a_ec, a_u = a_k[keep], a_ec[keep], a_u[keep]
    out[idx] = (1.0 - ee) * log_eps[idx] + np.log(done) - np.log(kk)
    return out


def _valid_spend_draws(found: list[int], n: int) -> np.ndarray:
    """The draws used, in order: the first ``n`` valid ones, used again in turn when too few.

    A draw past the edge of finite spend (Gamma-Gamma's q <= 1: an infinite
    population mean) has no expected spend for a one-time buyer: such draws
    are left out, so the interval is conditional on a finite mean, as the fit
    itself is (small logs reach it). Empty when no draw is valid (the spend is
    then taken as known).
    """
    found = np.asarray(found[:n], dtype=np.int64)
    return found[np.arange(n) % len(found)] if len(found) else found


def spend_draws(spend_model, rows, n: int, seed: int, at_fit) -> np.ndarray:
    """A fitted spend model's expected spend of ``rows`` at ``n`` valid draws: rows x draws.

    Draws are taken ``4 n`` at a time (:func:`draw_models`), and the first
    ``n`` at which ``expected_spend`` is defined are used (see
    :func:`_valid_spend_draws`); ``at_fit`` (the estimate's expected spend of
    ``rows``) in every column when none is. A Gamma-Gamma without covariates
    is evaluated for all draws at once (:func:`_gamma_gamma_draws`).
    """
    if type(spend_model) is GammaGamma and not getattr(spend_model, "spend_covariates", ()):
        return _gamma_gamma_draws(spend_model, rows, n, seed, at_fit)
    values, found = [], []
    twins = draw_models(spend_model, 4 * n, seed)
    for j in range(len(twins)):
        twin, twins[j] = twins[j], None  # each copy caches its predictions: dropped once used
        try:
            values.append(twin.expected_spend(rows).to_numpy(dtype=float))
        except ValueError:
            continue
        found.append(j)
        if len(found) == n:
            break
    order = _valid_spend_draws(list(range(len(found))), n)
    if not len(order):
        return np.repeat(at_fit[:, None], n, axis=1)
    out = np.empty((len(rows), n))
    for j, k in enumerate(order):
        out[:, j] = values[k]
    return out


def _gamma_gamma_draws(spend_model, rows, n, seed, at_fit) -> np.ndarray:
    """:func:`spend_draws` of a Gamma-Gamma without covariates, for all draws at once.

    The same draws (:func:`parameter_draws` with the same seed), the same
    rule for a valid draw as ``GammaGamma.expected_spend`` (q > 1 when a row
    has no repeat purchase; p x + q - 1 > 0 on every row, smallest at the
    smallest x) and its formula (gamma + x z) p / (p x + q - 1), element by
    element, a block of rows at a time.
    """
    params = parameter_draws(spend_model, 4 * n, seed)[["p", "q", "gamma"]].to_numpy()
    x = rows["frequency"].to_numpy(dtype=float)
    z = np.where(x > 0, rows["monetary_value"].to_numpy(dtype=float), 0.0)
    p, q, g = params.T
    valid = ~(((q <= 1) & np.any(x == 0)) | (p * x.min() + q - 1 <= 0))
    order = _valid_spend_draws(list(np.flatnonzero(valid)), n)
    if not len(order):
        return np.repeat(at_fit[:, None], n, axis=1)
    p, q, g = p[order], q[order], g[order]
    xz = x * z
    out = np.empty((len(rows), n))

    def work(sl):
        out[sl] = (g + xz[sl, None]) * p / (p * x[sl, None] + q - 1)

    each_block(work, len(rows), 10_000)
    return out
