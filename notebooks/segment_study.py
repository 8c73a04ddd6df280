# %% [markdown]
# # Segment study: one segment in depth
#
# The segments report sorts the whole customer base into the groups of each segmentation. This study takes **one** of those groups, the label `segment` of the segmentation `segmentation`, and looks at it from every side the project measures: its size and share of the value, what its customers look like beside the base, where they stand in the lifecycle, how profit per customer runs along their relationship, how the value is spread among them, how often they come back, the strategy report's indicators, the customers the early warning flags, and what the playbook prescribes for them.
#
# The segmentation is computed on the whole customer table (`analysis.customers.customer_table`): its cuts are relative to the base, so a customer's label does not change with the segment studied. Value is **margin x revenue** (for a log without amounts, a fixed revenue per purchase or a count of purchases, as the note after the introduction says) with an assumed gross margin (`margin`), net of the cost to serve each expected order (`cost_per_order`, none by default). Every paragraph headed **Reading** is written from the numbers beside it by a function of `analysis.readings`.

# %% tags=["parameters"]
dataset: str = "cdnow"  # "cdnow" (the full log), "cdnow_sample", or a path to your CSV/Parquet log
customer_id_column: str = "customer_id"  # your log's customer id column
date_column: str = "date"  # your log's purchase date column
amount_column: str = "amount"  # your log's purchase value column; empty: a log without amounts
value_per_purchase: float = 0.0  # no amounts: revenue of one purchase; 0: value in purchases
date_format: str = ""  # strftime format of your dates, e.g. "%Y%m%d"; empty: infer
dayfirst: bool = False  # dates written day first (31/12/1997); used only when date_format is empty
returns: str = "error"  # negative amounts (returns): "error", "drop" or "keep"
duplicates: str = "warn"  # rows identical in every column: "warn", "drop" or "error"
observation_end: str = ""  # last day observed; empty: from the data (the last purchase date)
period: str = "M"  # length of a period for the stages, the curve and the retention: "W", "M" or "Q"
time_unit: str = "W"  # time unit of the count models: "D", "W" or "M"
horizon_years: float = 3.0  # CLV horizon in years (the three-year practice, docs/domain.md)
annual_discount_rate: float = 0.10  # yearly discount rate (the firm's cost of capital)
margin: float = 0.30  # gross margin on revenue: an assumption, CDNOW has no cost data
cost_per_order: float = 0.0  # cost to serve one order, in currency: none assumed
clv_model: str = "auto"  # the valuation's model: "auto", "BG/NBD", "Pareto/NBD" or "MBG/NBD"
calibration_end: str = ""  # the model choice's holdout starts after it; empty: from the data
segmentation: str = "clv_tiers"  # clv_tiers, value_matrix, loyalty_profitability or rfm_segments
segment: str = "high"  # the label studied
currency: str = "$"  # currency symbol written before money (CDNOW: US dollars)
warning_top_tiers: list = [
    "high",
    "medium",
]  # value tiers whose customers the early warning watches
top_warnings: int = 10  # rows of the list of the segment's customers at risk
customers_path: str = ""  # customers.parquet of a report run; empty: build the table here

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from analysis import (
    churn,
    data,
    dates,
    lifecycle,
    plots,
    readings,
    report,
    segments,
    strategy,
    tables,
)

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours
pd.set_option("display.float_format", "{:,.3f}".format)  # separators, no scientific notation
pd.set_option("display.max_columns", 30)
pd.set_option("display.max_colwidth", None)
segments.check_segment(
    segmentation, segment
)  # a label the segmentation cannot give stops here, before any work
transactions = data.load_dataset(
    dataset,
    customer_id=customer_id_column,
    date=date_column,
    amount=amount_column,
    date_format=date_format or None,
    dayfirst=dayfirst or None,
    returns=returns,
    duplicates=duplicates,
    value_per_purchase=value_per_purchase,
)
# empty: the last purchase date (analysis.dates.FRAME_RULE); a given date is checked
observation_end = dates.time_frame(transactions, observation_end=observation_end).observation_end

# %%
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
Markdown(basis.note)

# %% [markdown]
# ## 1. The segment and its profile
#
# The customer table of the whole base, then the segment's rows (`segments.members`: the segmentation computed on the whole table, the customers holding the label kept). The count model is chosen by fit, as in the segments report. When the report runner runs this study, it passes the table the segments report wrote in the same run (`customers_path`, the same log and parameters) instead of fitting the models again; `report.customer_table_from` checks that table against the log and the parameters:

# %%
table = report.customer_table_from(
    customers_path,
    transactions,
    observation_end=observation_end or None,
    period=period,
    time_unit=time_unit,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    cost_per_order=cost_per_order,
    model=clv_model,
    calibration_end=calibration_end or None,
)
rows = segments.members(table, segmentation, segment)
display(readings.valuation_line(table, "The whole base", currency=currency))
Markdown("**Model.** " + table.attrs["model_note"])

# %% [markdown]
# Every label of the segmentation with its customers and value (`segments.segment_summary`), the studied one among them:

# %%
summary = segments.segment_summary(table, segmentation)
tables.format_table(summary, currency=currency)

# %% [markdown]
# The segment's customers beside the whole base: mean and median of the columns of the customer table that describe a customer's history and future (`segments.segment_profile`; `ratio` is the segment's mean over the base's).

# %%
profile = segments.segment_profile(table, rows)
tables.format_table(profile, decimals=2)

# %%
Markdown(
    "**Reading.** " + readings.segment_profile_reading(summary, profile, segment, currency=currency)
)

# %% [markdown]
# ## 2. Where the segment stands in the lifecycle
#
# Each customer's stage in the last period (the lifecycle report's rules): the segment's mix beside the base's, and where the segment's value sits.

# %%
mix = segments.segment_stages(table, rows)
tables.format_table(mix, {"base_share": "share", "value": "money"}, currency=currency)

# %%
ax = (
    mix[["share", "base_share"]]
    .rename(columns={"share": segment, "base_share": "base"})
    .plot.bar(rot=0, ylabel="share of customers")
)

# %%
Markdown("**Reading.** " + readings.segment_stage_reading(mix, segment))

# %% [markdown]
# ## 3. The lifecycle curve of the segment
#
# The stages of every customer-period are assigned on the whole log in the hindsight view (each month read with the whole history, as in the lifecycle report's curves; the stage mix above is the real-time one of the customer table), then the segment's customers are kept and `lifecycle.lifecycle_curve` follows them by relationship age (periods since the first purchase): mean purchases, revenue and profit per customer observed at that age, and the share of each stage. The base's curve is computed the same way for comparison. An age observed on few customers is noisy; the reading skips ages with fewer than `readings.SEGMENT_MIN_CURVE_CUSTOMERS` of the segment's customers.

# %%
stages = lifecycle.assign_stages(  # hindsight: the stages as they were
    transactions, period=period, observation_end=table.attrs["observation_end"], view="hindsight"
)
curve = lifecycle.lifecycle_curve(
    stages=stages.loc[stages["customer_id"].isin(rows.index)],
    margin=margin,
    cost_per_purchase=cost_per_order,
)
base_curve = lifecycle.lifecycle_curve(
    stages=stages, margin=margin, cost_per_purchase=cost_per_order
)
curve[["customers", "purchases", "revenue", "profit"]].join(
    base_curve[["profit"]].rename(columns={"profit": "base_profit"})
).pipe(tables.format_table, {"base_profit": "money"}, currency=currency)

# %%
ax = plots.plot_lifecycle_curve(curve, currency=currency, period=period)

# %%
Markdown("**Reading.** " + readings.segment_curve_reading(curve, base_curve, currency=currency))

# %% [markdown]
# ## 4. How the value is spread within the segment
#
# Net CLV over `horizon_years` of the segment's customers: the total, the mean and median customer, and the share of the segment's value held by its most valuable tenth and fifth (`tables.method_summary`). The histogram's counts are on a log scale, so a thin tail of large values stays visible.

# %%
spread = tables.method_summary(rows[["clv_net"]])
tables.format_table(spread, currency=currency)

# %%
ax = rows["clv_net"].plot.hist(
    bins=40, log=True, xlabel=f"net CLV ({currency})", ylabel="customers (log scale)"
)

# %%
Markdown("**Reading.** " + readings.segment_spread_reading(spread, segment, currency=currency))

# %% [markdown]
# ## 5. Retention by age
#
# `lifecycle.cohort_retention` gives, for each cohort of first purchases, the share of its customers buying at each relationship age. Cohorts are weighted by their sizes into one curve per group (`readings.segment_retention_curves`), the segment's beside the base's. A segment chosen on value or recency is partly chosen on this repeat buying, so the comparison describes the segment; it does not say the segment caused its retention.

# %%
segment_log = transactions.loc[transactions["customer_id"].isin(rows.index)]
retention = lifecycle.cohort_retention(
    segment_log, period=period, observation_end=table.attrs["observation_end"]
)
base_retention = lifecycle.cohort_retention(
    transactions, period=period, observation_end=table.attrs["observation_end"]
)
curves = readings.segment_retention_curves(retention, base_retention, segment)
tables.format_table(curves.T, dict.fromkeys(curves.T.columns, "share"))

# %%
ax = curves.plot(marker="o", xlabel=f"relationship age ({period})", ylabel="share buying")

# %%
Markdown("**Reading.** " + readings.segment_retention_reading(curves, segment))

# %% [markdown]
# ## 6. KPIs: the segment against the rest of the base
#
# The strategy report's indicators (`strategy.kpis`, definitions in `strategy.KPI_DEFINITIONS`) for two groups, the segment and the rest of the base (`segments.membership`), and for all customers together. The period rates (retention, churn, reactivation) are those of the last complete period. An indicator the data cannot measure is left out of the table.

# %%
kpi_table = strategy.kpis(
    table, transactions, by=segments.membership(table, rows, segment), period=period
)
tables.format_kpis(readings.kpi_matrix(kpi_table), currency=currency)

# %%
Markdown(
    "**Reading.** "
    + readings.segment_kpi_reading(kpi_table, segment, rest=segments.REST, currency=currency)
)

# %% [markdown]
# ## 7. Early warning in the segment
#
# `churn.early_warning` flags the customers of the valuable CLV tiers (`warning_top_tiers`) that show a sign of leaving: a stage of decline (entered in the last period, or held longer), a P(alive) below one half, or a silence longer than three of their own purchase cycles. The list is computed on the whole base (the tiers are the base's) and restricted to the segment; a segment outside the watched tiers has no one on it by design. Ordered by net CLV, the value at risk:

# %%
tiers = segments.clv_tiers(table)
warned = churn.early_warning(table, tiers=tiers, top_tiers=warning_top_tiers)
at_risk = warned.loc[warned.index.isin(rows.index)]
at_risk.head(top_warnings)[
    ["stage", "tier", "clv_net", "p_alive", "days_since_last", "purchase_cycle_days", "reasons"]
]

# %%
Markdown(
    "**Reading.** "
    + readings.segment_warning_reading(at_risk, rows, tiers, warning_top_tiers, currency=currency)
)

# %% [markdown]
# ## 8. What the playbook prescribes
#
# `strategy.recommend` on the segment's rows, with the CLV tiers of the whole base: every stage x tier cell of the playbook with the segment's customers in it, their share of the segment's customers and value, and the playbook's strategy, relationship level and priority. The cells without any of the segment's customers are left out.

# %%
recommendation = strategy.recommend(rows, tiers=tiers.loc[rows.index])
recommendation.loc[
    recommendation["customers"] > 0,
    ["customers", "share_customers", "share_value", "priority", "relationship_level", "strategy"],
]

# %%
Markdown("**Reading.** " + readings.segment_recommendation_reading(recommendation))

# %%
# sanity checks: the segment is the label's customers, and every section covers them
assert len(rows) == summary.loc[segment, "customers"] > 0
assert mix["customers"].sum() == len(rows)
assert curve.loc[0, "customers"] == len(rows)
assert abs(spread.loc["clv_net", "total"] - rows["clv_net"].sum()) < 1e-6 * max(
    1.0, abs(rows["clv_net"].sum())
)
assert retention["customers"].sum() == len(rows)
assert at_risk.index.isin(rows.index).all()
assert recommendation["customers"].sum() == len(rows)
