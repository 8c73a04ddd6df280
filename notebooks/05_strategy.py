# %% [markdown]
# # 5. What to do: the playbook by stage and value, early warning, KPIs and plan-do-check-act
#
# The earlier reports describe the customers: where each one stands in the relationship lifecycle (report 2) and what each one is worth (report 3). This report turns that description into action. It asks four questions of the same transaction log:
#
# 1. **What should the firm do with each group of customers?** The playbook crosses the lifecycle stage with the value tier and prescribes a strategy, a relationship level and an investment priority for every cell.
# 2. **Which valuable customers are slipping away now?** The early-warning list, and a test of whether the warning actually foresees who stops buying.
# 3. **What should the firm watch?** The key performance indicators (KPIs) of every stage, and those the data cannot measure.
# 4. **Did last round's targets hold?** One plan-do-check-act round: targets set on an earlier date, checked on the last one.
#
# Everything rests on the customer table (`analysis.customers.customer_table`): one row per customer with its stage, P(alive) and expected purchases from the study's count model (`clv_model`, the one model that values every customer at every cut below), and its CLV net of costs (`clv_net`). Value is **margin x revenue** (for a log without amounts, a fixed revenue per purchase or a count of purchases, as the note after the introduction says) with an assumed margin (`margin`). The report reads no cost data: the only cost it can charge is a cost to serve each expected purchase (`cost_per_order`, none by default), and without it no customer's value is negative, so the playbook's cells for negative value stay empty. Every paragraph headed **Reading** is written by a function of `analysis.readings` from the table above it, so it says what this log shows, whichever log is loaded.

# %% tags=["parameters"]
dataset: str = "cdnow"  # "cdnow", "cdnow_sample", or a path to your CSV/Parquet log
customer_id_column: str = "customer_id"  # your log's customer id column
date_column: str = "date"  # your log's purchase date column
amount_column: str = "amount"  # your log's purchase value column; empty: a log without amounts
value_per_purchase: float = 0.0  # no amounts: revenue of one purchase; 0: value in purchases
date_format: str = ""  # strftime format of your dates, e.g. "%Y%m%d"; empty: infer
dayfirst: bool = False  # dates written day first (31/12/1997); used only when date_format is empty
returns: str = "error"  # negative amounts (returns): "error", "drop" or "keep"
duplicates: str = "warn"  # rows identical in every column: "warn", "drop" or "error"
observation_end: str = ""  # last day observed (YYYY-MM-DD): the recommendation, the warning list and the KPIs are as of it; empty: from the data, the last purchase date
calibration_end: str = ""  # the early warning is tested on the purchases after it; empty: from the data, the month end nearest the middle of the log
plan_end: str = ""  # the plan-do-check-act round: targets set from the data to this day, checked at observation_end; empty: from the data, a third of the way from calibration_end to observation_end
period: str = "M"  # length of a period for the stages and the retention KPIs: "W", "M" or "Q"
time_unit: str = "W"  # time unit of the count models: "D", "W" or "M"
horizon_years: float = 3.0  # CLV horizon in years (the three-year practice, docs/domain.md)
annual_discount_rate: float = 0.10  # yearly discount rate (the firm's cost of capital)
margin: float = 0.30  # gross margin on revenue: an assumption, CDNOW has no cost data
cost_per_order: float = 0.0  # cost to serve one expected future purchase (currency); 0: none
clv_model: str = "auto"  # count model of the valuation: "auto" (holdout error, then fit), "BG/NBD", "Pareto/NBD" or "MBG/NBD"
currency: str = "$"  # currency symbol written before money (CDNOW: US dollars)
playbook: str = ""  # path to an edited copy of the playbook YAML; empty: the package's
warning_top_tiers: list = ["high", "medium"]  # value tiers the early warning watches
p_alive_below: float = 0.5  # early-warning reason low_p_alive: P(alive) below this
cycle_factor: float = 3.0  # early warning "overdue": silent over this many own purchase cycles
top_warnings: int = 20  # rows of the list of customers at risk
lift_fraction: float = 0.1  # top share of customers for the lift (0.1: the top decile)
logit_folds: int = 5  # folds of the cross-fitted Logit score in the warning test; 0 leaves it out
pdca_targets: dict = {"repeat_rate": 0.02, "retention_rate": 0.05}  # KPI: relative change aimed at
export_dir: str = ""  # folder for plan.yaml; empty: the report folder

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
log = transactions.loc[transactions["date"] <= pd.Timestamp(observation_end)]
settings = dict(
    period=period,
    time_unit=time_unit,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    cost_per_order=cost_per_order,
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
# One row per customer who bought up to `observation_end`: the stage in the last period, the model's P(alive) and expected purchases, the CLV over `horizon_years` discounted at `annual_discount_rate` and net of `cost_per_order`. The count model is the study's valuation model, `clv_model`: with "auto", the rule `analysis.clv.choice.CHOICE_RULE` picks it among BG/NBD, Pareto/NBD and MBG/NBD (the smallest error on the purchases after `calibration_end`, within 1%, then the likelihood; never a fit that does not identify its parameters). Every other cut of the log below refits this same model. The line says which cut and model value the customers, the note why:

# %%
table = customers.customer_table(
    log,
    observation_end=observation_end,
    model=clv_model,
    calibration_end=calibration_end,
    **settings,
)
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
# ## 3. Early warning now
#
# The decline stage's strategy calls for an early-warning process for the customers worth saving. `churn.early_warning` flags a customer of the valuable tiers (`warning_top_tiers`) for any of these reasons:
#
# - **entered_decline**: its stage in the last period is decline, and this is its first period there;
# - **in_decline**: its stage in the last period is decline, however long;
# - **low_p_alive**: the model's P(alive) is below `p_alive_below`;
# - **overdue**: it has been silent for more than `cycle_factor` times its own median time between purchases (a customer without a repeat purchase has no cycle of its own and is never overdue).
#
# The list is ordered by the value at risk, the customer's `clv_net`. Each customer also gets a continuous warning score, the sum of four components in [0, 1] with equal weights fixed in advance (in decline, entered decline, one minus P(alive), and the silence measured in own cycles); section 4 tests it. First the count by reason (a customer may have several):

# %%
at_risk = churn.early_warning(
    table, top_tiers=warning_top_tiers, p_alive_below=p_alive_below, cycle_factor=cycle_factor
)
tables.format_table(
    readings.warning_summary(at_risk), {"value_at_risk": "money"}, currency=currency
)

# %% [markdown]
# The most valuable customers at risk, with what flags them (value in the log's currency, rounded):

# %%
(
    at_risk.head(top_warnings)[
        [
            "stage",
            "tier",
            "clv_net",
            "p_alive",
            "days_since_last",
            "purchase_cycle_days",
            "score",
            "reasons",
        ]
    ].pipe(
        tables.format_table,
        {"p_alive": "share", "score": "ratio", "days_since_last": "count"},
        currency=currency,
    )
)

# %%
Markdown(
    "**Reading.** "
    + readings.warning_reading(at_risk, table, shown=top_warnings, currency=currency)
)

# %% [markdown]
# ## 4. Does the warning work? A test on the log cut at `calibration_end`
#
# A warning is worth acting on only if it foresees who stops buying. The test sets the clock back to `calibration_end`: the customer table is built from the purchases up to that day alone, the valuation's count model refitted on them (named to `customer_table`, so its note says the model was given and the others not fitted), the stages and the tiers as they were then:

# %%
calibration_log = transactions.loc[transactions["date"] <= pd.Timestamp(calibration_end)]
calibration_table = customers.customer_table(
    calibration_log,
    observation_end=calibration_end,
    model=table.attrs["model"],  # the valuation's model, refitted on this cut
    calibration_end=False,
    interval=None,  # the section ranks and counts customers: no intervals needed
    **settings,
)
display(readings.valuation_line(calibration_table, "The early-warning test", currency=currency))
Markdown(calibration_table.attrs["model_note"])

# %% [markdown]
# The outcome is whether each customer bought again between `calibration_end` and `observation_end` (`churn.active_between`). Among the customers of the valuable tiers at `calibration_end`, each score ranks them from the calibration data alone:
#
# - **early_warning**: the continuous warning score of section 3;
# - **p_alive**: one minus P(alive) alone;
# - **expected_purchases**: the expected purchases in the next period alone (fewer means more at risk);
# - **logit_cv**: a logistic regression of the outcome on the calibration features, *cross-fitted* (the customers split at random into `logit_folds` folds, each fold scored by the model fitted on the others; it uses the continuous features only, because a small stage can be all active within one fold, which leaves its coefficient undefined).
#
# The AUC is the probability that a customer who stopped buying is ranked above one who did not (0.5 is a coin toss, 1 a perfect ranking); the lift is the share of inactive customers among the top `lift_fraction` of a score divided by the share among all, which is what a firm contacting only its top list gains.

# %%
active = churn.active_between(
    log, after=calibration_end, through=observation_end, customers=calibration_table.index
)
features, left_out = churn.informative_features(
    calibration_table
)  # P(alive) drops out when it does not vary
evaluation = readings.attempt(
    "the test of the early warning",
    churn.evaluate,
    calibration_table,
    active,
    top_tiers=warning_top_tiers,
    fraction=lift_fraction,
    cycle_factor=cycle_factor,
    logit_folds=logit_folds or None,
    logit_features=[f for f in features if f != "stage"],
)
evaluation if readings.skipped(evaluation) else tables.format_table(evaluation, decimals=3)

# %%
if not readings.skipped(evaluation):
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.2))
    plots.plot_warning_scores(evaluation, "auc", ax=axes[0])
    ax = plots.plot_warning_scores(evaluation, "lift", ax=axes[1])
    fig.tight_layout()

# %%
Markdown(
    "**Reading.** "
    + (
        str(evaluation)
        if readings.skipped(evaluation)
        else readings.evaluation_reading(evaluation, calibration_table)
    )
)

# %% [markdown]
# What drives inactivity? `churn.drivers` fits a logistic regression of "no purchase after `calibration_end`" on the calibration features of every customer, and reports each feature's odds ratio with its 95% interval: above 1 the feature raises the odds of inactivity, below 1 it lowers them, each per its own unit (per doubling of the purchases, per month of silence, the stage against the first stage present). The odds ratios are associations given the other features, not causes; features that take one value for every customer are left out, since nothing can be learned from them.

# %%
odds = readings.attempt(
    "the drivers of inactivity (the Logit of no purchase after calibration_end)",
    churn.drivers,
    calibration_table,
    active,
    features=features,
    drop_separating=True,
)
(
    odds
    if readings.skipped(odds)
    else tables.format_table(
        odds[["odds_ratio", "ci_low", "ci_high", "p_value", "meaning"]], decimals=3
    )
)

# %%
ax = None if readings.skipped(odds) else plots.plot_odds_ratios(odds)

# %%
Markdown(
    "**Reading.** "
    + (str(odds) if readings.skipped(odds) else readings.drivers_reading(odds, left_out))
)

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
# The Deming cycle (戴明环) applied to the customer base (`docs/domain.md`, section Plan-do-check-act): **plan** (计划) targets for the KPIs of every stage from a baseline, **do** (执行) the firm's work in the next period, **check** (检查) the same KPIs later against the targets, **act** (处理) keep what met its target and plan again where it did not.
#
# The round here is played on the log itself. The plan is made at `plan_end`: the customer table (the valuation's count model refitted on the purchases up to that day) and the KPIs from those purchases, and a target for each KPI of `pdca_targets` (a relative change from the baseline by default; a target on a share is capped at 100%). `strategy.plan` writes the targets to `plan.yaml` in `export_dir` (beside this report when the report runner runs it), a file a person can read and edit before the check. The check, `strategy.check`, measures the same KPIs at `observation_end` on the customer table of the recommendation (the valuation itself) and compares. Two cautions on reading it: the stage groups are formed again at the check, so a stage's customers are not the same as at the plan; and `repeat_rate` counts repeat buyers *so far*, so for a fixed set of customers it can only rise.

# %%
plan_log = transactions.loc[transactions["date"] <= pd.Timestamp(plan_end)]
plan_table = readings.attempt(
    "the customer table at plan_end",
    customers.customer_table,
    plan_log,
    observation_end=plan_end,
    model=table.attrs["model"],  # the valuation's model, refitted on this cut
    calibration_end=False,
    interval=None,  # the section ranks and counts customers: no intervals needed
    **settings,
)
if not readings.skipped(plan_table):
    display(readings.valuation_line(plan_table, "The plan", currency=currency))
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
    )
)
if readings.skipped(targets):
    display(targets)
else:
    for kpi, why in targets.attrs["not_measured"].items():
        display(readings.Skipped(f"a target for {kpi} at plan_end", why))
    display(
        tables.format_kpis(
            targets[["kpi", "group", "baseline", "baseline_period", "target", "direction", "rule"]],
            ["baseline", "target"],
            currency=currency,
        )
    )

# %%
checked = targets if readings.skipped(targets) else strategy.check(plan_path, table, log)
(
    checked
    if readings.skipped(checked)
    else tables.format_kpis(
        checked[
            [
                "kpi",
                "group",
                "baseline",
                "target",
                "actual",
                "gap",
                "met",
                "actual_period",
                "next_step",
            ]
        ],
        ["baseline", "target", "actual", "gap"],
        currency=currency,
    )
)

# %%
Markdown(
    "**Reading.** "
    + (str(checked) if readings.skipped(checked) else readings.check_reading(checked))
)

# %% [markdown]
# ## Using this report
#
# - To change what the firm does, edit a copy of the playbook and pass its path as `playbook`: the recommendation, the KPIs to watch and the priorities follow.
# - To act on the early warning, start from the list of section 3, but rank it with the score that the test of section 4 found best on this log, and test again when the log grows.
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
assert active.index.equals(calibration_table.index.sort_values())
assert calibration_table.attrs["model"] == table.attrs["model"] and (
    readings.skipped(plan_table) or plan_table.attrs["model"] == table.attrs["model"]
), "one count model at every cut"
assert readings.skipped(evaluation) or (
    evaluation["auc"].between(0, 1).all() and (evaluation["n"] == evaluation["n"].iloc[0]).all()
)
assert readings.skipped(odds) or odds.attrs["n"] == len(calibration_table)
assert kpi_table.loc[~kpi_table["measurable"], "value"].isna().all(), (
    "no number for what cannot be measured"
)
assert readings.skipped(checked) or (plan_path.is_file() and len(checked) == len(targets))
