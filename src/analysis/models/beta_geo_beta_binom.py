"""BG/BB model of Fader, Hardie & Shang (2010): discrete-time, non-contractual repeat buying.

Each customer has a fixed number of transaction opportunities (e.g. one a
year for a charity's annual appeal). While alive she transacts at each
opportunity with probability p; at the start of each opportunity she becomes
inactive ("dies") for good with probability theta. Across customers
p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta).

Data per customer: ``frequency`` x (repeat transactions in the n
opportunities after the first), ``recency`` t_x (the opportunity, 1..n, of
the last transaction; 0 when x = 0) and ``n_periods`` n. The likelihood
(FHS 2010, eq. 5) is

    L = B(a+x, b+n-x)/B(a,b) * B(g, d+n)/B(g,d)
        + sum_{i=0}^{n-t_x-1} B(a+x, b+t_x-x+i)/B(a,b) * B(g+1, d+t_x+i)/B(g,d),

evaluated here on the log scale (betaln, logsumexp) so that long histories
do not underflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1, logsumexp

from ..validate import DataValidationError
from .base import BaseModel, _as_frame

__all__ = ["BetaGeoBetaBinom"]

_GAMMA_ONE_TOL = 1e-6  # |gamma - 1| below this uses the analytic limit of the closed forms
_MAX_GRID = 4_000_000  # cells per chunk of the (rows x sum terms) grid


def _log_alive_sum(g: float, d: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log of sum_{t=a+1}^{b} B(g, d+t)/B(g, d), the expected number of opportunities alive in (a, b].

    Closed form (FHS 2010, eq. 8 and 13):
        d/(g-1) * Gamma(g+d)/Gamma(1+d) * [Gamma(1+d+a)/Gamma(g+d+a) - Gamma(1+d+b)/Gamma(g+d+b)],
    written as exp(c + A_a) * (1 - exp(A_b - A_a)) / (g - 1) with A_m = lnGamma(1+d+m) - lnGamma(g+d+m),
    and at g = 1 its limit d (psi(1+d+b) - psi(1+d+a)).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    c = np.log(d) + gammaln(g + d) - gammaln(1 + d)
    A_a = gammaln(1 + d + a) - gammaln(g + d + a)
    A_b = gammaln(1 + d + b) - gammaln(g + d + b)
    with np.errstate(divide="ignore", invalid="ignore"):
        if abs(g - 1) < _GAMMA_ONE_TOL:
            ratio = digamma(1 + d + b) - digamma(1 + d + a)
        else:
            ratio = -np.expm1(A_b - A_a) / (g - 1)
        out = c + A_a + np.log(ratio)
    return np.where(b > a, out, -np.inf)


class BetaGeoBetaBinom(BaseModel):
    """BG/BB model with parameters ``alpha, beta`` (transaction) and ``gamma, delta`` (dropout).

    Time is counted in transaction opportunities. Predictions follow FHS (2010).
    """

    #: time is counted in whole transaction opportunities (see analysis.clv.customer_lifetime_value)
    discrete_time = True

    param_names = ("alpha", "beta", "gamma", "delta")
    required_columns = ("frequency", "recency", "n_periods")
    integer_columns = ("frequency", "recency", "n_periods")
    default_start = (1.0, 1.0, 1.0, 1.0)

    # ----- data checks -----------------------------------------------------------------------
    @staticmethod
    def _check_frame(frame: pd.DataFrame, name: str = "BetaGeoBetaBinom") -> None:
        x = pd.to_numeric(frame["frequency"]).to_numpy(dtype=float)
        t_x = pd.to_numeric(frame["recency"]).to_numpy(dtype=float)
        n = pd.to_numeric(frame["n_periods"]).to_numpy(dtype=float)
        checks = [
            (x > t_x, "frequency > recency (at most one transaction per opportunity)"),
            (t_x > n, "recency > n_periods"),
            ((x == 0) & (t_x != 0), "recency != 0 for customers without repeat transactions"),
            ((x > 0) & (t_x < 1), "recency < 1 for customers with repeat transactions"),
            (n < 1, "n_periods < 1"),
        ]
        for bad, what in checks:
            if bad.any():
                rows = list(frame.index[bad][:5])
                raise DataValidationError(
                    f"{name}: {int(bad.sum())} row(s) with {what} (rows {rows}). Recency is the "
                    "opportunity (1..n_periods) of the last transaction, 0 without repeats."
                )

    def _check_data(self, frame: pd.DataFrame) -> None:
        self._check_frame(frame)

    # ----- likelihood ------------------------------------------------------------------------
    @staticmethod
    def _log_terms(params, x, t_x, n, gradient: bool = False):
        """The likelihood's terms on the log scale, on a (rows, 1 + K) grid, K = max(n - t_x).

        Column 0 is the 'alive through n' term B(a+x, b+n-x)/B(a,b) B(g, d+n)/B(g,d);
        column 1 + i is the term i = 0..n-t_x-1 of the sum (masked beyond each
        row's own count). Along i the terms follow the recursion
        B(A, B+i+1) = B(A, B+i) (B+i)/(A+B+i), so a row needs two betaln calls
        and a cumulative sum of logs instead of a betaln per cell; the digamma
        functions of the gradient follow psi(z+1) = psi(z) + 1/z likewise.

        Returns the log terms, the validity mask and, with ``gradient``, the
        derivatives of each log term with respect to (a, b, g, d).
        """
        a, b, g, d = params
        rows = len(n)
        k_max = int(np.max(n - t_x)) if rows else 0
        i = np.arange(k_max)[None, :]
        A = a + x  # shape of the transaction Beta, all terms
        B0 = b + t_x - x  # second argument of the sum's first term
        G = g + 1.0
        D0 = d + t_x
        Bi = B0[:, None] + i
        Di = D0[:, None] + i
        AB = A[:, None] + Bi
        GD = G + Di
        alive = betaln(A, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d)
        first = betaln(A, B0) - betaln(a, b) + betaln(G, D0) - betaln(g, d)
        step = -np.log1p(A[:, None] / Bi) - np.log1p(G / Di)  # log(term_{i+1} / term_i)
        cum = np.zeros((rows, k_max))
        if k_max > 1:
            np.cumsum(step[:, :-1], axis=1, out=cum[:, 1:])
        logt = np.concatenate([alive[:, None], first[:, None] + cum], axis=1)
        valid = np.concatenate([np.ones((rows, 1), bool), i < (n - t_x)[:, None]], axis=1)
        logt = np.where(valid, logt, -np.inf)
        if not gradient:
            return logt, valid, None

        def shifted_cumsum(values):
            out = np.zeros_like(values)
            if values.shape[1] > 1:
                np.cumsum(values[:, :-1], axis=1, out=out[:, 1:])
            return out

        psi_a0 = digamma(a) - digamma(a + b)
        psi_b0 = digamma(b) - digamma(a + b)
        psi_g0 = digamma(g) - digamma(g + d)
        psi_d0 = digamma(d) - digamma(g + d)
        # the sum's terms: psi(A + B_i), psi(B_i), psi(G + D_i), psi(D_i) by recursion from i = 0
        psi_ab = digamma(A + B0)[:, None] + shifted_cumsum(1.0 / AB)
        psi_b = digamma(B0)[:, None] + shifted_cumsum(1.0 / Bi)
        psi_gd = digamma(G + D0)[:, None] + shifted_cumsum(1.0 / GD)
        psi_d = digamma(D0)[:, None] + shifted_cumsum(1.0 / Di)
        psi_A = digamma(A)[:, None]
        # the alive term
        psi_ab_alive = digamma(a + b + n)
        psi_gd_alive = digamma(g + d + n)
        grads = []
        for alive_k, sum_k in (
            (digamma(A) - psi_ab_alive - psi_a0, psi_A - psi_ab - psi_a0),
            (digamma(b + n - x) - psi_ab_alive - psi_b0, psi_b - psi_ab - psi_b0),
            (digamma(g) - psi_gd_alive - psi_g0, digamma(G) - psi_gd - psi_g0),
            (digamma(d + n) - psi_gd_alive - psi_d0, psi_d - psi_gd - psi_d0),
        ):
            grads.append(np.concatenate([alive_k[:, None], sum_k], axis=1))
        return logt, valid, grads

    def _chunks(self, arrays):
        n = arrays["n_periods"]
        t_x = arrays["recency"]
        width = int(np.max(n - t_x)) + 1 if len(n) else 1
        step = max(1, _MAX_GRID // width)
        for start in range(0, len(n), step):
            yield slice(start, start + step)

    def _loglik_rows(self, params, arrays):
        out = np.empty(len(arrays["n_periods"]))
        for sl in self._chunks(arrays):
            x, t_x, n = arrays["frequency"][sl], arrays["recency"][sl], arrays["n_periods"][sl]
            logt, _, _ = self._log_terms(params, x, t_x, n)
            out[sl] = logsumexp(logt, axis=1)
        return out

    def _loglik_grad_rows(self, params, arrays):
        out = np.empty((len(arrays["n_periods"]), 4))
        for sl in self._chunks(arrays):
            x, t_x, n = arrays["frequency"][sl], arrays["recency"][sl], arrays["n_periods"][sl]
            logt, valid, grads = self._log_terms(params, x, t_x, n, gradient=True)
            lse = logsumexp(logt, axis=1, keepdims=True)
            w = np.exp(logt - lse)  # each term's share of the likelihood (0 where masked)
            for k, dk in enumerate(grads):
                out[sl, k] = np.sum(np.where(valid, w * dk, 0.0), axis=1)
        return out

    # ----- helpers for predictions -------------------------------------------------------------
    def _history(self, data):
        frame = _as_frame(data)
        missing = [c for c in self.required_columns if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"BetaGeoBetaBinom predictions need column(s) {missing}; found {list(frame.columns)}"
            )
        self._check_frame(frame)
        arrays = {c: frame[c].to_numpy(dtype=float) for c in self.required_columns}
        return frame.index, arrays

    def _log_lik_history(self, arrays) -> np.ndarray:
        return self._loglik_rows(self._p(), arrays)

    # ----- predictions -----------------------------------------------------------------------
    def expected_purchases(self, n, data=None):
        """Expected number of transactions in the next ``n`` opportunities.

        Without ``data``: for a customer just acquired (FHS 2010, eq. 8),
        E[X(n)] = alpha/(alpha+beta) * sum_{t=1}^{n} B(gamma, delta+t)/B(gamma, delta).
        With ``data``: conditional on each customer's history (x, t_x, n_periods),
        transactions in opportunities n_periods+1 .. n_periods+n (eq. 13).

        Parameters
        ----------
        n : int or array-like
            Number of future opportunities (>= 0).
        data : DataFrame, optional
            ``frequency``, ``recency``, ``n_periods`` per customer.

        Returns
        -------
        float, ndarray or Series
            A Series indexed like ``data`` when data is given.
        """
        a, b, g, d = self._p()
        n_arr = np.asarray(n, dtype=float)
        if np.any(n_arr < 0):
            raise ValueError(f"n must be >= 0, got {n!r}")
        if data is None:
            with np.errstate(divide="ignore"):
                val = a / (a + b) * np.exp(_log_alive_sum(g, d, np.zeros_like(n_arr), n_arr))
            val = np.where(n_arr > 0, val, 0.0)
            return float(val) if val.ndim == 0 else val
        index, arr = self._history(data)
        x, t_x, m = arr["frequency"], arr["recency"], arr["n_periods"]
        log_l = self._log_lik_history(arr)
        log_p = betaln(a + x + 1, b + m - x) - betaln(a, b)
        with np.errstate(divide="ignore"):
            log_alive = _log_alive_sum(g, d, m, m + n_arr)
        val = np.exp(log_p + log_alive - log_l)
        return pd.Series(val, index=index, name="expected_purchases")

    def p_alive(self, data, n=1) -> pd.Series:
        """Probability that each customer is alive at opportunity n_periods + n (eq. 11 for n = 1).

        P = B(alpha+x, beta+m-x)/B(alpha,beta) * B(gamma, delta+m+n)/B(gamma,delta) / L,
        with m = n_periods. The default n = 1 is the next opportunity; n = 0 is
        the last observed one.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        n : int or float
            Opportunities after the observation end (>= 0).

        Returns
        -------
        Series
            Indexed like ``data``.
        """
        a, b, g, d = self._p()
        if not np.all(np.asarray(n, dtype=float) >= 0):
            raise ValueError(f"n must be >= 0, got {n!r}")
        index, arr = self._history(data)
        x, m = arr["frequency"], arr["n_periods"]
        log_num = betaln(a + x, b + m - x) - betaln(a, b) + betaln(g, d + m + n) - betaln(g, d)
        val = np.exp(log_num - self._log_lik_history(arr))
        return pd.Series(np.clip(val, 0.0, 1.0), index=index, name="p_alive")

    def probability_of_purchases(self, x, n):
        """P(X(n) = x): probability that a new customer makes x transactions in n opportunities (eq. 7).

        P = C(n,x) B(a+x, b+n-x)/B(a,b) B(g, d+n)/B(g,d)
            + sum_{i=x}^{n-1} C(i,x) B(a+x, b+i-x)/B(a,b) B(g+1, d+i)/B(g,d).

        Parameters
        ----------
        x, n : int or array-like
            Number of transactions and of opportunities (broadcast together).

        Returns
        -------
        float or ndarray
        """
        a, b, g, d = self._p()
        x_arr, n_arr = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(n, dtype=float))
        shape = x_arr.shape
        x_arr, n_arr = x_arr.ravel(), n_arr.ravel()
        if np.any(x_arr != np.round(x_arr)) or np.any(n_arr != np.round(n_arr)) or np.any(n_arr < 0):
            raise ValueError("x and n must be whole numbers with n >= 0")
        out = np.zeros(len(x_arr))
        ok = (x_arr >= 0) & (x_arr <= n_arr)

        def log_choose(nn, kk):
            return gammaln(nn + 1) - gammaln(kk + 1) - gammaln(nn - kk + 1)

        if ok.any():
            xs, ns = x_arr[ok], n_arr[ok]
            first = (
                log_choose(ns, xs)
                + betaln(a + xs, b + ns - xs)
                - betaln(a, b)
                + betaln(g, d + ns)
                - betaln(g, d)
            )
            k_max = int(np.max(ns - xs)) if len(ns) else 0
            i = xs[:, None] + np.arange(k_max)[None, :]
            valid = i < ns[:, None]
            i_safe = np.where(valid, i, xs[:, None])
            rest = (
                log_choose(i_safe, xs[:, None])
                + betaln(a + xs[:, None], b + i_safe - xs[:, None])
                - betaln(a, b)
                + betaln(g + 1, d + i_safe)
                - betaln(g, d)
            )
            rest = np.where(valid, rest, -np.inf)
            out[ok] = np.exp(logsumexp(np.column_stack([first, rest]), axis=1))
        out = out.reshape(shape)
        return float(out) if out.ndim == 0 else out

    def dert(self, data, discount_rate: float) -> pd.Series:
        """Discounted expected residual transactions of each customer (FHS 2010, eq. 14).

        The expected number of future transactions (opportunities n+1, n+2, ...,
        forever), the one at opportunity n+s discounted by (1+d)^-s:

            DERT = B(a+x+1, b+n-x)/B(a,b) * B(g, d+n+1)/(B(g,d) (1+d))
                   * 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / L.

        Multiply by the value per transaction to get a customer's residual value.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        discount_rate : float
            Discount rate per opportunity (> 0).

        Returns
        -------
        Series
            DERT per customer, indexed like ``data``.
        """
        a, b, g, d = self._p()
        r = float(discount_rate)
        if not r > 0:
            raise ValueError(f"discount_rate must be > 0 (per opportunity), got {discount_rate!r}")
        index, arr = self._history(data)
        x, m = arr["frequency"], arr["n_periods"]
        log_num = (
            betaln(a + x + 1, b + m - x)
            - betaln(a, b)
            + betaln(g, d + m + 1)
            - betaln(g, d)
            - np.log1p(r)
        )
        h = _hyp2f1_one(d + m + 1, g + d + m + 1, 1.0 / (1.0 + r))
        val = np.exp(log_num - self._log_lik_history(arr)) * h
        return pd.Series(val, index=index, name="dert")


def _hyp2f1_one(b, c, z: float) -> np.ndarray:
    """2F1(1, b; c; z) = sum_k (b)_k/(c)_k z^k for 0 <= z < 1 and c > b > 0 (DERT, DERL).

    scipy's ``hyp2f1`` is fast but returns nan or inf for large b or c (long
    histories, near-deterministic parameters). Its value is kept only when it
    is finite, within the bounds 1 <= F <= 1/(1-z) that the positive,
    decreasing-ratio series implies, and satisfies the contiguous relation
    F(b, c) = 1 + (b/c) z F(b+1, c+1); otherwise the series is summed directly
    (:func:`_hyp2f1_one_series`).
    """
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    b, c = np.broadcast_arrays(b, c)
    if not (0 <= z < 1):
        raise ValueError(f"z must lie in [0, 1), got {z!r}")
    with np.errstate(all="ignore"):
        fast = hyp2f1(1.0, b, c, z)
        shifted = hyp2f1(1.0, b + 1, c + 1, z)
        relation = 1.0 + b / c * z * shifted
    upper = 1.0 / (1.0 - z)
    ok = np.isfinite(fast) & np.isfinite(relation)
    ok &= (fast >= 1.0 - 1e-12) & (fast <= upper * (1 + 1e-12))
    with np.errstate(all="ignore"):
        ok &= np.abs(relation - fast) <= 1e-10 * np.abs(fast)
    out = np.where(ok, fast, np.nan)
    if not ok.all():
        bad = ~ok
        out[bad] = _hyp2f1_one_series(b[bad], c[bad], z)
    return out


_SERIES_BLOCK = 1 << 16
_SERIES_MAX_TERMS = 200_000_000


def _hyp2f1_one_series(b: np.ndarray, c: np.ndarray, z: float) -> np.ndarray:
    """Direct series of 2F1(1, b; c; z), summed in blocks of terms for each distinct (b, c).

    Term k is exp(sum_{j<k} -log1p((c-b)/(b+j)) + k log z) <= z^k, so the terms
    never overflow and the tail after K terms is at most term_K / (1 - z);
    summation stops when that bound falls below 1e-17 of the total. The number
    of terms grows like 40 / -log(z) (about 40/d for z = 1/(1+d)).
    """
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    out = np.empty(b.shape)
    if b.size == 0:
        return out
    if z == 0:
        out[...] = 1.0
        return out
    log_z = np.log(z)
    pairs, inverse = np.unique(np.column_stack([b.ravel(), c.ravel()]), axis=0, return_inverse=True)
    values = np.empty(len(pairs))
    for idx, (bb, cc) in enumerate(pairs):
        alpha = cc - bb
        total = 0.0
        log_r = 0.0  # log (b)_k/(c)_k at the block's first k
        start = 0
        while True:
            j = start + np.arange(_SERIES_BLOCK, dtype=float)
            steps = -np.log1p(alpha / (bb + j))
            log_terms = log_r + np.concatenate([[0.0], np.cumsum(steps[:-1])]) + j * log_z
            total += float(np.sum(np.exp(log_terms)))
            log_r += float(np.sum(steps))
            start += _SERIES_BLOCK
            log_next = log_r + start * log_z
            if np.exp(log_next) / (1.0 - z) <= 1e-17 * total:
                break
            if start >= _SERIES_MAX_TERMS:
                raise ValueError(
                    f"2F1(1, {bb:g}; {cc:g}; {z:g}) did not converge in {start} terms: the discount "
                    "rate per period is too small; use a larger rate or a coarser period."
                )
        values[idx] = total
    out[...] = values[inverse.ravel()].reshape(b.shape)
    return out
