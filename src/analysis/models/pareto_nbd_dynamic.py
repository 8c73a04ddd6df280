"""Pareto/NBD with time-varying covariates (Bachmann, Meierer & Naef 2021, Marketing Science 40(4)).

The model of CLVTools' ``pnbd`` with dynamic covariates. A calendar gives
covariates x(u), piecewise constant on regular periods and the same for every
customer (:mod:`.dynamic_calendar`); customers may also have static
covariates z_i. Customer i, alive, buys at rate lambda_i a(u) and drops out at
rate mu_i b(u), with

    a(u) = exp(g_p' x(u)),  b(u) = exp(g_d' x(u)),
    lambda_i ~ Gamma(r, rate alpha_i),  alpha_i = alpha exp(-h_p' z_i),
    mu_i ~ Gamma(s, rate beta_i),       beta_i = beta exp(-h_d' z_i)

(a static covariate scales the mean rate by exp(h' z), as in the plain models
of :mod:`.covariates`). Time u runs from her first purchase. With
A(t) = int_0^t a, B(t) = int_0^t b and t_1..t_x her repeat purchases,
integrating lambda and mu out of the Poisson-exponential likelihood gives

    L_i = Gamma(r+x)/Gamma(r) alpha_i^r beta_i^s prod_j a(t_j)
          * [ (alpha_i+A(T))^-(r+x) (beta_i+B(T))^-s
              + s int_{t_x}^T (alpha_i+A(tau))^-(r+x) b(tau) (beta_i+B(tau))^-(s+1) dtau ],

the first term alive at T, the second dropout at tau in (t_x, T);
P(alive at T) is the first term's share. prod_j a(t_j) = exp(g_p' S_i) with
S_i the covariates summed over her repeat purchases (``sum:<col>``).

The integral is exact: on a run of periods where x is constant, A and B are
linear (slopes a, b) and, with w = beta_i + B(tau), k = a/b and
d = (alpha_i + A)/k - (beta_i + B) (constant on the run), the integrand is
k^-(r+x) (w + d)^-(r+x) w^-(s+1) dw: the plain Pareto/NBD's integrand, so
each run contributes k^-(r+x) [G(w_0) - G(w_1)] with G(w) = int_w^inf
(v+d)^-(r+x) v^-(s+1) dv = (c)^-(r+s+x) 2F1(...)/(r+s+x), evaluated as the
plain model does (:func:`._special.pnbd_log_j`, accurate to ~1e-14 relative).
With every coefficient zero there is one slope and the sum telescopes to the
plain Pareto/NBD.

Predictions. Given alive at T, lambda ~ Gamma(r+x, alpha_i+A(T)) and
mu ~ Gamma(s, beta_i+B(T)) independently, so the expected purchases in
(T, T+t] are

    P(alive) (r+x)/(alpha_i+A(T)) int_T^{T+t} a(u) ((beta_i+B(T))/(beta_i+B(u)))^s du,

closed form per run: (a/b) Q [1 - (Q/(Q + b h))^(s-1)]/(s-1) times
((beta_i+B(T))/Q)^s, Q = beta_i + B at the run's start, h its length in the
window. The calendar must cover the window (:func:`.extend_calendar`). DERT
is not provided: it needs the covariates' path to infinity.

Fitting maximises the likelihood with BFGS on (log r, log alpha, log s,
log beta, coefficients) from the plain Pareto/NBD's estimates and zero
coefficients, with central-difference gradients, then Newton steps on a
numerical Hessian, whose inverse gives the standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import exprel, gammaln

from ..units import unit_days
from ..validate import DataValidationError
from ._special import log1mexp, pnbd_log_j
from .dynamic_calendar import calendar_runs, dynamic_summary, extend_calendar
from .pareto_nbd import ParetoNBD
from .rows import unique_rows

__all__ = ["ParetoNBDDynamic", "dynamic_summary", "extend_calendar"]  # the calendar helpers too

_NS_PER_DAY = 86_400 * 10**9
_BASE = ("r", "alpha", "s", "beta")


def _log_g(w, wd, m, s):
    """log int_w^inf (v+d)^-m v^-(s+1) dv with wd = w + d > 0 (d of either sign)."""
    k = m + s
    out = np.empty(w.shape)
    pos = wd >= w
    if pos.any():
        w1, wd1, k1 = w[pos], wd[pos], k[pos]
        lj = pnbd_log_j(k1, s[pos] + 1.0, (wd1 - w1) / wd1, np.log(w1 / wd1))[0]
        out[pos] = -k1 * np.log(wd1) + lj
    neg = ~pos
    if neg.any():
        w1, wd1, k1 = w[neg], wd[neg], k[neg]
        lj = pnbd_log_j(k1, m[neg], (w1 - wd1) / w1, np.log(wd1 / w1))[0]
        out[neg] = -k1 * np.log(w1) + lj
    return out


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
    """

    def __init__(
        self,
        calendar,
        calendar_covariates=("high_season",),
        purchase_covariates=(),
        dropout_covariates=(),
        time_unit: str | None = None,
    ):
        self.calendar = calendar
        self.calendar_covariates = list(calendar_covariates)
        self.purchase_covariates = list(purchase_covariates)
        self.dropout_covariates = list(dropout_covariates)
        self.runs = calendar_runs(calendar, self.calendar_covariates)
        self.time_unit = time_unit
        names = list(_BASE)
        names += [f"purchase:{c}" for c in self.calendar_covariates]
        names += [f"dropout:{c}" for c in self.calendar_covariates]
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
        k = len(self.calendar_covariates)
        kp = len(self.purchase_covariates)
        r, alpha, s, beta = np.exp(theta[:4])
        gp, gd = theta[4 : 4 + k], theta[4 + k : 4 + 2 * k]
        hp = theta[4 + 2 * k : 4 + 2 * k + kp]
        hd = theta[4 + 2 * k + kp :]
        return r, alpha, s, beta, gp, gd, hp, hd

    # ----- data -------------------------------------------------------------------------------
    def _unit(self, frame) -> float:
        unit = self.time_unit or frame.attrs.get("time_unit") or "W"
        self.time_unit = unit
        return unit_days(unit)

    def _arrays(self, frame: pd.DataFrame, horizon=None) -> dict:
        """Validated per-customer arrays and their position against the calendar's runs."""
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"data must be a DataFrame, got {type(frame).__name__}")
        sums = [f"sum:{c}" for c in self.calendar_covariates]
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
        days = unit_days(self.time_unit) if self.time_unit else self._unit(frame)
        first = pd.to_datetime(frame["first_purchase"])
        if first.isna().any():
            raise DataValidationError(
                f"column 'first_purchase': missing dates (rows {list(frame.index[first.isna()][:5])})"
            )
        d0 = first.to_numpy().astype("datetime64[ns]").astype(np.int64) / _NS_PER_DAY
        runs = self.runs
        end_t = out["T"] + (0.0 if horizon is None else horizon)
        end_day = d0 + end_t * days
        early = d0 < runs.start_days[0] - 1e-9
        late = end_day > runs.end_days[-1] + 1e-9
        if early.any() or late.any():
            cal0 = pd.Timestamp(runs.start_days[0] * _NS_PER_DAY)
            cal1 = pd.Timestamp(runs.end_days[-1] * _NS_PER_DAY)
            need0 = pd.Timestamp(d0.min() * _NS_PER_DAY)
            need1 = pd.Timestamp(np.ceil(end_day.max()) * _NS_PER_DAY)
            rows = list(frame.index[early | late][:5])
            what = "observation and prediction window" if horizon is not None else "observation"
            raise DataValidationError(
                f"calendar: it covers {cal0:%Y-%m-%d} to {cal1:%Y-%m-%d} but the customers' "
                f"{what} needs {need0:%Y-%m-%d} to {need1:%Y-%m-%d} (customers {rows}); the "
                f"dates missing are {'before ' + f'{cal0:%Y-%m-%d}' if early.any() else ''}"
                f"{' and ' if early.any() and late.any() else ''}"
                f"{'from ' + f'{cal1:%Y-%m-%d} to {need1:%Y-%m-%d}' if late.any() else ''}. "
                "Extend it with analysis.models.extend_calendar(calendar, until=...) or give "
                "the covariates' future values."
            )
        out["d0"] = d0
        out["days"] = days
        return out

    def _geometry(self, d0, lo, hi, days):
        """Length of each run inside [lo, hi] (customer time), shape (n, n_runs)."""
        s = (self.runs.start_days[None, :] - d0[:, None]) / days
        e = (self.runs.end_days[None, :] - d0[:, None]) / days
        return np.clip(np.minimum(e, hi[:, None]) - np.maximum(s, lo[:, None]), 0.0, None)

    def _compressed(self, arr) -> dict:
        cols = ["frequency", "recency", "T", "d0"]
        cols += [f"sum:{c}" for c in self.calendar_covariates]
        cols += self.purchase_covariates + self.dropout_covariates
        mat = np.column_stack([arr[c] for c in cols])
        uniq, counts = unique_rows(mat)
        out = {c: uniq[:, i] for i, c in enumerate(cols)}
        out["weight"] = counts.astype(float)
        out["days"] = arr["days"]
        return self._prepare(out)

    def _prepare(self, arr) -> dict:
        x, tx, T, d0 = arr["frequency"], arr["recency"], arr["T"], arr["d0"]
        zero = np.zeros_like(x)
        arr["pre"] = self._geometry(d0, zero, tx, arr["days"])
        arr["seg"] = self._geometry(d0, tx, T, arr["days"])
        arr["S"] = np.column_stack([arr[f"sum:{c}"] for c in self.calendar_covariates] or [zero])
        arr["S"] = arr["S"][:, : len(self.calendar_covariates)]
        arr["Zp"] = np.column_stack([arr[c] for c in self.purchase_covariates] or [zero])
        arr["Zp"] = arr["Zp"][:, : len(self.purchase_covariates)]
        arr["Zd"] = np.column_stack([arr[c] for c in self.dropout_covariates] or [zero])
        arr["Zd"] = arr["Zd"][:, : len(self.dropout_covariates)]
        return arr

    # ----- likelihood -------------------------------------------------------------------------
    def _pieces(self, theta, arr):
        """Per row: log-likelihood, log P(alive at T), and the posterior pieces for predictions."""
        r, alpha0, s, beta0, gp, gd, hp, hd = self._split(theta)
        X = self.runs.values
        a, b = np.exp(X @ gp), np.exp(X @ gd)
        alpha = alpha0 * np.exp(-(arr["Zp"] @ hp))
        beta = beta0 * np.exp(-(arr["Zd"] @ hd))
        x = arr["frequency"]
        pre, seg = arr["pre"], arr["seg"]
        sa, sb = seg * a, seg * b
        A_tx, B_tx = pre @ a, pre @ b
        A_T, B_T = A_tx + sa.sum(axis=1), B_tx + sb.sum(axis=1)
        m = r + x
        i, j = np.nonzero(seg > 0)
        n = x.shape[0]
        log_int = np.full(n, -np.inf)
        if i.size:
            P = alpha[i] + A_tx[i] + (np.cumsum(sa, axis=1) - sa)[i, j]
            Q = beta[i] + B_tx[i] + (np.cumsum(sb, axis=1) - sb)[i, j]
            aj, bj, h, mi = a[j], b[j], seg[i, j], m[i]
            ratio = bj / aj
            sv = np.full(i.shape, s)
            lg0 = _log_g(Q, P * ratio, mi, sv)
            lg1 = _log_g(Q + bj * h, (P + aj * h) * ratio, mi, sv)
            with np.errstate(divide="ignore"):
                part = mi * np.log(ratio) + lg0 + log1mexp(np.minimum(lg1 - lg0, 0.0))
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
        return {
            "ll": ll,
            "log_p_alive": u1 - tot,
            "alpha": alpha,
            "beta": beta,
            "A_T": A_T,
            "B_T": B_T,
            "a": a,
            "b": b,
        }

    def _total(self, theta, arr) -> float:
        with np.errstate(all="ignore"):
            ll = self._pieces(theta, arr)["ll"]
        value = float(np.dot(arr["weight"], ll))
        return value if np.isfinite(value) else -1e300

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
    def _grad(self, f, theta, step=1e-5):
        g = np.empty_like(theta)
        for k in range(theta.size):
            e = np.zeros_like(theta)
            e[k] = step
            g[k] = (f(theta + e) - f(theta - e)) / (2 * step)
        return g

    def _hessian(self, f, theta, step=1e-4):
        p = theta.size
        H = np.empty((p, p))
        f0 = f(theta)
        for k in range(p):
            ek = np.zeros(p)
            ek[k] = step
            H[k, k] = (f(theta + ek) - 2 * f0 + f(theta - ek)) / step**2
            for j in range(k):
                ej = np.zeros(p)
                ej[j] = step
                H[k, j] = H[j, k] = (
                    f(theta + ek + ej)
                    - f(theta + ek - ej)
                    - f(theta - ek + ej)
                    + f(theta - ek - ej)
                ) / (4 * step**2)
        return H

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
            plain = ParetoNBD().fit(data[["frequency", "recency", "T"]].astype(float))
            start = dict(plain.params)
            start.update({k: 0.0 for k in self.param_names[4:]})
        else:
            start = initial_params
        theta0 = self._theta(start)
        scale = 1.0 / self.n_customers

        def f(th):
            return -self._total(th, arr) * scale

        res = optimize.minimize(
            f,
            theta0,
            jac=lambda th: self._grad(f, th),
            method="BFGS",
            options={"maxiter": maxiter, "gtol": 1e-6},
        )
        theta = res.x
        # Newton steps on the numerical Hessian: the stationary point itself, not where BFGS
        # stopped (so the estimates do not depend on its path); the last Hessian gives the errors
        H = self._hessian(f, theta)
        for _ in range(3):
            step = np.linalg.lstsq(H, self._grad(f, theta), rcond=None)[0]
            if not np.all(np.isfinite(step)) or f(theta - step) > f(theta) + 1e-12:
                break
            theta = theta - step
            if np.max(np.abs(step)) < 1e-7:
                break
            H = self._hessian(f, theta)
        H = H / scale
        self.optimizer = {"iterations": int(res.nit), "evaluations": int(res.nfev)}
        self.params = self._series(theta)
        self.loglik = self._total(theta, arr)
        if not np.isfinite(self.loglik) or self.loglik <= -1e299:
            raise DataValidationError(
                "ParetoNBDDynamic: the log-likelihood is not finite at the end"
            )
        try:
            self._cov = np.linalg.inv(H)
        except np.linalg.LinAlgError:
            self._cov = np.full(H.shape, np.nan)
        self.gradient_norm = float(np.max(np.abs(self._grad(f, theta))))
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
        fl = self._geometry(arr["d0"], T, T + t_arr, arr["days"])
        a, b = pc["a"], pc["b"]
        qT = pc["beta"] + pc["B_T"]
        fb = fl * b
        Q = qT[:, None] + np.cumsum(fb, axis=1) - fb
        L = np.log1p(fb / Q)
        per_run = np.exp(s * np.log(qT[:, None] / Q)) * (a / b) * Q * L * exprel(-(s - 1.0) * L)
        alive = np.exp(pc["log_p_alive"]) * (r + arr["frequency"]) / (pc["alpha"] + pc["A_T"])
        return pd.Series(alive * per_run.sum(axis=1), index=data.index, name="expected_purchases")
