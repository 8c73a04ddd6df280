"""Tables of fitted models: estimates beside published values, fit statistics, the reproduction check.

- :func:`compare_published`, :func:`fit_table`: estimates, standard errors,
  published values, log-likelihood, AIC and BIC.
- :func:`reproduction_fits`, :func:`reproduction_table`: every model fitted to
  the data of its paper, beside the published values, with a pass/fail check
  (the reproduction report, ``notebooks/00_reproduction``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..models import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)
from ..models.published import PUBLISHED, PUBLISHED_CDNOW
from ..models.shifted_beta_geo import RETENTION_EXAMPLE
from ..rfm import repeat_buyers

__all__ = [
    "PUBLISHED_CDNOW",
    "compare_published",
    "fit_table",
    "REPRODUCTION_SIGNIFICANT_FIGURES",
    "REPRODUCTION_LOGLIK_TOLERANCE",
    "reproduction_tolerance",
    "reproduction_fits",
    "reproduction_table",
]


def _models(models) -> dict:
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty mapping of a display name to a fitted model")
    return dict(models)


def compare_published(
    models, published: Mapping[str, Mapping[str, float]] | None = None
) -> pd.DataFrame:
    """Our estimates with standard errors next to published values, parameter by parameter.

    Parameters
    ----------
    models : mapping of str to fitted model
        Each with ``params`` (Series), ``standard_errors`` and ``loglik``.
    published : mapping, optional
        Published values by model name and parameter (``"loglik"`` for the
        log-likelihood); a model or parameter without one gets NaN.

    Returns
    -------
    DataFrame
        MultiIndex (``model``, ``parameter``), the parameters in the model's
        order and then ``loglik``; columns ``estimate``, ``std_error`` and,
        when ``published`` is given, ``published`` and ``difference_pct``
        (100 x (estimate - published) / |published|); without published values
        those two columns are absent rather than empty. When a model is a
        boundary fit (``model.boundary``), a ``note`` column says why each
        flagged parameter is not identified.
    """
    given = bool(published)
    published = published or {}
    rows = []
    for name, model in _models(models).items():
        pub = published.get(name, {})
        se = getattr(model, "standard_errors", None)
        for par, value in model.params.items():
            rows.append(
                (
                    name,
                    par,
                    float(value),
                    float(se[par]) if se is not None else np.nan,
                    pub.get(par, np.nan),
                )
            )
        rows.append((name, "loglik", float(model.loglik), np.nan, pub.get("loglik", np.nan)))
    table = pd.DataFrame(rows, columns=["model", "parameter", "estimate", "std_error", "published"])
    table["published"] = table["published"].astype(float)
    difference = table["estimate"] - table["published"]
    table["difference_pct"] = 100 * difference / table["published"].abs()
    if not given:
        table = table.drop(columns=["published", "difference_pct"])
    notes = [
        (getattr(model, "boundary", None) or {}).get(par, "")
        for model in _models(models).values()
        for par in [*model.params.index, "loglik"]
    ]
    if any(notes):
        table["note"] = notes
    return table.set_index(["model", "parameter"])


def fit_table(models) -> pd.DataFrame:
    """Log-likelihood, number of parameters, AIC and BIC of each model (lower AIC/BIC is better).

    Returns
    -------
    DataFrame
        Index ``model`` (in the given order), columns ``customers``,
        ``parameters``, ``loglik``, ``aic``, ``bic``.
    """
    rows = {
        name: {
            "customers": int(m.n_customers),
            "parameters": len(m.params),
            "loglik": float(m.loglik),
            "aic": float(m.aic),
            "bic": float(m.bic),
        }
        for name, m in _models(models).items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


#: a published parameter is reproduced when the estimate agrees with it to this many
#: significant figures (within half a unit of the last one), the check of the model tests
REPRODUCTION_SIGNIFICANT_FIGURES = 3
#: a published log-likelihood (printed to 1 decimal) is reproduced within this many points,
#: the check of the model tests
REPRODUCTION_LOGLIK_TOLERANCE = 0.05


def reproduction_tolerance(parameter: str, published: float) -> float:
    """Largest difference from a published value still called a reproduction.

    Half a unit of the published value's last significant figure
    (:data:`REPRODUCTION_SIGNIFICANT_FIGURES`) for a parameter,
    :data:`REPRODUCTION_LOGLIK_TOLERANCE` for the log-likelihood: the
    tolerances of ``tests/test_<model>.py``.
    """
    if parameter == "loglik":
        return REPRODUCTION_LOGLIK_TOLERANCE
    if not np.isfinite(published) or published == 0:
        return np.nan
    digits = np.floor(np.log10(abs(published))) - (REPRODUCTION_SIGNIFICANT_FIGURES - 1)
    return 0.5 * 10.0**digits


def reproduction_fits(cdnow_summary: pd.DataFrame) -> dict:
    """Fit every model to the data of its paper: the fits of the reproduction report.

    Parameters
    ----------
    cdnow_summary : DataFrame
        The CDNOW sample summarised in weeks with the calibration to
        1997-09-30 (``rfm.summarize`` of ``data.load_cdnow(sample=True)``).
        The donations (``data.load_donations``) and the two retention cohorts
        (``RETENTION_EXAMPLE``, years 0-7) are loaded here.

    Returns
    -------
    dict
        Key (those of :data:`analysis.models.published.PUBLISHED`, plus
        ``"MBG/NBD CDNOW"``, which has no published fit) -> fitted model.
    """
    from .. import data  # the shipped example data; only this function reads files

    repeat = repeat_buyers(cdnow_summary)
    fits = {
        "BG/NBD CDNOW": BetaGeo().fit(cdnow_summary),
        "Pareto/NBD CDNOW": ParetoNBD().fit(cdnow_summary),
        "MBG/NBD CDNOW": ModifiedBetaGeo().fit(cdnow_summary),
        "Gamma-Gamma CDNOW": GammaGamma().fit(repeat),
        "BG/BB donations": BetaGeoBetaBinom().fit(data.load_donations()),
    }
    for key, cohort in (("sBG regular", "regular"), ("sBG high end", "high_end")):
        survivors = RETENTION_EXAMPLE[cohort].iloc[:8]
        fits[key] = ShiftedBetaGeo().fit(ShiftedBetaGeo.data_from_survival(survivors))
    return fits


def reproduction_table(fits, published=None) -> pd.DataFrame:
    """Every estimate beside its published value, the difference and whether it passes.

    Parameters
    ----------
    fits : mapping of str to fitted model
        Key -> model with ``params`` (Series) and ``loglik``, as from
        :func:`reproduction_fits`.
    published : mapping, optional
        Key -> :class:`analysis.models.published.PublishedFit`; default
        :data:`analysis.models.published.PUBLISHED`. A key without one is
        listed with ``check`` "not published".

    Returns
    -------
    DataFrame
        MultiIndex (``fit``, ``parameter``), the model's parameters then
        ``loglik`` (listed only when published, or for a fit with nothing
        published); columns ``model``, ``estimate``, ``published``,
        ``difference`` (estimate - published), ``difference_pct``,
        ``tolerance`` (:func:`reproduction_tolerance`) and ``check``
        ("pass", "fail" or "not published").
    """
    published = PUBLISHED if published is None else published
    rows = []
    for key, model in _models(fits).items():
        fit = published.get(key)
        values = dict(fit.values) if fit is not None else {}
        name = fit.model if fit is not None else key.split(" ")[0]
        estimates = {
            **{p: float(v) for p, v in model.params.items()},
            "loglik": float(model.loglik),
        }
        for par, estimate in estimates.items():
            if par == "loglik" and values and "loglik" not in values:
                continue
            pub = float(values.get(par, np.nan))
            difference = estimate - pub
            tolerance = reproduction_tolerance(par, pub) if np.isfinite(pub) else np.nan
            if not np.isfinite(pub):
                check = "not published"
            else:
                check = "pass" if abs(difference) <= tolerance + 1e-12 else "fail"
            pct = 100 * difference / abs(pub) if np.isfinite(pub) and pub else np.nan
            rows.append((key, par, name, estimate, pub, difference, pct, tolerance, check))
    columns = ["fit", "parameter", "model", "estimate", "published", "difference"]
    columns += ["difference_pct", "tolerance", "check"]
    return pd.DataFrame(rows, columns=columns).set_index(["fit", "parameter"])
