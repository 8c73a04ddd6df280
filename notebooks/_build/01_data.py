"""Build notebooks/01_data.ipynb (cells only; `make notebooks` rebuilds and re-executes it)."""

from __future__ import annotations

from nbtools import NotebookBuilder

builder = NotebookBuilder("01_data")
md, code = builder.md, builder.code

md("""
# 1. The transaction log: who buys, how often, and how much

Before any model, the study looks at the raw log the way a manager would: how many customers, how many purchases, how much they spend, how many come back, and when they arrived. These facts set the scale for everything later: the lifecycle stages (report 2) and the value of each customer.

The default run uses the CDNOW log (23,570 customers who made their first purchase at the online music retailer CDNOW in the first quarter of 1997, followed to the end of June 1998). Every number below is computed by the `analysis` package; change the parameters to study another log.
""")
code(
    """
dataset: str = "cdnow"  # "cdnow", "cdnow_sample", or a path to your CSV/Parquet log
customer_id_column: str = "customer_id"  # your log's customer id column
date_column: str = "date"  # your log's purchase date column
amount_column: str = "amount"  # your log's purchase value column
date_format: str = ""  # strftime format of your dates, e.g. "%Y%m%d"; empty: infer
dayfirst: bool = False  # dates written day first (31/12/1997); used only when date_format is empty
returns: str = "error"  # negative amounts (returns): "error", "drop" or "keep"
duplicates: str = "warn"  # rows identical in every column: "warn", "drop" or "error"
time_unit: str = "W"  # unit of recency and T in the customer summary: "D", "W" or "M"
calibration_end: str = "1997-09-30"  # last day used to fit models; empty: no holdout split
observation_end: str = "1998-06-30"  # last day observed; empty: the last purchase date
""",
    tags=["parameters"],
)
code("""
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis import data, describe, plots, report, rfm

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 2)
transactions = data.load_dataset(
    dataset, customer_id=customer_id_column, date=date_column, amount=amount_column,
    date_format=date_format or None, dayfirst=dayfirst or None, returns=returns, duplicates=duplicates,
)
""")
md("""
## The log at a glance

One row per purchase (customer, date, amount). A *purchase day* is a customer's purchases on one date taken together: the models count a customer's repeat purchases in days, so two orders on the same day are one purchase.
""")
code("""
describe.log_overview(transactions).to_frame()
""")
md("""
**Reading.** On CDNOW about half of the customers never come back after their first purchase: the firm's base is mostly trial buyers. This is the exploration stage of the relationship lifecycle in its purest form, and it is why the value of the base rests on a minority.
""")
md("""
## How often customers buy

The distribution of purchase days per customer is the first sign of the lifecycle: a tall bar at one (trial only), a long thin tail of customers who buy again and again.
""")
code("""
per_customer = describe.purchases_per_customer(transactions)
per_customer
""")
code("""
ax = plots.plot_purchases_per_customer(per_customer)
""")
md("""
**Reading.** The tail matters more than its size suggests: the few customers with ten or more purchase days are the stable relationships the firm must protect, while the large group of one-time buyers decides whether acquisition spending pays off.
""")
md("""
## How much they spend

Spend per transaction and revenue per customer, as quantiles. Spend is skewed: the mean sits well above the median, so averages alone mislead.
""")
code("""
describe.spend_summary(transactions)
""")
code("""
ax = plots.plot_spend_distribution(transactions)
""")
md("""
**Reading.** A typical order is small; revenue per customer is spread far wider than revenue per order, because it multiplies spend by the number of purchases. Value segmentation (later reports) therefore rests on frequency at least as much as on basket size.
""")
md("""
## Purchases week by week

Weekly first and repeat purchases. The calibration end (dashed) splits the log: models are fitted before it and checked after it.
""")
code("""
weekly = describe.repeat_transactions(transactions, freq="W")
ax = plots.plot_repeat_transactions(weekly, calibration_end=calibration_end or None)
""")
code("""
weekly.describe().round(1)
""")
md("""
**Reading.** On CDNOW all customers were acquired in the first twelve weeks; after that, every purchase is a repeat purchase, and the weekly volume decays as relationships age and lapse. A firm that sees only its total sales would miss that this decline is built into the customer base, not caused by a bad quarter.
""")
md("""
## Acquisition cohorts

Customers grouped by the month of their first purchase: how many arrived, and what share ever came back.
""")
code("""
cohort_table = describe.cohorts(transactions, freq="M")
cohort_table
""")
code("""
ax = plots.plot_cohorts(cohort_table)
""")
md("""
**Reading.** Cohorts of similar size and similar return rates mean the base is homogeneous enough to be modelled as one population; a cohort that returns much less often would deserve its own study.
""")
md("""
## What the models will see

The customer summary (frequency = repeat purchase days, recency and T in the chosen time unit, monetary value = mean repeat purchase) over the calibration period, with the holdout purchases kept aside for validation.
""")
code("""
summary = rfm.summarize(
    transactions, time_unit=time_unit,
    observation_end=observation_end or None, calibration_end=calibration_end or None,
)
summary.describe().round(2)
""")
code("""
pd.Series({
    "customers in the calibration summary": len(summary),
    "repeat purchases in calibration": int(summary["frequency"].sum()),
    "customers with no repeat purchase": int((summary["frequency"] == 0).sum()),
    "repeat buyers (for the spend model)": int((summary["frequency"] > 0).sum()),
    "purchases in the holdout": int(summary["frequency_holdout"].sum()) if "frequency_holdout" in summary else None,
}).to_frame("value")
""")
md("""
**Reading.** These counts are the inputs of the lifetime-value models. On the CDNOW 1/10 sample they reproduce the published figures (2,457 repeat purchases in calibration, 1,411 customers with none, 1,882 repeat purchases in the 39-week holdout); the test suite checks them.
""")
code("""
assert len(transactions) > 0 and transactions["customer_id"].nunique() == len(rfm.summarize(transactions, time_unit=time_unit))
assert (summary["recency"] <= summary["T"]).all() and (summary["frequency"] >= 0).all()
assert per_customer["customers"].sum() == transactions["customer_id"].nunique()
""")
builder.write()
