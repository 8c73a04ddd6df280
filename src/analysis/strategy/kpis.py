"""Key performance indicators per stage and segment: what the playbook asks a firm to watch.

:func:`kpis` measures, for every group of customers (the lifecycle stage by
default, or any segment), the indicators of :data:`KPI_DEFINITIONS` and
returns them as one tidy table. An indicator the data cannot measure --
cross-selling without product data, acquisition cost without cost data,
referrals from a purchase log -- is a row that says "not measurable" and why;
no number is made up for it.

Conventions:

- A *purchase* is a purchase day: orders of a customer on the same day are
  one purchase (as in :func:`analysis.rfm.summarize`).
- The groups are the customers' labels *as of the table's observation end*
  (``observation_end``, the table's ``info.observation_end``); period KPIs follow those customers
  back through the log. A group defined by recent buying (the ``decline``
  stage) therefore has a low latest retention partly by construction; read
  the earlier periods or the value tiers for an outside view.
- Period KPIs (retention, churn, reactivation) use calendar periods of the
  ``period`` alias (:func:`analysis.panel.build_panel`); the row's
  ``period`` is the period *returned to*: ``retention_rate`` at ``1997-12``
  is the share of the customers who bought in November 1997 who bought
  again in December. A last period cut short by the observation end is left
  out, so no rate compares a full month with a partial one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..panel import build_panel, check_period
from ..validate import require_columns
from .groups import group_labels

__all__ = [
    "KpiDefinition",
    "KPI_DEFINITIONS",
    "KPI_COLUMNS",
    "ALL",
    "kpi_definitions_table",
    "kpis",
    "latest_kpis",
]


@dataclass(frozen=True)
class KpiDefinition:
    """One indicator: its name, Chinese term, unit, which way is better and what it reads."""

    name: str
    zh: str
    unit: str
    better: str | None
    reads: str
    meaning: str


_DEFS = [
    KpiDefinition("customers", "客户数", "customers", None, "table",
                  "Customers in the group."),
    KpiDefinition("share_of_customers", "客户占比", "share", None, "table",
                  "The group's customers over all customers of the table."),
    KpiDefinition("share_of_value", "价值占比", "share", None, "table: clv_net",
                  "The group's summed clv_net over the table's summed clv_net (NaN when that "
                  "total is not positive); a negative-value group has a negative share."),
    KpiDefinition("repeat_rate", "重复购买率", "share", "higher", "table: purchases",
                  "Conversion from first to repeat purchase: share of the group's customers "
                  "with two or more purchase days so far (younger customers have had less time)."),
    KpiDefinition("repeat_within_days", "限期重复购买率", "share", "higher",
                  "transactions",
                  "Share of the customers whose first purchase lies at least N days before the "
                  "observation end (the base) who made a second purchase within N days of it "
                  "(N = repeat_within_days)."),
    KpiDefinition("purchase_cycle_days", "购买周期", "days", "lower",
                  "table: purchase_cycle_days",
                  "Median over the group's repeat buyers of their median days between "
                  "successive purchase days."),
    KpiDefinition("average_order_value", "客单价", "amount per purchase", "higher",
                  "table: revenue, purchases",
                  "Revenue over purchase days, summed over the group (a day's orders are one "
                  "purchase)."),
    KpiDefinition("retention_rate", "客户保持率", "share", "higher", "transactions",
                  "Share of the group's customers who bought in period k who bought again in "
                  "period k + 1 (row period = k + 1)."),
    KpiDefinition("churn_rate", "客户流失率", "share", "lower", "transactions",
                  "1 - retention_rate: share of the buyers of period k who did not buy in "
                  "period k + 1."),
    KpiDefinition("reactivation_rate", "挽回率", "share", "higher", "transactions",
                  "Win-back: share of the group's customers who started before period k and "
                  "did not buy in it who bought in period k + 1."),
    KpiDefinition("mean_p_alive", "平均存活概率", "probability", "higher", "table: p_alive",
                  "Mean model probability that the customer is still active."),
    KpiDefinition("cross_sell_rate", "交叉销售率", "share", "higher",
                  "transactions: a product column",
                  "Share of the group's customers who bought two or more distinct products."),
    KpiDefinition("referral_rate", "推荐率", "share", "higher", "referral data",
                  "Share of customers who brought in a new customer; needs referral records."),
    KpiDefinition("acquisition_cost", "获取成本", "amount per customer", "lower",
                  "table: acquisition_cost (costs)",
                  "Mean cost of acquiring a customer of the group."),
    KpiDefinition("retention_cost", "保持成本", "amount per customer per year", "lower",
                  "table: retention_cost (costs)",
                  "Mean yearly cost of keeping a customer of the group."),
]  # fmt: skip

#: every indicator :func:`kpis` reports, by name (the names the playbook may list)
KPI_DEFINITIONS: dict[str, KpiDefinition] = {d.name: d for d in _DEFS}

#: the columns of the table :func:`kpis` returns
KPI_COLUMNS = ["group", "kpi", "period", "value", "base", "unit", "measurable", "note"]

#: the label of the group of all customers
ALL = "all"

_PERIOD_KPIS = ("retention_rate", "churn_rate", "reactivation_rate")


def kpi_definitions_table() -> pd.DataFrame:
    """:data:`KPI_DEFINITIONS` as a table (one row per KPI) for a report."""
    return pd.DataFrame([d.__dict__ for d in _DEFS]).set_index("name")


def _row(group, kpi, value, base, period=None, note=""):
    return {
        "group": group,
        "kpi": kpi,
        "period": period,
        "value": value,
        "base": base,
        "unit": KPI_DEFINITIONS[kpi].unit,
        "measurable": True,
        "note": note,
    }


def _not_measurable(group, kpi, why):
    row = _row(group, kpi, np.nan, np.nan, note=f"not measurable: {why}")
    row["measurable"] = False
    return row


def _share(num, den) -> float:
    return float(num) / float(den) if den else np.nan


def _observation_end(end, transactions: pd.DataFrame | None):
    if end is not None:
        return pd.Timestamp(end).normalize()
    if transactions is not None and len(transactions):
        return pd.Timestamp(transactions["date"].max()).normalize()
    return None


def _prepare_log(table: pd.DataFrame, transactions: pd.DataFrame, end) -> pd.DataFrame:
    require_columns(
        transactions, {"customer_id": "customer_id", "date": "date", "amount": "amount"}
    )
    log = transactions.loc[transactions["date"].dt.normalize() <= end]
    log = log.loc[log["customer_id"].isin(table.index)]
    missing = table.index.difference(pd.Index(log["customer_id"].unique()))
    if len(missing):
        shown = ", ".join(repr(v) for v in list(missing)[:5])
        raise ValueError(
            f"transactions: {len(missing)} customer(s) of the table have no purchase up to "
            f"{end.date()} (customer_id {shown}); pass the log the table was built from."
        )
    return log


def _table_kpis(table: pd.DataFrame, labels: pd.Series, groups: list) -> list[dict]:
    rows: list[dict] = []
    n_all = len(table)
    has = set(table.columns)
    value_total = table["clv_net"].sum() if "clv_net" in has else np.nan
    for g in groups:
        t = table if g == ALL else table.loc[(labels == g).to_numpy()]
        n = len(t)
        rows.append(_row(g, "customers", float(n), float(n)))
        rows.append(_row(g, "share_of_customers", _share(n, n_all), float(n_all)))
        if "clv_net" in has:
            share = t["clv_net"].sum() / value_total if value_total > 0 else np.nan
            note = "" if value_total > 0 else "the table's total clv_net is not positive"
            rows.append(_row(g, "share_of_value", share, float(n), note=note))
        else:
            rows.append(_not_measurable(g, "share_of_value", "the table has no clv_net column"))
        if "purchases" in has:
            repeat = int((t["purchases"] >= 2).sum())
            rows.append(_row(g, "repeat_rate", _share(repeat, n), float(n)))
        else:
            rows.append(_not_measurable(g, "repeat_rate", "the table has no purchases column"))
        if "purchase_cycle_days" in has:
            cycle = t["purchase_cycle_days"].dropna()
            rows.append(
                _row(g, "purchase_cycle_days", float(cycle.median()) if len(cycle) else np.nan,
                     float(len(cycle)))
            )  # fmt: skip
        else:
            rows.append(
                _not_measurable(
                    g, "purchase_cycle_days", "the table has no purchase_cycle_days column"
                )
            )
        if {"revenue", "purchases"} <= has:
            n_purchases = float(t["purchases"].sum())
            rows.append(
                _row(g, "average_order_value", _share(t["revenue"].sum(), n_purchases), n_purchases)
            )
        else:
            rows.append(
                _not_measurable(
                    g, "average_order_value", "the table needs revenue and purchases columns"
                )
            )
        if "p_alive" in has:
            rows.append(
                _row(g, "mean_p_alive", float(t["p_alive"].mean()) if n else np.nan, float(n))
            )
        else:
            rows.append(_not_measurable(g, "mean_p_alive", "the table has no p_alive column"))
        for cost in ("acquisition_cost", "retention_cost"):
            if cost in has:
                rows.append(_row(g, cost, float(t[cost].mean()) if n else np.nan, float(n)))
            else:
                rows.append(
                    _not_measurable(
                        g, cost,
                        f"the table has no {cost} column (no cost data; pass costs= to "
                        "analysis.customers.customer_table when the firm records them)",
                    )
                )  # fmt: skip
        rows.append(
            _not_measurable(
                g, "referral_rate",
                "a purchase log does not record who referred whom; needs referral data",
            )
        )  # fmt: skip
    return rows


def _log_kpis(
    table: pd.DataFrame,
    log: pd.DataFrame,
    end: pd.Timestamp,
    labels: pd.Series,
    groups: list,
    period: str,
    within_days: int,
    product_column: str,
) -> list[dict]:
    rows: list[dict] = []
    masks = {g: np.ones(len(table), bool) if g == ALL else (labels == g).to_numpy() for g in groups}

    # first and second purchase days
    days = (
        pd.DataFrame({"customer_id": log["customer_id"].to_numpy(), "day": log["date"].dt.normalize().to_numpy()})
        .drop_duplicates()
        .sort_values(["customer_id", "day"])
    )  # fmt: skip
    rank = days.groupby("customer_id").cumcount()
    first = days.loc[(rank == 0).to_numpy()].set_index("customer_id")["day"].reindex(table.index)
    second = days.loc[(rank == 1).to_numpy()].set_index("customer_id")["day"].reindex(table.index)
    eligible = (first <= end - pd.Timedelta(days=within_days)).to_numpy()
    quick = ((second - first) <= pd.Timedelta(days=within_days)).to_numpy() & eligible
    note = f"N = {within_days} days"
    for g, m in masks.items():
        base = int((eligible & m).sum())
        rows.append(
            _row(g, "repeat_within_days", _share((quick & m).sum(), base), float(base), note=note)
        )

    if product_column in log.columns:
        distinct = log.groupby("customer_id")[product_column].nunique().reindex(table.index)
        many = (distinct >= 2).to_numpy()
        for g, m in masks.items():
            rows.append(
                _row(g, "cross_sell_rate", _share((many & m).sum(), m.sum()), float(m.sum()))
            )
    else:
        why = (
            f"the log has no {product_column!r} column (no product data), so buying across "
            "products cannot be seen; pass product_column= if it has one"
        )
        rows.extend(_not_measurable(g, "cross_sell_rate", why) for g in groups)

    panel = build_panel(log, period, end)
    pos = pd.Index(panel.customer_ids).get_indexer(table.index)
    bought = panel.purchases[pos] > 0
    true_end = pd.DatetimeIndex(panel.periods.end_time).normalize()
    true_end_day = true_end.to_numpy().astype("datetime64[D]").astype(np.int64)
    complete = panel.period_end == true_end_day
    started = np.arange(len(panel.periods))[None, :] > panel.first_column[pos][:, None]
    for k in range(len(panel.periods) - 1):
        if not complete[k + 1]:
            continue
        label = str(panel.periods[k + 1])
        now, nxt = bought[:, k], bought[:, k + 1]
        lapsed = started[:, k] & ~now
        for g, m in masks.items():
            base = int((now & m).sum())
            if base:
                kept = int((now & nxt & m).sum())
                rows.append(_row(g, "retention_rate", kept / base, float(base), label))
                rows.append(_row(g, "churn_rate", 1.0 - kept / base, float(base), label))
            base = int((lapsed & m).sum())
            if base:
                back = int((lapsed & nxt & m).sum())
                rows.append(_row(g, "reactivation_rate", back / base, float(base), label))
    return rows


def kpis(
    table: pd.DataFrame,
    transactions: pd.DataFrame | None = None,
    by=None,
    period: str = "M",
    *,
    repeat_within_days: int = 90,
    product_column: str = "product",
    total: bool = True,
    observation_end=None,
) -> pd.DataFrame:
    """The indicators of :data:`KPI_DEFINITIONS` per group of customers, as one tidy table.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`),
        indexed by ``customer_id``; the columns each KPI reads are in
        :data:`KPI_DEFINITIONS` (``reads``). A missing column makes its KPI
        "not measurable", it does not fail.
    transactions : DataFrame, optional
        The log the table was built from (``customer_id``, ``date``,
        ``amount``). Purchases after the table's observation end
        (``observation_end``, or the log's last day) and
        customers not in the table are ignored. Without it the KPIs that read
        the log are "not measurable".
    by : str, Series or list, optional
        The groups (:func:`analysis.strategy.groups.group_labels`): None for
        the lifecycle ``stage``, a column name, ``"tier"``, a Series indexed
        by ``customer_id``, or a list of these crossed.
    period : {"D", "W", "M", "Q", "Y"}
        Calendar period of the retention, churn and reactivation rates.
    repeat_within_days : int
        N of ``repeat_within_days``: a second purchase within N days of the
        first counts (days).
    product_column : str
        Column of ``transactions`` naming the product, for ``cross_sell_rate``.
    total : bool
        Add the group ``"all"`` (every customer of the table) after the groups.
    observation_end : date-like, optional
        The table's observation end (``info.observation_end`` of
        :func:`analysis.customers.value_customers`); the log's last day by default.

    Returns
    -------
    DataFrame
        One row per group, KPI and (for the period KPIs) period, in
        :data:`KPI_COLUMNS`: ``group`` (label), ``kpi``, ``period`` (the
        period returned to, e.g. ``"1997-12"``; None for the others),
        ``value`` (NaN when not measurable or the base is empty), ``base``
        (what the value is taken over: customers, repeat buyers or purchase
        days), ``unit``, ``measurable`` (bool) and ``note`` ("not
        measurable: why" when it is not). ``attrs`` records ``by``,
        ``period``, ``repeat_within_days``, ``product_column`` and
        ``observation_end``.

    Examples
    --------
    A two-customer table with no log: ``repeat_rate`` is measured from the
    table, ``retention_rate`` needs the log and is missing:

    >>> t = pd.DataFrame({"stage": ["formation", "formation"], "purchases": [1, 3],
    ...                   "revenue": [10.0, 50.0]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> k = kpis(t, total=False).set_index("kpi")
    >>> float(k.loc["repeat_rate", "value"]), float(k.loc["average_order_value", "value"])
    (0.5, 15.0)
    """
    check_period(period)
    if not isinstance(table, pd.DataFrame) or len(table) == 0:
        raise ValueError("table must be a non-empty customer table (one row per customer_id).")
    if table.index.has_duplicates:
        raise ValueError(
            "table: customer_id appears more than once in the index; one row per customer."
        )
    if int(repeat_within_days) < 1:
        raise ValueError(
            f"repeat_within_days must be a positive number of days, got {repeat_within_days!r}"
        )
    labels = group_labels(table, by)
    groups = list(labels.cat.categories) + ([ALL] if total else [])
    rows = _table_kpis(table, labels, groups)
    end = _observation_end(observation_end, transactions)
    if transactions is None:
        why = "needs the transaction log (pass transactions=)"
        for kpi in ("repeat_within_days", "cross_sell_rate", *_PERIOD_KPIS):
            rows.extend(_not_measurable(g, kpi, why) for g in groups)
    else:
        log = _prepare_log(table, transactions, end)
        rows += _log_kpis(
            table, log, end, labels, groups, period, int(repeat_within_days), product_column
        )
    out = pd.DataFrame(rows, columns=KPI_COLUMNS)
    order = {k: i for i, k in enumerate(KPI_DEFINITIONS)}
    gorder = {g: i for i, g in enumerate(groups)}
    out = out.assign(_g=out["group"].map(gorder), _k=out["kpi"].map(order))
    out = out.sort_values(["_g", "_k", "period"], na_position="first", kind="stable")
    out = out.drop(columns=["_g", "_k"]).reset_index(drop=True)
    out.attrs.update(
        by=labels.name,
        period=period,
        repeat_within_days=int(repeat_within_days),
        product_column=product_column,
        observation_end=None if end is None else str(end.date()),
    )
    return out


def latest_kpis(kpi_table: pd.DataFrame) -> pd.DataFrame:
    """One row per group and KPI: the period KPIs at their latest period, the others as they are.

    Parameters
    ----------
    kpi_table : DataFrame
        Output of :func:`kpis`.

    Returns
    -------
    DataFrame
        The same columns, one row per (``group``, ``kpi``), in the input's order.
    """
    periodic = kpi_table["period"].notna()
    last = kpi_table.loc[periodic].groupby(["group", "kpi"], sort=False)["period"].transform("max")
    keep = ~periodic.to_numpy()
    keep[periodic.to_numpy()] = (kpi_table.loc[periodic, "period"] == last).to_numpy()
    out = kpi_table.loc[keep].reset_index(drop=True)
    out.attrs.update(kpi_table.attrs)
    return out
