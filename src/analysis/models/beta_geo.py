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
from scipy.special import betainc, betaln, digamma, expit, gammaln, logsumexp

from ..validate import DataValidationError
from ._special import _SINH, _TS, _chunks, bg_h, bg_laplace_h
from .base import CustomerGrid, OnePassModel, unique_rows

__all__ = ["BetaGeo"]

# ----------------------------------------------------------------------------------------------
# survival of an alive BG/NBD customer: S(A, B, R, z) = E[(1 + p z)^-R], p ~ Beta(A, B)

_SURVIVAL_ERR_OK = 1e-6  # accepted step-halving difference (the fine rule's error is ~its square)
_SURVIVAL_SERIES_MIN = 0.05  # below, 1 - A/(A+B) h loses relative digits


def _log_survival_logit(A, B, R, z):
    """log S by a double-exponential rule in u = logit(p), centred on the integrand's peak.

    In u the integrand is exp(A u - (A+B) log(1 + e^u) - R log(1 + z sigmoid(u))),
    smooth with a single peak for the Beta part; the nodes
    u = u0 + scale * pi sinh(tau) are centred on the peak u0 (found by
    bisection) and scaled by the curvature there, so a sharply peaked Beta
    (a, b in the thousands) is resolved as well as a flat one. Returns the log
    and an error estimate: the relative difference to the rule with twice the
    step, or the weight of the outermost nodes if larger (a tail cut short).
    """
    v, log_wv = _SINH
    lz = np.log(z)

    def slope(u):
        s = expit(u)
        return A - (A + B) * s - R * z * s * (1.0 - s) / (1.0 + z * s)

    lo, hi = np.full(A.shape, -745.0), np.full(A.shape, 745.0)
    for _ in range(60):  # slope > 0 at -745 and < 0 at 745
        mid = 0.5 * (lo + hi)
        up = slope(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    u0 = 0.5 * (lo + hi)
    s0 = expit(u0)
    ds = s0 * (1.0 - s0)
    bend = ((1.0 - 2.0 * s0) * (1.0 + z * s0) - z * ds) / (1.0 + z * s0) ** 2
    curv = -(A + B) * ds - R * z * ds * bend  # second derivative of the log integrand
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / np.sqrt(-curv)
    fallback = np.sqrt(1.0 / A + 1.0 / B)  # the Beta's own width in u
    scale = np.where((curv < 0) & np.isfinite(scale) & (scale > 0), scale, fallback)
    out = np.empty(A.shape[0])
    err = np.empty(A.shape[0])
    for sl in _chunks(A.shape[0], v.size):
        a, b, r = A[sl, None], B[sl, None], R[sl, None]
        u = u0[sl, None] + scale[sl, None] * v
        sp_neg = np.logaddexp(0.0, -u)  # -log sigmoid(u); log(1 + e^u) = u + sp_neg
        g = -b * u - (a + b) * sp_neg - r * np.logaddexp(0.0, lz[sl, None] - sp_neg) + log_wv
        top = g.max(axis=1, keepdims=True)
        e = np.exp(g - top)
        total = e.sum(axis=1)
        fine = top[:, 0] + np.log(total)
        halving = np.abs(2.0 * e[:, ::2].sum(axis=1) / total - 1.0)
        ends = np.maximum(e[:, 0], e[:, -1]) / total
        err[sl] = np.maximum(halving, ends)
        out[sl] = fine + np.log(scale[sl]) - betaln(A[sl], B[sl])
    return np.minimum(out, 0.0), np.where(np.isfinite(err), err, np.inf)


def _log_survival_log_p(A, B, R, z):
    """log S by tanh-sinh quadrature in log p (mass piled up at p = 0, e.g. A tiny).

    Returns the log and the step-halving error estimate, as :func:`_log_survival_logit`.
    """
    log_x, log_1mx, log_w, log_cut = _TS
    out = np.empty(A.shape[0])
    err = np.empty(A.shape[0])
    for sl in _chunks(A.shape[0], log_x.size):
        a, b, r, lz = A[sl, None], B[sl, None], R[sl, None], np.log(z[sl])[:, None]
        g = (a - 1.0) * log_x + (b - 1.0) * log_1mx - r * np.logaddexp(0.0, log_x + lz) + log_w
        # beyond the last nodes: p^(A-1) on p < cut (where p z is negligible), and
        # (1-p)^(B-1) (1+z)^-R on 1 - p < cut
        left = a * log_cut - np.log(a)
        right = b * log_cut - np.log(b) - r * np.logaddexp(0.0, lz)
        fine = logsumexp(np.concatenate([g, left, right], axis=1), axis=1)
        coarse = logsumexp(np.concatenate([g[:, ::2] + np.log(2.0), left, right], axis=1), axis=1)
        with np.errstate(invalid="ignore"):
            err[sl] = np.abs(np.expm1(coarse - fine))
        out[sl] = fine - betaln(A[sl], B[sl])
    return np.minimum(out, 0.0), np.where(np.isfinite(err), err, np.inf)


def _bg_log_survival(A, B, R, z):
    """log E[(1 + p z)^-R] for p ~ Beta(A, B): the BG/NBD survival factor, vectorised.

    The value is 2F1(R, A; A+B; -z), where scipy's hyp2f1 fails for large
    parameters. It is integrated over logit(p) around the integrand's peak
    (:func:`_log_survival_logit`); where that rule's own error estimate is
    poor (the Beta piles its mass at p = 0 or 1, a or b tiny) the identity
    E[(1 + p z)^-R] = 1 - A/(A+B) h(A+1, B, R, z) with the stable
    h = E[(1 - (1 + p z)^-R)/p] of :func:`._special.bg_h` is used, or,
    where that difference is small and loses relative digits, a tanh-sinh
    quadrature in log p. Returns 0 where z = 0.
    """
    A, B, R, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (A, B, R, z)))
    shape = A.shape
    A, B, R, z = (v.ravel() for v in (A, B, R, z))
    out = np.zeros(A.shape[0])
    idx = np.flatnonzero(z > 0)
    if idx.size:
        log_s, err = _log_survival_logit(A[idx], B[idx], R[idx], z[idx])
        out[idx] = log_s
        idx = idx[~(err < _SURVIVAL_ERR_OK)]
    if idx.size:
        a, b = A[idx], B[idx]
        surv = 1.0 - a / (a + b) * bg_h(a + 1.0, b, R[idx], z[idx])
        series = surv >= _SURVIVAL_SERIES_MIN
        out[idx[series]] = np.log(np.minimum(surv[series], 1.0))
        idx, surv = idx[~series], surv[~series]
    if idx.size:
        log_s, err = _log_survival_log_p(A[idx], B[idx], R[idx], z[idx])
        # last resort where neither quadrature resolves the integrand: the difference, if positive
        use_diff = ~(err < _SURVIVAL_ERR_OK) & (surv > 1e-8)
        with np.errstate(divide="ignore"):
            out[idx] = np.where(use_diff, np.log(np.where(use_diff, surv, 1.0)), log_s)
    return out.reshape(shape)


class _CountModel(OnePassModel):
    """Plumbing shared by the continuous-time models (BG/NBD, MBG/NBD, Pareto/NBD).

    Data checks, starting values, the
    prediction cache and the new-customer expectation wrapper.
    """

    required_columns = ("frequency", "recency", "T")
    integer_columns = ("frequency",)
    default_start = (1.0, 1.0, 1.0, 1.0)

    def fit(self, data, initial_params=None, maxiter: int = 2000, tol: float = 1e-10):
        """Estimate the parameters by maximum likelihood (see :meth:`BaseModel.fit`)."""
        try:
            return super().fit(data, initial_params=initial_params, maxiter=maxiter, tol=tol)
        finally:
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

    @staticmethod
    def _time_ahead(t, shape):
        """``t`` of ``p_alive(data, t)`` broadcast to one value per customer, checked."""
        t_arr = np.broadcast_to(np.asarray(t, dtype=float), shape)
        bad = ~(np.isfinite(t_arr) & (t_arr >= 0))
        if bad.any():
            shown = t if np.ndim(t) == 0 else f"{int(bad.sum())} bad value(s), e.g. {t_arr[bad][0]}"
            raise ValueError(
                "t (time after the observation end, in the data's time unit) must be finite "
                f"and non-negative; got {shown}"
            )
        return t_arr

    # ----- predictions at many horizons at once ---------------------------------------------------
    @staticmethod
    def _grid_times(ts) -> np.ndarray:
        ts = np.asarray(ts, dtype=float)
        if ts.ndim != 1 or ts.size == 0:
            raise ValueError(f"ts must be a non-empty 1-d sequence of times, got shape {ts.shape}")
        if not np.all(np.isfinite(ts) & (ts >= 0)):
            raise ValueError(
                "ts (times after the observation end, in the data's time unit) must be finite "
                f"and non-negative; got {ts.tolist()[:10]}"
            )
        return ts

    def _grid(self, ts, data, alive_values) -> CustomerGrid:
        """P(alive at T) per customer times ``alive_values(x, T, ts)`` on the distinct (x, T)."""
        self._require_fit()
        ts = self._grid_times(ts)
        index, x, tx, T = self._customers(data)
        uniq, inv = self._unique(np.column_stack([x, T]))
        ux, uT = uniq[:, :1], uniq[:, 1:]  # columns: broadcast against the row of times
        values = np.asarray(alive_values(ux, uT, ts[None, :]), dtype=float)
        return CustomerGrid(index, ts, self._p_alive_now(x, tx, T), values, inv)

    def expected_purchases_grid(self, ts, data) -> CustomerGrid:
        """Each customer's expected purchases in (T, T + t] for every t in ``ts``, at once.

        The same values as ``expected_purchases(t, data)`` for each ``t``, with
        the data validated and the distinct (frequency, T) rows found once,
        and the model's special functions evaluated on those rows only. A CLV
        asks for dozens of horizons for the same customers.

        Parameters
        ----------
        ts : sequence of float
            Window lengths (>= 0) in the data's time unit.
        data : DataFrame
            ``frequency``, ``recency``, ``T``.

        Returns
        -------
        CustomerGrid
            Factored customers x ``ts`` values: ``.at(j)``, ``.combine(weights)``,
            ``.increments()``, ``.to_frame()``.
        """
        return self._grid(ts, data, self._alive_purchases)

    def p_alive_grid(self, ts, data) -> CustomerGrid:
        """P(alive) ``t`` after each customer's observation end, for every t in ``ts``.

        The same values as ``p_alive(data, t)`` for each ``t`` (see
        :meth:`expected_purchases_grid` for the form of the result).
        """
        return self._grid(ts, data, self._alive_survival)

    def _p_alive_now(self, x, tx, T) -> np.ndarray:
        """P(alive at T | x, t_x, T) per customer."""
        raise NotImplementedError

    def _alive_purchases(self, x, T, t):
        """Expected purchases in (T, T + t] of a customer alive at T (arrays broadcast)."""
        raise NotImplementedError

    def _alive_survival(self, x, T, t):
        """P(alive at T + t | alive at T, x, T) (arrays broadcast)."""
        raise NotImplementedError

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
        """Log-likelihood per row and its gradient in one pass (cached by :class:`OnePassModel`)."""
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
        return ll, grad

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

    def p_alive(self, data, t=0.0) -> pd.Series:
        """Probability that each customer is alive ``t`` time units after her observation end.

        At ``t = 0`` (the default) this is P(alive at T | x, t_x, T) of Fader,
        Hardie & Lee (2005). For ``t > 0`` it is P(alive at T + t | history)
        = P(alive at T | history) * E[(1 + p t/(alpha+T))^-(r+x)],
        p ~ Beta(a, b+x) (MBG/NBD: Beta(a, b+x+1)).

        Derivation: given lambda and p, the history and survival to T have
        likelihood lambda^x e^(-lambda T) (1-p)^x (one more factor 1-p for the
        MBG/NBD dropout at time 0), so given alive at T the posterior is
        lambda ~ Gamma(r+x, rate alpha+T) and, independently, p ~ Beta(a, b+x)
        (b+x+1). An alive customer drops out at purchases that come at
        Poisson rate lambda, each ending the relationship with probability p:
        the dropouts form a Poisson process of rate lambda p, so
        P(alive at T+t | alive at T, lambda, p) = exp(-lambda p t). Averaging
        over lambda gives (1 + p t/(alpha+T))^-(r+x), and over p the
        hypergeometric value 2F1(r+x, a; a+b+x; -t/(alpha+T)), where scipy's
        hyp2f1 fails for heavy buyers; it is integrated numerically over
        logit(p), with checked error (see ``_bg_log_survival``).

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T``.
        t : float or array
            Time after the observation end, in the data's time unit (>= 0);
            a scalar or one value per customer.

        Returns
        -------
        Series
            Indexed like ``data``. At ``t = 0`` it is 1 for BG/NBD customers
            without repeat purchases; it decreases in ``t``.
        """
        index, x, tx, T = self._customers(data)
        t_arr = self._time_ahead(t, x.shape)
        # shared with expected_purchases: a CLV asks for both at many horizons
        p = self._memo("p_alive", (x, tx, T), lambda: expit(-self._log_odds_dead(x, tx, T)))
        if np.any(t_arr > 0):
            p = p * np.exp(self._log_survival(x, T, t))
        else:
            p = p.copy()  # never hand out the cached array
        return pd.Series(p, index=index, name="p_alive")

    def _log_survival(self, x, T, t):
        """log P(alive at T + t | alive at T, x, T) per customer (t scalar or per customer)."""
        r, alpha, a, b = self._p()
        if np.ndim(t) == 0:
            uniq, inv = self._memo("xT", (x, T), lambda: self._unique(np.column_stack([x, T])))
            ux, uT = uniq[:, 0], uniq[:, 1]
            ut = float(t)
        else:
            t_arr = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
            uniq, inv = self._unique(np.column_stack([x, T, t_arr]))
            ux, uT, ut = uniq[:, 0], uniq[:, 1], uniq[:, 2]
        return _bg_log_survival(a, b + ux + self._extra_dropout, r + ux, ut / (alpha + uT))[inv]

    def _new_customer_h(self, t):
        r, alpha, a, b = self._p()
        return bg_h(a, b, r, np.asarray(t, dtype=float) / alpha)

    def _p_alive_now(self, x, tx, T):
        return expit(-self._log_odds_dead(x, tx, T))

    def _alive_purchases(self, x, T, t):
        r, alpha, a, b = self._p()
        return bg_h(a, b + x + self._extra_dropout, r + x, t / (alpha + T))

    def _alive_survival(self, x, T, t):
        r, alpha, a, b = self._p()
        return np.exp(_bg_log_survival(a, b + x + self._extra_dropout, r + x, t / (alpha + T)))

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
        # h depends on (x, T, t) only: evaluate it on the distinct combinations
        if np.ndim(t) == 0:
            uniq, inv = self._memo("xT", (x, T), lambda: self._unique(np.column_stack([x, T])))
            ux, uT = uniq[:, 0], uniq[:, 1]
            ut = float(t)
        else:
            uniq, inv = self._unique(np.column_stack([x, T, t_arr]))
            ux, uT, ut = uniq[:, 0], uniq[:, 1], uniq[:, 2]
        h = self._alive_purchases(ux, uT, ut)[inv]
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
