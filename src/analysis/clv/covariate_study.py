"""The study's comparison of count models with and without customer attributes and a season.

On the calibration cut of the holdout scorecard, each plain count model is set
beside the same model with the customer attributes on both processes
(purchase and dropout; :mod:`analysis.models`), and, when a calendar of
covariates is given and the time-varying Pareto/NBD is available
(:mod:`analysis.models.pareto_nbd_dynamic`), the Pareto/NBD with the calendar's
covariates. :func:`covariate_comparison` tabulates their fit (log-likelihood,
AIC, the likelihood-ratio test against the plain model) and their holdout
error on purchases (:func:`analysis.clv.scorecard`: MAE and total bias);
:func:`holdout_by_quarter` gives actual and expected holdout purchases per
calendar quarter, for the season figure.

The likelihood-ratio statistic is ``2 (LL_full - LL_plain)`` with as many
degrees of freedom as extra parameters, read against a chi-square
(the models are nested: every coefficient zero gives the plain model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NotComputable
from ..models import ParetoNBDDynamic, dynamic_summary, likelihood_ratio_test, rate_ratios
from ..models.convergence import ConvergenceError
from ..units import unit_days
from .scorecard import scorecard

__all__ = [
    "COMPARISON_COLUMNS",
    "CovariateFits",
    "coefficient_ratios",
    "covariate_comparison",
    "fit_covariate_models",
    "holdout_by_quarter",
]

#: the columns of :func:`covariate_comparison`
COMPARISON_COLUMNS: tuple[str, ...] = (
    "covariates",
    "parameters",
    "loglik",
    "aic",
    "lr_statistic",
    "lr_df",
    "lr_p_value",
    "mae",
    "bias",
)


@dataclass
class CovariateFits:
    """The models of the comparison, each with the frame it predicts from.

    Attributes
    ----------
    models : dict
        Row name -> fitted model, plain models first, each followed by its variants.
    frames : dict
        Row name -> the per-customer frame its predictions read (the summary with
        the attribute columns, or the time-varying model's own frame).
    covariates : dict
        Row name -> the covariates in words (``"none"`` for a plain model).
    plain : dict
        Row name -> the plain model it is tested against (itself for a plain one).
    not_fitted : dict
        Row name -> why it is not in the table.
    """

    models: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)
    covariates: dict = field(default_factory=dict)
    plain: dict = field(default_factory=dict)
    not_fitted: dict = field(default_factory=dict)


def _fit(fits: CovariateFits, name: str, make, frame, words: str, plain: str) -> None:
    try:
        fits.models[name] = make().fit(frame)
    except (ConvergenceError, NotComputable, ValueError) as err:
        fits.not_fitted[name] = str(err).strip().rstrip(".")
        return
    except TypeError as err:  # a model class that takes no covariates (e.g. one passed in)
        fits.not_fitted[name] = f"this version of the model takes no covariates ({err})"
        return
    fits.frames[name], fits.covariates[name], fits.plain[name] = frame, words, plain


def fit_covariate_models(
    fitted: Mapping[str, object],
    calibration: pd.DataFrame,
    columns: Sequence[str] = (),
    *,
    transactions: pd.DataFrame | None = None,
    calendar: pd.DataFrame | None = None,
    calibration_end=None,
    time_unit: str = "W",
    customer_id: str = "customer_id",
    date: str = "date",
) -> CovariateFits:
    """Each plain model of ``fitted`` beside its variants with attributes and with a season.

    Parameters
    ----------
    fitted : mapping of str to fitted count model
        The plain models, fitted on ``calibration`` (e.g. ``{"BG/NBD": ...}``).
    calibration : DataFrame
        :func:`analysis.rfm.summarize` at the calibration end with the attribute
        columns (:func:`analysis.attributes.with_attributes`).
    columns : sequence of str
        The attribute columns, put on both the purchase and the dropout process.
    transactions, calendar, calibration_end :
        The log, a calendar of covariates (:func:`analysis.attributes.load_calendar`)
        and the calibration end: with a calendar, the time-varying Pareto/NBD
        (season, then season and attributes) when its module is present.
    time_unit : str
        The models' time unit.

    Returns
    -------
    CovariateFits
        A variant that cannot be fitted is named in ``not_fitted`` with its reason.
    """
    fits = CovariateFits()
    columns = list(columns)
    named = ", ".join(columns)
    for name, model in fitted.items():
        fits.models[name], fits.frames[name] = model, calibration
        fits.covariates[name], fits.plain[name] = "none", name
        if columns:
            kind = type(model)
            _fit(
                fits,
                f"{name} + attributes",
                lambda kind=kind: kind(purchase_covariates=columns, dropout_covariates=columns),
                calibration,
                f"{named} (purchase and dropout)",
                name,
            )
    if calendar is None or "Pareto/NBD" not in fitted:
        return fits
    season = list(calendar.columns)
    frame = dynamic_summary(
        transactions,
        calendar,
        customer_id_col=customer_id,
        datetime_col=date,
        observation_end=calibration_end,
        time_unit=time_unit,
        attributes=calibration[columns] if columns else None,
    )
    variants = [("Pareto/NBD + season", (), f"{', '.join(season)} (purchase and dropout)")]
    if columns:
        variants.append(
            ("Pareto/NBD + season + attributes", columns, f"{', '.join(season)}; {named}")
        )
    for name, static, words in variants:
        _fit(
            fits,
            name,
            lambda static=static: ParetoNBDDynamic(
                calendar,
                calendar_covariates=season,
                purchase_covariates=static,
                dropout_covariates=static,
            ),
            frame,
            words,
            "Pareto/NBD",
        )
    return fits


def _holdout_time(calibration_end, observation_end, time_unit: str) -> float:
    days = (
        pd.Timestamp(observation_end).normalize() - pd.Timestamp(calibration_end).normalize()
    ).days
    if days <= 0:
        raise ValueError("observation_end must fall after calibration_end: the holdout is between")
    return days / unit_days(time_unit)


def covariate_comparison(
    fits: CovariateFits,
    actual: pd.Series,
    *,
    calibration_end,
    observation_end,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Fit and holdout error of every model of ``fits``: one row per model.

    Parameters
    ----------
    fits : CovariateFits
    actual : Series
        Each calibration customer's holdout purchases (``frequency_holdout``).
    calibration_end, observation_end : date-like
        The holdout runs between them.
    time_unit : str
        The models' time unit.

    Returns
    -------
    DataFrame
        Index ``model``, columns :data:`COMPARISON_COLUMNS`: the covariates in
        words, the number of parameters, log-likelihood, AIC, the likelihood-ratio
        statistic, its degrees of freedom and p-value against the plain model (NaN
        on a plain model's row), and the holdout MAE (purchases per customer) and
        total bias (``sum predicted / sum actual - 1``) of the expected purchases.
    """
    t = _holdout_time(calibration_end, observation_end, time_unit)
    rows = {}
    for name, model in fits.models.items():
        plain = fits.models[fits.plain[name]]
        predicted = model.expected_purchases(fits.frames[name], t=t)
        score = scorecard(actual.astype(float), predicted.reindex(actual.index))
        tested = name != fits.plain[name] and model.n_params > plain.n_params
        lr = likelihood_ratio_test(plain, model) if tested else None
        rows[name] = {
            "covariates": fits.covariates[name],
            "parameters": int(model.n_params),
            "loglik": float(model.loglik),
            "aic": float(model.aic),
            "lr_statistic": max(lr.statistic, 0.0) if lr else np.nan,
            "lr_df": lr.df if lr else np.nan,
            "lr_p_value": lr.p_value if lr else np.nan,
            "mae": float(score["mae"]),
            "bias": float(score["bias"]),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")[list(COMPARISON_COLUMNS)]
    out.index.name = "model"
    return out


def holdout_by_quarter(
    fits: CovariateFits,
    names: Sequence[str],
    transactions: pd.DataFrame,
    *,
    calibration_end,
    observation_end,
    time_unit: str = "W",
    customer_id: str = "customer_id",
    date: str = "date",
) -> pd.DataFrame:
    """Actual and expected holdout purchases of the calibration customers, by calendar quarter.

    Purchases on one day count once (as in the summary). A model's expected
    purchases in a quarter are the difference of its expected cumulative
    purchases since the calibration end at the quarter's two ends; the first and
    last quarters are cut at the holdout's ends.

    Returns
    -------
    DataFrame
        Index ``quarter`` (e.g. ``2008Q3``), columns ``actual`` and one per name of ``names``.
    """
    cal = pd.Timestamp(calibration_end).normalize()
    end = pd.Timestamp(observation_end).normalize()
    _holdout_time(cal, end, time_unit)
    bounds = pd.date_range(cal, end, freq="QE").union([end]).unique()
    bounds = bounds[bounds > cal]
    labels = pd.PeriodIndex(bounds, freq="Q").astype(str)
    days = pd.DataFrame(
        {
            "c": transactions[customer_id].to_numpy(),
            "d": pd.to_datetime(transactions[date]).dt.normalize().to_numpy(),
        }
    ).drop_duplicates()
    first = next(iter(fits.frames.values())).index
    days = days[days["c"].isin(first) & (days["d"] > cal) & (days["d"] <= end)]
    quarter = pd.PeriodIndex(days["d"], freq="Q").astype(str)
    out = pd.DataFrame(
        {"actual": days.groupby(quarter).size().reindex(labels, fill_value=0).astype(float)}
    )
    times = np.asarray((bounds - cal).days, dtype=float) / unit_days(time_unit)
    for name in names:
        model, frame = fits.models[name], fits.frames[name]
        cumulative = np.array([float(model.expected_purchases(frame, t=t).sum()) for t in times])
        out[name] = np.diff(cumulative, prepend=0.0)
    out.index = pd.Index(labels, name="quarter")
    return out


def coefficient_ratios(model, level: float = 0.95) -> pd.DataFrame:
    """A model's covariate coefficients as rate ratios: :func:`analysis.models.rate_ratios`."""
    return rate_ratios(model, level=level)
