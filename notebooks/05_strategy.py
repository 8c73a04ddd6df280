# %% [markdown]
# # 5. What to do: the playbook by stage and value, early warning, KPIs and plan-do-check-act
#
# The earlier reports describe the customers: where each one stands in the relationship lifecycle (report 2) and what each one is worth (report 3). This report turns that description into action. It asks four questions of the same transaction log:
#
# 1. **What should the firm do with each group of customers?** The playbook crosses the lifecycle stage with the value tier and prescribes a strategy, a relationship level and an investment priority for every cell.
# 2. **Which valuable customers is it worth spending to keep, and how much?** A test of which score foresees who stops buying, then the valuable customers ranked by what the firm can expect to lose, with the most it is worth spending on each.
# 3. **What should the firm watch?** The key performance indicators (KPIs) of every stage, and those the data cannot measure.
# 4. **Did last round's targets hold?** One plan-do-check-act round: targets set on an earlier date, checked on the last one.
#
# Everything rests on the customer table (`analysis.customers.customer_table`): one row per customer with its stage, P(alive) and expected purchases from the study's count model (`clv_model`, the one model that values every customer at every cut below), and its CLV net of costs (`clv_net`). Value is **margin x revenue** (for a log without amounts, a fixed revenue per purchase or a count of purchases, as the note after the introduction says) with an assumed margin (`margin`). The report reads no cost data: the only cost it can charge is a cost to serve each expected purchase (`cost_per_order`, none by default), and without it no customer's value is negative, so the playbook's cells for negative value stay empty. Every paragraph headed **Reading** is written by a function of `analysis.readings` from the table above it, so it says what this log shows, whichever log is loaded.

# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

report.receive(globals(), "05_strategy")  # the values set above, else the defaults; checked

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from analysis import churn, customers, data, dates, plots, readings, report, strategy, tables

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours
pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)
pd.set_option("display.max_colwidth", None)
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
# the dates left empty are taken from the log (analysis.dates.FRAME_RULE); given ones are
# checked: inside the log's span, calibration_end and plan_end before observation_end
study_frame = dates.time_frame(
    transactions,
    observation_end=observation_end,
    calibration_end=calibration_end,
    plan_end=plan_end,
)
observation_end, calibration_end, plan_end = (
    study_frame.observation_end,
    study_frame.calibration_end,
    study_frame.plan_end,
)
log = data.up_to(transactions, observation_end)
settings = dict(
    period=period,
    time_unit=time_unit,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    cost_per_order=cost_per_purchase,
    currency=currency,
)

# %%
Markdown(readings.run_intro(dataset, transactions))

# %%
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
settings.update(margin=margin, currency=currency)
Markdown(basis.note)

# %% [markdown]
# ## The customer table at the observation end
#
# One row per customer who bought up to `observation_end`: the stage in the last period, the model's P(alive) and expected purchases, the CLV over `horizon_years` discounted at `annual_discount_rate` and net of `cost_per_order`. The count model is the study's valuation model, `clv_model`: with "auto", the rule `analysis.clv.choice.CHOICE_RULE` picks it among BG/NBD, Pareto/NBD and MBG/NBD (the smallest error on each customer's purchases after `calibration_end`, the likelihood deciding only a tie; never a fit that does not identify its parameters). Every other cut of the log below refits this same model. The line says which cut and model value the customers, the note why:

# %%
table = customers.customer_table(
    log,
    observation_end=observation_end,
    model=clv_model,
    calibration_end=calibration_end,
    **settings,
)
# every other cut below: the valuation's model refitted on the cut's purchases, no intervals
# (those sections rank and count customers)
at_cut = dict(model=table.attrs["model"], calibration_end=False, interval=None, **settings)
display(
    readings.valuation_line(
        table, "The recommendation, the warning list, the KPIs and the check", currency=currency
    )
)
Markdown(table.attrs["model_note"])

# %%
tables.summary_table(
    table[
        [
            "purchases",
            "revenue",
            "days_since_last",
            "p_alive",
            "expected_purchases_period",
            "clv_net",
        ]
    ],
    currency=currency,
)

# %% [markdown]
# ## 1. The playbook
#
# The playbook is the project's reading of the customer-relationship literature (`docs/domain.md`, section Strategy, and the Chinese seed texts it summarises), written as data in `src/analysis/strategy/playbook.yaml`, English with the Chinese terms. Each lifecycle stage has its aim: in exploration (考察期) attract the customer and earn its recognition, in formation (形成期) keep it with excellent service, in stability (稳定期) deepen and upgrade the relationship, in decline (退化期) extend the relationship or leave it. Within a stage the customer's value tier (`analysis.segments.clv_tiers`: customers ranked by `clv_net`, the top ones holding the first cumulative share of the value high, those up to the second share medium, the rest low, and negative values apart; the shares are `analysis.segments.CLV_TIER_SHARES`) sets how much to spend: the investment priority, and the relationship level of Kotler's five (from basic, the firm sells and does not follow up, to partnership, the firm works with the customer continuously). In exploration the tiers are the prospect tiers of the literature: quality, ordinary and poor prospects.
#
# The file can be copied and edited (a strategy text, a level, a priority, the KPIs of a cell); the `playbook` parameter points the report to the copy, and every table below follows it without a change of code. The loader checks the copy and names the key of any mistake.

# %%
book = strategy.load_playbook(playbook or None)
plays = book.table()
plays[
    [
        "stage_zh",
        "label",
        "strategy",
        "relationship_level",
        "relationship_level_zh",
        "priority",
        "priority_zh",
    ]
].pipe(tables.format_table)

# %%
Markdown("**Reading.** " + readings.playbook_reading(plays, edited=bool(playbook)))

# %% [markdown]
# ## 2. The recommendation: the playbook applied to the customers
#
# `strategy.recommend` places every customer in its stage x tier cell and puts beside the cell the number of customers, their share of all customers and of the value (`clv_net`), and what the playbook says: strategy, relationship level, priority and the KPIs to watch (section 4). Empty cells are kept so the whole playbook stays visible.

# %%
recommendation = strategy.recommend(table, book)
recommendation[
    [
        "customers",
        "share_customers",
        "share_value",
        "priority",
        "relationship_level",
        "kpis",
        "strategy",
    ]
].pipe(tables.format_table, {"share_customers": "share", "share_value": "share"})

# %% [markdown]
# The heat map shows where the value sits: each cell's share of the value, with its number of customers.

# %%
ax = plots.plot_value_heatmap(recommendation)

# %%
Markdown("**Reading.** " + readings.recommendation_reading(recommendation))

# %% [markdown]
# ## 3. Early warning: which score foresees who stops buying? A test on the log cut at `calibration_end`
#
# The decline stage's strategy calls for an early-warning process for the customers worth saving. A warning is worth acting on only if it foresees who stops buying, so before any list this section tests the candidate scores. It sets the clock back to `calibration_end`: the customer table is built from the purchases up to that day alone, the valuation's count model refitted on them (named to `customer_table`, so its note says the model was given and the others not fitted), the stages and the tiers as they were then:

# %%
calibration_log = data.up_to(transactions, calibration_end)
calibration_table = customers.customer_table(
    calibration_log, observation_end=calibration_end, **at_cut
)
display(readings.valuation_line(calibration_table, "The early-warning test", currency=currency))
Markdown(calibration_table.attrs["model_note"])

# %% [markdown]
# The outcome is whether each customer bought nothing between `calibration_end` and `observation_end` (the test's holdout; `churn.active_between`). The challenger is a **learned risk** of going quiet (`churn.fit_inactivity_risk`): a logistic regression of "no purchase within the window" on features of the customer table (purchases, age, silence, silence in own purchase cycles, recent purchases, spend, the count model's P(alive), expected purchases and probability of no purchase, the stage), learned on still earlier cuts of the log *up to `calibration_end`* (nothing of the holdout is read), its probabilities checked on the latest of those cuts and recalibrated there when they are off. How it was learned, how well its probabilities held on the held-out cut, and its odds ratios (above 1 the feature raises the odds of going quiet, per its own unit, the others held fixed; associations, not causes):

# %%
test_days = (pd.Timestamp(observation_end) - pd.Timestamp(calibration_end)).days
risk_model = readings.attempt(
    "the learned risk at calibration_end",
    churn.fit_inactivity_risk,
    calibration_log,
    observation_end=calibration_end,
    horizon=test_days,
    table=calibration_table,
    period=period,
    time_unit=time_unit,
)
learned = not readings.skipped(risk_model) and risk_model.fallback is None
Markdown(
    "**Reading.** "
    + (str(risk_model) if readings.skipped(risk_model) else readings.risk_reading(risk_model))
)

# %%
(
    tables.format_table(
        risk_model.odds_ratios[["odds_ratio", "ci_low", "ci_high", "p_value", "meaning"]],
        decimals=3,
    )
    if learned
    else None
)

# %%
if learned and risk_model.reliability is not None:
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    plots.plot_reliability(risk_model.reliability, ax=axes[0])
    ax = plots.plot_odds_ratios(risk_model.odds_ratios, ax=axes[1])
    ax.set_xlabel("odds ratio of no purchase in the window (log scale, 95% interval)")
    fig.tight_layout()

# %% [markdown]
# Every score ranks the customers from the calibration data alone, higher meaning more at risk:
#
# - **expected_purchases**: minus the expected purchases in the next period;
# - **p_alive**: one minus P(alive);
# - **days_since_last**: the days since the last purchase (recency);
# - **overdue**: the silence in the customer's own purchase cycles;
# - **warning_score**: the hand-weighted early-warning score (four components in [0, 1] with equal weights fixed in advance: in decline, entered decline, one minus P(alive), and the silence in own cycles);
# - **p_quiet**: the count model's probability of no purchase in the holdout;
# - **risk**: the learned risk.
#
# `churn.compare_scores` gives, over all customers and over the valuable ones (`warning_top_tiers` at `calibration_end`), each score's AUC (the probability that a customer who stopped buying is ranked above one who did not: 0.5 is a coin toss, 1 a perfect ranking) and its lift in the top `lift_fraction` (the share gone quiet there over the share among all, which is what a firm contacting only its top list gains). Each score is set against the best of the others but the learned risk (`reference`): the difference, with a 90% interval from 200 bootstrap resamples of the customers, the same resamples for every score so the differences are paired. A difference whose interval holds 0 is no difference.

# %%
active = churn.active_between(
    log, after=calibration_end, through=observation_end, customers=calibration_table.index
)
scores = churn.comparison_scores(
    calibration_table,
    p_quiet=churn.p_quiet(calibration_table, test_days),
    **({} if readings.skipped(risk_model) else {"risk": risk_model.risk}),  # the challenger last
)
comparison = readings.attempt(
    "the test of the early-warning scores",
    churn.compare_scores,
    scores,
    ~active,
    groups={"valuable": churn.valuable(calibration_table, None, warning_top_tiers)[1]},
    top=lift_fraction,
)
(
    comparison
    if readings.skipped(comparison)
    else tables.format_table(
        comparison,
        {"customers": "count", "inactive_share": "share"},
        decimals=3,
    )
)

# %%
if not readings.skipped(comparison):
    fig, axes = plt.subplots(2, 1, figsize=(9, 10))
    plots.plot_score_comparison(comparison, "auc", ax=axes[0])
    ax = plots.plot_score_comparison(comparison, "lift", ax=axes[1])
    fig.tight_layout()

# %% [markdown]
# The list below uses the score this test found best **among the valuable customers** (the list is about them), by AUC. The expected loss needs a probability of going quiet, so when the best score is not one, the list uses the probability that stands for it: the count model's probability of no purchase within the horizon (`p_quiet`) for expected purchases, one minus P(alive) for P(alive), and for a score with no such counterpart the better of the learned risk and `p_quiet` (`churn.compare.list_score`).

# %%
choice = None if readings.skipped(comparison) else churn.compare.list_score(comparison)
list_kind = "risk" if choice is None else choice.use
Markdown(
    "**Reading.** "
    + (
        "With no test of the scores on this log, the list below uses the learned risk, which "
        "says above whether it could be learned."
        if choice is None
        else readings.comparison_reading(comparison) + " " + readings.list_score_reading(choice)
    )
)

# %% [markdown]
# ## 4. The early-warning list now: valuable customers ranked by expected loss
#
# A customer's whole CLV is not what the firm stands to lose: a customer who bought last week is likely to buy again. The list ranks the valuable customers (`warning_top_tiers`) at `observation_end` by their **expected loss** (`churn.loss_list`): the probability that the customer buys nothing within `horizon_days` (the score chosen above, computed from the purchases up to `observation_end`) times its value `clv_net`, with an interval from the value's interval. By default the horizon is the test's holdout, so the list rests on the event the test judged. Only customers whose risk is **above the base rate** are listed: a customer less at risk than the average one is not a warning, however valuable. By default (`base_rate`) the average is that of the valuable customers, the list's own population: valuable customers are those the model expects to keep buying, so few of them pass the mean risk of all customers, most of whom have already gone quiet.
#
# Beside each customer: the **break-even spend**, the expected loss times the save rate (`save_rate`): if one contact keeps that share of the customers who would otherwise go quiet, it returns on average risk x save rate x value, so a contact costing more loses money. `retention_budget` cuts the list where the summed break-even spend would pass it. The reasons are the risk against the base rate, then the early warning's rules that hold: **entered_decline** (the last period's stage is decline, its first period there), **in_decline**, **low_p_alive** (P(alive) below `p_alive_below`) and **overdue** (silent over `cycle_factor` times its own median purchase cycle).

# %%
horizon = horizon_days or test_days
# the list's rule, the same now, one horizon back and at plan_end
list_rule = dict(
    top_tiers=warning_top_tiers,
    save_rate=save_rate,
    base_rate=base_rate,
    p_alive_below=p_alive_below,
    cycle_factor=cycle_factor,
)
risk_now = churn.loss.list_risk(
    list_kind, table, log, horizon=horizon, period=period, time_unit=time_unit
)
loss = churn.loss_list(table, risk_now, budget=retention_budget or None, **list_rule)
at_risk = churn.early_warning(
    table, top_tiers=warning_top_tiers, p_alive_below=p_alive_below, cycle_factor=cycle_factor
)  # the hand rules alone: their reasons are the list's
display(Markdown(readings.save_rate_note(save_rate, churn.SAVE_RATE_RANGE)))
loss.head(top_warnings).drop(columns=["risk_ratio", "p_alive"]).pipe(
    tables.format_table,
    {"risk": "share", "days_since_last": "count"}
    | dict.fromkeys(["expected_loss", "expected_loss_low", "expected_loss_high"], "money")
    | dict.fromkeys(["break_even_spend", "cumulative_spend"], "money"),
    currency=currency,
)

# %%
Markdown("**Reading.** " + readings.loss_reading(loss, shown=top_warnings, currency=currency))

# %% [markdown]
# How often is the list right? `churn.flag_precision` applies the same rule one horizon earlier, at `observation_end` minus the horizon: the customer table and the chosen score as they were then, from the purchases up to that day; then it counts who made no purchase within the horizon. The flagged customers' share gone quiet (the precision, with a 95% interval) is set against the valuable customers not flagged and against all customers, and against what the score predicted for them (`mean_risk`). With the default horizon, one horizon back is `calibration_end`: the precision is then measured on the same holdout as the test of section 3, which chose the score, so it is not an independent check of that choice, only of the list's rule and of the probabilities.

# %%
then_end = pd.Timestamp(observation_end) - pd.Timedelta(days=horizon)
then_log = data.up_to(transactions, then_end)
table_then = readings.attempt(
    "the customer table one horizon back",
    customers.customer_table,
    then_log,
    observation_end=then_end,
    **at_cut,
)
precision = (
    table_then
    if readings.skipped(table_then)
    else readings.attempt(
        "the precision of the list one horizon back",
        churn.flag_precision,
        log,
        table_then,
        churn.loss.list_risk(
            list_kind, table_then, then_log, horizon=horizon, period=period, time_unit=time_unit
        ),
        horizon=horizon,
        **list_rule,
    )
)
if not readings.skipped(table_then):
    display(readings.valuation_line(table_then, "The list's precision", currency=currency))
(
    precision
    if readings.skipped(precision)
    else tables.format_table(
        precision,
        {"went_quiet": "count", "share_low": "share", "share_high": "share", "mean_risk": "share"},
    )
)

# %%
None if readings.skipped(precision) else Markdown(
    "**Reading.** " + readings.precision_reading(precision)
)

# %% [markdown]
# What the list is worth spending, per playbook cell (`strategy.budget_by_cell`): the customers listed in each stage x tier cell, their expected loss and break-even spend. The `budget` follows the cell's investment priority: the break-even spend where the playbook invests or maintains, nothing where it reduces or exits, where it spends no more than standard service.

# %%
budget = strategy.budget_by_cell(
    loss,
    strategy.decision_columns(
        table,
        playbook=book,
        warning_top_tiers=warning_top_tiers,
        p_alive_below=p_alive_below,
        cycle_factor=cycle_factor,
    ),
)
tables.format_table(
    budget,
    {"customers": "count", "share_of_budget": "share"}
    | dict.fromkeys(["expected_loss", "expected_loss_low", "expected_loss_high"], "money")
    | dict.fromkeys(["break_even_spend", "budget"], "money"),
    currency=currency,
)

# %%
Markdown("**Reading.** " + readings.budget_reading(budget, currency=currency))

# %% [markdown]
# ## 5. KPIs by stage
#
# `strategy.kpis` measures, for the customers of every stage at `observation_end` and for all of them together, the indicators the playbook names (`strategy.KPI_DEFINITIONS`): the share of customers and of value, the conversion to a repeat purchase (so far, and within a fixed number of days of the first), the purchase cycle in days, the average order value, P(alive), and the period rates: retention (the share of a period's buyers who buy again in the next period), churn (its complement) and reactivation (the share of the lapsed who come back). The period rates are those of the last complete period. The groups are the stages *as of* `observation_end`, so the decline stage, defined by a fall in buying, has a low latest retention partly by construction. An indicator the data cannot measure is not given a number: it is listed below the table with the reason.

# %%
kpi_table = strategy.kpis(table, log, by="stage", period=period)
tables.format_kpis(readings.kpi_matrix(kpi_table), currency=currency)

# %%
readings.unmeasurable_kpis(kpi_table)

# %%
Markdown("**Reading.** " + readings.kpi_reading(kpi_table, currency=currency))

# %% [markdown]
# ## 6. Plan-do-check-act: one round, planned on the log cut at `plan_end`
#
# The Deming cycle (戴明环) applied to the customer base (`docs/domain.md`, section Plan-do-check-act): **plan** (计划) targets for the KPIs from a baseline, **do** (执行) the firm's work in the next period, **check** (检查) the same KPIs later against the targets, **act** (处理) keep what worked and plan again where it did not.
#
# The round here is played on the log itself. The plan is made at `plan_end`: the customer table (the valuation's count model refitted on the purchases up to that day), the KPIs from those purchases, a target for each KPI of `pdca_targets` (a relative `change`, an absolute `delta` or a `value`, in the groups named), and the customers the plan acts on: the early-warning list of section 4 as it stood at `plan_end` (same score, rule and horizon). An honest round asks three things of the plan (`strategy.plan`):
#
# - **No target met by construction.** A target that would be met with nobody doing anything (a share already at its limit, a target not beyond the baseline, a cumulative share such as `repeat_rate`, which for a fixed set of customers can only rise) is marked in `by_construction` and not counted at the check.
# - **Each target follows from a playbook action.** The `action` column names what the firm does to move the KPI and the playbook cells that watch it; "none" means no play does.
# - **A test, not a before-and-after.** A randomised holdout group, a share `holdout_share` of the listed customers drawn with `holdout_seed`, is left uncontacted. The check (`strategy.check`, at `observation_end`, on the customer table of the recommendation) measures each KPI on the treated customers and on the holdout group and gives the difference with its 95% interval; without a holdout group it says "not tested". This is also how the save rate of section 4 stops being an assumption.
#
# Both are written to `plan.yaml` in `export_dir` (beside this report when the report runner runs it), a file a person can read and edit before the check. Two cautions: the stage groups are formed again at the check, so a stage's customers are not the same as at the plan; and on a historical log nobody acted on the list, so the holdout comparison here is a placebo test: a difference beyond chance would be chance itself, one time in twenty for each target.

# %%
plan_log = data.up_to(transactions, plan_end)
plan_table = readings.attempt(
    "the customer table at plan_end",
    customers.customer_table,
    plan_log,
    observation_end=plan_end,
    **at_cut,
)
if not readings.skipped(plan_table):
    display(readings.valuation_line(plan_table, "The plan", currency=currency))
treated = (
    None
    if readings.skipped(plan_table)
    else churn.loss_list(  # the early-warning list at plan_end: the customers the plan acts on
        plan_table,
        churn.loss.list_risk(
            list_kind, plan_table, plan_log, horizon=horizon, period=period, time_unit=time_unit
        ),
        **list_rule,
    ).index
)
# both groups need a customer: otherwise no holdout, and the check says "not tested"
holdout = (
    holdout_share
    if treated is not None and 0 < round(holdout_share * len(treated)) < len(treated)
    else None
)
plan_path = Path(export_dir or tempfile.mkdtemp(prefix="pdca_")) / "plan.yaml"
targets = (
    plan_table
    if readings.skipped(plan_table)
    else readings.attempt(
        "the plan of the round",
        strategy.plan,
        plan_table,
        pdca_targets,
        plan_path,
        plan_log,
        by="stage",
        period=period,
        unmeasurable="skip",  # a KPI the data cannot measure at plan_end is left out, with why
        playbook=book,
        holdout=holdout,
        holdout_seed=holdout_seed,
        treated=treated,
    )
)
if readings.skipped(targets):
    display(targets)
else:
    if holdout_share > 0 and holdout is None:
        display(
            readings.Skipped(
                "the holdout group of the plan",
                f"a share of {holdout_share:g} of the {len(treated)} customers listed at "
                "plan_end leaves one of the two groups empty",
            )
        )
    for kpi, why in targets.attrs["not_measured"].items():
        display(readings.Skipped(f"a target for {kpi} at plan_end", why))
    display(
        tables.format_kpis(
            targets[["kpi", "group", "baseline", "target", "rule", "by_construction", "action"]],
            ["baseline", "target"],
            currency=currency,
        )
    )

# %%
Markdown(
    "**Reading.** "
    + (
        "No plan was made on this log (the cell above says why), so the round has no targets."
        if readings.skipped(targets)
        else readings.plan_reading(targets)
    )
)

# %%
checked = targets if readings.skipped(targets) else strategy.check(plan_path, table, log)
(
    None  # the plan cell said why
    if readings.skipped(checked)
    else tables.format_kpis(
        checked[
            [
                "kpi",
                "group",
                "target",
                "actual",
                "met",
                "treated",
                "holdout",
                "difference",
                "difference_low",
                "difference_high",
                "next_step",
            ]
        ],
        [
            "target",
            "actual",
            "treated",
            "holdout",
            "difference",
            "difference_low",
            "difference_high",
        ],
        currency=currency,
    )
)

# %%
Markdown(
    "**Reading.** "
    + (
        "Without a plan there is nothing to check on this log."
        if readings.skipped(checked)
        else readings.check_reading(checked)
    )
)

# %% [markdown]
# ## Using this report
#
# - To change what the firm does, edit a copy of the playbook and pass its path as `playbook`: the recommendation, the KPIs to watch and the priorities follow.
# - To act on the early warning, contact the list of section 4 from the top, spending no more on a customer than its break-even spend, and leave the holdout group of the plan uncontacted: the next check measures what the contact kept, which replaces the assumed `save_rate`. Run the test of section 3 again when the log grows: the best score may change.
# - To run the next plan-do-check-act round, edit `plan.yaml` if needed, and call `strategy.check` with it on a later customer table.
# - With cost data (`costs=` of `customer_table`, or `cost_per_order`), customers of negative value appear and the playbook's exit cells fill.

# %%
# sanity checks: every customer in one cell, the list within its tiers, the test and the round complete
assert (
    recommendation["customers"].sum() == len(table)
    and abs(recommendation["share_customers"].sum() - 1) < 1e-9
)
assert (
    at_risk["tier"].astype(str).isin(warning_top_tiers).all()
    and at_risk[list(churn.REASONS)].any(axis=1).all()
)
assert (
    loss["tier"].astype(str).isin(warning_top_tiers).all()
    and (loss["risk"] > loss.attrs["base_rate"]).all()
    and loss["expected_loss"].is_monotonic_decreasing
), "the list: valuable customers above the base rate, by expected loss"
assert all(
    at_risk.loc[c, "reasons"] in loss.loc[c, "reasons"]
    for c in at_risk.index.intersection(loss.index)
)
assert active.index.equals(calibration_table.index.sort_values())
assert calibration_table.attrs["model"] == table.attrs["model"] and (
    readings.skipped(plan_table) or plan_table.attrs["model"] == table.attrs["model"]
), "one count model at every cut"
assert readings.skipped(comparison) or (
    comparison["auc"].between(0, 1).all()
    and (comparison.xs("all", level="population")["customers"] == len(calibration_table)).all()
)
assert choice is None or choice.use in churn.compare.LIST_PROBABILITIES
assert budget.loc["total", "customers"] == len(loss)
assert kpi_table.loc[~kpi_table["measurable"], "value"].isna().all(), (
    "no number for what cannot be measured"
)
assert readings.skipped(checked) or (plan_path.is_file() and len(checked) == len(targets))
assert readings.skipped(checked) or (
    (
        checked["holdout"].isna().all()
        and checked["next_step"].str.startswith(("not tested", "no test", "not measured")).all()
    )
    if targets.attrs["holdout"] is None
    else not checked["next_step"].str.startswith("not tested").any()
), "the check compares with the holdout group, or says 'not tested'"
