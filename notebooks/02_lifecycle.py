# %% [markdown]
# # 2. The relationship lifecycle: exploration, formation, stability, decline
#
# A relationship passes through four ordered stages (`docs/domain.md`, Lifecycle): **exploration** (考察期, trial orders), **formation** (形成期, fast growth), **stability** (稳定期, the plateau) and **decline** (退化期, after any stage). The *real-time* view reads each month with only what was known at its end and gives each customer's stage today (the customer table's `stage`, as in reports 4 and 5); the *hindsight* view reads the whole history and gives the stages as they were. Each section names its view; report 6 says how the stages are decided and how accurate each view is.

# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

_ = report.receive(globals(), "02_lifecycle")  # the values set above, else the defaults; checked

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from analysis import customers, data, dates, lifecycle, plots, readings, report, tables

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours, alt text from each figure's title
pd.set_option("display.precision", 3)
thresholds = dict(
    window_months=window_months,
    trial_months=trial_months,
    formation_repeats=formation_repeats,
    past_trial_repeats=past_trial_repeats,
    exploration_months=exploration_months,
    formation_months=formation_months,
    growth_ratio=growth_ratio,
    alpha_rise=alpha_rise,
    decline_ratio=decline_ratio,
    alpha_fall=alpha_fall,
    gap_factor=gap_factor,
)
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
# how the log is valued: its amounts, or (a log without amounts) purchases, with no margin then
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
Markdown(basis.note)

# %%
# real-time view: the customer table, the study's one valuation and each customer's stage today
table, info = customers.value_customers(
    transactions,
    observation_end=observation_end,
    period=period,
    time_unit=time_unit,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    cost_per_purchase=cost_per_purchase,
    model=clv_model,
    calibration_end=calibration_end or None,
    currency=currency,
)
# hindsight view: every customer-month read with the whole history
history_stages = lifecycle.assign_stages(
    transactions, period=period, observation_end=observation_end, view="hindsight"
)
stage_value = tables.stage_values(table, hindsight=lifecycle.current_stage(history_stages)["stage"])

# %%
# where the base is heading: today's real-time mix moved by the hindsight view's transitions
counts = lifecycle.transition_counts(history_stages)
P = lifecycle.transition_matrix(history_stages)
projection = lifecycle.project_stage_mix(P, stage_value["customers"], projection_periods)

# %%
# how long relationships last, by the first period's spend (hindsight view)
first_month = readings.attempt(
    "survival by first-month spend", lifecycle.first_period_spend_groups, history_stages
)
first_spend_survival = (
    first_month
    if readings.skipped(first_month)
    else lifecycle.relationship_survival(history_stages, by=first_month)
)
first_spend_test = (
    first_month  # no groups, no test: the sentence below says why
    if readings.skipped(first_month)
    else readings.attempt(
        "the log-rank test between first-month spend groups",
        lifecycle.survival_logrank,
        history_stages,
        by=first_month,
    )
)

# %%
# the accuracy of both views on simulated customers at this log's purchase rate (report 6: all)
rewards = lifecycle.stage_rewards(
    history_stages, margin=margin, cost_per_purchase=cost_per_purchase
)
band_rate = readings.nearest_rate(rewards, period=period)
band_accuracy = (
    None
    if band_rate is None
    else lifecycle.accuracy_by_rate(views=["realtime", "hindsight"], rates=[band_rate])
)
band = readings.rate_band(rewards, band_accuracy, period=period)

# %% [markdown]
# ## What to act on

# %%
opening = readings.lifecycle_findings(
    stage_value,
    projection,
    P,
    first_spend_test,
    first_spend_survival,
    band,
    horizon_years=horizon_years,
    currency=currency,
    period=period,
)
Markdown(readings.findings.findings_markdown(opening))

# %% [markdown]
# ## Where the customers are and what each stage is worth (real-time view)
#
# The study's one customer table (`analysis.customers.customer_table`, shared with reports 4 and 5) by today's stage; `same_in_hindsight` is how often the hindsight view puts the stage's customers in the same stage in the last month.

# %%
display(readings.valuation_line(table, "Stage values", info=info, currency=currency))
tables.format_table(stage_value.loc[stage_value["customers"] > 0], currency=currency)

# %%
Markdown(
    readings.stage_value_reading(
        stage_value, margin=margin, horizon_years=horizon_years, currency=currency
    )
)

# %% [markdown]
# ## Where the base is heading (hindsight transitions, real-time mix)
#
# Today's real-time mix projected `projection_periods` ahead by the hindsight view's monthly transitions, assuming they stay as they were and no new customers arrive.

# %%
ax = plots.plot_transition_matrix(P)

# %%
tables.format_table(
    tables.stage_projection_table(
        projection, [1, projection_periods], customers=len(table), period=period
    )
)

# %%
Markdown(readings.transition_reading(counts, P) + "\n\n" + readings.projection_reading(projection))

# %% [markdown]
# ## The stage mix over calendar time (hindsight view)
#
# Its last month need not match today's real-time mix: the views read it differently (`same_in_hindsight` above).

# %%
mix = lifecycle.stage_mix(history_stages)
ax = plots.plot_stage_mix(mix)

# %%
Markdown(readings.mix_over_time_reading(mix))

# %% [markdown]
# ## The lifecycle curve (hindsight view)
#
# Profit is `margin x revenue - cost_per_purchase x purchases`; the middle panel (customers who reach stability) is left out, with a sentence, when none does.

# %%
curve = lifecycle.lifecycle_curve(
    stages=history_stages, margin=margin, cost_per_purchase=cost_per_purchase
)
reaching = readings.attempt(
    "the lifecycle curve of the customers who reach stability",
    lifecycle.lifecycle_curve,
    stages=history_stages,
    margin=margin,
    cost_per_purchase=cost_per_purchase,
    reaching="stability",
)
if readings.skipped(reaching):
    display(reaching)
axes = plots.plot_lifecycle_by_age(
    curve, None if readings.skipped(reaching) else reaching, currency=currency, period=period
)

# %%
Markdown(readings.curve_by_age_reading(curve))

# %% [markdown]
# ## How long relationships last (hindsight view)
#
# Survival is the share of relationships not yet in decline (Kaplan-Meier, censored at the end of observation), tested by log-rank between cohorts and between first-month spend groups. Its drop after about three months is the end of the trials (silent longer than `trial_months`).

# %%
retention = lifecycle.cohort_retention(
    transactions, period=period, cohort=cohort, observation_end=observation_end
)
ax = plots.plot_cohort_retention(retention)

# %%
if readings.skipped(first_spend_survival):
    display(first_spend_survival)
else:
    ax = plots.plot_survival(
        first_spend_survival,
        period=period,
        labels=tables.spend_group_labels(history_stages, first_month, currency=currency),
        legend_title="spend in the first month",
    )

# %%
by_cohort_test = readings.attempt(
    "the log-rank test between first-purchase cohorts",
    lifecycle.survival_logrank,
    history_stages,
    by="cohort",
)
Markdown(
    readings.cohort_survival_reading(
        retention, by_cohort_test, first_spend_test, first_spend_survival
    )
)

# %% [markdown]
# ## Do the stages order what customers bought next? (real-time view)
#
# Customers staged with the log up to `calibration_end` are compared with their purchase days from then to `holdout_end` (stages with at least 50 customers), and the stage as a score for "active in the holdout" with the BG/NBD's expected purchases and P(alive), by AUC.

# %%
holdout_check = (
    lifecycle.holdout_validation(
        transactions, calibration_end, holdout_end or observation_end, period=period, **thresholds
    )
    if calibration_end
    else None
)
if holdout_check is not None:
    display(
        tables.format_table(
            holdout_check.by_stage.loc[holdout_check.by_stage["customers"] > 0],
            {"active_share": "share"},
        ),
        tables.format_table(holdout_check.auc, decimals=3),
    )

# %%
Markdown(
    readings.holdout_stage_reading(
        holdout_check.by_stage, holdout_check.auc, bgnbd_note=holdout_check.bgnbd_note
    )
    if holdout_check is not None
    else "No holdout check: `calibration_end` is empty."
)

# %% [markdown]
# ## How far to trust a stage on this log
#
# A customer-month per stage (hindsight view); the pace in stability picks the nearest simulated purchase rate of report 6, and the second table gives both views' macro-F1 there.

# %%
tables.format_table(rewards, currency=currency)

# %%
if band_accuracy is not None:
    display(tables.format_table(readings.view_accuracy_table(band_accuracy, "rate"), decimals=2))
Markdown(readings.rate_band_reading(band))

# %%
# sanity checks: the order rule, the chain, one view per number
assert counts.loc[["exploration", "decline"], "stability"].sum() == 0, (
    "stability only from formation"
)
assert abs(P.sum(axis=1) - 1).max() < 1e-12 and (P.to_numpy() >= 0).all()
assert abs(mix.sum(axis=1) - 1).max() < 1e-12 and abs(projection.sum(axis=1) - 1).max() < 1e-12
assert stage_value["customers"].sum() == len(table) == transactions["customer_id"].nunique()
assert abs(stage_value["total_clv"].sum() - table["clv"].sum()) <= 1e-6 * abs(table["clv"].sum())
# the findings quote the table's real-time mix
mix_now = next(f for f in opening if f.topic == "mix")
assert mix_now.numbers["customers"] == len(table)
assert abs(projection.iloc[0] - stage_value["customers"] / len(table)).max() < 1e-12, (
    "the projection starts from the real-time mix"
)
