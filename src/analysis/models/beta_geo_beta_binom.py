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
from scipy.special import betaln, digamma, gammaln, logsumexp

from ..units import per_period_rate
from ..validate import DataValidationError
from .base import BaseModel, as_frame
from .count import check_counts
from .degenerate import beta_binomial_max_loglik, bgbb_data_degenerate, reduces_to
from .hypergeometric import hyp2f1_one
from .rows import CustomerGrid, unique_rows
from .time_unit import TimeUnitMixin

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


class BetaGeoBetaBinom(TimeUnitMixin, BaseModel):
    """BG/BB model with parameters ``alpha, beta`` (transaction) and ``gamma, delta`` (dropout).

    Time is counted in transaction opportunities: every ``t`` of the
    predictions is a number of future opportunities after each customer's
    last observed one (``n_periods``). ``time_unit`` is the calendar length
    of one opportunity ("Y" for a yearly appeal); it converts a yearly
    discount rate into a rate per opportunity. Predictions follow FHS (2010);
    for a customer with a history they use the fact that a customer alive at
    her last opportunity n behaves from then on as a new customer with the
    posterior parameters (alpha + x, beta + n - x, gamma, delta + n).
    """

    #: time is counted in whole transaction opportunities (see analysis.clv.customer_lifetime_value)
    discrete_time = True

    param_names = ("alpha", "beta", "gamma", "delta")
    required_columns = ("frequency", "recency", "n_periods")
    integer_columns = ("frequency", "recency", "n_periods")
    default_start = (1.0, 1.0, 1.0, 1.0)
    shape_pairs = (
        ("alpha", "beta", "beta", "transaction probability"),
        ("gamma", "delta", "beta", "dropout probability"),
    )

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

    # ----- degenerate data and boundary fits ---------------------------------------------------
    def _degenerate_data(self, arrays):
        return bgbb_data_degenerate(
            arrays["frequency"], arrays["recency"], arrays["n_periods"], arrays["weight"]
        )

    def _boundary_explanation(self, params, loglik, arrays):
        bb = beta_binomial_max_loglik(arrays["frequency"], arrays["n_periods"], arrays["weight"])
        if not reduces_to(loglik, bb):
            return None
        return ("gamma", "delta"), (
            f"no dropout detected: the log-likelihood ({loglik:.2f}) is no better than that of "
            f"the beta-binomial, the same transactions without dropout ({bb:.2f}), so BG/BB "
            "reduces to it and the dropout parameters (gamma, delta) are not identified. "
            "P(alive) is 1 for everyone and DERT assumes that no customer ever leaves: an upper "
            "bound."
        )

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
        frame = as_frame(data)
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

    @staticmethod
    def _opportunities(t, shape=None) -> np.ndarray:
        """``t`` (future opportunities) checked as whole numbers >= 0, broadcast to ``shape``."""
        t_arr = np.asarray(t, dtype=float)
        if shape is not None:
            t_arr = np.broadcast_to(t_arr, shape)
        if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0) or np.any(t_arr != np.round(t_arr)):
            raise ValueError(
                f"t counts future transaction opportunities: whole numbers >= 0, got {t!r}"
            )
        return t_arr

    def _distinct_histories(self, data):
        """Index, per-customer arrays, and the distinct (x, t_x, n) rows with their log-likelihood."""
        self._require_fit()
        index, arr = self._history(data)
        mat = np.column_stack([arr["frequency"], arr["recency"], arr["n_periods"]])
        uniq, _, inv = unique_rows(mat, return_inverse=True)
        rows = {"frequency": uniq[:, 0], "recency": uniq[:, 1], "n_periods": uniq[:, 2]}
        return index, rows, inv, self._log_lik_history(rows)

    def _log_alive_now(self, x, m, log_l) -> np.ndarray:
        """log P(alive at the last observed opportunity m | history) (eq. 11 with t = 0)."""
        a, b, g, d = self._p()
        return betaln(a + x, b + m - x) - betaln(a, b) + betaln(g, d + m) - betaln(g, d) - log_l

    def _log_expected(self, x, m, log_l, t) -> np.ndarray:
        """log E[X(m, m + t) | history] (eq. 13); arrays broadcast."""
        a, b, g, d = self._p()
        log_p = betaln(a + x + 1, b + m - x) - betaln(a, b)
        with np.errstate(divide="ignore"):
            return log_p + _log_alive_sum(g, d, m, m + t) - log_l

    def _log_alive_at(self, x, m, log_l, t) -> np.ndarray:
        """log P(alive at opportunity m + t | history); arrays broadcast."""
        a, b, g, d = self._p()
        log_num = betaln(a + x, b + m - x) - betaln(a, b) + betaln(g, d + m + t) - betaln(g, d)
        return np.minimum(log_num - log_l, 0.0)

    # ----- predictions -----------------------------------------------------------------------
    def expected_purchases(self, data, *, t) -> pd.Series:
        """Each customer's expected transactions in her next ``t`` opportunities given her history.

        Transactions in opportunities n_periods + 1 .. n_periods + t,
        conditional on (x, t_x, n_periods) (FHS 2010, eq. 13).

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        t : int or array of int
            Number of future transaction opportunities (>= 0); a scalar or one
            value per customer.

        Returns
        -------
        Series
            ``expected_purchases``, indexed like ``data``.
        """
        index, rows, inv, log_l = self._distinct_histories(data)
        t_arr = self._opportunities(t, inv.shape)
        x, m = rows["frequency"][inv], rows["n_periods"][inv]
        val = np.exp(self._log_expected(x, m, log_l[inv], t_arr))
        return pd.Series(val, index=index, name="expected_purchases")

    def expected_purchases_new_customer(self, *, t):
        """Expected transactions in the first ``t`` opportunities of a customer just acquired (eq. 8).

        E[X(t)] = alpha/(alpha+beta) * sum_{s=1}^{t} B(gamma, delta+s)/B(gamma, delta).

        Parameters
        ----------
        t : int or array of int
            Number of opportunities (>= 0).

        Returns
        -------
        float or ndarray
        """
        a, b, g, d = self._p()
        t_arr = self._opportunities(t)
        with np.errstate(divide="ignore"):
            val = a / (a + b) * np.exp(_log_alive_sum(g, d, np.zeros_like(t_arr), t_arr))
        val = np.where(t_arr > 0, val, 0.0)
        return float(val) if val.ndim == 0 else val

    def p_alive(self, data, *, t=0) -> pd.Series:
        """Probability that each customer is alive at opportunity n_periods + t (eq. 11 for t = 1).

        P = B(alpha+x, beta+m-x)/B(alpha,beta) * B(gamma, delta+m+t)/B(gamma,delta) / L,
        with m = n_periods. The default ``t = 0`` is the last observed
        opportunity; ``t = 1`` the next one (she may die at its start).

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        t : int or array of int
            Opportunities after the observation end (>= 0); a scalar or one
            value per customer.

        Returns
        -------
        Series
            ``p_alive``, indexed like ``data``.
        """
        index, rows, inv, log_l = self._distinct_histories(data)
        t_arr = self._opportunities(t, inv.shape)
        x, m = rows["frequency"][inv], rows["n_periods"][inv]
        val = np.exp(self._log_alive_at(x, m, log_l[inv], t_arr))
        return pd.Series(val, index=index, name="p_alive")

    def _grid(self, data, ts, log_values) -> CustomerGrid:
        index, rows, inv, log_l = self._distinct_histories(data)
        ts = np.asarray(ts, dtype=float)
        if ts.ndim != 1 or ts.size == 0:
            raise ValueError(f"ts must be a non-empty 1-d sequence of times, got shape {ts.shape}")
        self._opportunities(ts)
        x, m = rows["frequency"][:, None], rows["n_periods"][:, None]
        values = np.exp(log_values(x, m, log_l[:, None], ts[None, :]))
        return CustomerGrid(index, ts, np.ones(len(inv)), values, inv)

    def expected_purchases_grid(self, data, *, ts) -> CustomerGrid:
        """``expected_purchases(data, t=t)`` for every t in ``ts`` (opportunities), at once.

        Evaluated on the distinct (frequency, recency, n_periods) rows.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        ts : sequence of int
            Numbers of future opportunities (>= 0).

        Returns
        -------
        CustomerGrid
        """
        return self._grid(data, ts, self._log_expected)

    def p_alive_grid(self, data, *, ts) -> CustomerGrid:
        """``p_alive(data, t=t)`` for every t in ``ts`` (opportunities), at once."""
        return self._grid(data, ts, self._log_alive_at)

    def probability_of_purchases(self, data, *, n, t) -> pd.Series:
        """Probability that each customer makes exactly ``n`` transactions in her next ``t`` opportunities.

        P(alive at n_periods | history) x P_new(n, t; alpha + x, beta + m - x,
        gamma, delta + m) + (1 - P(alive at n_periods | history)) x [n = 0]:
        a customer alive at her last opportunity m behaves as a new customer
        with the posterior parameters; one who died transacts no more. (The
        conditional distribution of Fader, Hardie & Shang 2010.)

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        n : int or array of int
            Number of transactions (>= 0); a scalar or one value per customer.
        t : int or array of int
            Number of future opportunities (>= 0); a scalar or one value per customer.

        Returns
        -------
        Series
            ``probability``, indexed like ``data``.
        """
        a, b, g, d = self._p()
        index, rows, inv, log_l = self._distinct_histories(data)
        n_arr = check_counts(n, inv.shape)
        t_arr = self._opportunities(t, inv.shape)
        keys, _, key_inv = unique_rows(np.column_stack([inv, n_arr, t_arr]), return_inverse=True)
        row, kn, kt = keys[:, 0].astype(np.int64), keys[:, 1], keys[:, 2]
        x, m = rows["frequency"][row], rows["n_periods"][row]
        alive = np.exp(self._log_alive_now(x, m, log_l[row]))
        pmf = _bgbb_pmf(kn, kt, a + x, b + m - x, g, d + m)
        out = (alive * pmf + (1.0 - alive) * (kn == 0))[key_inv]
        return pd.Series(out, index=index, name="probability")

    def probability_of_purchases_new_customer(self, *, n, t):
        """P(X(t) = n): probability that a new customer makes n transactions in t opportunities (eq. 7).

        P = C(t,n) B(a+n, b+t-n)/B(a,b) B(g, d+t)/B(g,d)
            + sum_{i=n}^{t-1} C(i,n) B(a+n, b+i-n)/B(a,b) B(g+1, d+i)/B(g,d).

        Parameters
        ----------
        n : int or array of int
            Number of transactions (>= 0).
        t : int or array of int
            Number of opportunities (>= 0), broadcast with ``n``.

        Returns
        -------
        float or ndarray
            0 where n > t.
        """
        a, b, g, d = self._p()
        out = _bgbb_pmf(check_counts(n), self._opportunities(t), a, b, g, d)
        return float(out) if out.ndim == 0 else out

    def dert(self, data, *, annual_discount_rate: float, time_unit: str | None = None) -> pd.Series:
        """Discounted expected residual transactions of each customer (FHS 2010, eq. 14).

        The expected number of future transactions (opportunities n+1, n+2, ...,
        forever), the one at opportunity n+s discounted by (1+d)^-s, with d
        the rate per opportunity equivalent to ``annual_discount_rate``
        (:func:`analysis.units.per_period_rate`; for yearly opportunities d is
        the yearly rate itself):

            DERT = B(a+x+1, b+n-x)/B(a,b) * B(g, d+n+1)/(B(g,d) (1+d))
                   * 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / L.

        Multiply by the value per transaction to get a customer's residual value.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        annual_discount_rate : float
            Yearly effective discount rate (> 0), e.g. 0.10.
        time_unit : str, optional
            The calendar length of one opportunity ("Y", "Q", ...); by default
            the model's ``time_unit``.

        Returns
        -------
        Series
            ``dert``, indexed like ``data``.
        """
        a, b, g, d = self._p()
        r = per_period_rate(annual_discount_rate, self.resolve_time_unit(time_unit))
        if not r > 0:
            raise ValueError(f"annual_discount_rate must be > 0, got {annual_discount_rate!r}")
        index, rows, inv, log_l = self._distinct_histories(data)
        x, m = rows["frequency"], rows["n_periods"]
        log_num = (
            betaln(a + x + 1, b + m - x)
            - betaln(a, b)
            + betaln(g, d + m + 1)
            - betaln(g, d)
            - np.log1p(r)
        )
        h = hyp2f1_one(d + m + 1, g + d + m + 1, 1.0 / (1.0 + r))
        val = np.exp(log_num - log_l) * h
        return pd.Series(val[inv], index=index, name="dert")


def _log_choose(nn, kk):
    return gammaln(nn + 1) - gammaln(kk + 1) - gammaln(nn - kk + 1)


def _bgbb_pmf(n, t, a, b, g, d) -> np.ndarray:
    """P(X(t) = n) of a customer alive at opportunity 0 with parameters (a, b, g, d) (FHS eq. 7).

    All arguments broadcast (the parameters may differ by row: posterior
    parameters). 0 where n > t.
    """
    n, t, a, b, g, d = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (n, t, a, b, g, d))
    )
    shape = n.shape
    n, t, a, b, g, d = (v.ravel() for v in (n, t, a, b, g, d))
    out = np.zeros(n.shape[0])
    ok = n <= t
    if ok.any():
        ns, ts, aa, bb, gg, dd = (v[ok] for v in (n, t, a, b, g, d))
        base = -betaln(aa, bb) - betaln(gg, dd)
        first = _log_choose(ts, ns) + betaln(aa + ns, bb + ts - ns) + betaln(gg, dd + ts) + base
        k_max = int(np.max(ts - ns))
        i = ns[:, None] + np.arange(k_max)[None, :]
        valid = i < ts[:, None]
        i_safe = np.where(valid, i, ns[:, None])
        col = (ns[:, None], aa[:, None], bb[:, None], gg[:, None], dd[:, None], base[:, None])
        nc, ac, bc, gc, dc, basec = col
        rest = (
            _log_choose(i_safe, nc)
            + betaln(ac + nc, bc + i_safe - nc)
            + betaln(gc + 1, dc + i_safe)
            + basec
        )
        rest = np.where(valid, rest, -np.inf)
        out[ok] = np.exp(logsumexp(np.column_stack([first, rest]), axis=1))
    return out.reshape(shape)
