"""Tables of the CLV report: published values, holdout checks, concentration, simpler methods.

Small pure functions over DataFrames and fitted models that the CLV
notebook (``notebooks/03_clv.ipynb``) displays. The CLV formulas themselves
live in :mod:`analysis.clv` and the models in :mod:`analysis.models`; this
module only arranges them for comparison:

- :data:`PUBLISHED_CDNOW`, :func:`compare_published`, :func:`fit_table`:
  our estimates next to the published ones.
- :func:`holdout_comparison`, :func:`holdout_error_table`,
  :func:`value_errors`: predictions against the holdout, several models at once.
- :func:`concentration`, :func:`method_summary`,
  :func:`mean_by_frequency_recency`: how value is spread over customers.
- :func:`yearly_spend_rate`, :func:`holdout_retention`, :func:`retention_value`,
  :func:`recency_states`, :func:`recency_chain`, :func:`markov_customer_clv`:
  the inputs of the seeds' formula, retention and Markov-chain CLV.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .clv import DAYS_PER_YEAR, markov_clv, retention_clv
from .models.validation import holdout_errors, holdout_table
from .rfm import unit_days
from .validate import DataValidationError

__all__ = [
    "PUBLISHED_CDNOW",
    "compare_published",
    "fit_table",
    "holdout_comparison",
    "holdout_error_table",
    "value_errors",
    "concentration",
    "method_summary",
    "mean_by_frequency_recency",
    "yearly_spend_rate",
    "holdout_retention",
    "retention_value",
    "recency_states",
    "recency_chain",
    "markov_customer_clv",
]

#: Published estimates on the CDNOW 1/10 sample (2,357 customers, weekly,
#: calibration 1997-01-01 to 1997-09-30). BG/NBD: Fader, Hardie & Lee (2005),
#: "Counting your customers the easy way", Marketing Science 24(2).
#: Pareto/NBD: the same paper's comparison and Fader & Hardie's note on
#: implementing the Pareto/NBD. Gamma-Gamma: Fader & Hardie (2013), "The
#: Gamma-Gamma model of monetary value" (946 repeat buyers).
PUBLISHED_CDNOW: dict[str, dict[str, float]] = {
    "BG/NBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik": -9582.4},
    "Pareto/NBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669, "loglik": -9595.0},
    "Gamma-Gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}


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
        order and then ``loglik``; columns ``estimate``, ``std_error``,
        ``published`` and ``difference_pct`` (100 x (estimate - published) / |published|).
    """
    published = published or {}
    rows = []
    for name, model in _models(models).items():
        pub = published.get(name, {})
        se = getattr(model, "standard_errors", None)
        for par, value in model.params.items():
            rows.append((name, par, float(value), float(se[par]) if se is not None else np.nan,
                         pub.get(par, np.nan)))
        rows.append((name, "loglik", float(model.loglik), np.nan, pub.get("loglik", np.nan)))
    table = pd.DataFrame(rows, columns=["model", "parameter", "estimate", "std_error", "published"])
    table["published"] = table["published"].astype(float)
    difference = table["estimate"] - table["published"]
    table["difference_pct"] = 100 * difference / table["published"].abs()
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


def holdout_comparison(models, data: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency: actual and each model's prediction.

    Wraps :func:`analysis.models.holdout_table` for several models.

    Returns
    -------
    DataFrame
        Index ``frequency`` ("0", ..., "7+"), columns ``customers``, ``actual``
        and one column of mean predicted holdout purchases per model.
    """
    tables = {
        name: holdout_table(m, data, max_frequency=max_frequency)
        for name, m in _models(models).items()
    }
    first = next(iter(tables.values()))
    out = first[["customers", "actual"]].copy()
    for name, table in tables.items():
        out[name] = table["predicted"]
    return out


def holdout_error_table(models, data: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.models.holdout_errors` of several models, one row per model."""
    table = pd.DataFrame({name: holdout_errors(m, data) for name, m in _models(models).items()}).T
    table.index.name = "model"
    return table


def value_errors(predicted: pd.DataFrame, actual: pd.Series) -> pd.DataFrame:
    """How well each column of per-customer predictions matches the actual values.

    Parameters
    ----------
    predicted : DataFrame
        One column per method, indexed by customer.
    actual : Series
        The actual value per customer (same index).

    Returns
    -------
    DataFrame
        Index ``method``, columns ``total_predicted``, ``total_actual``,
        ``total_relative_error`` ((predicted - actual) / actual in total),
        ``mae`` (mean absolute error per customer) and ``spearman`` (rank
        correlation of predicted and actual over customers).
    """
    missing = predicted.index.difference(actual.index)
    if len(missing):
        raise DataValidationError(
            f"value_errors: {len(missing)} customer(s) of predicted have no actual value "
            f"(e.g. {list(missing[:5])})."
        )
    actual = actual.reindex(predicted.index).astype(float)
    total_actual = float(actual.sum())
    rows = {}
    for name in predicted.columns:
        p = predicted[name].astype(float)
        total = float(p.sum())
        rows[name] = {
            "total_predicted": total,
            "total_actual": total_actual,
            "total_relative_error": (
                (total - total_actual) / total_actual if total_actual else np.nan
            ),
            "mae": float((p - actual).abs().mean()),
            "spearman": float(p.corr(actual, method="spearman")),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "method"
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
        row = {"customers": int(v.size), "total": float(v.sum()), "mean": float(v.mean()),
               "median": float(v.median())}
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
    rlabels = [f"{lo:.{width}f}-{hi:.{width}f}" for lo, hi in zip(edges[:-1], edges[1:])]
    rgroup = pd.cut(summary["recency"], edges, labels=rlabels, include_lowest=True)
    table = (
        pd.DataFrame(
            {"frequency": fgroup, "recency": rgroup, "value": values.to_numpy(dtype=float)}
        )
        .pivot_table(
            index="frequency", columns="recency", values="value", aggfunc="mean", observed=False
        )
    )
    table.columns = pd.Index([str(c) for c in table.columns], name="recency")
    return table


# ----------------------------------------------------------------------------------------------
# the seeds' simpler methods
# ----------------------------------------------------------------------------------------------
def yearly_spend_rate(summary: pd.DataFrame, time_unit: str = "W") -> pd.Series:
    """Each customer's repeat spend per year: frequency x monetary value / T (in years).

    The first purchase (the acquisition) is left out, as in the
    probabilistic models, which predict repeat purchases. A customer with
    ``T = 0`` gets 0.

    Returns
    -------
    Series
        ``yearly_spend``, indexed like ``summary``.
    """
    years = summary["T"].to_numpy(dtype=float) * unit_days(time_unit) / DAYS_PER_YEAR
    frequency = summary["frequency"].to_numpy(dtype=float)
    spend = frequency * summary["monetary_value"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(years > 0, spend / np.where(years > 0, years, 1.0), 0.0)
    return pd.Series(rate, index=summary.index, name="yearly_spend")


def holdout_retention(summary: pd.DataFrame, time_unit: str = "W") -> pd.Series:
    """Retention estimated from the holdout: the share of calibration customers who buy again in it.

    The share covers the holdout's length; the yearly retention is that
    share raised to the power (one year / holdout length), i.e. the share
    that would survive a year at the same constant hazard. It counts as lost
    everyone who did not buy in the holdout, alive or not, so it is a lower
    bound of the share still alive.

    Returns
    -------
    Series
        ``customers``, ``active_in_holdout`` (share), ``holdout_years`` and
        ``yearly_retention``.
    """
    missing = [c for c in ("frequency_holdout", "duration_holdout") if c not in summary.columns]
    if missing:
        raise DataValidationError(
            f"holdout_retention needs column(s) {missing}; build the summary with "
            "analysis.rfm.summarize(..., calibration_end=...)."
        )
    share = float((summary["frequency_holdout"] > 0).mean())
    years = float(summary["duration_holdout"].max()) * unit_days(time_unit) / DAYS_PER_YEAR
    if years <= 0:
        raise DataValidationError(
            "the holdout has length 0: choose a calibration end before the observation end"
        )
    return pd.Series(
        {"customers": float(len(summary)), "active_in_holdout": share, "holdout_years": years,
         "yearly_retention": share ** (1.0 / years)},
        name="retention",
    )


def retention_value(profit, retention: float, rate: float, years: float):
    """Retention CLV over a finite horizon: sum over t = 1..n of m rho^t / (1 + d)^t.

    The seeds' retention form m rho / (1 + d - rho)
    (:func:`analysis.clv.retention_clv`) counts every future year; over
    ``years`` it is that value times 1 - (rho / (1 + d))^n.

    Parameters
    ----------
    profit : float, array or Series
        Yearly profit m of a retained customer.
    retention : float
        Yearly retention rho.
    rate : float
        Yearly discount rate d.
    years : float
        Horizon n in years.
    """
    factor = 1.0 - (float(retention) / (1.0 + float(rate))) ** float(years)
    value = retention_clv(profit, retention, rate) * factor
    if isinstance(value, pd.Series):
        return value.rename("clv")
    return value


def _ordinals(dates: pd.Series, period: str) -> np.ndarray:
    return pd.PeriodIndex(pd.to_datetime(dates), freq=period).asi8


def recency_states(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
    max_recency: int = 12,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> pd.DataFrame:
    """Every customer's recency state in every calendar period, from the first purchase to the end.

    The state is the number of whole periods since the customer's last
    purchase ("0": bought in this period), capped at ``max_recency``
    ("12+": twelve periods or more). The cap is lowered, when needed, to the
    number of periods observed minus two, the largest state that the data
    show being left (a state never left would be absorbing in
    :func:`recency_chain` only because the log is short). Purchases after ``observation_end`` are
    ignored; the last period is the one holding ``observation_end`` (partly
    observed when it ends inside a period).

    Returns
    -------
    DataFrame
        ``customer_id``, ``period`` (pandas Period), ``state`` (ordered
        categorical "0", "1", ..., "12+"), ``spend`` (total in the period) and
        ``acquisition`` (the period of the first purchase), sorted by customer and period.
    """
    for col in (customer_id, date, amount):
        if col not in transactions.columns:
            raise DataValidationError(
                f"recency_states needs column {col!r}; columns found: {list(transactions.columns)}"
            )
    if int(max_recency) != max_recency or max_recency < 1:
        raise ValueError(f"max_recency must be a whole number >= 1, got {max_recency!r}")
    max_recency = int(max_recency)
    tx = transactions[[customer_id, date, amount]]
    dates = pd.to_datetime(tx[date])
    if observation_end is not None:
        end = pd.Timestamp(observation_end)
        tx = tx.loc[dates.dt.normalize() <= end.normalize()]
        dates = dates.loc[tx.index]
    else:
        end = dates.max()
    if len(tx) == 0:
        raise DataValidationError("recency_states: no purchases up to the observation end")
    end_o = int(pd.Period(end, freq=period).ordinal)
    per = pd.DataFrame({"c": tx[customer_id].to_numpy(), "o": _ordinals(dates, period),
                        "a": tx[amount].to_numpy(dtype=float)})
    spend = per.groupby(["c", "o"], sort=True)["a"].sum()
    first = spend.reset_index().groupby("c", sort=True)["o"].min()
    max_recency = max(1, min(max_recency, end_o - int(first.min()) - 1))
    lengths = (end_o - first.to_numpy() + 1).astype(np.int64)
    cust = np.repeat(first.index.to_numpy(), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ordinal = np.repeat(first.to_numpy(), lengths) + offset
    in_period = spend.reindex(pd.MultiIndex.from_arrays([cust, ordinal]))
    bought = in_period.notna().to_numpy()
    # last purchase period so far: a forward fill, which stays within a customer because
    # every customer's first row is a purchase period
    last = pd.Series(np.where(bought, ordinal, np.nan)).ffill().to_numpy()
    codes = np.minimum(ordinal - last, max_recency).astype(np.int64)
    labels = [str(k) for k in range(max_recency)] + [f"{max_recency}+"]
    return pd.DataFrame(
        {
            customer_id: cust,
            "period": pd.PeriodIndex.from_ordinals(ordinal, freq=period),
            "state": pd.Categorical.from_codes(codes, categories=labels, ordered=True),
            "spend": in_period.fillna(0.0).to_numpy(),
            "acquisition": offset == 0,
        }
    )


def recency_chain(states: pd.DataFrame, margin: float = 1.0, customer_id: str = "customer_id"):
    """Transition matrix and reward per recency state, estimated from :func:`recency_states`.

    ``P[i, j]`` is the share of customer-periods in state i followed by state
    j in the customer's next period. A state never followed by another
    period in the data is made absorbing (it stays where it is, as nothing
    says otherwise). The reward of a state is ``margin``
    times the mean spend of its customer-periods, acquisition periods left
    out (the chain values future, repeat purchases); states other than "0"
    have no purchases, so their reward is 0.

    Returns
    -------
    tuple of (DataFrame, Series)
        ``P`` (states x states, rows sum to 1) and ``R`` (``reward``), labelled by state.
    """
    labels = list(states["state"].cat.categories)
    same = states[customer_id].to_numpy()[1:] == states[customer_id].to_numpy()[:-1]
    frm = states["state"].cat.codes.to_numpy()[:-1][same]
    to = states["state"].cat.codes.to_numpy()[1:][same]
    n = len(labels)
    counts = np.zeros((n, n))
    np.add.at(counts, (frm, to), 1.0)
    totals = counts.sum(axis=1)
    safe = np.where(totals > 0, totals, 1.0)[:, None]
    P = np.where(totals[:, None] > 0, counts / safe, np.eye(n))
    repeat = states.loc[~states["acquisition"]]
    mean_spend = repeat.groupby("state", observed=False)["spend"].mean()
    reward = mean_spend.reindex(labels).fillna(0.0) * float(margin)
    index = pd.Index(labels, name="state")
    return (
        pd.DataFrame(P, index=index, columns=pd.Index(labels)),
        pd.Series(reward.to_numpy(), index=index, name="reward"),
    )


def markov_customer_clv(
    states: pd.DataFrame,
    P: pd.DataFrame,
    R: pd.Series,
    annual_discount_rate: float = 0.10,
    horizon_years: float = 3.0,
    period: str = "M",
    customer_id: str = "customer_id",
) -> pd.Series:
    """Markov-chain CLV of each customer from the recency state of the last period.

    The chain values the periods after the last observed one (t = 1..H,
    ``H = round(horizon_years x periods per year)``), discounted at the
    per-period equivalent of ``annual_discount_rate``
    (:func:`analysis.clv.markov_clv` with ``first_period=1``).

    Returns
    -------
    Series
        ``clv`` indexed by ``customer_id`` (sorted).
    """
    per_year = DAYS_PER_YEAR / unit_days(period)
    horizon = int(round(float(horizon_years) * per_year))
    discount = (1.0 + float(annual_discount_rate)) ** (1.0 / per_year) - 1.0
    values = markov_clv(P, R, discount, horizon=horizon, first_period=1)
    last = states.groupby(customer_id, sort=True)["state"].last()
    out = values.reindex(last.astype(str).to_numpy()).to_numpy()
    return pd.Series(out, index=last.index, name="clv")
