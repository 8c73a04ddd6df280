"""The customer table's model columns on Spark, customer by customer, without a driver bottleneck.

When a firm's log outgrows one machine, the study runs in three steps, and
only the second happens on the driver:

1. ``rfm.summarize(log, engine="spark", compress=True)``: the summary is
   computed in Spark and grouped into its distinct (frequency, recency, T)
   patterns with a ``weight``: thousands of rows, whatever the number of
   customers (:mod:`analysis.engines.spark`);
2. the models are fitted on those patterns as usual (``BetaGeo().fit``,
   ``ParetoNBD().fit``; Gamma-Gamma on
   ``compress=["frequency", "monetary_value"]``, repeat buyers only);
3. :func:`score` applies the fitted models to every customer where the data
   live: the per-customer summary goes through ``mapInPandas`` in chunks
   (:func:`score_frame`: P(alive), expected purchases, expected spend, CLV,
   by :func:`analysis.customers.model_columns`, the customer table's own),
   the log through ``applyInPandas`` in groups of whole customers
   (:func:`stage_frame`: the lifecycle stage of the last period and how
   long it has lasted). The result is a Spark DataFrame, written with
   ``.write.parquet(...)``.

The per-chunk functions are the customer table's own
(:func:`analysis.customers.model_columns`,
:func:`analysis.customers.latest_stages`), so every column means what it
means in :func:`analysis.customers.customer_table` and agrees with it to
rounding. The models are small picklable objects shipped to the workers,
which need the ``analysis`` package installed (or shipped with
``--py-files``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .customers import MODEL_COLUMNS, check_table_parameters, latest_stages, model_columns
from .engines.spark import local_session, session, summary_dataframe
from .lifecycle.stages import resolve_thresholds

__all__ = ["SCORE_COLUMNS", "local_session", "score", "score_frame", "session", "stage_frame"]

#: the columns of :func:`score` after ``customer_id``, in the customer table's order
SCORE_COLUMNS: tuple[str, ...] = (
    "frequency", "recency", "T", "monetary_value", "stage", "periods_in_stage",
    "p_alive", "expected_purchases_period", "expected_purchases_horizon", "expected_spend",
    "clv", "clv_net",
)  # fmt: skip
_SUMMARY = ["frequency", "recency", "T", "monetary_value"]
_MODEL_COLUMNS = list(MODEL_COLUMNS)
#: customers' groups for the stage classifier when none is given (at least the partitions)
STAGE_GROUPS = 64


def score_frame(
    summary: pd.DataFrame,
    transaction_model,
    spend_model,
    *,
    time_unit: str,
    period: str = "M",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 0.30,
    cost_per_purchase: float = 0.0,
    retention_cost: float = 0.0,
) -> pd.DataFrame:
    """The model columns of a chunk of customers (what :func:`score` runs on each chunk).

    Parameters
    ----------
    summary : DataFrame
        ``customer_id`` (a column), ``frequency``, ``recency``, ``T``,
        ``monetary_value`` in ``time_unit``.
    transaction_model, spend_model, time_unit, period, horizon_years, annual_discount_rate, margin
        As in :func:`score`.
    cost_per_purchase, retention_cost
        As in :func:`score`.

    Returns
    -------
    DataFrame
        ``customer_id``, the summary columns and
        :data:`analysis.customers.MODEL_COLUMNS` (``p_alive``,
        ``expected_purchases_period``, ``expected_purchases_horizon``,
        ``expected_spend``, ``clv``, ``clv_net``) from
        :func:`analysis.customers.model_columns`, as in
        :func:`analysis.customers.customer_table`.
    """
    out = summary[["customer_id", *_SUMMARY]].reset_index(drop=True)
    if len(out) == 0:
        return out.assign(**{c: np.zeros(0) for c in _MODEL_COLUMNS})
    data = out.set_index("customer_id")[_SUMMARY]
    scores = model_columns(
        transaction_model,
        spend_model,
        data,
        time_unit=time_unit,
        period=period,
        horizon_years=horizon_years,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
        cost_per_purchase=cost_per_purchase,
        retention_cost=float(retention_cost) if retention_cost else None,
    )
    for col in _MODEL_COLUMNS:
        out[col] = scores[col].to_numpy(dtype=float)
    return out


def stage_frame(
    log: pd.DataFrame,
    *,
    period: str = "M",
    observation_end,
    thresholds: dict | None = None,
) -> pd.DataFrame:
    """The last period's lifecycle stage of whole customers (what :func:`score` runs per group).

    Parameters
    ----------
    log : DataFrame
        Every row of the customers in the group: ``customer_id``, ``day``
        (days since 1970-01-01) and ``amount``.
    period : {"D", "W", "M", "Q", "Y"}
        Period of the stages.
    observation_end : date-like
        Last day observed (the same for every group).
    thresholds : dict, optional
        Thresholds of :func:`analysis.lifecycle.assign_stages`.

    Returns
    -------
    DataFrame
        ``customer_id`` (sorted), ``stage`` (text) and ``periods_in_stage``
        (consecutive periods in it up to the last), as in the customer table.
    """
    if len(log) == 0:
        return pd.DataFrame(
            {
                "customer_id": log["customer_id"].iloc[:0],
                "stage": pd.Series([], dtype=object),
                "periods_in_stage": np.zeros(0, dtype=np.int64),
            }
        )
    days = log["day"].to_numpy(dtype=np.int64).astype("datetime64[D]")
    frame = pd.DataFrame(
        {
            "customer_id": log["customer_id"].to_numpy(),
            "date": days.astype("datetime64[ns]"),
            "amount": log["amount"].to_numpy(dtype=float),
        }
    )
    latest = latest_stages(frame, period, observation_end, **(thresholds or {}))
    return pd.DataFrame(
        {
            "customer_id": latest.index.to_numpy(),
            "stage": np.asarray(latest["stage"].astype(str), dtype=object),
            "periods_in_stage": latest["periods_in_stage"].to_numpy(dtype=np.int64),
        }
    )


def _score_batches(options: dict):
    """The function mapInPandas runs: :func:`score_frame` on each batch of customers."""

    def run(batches):
        for batch in batches:
            yield score_frame(batch, **options)

    return run


def _stage_group(options: dict):
    """The function applyInPandas runs: :func:`stage_frame` on each group of whole customers."""

    def run(group: pd.DataFrame) -> pd.DataFrame:
        return stage_frame(group, **options)

    return run


def _check(time_unit, period, horizon_years, margin, cost_per_purchase, retention_cost, thresholds):
    check_table_parameters(horizon_years, margin, cost_per_purchase, time_unit, period)
    if not np.isfinite(float(retention_cost)) or float(retention_cost) < 0:
        raise ValueError(f"retention_cost must be a number >= 0 a year, got {retention_cost!r}")
    resolve_thresholds(thresholds or {})


def score(
    transactions,
    transaction_model,
    spend_model,
    *,
    observation_end=None,
    time_unit: str | None = None,
    period: str = "M",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 0.30,
    cost_per_purchase: float = 0.0,
    retention_cost: float = 0.0,
    stages: bool = True,
    thresholds: dict | None = None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    spark=None,
    partitions: int | None = None,
    stage_groups: int | None = None,
):
    """Score every customer of a log on Spark with fitted models; nothing is collected.

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame, str, Path or pandas.DataFrame
        The log, as :func:`analysis.rfm.summarize` with ``engine="spark"``
        takes it (a path is read by Spark: CSV or Parquet file, glob, folder).
    transaction_model : CountModel
        A fitted BG/NBD, Pareto/NBD or other continuous-time count model,
        e.g. fitted on ``rfm.summarize(log, engine="spark", compress=True)``.
    spend_model : GammaGamma or float
        A fitted :class:`analysis.models.GammaGamma`, or one spend per purchase for all.
    observation_end : date-like, optional
        Last day observed; the last purchase day by default.
    time_unit : str, optional
        Unit of the summary and the model; the model's own by default.
    period : {"D", "W", "M", "Q", "Y"}
        Period of the stages and of ``expected_purchases_period``.
    horizon_years, annual_discount_rate, margin, cost_per_purchase : float
        As in :func:`analysis.customers.customer_table` (3 years, 10% a year,
        30% margin, no cost per purchase by default).
    retention_cost : float
        Cost per year of keeping a customer while she is alive (currency, the
        same for every customer), subtracted in ``clv_net`` as the customer
        table subtracts a costs table's ``retention_cost``; 0 by default.
    stages : bool
        Add ``stage`` and ``periods_in_stage`` (the lifecycle classifier,
        run on groups of whole customers); False leaves them out.
    thresholds : dict, optional
        Thresholds of :func:`analysis.lifecycle.assign_stages`.
    customer_id, date, amount : str
        Column names in the log.
    spark : SparkSession, optional
        The session; by default the DataFrame's, else the active one, else a local one.
    partitions : int, optional
        Partitions of the per-customer shuffle (``spark.sql.shuffle.partitions`` by default).
    stage_groups : int, optional
        Groups of customers for the stage classifier (each group is one
        pandas frame in one Python worker: with N customers, N / groups of
        them at a time); the larger of 64 and ``partitions`` by default.

    Returns
    -------
    pyspark.sql.DataFrame
        One row per customer: ``customer_id`` and :data:`SCORE_COLUMNS`
        (without the stage columns when ``stages=False``). Lazy: write it
        with ``.write.parquet(path)``.

    Examples
    --------
    >>> patterns = rfm.summarize(log, engine="spark", compress=True)  # doctest: +SKIP
    >>> bgf = BetaGeo().fit(patterns)  # doctest: +SKIP
    >>> spend = rfm.summarize(log, engine="spark", compress=["frequency", "monetary_value"])
    >>> ggf = GammaGamma().fit(spend[spend["frequency"] > 0])  # doctest: +SKIP
    >>> score(log, bgf, ggf).write.parquet("customers.parquet")  # doctest: +SKIP
    """
    unit = getattr(transaction_model, "time_unit", None) if time_unit is None else time_unit
    if unit is None:
        raise ValueError(
            f"the time unit of {type(transaction_model).__name__} is unknown: fit it on a "
            "summary from analysis.rfm.summarize (which records it) or pass time_unit=..."
        )
    _check(unit, period, horizon_years, margin, cost_per_purchase, retention_cost, thresholds)
    summary = summary_dataframe(
        transactions,
        unit,
        observation_end,
        None,
        customer_id,
        date,
        amount,
        spark=spark,
        partitions=partitions,
    )
    id_type = summary.frame.schema["customer_id"].dataType.simpleString()
    schema = ", ".join(
        [f"customer_id {id_type}", "frequency long"]
        + [f"{c} double" for c in ["recency", "T", "monetary_value", *_MODEL_COLUMNS]]
    )
    options = {
        "transaction_model": transaction_model,
        "spend_model": spend_model,
        "time_unit": unit,
        "period": period,
        "horizon_years": float(horizon_years),
        "annual_discount_rate": float(annual_discount_rate),
        "margin": float(margin),
        "cost_per_purchase": float(cost_per_purchase),
        "retention_cost": float(retention_cost),
    }
    scored = summary.frame.drop("keep").mapInPandas(_score_batches(options), schema)
    if not stages:
        return scored
    spark = summary.frame.sparkSession
    if stage_groups is None:
        shuffle = int(spark.conf.get("spark.sql.shuffle.partitions"))
        stage_groups = max(STAGE_GROUPS, partitions or shuffle)
    from pyspark.sql import functions as F

    end = pd.Timestamp(np.datetime64(summary.end_day, "D"))
    staged = (
        summary.log.withColumn("_group", F.pmod(F.hash("customer_id"), F.lit(int(stage_groups))))
        .groupBy("_group")
        .applyInPandas(
            _stage_group({"period": period, "observation_end": end, "thresholds": thresholds}),
            f"customer_id {id_type}, stage string, periods_in_stage long",
        )
    )
    return scored.join(staged, "customer_id", "left").select("customer_id", *SCORE_COLUMNS)
