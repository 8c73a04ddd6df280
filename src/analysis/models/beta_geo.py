"""BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way".

A customer buys at Poisson rate lambda ~ Gamma(r, alpha) (rate alpha) while
alive; after every repeat purchase she drops out with probability
p ~ Beta(a, b). Data per customer: ``frequency`` x (repeat purchases),
``recency`` t_x and ``T`` in one time unit; the parameters are in that unit.

The likelihood is evaluated in logs, the two terms combined by log-sum-exp,
with its analytic gradient. Predictions rest on
``h(A, B, R, z) = E[(1 - (1 + p z)^-R) / p]`` (see :mod:`._special`), which
stays exact where the closed form with the Gaussian hypergeometric function
breaks down (a near 1, a + b <= 1, long horizons).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln, digamma, expit, gammaln

from ..validate import DataValidationError
from ._special import bg_h, bg_laplace_h
from .base import BaseModel, unique_rows

__all__ = ["BetaGeo"]


class _CountModel(BaseModel):
    """Plumbing shared by the continuous-time models (BG/NBD, MBG/NBD, Pareto/NBD).

    Data checks, starting values, the one-entry likelihood cache, the
    prediction cache and the new-customer expectation wrapper.
    """

    required_columns = ("frequency", "recency", "T")
    integer_columns = ("frequency",)
    default_start = (1.0, 1.0, 1.0, 1.0)

    def __init__(self, penalizer: float = 0.0):
        super().__init__(penalizer=penalizer)
        self._cache_key = None
        self._cache_arrays = None
        self._cache_val = None

    def fit(self, data, initial_params=None, maxiter: int = 2000, tol: float = 1e-10):
        """Estimate the parameters by maximum likelihood (see :meth:`BaseModel.fit`)."""
        try:
            return super().fit(data, initial_params=initial_params, maxiter=maxiter, tol=tol)
        finally:
            self._cache_key = self._cache_arrays = self._cache_val = None
            self.__dict__.pop("_prediction_cache", None)

    # ----- data -------------------------------------------------------------------------------
    def _check_data(self, frame: pd.DataFrame) -> None:
        x = pd.to_numeric(frame["frequency"], errors="coerce").to_numpy(dtype=float)
        tx = pd.to_numeric(frame["recency"], errors="coerce").to_numpy(dtype=float)
        T = pd.to_numeric(frame["T"], errors="coerce").to_numpy(dtype=float)
        bad = tx > T * (1 + 1e-12) + 1e-12
        if bad.any():
            raise DataValidationError(
                f"recency exceeds T for {int(bad.sum())} customer(s) (rows "
                f"{list(frame.index[bad][:5])}); recency is measured from the first purchase to "
                "the last, T from the first purchase to the end of observation."
            )
        bad = (x == 0) & (tx > 0)
        if bad.any():
            raise DataValidationError(
                f"{int(bad.sum())} customer(s) have frequency 0 but positive recency (rows "
                f"{list(frame.index[bad][:5])}); without repeat purchases recency must be 0."
            )

    def _precompute(self, arrays):
        ux, inv = np.unique(arrays["frequency"], return_inverse=True)
        arrays["_x_unique"] = ux
        arrays["_x_index"] = inv.astype(np.int64)
        return arrays

    def _start(self, initial_params, arrays):
        if initial_params is not None:
            return super()._start(initial_params, arrays)
        w = arrays["weight"]
        total_x = float(np.dot(w, arrays["frequency"]))
        total_t = float(np.dot(w, arrays["T"]))
        rate = total_x / total_t if total_x > 0 and total_t > 0 else 1.0
        return np.array([1.0, max(1.0 / rate, 1e-6), 1.0, 1.0])

    # ----- predictions: shared ------------------------------------------------------------------
    def _memo(self, name, arrays, compute):
        """Cache per-customer results by content (a hash of the arrays and the parameters).

        A CLV computation asks for predictions at many horizons for the same
        customers; P(alive) and the distinct (x, T) pairs are then computed once.
        """
        digest = hashlib.blake2b(digest_size=16)
        for arr in arrays:
            digest.update(np.ascontiguousarray(arr, dtype=float).view(np.uint8))
        digest.update(np.asarray(self._p(), dtype=float).tobytes())
        key = (name, digest.digest())
        cache = self.__dict__.setdefault("_prediction_cache", {})
        if key not in cache:
            if len(cache) >= 8:
                cache.clear()
            cache[key] = compute()
        return cache[key]

    def _customers(self, data):
        index, arr = self._data_arrays(data)
        return index, arr["frequency"], arr["recency"], arr["T"]

    @staticmethod
    def _unique(mat):
        uniq, _, inv = unique_rows(mat, return_inverse=True)
        return uniq, inv

    def _expected_new(self, t):
        """E[X(t)] of a new customer, with the checks shared by all models."""
        t_arr = np.asarray(t, dtype=float)
        if np.any(t_arr < 0) or not np.all(np.isfinite(t_arr)):
            raise ValueError("t must be finite and non-negative")
        out = self._new_customer_h(t_arr)
        return float(out) if np.ndim(out) == 0 else out


class BetaGeo(_CountModel):
    """BG/NBD: Poisson purchases, dropout after a repeat purchase with probability p.

    Parameters (after ``fit``): ``r``, ``alpha`` (purchase-rate heterogeneity,
    Gamma(r, rate alpha)) and ``a``, ``b`` (dropout probability, Beta(a, b)).

    Examples
    --------
    >>> model = BetaGeo().fit(summary)           # doctest: +SKIP
    >>> model.expected_purchases(39, summary)    # doctest: +SKIP
    """

    param_names = ("r", "alpha", "a", "b")

    #: opportunities to drop out besides those after repeat purchases (MBG/NBD: 1, at time 0)
    _extra_dropout = 0

    # ----- likelihood -------------------------------------------------------------------------
    def _pieces(self, params, arrays):
        """Log-likelihood per row and its gradient (one pass, cached for the last parameters)."""
        # one-entry cache: the optimiser asks for value and gradient at the same point.
        # The arrays object itself is kept, so a new dict can never be mistaken for it.
        key = params.tobytes()
        if self._cache_key == key and self._cache_arrays is arrays:
            return self._cache_val
        r, alpha, a, b = (float(v) for v in params)
        d = self._extra_dropout
        x, tx, T = arrays["frequency"], arrays["recency"], arrays["T"]
        ux, xi = arrays["_x_unique"], arrays["_x_index"]
        # functions of x alone: on the unique values
        bx = b + ux + d  # dropout opportunities survived: b + x (+1 for MBG)
        A_x = gammaln(r + ux) - gammaln(r) + betaln(a, bx) - betaln(a, b)
        has2_x = (ux + d) > 0
        with np.errstate(divide="ignore"):
            c2_x = np.where(has2_x, np.log(a) - np.log(np.where(has2_x, bx - 1.0, 1.0)), -np.inf)
        lT = np.log(alpha + T)
        lx = np.log(alpha + tx)
        rx = r + x
        u1 = -rx * lT
        u2 = c2_x[xi] - rx * lx
        # log-sum-exp of the two terms with one exp: m = max + log1p(e), weights from e
        d = u2 - u1
        e = np.exp(-np.abs(d))
        big2 = d > 0
        w_big = 1.0 / (1.0 + e)
        w2 = np.where(big2, w_big, e * w_big)
        w1 = np.where(big2, e * w_big, w_big)
        ll = A_x[xi] + (r * np.log(alpha)) + np.maximum(u1, u2) + np.log1p(e)
        psi_ab = digamma(a + b)
        g_r_x = digamma(r + ux) - digamma(r) + np.log(alpha)
        g_a_x = psi_ab - digamma(a + bx)
        g_b_x = digamma(bx) - digamma(a + bx) - digamma(b) + psi_ab
        inv_b_x = np.where(has2_x, 1.0 / np.where(has2_x, bx - 1.0, 1.0), 0.0)
        grad = np.empty((4, x.shape[0]))
        grad[0] = g_r_x[xi] - w1 * lT - w2 * lx
        grad[1] = r / alpha - rx * (w1 / (alpha + T) + w2 / (alpha + tx))
        grad[2] = g_a_x[xi] + w2 / a
        grad[3] = g_b_x[xi] - w2 * inv_b_x[xi]
        grad = grad.T
        self._cache_key, self._cache_arrays, self._cache_val = key, arrays, (ll, grad)
        return ll, grad

    def _loglik_rows(self, params, arrays):
        if "_x_index" not in arrays:
            arrays = self._precompute(dict(arrays))
        return self._pieces(np.asarray(params, dtype=float), arrays)[0]

    def _loglik_grad_rows(self, params, arrays):
        if "_x_index" not in arrays:
            arrays = self._precompute(dict(arrays))
        return self._pieces(np.asarray(params, dtype=float), arrays)[1]

    # ----- predictions ------------------------------------------------------------------------
    def _log_odds_dead(self, x, tx, T):
        """log of P(dropped out) / P(alive) given the history (-inf when she cannot have)."""
        r, alpha, a, b = self._p()
        d = self._extra_dropout
        has = (x + d) > 0
        with np.errstate(divide="ignore"):
            return np.where(
                has,
                np.log(a)
                - np.log(np.where(has, b + x + d - 1.0, 1.0))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)),
                -np.inf,
            )

    def p_alive(self, data) -> pd.Series:
        """Probability that each customer is still alive at the end of her observation (T).

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T``.

        Returns
        -------
        Series
            Indexed like ``data``; 1 for customers without repeat purchases (BG/NBD).
        """
        index, x, tx, T = self._customers(data)
        return pd.Series(expit(-self._log_odds_dead(x, tx, T)), index=index, name="p_alive")

    def _new_customer_h(self, t):
        r, alpha, a, b = self._p()
        return bg_h(a, b, r, np.asarray(t, dtype=float) / alpha)

    def expected_purchases(self, t, data=None):
        """Expected number of purchases in a window of length ``t``.

        Parameters
        ----------
        t : float or array
            Window length in the model's time unit.
        data : DataFrame, optional
            Without it: the expected repeat purchases in (0, t] of a new
            customer (measured from her first purchase); returns a float (or an
            array for array ``t``). With it: each customer's expected purchases
            in (T, T + t] given her ``frequency``, ``recency`` and ``T``; ``t``
            is a scalar or one value per customer; returns a Series indexed like
            ``data``.
        """
        self._require_fit()
        if data is None:
            return self._expected_new(t)
        index, x, tx, T = self._customers(data)
        t_arr = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
        if np.any(t_arr < 0) or not np.all(np.isfinite(t_arr)):
            raise ValueError("t must be finite and non-negative")
        r, alpha, a, b = self._p()
        # h depends on (x, T, t) only: evaluate it on the distinct combinations
        if np.ndim(t) == 0:
            uniq, inv = self._memo("xT", (x, T), lambda: self._unique(np.column_stack([x, T])))
            ux, uT = uniq[:, 0], uniq[:, 1]
            ut = float(t)
        else:
            uniq, inv = self._unique(np.column_stack([x, T, t_arr]))
            ux, uT, ut = uniq[:, 0], uniq[:, 1], uniq[:, 2]
        h = bg_h(a, b + ux + self._extra_dropout, r + ux, ut / (alpha + uT))[inv]
        p = self._memo("p_alive", (x, tx, T), lambda: expit(-self._log_odds_dead(x, tx, T)))
        return pd.Series(p * h, index=index, name="expected_purchases")

    def probability_of_purchases(self, n, t):
        """P(X(t) = n): probability that a new customer makes n repeat purchases in (0, t].

        Parameters
        ----------
        n : int or array of int
            Number of repeat purchases.
        t : float or array
            Window length (broadcast with ``n``).

        Returns
        -------
        float or ndarray
        """
        self._require_fit()
        n_arr, t_arr = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(t, dtype=float))
        if np.any(n_arr < 0) or np.any(n_arr != np.round(n_arr)):
            raise ValueError("n must hold non-negative whole numbers")
        if np.any(t_arr < 0) or not np.all(np.isfinite(t_arr)):
            raise ValueError("t must be finite and non-negative")
        r, alpha, a, b = self._p()
        d = self._extra_dropout
        with np.errstate(divide="ignore", invalid="ignore"):
            log_q = np.log(alpha) - np.log(alpha + t_arr)  # log P(no purchase per NB "success")
            log_1mq = np.where(t_arr > 0, np.log(t_arr) - np.log(alpha + t_arr), -np.inf)
            log_nb = (
                gammaln(r + n_arr) - gammaln(r) - gammaln(n_arr + 1) + r * log_q
                + np.where(n_arr > 0, n_arr * log_1mq, 0.0)
            )
            term1 = betaln(a, b + n_arr + d) - betaln(a, b) + log_nb
            # P(NB >= n) = I_{t/(alpha+t)}(n, r); 1 for n = 0
            tail = np.where(
                n_arr > 0, betainc(np.maximum(n_arr, 1), r, t_arr / (alpha + t_arr)), 1.0
            )
            has2 = (n_arr + d) > 0
            term2 = np.where(
                has2,
                betaln(a + 1, np.maximum(b + n_arr + d - 1, 1e-300)) - betaln(a, b) + np.log(tail),
                -np.inf,
            )
            out = np.exp(np.logaddexp(term1, term2))
        return float(out) if out.ndim == 0 else out

    def dert(self, data, discount_rate: float) -> pd.Series:
        """Discounted expected residual transactions (DERT) of each customer.

        The expected number of future purchases, each discounted by
        exp(-discount_rate * time until it): the integral of
        exp(-delta t) dE[Y(t) | history]. No closed form is known for the
        BG/NBD; it is computed as P(alive) * kappa * int exp(-kappa z) h(z) dz
        with kappa = delta (alpha + T), by a trapezoidal rule in log z that
        converges geometrically (relative error ~1e-10).

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T``.
        discount_rate : float
            Continuously compounded discount rate per time unit of the data
            (e.g. weekly data and 10% a year: log(1.10) / 52).

        Returns
        -------
        Series
            Indexed like ``data``.
        """
        self._require_fit()
        delta = float(discount_rate)
        if not (np.isfinite(delta) and delta > 0):
            raise ValueError(f"discount_rate must be a positive number, got {discount_rate!r}")
        index, x, tx, T = self._customers(data)
        r, alpha, a, b = self._p()
        uniq, inv = self._memo("xT", (x, T), lambda: self._unique(np.column_stack([x, T])))
        ux, uT = uniq[:, 0], uniq[:, 1]
        lap = bg_laplace_h(a, b + ux + self._extra_dropout, r + ux, delta * (alpha + uT))[inv]
        p = expit(-self._log_odds_dead(x, tx, T))
        return pd.Series(p * lap, index=index, name="dert")
