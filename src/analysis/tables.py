"""Tables of the CLV report: our estimates next to the published ones, and how value is spread.

Small pure functions over DataFrames and fitted models that the CLV notebook
(``notebooks/03_clv.ipynb``) displays; the CLV itself is in
:mod:`analysis.clv`, the holdout evaluation in :mod:`analysis.models.validation`
and the published values in :mod:`analysis.models.published`.

- :func:`compare_published`, :func:`fit_table`: estimates, standard errors,
  published values, log-likelihood, AIC and BIC.
- :func:`concentration`, :func:`method_summary`,
  :func:`mean_by_frequency_recency`: how value is spread over customers.
- :func:`stage_value_comparison`: the stage chain's CLV beside the customer
  table's, stage by stage (the segments report).
- :func:`reproduction_fits`, :func:`reproduction_table`: every model fitted to
  the data of its paper, beside the published values, with a pass/fail check
  (the reproduction report, ``notebooks/00_reproduction``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .models import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)
from .models.published import PUBLISHED, PUBLISHED_CDNOW
from .models.shifted_beta_geo import RETENTION_EXAMPLE

__all__ = [
    "PUBLISHED_CDNOW",
    "compare_published",
    "fit_table",
    "concentration",
    "method_summary",
    "mean_by_frequency_recency",
    "stage_value_comparison",
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


def concentration(values: pd.Series) -> pd.DataFrame:
    """Concentration (Lorenz) curve: the share of total value held by the most valuable customers.

    Customers are sorted by value, largest first; row k gives the share of
    customers in the top k and the share of the total value they hold (row 0
    is the origin). Negative values are kept (the curve can then exceed 1
    before it comes back).

    Returns
    -------
    DataFrame
        Index 0..n, columns ``share_of_customers`` and ``share_of_value``.
    """
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    if len(v) == 0 or not np.all(np.isfinite(v)):
        raise ValueError("concentration needs at least one value, all finite")
    total = v.sum()
    if total == 0:
        raise ValueError("concentration: the values sum to 0, so shares are undefined")
    return pd.DataFrame(
        {
            "share_of_customers": np.arange(len(v) + 1) / len(v),
            "share_of_value": np.r_[0.0, np.cumsum(v)] / total,
        }
    )


def method_summary(values: pd.DataFrame, top: tuple[float, ...] = (0.1, 0.2)) -> pd.DataFrame:
    """Total, mean and median value per method, and the share of value held by the top customers.

    Parameters
    ----------
    values : DataFrame
        One column of per-customer value per method.
    top : tuple of float
        Shares of customers; the top ``round(share * n)`` customers (at least one) are counted.

    Returns
    -------
    DataFrame
        Index ``method``, columns ``customers``, ``total``, ``mean``,
        ``median`` and ``top_10%``, ``top_20%``, ... (shares of the total).
    """
    rows = {}
    for name in values.columns:
        v = values[name].astype(float)
        curve = concentration(v)["share_of_value"].to_numpy()
        row = {
            "customers": int(v.size),
            "total": float(v.sum()),
            "mean": float(v.mean()),
            "median": float(v.median()),
        }
        for share in top:
            k = max(1, int(round(share * v.size)))
            row[f"top_{share:.0%}"] = float(curve[k])
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "method"
    return table


def mean_by_frequency_recency(
    summary: pd.DataFrame, values: pd.Series, max_frequency: int = 7, recency_bins: int = 6
) -> pd.DataFrame:
    """Mean of a per-customer value by frequency (rows) and recency (columns) groups.

    Frequencies at or above ``max_frequency`` form one group ("7+");
    recency is cut into ``recency_bins`` equal intervals from 0 to the
    largest ``T``. Cells without customers are NaN.

    Returns
    -------
    DataFrame
        Index ``frequency`` ("0", ..., "7+"), columns the recency intervals (strings).
    """
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise ValueError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}")
    values = values.reindex(summary.index)
    freq = np.minimum(summary["frequency"].to_numpy(dtype=np.int64), int(max_frequency))
    labels = [str(k) for k in range(int(max_frequency))] + [f"{int(max_frequency)}+"]
    fgroup = pd.Categorical.from_codes(freq, categories=labels, ordered=True)
    top = float(summary["T"].max())
    edges = np.linspace(0.0, top if top > 0 else 1.0, int(recency_bins) + 1)
    width = int(max(0, -np.floor(np.log10(edges[1] - edges[0])))) if edges[1] > edges[0] else 0
    rlabels = [
        f"{lo:.{width}f}-{hi:.{width}f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)
    ]
    rgroup = pd.cut(summary["recency"], edges, labels=rlabels, include_lowest=True)
    table = pd.DataFrame(
        {"frequency": fgroup, "recency": rgroup, "value": values.to_numpy(dtype=float)}
    ).pivot_table(
        index="frequency", columns="recency", values="value", aggfunc="mean", observed=False
    )
    table.columns = pd.Index([str(c) for c in table.columns], name="recency")
    return table


def stage_value_comparison(
    chain: pd.DataFrame, table: pd.DataFrame, *, value: str = "clv_net"
) -> pd.DataFrame:
    """A customer's value by stage two ways: the stage chain's CLV and the customer table's mean.

    Parameters
    ----------
    chain : DataFrame
        :func:`analysis.lifecycle.stage_clv` output: indexed by stage, with
        ``customers`` (now in the stage) and ``clv`` (per customer, currency).
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`) with
        ``stage`` and ``value``, built from the same log, period and
        observation end, so that both count the same customers per stage.
    value : str
        The table's value per customer: ``clv_net`` by default.

    Returns
    -------
    DataFrame
        Indexed by stage (the chain's order) and a last row ``all``:
        ``customers``, ``chain_clv`` (per customer), ``table_clv`` (mean per
        customer; NaN for a stage without customers), ``ratio``
        (``table_clv / chain_clv``), ``chain_total`` and ``table_total``. In
        the ``all`` row the per-customer values are the totals over the
        customers.

    Raises
    ------
    ValueError
        When the two count different customers in a stage (built from
        different data or settings).
    """
    for frame, columns, what in (
        (chain, ("customers", "clv"), "chain (lifecycle.stage_clv)"),
        (table, ("stage", value), "table (customer_table)"),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"stage_value_comparison: the {what} lacks column(s) {missing}")
    stages = list(chain.index)
    grouped = table[value].astype(float).groupby(table["stage"].astype(str))
    counts = grouped.size().reindex(stages, fill_value=0).astype(np.int64)
    chain_counts = chain["customers"].astype(np.int64)
    if not counts.equals(chain_counts.rename(counts.name).rename_axis(counts.index.name)):
        raise ValueError(
            "stage_value_comparison: the chain and the table count different customers per stage "
            f"(chain {chain_counts.to_dict()}, table {counts.to_dict()}); build both from the same "
            "log with the same period and observation_end"
        )
    out = pd.DataFrame(
        {
            "customers": counts.to_numpy(),
            "chain_clv": chain["clv"].astype(float).to_numpy(),
            "table_total": grouped.sum().reindex(stages, fill_value=0.0).to_numpy(),
        },
        index=pd.Index([str(s) for s in stages], name="stage"),
    )
    out["chain_total"] = out["customers"] * out["chain_clv"]
    n = int(out["customers"].sum())
    chain_total, table_total = out["chain_total"].sum(), out["table_total"].sum()
    out.loc["all"] = [n, chain_total / n if n else np.nan, table_total, chain_total]
    out["customers"] = out["customers"].astype(np.int64)
    out["table_clv"] = out["table_total"] / out["customers"].where(out["customers"] > 0)
    out["ratio"] = out["table_clv"] / out["chain_clv"]
    return out[["customers", "chain_clv", "table_clv", "ratio", "chain_total", "table_total"]]


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
    from . import data  # the shipped example data; only this function reads files

    repeat = cdnow_summary.loc[
        cdnow_summary["frequency"].gt(0) & cdnow_summary["monetary_value"].gt(0)
    ]
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
