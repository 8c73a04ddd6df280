# %% [markdown]
# # 1. The transaction log: who buys, how often, and how much
#
# Before any model, the study looks at the raw log the way a manager would: how many customers, how many purchases, how much they spend, how many come back, and when they arrived. These facts set the scale for everything later: the lifecycle stages (report 2) and the value of each customer.

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
# One row per purchase (customer, date, amount). A *purchase day* is a customer's purchases on one date taken together: the models count a customer's repeat purchases in days, so two orders on the same day are one purchase.

# %%
overview = describe.log_overview(transactions)
tables.format_values(overview, currency=currency)

# %%
Markdown(readings.overview_reading(overview, currency=currency))

# %% [markdown]
# ## How often customers buy
#
# The distribution of purchase days per customer is the first sign of the lifecycle: the bar at one holds the trials that never came back, the bars to its right the customers who buy again and again.

# %%
per_customer = describe.purchases_per_customer(transactions)
tables.format_table(per_customer)

# %%
ax = plots.plot_purchases_per_customer(per_customer)

# %%
Markdown(readings.frequency_reading(per_customer))

# %% [markdown]
# ## How much they spend
#
# Spend per transaction and revenue per customer, as quantiles. Where spend is skewed, the mean sits above the median and averages alone mislead. A log without amounts has no spend to describe; the section says so.

# %%
spend = readings.attempt(
    "spend per transaction and per customer", describe.spend_summary, transactions
)
(
    spend
    if readings.skipped(spend)
    else tables.format_table(spend, dict.fromkeys(spend.columns, "money"), currency=currency)
)

# %%
if not readings.skipped(spend):
    ax = plots.plot_spend_distribution(transactions, currency=currency)

# %%
Markdown(readings.spend_distribution_reading(spend, currency=currency))

# %% [markdown]
# ## Purchases week by week
#
# Weekly first and repeat purchases. The calibration end (dashed) splits the log: models are fitted before it and checked after it.

# %%
weekly = describe.repeat_transactions(transactions, freq="W")
ax = plots.plot_repeat_transactions(weekly, calibration_end=calibration_end or None)

# %%
tables.summary_table(weekly[["first", "repeat"]], rows="weeks")

# %%
Markdown(readings.weekly_reading(weekly))

# %% [markdown]
# ## Acquisition cohorts
#
# Customers grouped by the month of their first purchase: how many arrived, and what share ever came back.

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
# The customer summary (frequency = repeat purchase days, recency and T in the chosen time unit, monetary value = mean repeat purchase) over the calibration period, with the holdout purchases kept aside for validation.

# %%
summary = rfm.summarize(
    transactions,
    time_unit=time_unit,
    observation_end=observation_end or None,
    calibration_end=calibration_end or None,
)
tables.summary_table(summary, time_unit=time_unit, currency=currency)

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
