"""The customer table: one row per customer with its history, stage, model predictions and value.

The parts, one module each: :mod:`.history` (the purchase history in days),
:mod:`.stage_runs` (the last period's stage and how long it has lasted),
:mod:`.valuation` (the count model chosen by the study's rule and the spend
per purchase), :mod:`.scores` (the model columns, shared with the Spark
scoring), :mod:`.costs` (a costs table and the settings checked).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd

from .. import rfm
from ..clv.intervals import INTERVAL_LEVEL, customer_intervals, total_intervals
from ..data import value_basis
from ..models import BoundaryFitWarning, model_to_dict
from ..threads import executor, one_blas_thread, release_freed_memory
from ..units import STAGES
from ..validate import DataValidationError
from .costs import check_costs, check_table_parameters
from .history import CURRENT_VALUE_DAYS, HISTORY_COLUMNS, purchase_history
from .info import TableInfo, Valuation
from .scores import MODEL_COLUMNS, model_columns
from .spend import MIN_SPEND_BUYERS
from .stage_runs import latest_stages
from .valuation import calibration_summary, fit_table_models

__all__ = ["COLUMNS", "INTERVAL_COLUMNS", "customer_table", "value_customers", "value_intervals"]

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


def customer_table(transactions: pd.DataFrame, **settings) -> pd.DataFrame:
    """The customer table of :func:`value_customers` (its ``.table``), same keywords.

    The table's provenance (models, settings, value basis) is the
    :class:`~analysis.customers.TableInfo` that :func:`value_customers`
    returns beside it: call that to pass the provenance on. For one release
    the table still carries it in ``attrs`` too (:meth:`TableInfo.to_attrs`);
    deprecated: nothing in the package reads it from there, and pandas'
    ``concat`` and ``merge`` drop ``attrs`` that differ.
    """
    valued = value_customers(transactions, _stacklevel=3, **settings)
    table = valued.table
    table.attrs = valued.info.to_attrs()
    return table


def value_customers(
    transactions: pd.DataFrame,
    *,
    observation_end=None,
    period: str = "M",
    time_unit: str = "W",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 0.30,
    cost_per_purchase: float = 0.0,
    costs: pd.DataFrame | None = None,
    model: str = "auto",
    calibration_end=None,
    interval: float | None = INTERVAL_LEVEL,
    min_spend_buyers: int = MIN_SPEND_BUYERS,
    current_days: int = CURRENT_VALUE_DAYS,
    currency: str = "$",
    block_size: int | None = None,
    **renamed,
) -> Valuation:
    """One row per customer: history, lifecycle stage, model predictions and value, with provenance.

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
    cost_per_purchase : float
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
    block_size : int, optional
        Customers per block. The summaries, the purchase history and the
        fits take every customer at once (the fits on the distinct
        summary rows); the stages, the model columns and the intervals are
        then computed a block of customers at a time, with the same fitted
        models and the same parameter draws, so the table is the same as
        without blocks. Bounds the memory of the stage classifier and of
        the interval draws (draws x distinct rows of a block) at ten
        million customers; the draws are then evaluated once per block.
        None (the default): one block.
    **renamed
        ``cost_per_order``, the old name of ``cost_per_purchase``, is read
        with a FutureWarning in this release only.

    A log without amounts (``attrs["value"]`` of :func:`analysis.data.load_dataset`
    ``"fixed"`` or ``"purchases"``) is valued at its fixed value per purchase,
    without a spend model; in purchases (no value per purchase given) no
    margin is applied either (``info.margin`` is then 1 and
    ``info.value_unit`` ``"purchases"``), so ``clv`` is the discounted
    expected number of purchases.

    Returns
    -------
    Valuation
        ``table``: indexed by ``customer_id`` (sorted), columns :data:`COLUMNS` (see
        :mod:`analysis.customers`) and, with ``costs``, its cost columns. NaN only in
        ``purchase_cycle_days`` (no repeat purchase) and ``interpurchase_cv``
        (fewer than two repeat purchases); no ``attrs``. ``info``: a
        :class:`~analysis.customers.TableInfo` (``model``, ``model_note``,
        the fitted models, ``time_unit``, ``period``, ``observation_end``,
        ``horizon_years``, ``annual_discount_rate``, ``margin``,
        ``has_costs``, ``value`` (``"amounts"``, ``"fixed"`` or
        ``"purchases"``), ``value_unit`` (``"currency"`` or ``"purchases"``)).

    Warns
    -----
    BoundaryFitWarning
        When the chosen count model or Gamma-Gamma ended at a boundary (also in ``model_note``).
    """
    stacklevel = renamed.pop("_stacklevel", 2)  # customer_table's caller when called through it
    cost_per_purchase = _renamed_cost(cost_per_purchase, renamed, stacklevel + 1)
    if not isinstance(transactions, pd.DataFrame):
        raise TypeError(
            "transactions must be a DataFrame (load a file with analysis.data.load_transactions), "
            f"got {type(transactions).__name__}"
        )
    check_table_parameters(horizon_years, margin, cost_per_purchase, time_unit, period)
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

    # The stage rules and the holdout step's summary read only the log: they run in other
    # threads while the whole log's summary, the fits and the model columns run in this one
    # (numpy and pandas release the GIL in their array loops, so the work overlaps on two
    # cores; BLAS keeps to one thread meanwhile). Each result is what it is when computed alone.
    with one_blas_thread(), executor(2) as pool:
        early = None
        if block_size is None:
            early = pool.submit(latest_stages, transactions, period, end)
        # the holdout step's summary, beside the whole log's
        cut = pool.submit(calibration_summary, transactions, time_unit, end, calibration_end)
        summary = rfm.summarize(transactions, time_unit, observation_end=end)
        history = purchase_history(transactions, end, current_days).reindex(summary.index)
        cost_table = check_costs(costs, summary.index) if costs is not None else None

        fitted = fit_table_models(
            transactions,
            summary,
            history,
            model=model,
            calibration_end=calibration_end,
            observation_end=end,
            time_unit=time_unit,
            min_spend_buyers=min_spend_buyers,
            value_per_purchase=basis.value_per_purchase,
            currency=basis.currency,
            calibration=cut.result(),
        )
        del cut  # the calibration summary: not needed past the fits
        release_freed_memory()  # what the other threads freed (about 300 MiB at 1M customers)
        for model_fit in (fitted.count_model, fitted.spend_model):
            if model_fit is not None and model_fit.boundary:
                warnings.warn(model_fit.boundary_note, BoundaryFitWarning, stacklevel=stacklevel)

        settings = {
            "time_unit": time_unit,
            "horizon_years": horizon_years,
            "annual_discount_rate": annual_discount_rate,
            "margin": margin,
        }
        retention = None
        if cost_table is not None and "retention_cost" in cost_table.columns:
            retention = cost_table["retention_cost"].to_numpy()
        parts = []
        for block, log in _customer_blocks(transactions, summary.index, block_size):
            job = early if early is not None else pool.submit(latest_stages, log, period, end)
            early = None
            scores = model_columns(
                fitted.count_model,
                fitted.spend.iloc[block],
                summary.iloc[block],
                period=period,
                cost_per_purchase=cost_per_purchase,
                retention_cost=None if retention is None else retention[block],
                **settings,
            )
            bounds = None
            if interval is not None:
                bounds = customer_intervals(
                    fitted.count_model,
                    fitted.spend.iloc[block],
                    summary.iloc[block],
                    spend_model=fitted.spend_model,
                    level=interval,
                    points=scores,
                    **settings,
                )
            part = pd.concat(
                [
                    summary[rfm.SUMMARY_COLUMNS].iloc[block],
                    history[list(HISTORY_COLUMNS)].iloc[block],
                ],
                axis=1,
            )
            stages = job.result().reindex(part.index)
            part["stage"] = pd.Categorical(stages["stage"], list(STAGES), ordered=True)
            part["periods_in_stage"] = stages["periods_in_stage"].to_numpy(dtype=np.int64)
            for col in MODEL_COLUMNS:
                part[col] = scores[col].to_numpy()
            part["potential_value"] = scores["clv_net"].to_numpy()
            part["current_value"] = float(margin) * history["recent_revenue"].iloc[block]
            part = part[list(COLUMNS)]
            if bounds is not None:
                for col in INTERVAL_COLUMNS:
                    part[col] = bounds[col].to_numpy()
            parts.append(part)
    table = parts[0] if len(parts) == 1 else pd.concat(parts)
    del parts
    if cost_table is not None:
        table = table.join(cost_table)

    choice = fitted.choice
    table.attrs = {}
    info = TableInfo(
        model=choice.name,
        model_note=fitted.note,
        # JSON-safe (NaN as None), so a Parquet or sidecar export reads back equal
        model_choice=tuple(
            choice.table.reset_index()
            .astype(object)
            .where(choice.table.reset_index().notna(), None)
            .to_dict("records")
        ),
        count_model=model_to_dict(fitted.count_model),
        spend_model=None if fitted.spend_model is None else model_to_dict(fitted.spend_model),
        calibration_end=fitted.calibration_end,
        interval=None if interval is None else float(interval),
        time_unit=time_unit,
        period=period,
        observation_end=end,
        horizon_years=float(horizon_years),
        annual_discount_rate=float(annual_discount_rate),
        margin=float(margin),
        has_costs=cost_table is not None,
        value=basis.source,
        value_unit="purchases" if basis.in_purchases else "currency",
    )
    return Valuation(table, info)


# help() and editors show customer_table's keywords: value_customers' own
customer_table.__signature__ = inspect.signature(value_customers).replace(
    return_annotation="pd.DataFrame"
)


def _customer_blocks(transactions: pd.DataFrame, ids: pd.Index, block_size: int | None):
    """(positions in ``ids``, the log of those customers) for each block of ``block_size``."""
    if block_size is None or block_size >= len(ids):
        yield slice(0, len(ids)), transactions
        return
    if int(block_size) != block_size or block_size < 1:
        raise ValueError(f"block_size must be a whole number of customers >= 1, got {block_size!r}")
    block_size = int(block_size)
    # each row's customer position in ids (sorted); a stable sort keeps the log order in a block
    position = ids.get_indexer(transactions["customer_id"])
    order = np.argsort(position // block_size, kind="stable")
    bounds = np.searchsorted(
        position[order] // block_size, np.arange(0, len(ids) // block_size + 2)
    )
    for k, lo in enumerate(range(0, len(ids), block_size)):
        rows = order[bounds[k] : bounds[k + 1]]
        yield slice(lo, min(lo + block_size, len(ids))), transactions.iloc[rows]


def _renamed_cost(cost_per_purchase, renamed: dict, stacklevel: int):
    """``cost_per_order`` (the old name) read as ``cost_per_purchase``, with a FutureWarning."""
    unknown = sorted(set(renamed) - {"cost_per_order"})
    if unknown:
        raise TypeError(f"customer_table() got unexpected keyword argument(s) {unknown}")
    if "cost_per_order" not in renamed:
        return cost_per_purchase
    if cost_per_purchase != 0.0:
        raise TypeError("give cost_per_purchase only (cost_per_order is its old name)")
    warnings.warn(
        "customer_table(cost_per_order=...) is now cost_per_purchase=...",
        FutureWarning,
        stacklevel=stacklevel,
    )
    return renamed["cost_per_order"]


def value_intervals(
    table: pd.DataFrame, groups: pd.Series, level: float | None = None, *, info: TableInfo
) -> pd.DataFrame:
    """The CLV total of each group of customers (tier, stage, ...) with its interval.

    Reads the customer table's summary columns and ``expected_spend`` and
    the fitted models and settings of its ``info``, so the totals are those of the table
    (:func:`analysis.clv.intervals.total_intervals`: joint draws of the
    parameters, each giving every customer's CLV at once).

    Parameters
    ----------
    table : DataFrame
        A customer table (:func:`customer_table`).
    groups : Series
        A label per customer of ``table`` (same index).
    level : float, optional
        The interval's level; by default the table's (``info.interval``, else 0.9).
    info : TableInfo
        The table's provenance (:func:`value_customers`).

    Returns
    -------
    DataFrame
        One row per group, then ``total``: ``customers``, ``clv_total``,
        ``clv_total_low``, ``clv_total_high``.
    """
    summary = table[list(rfm.SUMMARY_COLUMNS)]
    return total_intervals(
        info.fitted_count_model(),
        table["expected_spend"],
        summary,
        groups.reindex(table.index),
        spend_model=info.fitted_spend_model(),
        horizon_years=info.horizon_years,
        annual_discount_rate=info.annual_discount_rate,
        margin=info.margin,
        time_unit=info.time_unit,
        level=level or info.interval or INTERVAL_LEVEL,
    )
