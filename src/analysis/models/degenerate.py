"""Degenerate data and boundary fits, judged from the data rather than from the optimiser's path.

Two kinds of trouble look alike at the optimiser's end (a parameter running
towards 0 or infinity), but call for different words:

- **Data that cannot identify the model**, visible before any fit: no repeat
  purchase at all, nobody churned, the same mean spend for everyone. The
  functions ``*_degenerate`` return what is missing (the model then raises
  :class:`analysis.models.base.DegenerateDataError`).
- **A legitimate boundary optimum**: the data identify a simpler model that
  is a limit of the full one. A BG/NBD or Pareto/NBD fit whose likelihood is
  no better than the NBD's (Poisson purchases with gamma heterogeneity, no
  dropout) has found "no dropout": P(alive) is 1 for everyone. BG/BB
  likewise reduces to the beta-binomial. The functions here fit the reduced
  model (a well-conditioned two-parameter problem) and compare the
  log-likelihoods, so the verdict does not depend on how far towards the
  bound the full model's optimiser happened to walk.

The NBD is fitted on the distinct (x, T) rows with its analytic gradient
(:class:`NBDRows`): about 10 ms of CPU on the benchmark's million customers
(3,676 distinct rows), 2-3% of a BG/NBD fit, so it runs after every count
fit. A cheaper test of "near the boundary" would have to bound the NBD's
maximum without fitting it; the NBD at the full fit's own purchase
parameters does not (MBG/NBD on the corpus log few_repeaters: 4,624
log-likelihood points below the full fit there, 12.7 below the NBD's maximum).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats
from scipy.special import betaln, digamma, gammaln

from .rows import unique_rows, weighted_total

__all__ = [
    "NO_GAIN",
    "NBDRows",
    "nbd_max_loglik",
    "beta_binomial_max_loglik",
    "count_data_degenerate",
    "bgbb_data_degenerate",
    "spend_data_degenerate",
    "churn_data_degenerate",
    "reduces_to",
    "judge_boundary",
]

#: the full model "gains nothing" over its limit when its log-likelihood is higher by less than this
NO_GAIN = 0.05


def _maximise(neg_loglik, start) -> float:
    """The maximum of a two-parameter log-likelihood over positive parameters (log scale)."""

    def fun(z):
        with np.errstate(all="ignore"):
            value = neg_loglik(np.exp(z))
        return value if np.isfinite(value) else 1e300

    best = np.inf
    for x0 in (np.log(start), np.zeros(len(start))):
        res = optimize.minimize(fun, x0, method="L-BFGS-B", bounds=[(-25.0, 25.0)] * len(start))
        best = min(best, float(res.fun))
    return -best


class NBDRows:
    """The data of the NBD (no dropout) limit: distinct (x, T) rows with summed weights.

    The NBD likelihood depends on a customer only through (x, T), so the
    count models' compressed (x, t_x, T) rows compress further: the
    benchmark's million customers have a few thousand distinct (x, T).
    """

    def __init__(self, frequency, T, weight):
        mat = np.column_stack([np.asarray(frequency, dtype=float), np.asarray(T, dtype=float)])
        uniq, _, inverse = unique_rows(mat, return_inverse=True)
        self.weight = np.bincount(inverse, weights=np.asarray(weight, dtype=float))
        self.x = uniq[:, 0]
        self.T = uniq[:, 1]
        self.x_unique, self.x_index = np.unique(self.x, return_inverse=True)
        self.total = float(self.weight.sum())

    def loglik(self, r: float, alpha: float, gradient: bool = False):
        """Sum of w [ln Gamma(r+x) - ln Gamma(r) + r ln alpha - (r+x) ln(alpha+T)], with the gradient if asked."""
        w, x, T, xi = self.weight, self.x, self.T, self.x_index
        ux = self.x_unique
        log_at = np.log(alpha + T)
        rx = r + x
        ll = (gammaln(r + ux) - gammaln(r))[xi] + r * np.log(alpha) - rx * log_at
        total = weighted_total(w, ll)
        if not gradient:
            return total
        d_r = weighted_total(w, (digamma(r + ux) - digamma(r))[xi] + np.log(alpha) - log_at)
        d_alpha = self.total * r / alpha - weighted_total(w, rx / (alpha + T))
        return total, np.array([d_r, d_alpha])

    def max_loglik(self, starts=()) -> float:
        """The NBD's maximum log-likelihood, from each start (r, alpha) and two default ones.

        L-BFGS-B on (log r, log alpha) within +-25 with the analytic gradient,
        per customer (gradients of order one); the best end wins.
        """
        rate = float(
            weighted_total(self.weight, self.x) / max(weighted_total(self.weight, self.T), 1e-300)
        )
        scale = 1.0 / max(self.total, 1.0)

        def fun(z):
            r, alpha = np.exp(z)
            with np.errstate(all="ignore"):
                value, grad = self.loglik(r, alpha, gradient=True)
            if not (np.isfinite(value) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros(2)
            return -value * scale, -grad * np.array([r, alpha]) * scale

        best = -np.inf
        candidates = [np.log(s) for s in starts] + [
            np.log([1.0, 1.0 / max(rate, 1e-6)]),
            np.zeros(2),
        ]
        for x0 in candidates:
            x0 = np.clip(x0, -25.0, 25.0)
            res = optimize.minimize(
                fun,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-25.0, 25.0)] * 2,
                options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500},
            )
            r, alpha = np.exp(res.x)
            with np.errstate(all="ignore"):
                value = self.loglik(r, alpha)
            if np.isfinite(value):
                best = max(best, value)
        return float(best)


def nbd_max_loglik(frequency, T, weight, start=None, covariates=None) -> float:
    """Maximum log-likelihood of the NBD (no dropout) for repeat purchases ``frequency`` over ``T``.

    Per customer, Gamma(r + x) / Gamma(r) * alpha^r / (alpha + T)^(r + x):
    the BG/NBD and Pareto/NBD likelihoods in the limit where nobody drops
    out (the same constant-free form, so the log-likelihoods compare).
    Computed on the distinct (x, T) rows (:class:`NBDRows`) with the
    analytic gradient; ``start`` (r, alpha), e.g. the full model's purchase
    parameters, is tried besides the default starts.

    With ``covariates`` (customers x k, the purchase covariates) the NBD has
    alpha_i = alpha exp(-g' z_i), the limit of the count models with those
    purchase covariates (their dropout covariates vanish with the dropout);
    ``start`` is then (r, alpha, g_1, ..., g_k).
    """
    if covariates is not None and np.size(covariates):
        return _nbd_covariates_max_loglik(frequency, T, weight, covariates, start)
    rows = NBDRows(frequency, T, weight)
    return rows.max_loglik(() if start is None else (np.asarray(start, dtype=float)[:2],))


def _nbd_covariates_max_loglik(frequency, T, weight, covariates, start) -> float:
    """The NBD with alpha_i = alpha exp(-g' z_i), maximised on the distinct (x, T, z) rows.

    Searched as the count models' coefficients (:mod:`.coordinates`): log r,
    the log scale of a customer with the mean covariates, and each g in units
    of its covariate's spread, with |g| max|z - mean| <= 25.
    """
    z = np.asarray(covariates, dtype=float).reshape(len(np.asarray(T)), -1)
    mat = np.column_stack([np.asarray(frequency, dtype=float), np.asarray(T, dtype=float), z])
    uniq, _, inverse = unique_rows(mat, return_inverse=True)
    w = np.bincount(inverse, weights=np.asarray(weight, dtype=float))
    x, t, z = uniq[:, 0], uniq[:, 1], uniq[:, 2:]
    center = np.average(z, axis=0, weights=w)
    spread = np.sqrt(np.average((z - center) ** 2, axis=0, weights=w))
    zc = (z - center) / np.where(spread > 0, spread, 1.0)
    reach = np.max(np.abs(zc), axis=0)
    ux, xi = np.unique(x, return_inverse=True)
    log_t = np.log(t)
    scale = 1.0 / max(float(w.sum()), 1.0)

    def loglik(u, gradient=True):
        r = np.exp(u[0])
        log_a = u[1] - zc @ u[2:]  # log alpha_i
        log_at = np.logaddexp(log_a, log_t)  # log(alpha_i + T)
        ll = (gammaln(r + ux) - gammaln(r))[xi] + r * log_a - (r + x) * log_at
        if not gradient:
            return weighted_total(w, ll)
        d_r = (digamma(r + ux) - digamma(r))[xi] + log_a - log_at
        d_log_a = r - (r + x) * np.exp(log_a - log_at)
        grad = np.concatenate(
            [[r * weighted_total(w, d_r), weighted_total(w, d_log_a)], -(zc.T @ (w * d_log_a))]
        )
        return weighted_total(w, ll), grad

    def fun(u):
        with np.errstate(all="ignore"):
            value, grad = loglik(u)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(u)
        return -value * scale, -grad * scale

    k = z.shape[1]
    rate = float(weighted_total(w, x) / max(weighted_total(w, t), 1e-300))
    starts = [np.r_[0.0, -np.log(max(rate, 1e-6)), np.zeros(k)], np.zeros(k + 2)]
    if start is not None:
        r0, a0, *g0 = np.asarray(start, dtype=float)
        g0 = np.asarray(g0, dtype=float)
        starts.insert(0, np.r_[np.log(r0), np.log(a0) - g0 @ center, g0 * spread])
    bounds = [(-25.0, 25.0)] * 2 + [(-25.0 / b, 25.0 / b) for b in np.where(reach > 0, reach, 1.0)]
    best = -np.inf
    for u0 in starts:
        u0 = np.clip(u0, [lo for lo, _ in bounds], [hi for _, hi in bounds])
        res = optimize.minimize(
            fun,
            u0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000},
        )
        with np.errstate(all="ignore"):
            value = loglik(res.x, gradient=False)
        if np.isfinite(value):
            best = max(best, float(value))
    return best


def beta_binomial_max_loglik(frequency, n_periods, weight) -> float:
    """Maximum log-likelihood of the beta-binomial: BG/BB in the limit of no dropout.

    Per customer B(alpha + x, beta + n - x) / B(alpha, beta), the BG/BB
    likelihood when every customer stays alive through all n opportunities
    (the binomial coefficient is absent there too).
    """
    x = np.asarray(frequency, dtype=float)
    n = np.asarray(n_periods, dtype=float)
    w = np.asarray(weight, dtype=float)

    def neg(p):
        a, b = p
        return -float(np.dot(w, betaln(a + x, b + n - x) - betaln(a, b)))

    return _maximise(neg, np.array([1.0, 1.0]))


def count_data_degenerate(frequency, weight) -> str | None:
    """Why (frequency, recency, T) data cannot identify BG/NBD-type models, or None."""
    x = np.asarray(frequency, dtype=float)
    w = np.asarray(weight, dtype=float)
    if not np.any((x > 0) & (w > 0)):
        return (
            "no customer made a repeat purchase (frequency is 0 for everyone), so the purchase "
            "rate cannot be told apart from dropout: the likelihood keeps rising towards a bound "
            "and the model would not converge. Check the summary (purchases on one day count once; "
            "is the observation window long enough?) or choose a longer window."
        )
    return None


def bgbb_data_degenerate(frequency, recency, n_periods, weight) -> str | None:
    """Why (frequency, recency, n_periods) data cannot identify BG/BB, or None."""
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    n = np.asarray(n_periods, dtype=float)
    w = np.asarray(weight, dtype=float) > 0
    if not np.any((x > 0) & w):
        return (
            "no customer transacted at any opportunity (frequency is 0 for everyone), so the "
            "transaction probability cannot be told apart from dropout; the model would not converge."
        )
    if np.all(tx[w] == n[w]):
        return (
            "every customer transacted at the last opportunity, so nobody can have dropped out "
            "and the dropout distribution (gamma, delta) is not identified: BG/BB reduces to the "
            "beta-binomial. Fit a longer history, or model the transactions without dropout."
        )
    return None


def spend_data_degenerate(monetary_value, weight) -> str | None:
    """Why Gamma-Gamma cannot be fitted to these mean spends, or None."""
    z = np.asarray(monetary_value, dtype=float)[np.asarray(weight, dtype=float) > 0]
    if z.size and np.all(z == z[0]):
        return (
            f"every customer's mean spend is identical ({z[0]:g}), so there is no spread between "
            "customers to estimate: q and gamma run off to infinity together and the fit would not "
            "converge. Try predicting spend with the common value instead (spend_model=a number)."
        )
    return None


def churn_data_degenerate(churned, weight, first_period) -> str | None:
    """Why sBG cannot be fitted to these contract histories, or None.

    ``churned`` marks customers who ended their contract, ``first_period``
    those who ended it in the first period.
    """
    c = np.asarray(churned, dtype=bool)
    w = np.asarray(weight, dtype=float) > 0
    if not np.any(c & w):
        return (
            "nobody churned, so the churn probability is 0 for everyone and its Beta distribution "
            "is not identified; the model would not converge. Observe the cohort for longer."
        )
    if np.all(np.asarray(first_period, dtype=bool)[w]):
        return (
            "every customer churned in the first period, so the churn probability is 1 for "
            "everyone and its Beta distribution is not identified; the model would not converge."
        )
    return None


def reduces_to(loglik: float, reduced_loglik: float) -> bool:
    """True when the full model's log-likelihood equals its reduced limit's (within NO_GAIN).

    The full model nests the limit, so it can only be better; a fit far below
    the limit stopped short of any optimum and is not called a boundary fit.
    """
    return bool(abs(loglik - reduced_loglik) < NO_GAIN)


def judge_boundary(
    model_name: str,
    estimates: dict[str, float],
    std_errors,
    at_bound,
    known: tuple[tuple[str, ...], str] | None,
    *,
    bound: float,
    max_interval_ratio: float,
    free: tuple[str, ...] = (),
) -> tuple[dict[str, str], str]:
    """Which parameters a fit leaves unidentified, and the note to show with them.

    A parameter is flagged when it is at the optimiser's bound, has no finite
    standard error, or its 95% interval (on the log scale) spans more than a
    factor ``max_interval_ratio``. ``known`` is the model's own reading of a
    boundary it recognises (parameters, what it means), which names the
    parameters it concerns and replaces the generic note. Parameters in
    ``free`` (covariate coefficients, of any sign) are judged by the bound and
    a finite standard error only: an interval around 0 has no ratio.

    Returns
    -------
    flagged : dict
        Parameter name -> reason.
    note : str
        One paragraph for the warning and the report; empty when nothing is flagged.
    """
    names = list(estimates)
    values = np.asarray([estimates[k] for k in names], dtype=float)
    se = np.asarray(std_errors, dtype=float)
    with np.errstate(all="ignore"):
        ratio = np.exp(2 * stats.norm.ppf(0.975) * se / values)
    flagged: dict[str, str] = {}
    for name, s, r in zip(names, se, ratio, strict=True):
        if name in at_bound:
            flagged[name] = f"at an edge of the search (log bound {bound:g}, or a pair's limit)"
        elif not np.isfinite(s):
            flagged[name] = "no finite standard error"
        elif name not in free and (not np.isfinite(r) or r > max_interval_ratio):
            flagged[name] = f"95% interval spans more than a factor {max_interval_ratio:.0e}"
    if known is not None:
        params, meaning = known
        for name in params:
            flagged.setdefault(name, "not identified (boundary of the model)")
        return flagged, f"{model_name}: {meaning}"
    if not flagged:
        return {}, ""
    shown = ", ".join(f"{k} = {v:.4g}" for k, v in zip(names, values, strict=True))
    detail = "; ".join(f"{k}: {why}" for k, why in flagged.items())
    return flagged, (
        f"{model_name}: the data do not identify parameter(s) {', '.join(flagged)} ({detail}; "
        f"estimates {shown}). Predictions that depend on them are unreliable; try another time "
        "unit, a longer observation window, a small penalizer, or a simpler model."
    )
