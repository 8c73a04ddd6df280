# %% [markdown]
# # 2. The relationship lifecycle: exploration, formation, stability, decline
#
# The lifecycle model this project follows (`docs/domain.md`, section Lifecycle) describes every customer relationship as passing through four ordered stages (Dwyer, Schurr and Oh; Chen Mingliang): **exploration** (考察期, a trial: few small orders, the firm invests and the customer contributes little), **formation** (形成期, fast growth: volume and profit rise), **stability** (稳定期, a plateau at the peak) and **decline** (退化期, the relationship reverses; it can follow any stage). This report gives every customer a stage in every month, in two views (*real time*: what was known at the end of each month, for the stage a customer is in now; *hindsight*: the whole history, for the stages as they were), shows how the customer base moves between stages, values a customer by stage, follows cohorts of new customers, measures how often each view is right on simulated customers whose true stages are known, and checks on the holdout that the stages order what the customers bought next.

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
observation_end: str = ""  # last day observed; empty: from the data (the last purchase date)
period: str = "M"  # length of a period for the stages: "W", "M" or "Q"
cohort: str = "W"  # length of a first-purchase cohort ("W" suits CDNOW's 12 weeks of acquisition)
margin: float = 0.30  # gross margin on revenue: an assumption, CDNOW has no cost data
cost_per_purchase: float = 0.0  # cost to serve one purchase, dollars: none assumed
annual_discount_rate: float = 0.10  # yearly discount rate (the firm's cost of capital)
horizon_years: float = 3.0  # CLV horizon in years (the three-year practice, docs/domain.md)
clv_model: str = "auto"  # the valuation's model: "auto", "BG/NBD", "Pareto/NBD" or "MBG/NBD"
time_unit: str = "W"  # time unit of the count models: "D", "W" or "M"
projection_periods: int = 12  # periods ahead for the projected stage mix
window_months: float = 3.0  # longest window for a customer's current pace
trial_months: float = 2.5  # silence that ends a trial without an established cycle
formation_repeats: int = 4  # repeat purchases for a rise into formation (and a cycle of one's own)
past_trial_repeats: int = 1  # repeat purchases of a buyer still buying at exploration_months
exploration_months: float = 3.0  # age after which a repeat buyer is past the trial
formation_months: float = 5.0  # months in formation (in all) before a plateau
growth_ratio: float = 2.0  # a rise: the pace at least doubles against the periods before
alpha_rise: float = 0.10  # significance of a rise (one-sided Poisson test)
decline_ratio: float = 0.5  # a fall: less than half the customer's own previous pace
alpha_fall: float = 0.01  # significance of a fall (one-sided Poisson test)
gap_factor: float = 3.0  # silence, in the customer's own purchase cycles, that means decline
sensitivity_change: float = 0.25  # relative move of each threshold in the sensitivity table
sim_customers: int = 2000  # customers per simulated log
sim_periods: int = 24  # months per simulated log
tuning_seed: int = 1  # one of the simulator seeds (1-5) the default thresholds were tuned on
evaluation_seed: int = 11  # a fresh simulator seed to measure accuracy on
hmm_states: int = 4  # latent relationship states of the hidden Markov model
hmm_starts: int = 3  # seeded EM starts of the hidden Markov model
hmm_seed: int = 0  # seed of the hidden Markov model's starts
holdout_end: str = ""  # end of the holdout check of the stages; empty: observation_end
calibration_end: str = ""  # cut-off of the holdout check of the stages; empty: from the data
currency: str = "$"  # currency symbol written before money (CDNOW: US dollars)

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from analysis import customers, data, dates, lifecycle, plots, readings, report, simulate, tables

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours
pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)
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
observed_to = observation_end

# %%
Markdown(readings.run_intro(dataset, transactions))

# %%
# how the log is valued: its amounts, or (a log without amounts) purchases, with no margin then
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
Markdown(basis.note)

# %% [markdown]
# ## How a stage is decided
#
# The classifier reads each customer's own history, period by period, and never compares a customer with population quantiles. Its *pace* is the number of repeat purchases per period (purchases on one day count once; the first purchase is not a repeat). The pace of the last one, two or three months is compared with the pace just before, by one-sided Poisson rate tests (statsmodels), so a frequent buyer's change shows within a month while a sparse buyer needs the whole window.
#
# - The first period is **exploration**.
# - **Decline** can follow any stage: the customer is *silent* for longer than `gap_factor` of its own purchase cycles (or, before it has a cycle of its own, for longer than `trial_months`), or its pace *falls* below `decline_ratio` of its previous pace with significance `alpha_fall`.
# - Exploration becomes **formation** when the customer has `formation_repeats` repeat purchases and its pace *rises* (at least `growth_ratio` times the periods just before, significance `alpha_rise`), or when it has `past_trial_repeats` repeat purchases and is still buying (not silent) when older than `exploration_months`: a repeat buyer past the trial.
# - Formation becomes **stability** after `formation_months` in formation in all (a return from a decline does not start the count again), once the last month's pace is no significant rise over the month before: a plateau.
# - A customer in decline who buys again at a rising pace returns to **formation**, never straight to stability.
#
# So the stage order of the lifecycle model holds by construction: stability is reached only through exploration and formation, and decline can follow any stage. Every threshold, its default and the reason for it:

# %%
tables.format_table(lifecycle.thresholds_table().assign(used=pd.Series(thresholds)))

# %% [markdown]
# ## Every customer, every month
#
# One row per customer and month from the first purchase to the end of observation, with the signals that decided the stage and the rule that fired (`reason`).
#
# **Two views of the same stages.** The rules read each month with only what was known at its end: the *real-time* view. It answers "which stage is this customer in now?", so it gives the current stage mix below, the stage values (from the customer table, the study's one valuation, as in reports 4 and 5), and the early warning and the strategy of report 5. Looking back, a month's stage may use what happened after it, and should: the rules lag a month or so at each boundary. The *hindsight* view (`assign_stages(..., view="hindsight")`) reads every customer's whole history with the package's lifecycle model (a hidden Markov model of the four stages in their order, with each customer's own purchase rate) and labels each month with the most probable stage path. It answers "which stage was this customer in during that month?", so it gives the histories: the stage mix over calendar time, the lifecycle curve, the transition matrix, the profit per customer-month in each stage and the relationship survival. Each section below names its view; the accuracy of both is measured on simulated customers near the end of the report.
#
# Below, the history of the customer with the most purchase days in both views (every signal of the rules is in the appendix).

# %%
stages = lifecycle.assign_stages(
    transactions, period=period, observation_end=observed_to, **thresholds
)
history_stages = lifecycle.assign_stages(
    transactions, period=period, observation_end=observed_to, view="hindsight"
)

# %%
heaviest = stages.groupby("customer_id")["purchases"].sum().idxmax()
history = (
    stages.loc[stages["customer_id"] == heaviest].drop(columns=["customer_id"]).set_index("period")
)
hindsight_history = history_stages.loc[history_stages["customer_id"] == heaviest]
tables.format_table(
    history[["age", "purchases", "spend", "window_rate", "rate_ratio", "stage", "reason"]]
    .rename(columns={"stage": "stage (real time)"})
    .assign(**{"stage (hindsight)": hindsight_history["stage"].to_numpy()}),
    currency=currency,
)

# %%
Markdown(readings.history_reading(history))

# %% [markdown]
# ## The stage mix now
#
# The latest stage of every customer, and the rule that put it there (real-time view).

# %%
current = lifecycle.current_stage(stages)
current_mix = pd.DataFrame(
    {
        "customers": current["stage"].value_counts(sort=False),
        "share": current["stage"].value_counts(normalize=True, sort=False),
    }
)
tables.format_table(current_mix)

# %%
reasons = pd.crosstab(current["stage"], current["reason"].astype(str))
reasons

# %%
Markdown(readings.current_mix_reading(current_mix, reasons))

# %% [markdown]
# The thresholds are in months, so the period length only sets how finely the history is cut. The current mix with weeks, months and quarters as periods:

# %%
by_period = lifecycle.current_mix_by_period(transactions, observation_end=observed_to, **thresholds)
tables.format_table(by_period, dict.fromkeys(by_period.columns, "share"))

# %%
Markdown(readings.period_reading(by_period))

# %% [markdown]
# ## The stage mix over calendar time
#
# How the customers moved through the stages, period by period (hindsight view).

# %%
mix = lifecycle.stage_mix(history_stages)  # hindsight: each month read with the whole history
ax = plots.plot_stage_mix(mix)

# %%
tables.format_table(mix, dict.fromkeys(mix.columns, "share"))

# %%
Markdown(readings.mix_over_time_reading(mix))

# %% [markdown]
# ## The lifecycle curve
#
# The lifecycle model's signature figure (`docs/domain.md`, section Lifecycle curve): transactions and profit per customer along the relationship, with the stage bands. Profit is `margin x revenue - cost_per_purchase x purchases`; the margin and the cost per purchase are parameters (stated assumptions unless the log carries cost data), so profit moves with revenue and purchases as they set it (a log without amounts counts value in purchases, with no margin: see the note at the top).
#
# First by relationship age (months since the first purchase), in the hindsight view: purchases and profit per active customer in absolute units for all customers (left), the same for the customers whose path reaches stability (middle, where the rise through formation to a plateau and the fall can be seen without the one-time buyers; left out, with a sentence, when no customer reaches stability), and the share of each stage at that age (right).

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
tables.format_table(curve, currency=currency)

# %%
Markdown(readings.curve_by_age_reading(curve))

# %% [markdown]
# The lifecycle curve follows one relationship through its stages, so the second view aligns customer-months on the month each customer entered its stage (0, 1, 2, ... months into the stage; the last point holds the rest), stages in order.

# %%
curve_by_stage = lifecycle.lifecycle_curve(
    stages=history_stages,
    margin=margin,
    cost_per_purchase=cost_per_purchase,
    align="stage",
)
ax = plots.plot_lifecycle_curve(curve_by_stage, currency=currency, period=period)

# %%
tables.format_table(curve_by_stage, currency=currency)

# %%
Markdown(readings.curve_by_stage_reading(curve_by_stage, currency=currency))

# %% [markdown]
# ## How customers move: the stage transition matrix
#
# Counts of customer-months that go from one stage (row) to another (column) in the next month, and the same as probabilities: the lifecycle as a Markov chain (hindsight view: the transitions as they happened).

# %%
counts = lifecycle.transition_counts(history_stages)  # hindsight
tables.format_table(counts)

# %%
P = lifecycle.transition_matrix(history_stages)
ax = plots.plot_transition_matrix(P)

# %%
Markdown(readings.transition_reading(counts, P))

# %% [markdown]
# ## Where the base is heading
#
# The stage mix of today's customers (real-time view) projected with the transition matrix of the hindsight view (the chain assumes that the monthly transition probabilities stay as they were, and it adds no new customers): the mix now, after one period and after `projection_periods`.

# %%
# the chain of the hindsight view, started from today's real-time mix
projection = lifecycle.project_stage_mix(P, stages, projection_periods)
tables.format_table(
    tables.stage_projection_table(
        projection, [1, projection_periods], customers=len(current), period=period
    )
)

# %%
Markdown(readings.projection_reading(projection))

# %% [markdown]
# ## What a customer in each stage is worth
#
# The study values each customer once, in the customer table (`analysis.customers.customer_table`): one count model for the whole study (`clv_model`; by default chosen by its holdout error after `calibration_end`, then its fit), Gamma-Gamma for the spend (for a log without amounts, its value per purchase), `clv` the discounted expected margin over `horizon_years` at `annual_discount_rate`, without costs. Reports 4 and 5 read the same table, so a customer has one CLV everywhere; the line below names the cut, the model and the total. Each customer's stage there is its stage today: the real-time view in the last period, by the default thresholds of the rules above. The histories of this report use the hindsight view, which reads each month with the whole history; in the last period both views have seen the same purchases, but they read them with different methods (the rules, the lifecycle model), so the last column says how often the hindsight view puts a stage's customers in the same stage. Per stage: its customers and their share, the mean CLV per customer, the stage's total and its share of the total value (and, when the table carries each customer's 90% interval, the means of the interval ends).

# %%
table = customers.customer_table(
    transactions,
    observation_end=observation_end,
    period=period,
    time_unit=time_unit,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    cost_per_order=cost_per_purchase,
    model=clv_model,
    calibration_end=calibration_end or None,
    currency=currency,
)
display(readings.valuation_line(table, "Stage values", currency=currency))

# %%
# the hindsight view's stage in the last period, for the agreement column
stage_value = tables.stage_values(table, hindsight=lifecycle.current_stage(history_stages)["stage"])
tables.format_table(stage_value, currency=currency)

# %%
Markdown(
    readings.stage_value_reading(
        stage_value, margin=margin, horizon_years=horizon_years, currency=currency
    )
)

# %% [markdown]
# What a customer-month in each stage earns, in the hindsight view: the mean purchases, revenue and profit (`margin x revenue - cost_per_purchase x purchases`) per customer-month, the reward a Markov chain of the stages would attach to each stage. It describes the months as they were, not what a customer is worth: that is the table above.

# %%
rewards = lifecycle.stage_rewards(
    history_stages, margin=margin, cost_per_purchase=cost_per_purchase
)
tables.format_table(rewards, currency=currency)

# %% [markdown]
# ## Cohorts: retention and survival of relationships
#
# Retention: the share of each cohort of new customers that buys in each period after its first purchase (period 0, where everyone buys, is left out of the heatmap; the numbers are in the appendix).

# %%
retention = lifecycle.cohort_retention(
    transactions, period=period, cohort=cohort, observation_end=observed_to
)
ax = plots.plot_cohort_retention(retention)

# %% [markdown]
# Survival of relationships: the share of relationships not yet in decline after t months (Kaplan-Meier, statsmodels `SurvfuncRight`; relationships never in decline are censored at the end of observation), by month of acquisition and by the customer's spend in its first month, with log-rank tests of equal survival.

# %%
survival = lifecycle.relationship_survival(history_stages, by="cohort")
ax = plots.plot_survival(
    survival, trial_months=trial_months, period=period, legend_title="first-purchase cohort"
)

# %%
by_cohort_test = readings.attempt(
    "the log-rank test between first-purchase cohorts",
    lifecycle.survival_logrank,
    history_stages,
    by="cohort",
)
(
    by_cohort_test
    if readings.skipped(by_cohort_test)
    else tables.format_table(by_cohort_test.to_frame().T)
)

# %%
first_month = readings.attempt(
    "survival by first-month spend", lifecycle.first_period_spend_groups, history_stages
)
if readings.skipped(first_month):
    first_spend_survival = first_month
    display(first_month)
else:
    first_spend_survival = lifecycle.relationship_survival(history_stages, by=first_month)
    ax = plots.plot_survival(
        first_spend_survival,
        trial_months=trial_months,
        period=period,
        labels=tables.spend_group_labels(history_stages, first_month, currency=currency),
        legend_title="spend in the first month",
    )

# %%
first_spend_test = (
    first_month  # no groups, no test: the sentence above says why
    if readings.skipped(first_month)
    else readings.attempt(
        "the log-rank test between first-month spend groups",
        lifecycle.survival_logrank,
        history_stages,
        by=first_month,
    )
)
if not readings.skipped(first_spend_test):
    display(tables.format_table(first_spend_test.to_frame().T))
elif not readings.skipped(first_month):
    display(first_spend_test)

# %%
Markdown(
    readings.cohort_survival_reading(
        retention, by_cohort_test, first_spend_test, first_spend_survival
    )
)

# %% [markdown]
# ## A model-based signal: BG/NBD probability alive
#
# The classifier can also read the probability that a customer is still active from a fitted BG/NBD model (`lifecycle.bgnbd_p_alive` fits `analysis.models.BetaGeo` on the whole log in months and evaluates it at the end of every month; the classifier takes the values and fits nothing itself): a customer whose P(alive) falls below `p_alive_min` (0.3) is in decline. How many customer-months change stage when it is added, and how the current stages line up with P(alive):

# %%
p_alive = readings.attempt(
    "the BG/NBD probability alive",
    lifecycle.bgnbd_p_alive,
    transactions,
    period=period,
    observation_end=observed_to,
)
if readings.skipped(p_alive):
    with_p_alive = changed = alive_table = p_alive
    display(p_alive)
else:
    with_p_alive = lifecycle.assign_stages(
        transactions, period=period, observation_end=observed_to, p_alive=p_alive, **thresholds
    )
    changed = int((with_p_alive["stage"] != stages["stage"]).sum())

# %%
if not readings.skipped(with_p_alive):
    alive_table = lifecycle.p_alive_bands(with_p_alive)
    display(tables.format_table(alive_table))

# %%
Markdown(readings.p_alive_reading(changed, alive_table))

# %% [markdown]
# ## How sensitive is the stage mix to the thresholds?
#
# Each threshold moved by -25% and +25% in turn (whole numbers by at least one), the others held at their values; the change in the current stage mix in percentage points.

# %%
sensitivity = lifecycle.threshold_sensitivity(
    transactions,
    period=period,
    change=sensitivity_change,
    observation_end=observed_to,
    **thresholds,
)
ax = plots.plot_sensitivity(sensitivity)

# %%
tables.format_table(sensitivity, decimals=3)

# %%
Markdown(readings.sensitivity_reading(sensitivity))

# %% [markdown]
# ## How accurate is the classifier? Simulated customers with known stages
#
# `simulate.simulate_lifecycle` draws customers whose purchase rate and spend follow the four-stage lifecycle: a trial at a quarter of the customer's peak rate (some trials fail and go straight to decline), fast growth of the rate by about 25% a month and rising order size, a plateau of random length, and decline (fading by half a month, or stopping at once) from any stage. Its default customer buys about four times a month at the peak. The default thresholds were tuned on the simulator with seeds 1 to 5 (`lifecycle.TUNING_SEEDS`; a search over each threshold, then rounded); accuracy is measured here on `evaluation_seed`, a seed no default was tuned on, beside one of the tuning seeds (`tuning_seed`).

# %%
evaluation = simulate.simulate_lifecycle(sim_customers, sim_periods, seed=evaluation_seed)
assigned = lifecycle.assign_stages(evaluation.transactions, **thresholds)
confusion = lifecycle.stage_confusion(evaluation.stages, assigned)
ax = plots.plot_stage_confusion(confusion)

# %%
tables.format_table(confusion)

# %%
scores = lifecycle.stage_scores(confusion)
tables.format_table(scores, decimals=3)

# %%
by_seed = pd.concat(
    {
        f"tuning seed {tuning_seed}": lifecycle.simulation_accuracy(
            n_customers=sim_customers, n_periods=sim_periods, seed=tuning_seed, **thresholds
        ),
        f"evaluation seed {evaluation_seed}": lifecycle.simulation_accuracy(
            n_customers=sim_customers, n_periods=sim_periods, seed=evaluation_seed, **thresholds
        ),
    }
)
tables.format_table(by_seed, decimals=3)

# %% [markdown]
# Macro-F1 on the tuning seed when each threshold moves by a quarter:

# %%
tuning = simulate.simulate_lifecycle(sim_customers, sim_periods, seed=tuning_seed)
tuning_table = lifecycle.threshold_sensitivity(
    tuning.transactions, change=sensitivity_change, truth=tuning.stages, **thresholds
)[["threshold", "change", "value", "macro_f1"]]
tables.format_table(tuning_table, decimals=3)

# %%
Markdown(readings.tuning_reading(tuning_table))

# %% [markdown]
# Accuracy depends on how often customers buy (the simulator's peak rate, purchases per month) and on how fast relationships form (the growth of the rate per month in formation):

# %%
by_rate = lifecycle.simulation_accuracy(
    "peak_rate_mean",
    [0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
    n_customers=sim_customers,
    n_periods=sim_periods,
    seed=evaluation_seed,
    **thresholds,
)
tables.format_table(by_rate, decimals=3)

# %%
by_growth = lifecycle.simulation_accuracy(
    "formation_growth",
    [1.15, 1.25, 1.5, 2.0],
    n_customers=sim_customers,
    n_periods=sim_periods,
    seed=evaluation_seed,
    **thresholds,
)
tables.format_table(by_growth, decimals=3)

# %%
Markdown(
    readings.accuracy_reading(scores, by_seed)
    + "\n\n"
    + readings.simulator_reading(by_rate, by_growth, rewards)
)

# %% [markdown]
# The simulated customers' own lifecycle curve, by stage as assigned by the classifier:

# %%
sim_curve = lifecycle.lifecycle_curve(stages=assigned, margin=margin, align="stage")
ax = plots.plot_lifecycle_curve(sim_curve, currency=currency, period=period)

# %%
Markdown(readings.curve_by_stage_reading(sim_curve))

# %% [markdown]
# ## Real time and hindsight: how accurately each view reads the stages
#
# The same simulator, now with both views and the lifecycle model's real-time reading (the model filtered to each month, `method="model"`), on seeds no default was tuned on (`lifecycle.EVALUATION_SEEDS`; the thresholds and the model's defaults were set on seed 1, `lifecycle.TUNING_SEEDS`). First by the customers' purchase rate at the peak, from one purchase every four months to four a month; then under named settings of the simulator: its default, a shorter formation, a longer stability, sparser buyers. The score is macro-F1 (the mean over the four stages of F1).

# %%
views_by_rate = lifecycle.accuracy_by_rate(n_customers=sim_customers, n_periods=sim_periods)
tables.format_table(readings.view_accuracy_table(views_by_rate, "rate"), decimals=3)

# %%
views_by_setting = lifecycle.accuracy_by_setting(n_customers=sim_customers, n_periods=sim_periods)
tables.format_table(
    readings.view_accuracy_table(views_by_setting, "setting").join(
        views_by_setting.groupby("setting", sort=False)[["simulator", "seeds"]].first()
    ),
    decimals=3,
)

# %%
Markdown(readings.view_accuracy_reading(views_by_rate, views_by_setting))

# %% [markdown]
# ## A model-based comparison: hidden Markov model
#
# The rules above are one reading of a history. Netzer, Lattin and Srinivasan (2008) read it with a model instead: every customer is, each month, in one of a few latent *relationship states* ordered by how much the customer buys, its repeat purchases are Poisson at the state's rate (scaled by the share of the month observed), and it moves between states by a Markov chain shared by all customers. `analysis.lifecycle.hmm` fits this hidden Markov model by EM (Baum-Welch, several seeded starts) and reads the four stages off each customer's most likely state path, relative to the customer's own path: the first month is exploration; a state below the customer's best so far, or the lowest state still held beyond the trial (`trial_periods`, 2 months, like `trial_months`), is decline; a state above the trial level (or a steady level held past the trial) is formation, and stability once it is the customer's peak. So the stage order rule holds here too. This is the homogeneous core of their model (no covariates, no customer heterogeneity in the rates), and unlike the rules the path uses the whole history: it is a hindsight reading.

# %%
hmm_counts, hmm_exposure = lifecycle.purchase_counts(
    transactions, period=period, observation_end=observed_to
)
hmm_fit = readings.attempt(
    "the hidden Markov model of this log",
    lifecycle.fit_stage_hmm,
    hmm_counts,
    exposure=hmm_exposure,
    n_states=hmm_states,
    n_starts=hmm_starts,
    seed=hmm_seed,
    tol=1e-7,
)
if readings.skipped(hmm_fit):  # the later cells of this section show nothing but the reading
    hmm_frame = hmm_parameters = hmm_mix = agreement = hmm_crosstab = hmm_fit
    display(hmm_fit)
else:
    hmm_frame = lifecycle.hmm_stages(
        transactions, period=period, observation_end=observed_to, model=hmm_fit
    )

# %% [markdown]
# The estimates: each state's mean repeat purchases per month, the probability of starting in it, and the monthly transition matrix (row: this month's state, column: next month's).

# %%
if not readings.skipped(hmm_fit):
    hmm_parameters = hmm_fit.parameters()
    display(tables.format_table(hmm_parameters, decimals=3))

# %% [markdown]
# The stage mix of the two readings, over all customer-months and in the latest month:

# %%
if not readings.skipped(hmm_fit):
    hmm_mix = lifecycle.stage_mix_comparison(stages, hmm_frame)
    display(
        tables.format_table(
            hmm_mix, dict.fromkeys(hmm_mix.select_dtypes("number").columns, "share")
        )
    )

# %% [markdown]
# How often the two agree (share of customer-months with the same stage), and where they differ (rows: the rules, columns: the HMM, customer-months):

# %%
if not readings.skipped(hmm_fit):
    agreement = lifecycle.stage_agreement(stages, hmm_frame)

# %%
if not readings.skipped(hmm_fit):
    hmm_crosstab = lifecycle.stage_crosstab(stages, hmm_frame)
    display(tables.format_table(hmm_crosstab))

# %% [markdown]
# And against the simulator's true stages on the same evaluation seed: F1 per stage and macro-F1 of both readings (the HMM fitted afresh on the simulated log).

# %%
hmm_assigned = lifecycle.hmm_stages(
    evaluation.transactions, n_states=hmm_states, n_starts=hmm_starts, seed=hmm_seed, tol=1e-7
)
hmm_scores = lifecycle.stage_scores(lifecycle.stage_confusion(evaluation.stages, hmm_assigned))
f1_both = pd.DataFrame({"rules": scores["f1"], "hmm": hmm_scores["f1"]})
tables.format_table(f1_both, decimals=3)

# %%
Markdown(
    readings.hmm_states_reading(hmm_parameters)
    + "\n\n"
    + readings.hmm_comparison_reading(hmm_mix, agreement, hmm_crosstab)
    + "\n\n"
    + readings.hmm_accuracy_reading(f1_both)
)

# %%
# sanity checks of the model-based reading
if not readings.skipped(hmm_fit):
    hmm_transitions = lifecycle.transition_counts(hmm_frame)
    assert hmm_transitions.loc[["exploration", "decline"], "stability"].sum() == 0, (
        "stability only from formation"
    )
    assert (hmm_fit.means[1:] > hmm_fit.means[:-1]).all() and abs(
        hmm_fit.transition.sum(axis=1) - 1
    ).max() < 1e-12
    assert (pd.Series(hmm_fit.history).diff().dropna() >= -1e-6).all(), (
        "EM must not lower the likelihood"
    )
    assert len(lifecycle.paired_stages(stages, hmm_frame)) == len(stages) == len(hmm_frame)
assert hmm_scores.loc["macro", "f1"] >= 0.70, "HMM accuracy on the simulator dropped"

# %% [markdown]
# ## Do the stages order real behaviour? A check on the holdout
#
# The simulator knows the true stages; a real log does not. What it does know is what the customers did next. Every customer is staged with the log up to `calibration_end` only (real-time view, the stage the firm would have acted on), and the stages are compared with the purchase days each customer made after it, to `holdout_end`. If the stages mean what they say, customers in stability buy most, then formation, then exploration, then decline (a stage is checked when it has at least 50 customers). The stage is also used as a score for "active in the holdout" and compared, by the area under the ROC curve (AUC), with the BG/NBD model's expected purchases and P(alive) fitted on the same data.

# %%
holdout_check = (
    lifecycle.holdout_validation(
        transactions, calibration_end, holdout_end or observed_to, period=period, **thresholds
    )
    if calibration_end
    else None
)
if holdout_check is not None:
    display(
        tables.format_table(holdout_check.by_stage, {"active_share": "share"}),
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
# ## What the firm takes from this

# %%
Markdown(
    readings.lifecycle_takeaways(
        P, stage_value, first_spend_test, sensitivity, scores, by_rate, currency=currency
    )
)

# %%
# sanity checks: the order rule, the chain, the outputs' consistency
counts = lifecycle.transition_counts(stages)
assert counts.loc["exploration", "stability"] == 0, "exploration must never jump to stability"
assert counts.loc[["exploration", "decline"], "stability"].sum() == 0, (
    "stability only from formation"
)
assert abs(P.sum(axis=1) - 1).max() < 1e-12 and (P.to_numpy() >= 0).all()
assert len(current) == transactions["customer_id"].nunique()
assert abs(mix.sum(axis=1) - 1).max() < 1e-12 and abs(projection.sum(axis=1) - 1).max() < 1e-12
assert stage_value["customers"].sum() == len(current) == len(table)
assert abs(stage_value["total_clv"].sum() - table["clv"].sum()) <= 1e-6 * abs(table["clv"].sum())
if thresholds == {name: t.default for name, t in lifecycle.THRESHOLDS.items()}:
    # the table's stages are the rules' real-time stages at their defaults
    assert (table["stage"].astype(str) == current["stage"].astype(str).reindex(table.index)).all()
assert survival.groupby("group")["survival"].apply(lambda s: s.is_monotonic_decreasing).all()
if not readings.skipped(with_p_alive):
    assert with_p_alive["p_alive"].between(0, 1).all()
    # a customer's first period is exploration whatever its P(alive)
    low_alive = (with_p_alive["p_alive"] < 0.3) & (with_p_alive["age"] > 0)
    assert (with_p_alive.loc[low_alive, "stage"] == "decline").all(), (
        "P(alive) < p_alive_min is decline"
    )
assert scores.loc["macro", "f1"] >= 0.70, "classifier accuracy on the simulator dropped"
assert (
    lifecycle.transition_counts(history_stages).loc[["exploration", "decline"], "stability"].sum()
    == 0
)

# %% [markdown]
# ## Appendix: every signal of the heaviest customer's history
#
# The rules' signals for the customer shown in the first section, month by month (real-time view): the pace in the window and before it, their ratio, the Poisson test p-values of a rise and a fall, the silence and the purchase cycle, the stage and the rule that fired.

# %%
tables.format_table(history, currency=currency, decimals=3)

# %% [markdown]
# ## Appendix: cohort retention
#
# The numbers behind the retention heatmap: each cohort's size and the share of it that bought in each period after the first purchase.

# %%
tables.format_table(
    retention, dict.fromkeys([c for c in retention.columns if c != "customers"], "share")
)
