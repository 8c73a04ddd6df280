"""A holdout scorecard of customer-level predictions: ranking, calibration by decile and level.

:func:`scorecard` scores one prediction per customer against the actual
value with six measures (``docs/scorecard.md``):

- ``gini``: normalised Gini. Sort the customers by prediction, highest
  first (a stable sort: tied predictions keep their input order) and draw
  the cumulative share of the actual total held by the first k customers
  against k / n. The Gini of that curve is twice the area between it and
  the diagonal (the curve is joined by straight lines from (0, 0), so
  ``G = (2 S - 1) / n - 1`` with ``S`` the sum of the n cumulative
  shares). ``gini`` is G of the sort by prediction divided by G of the sort
  by actual: 1 for a perfect ranking, about 0 for a random one, negative for
  a ranking worse than random (-1 when the values are distinct and the sort
  exactly reversed).
- ``spearman``: rank correlation of prediction and actual (tied values
  share their mean rank).
- ``decile_mape``: the customers cut into ten deciles of predicted rank
  (rank 1 the highest prediction, ties in input order, ``pandas.qcut`` of
  the rank: equal counts, decile 1 the top); per decile
  ``|mean predicted - mean actual| / mean actual``, averaged over the
  deciles (the denominator's absolute value, should returns make a mean
  negative). A decile whose mean actual is 0 is left out (its relative
  error is undefined); NaN when every decile is.
- ``mae``: mean absolute error per customer, ``mean |predicted - actual|``.
- ``bias``: ``sum predicted / sum actual - 1`` (+0.10: 10% too high in total).
- ``top_decile_share``: share of the actual total held by decile 1 (the
  top 10% by prediction).

Higher is better for ``gini``, ``spearman`` and ``top_decile_share``;
lower for ``decile_mape``, ``mae`` and ``|bias|`` (:data:`HIGHER_IS_BETTER`).
A prediction that is a score (it ranks customers but is no forecast of the
value) is scored with ``levels=False``: its level measures are NaN.

:func:`holdout_predictions` sets every method back to the calibration end
and predicts each customer's holdout purchases and spend: the fitted count
models (spend = expected purchases x expected spend per purchase,
undiscounted) and three baselines (:data:`BASELINES`): the spend-rate rule,
the last period carried forward and the RFM score.
:func:`holdout_scorecard` scores them all (:func:`score_predictions`),
:func:`prediction_deciles` gives their decile tables for a calibration figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..engines.kernel import day_numbers
from ..ranks import midranks
from ..units import DAYS_PER_YEAR
from .backtest import holdout_revenue
from .model import customer_lifetime_value

__all__ = [
    "MEASURES",
    "LEVEL_MEASURES",
    "HIGHER_IS_BETTER",
    "TARGETS",
    "BASELINES",
    "RANKING_ONLY",
    "DECILES",
    "RFM_BINS",
    "scorecard",
    "decile_table",
    "holdout_predictions",
    "score_predictions",
    "prediction_deciles",
    "holdout_scorecard",
]

#: the measures of :func:`scorecard`, in its order
MEASURES: tuple[str, ...] = (
    "gini",
    "spearman",
    "decile_mape",
    "mae",
    "bias",
    "top_decile_share",
)
#: the measures of a predicted level (NaN for a ranking-only score)
LEVEL_MEASURES: tuple[str, ...] = ("decile_mape", "mae", "bias")
#: the direction of each measure: True where higher is better; ``bias`` is best at 0 (lowest |bias|)
HIGHER_IS_BETTER: dict[str, bool] = {
    "gini": True,
    "spearman": True,
    "decile_mape": False,
    "mae": False,
    "bias": False,
    "top_decile_share": True,
}
#: what is predicted: purchase days in the holdout, and holdout spend
TARGETS: tuple[str, ...] = ("purchases", "spend")
#: the simple methods every model is scored against, in table order
BASELINES: tuple[str, ...] = ("spend rate", "last period", "RFM score")
#: the methods whose prediction is a ranking score, not a level
RANKING_ONLY: tuple[str, ...] = ("RFM score",)
#: number of groups of predicted rank (deciles)
DECILES: int = 10
#: score levels of each of R, F and M in the RFM score (quintiles)
RFM_BINS: int = 5
# a Gini of the best order this close to 0 means equal actual values (float noise of the cumulative sum)
_FLAT = 1e-12


def _as_values(values, name: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold numbers, one per customer") from None
    if out.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (one value per customer), got shape {out.shape}"
        )
    return out


def _pair(actual, predicted) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """The two inputs as float arrays in ``actual``'s order, checked; and the customers' labels.

    Two Series are aligned on their index (the order of ``actual``); otherwise
    values are paired by position.
    """
    if isinstance(actual, pd.Series) and isinstance(predicted, pd.Series):
        for series, name in ((actual, "actual"), (predicted, "predicted")):
            if not series.index.is_unique:
                dup = series.index[series.index.duplicated()].unique()
                raise ValueError(
                    f"{name} has {len(dup)} duplicated customer id(s) (e.g. {list(dup[:5])}); "
                    "give one value per customer"
                )
        only_a = actual.index.difference(predicted.index)
        only_p = predicted.index.difference(actual.index)
        if len(only_a) or len(only_p):
            raise ValueError(
                f"actual and predicted are Series of different customers: {len(only_a)} only in "
                f"actual (e.g. {list(only_a[:5])}), {len(only_p)} only in predicted "
                f"(e.g. {list(only_p[:5])}); score the same customers"
            )
        predicted = predicted.reindex(actual.index)
    index = actual.index if isinstance(actual, pd.Series) else None
    a, p = _as_values(actual, "actual"), _as_values(predicted, "predicted")
    if len(a) != len(p):
        raise ValueError(
            f"actual has {len(a)} values and predicted {len(p)}: give one of each per customer"
        )
    if len(a) == 0:
        raise ValueError("actual and predicted are empty: there is no customer to score")
    labels = index if index is not None else pd.RangeIndex(len(a))
    for values, name in ((a, "actual"), (p, "predicted")):
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"{name} is missing (NaN) or infinite for {int(bad.sum())} customer(s) "
                f"(e.g. {list(labels[bad][:5])}); fill or drop them before scoring"
            )
    return a, p, labels


def _curve_gini(actual_sorted: np.ndarray) -> float:
    """Twice the area between the cumulative-share curve of ``actual_sorted`` and the diagonal."""
    total = actual_sorted.sum()
    shares = np.cumsum(actual_sorted) / total
    return float((2.0 * shares.sum() - 1.0) / len(shares) - 1.0)


def _spearman(a: np.ndarray, p: np.ndarray) -> float:
    """Pearson correlation of the mid-ranks; NaN when either side takes one value (no ranking)."""
    if np.ptp(a) == 0 or np.ptp(p) == 0:
        return float("nan")
    return float(np.corrcoef(midranks(a), midranks(p))[0, 1])


def _deciles(predicted: np.ndarray) -> np.ndarray:
    """Decile 1 (top) .. 10 of each customer's predicted rank, ties in input order."""
    if len(predicted) == 1:  # one customer: qcut cannot cut one value, and she is the top
        return np.ones(1, dtype=int)
    order = np.argsort(-predicted, kind="stable")
    rank = np.empty(len(predicted), dtype=float)
    rank[order] = np.arange(1, len(predicted) + 1)
    return pd.qcut(rank, DECILES, labels=False).astype(int) + 1


def decile_table(actual, predicted) -> pd.DataFrame:
    """Customers, mean prediction and mean actual value per decile of predicted rank (1 = top).

    Parameters
    ----------
    actual, predicted : Series or array-like
        One value per customer; two Series are aligned on their index.

    Returns
    -------
    DataFrame
        Index ``decile`` (1 = the highest predictions; with fewer than ten
        customers some deciles are empty and absent), columns ``customers``
        (int), ``mean_predicted`` and ``mean_actual``.
    """
    a, p, _ = _pair(actual, predicted)
    return _decile_means(a, p, _deciles(p))


def _decile_means(a: np.ndarray, p: np.ndarray, deciles: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"decile": deciles, "predicted": p, "actual": a})
    grouped = frame.groupby("decile", sort=True)
    out = pd.DataFrame(
        {
            "customers": grouped.size().astype(np.int64),
            "mean_predicted": grouped["predicted"].mean(),
            "mean_actual": grouped["actual"].mean(),
        }
    )
    out.index.name = "decile"
    return out


def scorecard(actual, predicted, *, levels: bool = True) -> pd.Series:
    """Six measures of how well ``predicted`` ranks and levels the customers' ``actual`` values.

    Parameters
    ----------
    actual : Series or array-like
        The actual value per customer (holdout purchases or spend).
    predicted : Series or array-like
        The prediction per customer. Two Series are aligned on their index
        and must hold the same customers; ties are broken by the order of
        ``actual`` (a stable sort), see the module docstring.
    levels : bool
        False when ``predicted`` is a ranking score, not a forecast of the
        value: ``decile_mape``, ``mae`` and ``bias`` are then NaN.

    Returns
    -------
    Series
        Named ``score``, index :data:`MEASURES`. ``gini`` is NaN when the
        actual values are all equal (no ranking to find), ``spearman`` when
        either side takes one value; the measures that
        divide by the actual total (``gini``, ``bias``, ``top_decile_share``)
        are NaN when it is 0.

    Raises
    ------
    ValueError
        When the inputs differ in length or customers, are empty, or hold
        NaN or infinite values (naming the customers).
    """
    a, p, _ = _pair(actual, predicted)
    total = float(a.sum())
    out = dict.fromkeys(MEASURES, np.nan)
    if total != 0:
        best = _curve_gini(np.sort(a)[::-1])
        if abs(best) > _FLAT:
            out["gini"] = _curve_gini(a[np.argsort(-p, kind="stable")]) / best
    out["spearman"] = _spearman(a, p)
    deciles = _deciles(p)
    if total != 0:
        out["top_decile_share"] = float(a[deciles == 1].sum() / total)
    if levels:
        table = _decile_means(a, p, deciles)
        judged = table[table["mean_actual"] != 0]
        if len(judged):
            gap = (judged["mean_predicted"] - judged["mean_actual"]).abs()
            out["decile_mape"] = float((gap / judged["mean_actual"].abs()).mean())
        out["mae"] = float(np.abs(p - a).mean())
        if total != 0:
            out["bias"] = float(p.sum() / total - 1.0)
    return pd.Series(out, name="score", dtype=float)


def _calibration_log(
    transactions: pd.DataFrame,
    customers: pd.Index,
    cal_day: int,
    holdout_days: int,
    columns: tuple[str, str, str],
) -> pd.DataFrame:
    """Per customer, from the purchases up to the calibration end: what the baselines need.

    Purchases on one day are one purchase day (their amounts summed), as in
    :func:`analysis.rfm.summarize`. Columns ``purchase_days``, ``revenue``,
    ``first_day``, ``last_day`` (day numbers), ``last_purchase_days`` and
    ``last_revenue`` (in the ``holdout_days`` ending at the calibration end).
    """
    customer_id, date, amount = columns
    missing = [c for c in columns if c not in transactions.columns]
    if missing:
        raise ValueError(
            f"transactions lack the column(s) {missing}; name the columns with "
            "customer_id=, date=, amount="
        )
    days = day_numbers(transactions[date])
    keep = days <= cal_day
    log = pd.DataFrame(
        {
            "customer": transactions[customer_id].to_numpy()[keep],
            "day": days[keep],
            "amount": pd.to_numeric(transactions[amount]).to_numpy(dtype=float)[keep],
        }
    )
    daily = log.groupby(["customer", "day"], sort=True)["amount"].sum().reset_index()
    per = daily.groupby("customer", sort=True)
    out = pd.DataFrame(
        {
            "purchase_days": per.size(),
            "revenue": per["amount"].sum(),
            "first_day": per["day"].min(),
            "last_day": per["day"].max(),
        }
    )
    recent = daily[daily["day"] > cal_day - holdout_days].groupby("customer")
    out["last_purchase_days"] = recent.size()
    out["last_revenue"] = recent["amount"].sum()
    lacking = customers.difference(out.index)
    if len(lacking):
        raise ValueError(
            f"{len(lacking)} customer(s) of calibration have no purchase in transactions up to "
            f"calibration_end (e.g. {list(lacking[:5])}): summarise the same log with the same "
            "calibration_end"
        )
    return out.reindex(customers).fillna({"last_purchase_days": 0, "last_revenue": 0.0})


def _quantile_score(values: pd.Series, lower_is_better: bool = False) -> pd.Series:
    """1 (worst) .. :data:`RFM_BINS` (best): ``1 + floor(bins x customers strictly worse / n)``.

    Tied customers share the score of the first of them, so the score never
    depends on row order (the rule of ``analysis.segments.rfm_score``, which
    sits above this module in the package's layers).
    """
    worse = values.rank(method="min", ascending=not lower_is_better).to_numpy() - 1
    return pd.Series(1 + (RFM_BINS * worse.astype(np.int64)) // len(values), index=values.index)


def _check_dates(calibration_end, observation_end) -> tuple[int, int]:
    cal = pd.Timestamp(calibration_end).normalize()
    end = pd.Timestamp(observation_end).normalize()
    if end <= cal:
        raise ValueError(
            f"observation_end {end.date()} must fall after calibration_end {cal.date()}: "
            "the holdout is the time between them"
        )
    cal_day = int(np.datetime64(cal, "D").astype(np.int64))
    return cal_day, int((end - cal).days)


def holdout_predictions(
    transactions: pd.DataFrame,
    calibration: pd.DataFrame,
    fitted: Mapping[str, object],
    spend_model,
    *,
    calibration_end,
    observation_end,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> dict[str, pd.DataFrame]:
    """Every method's prediction of each customer's holdout purchases and spend, from calibration data.

    Parameters
    ----------
    transactions : DataFrame
        The log (:func:`analysis.data.load_transactions`); only the purchases
        up to ``calibration_end`` are read.
    calibration : DataFrame
        :func:`analysis.rfm.summarize` of ``transactions`` with
        ``calibration_end`` and ``observation_end`` (``frequency_holdout``,
        ``monetary_value_holdout``).
    fitted : mapping of str to count model
        Display name -> a count model fitted on ``calibration`` (BG/NBD,
        Pareto/NBD, MBG/NBD; :func:`analysis.clv.fit_models`).
    spend_model : GammaGamma, float or Series
        Spend per purchase: a fitted Gamma-Gamma, or what
        :func:`analysis.clv.observed_spend` returns.
    calibration_end, observation_end : date-like
        The last day of the calibration period and of the holdout.
    customer_id, date, amount : str
        Column names of ``transactions``.

    Returns
    -------
    dict of str to DataFrame
        For each target of :data:`TARGETS`, a frame indexed like
        ``calibration``: ``actual`` (``frequency_holdout``, the purchase
        days of the holdout; the holdout spend of
        :func:`analysis.clv.holdout_revenue`), one column per model of
        ``fitted`` (its expected purchases over the holdout; times the
        expected spend per purchase, undiscounted), then the baselines of
        :data:`BASELINES`, each counting purchases as purchase days:

        - ``spend rate``: calibration revenue (purchase days, the first
          included) / (days from the first purchase to ``calibration_end``
          + 1) x holdout days;
        - ``last period``: the revenue (purchase days) of the last stretch
          of the calibration as long as the holdout, ending at
          ``calibration_end``, carried forward unchanged;
        - ``RFM score``: R + F + M, each 1..:data:`RFM_BINS` by quintile of
          days since the last purchase (fewer is better), calibration
          purchase days and calibration revenue; a ranking score (3 to 15),
          the same for both targets.
    """
    clash = [name for name in fitted if name in ("actual", *BASELINES)]
    if clash:
        raise ValueError(f"model name(s) {clash} are taken by the scorecard's columns; rename them")
    cal_day, holdout_days = _check_dates(calibration_end, observation_end)
    actual_spend = holdout_revenue(calibration)
    log = _calibration_log(
        transactions, calibration.index, cal_day, holdout_days, (customer_id, date, amount)
    )
    if not np.array_equal(log["purchase_days"].to_numpy(), calibration["frequency"].to_numpy() + 1):
        raise ValueError(
            "the purchase days in transactions up to calibration_end do not match calibration's "
            "frequency + 1: summarise the same log with the same calibration_end"
        )
    purchases = pd.DataFrame({"actual": calibration["frequency_holdout"].astype(float)})
    spend = pd.DataFrame({"actual": actual_spend.astype(float)})
    for name, model in fitted.items():
        # undiscounted, margin 1: expected purchases over the holdout x spend per purchase
        value = customer_lifetime_value(
            model,
            spend_model,
            calibration,
            horizon_years=holdout_days / DAYS_PER_YEAR,
            annual_discount_rate=0.0,
            margin=1.0,
        )
        purchases[name] = value["expected_purchases"]
        spend[name] = value["clv"]
    lifetime_days = (cal_day - log["first_day"] + 1).astype(float)
    purchases["spend rate"] = log["purchase_days"] / lifetime_days * holdout_days
    spend["spend rate"] = log["revenue"] / lifetime_days * holdout_days
    purchases["last period"] = log["last_purchase_days"].astype(float)
    spend["last period"] = log["last_revenue"].astype(float)
    rfm = (
        _quantile_score(cal_day - log["last_day"], lower_is_better=True)
        + _quantile_score(log["purchase_days"])
        + _quantile_score(log["revenue"])
    ).astype(float)
    purchases["RFM score"] = rfm
    spend["RFM score"] = rfm
    return {"purchases": purchases, "spend": spend}


def _methods(frame: pd.DataFrame, target: str) -> list[str]:
    if "actual" not in frame.columns:
        raise ValueError(f"the {target} predictions lack the 'actual' column")
    return [c for c in frame.columns if c != "actual"]


def score_predictions(
    predictions: Mapping[str, pd.DataFrame], *, ranking_only: Sequence[str] = RANKING_ONLY
) -> pd.DataFrame:
    """The scorecard of every method of :func:`holdout_predictions`, per target.

    Parameters
    ----------
    predictions : mapping of str to DataFrame
        Target -> frame with ``actual`` and one column per method.
    ranking_only : sequence of str
        Methods whose prediction is a score: their level measures are NaN.

    Returns
    -------
    DataFrame
        Index (``target``, ``method``) in the order given, columns :data:`MEASURES`.
    """
    rows = {
        (target, method): scorecard(
            frame["actual"], frame[method], levels=method not in ranking_only
        )
        for target, frame in predictions.items()
        for method in _methods(frame, target)
    }
    out = pd.DataFrame.from_dict(rows, orient="index")[list(MEASURES)]
    out.index = pd.MultiIndex.from_tuples(out.index, names=["target", "method"])
    return out


def prediction_deciles(
    predictions: Mapping[str, pd.DataFrame], *, ranking_only: Sequence[str] = RANKING_ONLY
) -> pd.DataFrame:
    """:func:`decile_table` of every method that predicts a level, per target (a calibration figure).

    Returns
    -------
    DataFrame
        Index (``target``, ``method``, ``decile``), columns ``customers``,
        ``mean_predicted``, ``mean_actual``; the ``ranking_only`` methods are
        left out (their scores are no level to set beside the actual one).
    """
    parts = {
        (target, method): decile_table(frame["actual"], frame[method])
        for target, frame in predictions.items()
        for method in _methods(frame, target)
        if method not in ranking_only
    }
    out = pd.concat(parts, names=["target", "method"])
    return out


def holdout_scorecard(
    transactions: pd.DataFrame,
    calibration: pd.DataFrame,
    fitted: Mapping[str, object],
    spend_model,
    *,
    calibration_end,
    observation_end,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> pd.DataFrame:
    """Every model and baseline scored on the holdout, for purchases and for spend.

    :func:`holdout_predictions` (see it for the parameters and the methods)
    scored by :func:`score_predictions`: index (``target``, ``method``),
    columns :data:`MEASURES`; the RFM score's level measures are NaN.
    """
    predictions = holdout_predictions(
        transactions,
        calibration,
        fitted,
        spend_model,
        calibration_end=calibration_end,
        observation_end=observation_end,
        customer_id=customer_id,
        date=date,
        amount=amount,
    )
    return score_predictions(predictions)
