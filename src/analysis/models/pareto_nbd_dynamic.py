"""Pareto/NBD with time-varying covariates (Bachmann, Meierer & Naef 2021, Marketing Science 40(4)).

CLVTools' ``pnbd`` with dynamic covariates x(u), piecewise constant on calendar periods
(:mod:`.dynamic_calendar`, :mod:`.dynamic_paths`), and static ones z_i. Customer i, alive,
buys at rate lambda_i a(u) and drops out at rate mu_i b(u), with

    a(u) = exp(g_p' x(u)),  b(u) = exp(g_d' x(u)),
    lambda_i ~ Gamma(r, rate alpha_i),  alpha_i = alpha exp(-h_p' z_i),
    mu_i ~ Gamma(s, rate beta_i),       beta_i = beta exp(-h_d' z_i)

(as in :mod:`.covariates`). Time u runs from her first purchase. With
A(t) = int_0^t a, B(t) = int_0^t b and t_1..t_x her repeat purchases,
integrating lambda and mu out of the Poisson-exponential likelihood gives

    L_i = Gamma(r+x)/Gamma(r) alpha_i^r beta_i^s prod_j a(t_j) [ (alpha_i+A(T))^-(r+x)
          (beta_i+B(T))^-s + s int_{t_x}^T (alpha_i+A)^-(r+x) b (beta_i+B)^-(s+1) dtau ],

alive at T or dropped out at tau; P(alive at T) is the first term's share;
prod_j a(t_j) = exp(g_p' S_i), S_i the covariates summed at her repeat purchases (``sum:<col>``).

The integral is exact: on a run of periods where x is constant, A and B are
linear and the integrand is the plain Pareto/NBD's, so each run contributes a
difference of two Gauss hypergeometric tail integrals (:func:`.dynamic_tail.log_g`;
derivation in docs/covariates_time_varying.md). With every coefficient zero
the sum telescopes to the plain Pareto/NBD.

Covariates that differ by customer (``paths``, :mod:`.dynamic_paths`) cut
the time axis at every period where the calendar or any customer's path
changes; each customer's x(u) on those runs is the calendar's and her own.

Predictions: expected purchases in (T, T+t] in closed form per run, given the
covariates over the window (:func:`.extend_calendar`, :func:`.extend_paths`);
DERT is not provided (it needs the covariates' path to infinity). Fitting:
BFGS with the analytic gradient, then Newton steps on a Hessian from central
differences of it, whose inverse gives the standard errors. Formulas and
checks: docs/covariates_time_varying.md.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import digamma, exprel, gammaln

from ..units import unit_days
from ..validate import DataValidationError
from ._special import log1mexp
from .convergence import ConvergenceError, DegenerateDataError
from .dynamic_calendar import (
    calendar_runs,
    check_coverage,
    dynamic_summary,
    extend_calendar,
    run_overlap,
)
from .dynamic_paths import extend_paths, path_grid, path_values
from .dynamic_tail import log_g
from .pareto_nbd import ParetoNBD
from .rows import unique_rows

__all__ = [
    "ParetoNBDDynamic",
    "dynamic_summary",
    "extend_calendar",
    "extend_paths",
]  # the calendar helpers too

_NS_PER_DAY = 86_400 * 10**9
_BASE = ("r", "alpha", "s", "beta")


class ParetoNBDDynamic:
    """Pareto/NBD with calendar (time-varying) and static customer covariates.

    Parameters
    ----------
    calendar : DataFrame
        Period starts as a ``DatetimeIndex`` and the covariate columns
        (:func:`.check_calendar`).
    calendar_covariates : sequence of str
        Calendar columns; each acts on purchase and dropout with separate
        coefficients ``purchase:<col>`` and ``dropout:<col>``.
    purchase_covariates, dropout_covariates : sequence of str
        Static customer columns of the data frame, on the purchase rate
        (``purchase:<col>``) and on the dropout rate (``dropout:<col>``).
    time_unit : str, optional
        Unit of ``recency`` and ``T``; by default the frame's ``attrs``, else weeks.
    paths, path_covariates, path_fill, customer_id_col, period_col
        Covariates that differ by customer (:mod:`.dynamic_paths`): one row per
        (customer, period start of the calendar) with the ``path_covariates``
        columns, coefficients named as the calendar's; ``path_fill`` fills a
        missing (customer, period), else a gap in her window raises.
    """

    def __init__(
        self,
        calendar,
        calendar_covariates=("high_season",),
        purchase_covariates=(),
        dropout_covariates=(),
        time_unit: str | None = None,
        *,
        paths=None,
        path_covariates=(),
        path_fill: float | None = None,
        customer_id_col: str = "customer_id",
        period_col: str = "period_start",
    ):
        self.calendar = calendar
        self.calendar_covariates = list(calendar_covariates)
        self.purchase_covariates = list(purchase_covariates)
        self.dropout_covariates = list(dropout_covariates)
        self.path_covariates = list(path_covariates)
        self._tv = self.calendar_covariates + self.path_covariates  # the time-varying ones
        self._grid = None
        if self.path_covariates:
            self._grid = path_grid(
                calendar, self.calendar_covariates, paths, self.path_covariates,
                customer_id_col=customer_id_col, period_col=period_col, fill=path_fill,
            )  # fmt: skip
            self.runs = self._grid.runs
        else:
            self.runs = calendar_runs(calendar, self.calendar_covariates)
        self.time_unit = time_unit
        names = list(_BASE)
        names += [f"purchase:{c}" for c in self._tv]
        names += [f"dropout:{c}" for c in self._tv]
        names += [f"purchase:{c}" for c in self.purchase_covariates]
        names += [f"dropout:{c}" for c in self.dropout_covariates]
        if len(set(names)) != len(names):
            raise ValueError(f"a covariate is named twice: {names}")
        self.param_names = tuple(names)
        self.params: pd.Series | None = None
        self.loglik: float | None = None
        self.n_customers = 0
        self._cov: np.ndarray | None = None

    # ----- parameters ------------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        """Number of estimated parameters."""
        return len(self.param_names)

    @property
    def aic(self) -> float:
        """Akaike information criterion, 2 k - 2 log L."""
        return 2.0 * self.n_params - 2.0 * float(self.loglik)

    def _theta(self, params) -> np.ndarray:
        p = pd.Series(params, dtype=float).reindex(list(self.param_names))
        if p.isna().any():
            raise ValueError(f"params lacks {list(p.index[p.isna()])}")
        v = p.to_numpy(dtype=float)
        if not np.all(v[:4] > 0):
            raise ValueError("r, alpha, s and beta must be positive")
        return np.r_[np.log(v[:4]), v[4:]]

    def with_params(self, params) -> ParetoNBDDynamic:
        """This model with given parameter values, without fitting (a mapping by name).

        Returns
        -------
        ParetoNBDDynamic
            ``self``, with ``params`` set.
        """
        theta = self._theta(params)
        self.params = self._series(theta)
        return self

    def _series(self, theta) -> pd.Series:
        v = np.r_[np.exp(theta[:4]), theta[4:]]
        return pd.Series(v, index=list(self.param_names), name="estimate")

    def _split(self, theta):
        k = len(self._tv)
        kp = len(self.purchase_covariates)
        r, alpha, s, beta = np.exp(theta[:4])
        gp, gd = theta[4 : 4 + k], theta[4 + k : 4 + 2 * k]
        hp = theta[4 + 2 * k : 4 + 2 * k + kp]
        hd = theta[4 + 2 * k + kp :]
        return r, alpha, s, beta, gp, gd, hp, hd

    # ----- data -------------------------------------------------------------------------------
    def _arrays(self, frame: pd.DataFrame, horizon=None) -> dict:
        """Validated per-customer arrays and their position against the calendar's runs."""
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"data must be a DataFrame, got {type(frame).__name__}")
        sums = [f"sum:{c}" for c in self._tv]
        needed = ["frequency", "recency", "T", "first_purchase", *sums]
        needed += self.purchase_covariates + self.dropout_covariates
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"ParetoNBDDynamic needs column(s) {missing}; columns found: "
                f"{list(frame.columns)}. Build the frame with analysis.models.dynamic_summary."
            )
        if len(frame) == 0:
            raise DataValidationError("ParetoNBDDynamic: no rows")
        out = {}
        for col in needed:
            if col == "first_purchase":
                continue
            v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(v)
            if col in ("frequency", "recency", "T"):
                bad |= v < 0
            if bad.any():
                raise DataValidationError(
                    f"column {col!r}: {int(bad.sum())} missing, non-numeric or negative value(s) "
                    f"(rows {list(frame.index[bad][:5])})."
                )
            out[col] = v
        late = out["recency"] > out["T"] * (1 + 1e-12)
        if late.any():
            raise DataValidationError(
                f"recency exceeds T in rows {list(frame.index[late][:5])}; rebuild the summary."
            )
        self.time_unit = self.time_unit or frame.attrs.get("time_unit") or "W"
        days = unit_days(self.time_unit)
        first = pd.to_datetime(frame["first_purchase"])
        if first.isna().any():
            raise DataValidationError(
                f"column 'first_purchase': missing dates (rows {list(frame.index[first.isna()][:5])})"
            )
        d0 = first.to_numpy().astype("datetime64[ns]").astype(np.int64) / _NS_PER_DAY
        runs = self.runs
        end_t = out["T"] + (0.0 if horizon is None else horizon)
        end_day = d0 + end_t * days
        check_coverage(runs, d0, end_day, frame.index, prediction=horizon is not None)
        out["d0"] = d0
        out["days"] = days
        X = runs.values[None]  # (1 or n, n_runs, n_time_varying): shared, else each her own
        if self._grid is not None:
            own = path_values(
                self._grid, frame.index, d0, end_t, days, prediction=horizon is not None
            )
            X = np.concatenate([np.broadcast_to(X, own.shape[:2] + X.shape[2:]), own], axis=2)
        out["X"] = X
        return out

    def _compressed(self, arr) -> dict:
        cols = ["frequency", "recency", "T", "d0"]
        cols += [f"sum:{c}" for c in self._tv]
        cols += self.purchase_covariates + self.dropout_covariates
        mat = np.column_stack([arr[c] for c in cols])
        X = arr["X"]
        if X.shape[0] > 1:  # customers with the same path share a row only then
            path_id = unique_rows(X.reshape(X.shape[0], -1), return_inverse=True)[2]
            mat = np.column_stack([mat, path_id])
        uniq, counts, inverse = unique_rows(mat, return_inverse=True)
        out = {c: uniq[:, i] for i, c in enumerate(cols)}
        out["weight"] = counts.astype(float)
        out["days"] = arr["days"]
        if X.shape[0] > 1:
            first = np.empty(counts.size, dtype=np.int64)
            first[inverse[::-1]] = np.arange(inverse.size)[::-1]
            X = X[first]
        out["X"] = X
        return self._prepare(out)

    def _prepare(self, arr) -> dict:
        x, tx, T, d0 = arr["frequency"], arr["recency"], arr["T"], arr["d0"]
        zero = np.zeros_like(x)
        arr["pre"] = run_overlap(self.runs, d0, zero, tx, arr["days"])
        arr["seg"] = run_overlap(self.runs, d0, tx, T, arr["days"])
        arr["S"] = np.column_stack([arr[f"sum:{c}"] for c in self._tv] or [zero])
        arr["S"] = arr["S"][:, : len(self._tv)]
        arr["Zp"] = np.column_stack([arr[c] for c in self.purchase_covariates] or [zero])
        arr["Zp"] = arr["Zp"][:, : len(self.purchase_covariates)]
        arr["Zd"] = np.column_stack([arr[c] for c in self.dropout_covariates] or [zero])
        arr["Zd"] = arr["Zd"][:, : len(self.dropout_covariates)]
        return arr

    # ----- likelihood -------------------------------------------------------------------------
    def _pieces(self, theta, arr, grad: bool = False):
        """Per row: log-likelihood, log P(alive at T), the posterior pieces for predictions and,
        with ``grad``, the log-likelihood's gradient in theta (log r, log alpha, log s, log beta,
        coefficients), shape (n_rows, n_params)."""
        r, alpha0, s, beta0, gp, gd, hp, hd = self._split(theta)
        X = arr["X"]  # (1 or n, n_runs, k)
        a, b = np.exp(X @ gp), np.exp(X @ gd)  # (1 or n, n_runs)
        Zp, Zd = arr["Zp"], arr["Zd"]
        alpha = alpha0 * np.exp(-(Zp @ hp))
        beta = beta0 * np.exp(-(Zd @ hd))
        x = arr["frequency"]
        pre, seg = arr["pre"], arr["seg"]
        sa, sb = seg * a, seg * b
        A_tx, B_tx = (pre * a).sum(axis=1), (pre * b).sum(axis=1)
        A_T, B_T = A_tx + sa.sum(axis=1), B_tx + sb.sum(axis=1)
        m = r + x
        i, j = np.nonzero(seg > 0)
        n = x.shape[0]
        log_int = np.full(n, -np.inf)
        if i.size:
            P = alpha[i] + A_tx[i] + (np.cumsum(sa, axis=1) - sa)[i, j]
            Q = beta[i] + B_tx[i] + (np.cumsum(sb, axis=1) - sb)[i, j]
            a_n, b_n = np.broadcast_to(a, seg.shape), np.broadcast_to(b, seg.shape)
            aj, bj, h, mi = a_n[i, j], b_n[i, j], seg[i, j], m[i]
            ratio = bj / aj
            sv = np.full(i.shape, s)
            g0 = log_g(Q, P * ratio, mi, sv)
            g1 = log_g(Q + bj * h, P * ratio + bj * h, mi, sv)
            diff = np.minimum(g1[0] - g0[0], 0.0)
            with np.errstate(divide="ignore"):
                part = mi * np.log(ratio) + g0[0] + log1mexp(diff)
            top = np.full(n, -np.inf)
            np.maximum.at(top, i, part)
            acc = np.zeros(n)
            np.add.at(acc, i, np.exp(part - top[i]))
            with np.errstate(divide="ignore"):
                log_int = np.where(acc > 0, top + np.log(acc), -np.inf)
        u1 = -m * np.log(alpha + A_T) - s * np.log(beta + B_T)
        u2 = np.log(s) + log_int
        tot = np.logaddexp(u1, u2)
        ll = gammaln(m) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + arr["S"] @ gp + tot
        out = dict(ll=ll, log_p_alive=u1 - tot, alpha=alpha, beta=beta, A_T=A_T, B_T=B_T, a=a, b=b)
        if not grad:
            return out
        k = len(self._tv)
        kp = len(self.purchase_covariates)
        X_n = np.broadcast_to(X, seg.shape + X.shape[2:])
        ix = {
            "gp": slice(4, 4 + k),
            "gd": slice(4 + k, 4 + 2 * k),
            "hp": slice(4 + 2 * k, 4 + 2 * k + kp),
            "hd": slice(4 + 2 * k + kp, None),
        }
        g = np.zeros((n, theta.size))
        # the terms outside the bracket
        g[:, 0] = r * (digamma(m) - digamma(r) + np.log(alpha))
        g[:, 1] = r
        g[:, 2] = s * np.log(beta)
        g[:, 3] = s
        g[:, ix["gp"]] = arr["S"]
        g[:, ix["hp"]] = -r * Zp
        g[:, ix["hd"]] = -s * Zd
        w1 = np.exp(u1 - tot)
        w2 = np.exp(u2 - tot)
        # alive term u1
        full = pre + seg
        da = -m / (alpha + A_T)
        db = -s / (beta + B_T)
        g[:, 0] += w1 * r * -np.log(alpha + A_T)
        g[:, 1] += w1 * da * alpha
        g[:, ix["hp"]] += (w1 * da * -alpha)[:, None] * Zp
        g[:, ix["gp"]] += (w1 * da)[:, None] * np.einsum("nr,nrk->nk", full * a, X_n)
        g[:, 2] += w1 * s * -np.log(beta + B_T)
        g[:, 3] += w1 * db * beta
        g[:, ix["hd"]] += (w1 * db * -beta)[:, None] * Zd
        g[:, ix["gd"]] += (w1 * db)[:, None] * np.einsum("nr,nrk->nk", full * b, X_n)
        # dropout term u2 = log s + log sum_j exp(part_j)
        g[:, 2] += w2
        if i.size:
            q = np.exp(diff)
            with np.errstate(divide="ignore", invalid="ignore"):
                c0 = 1.0 / -np.expm1(diff)
                c1 = -q * c0
            coef_p = ratio * (c0 * g0[2] + c1 * g1[2])
            coef_q = c0 * g0[1] + c1 * g1[1]
            coef_lr = mi + P * coef_p
            coef_b = h * c1 * (g1[1] + g1[2])
            coef_m = np.log(ratio) + c0 * g0[3] + c1 * g1[3]
            coef_s = c0 * g0[4] + c1 * g1[4]
            # integrated multipliers' derivatives at each segment's start
            aX = a[:, :, None] * X_n
            bX = b[:, :, None] * X_n
            sA = seg[:, :, None] * aX
            sB = seg[:, :, None] * bX
            VA = np.einsum("nr,nrk->nk", pre, aX)[i] + (np.cumsum(sA, axis=1) - sA)[i, j]
            VB = np.einsum("nr,nrk->nk", pre, bX)[i] + (np.cumsum(sB, axis=1) - sB)[i, j]
            Xj = X_n[i, j]
            gs = np.zeros((i.size, theta.size))
            gs[:, 0] = coef_m * r
            gs[:, 1] = coef_p * alpha[i]
            gs[:, 2] = coef_s * s
            gs[:, 3] = coef_q * beta[i]
            gs[:, ix["gp"]] = coef_p[:, None] * VA - coef_lr[:, None] * Xj
            gs[:, ix["gd"]] = (
                coef_q[:, None] * VB + coef_lr[:, None] * Xj + (coef_b * bj)[:, None] * Xj
            )
            gs[:, ix["hp"]] = (coef_p * -alpha[i])[:, None] * Zp[i]
            gs[:, ix["hd"]] = (coef_q * -beta[i])[:, None] * Zd[i]
            weight = np.exp(part - log_int[i]) * w2[i]
            ok = np.isfinite(weight) & (weight > 0)
            gs = np.where(ok[:, None] & np.isfinite(gs), gs, 0.0)
            np.add.at(g, i, weight[:, None] * gs)
        out["grad"] = g
        return out

    def _total_grad(self, theta, arr) -> tuple[float, np.ndarray]:
        n = arr["weight"].size
        # blocks of rows keep the (rows, runs, covariates) arrays of the gradient near 16 MB
        size = max(64, 2_000_000 // max(1, arr["seg"].shape[1] * max(1, len(self._tv))))
        value, grad = 0.0, np.zeros_like(theta)
        for lo in range(0, n, size):
            part = {
                k: v[lo : lo + size] if isinstance(v, np.ndarray) and v.shape[0] == n else v
                for k, v in arr.items()
            }
            with np.errstate(all="ignore"):
                pc = self._pieces(theta, part, grad=True)
            w = part["weight"]
            value += float(np.dot(w, pc["ll"]))
            grad = grad + w @ pc["grad"]
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return -1e300, np.zeros_like(theta)
        return value, grad

    def loglik_per_customer(self, data) -> pd.Series:
        """Each customer's log-likelihood at the current ``params``.

        Parameters
        ----------
        data : DataFrame
            :func:`.dynamic_summary` output (with the static covariate columns).

        Returns
        -------
        Series
            ``loglik``, indexed like ``data``.
        """
        arr = self._prepare(self._arrays(data))
        ll = self._pieces(self._theta(self._require()), arr)["ll"]
        return pd.Series(ll, index=data.index, name="loglik")

    # ----- fitting ----------------------------------------------------------------------------
    @staticmethod
    def _hessian(grad, theta, step=1e-5):
        """Central differences of the analytic gradient, symmetrised."""
        p = theta.size
        H = np.empty((p, p))
        for k in range(p):
            e = np.zeros(p)
            e[k] = step
            H[k] = (grad(theta + e) - grad(theta - e)) / (2 * step)
        return (H + H.T) / 2

    def fit(self, data, initial_params=None, maxiter: int = 500):
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        data : DataFrame
            :func:`.dynamic_summary` output, with the static covariate columns.
        initial_params : mapping, optional
            Starting values by name; by default the plain Pareto/NBD's
            estimates and zero coefficients.
        maxiter : int
            Iteration limit of BFGS.

        Returns
        -------
        self
        """
        arr = self._compressed(self._arrays(data))
        self.n_customers = int(round(arr["weight"].sum()))
        if initial_params is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a boundary plain fit is still a start
                    start = dict(ParetoNBD().fit(data[["frequency", "recency", "T"]]).params)
            except (ConvergenceError, DegenerateDataError):
                start = {"r": 1.0, "alpha": float(np.mean(arr["T"])), "s": 1.0, "beta": 1.0}
                start["beta"] = start["alpha"]
            start.update({k: 0.0 for k in self.param_names[4:]})
        else:
            start = initial_params
        theta0 = self._theta(start)
        scale = 1.0 / self.n_customers

        def fg(th):
            value, grad = self._total_grad(th, arr)
            return -value * scale, -grad * scale

        def f(th):
            return fg(th)[0]

        def g(th):
            return fg(th)[1]

        res = optimize.minimize(
            fg, theta0, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-8}
        )
        theta = res.x
        # Newton steps with the numerical Hessian at BFGS's end (it barely changes over steps this
        # small): the stationary point itself, not where BFGS stopped, so the estimates do not
        # depend on its path; the Hessian then gives the standard errors
        H = self._hessian(g, theta)
        for _ in range(4):
            step = np.linalg.lstsq(H, g(theta), rcond=None)[0]
            if not np.all(np.isfinite(step)) or f(theta - step) > f(theta) + 1e-12:
                break
            theta = theta - step
            if np.max(np.abs(step)) < 1e-9:
                break
        H = H / scale
        self.optimizer = {"iterations": int(res.nit), "evaluations": int(res.nfev)}
        self.params = self._series(theta)
        self.loglik = self._total_grad(theta, arr)[0]
        if not np.isfinite(self.loglik) or self.loglik <= -1e299:
            raise DataValidationError(
                "ParetoNBDDynamic: the log-likelihood is not finite at the end"
            )
        try:
            self._cov = np.linalg.inv(H)
        except np.linalg.LinAlgError:
            self._cov = np.full(H.shape, np.nan)
        self.gradient_norm = float(np.max(np.abs(g(theta))))
        return self

    def _require(self) -> pd.Series:
        if self.params is None:
            raise RuntimeError("ParetoNBDDynamic: fit the model (or call with_params) first")
        return self.params

    @property
    def standard_errors(self) -> pd.Series:
        """Standard errors from the observed information (delta method for r, alpha, s, beta)."""
        self._require()
        if self._cov is None:
            return pd.Series(np.nan, index=list(self.param_names), name="std_err")
        se = np.sqrt(np.clip(np.diag(self._cov), 0, None))
        se[:4] *= self.params.to_numpy()[:4]
        return pd.Series(se, index=list(self.param_names), name="std_err")

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals; coefficients also as rate ratios.

        Returns
        -------
        DataFrame
            ``estimate``, ``std_err``, ``lower_95``, ``upper_95`` (log-scale
            intervals for the positive parameters) and ``rate_ratio``
            (exp(coefficient); NaN for r, alpha, s, beta).
        """
        est = self._require()
        se = self.standard_errors
        z = 1.959963984540054
        lo, hi = est - z * se, est + z * se
        pos = est.index.isin(_BASE)
        rel = se[pos] / est[pos]
        lo[pos] = est[pos] * np.exp(-z * rel)
        hi[pos] = est[pos] * np.exp(z * rel)
        ratio = np.where(pos, np.nan, np.exp(est.where(~pos, 0.0)))
        return pd.DataFrame(
            {"estimate": est, "std_err": se, "lower_95": lo, "upper_95": hi, "rate_ratio": ratio}
        )

    # ----- predictions ------------------------------------------------------------------------
    def p_alive(self, data) -> pd.Series:
        """P(alive at T | history, calendar) per customer.

        Returns
        -------
        Series
            ``p_alive``, indexed like ``data``.
        """
        arr = self._prepare(self._arrays(data))
        out = np.exp(self._pieces(self._theta(self._require()), arr)["log_p_alive"])
        return pd.Series(out, index=data.index, name="p_alive")

    def expected_purchases(self, data, *, t) -> pd.Series:
        """Expected purchases in (T, T + t] per customer, under the calendar's covariates.

        Parameters
        ----------
        data : DataFrame
            :func:`.dynamic_summary` output.
        t : float or array
            Window length in the time unit (>= 0); the calendar must cover
            each customer's window (:func:`.extend_calendar` repeats last year).

        Returns
        -------
        Series
            ``expected_purchases``, indexed like ``data``.
        """
        theta = self._theta(self._require())
        t_arr = np.broadcast_to(np.asarray(t, dtype=float), (len(data),)).copy()
        if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise ValueError(f"t must be >= 0, got {t!r}")
        arr = self._prepare(self._arrays(data, horizon=t_arr))
        pc = self._pieces(theta, arr)
        r, _, s, _ = np.exp(theta[:4])
        T = arr["T"]
        fl = run_overlap(self.runs, arr["d0"], T, T + t_arr, arr["days"])
        a, b = pc["a"], pc["b"]
        qT = pc["beta"] + pc["B_T"]
        fb = fl * b
        Q = qT[:, None] + np.cumsum(fb, axis=1) - fb
        L = np.log1p(fb / Q)
        per_run = np.exp(s * np.log(qT[:, None] / Q)) * (a / b) * Q * L * exprel(-(s - 1.0) * L)
        alive = np.exp(pc["log_p_alive"]) * (r + arr["frequency"]) / (pc["alpha"] + pc["A_T"])
        return pd.Series(alive * per_run.sum(axis=1), index=data.index, name="expected_purchases")
