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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from ..validate import DataValidationError
from .base import OnePassModel, as_frame
from .coordinates import KAPPA_MIN, LOG_BOUND, MEAN_BOUND
from .degenerate import spend_data_degenerate

__all__ = ["GammaGamma"]


class GammaGamma(OnePassModel):
    """Gamma-Gamma spend model with parameters ``p, q, gamma``.

    Examples
    --------
    >>> repeat = summary[summary["frequency"] > 0]          # doctest: +SKIP
    >>> gg = GammaGamma().fit(repeat)                        # doctest: +SKIP
    >>> gg.expected_spend(summary)                           # doctest: +SKIP
    """

    param_names = ("p", "q", "gamma")
    required_columns = ("frequency", "monetary_value")
    integer_columns = ("frequency",)
    default_start = (1.0, 1.0, 1.0)

    # ----- the optimiser's coordinates (see analysis.models.coordinates) -------------------------
    # Two ridges: no spread of a customer's spend around her own mean (p -> infinity and
    # gamma -> 0 with p gamma fixed) and no heterogeneity of the mean spend between customers
    # (q and gamma -> infinity together). Searched as z = (log 1/p, log 1/q, log(p gamma / q)),
    # linear in the log parameters, with 1/p and 1/q >= KAPPA_MIN: both ridges are edges.
    _A = np.array([[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [1.0, -1.0, 1.0]])
    _A_INV = np.linalg.inv(_A)

    def _to_z(self, log_params):
        return self._A @ np.asarray(log_params, dtype=float)

    def _from_z(self, z):
        return self._A_INV @ np.asarray(z, dtype=float)

    def _grad_z(self, z, grad_log):
        return self._A_INV.T @ np.asarray(grad_log, dtype=float)

    def _z_bounds(self):
        low = float(np.log(KAPPA_MIN))
        return [(low, LOG_BOUND), (low, LOG_BOUND), (-MEAN_BOUND, MEAN_BOUND)]

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
        return tuple(n for n in self.param_names if n in names), tuple(edges)

    def _ridge_explanation(self, edges):
        if not edges:
            return None
        p, q, g = (float(self.params[k]) for k in self.param_names)
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

    def _degenerate_data(self, arrays):
        return spend_data_degenerate(arrays["monetary_value"], arrays["weight"])

    def _start(self, initial_params, arrays):
        if initial_params is not None:
            return super()._start(initial_params, arrays)
        # Method-of-moments start: mean spend m ~ p gamma / (q - 1); a moderate q
        # and a p from the within-customer coefficient of variation keep the first
        # steps in a region where the likelihood is well behaved.
        w = arrays["weight"]
        z = arrays["monetary_value"]
        m = float(np.average(z, weights=w))
        p, q = 2.0, 3.0
        return np.array([p, q, m * (q - 1) / p])

    def _precompute(self, arrays):
        # the parameter-free parts of each row, once per fit
        x, z = arrays["frequency"], arrays["monetary_value"]
        ux, inv = np.unique(x, return_inverse=True)
        arrays["_x_unique"] = ux
        arrays["_x_index"] = inv.astype(np.int64)
        arrays["_log_x"] = np.log(x)
        arrays["_log_z"] = np.log(z)
        arrays["_xz"] = x * z
        return arrays

    def _pieces(self, params, arrays):
        """Log-likelihood per row and its gradient in one pass (cached by :class:`OnePassModel`).

        The optimiser asks for value and gradient at the same point; the
        Gamma functions depend on the data only through x, so they are
        evaluated on its distinct values (a few dozen).
        """
        p, q, g = (float(v) for v in params)
        x, xi, ux = arrays["frequency"], arrays["_x_index"], arrays["_x_unique"]
        lx, lz, xz = arrays["_log_x"], arrays["_log_z"], arrays["_xz"]
        pu = p * ux
        const_x = gammaln(pu + q) - gammaln(pu) - gammaln(q)
        psi_all = digamma(pu + q)
        px = p * x
        log_gxz = np.log(g + xz)
        ll = const_x[xi] + q * np.log(g) + (px - 1) * lz + px * lx - (px + q) * log_gxz
        # rows x parameters, column-major: each parameter's column contiguous for the weighted sum
        grad = np.empty((3, x.shape[0]))
        grad[0] = x * ((psi_all - digamma(pu))[xi] + lz + lx - log_gxz)
        grad[1] = (psi_all - digamma(q))[xi] + np.log(g) - log_gxz
        grad[2] = q / g - (px + q) / (g + xz)
        return ll, grad.T

    # ----- predictions -----------------------------------------------------------------------
    @property
    def population_mean_spend(self) -> float:
        """Mean spend per transaction of a new customer, p gamma / (q - 1) (infinite when q <= 1)."""
        p, q, g = self._p()
        return float(p * g / (q - 1)) if q > 1 else float("inf")

    def expected_spend(self, data) -> pd.Series:
        """Conditional expected mean spend per transaction of each customer.

        E[Z | x, z-bar] = (gamma + x z-bar) p / (p x + q - 1): a weighted average
        of the population mean p gamma / (q - 1) and the customer's own mean
        z-bar, the weight on z-bar growing with the number of transactions x.
        A customer with frequency 0 gets the population mean.

        Parameters
        ----------
        data : DataFrame
            ``frequency`` and ``monetary_value`` (any customers, including frequency 0).

        Returns
        -------
        Series
            Expected spend per transaction, indexed like ``data``.
        """
        p, q, g = self._p()
        frame = as_frame(data)
        missing = [c for c in ("frequency", "monetary_value") if c not in frame.columns]
        if missing:
            raise DataValidationError(f"expected_spend needs column(s) {missing}")
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
