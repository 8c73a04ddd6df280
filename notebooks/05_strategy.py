# %% [markdown]
# # 5. What to do: the playbook by stage and value, early warning, KPIs and plan-do-check-act
#
# The customer table turned into action: the playbook per cell, whom to contact before they go quiet and what that is worth, the KPIs, one plan-do-check-act round. Value is margin x revenue, net of `cost_per_purchase` (none by default: no exit cells); the methods are in `docs/domain.md` (Strategy).

# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

_ = report.receive(globals(), "05_strategy")  # the values set above, else the defaults; checked

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display, update_display

from analysis import churn, customers, data, dates, plots, readings, report, strategy, tables
from analysis.readings import findings

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
    cost_per_purchase=cost_per_purchase,
    currency=currency,
)

# %%
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
settings.update(margin=margin, currency=currency)
Markdown(readings.run_intro(dataset, transactions) + " " + basis.note)

# %% tags=["nbval-ignore-output"]
# the findings, written at the end of the report from its tables (nbval: the stored output is the filled one)
findings_shown = display(Markdown(findings.PLACEHOLDER), display_id=findings.DISPLAY_ID)

# %%
table, info = customers.value_customers(
    log,
    observation_end=observation_end,
    model=clv_model,
    calibration_end=calibration_end,
    **settings,
)
# every other cut below: the valuation's model refitted on the cut's purchases, no intervals
# (those sections rank and count customers)
at_cut = dict(model=info.model, calibration_end=False, interval=None, **settings)
readings.valuation_line(
    table,
    "The recommendation, the warning list, the KPIs and the check",
    info=info,
    currency=currency,
)

# %% [markdown]
# ## 1. The playbook and the recommendation
#
# The playbook (`strategy/playbook.yaml`; an edited copy passed as `playbook` changes every table below) gives each stage its aim: exploration (考察期) attract, formation (形成期) keep, stability (稳定期) deepen, decline (退化期) extend or leave; the value tier sets the priority and Kotler's relationship level. The cells holding customers:

# %%
book = strategy.load_playbook(playbook or None)
plays = book.table()
recommendation = strategy.recommend(table, book)
recommendation.loc[
    recommendation["customers"] > 0,
    ["customers", "share_customers", "share_value", "priority", "relationship_level", "strategy"],
].pipe(tables.format_table, {"share_customers": "share", "share_value": "share"}, na_rep="—")

# %%
ax = plots.plot_value_heatmap(recommendation)

# %%
Markdown(
    "**Reading.** "
    + (readings.playbook_reading(plays, edited=True) + " " if playbook else "")
    + readings.recommendation_reading(recommendation)
)

# %% [markdown]
# ## 2. Early warning: which score foresees who stops buying?
#
# The customer table at `calibration_end`; the outcome: no purchase from then to `observation_end`.

# %%
calibration_log = data.up_to(transactions, calibration_end)
calibration_table, calibration_info = customers.value_customers(
    calibration_log, observation_end=calibration_end, **at_cut
)
readings.valuation_line(
    calibration_table, "The early-warning test", info=calibration_info, currency=currency
)

# %% [markdown]
# The challenger, a **learned risk** (`churn.fit_inactivity_risk`, learned on earlier cuts). Left: its calibration; right: its odds ratios (associations, not causes).

# %%
test_days = (pd.Timestamp(observation_end) - pd.Timestamp(calibration_end)).days
risk_model = readings.attempt(
    "the learned risk at calibration_end",
    churn.fit_inactivity_risk,
    calibration_log,
    observation_end=calibration_end,
    horizon=test_days,
    table=calibration_table,
    info=calibration_info,
    period=period,
    time_unit=time_unit,
)
learned = not readings.skipped(risk_model) and risk_model.fallback is None
Markdown(
    "**Reading.** "
    + (str(risk_model) if readings.skipped(risk_model) else readings.risk_reading(risk_model))
)

# %%
if learned and risk_model.reliability is not None:
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    plots.plot_reliability(risk_model.reliability, ax=axes[0])
    ax = plots.plot_odds_ratios(risk_model.odds_ratios, ax=axes[1])
    ax.set_xlabel("odds ratio of no purchase in the window (log scale, 95% interval)")
    fig.tight_layout()

# %% [markdown]
# Each score's AUC (0.5 a coin toss) and lift in the top `lift_fraction`, with 90% bootstrap intervals (the scores: `churn.comparison_scores`).

# %%
active = churn.active_between(
    log, after=calibration_end, through=observation_end, customers=calibration_table.index
)
scores = churn.comparison_scores(
    calibration_table,
    p_quiet=churn.p_quiet(calibration_table, test_days, info=calibration_info),
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
comparison if readings.skipped(comparison) else None  # the figure below shows the test

# %%
if not readings.skipped(comparison):
    fig, axes = plt.subplots(2, 1, figsize=(9, 10))
    plots.plot_score_comparison(comparison, "auc", ax=axes[0])
    ax = plots.plot_score_comparison(comparison, "lift", ax=axes[1])
    fig.tight_layout()

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
# ## 3. The early-warning list: valuable customers ranked by expected loss
#
# The valuable customers (`warning_top_tiers`) riskier than `base_rate`, ranked by **expected loss** (risk x `clv_net`); the **break-even spend** is that times `save_rate`: a contact costing more loses money. Reasons: the early warning's rules ("—": the risk alone).

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
    list_kind, table, log, horizon=horizon, info=info, period=period, time_unit=time_unit
)
loss = churn.loss_list(table, risk_now, budget=retention_budget or None, **list_rule)
at_risk = churn.early_warning(
    table, top_tiers=warning_top_tiers, p_alive_below=p_alive_below, cycle_factor=cycle_factor
)  # the hand rules alone: their reasons are the list's
display(Markdown(readings.save_rate_note(save_rate, churn.SAVE_RATE_RANGE)))
loss.head(top_warnings)[
    ["clv_net", "risk", "days_since_last", "expected_loss", "break_even_spend", "reasons"]
].assign(  # the risk and its ratio to the base rate lead each reason: the risk column shows them
    reasons=lambda d: d["reasons"].str.replace(r"^risk [^;]*(; |$)", "", regex=True)
).pipe(
    tables.format_table,
    {"risk": "share", "days_since_last": "count"}
    | dict.fromkeys(["expected_loss", "break_even_spend"], "money"),
    currency=currency,
).replace("", "—")  # "—": on the list for its risk alone

# %%
Markdown("**Reading.** " + readings.loss_reading(loss, shown=top_warnings, currency=currency))

# %% [markdown]
# How often is the list right? The same rule one horizon earlier (`churn.flag_precision`; with the default horizon, the test's holdout: a check of the rule, not of the score).

# %%
then_end = pd.Timestamp(observation_end) - pd.Timedelta(days=horizon)
then_log = data.up_to(transactions, then_end)
valued_then = readings.attempt(
    "the customer table one horizon back",
    customers.value_customers,
    then_log,
    observation_end=then_end,
    **at_cut,
)
table_then, info_then = (
    (valued_then, None) if readings.skipped(valued_then) else (valued_then.table, valued_then.info)
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
            list_kind,
            table_then,
            then_log,
            horizon=horizon,
            info=info_then,
            period=period,
            time_unit=time_unit,
        ),
        horizon=horizon,
        info=info_then,
        **list_rule,
    )
)
if not readings.skipped(table_then) and then_end != pd.Timestamp(calibration_end):
    display(  # at calibration_end (the default horizon) the test's line above holds
        readings.valuation_line(
            table_then, "The list's precision", info=info_then, currency=currency
        )
    )
(
    precision
    if readings.skipped(precision)
    else tables.format_table(
        precision,
        {"went_quiet": "count", "share_low": "share", "share_high": "share", "mean_risk": "share"},
        na_rep="—",
    )
)

# %%
None if readings.skipped(precision) else Markdown(
    "**Reading.** " + readings.precision_reading(precision)
)

# %% [markdown]
# The list's worth per playbook cell (`strategy.budget_by_cell`): nothing where the playbook reduces or exits.

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
    # the interval of the expected loss: in the list's reading above
    budget.drop(columns=["expected_loss_low", "expected_loss_high"]),
    {"customers": "count", "share_of_budget": "share"}
    | dict.fromkeys(["expected_loss", "break_even_spend", "budget"], "money"),
    currency=currency,
    na_rep="—",
).replace("", "—")  # the total row has no priority

# %%
Markdown("**Reading.** " + readings.budget_reading(budget, currency=currency))

# %% [markdown]
# ## 4. KPIs by stage
#
# The playbook's indicators (`strategy.KPI_DEFINITIONS`) at `observation_end`; rates are the last complete period's. Decline has a low retention partly by construction.

# %%
kpi_table = strategy.kpis(
    table, log, by="stage", period=period, observation_end=info.observation_end
)
tables.format_kpis(readings.kpi_matrix(kpi_table), currency=currency).replace("", "—")

# %%
readings.unmeasurable_kpis(kpi_table)

# %%
Markdown("**Reading.** " + readings.kpi_reading(kpi_table, currency=currency))

# %% [markdown]
# ## 5. Plan-do-check-act: one round, planned on the log cut at `plan_end`
#
# The Deming cycle (戴明环, `strategy.plan`/`check`): **plan** (计划) targets (`pdca_targets`) for the list at `plan_end`, **do** (执行), **check** (检查) at `observation_end` against a randomised holdout group (`holdout_share`), **act** (处理); no target may be met by construction (`by_construction`, "—": it is not). On a historical log nobody acted: the comparison is a placebo.

# %%
plan_log = data.up_to(transactions, plan_end)
valued_plan = readings.attempt(
    "the customer table at plan_end",
    customers.value_customers,
    plan_log,
    observation_end=plan_end,
    **at_cut,
)
plan_table, plan_info = (
    (valued_plan, None) if readings.skipped(valued_plan) else (valued_plan.table, valued_plan.info)
)
if not readings.skipped(plan_table):
    display(readings.valuation_line(plan_table, "The plan", info=plan_info, currency=currency))
treated = (
    None
    if readings.skipped(plan_table)
    else churn.loss_list(  # the early-warning list at plan_end: the customers the plan acts on
        plan_table,
        churn.loss.list_risk(
            list_kind,
            plan_table,
            plan_log,
            horizon=horizon,
            info=plan_info,
            period=period,
            time_unit=time_unit,
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
        info=plan_info,
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
        ).replace("", "—")  # by_construction: "—", the target is not met by doing nothing
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
checked = targets if readings.skipped(targets) else strategy.check(plan_path, table, log, info=info)
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
    ).replace("", "—")  # "—": not measured in that group
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

# %%
# the findings at the top of the report, from the tables above
update_display(
    Markdown(
        findings.findings_markdown(
            findings.strategy_findings(
                recommendation,
                choice,
                loss,
                budget,
                None if readings.skipped(precision) else precision,
                None if readings.skipped(checked) else checked,
                currency=currency,
            ),
            title="Findings",
        )
    ),
    display_id=findings.DISPLAY_ID,
)

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
assert calibration_info.model == info.model and (
    readings.skipped(plan_table) or plan_info.model == info.model
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
