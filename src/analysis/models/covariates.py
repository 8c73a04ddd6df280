"""Time-invariant customer covariates of the BG/NBD, MBG/NBD and Pareto/NBD, and their reading.

A covariate z (a column of the customer summary: channel, gender, ...)
makes a scale parameter per customer:

- purchase (all three models): alpha_i = alpha0 exp(-g_p' z_i). The purchase
  rate is Gamma(r, rate alpha_i), so every customer's rate distribution is
  that of the base scaled by exp(g_p' z_i): exp(g_p) is a purchase-rate
  ratio per unit of z (as in CLVTools and pymc-marketing).
- Pareto/NBD dropout: beta_i = beta0 exp(-g_d' z_i); the dropout rate mu is
  Gamma(s, rate beta_i), so exp(g_d) is a dropout-rate ratio (CLVTools' form).
- BG/NBD and MBG/NBD dropout: a_i = a0 exp(g_d' z_i), b unchanged. The
  dropout probability p after a purchase is Beta(a_i, b); its mean odds
  E[p / (1 - p)] = a_i / (b - 1) (for b > 1) are multiplied by exactly
  exp(g_d), and while a is small against b the mean probability
  a_i / (a_i + b) nearly so. CLVTools multiplies a and b by the same
  exp(g' z): that changes only the concentration a + b, never the mean
  a / (a + b), so its coefficient is no rate ratio. pymc-marketing gives a
  and b a coefficient each (two numbers per covariate, whose exponentials
  are not ratios of anything a manager reads); one coefficient on a keeps
  one number per covariate with a plain reading.

With every coefficient 0 each model is the plain one (tests check the
log-likelihood, its gradient and every prediction to 1e-12). The per-row
log-likelihood is the plain model's with each row's own scale parameter,
and its gradient follows by the chain rule through alpha_i, a_i or beta_i.

The no-dropout check after a fit compares with the NBD with the same
purchase covariates (:func:`analysis.models.degenerate.nbd_max_loglik`);
the dropout coefficients are then not identified.

:func:`likelihood_ratio_test` compares nested fits;
:func:`rate_ratios` reads the coefficients as ratios with intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..validate import DataValidationError

__all__ = [
    "CovariateMixin",
    "LikelihoodRatioTest",
    "covariate_matrix",
    "likelihood_ratio_test",
    "rate_ratios",
]

#: column names a covariate may not take (the summary's own columns)
RESERVED = ("frequency", "recency", "T", "weight", "monetary_value")


def _names(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    names = tuple(str(v) for v in value)
    bad = [n for n in names if n in RESERVED or n.startswith("_") or not n]
    if bad:
        raise ValueError(
            f"{what}: {bad} cannot be covariates (reserved: {list(RESERVED)}, or starting with _)"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{what}: a column is named twice in {list(names)}")
    return names


def covariate_matrix(frame, columns: Sequence[str], model_name: str, *, fit: bool) -> np.ndarray:
    """The covariate columns of ``frame`` as a float matrix (customers x columns), checked.

    Parameters
    ----------
    frame : DataFrame
        Customer rows holding the columns.
    columns : sequence of str
        The covariates.
    model_name : str
        For the messages.
    fit : bool
        Also refuse a constant column (its coefficient is not identified).

    Returns
    -------
    ndarray
        Shape (len(frame), len(columns)).
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{model_name} has covariate(s) {missing}, not columns of the data (columns: "
            f"{[str(c) for c in frame.columns]}); merge the customer attributes into the summary."
        )
    out = np.empty((len(frame), len(columns)))
    for j, col in enumerate(columns):
        raw = frame[col]
        if raw.dtype == bool:
            raw = raw.astype(float)
        v = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise DataValidationError(
                f"covariate {col!r}: {int(bad.sum())} missing, non-numeric or infinite value(s) "
                f"(rows {list(frame.index[bad][:5])}); code categories as 0/1 columns."
            )
        if fit and len(v) and np.all(v == v[0]):
            raise DataValidationError(
                f"covariate {col!r} is constant ({v[0]:g} for all {len(v)} rows): its "
                "coefficient is not identified; drop it."
            )
        out[:, j] = v
    return out


class CovariateMixin:
    """Covariates of a count model with base scale parameters (see the module docstring).

    Put it first in the bases. The model sets ``purchase_scale`` (the purchase
    rate's scale parameter), ``dropout_scale`` and ``dropout_sign`` (+1: the
    dropout parameter is multiplied by exp(g' z), -1: by exp(-g' z)), and
    implements ``_row_pieces(prm, arrays)``: log-likelihood per row, its
    gradient per row in the base parameters (n_rows, 4), ... with ``prm`` the
    base parameters, each a float or an array with one value per row.
    """

    purchase_scale: str = "alpha"
    dropout_scale: str = ""
    dropout_sign: float = -1.0

    def __init__(
        self,
        penalizer: float = 0.0,
        time_unit: str | None = None,
        purchase_covariates: Sequence[str] | None = None,
        dropout_covariates: Sequence[str] | None = None,
    ):
        """Create an unfitted model.

        Parameters
        ----------
        penalizer : float
            L2 penalty on the parameters, coefficients included (0 = maximum likelihood).
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            The unit of the data's times and so of the parameters.
        purchase_covariates, dropout_covariates : list of str, optional
            Numeric columns of the summary that shift the purchase rate and the
            dropout; their coefficients are ``purchase:<col>`` and
            ``dropout:<col>`` in ``params``. None (the default): the plain model.
        """
        super().__init__(penalizer=penalizer, time_unit=time_unit)  # type: ignore[call-arg]
        self.purchase_covariates = _names(purchase_covariates, "purchase_covariates")
        self.dropout_covariates = _names(dropout_covariates, "dropout_covariates")
        coefs = tuple(f"purchase:{c}" for c in self.purchase_covariates) + tuple(
            f"dropout:{c}" for c in self.dropout_covariates
        )
        if coefs:
            self.param_names = type(self).param_names + coefs
            self.free_params = coefs

    @property
    def has_covariates(self) -> bool:
        """Whether the model has any covariate."""
        return bool(self.purchase_covariates or self.dropout_covariates)

    @property
    def covariate_columns(self) -> tuple[str, ...]:
        """The distinct covariate columns the model reads (purchase first)."""
        return tuple(dict.fromkeys(self.purchase_covariates + self.dropout_covariates))

    @property
    def base_param_names(self) -> tuple[str, ...]:
        """The parameters of the model without covariates (r, alpha, ...)."""
        return type(self).param_names

    # ----- fitting --------------------------------------------------------------------------
    def _check_covariates(self, frame: pd.DataFrame) -> list[str]:
        cols = list(self.covariate_columns)
        if not cols:
            return []
        z = covariate_matrix(frame, cols, type(self).__name__, fit=True)
        names = self.purchase_covariates + self.dropout_covariates
        weight = frame["weight"].to_numpy(dtype=float) if "weight" in frame.columns else None
        self._set_coef_scaling(z[:, [cols.index(c) for c in names]], weight)
        return cols

    def _coef_targets(self) -> tuple[tuple[int, float], ...]:
        # searched centred and scaled (coordinates.py): alpha_i = alpha exp(-g_p' z), and the
        # dropout parameter times exp(dropout_sign g_d' z)
        names = self.base_param_names
        purchase = (names.index(self.purchase_scale), -1.0)
        dropout = (
            (names.index(self.dropout_scale), self.dropout_sign) if self.dropout_scale else None
        )
        return (purchase,) * len(self.purchase_covariates) + (dropout,) * len(
            self.dropout_covariates
        )

    def _add_coefficients(self, start: np.ndarray, initial_params) -> np.ndarray:
        """Starting values with the coefficients (0 unless ``initial_params`` names them)."""
        if not self.has_covariates or len(start) == len(self.param_names):
            return start
        coefs = np.zeros(len(self.free_params))
        if isinstance(initial_params, Mapping):
            coefs = np.array([float(initial_params.get(k, 0.0)) for k in self.free_params])
        return np.concatenate([start, coefs])

    def _split(self, params) -> tuple[list, np.ndarray, np.ndarray]:
        k, kp = len(self.base_param_names), len(self.purchase_covariates)
        params = np.asarray(params, dtype=float)
        return [float(v) for v in params[:k]], params[k : k + kp], params[k + kp :]

    def _scales(self, params, zp: np.ndarray, zd: np.ndarray):
        """Base parameters with the per-row scales, and the per-row factors exp(+-g' z)."""
        prm, gp, gd = self._split(params)
        names = self.base_param_names
        fp = fd = None
        if gp.size:
            fp = np.exp(-(zp @ gp))
            prm[names.index(self.purchase_scale)] = prm[names.index(self.purchase_scale)] * fp
        if gd.size:
            fd = np.exp(self.dropout_sign * (zd @ gd))
            prm[names.index(self.dropout_scale)] = prm[names.index(self.dropout_scale)] * fd
        return tuple(prm), fp, fd

    def _covariate_arrays(self, arrays) -> tuple[np.ndarray, np.ndarray]:
        n = arrays["frequency"].shape[0]
        zp = np.column_stack([arrays[c] for c in self.purchase_covariates] or [np.zeros(n)])
        zd = np.column_stack([arrays[c] for c in self.dropout_covariates] or [np.zeros(n)])
        return zp[:, : len(self.purchase_covariates)], zd[:, : len(self.dropout_covariates)]

    def _pieces(self, params, arrays):
        """Log-likelihood per row and its gradient (all parameters), by the chain rule."""
        if not self.has_covariates:
            return self._row_pieces(tuple(float(v) for v in params), arrays)
        zp, zd = self._covariate_arrays(arrays)
        prm, fp, fd = self._scales(params, zp, zd)
        ll, g, *rest = self._row_pieces(prm, arrays)
        names = self.base_param_names
        k, kp = len(names), zp.shape[1]
        grad = np.empty((len(self.param_names), ll.shape[0])).T  # columns contiguous
        grad[:, :k] = g
        if fp is not None:
            i = names.index(self.purchase_scale)
            grad[:, i] = g[:, i] * fp  # d alpha_i / d alpha0
            grad[:, k : k + kp] = -(g[:, i] * prm[i])[:, None] * zp
        if fd is not None:
            i = names.index(self.dropout_scale)
            grad[:, i] = g[:, i] * fd
            grad[:, k + kp :] = self.dropout_sign * (g[:, i] * prm[i])[:, None] * zd
        return (ll, grad, *rest)

    # ----- predictions ------------------------------------------------------------------------
    def _customer_params(self, frame) -> tuple:
        """Each customer's base parameters (floats, or arrays for the scales covariates move)."""
        params = self._p()
        if not self.has_covariates:
            return tuple(params)
        name = type(self).__name__
        cols = list(self.covariate_columns)
        z = dict(zip(cols, covariate_matrix(frame, cols, name, fit=False).T, strict=True))
        n = len(frame)
        zp = np.column_stack([z[c] for c in self.purchase_covariates] or [np.zeros(n)])
        zd = np.column_stack([z[c] for c in self.dropout_covariates] or [np.zeros(n)])
        kp, kd = len(self.purchase_covariates), len(self.dropout_covariates)
        return self._scales(params, zp[:, :kp], zd[:, :kd])[0]

    def _new_customer_params(self, covariates) -> tuple:
        """The base parameters of new customers with the given covariate values."""
        if not self.has_covariates:
            if covariates is not None:
                raise ValueError(f"{type(self).__name__} has no covariates; pass none")
            return tuple(self._p())
        if covariates is None:
            raise ValueError(
                f"{type(self).__name__} has covariates {list(self.covariate_columns)}: a new "
                "customer's prediction needs their values, e.g. covariates={"
                + ", ".join(f"{c!r}: 0" for c in self.covariate_columns)
                + "} or a frame with one row per profile."
            )
        if isinstance(covariates, pd.DataFrame):
            return self._customer_params(covariates)
        frame = pd.DataFrame({k: [v] for k, v in dict(covariates).items()})
        return tuple(v if np.ndim(v) == 0 else float(v[0]) for v in self._customer_params(frame))

    def individual_params(self, data) -> pd.DataFrame:
        """Each customer's own parameters (the base ones with her scales), indexed like ``data``.

        Parameters
        ----------
        data : DataFrame
            Holds the covariate columns (any other columns are ignored).
        """
        self._require_fit()  # type: ignore[attr-defined]
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
        prm = self._customer_params(frame)
        values = {
            k: np.broadcast_to(v, (len(frame),))
            for k, v in zip(self.base_param_names, prm, strict=True)
        }
        return pd.DataFrame(values, index=frame.index)


# ----- reading the coefficients ----------------------------------------------------------------
@dataclass(frozen=True)
class LikelihoodRatioTest:
    """A likelihood-ratio test of a restricted fit against a fuller one on the same customers."""

    statistic: float
    df: int
    p_value: float
    text: str


def likelihood_ratio_test(restricted, full, level: float = 0.05) -> LikelihoodRatioTest:
    """Likelihood-ratio test of nested fits: 2 (log L_full - log L_restricted) against chi-square.

    Parameters
    ----------
    restricted, full : fitted models
        The same model without and with (some) covariates, fitted on the same
        customers (checked: the same ``n_customers``); df is the difference
        in ``n_params``.
    level : float
        The significance level of the verdict.

    Returns
    -------
    LikelihoodRatioTest
        ``statistic``, ``df``, ``p_value`` and a one-sentence ``text``.
    """
    for m in (restricted, full):
        if getattr(m, "loglik", None) is None:
            raise ValueError(f"{type(m).__name__} is not fitted (no log-likelihood)")
    if restricted.n_customers != full.n_customers:
        raise ValueError(
            f"the fits are on different customers ({restricted.n_customers:,} and "
            f"{full.n_customers:,}); a likelihood-ratio test needs the same data"
        )
    df = int(full.n_params - restricted.n_params)
    if df < 1:
        raise ValueError(
            f"the full model must have more parameters than the restricted one "
            f"({full.n_params} against {restricted.n_params})"
        )
    stat = 2.0 * (float(full.loglik) - float(restricted.loglik))
    p = float(stats.chi2.sf(max(stat, 0.0), df))
    extra = [n for n in full.params.index if n not in set(restricted.params.index)]
    shown = ", ".join(extra) if extra else f"{df} parameter(s)"
    if p < level:
        verdict = f"the covariates ({shown}) improve the fit beyond chance at the {level:g} level"
    else:
        verdict = (
            f"no evidence at the {level:g} level that the covariates ({shown}) improve the fit"
        )
    text = f"LR = {stat:.2f} on {df} df, p = {p:.3g}: {verdict}."
    return LikelihoodRatioTest(statistic=stat, df=df, p_value=p, text=text)


#: what exp(coefficient) multiplies, by the coefficient's process (the dropout of BG/NBD and
#: MBG/NBD, whose scale is ``a``, is read as odds: see the module docstring)
RATIO_OF = {
    "purchase": "purchase rate",
    "dropout": "dropout rate",
    "spend": "spend per purchase",
}


def rate_ratios(model, level: float = 0.95) -> pd.DataFrame:
    """The covariate coefficients of a fitted model as ratios with intervals.

    One reading for the count models' coefficients (``purchase:<col>``,
    ``dropout:<col>``: rate ratios, or the odds of dropping out at a purchase
    for BG/NBD and MBG/NBD) and the Gamma-Gamma's (``spend:<col>``: a ratio of
    spend per purchase).

    Parameters
    ----------
    model : fitted BetaGeo, ModifiedBetaGeo, ParetoNBD or GammaGamma with covariates
    level : float
        Coverage of the intervals (normal, on the coefficient's scale).

    Returns
    -------
    DataFrame
        Indexed by coefficient name (``purchase:channel``): ``process``
        (purchase, dropout or spend), ``covariate``, ``coefficient``, ``se``,
        ``ratio`` = exp(coefficient), ``lower``, ``upper`` = exp(coefficient
        -/+ z se), ``meaning`` ("spend per purchase x1.02 per unit of channel").
    """
    if getattr(model, "params", None) is None:
        raise RuntimeError(f"{type(model).__name__} is not fitted: call .fit(data) first")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    # the covariate coefficients: named process:column (the time-varying Pareto/NBD has no
    # free_params list, its params carry the same names)
    names = list(getattr(model, "free_params", None) or [n for n in model.params.index if ":" in n])
    z = float(stats.norm.ppf(0.5 + level / 2))
    se_all = model.standard_errors
    ratio_of = dict(RATIO_OF)
    if getattr(model, "dropout_scale", "") == "a":
        ratio_of["dropout"] = "odds of dropping out at a purchase"
    rows = []
    for name in names:
        process, covariate = name.split(":", 1)
        coef, se = float(model.params[name]), float(se_all[name])
        ratio = float(np.exp(coef))
        rows.append(
            {
                "process": process,
                "covariate": covariate,
                "coefficient": coef,
                "se": se,
                "ratio": ratio,
                "lower": float(np.exp(coef - z * se)),
                "upper": float(np.exp(coef + z * se)),
                "meaning": f"{ratio_of[process]} x{ratio:.2f} per unit of {covariate}",
            }
        )
    columns = ["process", "covariate", "coefficient", "se", "ratio", "lower", "upper", "meaning"]
    return pd.DataFrame(rows, index=pd.Index(names, name="coefficient_name"), columns=columns)
