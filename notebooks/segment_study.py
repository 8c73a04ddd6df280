# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

_ = report.receive(globals(), "segment_study")  # the values set above, else the defaults; checked

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display, update_display

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
from analysis.readings import findings

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours, each figure's title as its alt text
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
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
# the whole base's customer table (the one the segments report wrote, when the runner passes it)
table, info = report.customer_table_from(
    customers_path,
    transactions,
    observation_end=observation_end or None,
    period=period,
    time_unit=time_unit,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    cost_per_purchase=cost_per_purchase,
    model=clv_model,
    calibration_end=calibration_end or None,
)
rows = segments.members(table, segmentation, segment)
summary = segments.segment_summary(table, segmentation)

# %%
Markdown(readings.segment_heading(segmentation, segment, summary) + "\n\n" + basis.note)

# %% tags=["nbval-ignore-output"]
# the findings, written at the end of the study from its tables (nbval: the stored output is the filled one)
findings_shown = display(Markdown(findings.PLACEHOLDER), display_id=findings.DISPLAY_ID)

# %%
readings.valuation_line(table, "The whole base", info=info, currency=currency)

# %% [markdown]
# ## 1. Who they are

# %%
profile = segments.segment_profile(table, rows)
shown = profile.drop(["purchase_cycle_days", "p_alive"], errors="ignore")  # in section 5's KPIs
tables.format_table(shown[["segment_mean", "base_mean", "ratio"]], decimals=2)

# %% [markdown]
# ## 2. Where they stand in the lifecycle

# %%
mix = segments.segment_stages(table, rows)
ax = (
    mix[["share", "base_share"]]
    .rename(columns={"share": segment, "base_share": "base"})
    .plot.bar(rot=0, ylabel="share of customers", xlabel="stage in the last period")
)
ax.set_title(f"Stage mix: {segment} against the base")
ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0, decimals=0))

# %%
Markdown("**Reading.** " + readings.segment_stage_reading(mix, segment))

# %% [markdown]
# ## 3. Profit along the relationship

# %%
stages = lifecycle.assign_stages(  # hindsight: the stages as they were
    transactions, period=period, observation_end=info.observation_end, view="hindsight"
)
curve = lifecycle.lifecycle_curve(
    stages=stages.loc[stages["customer_id"].isin(rows.index)],
    margin=margin,
    cost_per_purchase=cost_per_purchase,
)
base_curve = lifecycle.lifecycle_curve(
    stages=stages, margin=margin, cost_per_purchase=cost_per_purchase
)
ax = plots.plot_lifecycle_curve(curve, currency=currency, period=period)

# %%
Markdown("**Reading.** " + readings.segment_curve_reading(curve, base_curve, currency=currency))

# %% [markdown]
# ## 4. Value and repeat buying
#
# Cohorts weighted by size; a segment chosen on value is partly chosen on repeat buying.

# %%
spread = tables.method_summary(rows[["clv_net"]])
segment_log = transactions.loc[transactions["customer_id"].isin(rows.index)]
retention = lifecycle.cohort_retention(
    segment_log, period=period, observation_end=info.observation_end
)
base_retention = lifecycle.cohort_retention(
    transactions, period=period, observation_end=info.observation_end
)
curves = readings.segment_retention_curves(retention, base_retention, segment)
ax = curves.plot(marker="o", xlabel=f"relationship age ({period})", ylabel="share buying")
ax.set_title(f"Share buying by relationship age: {segment} against the base")
ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0, decimals=0))

# %%
Markdown(
    "**Reading.** "
    + readings.segment_spread_reading(spread, segment, currency=currency)
    + " "
    + readings.segment_retention_reading(curves, segment)
)

# %% [markdown]
# ## 5. Indicators, early warning and the playbook
#
# Flagged: a customer of a watched tier (`warning_top_tiers`) with at least one warning sign (the rules behind the reasons in report 5: in decline, low P(alive), overdue). Report 5's list ranks the valuable customers by expected loss instead, so the two can hold different customers.

# %%
kpi_table = strategy.kpis(
    table,
    transactions,
    by=segments.membership(table, rows, segment),
    period=period,
    observation_end=info.observation_end,
)
Markdown(
    "**Reading.** "
    + readings.segment_kpi_reading(kpi_table, segment, rest=segments.REST, currency=currency)
)

# %%
tiers = segments.clv_tiers(table)
warned = churn.early_warning(table, tiers=tiers, top_tiers=warning_top_tiers)
at_risk = warned.loc[warned.index.isin(rows.index)]  # the segment's customers with a sign
recommendation = strategy.recommend(rows, tiers=tiers.loc[rows.index])
held = recommendation.loc[recommendation["customers"] > 0]
display(
    held[["customers", "share_value", "priority", "relationship_level"]].pipe(
        tables.format_table, {"share_value": "share"}, na_rep="—"
    )
)
Markdown(
    "**Reading.** "
    + readings.segment_warning_reading(at_risk, rows, tiers, warning_top_tiers, currency=currency)
    + " "
    + readings.segment_recommendation_reading(recommendation)
)

# %%
# the findings at the top of the study, from the tables above
update_display(
    Markdown(
        findings.findings_markdown(
            findings.segment_study_findings(
                summary, segment, profile, mix, at_risk, rows, recommendation, currency=currency
            ),
            title="Findings",
        )
    ),
    display_id=findings.DISPLAY_ID,
)

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
