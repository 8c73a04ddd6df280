"""Holdout validation of transaction models: predicted versus actual purchases after calibration.

A model fitted on the calibration period predicts each customer's purchases
in the holdout period, conditional on her calibration history
(``model.expected_purchases(data, t=duration)``). The papers (Fader, Hardie &
Lee 2005; Fader, Hardie & Shang 2010) show the comparison grouped by the
number of calibration repeat purchases, the last group censored ("7+"),
and this module adds error metrics per customer and in total.

The data are a calibration summary with the holdout columns that
:func:`analysis.rfm.summarize` adds with ``calibration_end``:
``frequency_holdout`` (actual holdout purchases) and ``duration_holdout``
(holdout length, in the model's time unit; for BG/BB the number of holdout
opportunities). An optional ``weight`` column (compressed data) weights
every average.

Several models at once: :func:`holdout_comparison` and
:func:`holdout_error_table`; per-customer values (e.g. CLV against the
revenue actually earned in the holdout): :func:`value_errors`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..units import unit_days
from ..validate import DataValidationError
from .rows import unique_rows

__all__ = [
    "holdout_purchases",
    "holdout_table",
    "holdout_errors",
    "tracking_table",
    "holdout_comparison",
    "holdout_error_table",
    "value_errors",
]


def holdout_purchases(model, data: pd.DataFrame, duration=None) -> pd.DataFrame:
    """Actual and predicted holdout purchases per customer.

    Parameters
    ----------
    model : fitted transaction model
        A :class:`~analysis.models.protocol.CountModel` (anything with
        ``expected_purchases(data, t=...)`` returning purchases in the ``t``
        time units after each customer's calibration end).
    data : DataFrame
        Calibration summary with ``frequency`` and ``frequency_holdout``; an
        optional ``weight``.
    duration : float, optional
        Holdout length; by default the ``duration_holdout`` column (customers
        with different lengths are predicted group by group).

    Returns
    -------
    DataFrame
        Indexed like ``data``: ``frequency``, ``actual``, ``predicted``, ``weight``.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame, got {type(data).__name__}")
    missing = [c for c in ("frequency", "frequency_holdout") if c not in data.columns]
    if duration is None and "duration_holdout" not in data.columns:
        missing.append("duration_holdout")
    if missing:
        raise DataValidationError(
            f"holdout validation needs column(s) {missing}; build the summary with "
            "analysis.rfm.summarize(..., calibration_end=...) or pass duration=."
        )
    if duration is None:
        durations = data["duration_holdout"].to_numpy(dtype=float)
    else:
        durations = np.full(len(data), float(duration))
    if np.any(~np.isfinite(durations)) or np.any(durations < 0):
        raise DataValidationError("holdout durations must be finite and >= 0")
    predicted = np.empty(len(data))
    for value in np.unique(durations):
        rows = np.flatnonzero(durations == value)
        part = data.iloc[rows]
        pred = model.expected_purchases(part, t=value)
        predicted[rows] = np.asarray(pred, dtype=float)
    weight = (
        data["weight"].to_numpy(dtype=float) if "weight" in data.columns else np.ones(len(data))
    )
    return pd.DataFrame(
        {
            "frequency": data["frequency"].to_numpy(),
            "actual": data["frequency_holdout"].to_numpy(dtype=float),
            "predicted": predicted,
            "weight": weight,
        },
        index=data.index,
    )


def _groups(frequency: np.ndarray, max_frequency: int) -> pd.Categorical:
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    codes = np.minimum(frequency.astype(np.int64), max_frequency)
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def holdout_table(model, data: pd.DataFrame, max_frequency: int = 7, duration=None) -> pd.DataFrame:
    """Mean actual versus predicted holdout purchases, grouped by calibration frequency.

    Parameters
    ----------
    model : fitted transaction model
        See :func:`holdout_purchases`.
    data : DataFrame
        Calibration summary with holdout columns.
    max_frequency : int
        Frequencies at or above it form the last, censored group ("7+" by default).
    duration : float, optional
        Holdout length; the ``duration_holdout`` column by default.

    Returns
    -------
    DataFrame
        Index ``frequency`` ("0", "1", ..., "7+"), columns ``customers``,
        ``actual`` and ``predicted`` (mean holdout purchases per customer),
        ``error`` (predicted - actual); groups without customers are left out.
    """
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise ValueError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}")
    pred = holdout_purchases(model, data, duration)
    groups = _groups(pred["frequency"].to_numpy(), int(max_frequency))
    w = pred["weight"]
    frame = pd.DataFrame(
        {
            "group": groups,
            "w": w.to_numpy(),
            "wa": (w * pred["actual"]).to_numpy(),
            "wp": (w * pred["predicted"]).to_numpy(),
        }
    )
    sums = frame.groupby("group", observed=True)[["w", "wa", "wp"]].sum()
    table = pd.DataFrame(
        {
            "customers": sums["w"],
            "actual": sums["wa"] / sums["w"],
            "predicted": sums["wp"] / sums["w"],
        }
    )
    table["error"] = table["predicted"] - table["actual"]
    table.index = pd.Index(table.index.astype(str), name="frequency")
    if np.all(np.mod(table["customers"], 1) == 0):
        table["customers"] = table["customers"].astype(np.int64)
    return table


def holdout_errors(model, data: pd.DataFrame, duration=None) -> pd.Series:
    """Error metrics of the holdout predictions.

    Returns
    -------
    Series
        ``customers``; ``mae`` (mean absolute error per customer);
        ``rmse``; ``total_actual`` and ``total_predicted`` holdout purchases;
        ``total_relative_error`` ((predicted - actual) / actual, in total);
        ``correlation`` (customer-level, weighted Pearson).
    """
    pred = holdout_purchases(model, data, duration)
    w = pred["weight"].to_numpy()
    a = pred["actual"].to_numpy()
    p = pred["predicted"].to_numpy()
    total_w = w.sum()
    err = p - a
    total_a = float(np.dot(w, a))
    total_p = float(np.dot(w, p))
    ma, mp = np.dot(w, a) / total_w, np.dot(w, p) / total_w
    cov = np.dot(w, (a - ma) * (p - mp))
    var = np.dot(w, (a - ma) ** 2) * np.dot(w, (p - mp) ** 2)
    return pd.Series(
        {
            "customers": float(total_w),
            "mae": float(np.dot(w, np.abs(err)) / total_w),
            "rmse": float(np.sqrt(np.dot(w, err**2) / total_w)),
            "total_actual": total_a,
            "total_predicted": total_p,
            "total_relative_error": (total_p - total_a) / total_a if total_a > 0 else float("nan"),
            "correlation": float(cov / np.sqrt(var)) if var > 0 else float("nan"),
        },
        name="holdout_errors",
    )


def tracking_table(
    models,
    transactions: pd.DataFrame,
    calibration_end,
    observation_end=None,
    time_unit: str = "W",
    customer_id: str = "customer_id",
    date: str = "date",
    attributes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort by calendar time: actual and expected.

    The classic tracking figure of Fader, Hardie & Lee (2005): the customers
    whose first purchase falls in the calibration period are followed period
    by period to the end of observation. A model's expected cumulative repeat
    purchases at calendar time e is the sum over customers of
    ``model.expected_purchases_new_customer(t=e - t_i)`` (the new-customer expectation,
    measured from each customer's first purchase time t_i; 0 before it), so
    the curve after the calibration end is a forecast made from the
    calibration fit alone. Purchases on one day count once, as in
    :func:`analysis.rfm.summarize`.

    Parameters
    ----------
    models : fitted model or mapping of name to fitted model
        Anything with ``expected_purchases_new_customer(t=...)`` (t an array
        in ``time_unit``). A single model gets the column ``predicted``.
    transactions : DataFrame
        The log, with ``customer_id`` and ``date`` columns.
    calibration_end : date-like
        Last day of the calibration period; it defines the cohort (customers
        who first bought by then) and the ``calibration`` flag.
    observation_end : date-like, optional
        Last day followed; the last purchase date by default.
    time_unit : {"D", "W", "M", "Q", "Y"}
        Length of a tracking period and the models' time unit.
    customer_id, date : str
        Column names.
    attributes : DataFrame, optional
        Needed for a model with covariates: the covariate columns, indexed by
        customer id; each customer's expectation then uses her own values.

    Returns
    -------
    DataFrame
        Index ``period`` (1, 2, ...), one row per period of ``time_unit``
        from the cohort's first purchase day to ``observation_end``, aligned
        so that a period ends exactly at ``calibration_end`` (the first and
        the last period may be shorter). Columns ``date`` (last day of the
        period), ``time`` (its end in ``time_unit`` since the cohort's first
        purchase day), ``calibration`` (the period ends by
        ``calibration_end``), ``actual`` (cumulative repeat purchases) and one
        column of expected cumulative repeat purchases per model.
    """
    for col in (customer_id, date):
        if col not in transactions.columns:
            raise DataValidationError(
                f"tracking_table needs column {col!r}; columns found: {list(transactions.columns)}"
            )
    if not isinstance(models, dict):
        models = {"predicted": models}
    unit = unit_days(time_unit)
    dates = pd.to_datetime(transactions[date]).dt.normalize().to_numpy()
    day_numbers = dates.astype("datetime64[D]").astype(np.int64)
    days = pd.DataFrame({"c": transactions[customer_id].to_numpy(), "d": day_numbers})
    days = days.drop_duplicates()
    days = days.sort_values(["c", "d"], kind="stable")
    first = days.groupby("c", sort=False)["d"].transform("min").to_numpy()
    cal_day = int(np.datetime64(pd.Timestamp(calibration_end).normalize(), "D").astype(np.int64))
    in_cohort = first <= cal_day
    if not in_cohort.any():
        raise DataValidationError(
            f"no customer made a first purchase by calibration_end {calibration_end!r}; "
            "choose a later calibration end."
        )
    d = days["d"].to_numpy()[in_cohort]
    first = first[in_cohort]
    if observation_end is None:
        end_day = int(d.max())
    else:
        end = pd.Timestamp(observation_end).normalize()
        end_day = int(np.datetime64(end, "D").astype(np.int64))
        if end_day < cal_day:
            raise ValueError(
                f"observation_end {observation_end!r} is before calibration_end {calibration_end!r}"
            )
    start = int(first.min())
    # periods are aligned on the calibration end, so that one period ends exactly there
    # (the first period and the last may be shorter than a unit)
    before = cal_day - unit * np.arange(int(np.floor((cal_day - start) / unit)), 0, -1)
    n_after = int(np.ceil((end_day - cal_day) / unit - 1e-9))
    after = np.minimum(cal_day + unit * np.arange(1, n_after + 1), end_day)
    edges = np.r_[before[before > start], float(cal_day), after]  # in days
    n_periods = len(edges)
    repeat_days = np.sort(d[d > first])  # a customer's later purchase days
    repeat_days = repeat_days[repeat_days <= end_day]
    actual = np.searchsorted(repeat_days, edges, side="right")

    customers = days["c"].to_numpy()[in_cohort]
    is_first_row = np.r_[True, customers[1:] != customers[:-1]]  # rows are sorted by customer
    starts, counts = np.unique(first[is_first_row], return_counts=True)
    ages = np.clip((edges[None, :] - starts[:, None]) / unit, 0.0, None)  # (first days, periods)
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(np.floor(edges).astype(np.int64), unit="D"),
            "time": (edges - start) / unit,
            "calibration": edges <= cal_day,
            "actual": actual.astype(np.int64),
        },
        index=pd.RangeIndex(1, n_periods + 1, name="period"),
    )
    for name, model in models.items():
        if getattr(model, "has_covariates", False):
            ids = customers[is_first_row]
            out[str(name)] = _cohort_with_covariates(model, attributes, ids, first[is_first_row])(
                edges, unit
            )
            continue
        expected = np.asarray(model.expected_purchases_new_customer(t=ages.ravel()), dtype=float)
        expected = expected.reshape(ages.shape)
        out[str(name)] = counts @ expected
    return out


def _cohort_with_covariates(model, attributes, ids, first_days):
    """The cohort's expected cumulative repeat purchases at the period ends, customer by profile."""
    cols = list(model.covariate_columns)
    if attributes is None or any(c not in attributes.columns for c in cols):
        raise DataValidationError(
            f"tracking_table: {type(model).__name__} has covariates {cols}; pass attributes= "
            "(a frame indexed by customer id with these columns)"
        )
    z = attributes[cols].reindex(ids)
    if z.isna().any(axis=None):
        lacking = list(z.index[z.isna().any(axis=1)][:5])
        raise DataValidationError(f"tracking_table: no attributes for customer(s) {lacking}")
    key = np.column_stack([first_days.astype(float), z.to_numpy(dtype=float)])
    uniq, counts = unique_rows(key)

    def at(edges, unit):
        ages = np.clip((edges[None, :] - uniq[:, :1]) / unit, 0.0, None)
        profiles = pd.DataFrame(np.repeat(uniq[:, 1:], ages.shape[1], axis=0), columns=cols)
        expected = model.expected_purchases_new_customer(t=ages.ravel(), covariates=profiles)
        return counts @ np.asarray(expected, dtype=float).reshape(ages.shape)

    return at


# ----------------------------------------------------------------------------------------------
# several models, and per-customer values
# ----------------------------------------------------------------------------------------------
def _models(models) -> dict:
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty mapping of a display name to a fitted model")
    return dict(models)


def holdout_comparison(models, data: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency: actual and each model's prediction.

    :func:`holdout_table` for several models side by side.

    Parameters
    ----------
    models : mapping of str to fitted model
        Display name to a fitted count model.
    data : DataFrame
        Calibration summary with holdout columns.
    max_frequency : int
        Frequencies at or above it form the last, censored group.

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
    """:func:`holdout_errors` of several models, one row per model (index ``model``)."""
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
