# %% [markdown]
# # 4. Who is worth what: the customer table and its segments
#
# One row per customer, with its history, its lifecycle stage, the probability that it is still active and its expected value, and the segmentations of the customer-relationship literature read from that row: which customers hold the value, and how the firm should treat each group.
#
# The lifecycle report values customers by stage and the CLV report compares ways of valuing them; this report puts both to work on the whole customer base. It builds the **customer table** (`analysis.customers.customer_table`), writes it out for the firm (`customers.csv`, `customers.parquet`) and reads it through every segmentation of `docs/domain.md` (section Segmentation): CLV tiers, the value matrix, loyalty against profitability, the cost matrix, prospect tiers, the customer ranking, Kotler's relationship levels and RFM segments, then the lifecycle stage crossed with the value tier, and the value of each tier with its interval.
#
# Value is **margin x revenue** (for a log without amounts, a fixed revenue per purchase or a count of purchases, as the note after the introduction says) with an assumed gross margin (`margin`): the study reads no cost from the log, so the margin is an assumption to replace with the firm's own figure, and no cost to serve is invented (`cost_per_order` is zero unless given).

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
period: str = "M"  # length of a period for the stages: "W", "M" or "Q"
time_unit: str = "W"  # time unit of the count models: "D", "W" or "M"
horizon_years: float = 3.0  # CLV horizon in years (the three-year practice, docs/domain.md)
annual_discount_rate: float = 0.10  # yearly discount rate (the firm's cost of capital)
margin: float = 0.30  # gross margin on revenue: an assumption, CDNOW has no cost data
cost_per_order: float = 0.0  # cost to serve one order, in currency: none assumed
clv_model: str = "auto"  # the valuation's model: "auto", "BG/NBD", "Pareto/NBD" or "MBG/NBD"
calibration_end: str = ""  # the model choice's holdout starts after it; empty: from the data
currency: str = "$"  # currency symbol written before money (CDNOW: US dollars)
playbook: str = ""  # path to an edited copy of the playbook YAML; empty: the package's
warning_top_tiers: list = ["high", "medium"]  # value tiers the early warning watches
p_alive_below: float = 0.5  # early-warning reason low_p_alive: P(alive) below this
cycle_factor: float = 3.0  # early warning "overdue": silent over this many own purchase cycles
top_customers: int = 10  # rows of the most-valuable and ranking tables
export_dir: str = ""  # folder for customers.csv / customers.parquet; empty: the report folder

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from analysis import (
    customers,
    customers_io,
    data,
    dates,
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
pd.set_option("display.max_colwidth", None)  # the cut reasons and strategies in full
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
Markdown(readings.run_intro(dataset, transactions))

# %%
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
Markdown(basis.note)

# %% [markdown]
# ## 1. The customer table
#
# For each customer the table holds the summary the count models read (`frequency`, `recency`, `T`, `monetary_value`, in `time_unit`), the purchase history in days (purchase days, revenue, first and last purchase, days since the last, the median purchase cycle and the regularity of the gaps between purchases), the lifecycle stage in the last period and how many periods it has lasted, and the model's view of the future: the probability that the customer is still active (`p_alive`), the expected purchases in the next period and over the horizon, the expected spend per purchase (Gamma-Gamma, or the observed means when it cannot be fitted; the fixed value of a purchase for a log without amounts), and the value. `clv` is the discounted expected margin over `horizon_years`; `clv_net` subtracts the discounted cost of the expected orders; `current_value` is the margin on the revenue of the last year and `potential_value` the expected future margin net of costs. The count model is the study's one valuation model (`clv_model`; by default the one of BG/NBD, Pareto/NBD and MBG/NBD that forecast each customer's purchases after `calibration_end` best, the fit deciding only a tie, the rule of `analysis.clv.choice`): every report values a customer with it, so a customer has one CLV everywhere. The line below names the cut, the model and the total; the note says why this model.

# %%
table = customers.customer_table(
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
    currency=currency,
)
display(readings.valuation_line(table, currency=currency))
Markdown("**Model.** " + table.attrs["model_note"])

# %% [markdown]
# The table is the report's deliverable: the firm can sort, filter and join it with its own records, or load it into a CRM. It is written beside the report as CSV (for a spreadsheet, with `customers.json` beside it: the model, its parameters and covariance, the cut) and Parquet (which keeps the types, the stage order and the same record). The written table adds the decisions of the strategy report for each customer, computed by the same functions with the same parameters (`playbook`, `warning_top_tiers`, `p_alive_below`, `cycle_factor`): the CLV tier, the playbook cell (stage x tier), its strategy key, investment priority and action, and the early-warning flag, score and reasons.

# %%
crm_table = strategy.with_decision_columns(
    table,
    playbook=playbook,
    warning_top_tiers=warning_top_tiers,
    p_alive_below=p_alive_below,
    cycle_factor=cycle_factor,
)
written = customers_io.export(crm_table, export_dir) if export_dir else []
Markdown(readings.export_note(written))

# %% [markdown]
# The most valuable customers by net CLV, with a few of their columns (money in currency):

# %%
table.nlargest(top_customers, "clv_net")[
    [
        "stage",
        "purchases",
        "revenue",
        "days_since_last",
        "p_alive",
        "expected_purchases_horizon",
        "expected_spend",
        "current_value",
        "clv_net",
    ]
].pipe(
    tables.format_table,
    {"p_alive": "share", "days_since_last": "count", "expected_purchases_horizon": "number"},
    currency=currency,
)

# %% [markdown]
# How the value is spread: the total, the mean and median customer, and the share of the total held by the most valuable tenth and fifth of the customers.

# %%
value_summary = tables.method_summary(table[["clv_net"]])
tables.format_table(value_summary, currency=currency)

# %%
Markdown(readings.value_reading(value_summary, horizon_years=horizon_years, currency=currency))

# %% [markdown]
# ## 2. CLV tiers
#
# The tiers follow the seeds' rule that spending should follow value: invest to keep the high tier, spend a controlled amount on the low tier, and nothing on a customer whose net CLV is negative. The positive tiers are cut by cumulative share of value, an ABC analysis: the most valuable customers who together hold the first share of the positive value (`segments.CLV_TIER_SHARES`) are *high*, those up to the second share *medium*, the rest *low*.

# %%
tiers = segments.clv_tiers(table)
tier_summary = segments.segment_summary(table, tiers)
tables.format_table(tier_summary, currency=currency)

# %%
Markdown(readings.tier_reading(tier_summary, currency=currency))

# %% [markdown]
# How sure are these totals? Each tier's CLV (before costs) summed over its customers, with the interval that the uncertainty of the fitted models gives it (the parameters drawn from their sampling distribution, every customer valued at each draw and the tier summed; `customers.value_intervals`). The interval covers the models' parameter error only, not the chance in what customers will actually do, nor an error in the models' form.

# %%
tier_totals = customers.value_intervals(table, tiers)
tables.format_table(tier_totals, currency=currency)

# %% [markdown]
# ## 3. The value matrix (Chen & Li)
#
# Chen Mingliang and Li Huaizu cross a customer's **current value** (here the margin of the last year) with its **potential value** (the expected future margin net of costs). High on both: *retain*, the firm's most important customers; low current but high potential: *develop*; high current but low potential: *maintain*; low on both: *reduce* what is spent on them. Each axis is split at its median. The figure shows every customer on symlog axes (linear near zero, so customers with no current value are shown), the two cuts dashed, and each cell's customers and share of the value in its corner.

# %%
matrix_summary = segments.segment_summary(table, segments.value_matrix(table))
tables.format_table(matrix_summary, currency=currency)

# %%
ax = plots.plot_value_matrix(table, currency=currency)

# %%
Markdown(readings.value_matrix_reading(matrix_summary, table, currency=currency))

# %% [markdown]
# ## 4. Loyalty and profitability (Reinartz & Kumar)
#
# Reinartz and Kumar found that loyal customers are not always the profitable ones, and named four groups: *true friends* (loyal and profitable), *butterflies* (profitable but not loyal: take the profit while it lasts), *barnacles* (loyal but not profitable) and *strangers* (neither). Loyalty here is a customer that is probably still active and buys regularly; profitability is a net CLV above the base's median. The cuts and the reason for each:

# %%
tables.format_table(pd.DataFrame(segments.LOYALTY_CUTS, index=["default", "reason"]).T)

# %%
loyalty_summary = segments.segment_summary(table, segments.loyalty_profitability(table))
tables.format_table(loyalty_summary, currency=currency)

# %%
ax = plots.plot_loyalty_profitability(loyalty_summary)

# %%
Markdown(readings.loyalty_reading(loyalty_summary, table))

# %% [markdown]
# ## 5. The cost matrix
#
# The seeds' cost matrix crosses what it costs to acquire a customer with what it costs to keep one: *loyal* customers (costly to win from a competitor and to keep, and worth it), *casual* customers (cheap either way), and the two mixed cells, *easy to win but hard to keep* and *easy to keep but hard to win*. It needs each customer's costs, which a transaction log does not hold.

# %%
cost_summary = segments.segment_summary(table, "cost_matrix") if table.attrs["has_costs"] else None
Markdown(readings.cost_matrix_reading(table, cost_summary))

# %% [markdown]
# ## 6. Prospect tiers in exploration
#
# A small firm in the exploration stage of its customers cannot court them all. The seeds sort the customers still in exploration into *quality*, *ordinary* and *poor* prospects by predicted value (quantiles among the prospects, `segments.PROSPECT_QUANTILES`): scarce resources go to the quality prospects, ordinary ones are touched from time to time, poor ones get little.

# %%
prospect_summary = segments.segment_summary(table, segments.prospect_tiers(table))
tables.format_table(prospect_summary, currency=currency)

# %%
Markdown(readings.prospect_reading(prospect_summary, table, currency=currency))

# %% [markdown]
# ## 7. The customer ranking (客户序位)
#
# Dai Junliang and Liu Chengshui order all customers in one list by a weighted score of current value, potential value and the probability of keeping them (P(alive)), so that the firm serves its customers in order of what they are worth to it. Each criterion is first put on a 0-1 scale by rank, so money and a probability weigh alike. The weights used:

# %%
ranked = segments.ranking(table)
tables.format_values(
    pd.Series(ranked.attrs["weights"]),
    dict.fromkeys(ranked.attrs["weights"], "share"),
    name="weight",
)

# %%
ranked.head(top_customers).join(
    table[["current_value", "potential_value", "p_alive", "clv_net"]]
).pipe(tables.format_table, {"p_alive": "share"}, currency=currency, decimals=3)

# %%
Markdown(readings.ranking_reading(ranked, table, top=top_customers))

# %% [markdown]
# ## 8. Relationship level (Kotler)
#
# Kotler's five levels of relationship, from *basic* (sell, no follow-up) through *reactive*, *accountable* and *proactive* to *partnership* (work with the customer continuously), are chosen by how many customers a segment has and by the margin each brings: many customers with thin margins call for a basic relationship, few with high margins for a partnership. The standard table (rows: number of customers; columns: margin per customer):

# %%
tables.format_table(segments.kotler_table())

# %% [markdown]
# Applied to the CLV tiers: a tier's size is its share of the customers and its margin the mean net CLV of its customers relative to the base's (`segments.SIZE_CUTS`, `segments.MARGIN_CUTS`).

# %%
levels = segments.relationship_level(tier_summary)
tables.format_table(levels, currency=currency, na_rep="n/a")  # a tier without customers: no level

# %%
Markdown(readings.relationship_reading(levels, currency=currency))

# %% [markdown]
# ## 9. RFM segments: the familiar baseline
#
# Recency (days since the last purchase), frequency (purchase days) and monetary value (revenue to date) are each scored 1 to 5 by quintile, and a rule grid on the recency and frequency scores names the segment marketing teams know, from *champions* to *lost*. RFM reads only the past; the segments above read the model's forecast. The grid (rows: recency score, best first; columns: frequency score):

# %%
tables.format_table(segments.rfm_grid_table())

# %%
rfm_summary = segments.segment_summary(table, segments.rfm_segments(table)["segment"])
tables.format_table(rfm_summary, currency=currency)

# %%
Markdown(readings.rfm_reading(rfm_summary))

# %% [markdown]
# ## 10. Lifecycle stage x CLV tier
#
# Where the value sits in the lifecycle: each customer's stage in the last period (the lifecycle report's rules) crossed with its CLV tier. The colour is the cell's share of the value; each cell shows its customers and that share.

# %%
stage_tier_summary = segments.segment_summary(table, ["stage", tiers])
ax = plots.plot_stage_tiers(stage_tier_summary)

# %%
Markdown(readings.stage_tier_reading(stage_tier_summary))

# %% [markdown]
# ## Using the table
#
# Every number in this report comes from the exported table and the segmentation functions of `analysis.segments`, each with its cuts as documented parameters. To act on it: sort the table by `clv_net` or by the ranking to choose whom to serve first; join the CLV tier and the stage to the playbook of the strategy report; replace `margin` with the firm's own margin and, when the firm knows them, pass its costs to `customer_table` so that the cost matrix and a net CLV below zero can appear.

# %%
# sanity checks: one row per customer, every segmentation covers the base, the two valuations agree on it
assert table.index.is_unique and len(table) == transactions["customer_id"].nunique()
assert tier_summary["customers"].sum() == len(table)
assert matrix_summary["customers"].sum() == len(table) and loyalty_summary[
    "customers"
].sum() == len(table)
assert rfm_summary["customers"].sum() == len(table)
assert prospect_summary["customers"].sum() == (table["stage"] == "exploration").sum()
assert list(ranked["rank"]) == list(range(1, len(table) + 1))
assert stage_tier_summary["customers"].sum() == len(table)
assert abs(value_summary.loc["clv_net", "total"] - tier_summary["total_clv"].sum()) < 1e-6 * max(
    1.0, abs(table["clv_net"].sum())
)
assert table.attrs["has_costs"] or cost_summary is None
