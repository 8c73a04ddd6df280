"""Shared machinery of the probabilistic CLV models: fitting, standard errors, information criteria.

A model subclass declares its parameter names and required columns and
implements the per-row log-likelihood (vectorised over rows) and, where
practical, its gradient. This base class compresses the data, maximises the
weighted log-likelihood with L-BFGS-B, checks convergence, and computes
standard errors from the observed information (numerical Hessian of the
log-likelihood in the natural parameters).

The optimiser searches each parameter on the log scale, except the pairs
that describe one heterogeneous quantity (:mod:`.coordinates`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..threads import one_blas_thread
from ..validate import DataValidationError
from .convergence import (
    BoundaryFitWarning,
    Convergence,
    ConvergenceError,
    DegenerateDataError,
)
from .coordinates import (
    LOG_BOUND,
    PairCoordinates,
    inverse_information,
    negligible_gradient,
    newton_polish,
    numerical_hessian,
)
from .degenerate import judge_boundary
from .rows import unique_rows, weighted_columns, weighted_total


def as_frame(data) -> pd.DataFrame:
    """``data`` as a DataFrame: a DataFrame as is, a mapping of columns converted, else TypeError.

    Parameters
    ----------
    data : DataFrame or mapping of column name to values
        The per-customer data given to a model.

    Returns
    -------
    DataFrame
    """
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")


class BaseModel(PairCoordinates):
    """Base class of the fitted models. Subclasses set the class attributes and the likelihood."""

    #: parameter names, in the order of the parameter vector (as in the papers)
    param_names: tuple[str, ...] = ()
    #: columns the likelihood needs
    required_columns: tuple[str, ...] = ()
    #: columns that must hold whole numbers
    integer_columns: tuple[str, ...] = ()
    #: default starting values
    default_start: tuple[float, ...] = ()

    def __init__(self, penalizer: float = 0.0):
        """Create an unfitted model.

        Parameters
        ----------
        penalizer : float
            L2 penalty on the parameters (0 = maximum likelihood, as in the papers).
        """
        self.penalizer = float(penalizer)
        self.params: pd.Series | None = None
        self.loglik: float | None = None
        self.convergence: Convergence | None = None
        self.n_customers: int = 0
        self._cov: np.ndarray | None = None
        #: parameters at a bound or not identified by the data, with the reason (after fit)
        self.boundary: dict[str, str] = {}
        #: what a boundary fit means in the model's terms; empty for an interior fit
        self.boundary_note: str = ""
        #: what a ridge fit leaves identified, e.g. {"mean(s,beta)": 0.017}; empty otherwise
        self.identified_means: dict[str, float] = {}

    @classmethod
    def from_params(cls, params, **kwargs):
        """A model with given parameter values, without fitting (predictions from a known truth).

        Parameters
        ----------
        params : mapping or sequence
            Values for ``param_names`` (extra keys in a mapping are ignored).
        **kwargs
            Passed to the constructor.
        """
        model = cls(**kwargs)
        names = model.param_names
        if isinstance(params, Mapping):
            values = [float(params[k]) for k in names]
        else:
            values = [float(v) for v in params]
        if (
            len(values) != len(names)
            or not all(np.isfinite(values))
            or np.any(np.asarray(values)[~model._free_mask()] <= 0)
        ):
            raise ValueError(
                f"params must be {len(names)} finite values for {names} (all but the "
                "covariate coefficients positive)"
            )
        model.params = pd.Series(values, index=list(names), name="estimate")
        return model

    # ----- to be provided by subclasses -------------------------------------------------
    def _loglik_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Log-likelihood of each row (vectorised)."""
        raise NotImplementedError

    def _loglik_grad_rows(self, params: np.ndarray, arrays: dict[str, np.ndarray]):
        """Optional: gradient of each row's log-likelihood, shape (n_rows, n_params); None if absent."""
        return None

    def _check_data(self, frame: pd.DataFrame) -> None:
        """Optional model-specific checks (e.g. recency <= T)."""

    # ----- data handling -----------------------------------------------------------------
    def _prepare(self, data) -> dict[str, np.ndarray]:
        frame = as_frame(data)
        missing = [c for c in self.required_columns if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"{type(self).__name__} needs column(s) {missing}; columns found: "
                f"{[str(c) for c in frame.columns]}. Build them with analysis.rfm.summarize."
            )
        if len(frame) == 0:
            raise DataValidationError(f"{type(self).__name__}: no rows to fit")
        cols = list(self.required_columns)
        values = frame[cols]
        for col in cols:
            v = pd.to_numeric(values[col], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(v)
            if bad.any():
                rows = list(frame.index[bad][:5])
                raise DataValidationError(
                    f"column {col!r}: {int(bad.sum())} missing or non-numeric value(s) (rows {rows})."
                )
            if (v < 0).any():
                rows = list(frame.index[v < 0][:5])
                raise DataValidationError(
                    f"column {col!r}: {int((v < 0).sum())} negative value(s) (rows {rows}); "
                    "counts and durations cannot be negative."
                )
            if col in self.integer_columns and (v != np.round(v)).any():
                rows = list(frame.index[v != np.round(v)][:5])
                raise DataValidationError(f"column {col!r} must hold whole numbers (rows {rows}).")
        self._check_data(frame)
        cols += self._check_covariates(frame)
        if "weight" in frame.columns:
            weight = pd.to_numeric(frame["weight"], errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(weight)) or (weight < 0).any():
                raise DataValidationError("column 'weight' must hold non-negative numbers")
            arrays = {c: frame[c].to_numpy(dtype=float) for c in cols}
        else:
            # Compress: identical rows share one likelihood evaluation.
            mat = np.column_stack([frame[c].to_numpy(dtype=float) for c in cols])
            uniq, counts = unique_rows(mat)
            arrays = {c: uniq[:, i] for i, c in enumerate(cols)}
            weight = counts.astype(float)
        arrays["weight"] = weight
        return self._precompute(arrays)

    def _check_covariates(self, frame: pd.DataFrame) -> list[str]:
        """Optional: check the covariate columns of ``frame`` and return their names (none here).

        Covariates are compressed with the required columns; they may be negative.
        """
        return []

    def _precompute(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Optional: add parameter-free helper arrays (e.g. unique values and their indices).

        Called once per fit after compression; whatever it adds to ``arrays`` is
        passed to ``_loglik_rows`` and ``_loglik_grad_rows``.
        """
        return arrays

    def _data_arrays(self, data, columns: Sequence[str] | None = None):
        """Validated columns of ``data`` for predictions, one row per customer (no compression).

        Returns the frame's index and a dict of float arrays by column name.
        """
        frame = as_frame(data)
        cols = list(self.required_columns if columns is None else columns)
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"{type(self).__name__} needs column(s) {missing}; columns found: "
                f"{[str(c) for c in frame.columns]}. Build them with analysis.rfm.summarize."
            )
        arrays = {}
        for col in cols:
            v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(v) | (v < 0)
            if bad.any():
                rows = list(frame.index[bad][:5])
                raise DataValidationError(
                    f"column {col!r}: {int(bad.sum())} missing, non-numeric or negative value(s) "
                    f"(rows {rows})."
                )
            arrays[col] = v
        self._check_data(frame)
        return frame.index, arrays

    # ----- fitting ---------------------------------------------------------------------------
    def _neg_objective(self, log_params: np.ndarray, arrays) -> tuple[float, np.ndarray]:
        params = self._natural(log_params)
        w = arrays["weight"]
        ll = self._loglik_rows(params, arrays)
        total = weighted_total(w, ll)
        grad_rows = self._loglik_grad_rows(params, arrays)
        pen = self.penalizer * float(np.sum(params**2))
        if grad_rows is None:
            return -total + pen, None
        grad = weighted_columns(w, grad_rows)  # d total / d params
        # chain rule to the searched scale (log of a positive parameter, a coefficient as is)
        grad_log = (grad - 2 * self.penalizer * params) * self._natural_jacobian(params)
        return -total + pen, -grad_log

    def fit(
        self,
        data,
        initial_params: Sequence[float] | Mapping[str, float] | None = None,
        maxiter: int = 2000,
        tol: float = 1e-10,
    ):
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        data : DataFrame
            The model's required columns; an optional ``weight`` column marks
            compressed data (without it, identical rows are compressed here).
        initial_params : sequence or mapping, optional
            Starting values; the model's defaults otherwise.
        maxiter : int
            Iteration limit of the optimiser.
        tol : float
            Convergence tolerance of the optimiser.

        Returns
        -------
        self
        """
        # small products (rows x a few parameters): OpenBLAS's threads would only wait and spin
        with one_blas_thread():
            arrays = self._prepare(data)
            self.n_customers = int(round(arrays["weight"].sum()))
            problem = self._degenerate_data(arrays)
            if problem:
                raise DegenerateDataError(f"{type(self).__name__}: {problem}")
            start = self._start(initial_params, arrays)
            has_grad = self._loglik_grad_rows(np.asarray(start), arrays) is not None

            # the objective per customer: gradients of order one, so the optimiser's first step
            # stays in the region where the likelihood is finite (a total over 10,000 customers
            # sends it to a corner of the box, where the line search collapses)
            scale = 1.0 / max(float(arrays["weight"].sum()), 1.0)

            def fun(z):
                with np.errstate(all="ignore"):
                    value, grad = self._neg_objective(self._from_z(z), arrays)
                    if grad is not None:
                        grad = self._grad_z(z, grad) * scale
                value *= scale
                if not np.isfinite(value):
                    value = 1e300
                    grad = np.zeros_like(z) if has_grad else None
                return (value, grad) if has_grad else value

            bounds = self._z_bounds()
            z0 = self._to_z(self._searched(start))
            z0 = np.clip(z0, [lo for lo, _ in bounds], [hi for _, hi in bounds])
            result = optimize.minimize(
                fun,
                z0,
                jac=has_grad,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": maxiter, "ftol": tol, "gtol": 1e-12, "maxcor": 30},
            )
            result2 = optimize.minimize(
                fun,
                result.x,
                jac=has_grad,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": maxiter, "ftol": tol * 1e-3, "gtol": 1e-13, "maxcor": 30},
            )
            if np.isfinite(result2.fun) and result2.fun <= result.fun:
                result2.nit += result.nit
                result2.nfev += result.nfev
                result = result2
            if has_grad and np.isfinite(result.fun) and result.fun < 1e299:
                # the stationary point itself, not where the path stopped (machine-independent)
                result.x, result.fun, extra = newton_polish(fun, result.x, bounds)
                result.nfev += extra

            log_params = self._from_z(result.x)
            params = self._natural(log_params)
            at_bound, edges = self._z_at_bound(result.x)
            loglik = -float(result.fun) / scale + self.penalizer * float(np.sum(params**2))
            grad_norm = float("nan")
            if has_grad:
                _, g = self._neg_objective(log_params, arrays)
                grad_norm = float(np.max(np.abs(g))) if g is not None else float("nan")
            if not np.isfinite(loglik) or loglik <= -1e299:
                raise ConvergenceError(
                    f"{type(self).__name__}: the log-likelihood is not finite at the optimiser's end "
                    f"({result.message}). Try rescaling the time unit (e.g. weeks instead of days) "
                    "or other initial_params."
                )
            # A run towards a bound ends wherever the likelihood stops rising measurably, so
            # "stopped early" and "reached the bound" are the same outcome: judged below from
            # the standard errors and the model's own boundary check, not from the stop.
            # L-BFGS-B's own verdict depends on the last bits of its path (a line search that
            # fails at a true optimum is "ABNORMAL" on one CPU and converged on another): a
            # stop is accepted when the gradient there is negligible, whatever the message says.
            accepted = not result.success and self._accept_unconverged(result, arrays)
            converged = bool(result.success) or accepted
            # A run towards a boundary the model recognises (no dropout: the NBD) may also stop
            # short of it with a line-search failure; that is the same boundary fit, said below.
            heading_to_boundary = (
                not at_bound
                and not converged
                and self._boundary_explanation(params, loglik, arrays) is not None
            )
            if not at_bound and not converged and not heading_to_boundary:
                raise ConvergenceError(
                    f"{type(self).__name__}: the optimiser did not converge ({result.message}) "
                    f"after {result.nit} iterations. Try rescaling the time unit (weeks instead of "
                    "days), other initial_params, or a larger maxiter."
                )
            self.params = pd.Series(params, index=list(self.param_names), name="estimate")
            self.loglik = loglik
            self._cov = self._covariance(params, arrays)
            self.boundary, self.boundary_note = self._judge_boundary(
                params, loglik, at_bound, arrays, edges
            )
            self.convergence = Convergence(
                success=(converged or bool(at_bound)) and not self.boundary,
                message=str(result.message)
                + ("; accepted: the gradient at the stop is negligible" if accepted else ""),
                iterations=int(result.nit),
                function_evaluations=int(result.nfev),
                gradient_norm=grad_norm,
                at_bound=at_bound,
                not_identified=tuple(self.boundary),
            )
            if self.boundary:
                warnings.warn(self.boundary_note, BoundaryFitWarning, stacklevel=2)
        return self

    # ----- degenerate data and boundary fits ----------------------------------------------------
    #: a 95% interval wider than this factor (upper / lower) means the data do not pin the parameter
    MAX_INTERVAL_RATIO: float = 1e8

    def _degenerate_data(self, arrays: dict[str, np.ndarray]) -> str | None:
        """Optional: why the data cannot identify the model (checked before the optimiser), or None.

        Works on the compressed rows (``arrays``, with ``weight``); a message
        here raises :class:`DegenerateDataError`.
        """
        return None

    def _boundary_explanation(
        self, params, loglik: float, arrays
    ) -> tuple[tuple[str, ...], str] | None:
        """Optional: a boundary the model recognises, as (parameters, what it means), or None.

        Called after every fit. A model whose likelihood has a known limit
        (BG/NBD and Pareto/NBD without dropout reduce to the NBD) checks the
        data against it, so the verdict comes from the data, not from where
        the optimiser happened to stop.
        """
        return None

    def _judge_boundary(
        self, params, loglik: float, at_bound, arrays, edges: tuple = ()
    ) -> tuple[dict[str, str], str]:
        """Parameters at a bound or not identified, and the note to show with them.

        The model's own reading of a boundary (e.g. no dropout: the NBD) comes
        first; else a ridge of a shape pair (no heterogeneity) is named.
        """
        known = self._boundary_explanation(params, loglik, arrays)
        self.identified_means = {}
        if known is None:
            known = self._ridge_explanation(edges)
            self.identified_means = dict(getattr(self, "_edge_means", {})) if known else {}
        if known is not None:
            # the other parameters are those of the limit model: their standard errors come
            # from the information without the unidentified ones (whose near-singular
            # directions would otherwise spill into every entry of the inverse)
            keep = [k not in known[0] for k in self.param_names]
            self._cov = inverse_information(self._hess, keep)
        return judge_boundary(
            type(self).__name__,
            dict(zip(self.param_names, params, strict=True)),
            self.standard_errors.to_numpy(),
            at_bound,
            known,
            bound=LOG_BOUND,
            max_interval_ratio=self.MAX_INTERVAL_RATIO,
            free=self.free_params,
        )

    def _accept_unconverged(self, result, arrays) -> bool:
        """True when a stop the optimiser calls a failure has a negligible projected gradient."""

        def objective(z):
            with np.errstate(all="ignore"):
                return self._neg_objective(self._from_z(z), arrays)[0]

        return negligible_gradient(objective, result.x, self._z_bounds())

    def _start(self, initial_params, arrays) -> np.ndarray:
        if initial_params is None:
            start = np.asarray(self.default_start, dtype=float)
        elif isinstance(initial_params, Mapping):
            start = np.asarray([initial_params[k] for k in self.param_names], dtype=float)
        else:
            start = np.asarray(initial_params, dtype=float)
        if start.shape != (len(self.param_names),) or np.any(start[~self._free_mask()] <= 0):
            raise ValueError(
                f"initial_params must be {len(self.param_names)} values (positive but for "
                f"covariate coefficients) for "
                f"{self.param_names}, got {initial_params!r}"
            )
        return start

    def _loglik_hessian(self, params: np.ndarray, arrays) -> np.ndarray | None:
        """Optional: the analytic Hessian of the weighted log-likelihood (k x k), or None."""

    def _covariance(self, params: np.ndarray, arrays) -> np.ndarray:
        """Inverse observed information in the natural parameters: the model's analytic Hessian,
        else the central difference of the gradient (2k evaluations) or of the log-likelihood
        (steps relative for positive parameters, ``_coef_steps`` for coefficients)."""
        self._hess = self._loglik_hessian(params, arrays)
        if self._hess is not None and np.all(np.isfinite(self._hess)):
            return inverse_information(self._hess)
        h = 1e-4 * np.maximum(np.abs(params), 1e-8)
        free = self._free_mask()
        if free.any():
            h[free] = np.maximum(1e-4 * np.abs(params[free]), self._coef_steps())
        w = arrays["weight"]
        with np.errstate(all="ignore"):
            has_grad = self._loglik_grad_rows(params, arrays) is not None

        def total(p):
            with np.errstate(all="ignore"):
                return weighted_total(w, self._loglik_rows(p, arrays))

        def gradient(p):
            with np.errstate(all="ignore"):
                return weighted_columns(w, self._loglik_grad_rows(p, arrays))

        self._hess = numerical_hessian(total, gradient if has_grad else None, params, h)
        return inverse_information(self._hess)

    def _coef_steps(self) -> np.ndarray:
        """Hessian steps of the covariate coefficients (1e-4 per unit of the covariate's spread)."""
        spread = getattr(self, "_coef_spread", None)
        if spread is None or len(spread) != len(self.free_params):
            return np.full(len(self.free_params), 1e-4)
        return 1e-4 / np.maximum(spread, 1e-12)

    # ----- reporting -------------------------------------------------------------------------
    def _require_fit(self) -> None:
        if self.params is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call .fit(data) first.")

    @property
    def standard_errors(self) -> pd.Series:
        """Standard errors of the estimates (inverse observed information)."""
        self._require_fit()
        diag = np.diag(self._cov)
        se = np.sqrt(np.where(diag > 0, diag, np.nan))
        return pd.Series(se, index=self.params.index, name="std_error")

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals.

        The interval is computed on the log scale (delta method) so it stays
        positive. After a boundary fit (see :attr:`boundary`) a ``note``
        column says, per parameter, why it is not identified.
        """
        self._require_fit()
        est = self.params
        se = self.standard_errors
        z = stats.norm.ppf(0.975)
        with np.errstate(all="ignore"):
            log_se = se / est
        free = self._free_mask()  # a coefficient's interval is symmetric on its own scale
        table = pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "lower_95": np.where(free, est - z * se, est * np.exp(-z * log_se)),
                "upper_95": np.where(free, est + z * se, est * np.exp(z * log_se)),
            }
        )
        if self.boundary:
            # a boundary fit says so beside the numbers it concerns
            table["note"] = [self.boundary.get(name, "") for name in table.index]
        return table

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def aic(self) -> float:
        """Akaike information criterion, 2k - 2 log L."""
        self._require_fit()
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> float:
        """Bayesian information criterion, k log n - 2 log L, with n the number of customers."""
        self._require_fit()
        return self.n_params * np.log(self.n_customers) - 2 * self.loglik

    def _p(self) -> np.ndarray:
        self._require_fit()
        return self.params.to_numpy()

    def __repr__(self) -> str:
        if self.params is None:
            return f"{type(self).__name__}(unfitted)"
        body = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{type(self).__name__}({body}; loglik={self.loglik:.2f}, n={self.n_customers})"
