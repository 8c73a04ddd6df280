"""The customer table: one row per customer with its history, stage, model predictions and value.

:func:`customer_table` is what the decision layer (segments, strategy, churn)
reads. Per customer it joins the summary of :func:`analysis.rfm.summarize`;
the purchase history in days (:func:`purchase_history`); the lifecycle stage
in the last period and how long it has lasted
(:func:`analysis.lifecycle.assign_stages`, :func:`stage_durations`); P(alive)
and expected purchases from BG/NBD or Pareto/NBD (:func:`fit_count_model`),
the spend per purchase from Gamma-Gamma (:func:`spend_per_purchase`) and the
CLV over the horizon (:func:`analysis.clv.customer_lifetime_value`).

Value conventions (``docs/domain.md#clv``): ``clv`` is the discounted
expected margin over the horizon with no cost; ``clv_net`` subtracts the
discounted cost of the expected orders (``cost_per_order`` each) and, with a
costs table, the discounted ``retention_cost`` per year while the customer is
alive; the acquisition cost, already spent, is reported but not subtracted.
``current_value`` (the margin on the revenue of the last 365 days) and
``potential_value`` (= ``clv_net``) are the axes of the value matrix
(``docs/domain.md#segmentation``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import rfm
from .clv import customer_lifetime_value
from .clv.choice import (
    COUNT_MODELS,
    choose_count_model,
    fit_count_model,
    fit_quietly,
    resolve_model,
)
from .clv.intervals import INTERVAL_LEVEL, customer_intervals, total_intervals
from .data import PURCHASES, value_basis
from .dates import frame_rule
from .lifecycle import assign_stages, current_stage
from .models import BoundaryFitWarning, ConvergenceError, GammaGamma, model_from_dict, model_to_dict
from .panel import check_period
from .units import DAYS_PER_YEAR, STAGES, unit_days
from .validate import DataValidationError

__all__ = ["COLUMNS", "COST_COLUMNS", "COUNT_MODELS", "CURRENT_VALUE_DAYS", "HISTORY_COLUMNS"]
__all__ += ["MIN_SPEND_BUYERS", "check_costs", "check_table_parameters", "customer_table"]
__all__ += ["INTERVAL_COLUMNS", "fit_count_model", "value_intervals"]
__all__ += ["purchase_history", "resolve_model", "spend_per_purchase", "stage_durations"]

#: the days up to observation_end whose revenue makes the current value
CURRENT_VALUE_DAYS: int = 365
#: fewest repeat buyers with positive spend to fit Gamma-Gamma on (else own mean spends)
MIN_SPEND_BUYERS: int = 10
#: a costs table's columns: acquisition_cost (once, spent) and retention_cost (a year, alive)
COST_COLUMNS: tuple[str, ...] = ("acquisition_cost", "retention_cost")
#: the table's columns from purchase_history
HISTORY_COLUMNS: tuple[str, ...] = (
    "purchases", "revenue", "first_purchase", "last_purchase", "days_since_last",
    "purchase_cycle_days", "interpurchase_cv",
)  # fmt: skip
#: the table's columns in order (the cost columns follow when a costs table is given)
COLUMNS: tuple[str, ...] = (
    *rfm.SUMMARY_COLUMNS, *HISTORY_COLUMNS, "stage", "periods_in_stage",
    "p_alive", "expected_purchases_period", "expected_purchases_horizon", "expected_spend",
    "clv", "clv_net", "current_value", "potential_value",
)  # fmt: skip
#: the interval columns appended with ``interval`` (``customer_table(..., interval=0.9)``)
INTERVAL_COLUMNS: tuple[str, ...] = (
    "p_alive_low", "p_alive_high", "expected_purchases_horizon_low",
    "expected_purchases_horizon_high", "clv_low", "clv_high",
)  # fmt: skip


def spend_per_purchase(
    summary: pd.DataFrame,
    history: pd.DataFrame,
    min_spend_buyers: int = MIN_SPEND_BUYERS,
    value_per_purchase: float | None = None,
    currency: str = "",
) -> tuple[pd.Series, GammaGamma | None, str]:
    """Expected spend per purchase of every customer: Gamma-Gamma, or the observed means.

    With ``value_per_purchase`` (a log without amounts, see
    :func:`analysis.data.value_basis`) every purchase is worth that value and
    nothing is fitted: spend is the same for every purchase by construction.

    Gamma-Gamma is fitted on the repeat buyers with a positive
    ``monetary_value`` (the mean of their repeat purchase days, as
    :func:`analysis.rfm.summarize` defines it) and predicts for everyone (a
    one-time buyer gets the population mean). When it cannot be fitted (fewer
    than ``min_spend_buyers`` such buyers, data that do not identify it, no
    convergence, or an infinite population mean) the fallback is each repeat
    buyer's own ``monetary_value`` and, for the others, the overall mean spend
    per purchase day (total revenue / total purchase days).

    ``summary`` holds ``frequency`` and ``monetary_value``, ``history`` (same
    index) ``purchases`` and ``revenue`` (:func:`purchase_history`).

    Returns
    -------
    (spend, model, note)
        Spend per purchase (currency per purchase day) indexed like
        ``summary``, the fitted GammaGamma (None on the fallback) and a
        sentence saying which was used (and any boundary-fit note).
    """
    if value_per_purchase is not None:
        worth = (
            "value is counted in purchases (one purchase, one unit)"
            if currency == PURCHASES
            else f"every purchase is worth {currency}{float(value_per_purchase):,.2f}"
        )
        note = f"The log has no amounts: spend per purchase is not modelled; {worth}."
        spend = pd.Series(float(value_per_purchase), index=summary.index, name="expected_spend")
        return spend, None, note
    buyers = rfm.repeat_buyers(summary)
    reason = None
    if len(buyers) < min_spend_buyers:
        reason = f"only {len(buyers):,} repeat buyer(s) with positive spend (< {min_spend_buyers})"
    else:
        try:
            gg = fit_quietly(GammaGamma, buyers)
            spend = gg.expected_spend(summary)
        except (ConvergenceError, ValueError) as err:
            reason = str(err).rstrip(".")
        else:
            note = f"Spend per purchase from Gamma-Gamma fitted on {len(buyers):,} repeat buyers."
            if gg.boundary:
                note += f" Gamma-Gamma boundary fit: {gg.boundary_note}"
            return spend.rename("expected_spend"), gg, note
    overall = float(history["revenue"].sum() / history["purchases"].sum())
    own = summary["monetary_value"].where(summary.index.isin(buyers.index), overall)
    note = (
        f"Gamma-Gamma not fitted ({reason}): spend per purchase is each repeat buyer's own mean "
        f"repeat spend, and the overall mean spend per purchase ({overall:,.2f}) for the others."
    )
    return own.astype(float).rename("expected_spend"), None, note


def purchase_history(
    transactions: pd.DataFrame,
    observation_end,
    current_days: int = CURRENT_VALUE_DAYS,
) -> pd.DataFrame:
    """Per-customer purchase history in days, vectorised over the log.

    ``transactions`` holds ``customer_id``, ``date`` (datetime64) and
    ``amount``; purchases on the same day are one purchase (a purchase day),
    as in :func:`analysis.rfm.summarize`. ``observation_end`` is the last day
    observed; ``recent_revenue`` counts the purchases on the ``current_days``
    days up to and including it.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted): ``purchases`` (purchase days,
        int), ``revenue`` (total amount), ``first_purchase`` and
        ``last_purchase`` (the days, Timestamps), ``days_since_last`` (days
        from the last purchase to ``observation_end``, float),
        ``purchase_cycle_days`` (median days between successive purchase
        days; NaN without a repeat purchase), ``interpurchase_cv`` (sample
        standard deviation (ddof=1) / mean of those gaps; NaN with fewer than
        two gaps) and ``recent_revenue`` (amount in the window).
    """
    codes, ids = pd.factorize(transactions["customer_id"], sort=True)
    if (codes < 0).any():
        raise ValueError(
            f"column 'customer_id': {int((codes < 0).sum())} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    n = len(ids)
    day = transactions["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    amount = transactions["amount"].to_numpy(dtype=float)
    end_day = int(np.datetime64(pd.Timestamp(observation_end).date(), "D").astype(np.int64))

    revenue = np.bincount(codes, weights=amount, minlength=n)
    recent = day > end_day - int(current_days)
    recent_revenue = np.bincount(codes[recent], weights=amount[recent], minlength=n)

    order = np.lexsort((day, codes))
    c, d = codes[order], day[order]
    starts = np.flatnonzero(np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1])])
    c, d = c[starts], d[starts]  # one row per customer and purchase day, in date order
    purchases = np.bincount(c, minlength=n)
    last_row = np.cumsum(purchases) - 1
    first_day, last_day = d[last_row - purchases + 1], d[last_row]

    same = c[1:] == c[:-1]
    gap_c, gaps = c[1:][same], np.diff(d)[same].astype(float)
    n_gaps = np.bincount(gap_c, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(gap_c, weights=gaps, minlength=n) / n_gaps
        sq = np.bincount(gap_c, weights=(gaps - mean[gap_c]) ** 2, minlength=n)
        cv = np.where(n_gaps >= 2, np.sqrt(sq / (n_gaps - 1)) / mean, np.nan)
    # median per customer: the gaps sorted within customer, the middle one or two averaged
    sorted_gaps = gaps[np.lexsort((gaps, gap_c))]
    start = np.cumsum(n_gaps) - n_gaps
    has = n_gaps > 0
    lo = (start + (n_gaps - 1) // 2)[has]
    hi = (start + n_gaps // 2)[has]
    median = np.full(n, np.nan)
    median[has] = 0.5 * (sorted_gaps[lo] + sorted_gaps[hi])

    return pd.DataFrame(
        {
            "purchases": purchases.astype(np.int64),
            "revenue": revenue,
            "first_purchase": pd.to_datetime(first_day.astype("datetime64[D]")).as_unit("ns"),
            "last_purchase": pd.to_datetime(last_day.astype("datetime64[D]")).as_unit("ns"),
            "days_since_last": (end_day - last_day).astype(float),
            "purchase_cycle_days": median,
            "interpurchase_cv": cv,
            "recent_revenue": recent_revenue,
        },
        index=pd.Index(ids, name="customer_id"),
    )


def stage_durations(stages: pd.DataFrame) -> pd.Series:
    """Consecutive periods each customer has spent in its last stage, up to the last period.

    ``stages`` is the output of :func:`analysis.lifecycle.assign_stages`
    (``customer_id``, ``period``, ``stage``; one row per customer and period
    from the first purchase on, sorted by customer and period).

    Returns
    -------
    Series
        ``periods_in_stage`` (int >= 1) indexed by ``customer_id`` (sorted):
        the length of the last run of equal stages.
    """
    cust = stages["customer_id"].to_numpy()
    per = pd.PeriodIndex(stages["period"]).asi8
    new_cust = np.r_[True, cust[1:] != cust[:-1]]
    ordered = np.all(new_cust[1:] | (per[1:] > per[:-1])) and pd.Index(cust).is_monotonic_increasing
    if not ordered:
        raise ValueError("stages must be sorted by customer_id and period (as assign_stages gives)")
    stage = stages["stage"].cat.codes.to_numpy()
    run = np.cumsum(new_cust | np.r_[True, stage[1:] != stage[:-1]]) - 1
    run_length = np.bincount(run)
    last = np.r_[new_cust[1:], True]
    return pd.Series(
        run_length[run[last]].astype(np.int64),
        index=pd.Index(cust[last], name="customer_id"),
        name="periods_in_stage",
    )


def check_costs(costs: pd.DataFrame, customer_ids: pd.Index) -> pd.DataFrame:
    """Validate a costs table against the customers of the log.

    ``costs`` is indexed by customer id, with ``acquisition_cost`` (currency,
    once) and/or ``retention_cost`` (currency per year while the customer is
    alive): numbers >= 0, one row per customer. Every id of ``customer_ids``
    needs a row; extra rows are ignored.

    Returns
    -------
    DataFrame
        The cost columns given, as floats, in :data:`COST_COLUMNS` order,
        indexed like ``customer_ids``.
    """
    if not isinstance(costs, pd.DataFrame):
        raise TypeError(
            f"costs must be a DataFrame indexed by customer_id with {list(COST_COLUMNS)}, "
            f"got {type(costs).__name__}"
        )
    unknown = [str(c) for c in costs.columns if c not in COST_COLUMNS]
    given = [c for c in COST_COLUMNS if c in costs.columns]
    if unknown or not given:
        raise ValueError(
            f"costs: columns must be among {list(COST_COLUMNS)} (at least one); found "
            f"{[str(c) for c in costs.columns]}{f', unknown: {unknown}' if unknown else ''}."
        )
    dup = costs.index.duplicated()
    if dup.any():
        raise ValueError(
            f"costs: {int(dup.sum())} duplicated customer id(s) in the index (e.g. "
            f"{list(costs.index[dup][:5])}); give one row per customer."
        )
    missing = customer_ids.difference(costs.index)
    if len(missing):
        raise ValueError(
            f"costs: no row for {len(missing):,} customer(s) of the log (e.g. "
            f"{list(missing[:5])}); give costs for every customer, indexed by customer_id "
            f"(the index holds e.g. {list(costs.index[:3])})."
        )
    out = costs.loc[customer_ids, given].copy()
    for col in given:
        values = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise ValueError(
                f"costs: column {col!r} has {int(bad.sum())} missing, non-numeric, infinite or "
                f"negative value(s) (customers {list(customer_ids[bad][:5])}); costs are "
                "numbers >= 0."
            )
        out[col] = values
    return out.rename_axis("customer_id")


def check_table_parameters(horizon_years, margin, cost_per_order, time_unit, period) -> None:
    """Refuse a time unit, period, horizon, margin or cost per order the customer table cannot use."""
    unit_days(time_unit)
    check_period(period)
    if not np.isfinite(float(horizon_years)) or float(horizon_years) <= 0:
        raise ValueError(f"horizon_years must be a number of years > 0, got {horizon_years!r}")
    if not 0 < float(margin) <= 1:
        raise ValueError(f"margin must be a share of revenue in (0, 1] (e.g. 0.30), got {margin!r}")
    if not np.isfinite(float(cost_per_order)) or float(cost_per_order) < 0:
        raise ValueError(f"cost_per_order must be a number >= 0, got {cost_per_order!r}")


def _calibration_summary(transactions, time_unit, end, calibration_end):
    """The log summarised to ``calibration_end`` (from the data by default), or (None, None)."""
    if calibration_end is False:
        return None, None
    first = transactions["date"].min()
    if calibration_end is None or (isinstance(calibration_end, str) and not calibration_end):
        try:
            cal, _ = frame_rule(first, end)
        except ValueError:  # too short a log to split: the rule skips its holdout step
            return None, None
    else:
        cal = pd.Timestamp(calibration_end).normalize()
        if not pd.Timestamp(first).normalize() <= cal < end:
            raise ValueError(
                f"calibration_end {cal.date()} must fall between the first purchase "
                f"({pd.Timestamp(first).date()}) and the day before observation_end ({end.date()})"
            )
    with warnings.catch_warnings():  # customers who start after it are simply not in the test
        warnings.simplefilter("ignore", UserWarning)
        summary = rfm.summarize(transactions, time_unit, observation_end=end, calibration_end=cal)
    return summary, cal


def customer_table(
    transactions: pd.DataFrame,
    *,
    observation_end=None,
    period: str = "M",
    time_unit: str = "W",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 0.30,
    cost_per_order: float = 0.0,
    costs: pd.DataFrame | None = None,
    model: str = "auto",
    calibration_end=None,
    interval: float | None = INTERVAL_LEVEL,
    min_spend_buyers: int = MIN_SPEND_BUYERS,
    current_days: int = CURRENT_VALUE_DAYS,
    currency: str = "$",
) -> pd.DataFrame:
    """One row per customer: history, lifecycle stage, model predictions and value.

    Parameters
    ----------
    transactions : DataFrame
        The log: ``customer_id``, ``date`` (datetime64), ``amount``; see
        :func:`analysis.data.load_transactions`. Same-day purchases are one purchase.
    observation_end : date-like, optional
        Last day observed (inclusive); the last purchase day by default.
    period, time_unit : {"D", "W", "M", "Q", "Y"}
        Period of the stages and of ``expected_purchases_period``; unit of
        ``recency``, ``T`` and the models' parameters.
    horizon_years, annual_discount_rate, margin : float
        CLV horizon in years (> 0), yearly effective discount rate (WACC),
        profit margin on revenue in (0, 1].
    cost_per_order : float
        Cost per expected future purchase (currency, >= 0), discounted with the purchases.
    costs : DataFrame, optional
        Indexed by customer id: ``acquisition_cost`` and/or ``retention_cost``
        (currency per year while alive); see :func:`check_costs`.
    model : {"auto", "bgnbd", "paretonbd", "mbgnbd", "BG/NBD", "Pareto/NBD", "MBG/NBD"}
        The count model: ``"auto"`` chooses by
        :data:`analysis.clv.choice.CHOICE_RULE` (holdout accuracy, then fit).
    calibration_end : date-like, optional
        The end of the calibration period of ``"auto"``'s holdout step; by
        default :data:`analysis.dates.FRAME_RULE` places it (the month end
        nearest the middle of the log), and ``False`` skips the holdout step.
    interval : float or None
        Level of the per-customer intervals of ``p_alive``,
        ``expected_purchases_horizon`` and ``clv`` (:data:`INTERVAL_COLUMNS`,
        :func:`analysis.clv.intervals.customer_intervals`: draws of the
        fitted parameters from their sampling distribution); None skips them.
    min_spend_buyers, current_days : int
        Fewest repeat buyers with positive spend to fit Gamma-Gamma
        (:func:`spend_per_purchase`); days up to ``observation_end`` whose
        revenue makes ``current_value``.
    currency : str
        Written in the model note (the value of a purchase of a log without amounts).

    A log without amounts (``attrs["value"]`` of :func:`analysis.data.load_dataset`
    ``"fixed"`` or ``"purchases"``) is valued at its fixed value per purchase,
    without a spend model; in purchases (no value per purchase given) no
    margin is applied either (``attrs["margin"]`` is then 1 and
    ``attrs["value_unit"]`` ``"purchases"``), so ``clv`` is the discounted
    expected number of purchases.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted), columns :data:`COLUMNS` (see the
        module docstring) and, with ``costs``, its cost columns. NaN only in
        ``purchase_cycle_days`` (no repeat purchase) and ``interpurchase_cv``
        (fewer than two repeat purchases). ``attrs``: ``model``,
        ``model_note``, ``time_unit``, ``period``, ``observation_end``
        (Timestamp), ``horizon_years``, ``annual_discount_rate``, ``margin``,
        ``has_costs``, ``value`` (``"amounts"``, ``"fixed"`` or ``"purchases"``),
        ``value_unit`` (``"currency"`` or ``"purchases"``).

    Warns
    -----
    BoundaryFitWarning
        When the chosen count model or Gamma-Gamma ended at a boundary (also in ``model_note``).
    """
    if not isinstance(transactions, pd.DataFrame):
        raise TypeError(
            "transactions must be a DataFrame (load a file with analysis.data.load_transactions), "
            f"got {type(transactions).__name__}"
        )
    check_table_parameters(horizon_years, margin, cost_per_order, time_unit, period)
    missing = [c for c in ("customer_id", "date", "amount") if c not in transactions.columns]
    if missing or len(transactions) == 0:
        found = [str(c) for c in transactions.columns]
        problem = f"missing column(s) {missing} (found {found})" if missing else "no rows"
        raise DataValidationError(
            f"transactions: {problem}. Load the log with analysis.data.load_transactions, "
            "which maps your column names."
        )
    last = transactions["date"].max() if observation_end is None else observation_end
    end = pd.Timestamp(last).normalize()
    basis = value_basis(transactions, margin, currency)
    margin = basis.margin  # 1 when value is counted in purchases

    summary = rfm.summarize(transactions, time_unit, observation_end=end)
    history = purchase_history(transactions, end, current_days).reindex(summary.index)
    cost_table = check_costs(costs, summary.index) if costs is not None else None

    stages = assign_stages(transactions, period=period, observation_end=end)
    latest = current_stage(stages)["stage"]
    in_stage = stage_durations(stages)
    del stages

    calibration, cal_end = _calibration_summary(transactions, time_unit, end, calibration_end)
    choice = choose_count_model(summary, model, calibration)
    count_model, model_name, note = choice
    spend, spend_model, spend_note = spend_per_purchase(
        summary, history, min_spend_buyers, basis.value_per_purchase, basis.currency
    )
    for fitted in (count_model, spend_model):
        if fitted is not None and fitted.boundary:
            warnings.warn(fitted.boundary_note, BoundaryFitWarning, stacklevel=2)

    per_unit = unit_days(time_unit)
    retention = cost_table is not None and "retention_cost" in cost_table.columns
    value = customer_lifetime_value(
        count_model,
        spend,
        summary,
        horizon_years=horizon_years,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
        cost_per_period=1.0 if retention else 0.0,  # discounted alive time, in time units
        time_unit=time_unit,
    )
    clv = value["discounted_margin"].to_numpy()
    net = clv - float(cost_per_order) * value["discounted_purchases"].to_numpy()
    if retention:
        per_period = cost_table["retention_cost"].to_numpy() * per_unit / DAYS_PER_YEAR
        net = net - per_period * value["discounted_cost"].to_numpy()

    table = pd.concat([summary[rfm.SUMMARY_COLUMNS], history[list(HISTORY_COLUMNS)]], axis=1)
    table["stage"] = pd.Categorical(latest.reindex(summary.index), list(STAGES), ordered=True)
    table["periods_in_stage"] = in_stage.reindex(summary.index).to_numpy(dtype=np.int64)
    table["p_alive"] = count_model.p_alive(summary).to_numpy(dtype=float)
    ahead = unit_days(period) / per_unit
    table["expected_purchases_period"] = count_model.expected_purchases(summary, t=ahead)
    table["expected_purchases_horizon"] = value["expected_purchases"]
    table["expected_spend"] = spend
    table["clv"] = clv
    table["clv_net"] = table["potential_value"] = net
    table["current_value"] = float(margin) * history["recent_revenue"]
    table = table[list(COLUMNS)]
    if interval is not None:
        bounds = customer_intervals(
            count_model,
            spend,
            summary,
            spend_model=spend_model,
            horizon_years=horizon_years,
            annual_discount_rate=annual_discount_rate,
            margin=margin,
            time_unit=time_unit,
            level=interval,
        )
        for col in INTERVAL_COLUMNS:
            table[col] = bounds[col].to_numpy()
    if cost_table is not None:
        table = table.join(cost_table)

    table.attrs = {
        "model": model_name,
        "model_note": f"{note} {spend_note}",
        # JSON-safe (NaN as None), so a Parquet or sidecar export reads back equal
        "model_choice": choice.table.reset_index()
        .astype(object)
        .where(choice.table.reset_index().notna(), None)
        .to_dict("records"),
        "count_model": model_to_dict(count_model),
        "spend_model": None if spend_model is None else model_to_dict(spend_model),
        "calibration_end": cal_end,
        "interval": None if interval is None else float(interval),
        "time_unit": time_unit,
        "period": period,
        "observation_end": end,
        "horizon_years": float(horizon_years),
        "annual_discount_rate": float(annual_discount_rate),
        "margin": float(margin),
        "has_costs": cost_table is not None,
        "value": basis.source,
        "value_unit": "purchases" if basis.in_purchases else "currency",
    }
    return table


def value_intervals(
    table: pd.DataFrame, groups: pd.Series, level: float | None = None
) -> pd.DataFrame:
    """The CLV total of each group of customers (tier, stage, ...) with its interval.

    Reads everything from the customer table itself: the summary columns,
    ``expected_spend`` and the fitted models recorded in ``attrs``
    (``count_model``, ``spend_model``), so the totals are those of the table
    (:func:`analysis.clv.intervals.total_intervals`: joint draws of the
    parameters, each giving every customer's CLV at once).

    Parameters
    ----------
    table : DataFrame
        A customer table (:func:`customer_table`).
    groups : Series
        A label per customer of ``table`` (same index).
    level : float, optional
        The interval's level; by default the table's (``attrs["interval"]``, else 0.9).

    Returns
    -------
    DataFrame
        One row per group, then ``total``: ``customers``, ``clv_total``,
        ``clv_total_low``, ``clv_total_high``.
    """
    count_model = model_from_dict(table.attrs["count_model"])
    record = table.attrs.get("spend_model")
    spend_model = None if record is None else model_from_dict(record)
    summary = table[list(rfm.SUMMARY_COLUMNS)].copy()
    summary.attrs["time_unit"] = table.attrs["time_unit"]
    return total_intervals(
        count_model,
        table["expected_spend"],
        summary,
        groups.reindex(table.index),
        spend_model=spend_model,
        horizon_years=table.attrs["horizon_years"],
        annual_discount_rate=table.attrs["annual_discount_rate"],
        margin=table.attrs["margin"],
        time_unit=table.attrs["time_unit"],
        level=level or table.attrs.get("interval") or INTERVAL_LEVEL,
    )
