"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013 note).

A customer's transaction values z_1, ..., z_x are i.i.d. Gamma(p, nu) (shape
p, rate nu), so their mean has E = p / nu; the rate nu varies across
customers as Gamma(q, gamma) (shape q, rate gamma). The observed mean spend
z-bar of x transactions is Gamma(p x, nu x) given nu, and integrating nu out
gives the likelihood

    f(z-bar | p, q, gamma; x) = Gamma(p x + q) / (Gamma(p x) Gamma(q))
        * gamma^q * z-bar^(p x - 1) * x^(p x) / (gamma + x z-bar)^(p x + q).

The model assumes spend is independent of the transaction process: check
that the correlation between frequency and monetary value is weak before
combining it with a transaction model.

Data: ``frequency`` (number of repeat transactions x) and
``monetary_value`` (their mean value z-bar), **repeat buyers only**. A row
with frequency 0 carries no spend information under the model; rather than
dropping such rows silently, :meth:`GammaGamma.fit` raises and names them:
filter with ``data[data["frequency"] > 0]``. :meth:`GammaGamma.expected_spend`
accepts every customer (frequency 0 gets the population mean).

Covariates (``GammaGamma(spend_covariates=["channel"])``): the scale of the
customers' rates becomes per customer, gamma_i = gamma * exp(d' z_i), with
z_i her values of the named columns, which ride in the fitted frame. Her
transaction values are then distributed as the plain model's times
exp(d' z_i), so her expected spend per transaction p gamma_i / (q - 1) is the
plain model's times exp(d' z_i): exp(d_k) is a spend ratio ("channel 1 spends
1.2 times as much per purchase"), while p and q (the spread of a purchase
around her mean and of the means between customers) stay common. The sign is
the opposite of the count models' alpha_i = alpha * exp(-g' z): there a larger
scale means a lower rate; here a larger scale gamma_i means a lower nu_i, i.e.
a higher spend. Why the scale: it is the one parameter that moves the level of
spend and nothing else (a customer's spend divided by exp(d' z_i) follows the
plain model), as alpha_i does for the count models in CLVTools and
pymc-marketing. Neither library ships a spend model with covariates
(CLVTools' ``spending()`` refuses them; pymc-marketing issue 1059 asks for
them). The coefficients are ``params["spend:<column>"]``;
:func:`analysis.models.rate_ratios` gives exp(d) with 95% intervals. With every
d = 0 the likelihood, its gradient and the predictions are the plain model's.
See docs/covariates_spend.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from ..validate import DataValidationError
from .base import as_frame
from .coordinates import KAPPA_MIN, LOG_BOUND, MEAN_BOUND
from .covariates import covariate_matrix
from .degenerate import spend_data_degenerate
from .one_pass import OnePassModel

__all__ = ["SPEND_PREFIX", "GammaGamma"]

#: the prefix of a spend coefficient's name in ``params``: ``spend:channel``
SPEND_PREFIX = "spend:"
#: columns a spend covariate may not be called (the model's own columns)
_RESERVED = ("frequency", "monetary_value", "weight")


class GammaGamma(OnePassModel):
    """Gamma-Gamma spend model with parameters ``p, q, gamma``.

    Examples
    --------
    >>> repeat = summary[summary["frequency"] > 0]          # doctest: +SKIP
    >>> gg = GammaGamma().fit(repeat)                        # doctest: +SKIP
    >>> gg.expected_spend(summary)                           # doctest: +SKIP
    >>> GammaGamma(spend_covariates=["channel"]).fit(repeat)  # doctest: +SKIP
    """

    param_names = ("p", "q", "gamma")
    required_columns = ("frequency", "monetary_value")
    integer_columns = ("frequency",)
    default_start = (1.0, 1.0, 1.0)

    def __init__(self, penalizer: float = 0.0, spend_covariates=None):
        """Create an unfitted model.

        Parameters
        ----------
        penalizer : float
            L2 penalty on the parameters (0 = maximum likelihood).
        spend_covariates : list of str, optional
            Columns of the fitted frame whose coefficients d scale each
            customer's spend: gamma_i = gamma * exp(d' z_i). Numeric (0/1 flags,
            counts or standardised values); a coefficient is ``spend:<column>``.
        """
        super().__init__(penalizer=penalizer)
        cols = [] if spend_covariates is None else spend_covariates
        if isinstance(cols, str):
            cols = [cols]
        cols = [str(c) for c in cols]
        clash = [c for c in cols if c in _RESERVED or c.startswith("_") or not c]
        if clash or len(set(cols)) != len(cols):
            raise ValueError(
                f"spend_covariates must be distinct columns other than {list(_RESERVED)} and "
                f"not starting with _; got {cols}"
            )
        self.spend_covariates: tuple[str, ...] = tuple(cols)
        if cols:
            coefs = tuple(SPEND_PREFIX + c for c in cols)
            self.param_names = type(self).param_names + coefs
            self.free_params = coefs
            self.default_start = type(self).default_start + (0.0,) * len(cols)

    # ----- the optimiser's coordinates (see analysis.models.coordinates) -------------------------
    # Two ridges: no spread of a customer's spend around her own mean (p -> infinity and
    # gamma -> 0 with p gamma fixed) and no heterogeneity of the mean spend between customers
    # (q and gamma -> infinity together). Searched as z = (log 1/p, log 1/q, log(p gamma / q)),
    # linear in the log parameters, with 1/p and 1/q >= KAPPA_MIN: both ridges are edges.
    _A = np.array([[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [1.0, -1.0, 1.0]])
    _A_INV = np.linalg.inv(_A)

    # The coefficients d are searched centred and in units of their covariate's spread, as the
    # count models' (coordinates.py: gamma_i = gamma exp(+d' z)): the third coordinate is then
    # the log mean spend of a customer with the mean covariates, log(p gamma / q) + d' mean(z).
    def _coef_targets(self):
        return ((2, 1.0),) * len(self.spend_covariates)

    def _a_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        k = len(self.spend_covariates)
        if not k:
            return self._A, self._A_INV
        mat, inv = np.eye(3 + k), np.eye(3 + k)
        mat[:3, :3], inv[:3, :3] = self._A, self._A_INV
        return mat, inv

    def _to_z(self, log_params):
        return self._a_matrix()[0] @ self._centre(log_params)

    def _from_z(self, z):
        return self._uncentre(self._a_matrix()[1] @ np.asarray(z, dtype=float))

    def _grad_z(self, z, grad_log):
        return self._a_matrix()[1].T @ self._centre_grad(grad_log)

    def _z_bounds(self):
        low = float(np.log(KAPPA_MIN))
        base = [(low, LOG_BOUND), (low, LOG_BOUND), (-MEAN_BOUND, MEAN_BOUND)]
        return base + self._coef_z_bounds()

    def _z_at_bound(self, z):
        bounds = self._z_bounds()
        names: set[str] = set()
        edges = []
        for k, involved in enumerate((("p", "gamma"), ("q", "gamma"), ("p", "q", "gamma"))):
            lo, hi = bounds[k]
            if z[k] <= lo + 1e-9 or z[k] >= hi - 1e-9:
                names |= set(involved)
                if k < 2 and z[k] <= lo + 1e-9:
                    edges.append((k, "low"))
        for k in range(3, len(z)):
            lo, hi = bounds[k]
            if z[k] <= lo + 1e-9 or z[k] >= hi - 1e-9:
                names.add(self.param_names[k])
        return tuple(n for n in self.param_names if n in names), tuple(edges)

    def _ridge_explanation(self, edges):
        if not edges:
            return None
        p, q, g = (float(self.params[k]) for k in ("p", "q", "gamma"))
        names: list[str] = []
        parts = []
        self._edge_means = {}
        for k, _ in edges:
            if k == 0:
                self._edge_means["p*gamma"] = p * g
                names += ["p", "gamma"]
                parts.append(
                    "the data show no spread of a customer's spend around her own mean: p grows "
                    f"without bound and gamma falls with p x gamma fixed (stopped at p = "
                    f"{1 / KAPPA_MIN:,.0f}; p x gamma = {p * g:.4g}), so every purchase of a "
                    "customer is worth her mean spend"
                )
            else:
                self._edge_means["gamma/q"] = g / q
                names += ["q", "gamma"]
                parts.append(
                    "the data show no heterogeneity in the mean spend between customers: q and "
                    f"gamma grow without bound together (stopped at q = {1 / KAPPA_MIN:,.0f}; "
                    f"gamma/q = {g / q:.4g})"
                )
        return tuple(dict.fromkeys(names)), (
            "; ".join(parts)
            + ". The fit is the limit model's, the same on every machine; the parameters named "
            "are not identified separately."
        )

    def _check_data(self, frame: pd.DataFrame) -> None:
        x = pd.to_numeric(frame["frequency"]).to_numpy(dtype=float)
        z = pd.to_numeric(frame["monetary_value"]).to_numpy(dtype=float)
        zero = x == 0
        if zero.any():
            rows = list(frame.index[zero][:5])
            raise DataValidationError(
                f"GammaGamma is fitted to repeat buyers only: {int(zero.sum())} row(s) have "
                f"frequency 0 (rows {rows}{', ...' if zero.sum() > 5 else ''}). Their mean spend "
                "is not observed under the model; fit on data[data['frequency'] > 0] "
                "(expected_spend still predicts for every customer)."
            )
        nonpos = z <= 0
        if nonpos.any():
            rows = list(frame.index[nonpos][:5])
            raise DataValidationError(
                f"column 'monetary_value': {int(nonpos.sum())} repeat buyer(s) with a mean spend "
                f"<= 0 (rows {rows}); the Gamma-Gamma model needs positive spend. Check returns "
                "(analysis.validate returns= policy) or remove these customers."
            )

    # ----- covariates ------------------------------------------------------------------------
    def _spend_matrix(self, frame: pd.DataFrame, fit: bool = False) -> np.ndarray:
        """The spend covariates of ``frame``, (customers, covariates), checked."""
        return covariate_matrix(frame, list(self.spend_covariates), type(self).__name__, fit=fit)

    def _check_covariates(self, frame: pd.DataFrame) -> list[str]:
        # checked here (a constant column refused); the base compresses them with the spends
        if not self.spend_covariates:
            return []
        z = self._spend_matrix(frame, fit=True)
        weight = frame["weight"].to_numpy(dtype=float) if "weight" in frame.columns else None
        self._set_coef_scaling(z, weight)
        return list(self.spend_covariates)

    def _degenerate_data(self, arrays):
        return spend_data_degenerate(arrays["monetary_value"], arrays["weight"])

    def _start(self, initial_params, arrays):
        k = len(self.spend_covariates)
        if initial_params is not None:
            if not k:
                return super()._start(initial_params, arrays)
            names = self.param_names
            if isinstance(initial_params, Mapping):
                values = [
                    initial_params.get(n, 0.0 if i >= 3 else None) for i, n in enumerate(names)
                ]
            else:
                values = list(initial_params)
            start = np.asarray([np.nan if v is None else v for v in values], dtype=float)
            if start.shape != (len(names),) or not np.all(start[:3] > 0):
                raise ValueError(
                    f"initial_params must give positive p, q, gamma and a number for each of "
                    f"{names[3:]}, got {initial_params!r}"
                )
            return start
        # Method-of-moments start: mean spend m ~ p gamma / (q - 1); a moderate q
        # and a p from the within-customer coefficient of variation keep the first
        # steps in a region where the likelihood is well behaved. Coefficients start at 0.
        w = arrays["weight"]
        z = arrays["monetary_value"]
        m = float(np.average(z, weights=w))
        p, q = 2.0, 3.0
        return np.array([p, q, m * (q - 1) / p] + [0.0] * k)

    def _precompute(self, arrays):
        # the parameter-free parts of each row, once per fit
        x, z = arrays["frequency"], arrays["monetary_value"]
        ux, inv = np.unique(x, return_inverse=True)
        arrays["_x_unique"] = ux
        arrays["_x_index"] = inv.astype(np.int64)
        arrays["_log_x"] = np.log(x)
        arrays["_log_z"] = np.log(z)
        arrays["_xz"] = x * z
        if self.spend_covariates:
            cols = [np.asarray(arrays[c], dtype=float) for c in self.spend_covariates]
            arrays["_covariates"] = np.column_stack(cols)
        return arrays

    def _pieces(self, params, arrays):
        """Log-likelihood per row and its gradient in one pass (cached by :class:`OnePassModel`).

        The optimiser asks for value and gradient at the same point; the
        Gamma functions depend on the data only through x, so they are
        evaluated on its distinct values (a few dozen). With covariates the
        scale is gamma_i = gamma exp(eta_i), eta_i = d' z_i, and
        d ll / d d_k = (q x z-bar - p x gamma_i) / (gamma_i + x z-bar) z_ik.
        """
        params = np.asarray(params, dtype=float)
        p, q, g = (float(v) for v in params[:3])
        x, xi, ux = arrays["frequency"], arrays["_x_index"], arrays["_x_unique"]
        lx, lz, xz = arrays["_log_x"], arrays["_log_z"], arrays["_xz"]
        k = params.size - 3
        if k:
            cov = arrays["_covariates"]
            eta = cov @ params[3:]
            ratio = np.exp(eta)
            gi = g * ratio
            log_g = np.log(g) + eta
        else:
            gi, log_g = g, np.log(g)
        pu = p * ux
        const_x = gammaln(pu + q) - gammaln(pu) - gammaln(q)
        psi_all = digamma(pu + q)
        px = p * x
        log_gxz = np.log(gi + xz)
        ll = const_x[xi] + q * log_g + (px - 1) * lz + px * lx - (px + q) * log_gxz
        # rows x parameters, column-major: each parameter's column contiguous for the weighted sum
        grad = np.empty((3 + k, x.shape[0]))
        grad[0] = x * ((psi_all - digamma(pu))[xi] + lz + lx - log_gxz)
        grad[1] = (psi_all - digamma(q))[xi] + log_g - log_gxz
        grad[2] = q / gi - (px + q) / (gi + xz)
        if k:
            grad[2] *= ratio  # d gamma_i / d gamma
            # d ll / d eta = gamma_i d ll / d gamma_i, written without the cancellation
            d_eta = (q * xz - px * gi) / (gi + xz)
            grad[3:] = d_eta * cov.T
        return ll, grad.T

    # ----- predictions -----------------------------------------------------------------------
    @property
    def population_mean_spend(self) -> float:
        """Mean spend per transaction of a new customer, p gamma / (q - 1) (infinite when q <= 1).

        With covariates, of a customer whose covariates are all 0; multiply by
        exp(d' z) for others (:func:`analysis.models.rate_ratios`).
        """
        p, q, g = self._p()[:3]
        return float(p * g / (q - 1)) if q > 1 else float("inf")

    def expected_spend(self, data) -> pd.Series:
        """Conditional expected mean spend per transaction of each customer.

        E[Z | x, z-bar] = (gamma_i + x z-bar) p / (p x + q - 1): a weighted
        average of her population mean p gamma_i / (q - 1) and her own mean
        z-bar, the weight on z-bar growing with the number of transactions x.
        A customer with frequency 0 gets her population mean. gamma_i is
        gamma, or gamma exp(d' z_i) with covariates (read from ``data``).

        Parameters
        ----------
        data : DataFrame
            ``frequency`` and ``monetary_value`` (any customers, including
            frequency 0), and the spend covariate columns.

        Returns
        -------
        Series
            Expected spend per transaction, indexed like ``data``.
        """
        params = self._p()
        p, q, g = params[:3]
        frame = as_frame(data)
        missing = [c for c in ("frequency", "monetary_value") if c not in frame.columns]
        if missing:
            raise DataValidationError(f"expected_spend needs column(s) {missing}")
        if self.spend_covariates:
            g = g * np.exp(self._spend_matrix(frame) @ params[3:])
        x = frame["frequency"].to_numpy(dtype=float)
        z = frame["monetary_value"].to_numpy(dtype=float)
        if np.any(x < 0) or not np.all(np.isfinite(z)):
            raise DataValidationError("frequency must be >= 0 and monetary_value finite")
        z = np.where(x > 0, z, 0.0)
        denom = p * x + q - 1
        if q <= 1 and np.any(x == 0):
            raise ValueError(
                f"the fitted q = {q:.4g} <= 1: the population mean spend is infinite, so customers "
                "without repeat purchases have no finite expected spend."
            )
        if np.any(denom <= 0):
            rows = list(frame.index[denom <= 0][:5])
            raise ValueError(
                f"p x + q <= 1 for rows {rows} (p = {p:.4g}, q = {q:.4g}): the conditional mean "
                "spend is infinite for these customers under the fitted model."
            )
        spend = (g + x * z) * p / denom
        return pd.Series(spend, index=frame.index, name="expected_spend")
