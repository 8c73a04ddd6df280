# %% [markdown]
# # 1. The transaction log: who buys, how often, and how much
#
# The raw log before any model: its scale, how often customers buy, what they spend, and when they arrived.

# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

_ = report.receive(globals(), "01_data")  # the values set above, else the defaults; checked

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown

from analysis import data, dates, describe, plots, readings, report, rfm, tables

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours
pd.set_option("display.precision", 2)
transactions = data.load_dataset(
    dataset,
    customer_id=customer_id_column,
    date=date_column,
    amount=amount_column,
    value_per_purchase=value_per_purchase,
    date_format=date_format or None,
    dayfirst=dayfirst or None,
    returns=returns,
    duplicates=duplicates,
)
# the dates left empty are taken from the log (analysis.dates.FRAME_RULE); given ones are checked
study_frame = dates.time_frame(
    transactions, observation_end=observation_end, calibration_end=calibration_end
)
observation_end, calibration_end = study_frame.observation_end, study_frame.calibration_end

# %%
Markdown(readings.run_intro(dataset, transactions))

# %%
# how the log is valued: its amounts, or (a log without amounts) purchases; no margin here
basis = data.value_basis(transactions, 1.0, currency)
currency = basis.currency
Markdown(
    basis.note
    if basis.source != "amounts"
    else f"**Value from the log's amounts.** Revenue is the amount column (in {currency})."
)

# %% [markdown]
# ## The log at a glance
#
# A *purchase day* is a customer's purchases on one date: the models count repeat purchases in days.

# %%
overview = describe.log_overview(transactions)
tables.format_values(  # the means per transaction and customer: the spend table below
    overview.drop(["mean transaction value", "mean revenue per customer"], errors="ignore"),
    currency=currency,
)

# %%
Markdown(readings.overview_reading(overview, currency=currency))

# %% [markdown]
# ## How often customers buy

# %%
per_customer = describe.purchases_per_customer(transactions)
ax = plots.plot_purchases_per_customer(per_customer)

# %%
Markdown(readings.frequency_reading(per_customer))

# %% [markdown]
# ## How much they spend
#
# Spend per transaction and revenue per customer (a log without amounts has none).

# %%
spend = readings.attempt(
    "spend per transaction and per customer", describe.spend_summary, transactions
)
(
    spend
    if readings.skipped(spend)
    else tables.format_table(
        spend.loc[["mean", "10%", "50%", "90%", "max"]],
        dict.fromkeys(spend.columns, "money"),
        currency=currency,
    )
)

# %%
if not readings.skipped(spend):
    ax = plots.plot_spend_distribution(transactions, currency=currency)

# %%
Markdown(readings.spend_distribution_reading(spend, currency=currency))

# %% [markdown]
# ## Purchases week by week
#
# The calibration end (dashed): models are fitted before it and checked after it.

# %%
weekly = describe.repeat_transactions(transactions, freq="W")
ax = plots.plot_repeat_transactions(weekly, calibration_end=calibration_end or None)

# %%
Markdown(readings.weekly_reading(weekly))

# %% [markdown]
# ## Acquisition cohorts
#
# Customers by the month of their first purchase.

# %%
cohort_table = describe.cohorts(transactions, freq="M")
tables.format_table(
    cohort_table, {"returned": "share", "revenue_per_customer": "money"}, currency=currency
)

# %%
ax = plots.plot_cohorts(cohort_table)

# %%
Markdown(readings.cohort_reading(cohort_table, currency=currency))

# %% [markdown]
# ## What the models will see
#
# The calibration summary per customer (columns defined in docs/domain.md), the holdout kept aside.

# %%
summary = rfm.summarize(
    transactions,
    time_unit=time_unit,
    observation_end=observation_end or None,
    calibration_end=calibration_end or None,
)
tables.summary_table(
    summary.drop(columns=["monetary_value_holdout", "duration_holdout"], errors="ignore"),
    time_unit=time_unit,
    currency=currency,
)

# %%
model_inputs = describe.model_inputs(summary)
tables.format_values(model_inputs)

# %%
Markdown(readings.model_inputs_reading(model_inputs, amounts=basis.source == "amounts"))

# %%
assert len(transactions) > 0 and transactions["customer_id"].nunique() == len(
    rfm.summarize(transactions, time_unit=time_unit)
)
assert (summary["recency"] <= summary["T"]).all() and (summary["frequency"] >= 0).all()
assert per_customer["customers"].sum() == transactions["customer_id"].nunique()
