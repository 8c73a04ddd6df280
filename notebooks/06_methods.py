# %% [markdown]
# # 6. The methods: how accurately the lifecycle stages are read
#
# Report 2 gives every customer a lifecycle stage in two views: *real time* (the transparent rules, each month read with only what was known at its end) and *hindsight* (the package's lifecycle model, each month read with the whole history). This report measures both on simulated customers whose true stages are known, by purchase rate and by simulator setting, checks the default thresholds of the rules, and sets a model from the literature, the hidden Markov model of Netzer, Lattin and Srinivasan (2008), beside them. It never reads your log: it depends only on the package's code and the settings below, so `make report` executes it once per code version and settings and copies the stored result after that (`analysis.report.cache`). The score throughout is macro-F1: the mean over the four stages of F1.

# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

_ = report.receive(globals(), "06_methods")  # the values set above, else the defaults; checked

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown

from analysis import lifecycle, plots, readings, simulate, tables

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours, alt text from each figure's title
pd.set_option("display.precision", 3)

# %%
# both views by purchase rate and by simulator setting, on the fresh evaluation seeds
views_by_rate = lifecycle.accuracy_by_rate(n_customers=sim_customers, n_periods=sim_periods)
views_by_setting = lifecycle.accuracy_by_setting(n_customers=sim_customers, n_periods=sim_periods)

# %%
# one simulated log, read three ways: the rules (real time), the lifecycle model and the HMM
evaluation = simulate.simulate_lifecycle(sim_customers, sim_periods, seed=evaluation_seed)
assigned = lifecycle.assign_stages(evaluation.transactions)
confusion = lifecycle.stage_confusion(evaluation.stages, assigned)
scores = lifecycle.stage_scores(confusion)
hindsight = lifecycle.assign_stages(evaluation.transactions, view="hindsight")
hmm_counts, hmm_exposure = lifecycle.purchase_counts(evaluation.transactions)
hmm_fit = lifecycle.fit_stage_hmm(
    hmm_counts,
    exposure=hmm_exposure,
    n_states=hmm_states,
    n_starts=hmm_starts,
    seed=hmm_seed,
    tol=1e-7,
)  # fitted once: its states and its stages below come from this fit
hmm_assigned = lifecycle.hmm_stages(evaluation.transactions, model=hmm_fit)
f1 = pd.DataFrame(
    {
        "rules": scores["f1"],
        "hindsight model": lifecycle.stage_scores(
            lifecycle.stage_confusion(evaluation.stages, hindsight)
        )["f1"],
        "hmm": lifecycle.stage_scores(lifecycle.stage_confusion(evaluation.stages, hmm_assigned))[
            "f1"
        ],
    }
)

# %%
# the rules' thresholds moved one at a time on a seed they were tuned on
tuning = simulate.simulate_lifecycle(sim_customers, sim_periods, seed=tuning_seed)
tuning_table = lifecycle.threshold_sensitivity(
    tuning.transactions, change=sensitivity_change, truth=tuning.stages
)[["threshold", "change", "value", "macro_f1"]]

# %% [markdown]
# ## What the checks say

# %%
opening = readings.methods_findings(views_by_rate, views_by_setting, f1, tuning_table)
Markdown(readings.findings.findings_markdown(opening))

# %% [markdown]
# ## How a stage is decided
#
# The rules read each customer's own history, period by period, and never compare a customer with population quantiles. Its *pace* is the number of repeat purchases per period (purchases on one day count once). The pace of the last one, two or three months is compared with the pace just before by one-sided Poisson rate tests, so a frequent buyer's change shows within a month while a sparse buyer needs the whole window.
#
# - The first period is **exploration**.
# - **Decline** can follow any stage: the customer is *silent* for longer than `gap_factor` of its own purchase cycles (before it has a cycle of its own, longer than `trial_months`), or its pace *falls* below `decline_ratio` of its previous pace with significance `alpha_fall`.
# - Exploration becomes **formation** when the customer has `formation_repeats` repeat purchases and its pace *rises* (at least `growth_ratio` times the periods just before, significance `alpha_rise`), or when it has `past_trial_repeats` repeat purchases and is still buying when older than `exploration_months`.
# - Formation becomes **stability** after `formation_months` in formation in all, once the last month's pace is no significant rise over the month before: a plateau.
# - A customer in decline who buys again at a rising pace returns to **formation**, never straight to stability.
#
# Stability is reached only through exploration and formation, and decline can follow any stage. Every threshold, its default and the reason for it (the checks below use the defaults):

# %%
tables.format_table(lifecycle.thresholds_table())

# %% [markdown]
# ## Accuracy by purchase rate and by setting
#
# `simulate.simulate_lifecycle` draws customers whose purchase rate and spend follow the four stages: a trial at a quarter of the customer's peak rate (some trials fail and go straight to decline), growth of the rate by about 25% a month in formation, a plateau of random length, and decline from any stage. Each row pools the evaluation seeds `lifecycle.EVALUATION_SEEDS`, on which no default was tuned (the rules' thresholds were tuned on seeds 1 to 5, `lifecycle.TUNING_SEEDS`). First by the customers' purchase rate at the peak, in purchases a month: report 2 quotes the row nearest its log's own rate.

# %%
tables.format_table(readings.view_accuracy_table(views_by_rate, "rate"), decimals=2)

# %% [markdown]
# Then by setting of the simulator: its default, a shorter formation, a longer stability, sparser buyers, and the default on the tuning seeds for comparison.

# %%
tables.format_table(
    readings.view_accuracy_table(views_by_setting, "setting").join(
        views_by_setting.groupby("setting", sort=False)[["simulator"]].first()
    ),
    decimals=2,
)

# %%
Markdown(readings.view_accuracy_reading(views_by_rate, views_by_setting))

# %% [markdown]
# ## The rules on one simulated log
#
# The real-time rules on the evaluation seed `evaluation_seed`: the share of each true stage (row) given each stage (column), and precision, recall and F1 per stage.

# %%
ax = plots.plot_stage_confusion(confusion)

# %%
tables.format_table(scores, decimals=2)

# %%
by_seed = pd.concat(
    {
        f"tuning seed {tuning_seed}": lifecycle.simulation_accuracy(
            n_customers=sim_customers, n_periods=sim_periods, seed=tuning_seed
        ),
        f"evaluation seed {evaluation_seed}": lifecycle.simulation_accuracy(
            n_customers=sim_customers, n_periods=sim_periods, seed=evaluation_seed
        ),
    }
)
Markdown(readings.accuracy_reading(scores, by_seed))

# %% [markdown]
# ## The default thresholds
#
# Macro-F1 on the tuning seed `tuning_seed` with each threshold moved down and up by `sensitivity_change` (whole numbers by at least one), the others at their defaults.

# %%
moved = tuning_table.loc[tuning_table["threshold"] != "(defaults)"].pivot_table(
    index="threshold", columns="change", values="macro_f1", sort=False
)
tables.format_table(moved, dict.fromkeys(moved.columns, "number"), decimals=3)

# %%
Markdown(readings.tuning_reading(tuning_table))

# %% [markdown]
# ## A model from the literature: the hidden Markov model of Netzer et al.
#
# Netzer, Lattin and Srinivasan (2008) read a history with a model: every customer is, each month, in one of a few latent *relationship states* ordered by how much the customer buys; its repeat purchases are Poisson at the state's rate (scaled by the share of the month observed), and it moves between states by a Markov chain shared by all customers. `lifecycle.fit_stage_hmm` fits this model by EM (Baum-Welch, `hmm_starts` seeded starts) on the evaluation log, once, and `lifecycle.hmm_stages` reads the four stages off each customer's most likely state path relative to its own path. This is the homogeneous core of their model (no covariates, no customer heterogeneity in the rates), and like the lifecycle model it reads the whole history: a hindsight reading. Its states (mean repeat purchases a month, probability of starting in it, monthly transitions):

# %%
tables.format_table(hmm_fit.parameters(), decimals=3)

# %% [markdown]
# F1 per stage and macro-F1 of the three readings of the evaluation log:

# %%
tables.format_table(f1, decimals=2)

# %%
Markdown(
    readings.hmm_states_reading(hmm_fit.parameters())
    + "\n\n"
    + readings.hmm_accuracy_reading(f1[["rules", "hmm"]])
)

# %%
# sanity checks of the methods
assert scores.loc["macro", "f1"] >= 0.70, "classifier accuracy on the simulator dropped"
assert f1.loc["macro", "hmm"] >= 0.70, "HMM accuracy on the simulator dropped"
assert (hmm_fit.means[1:] > hmm_fit.means[:-1]).all()
assert abs(hmm_fit.transition.sum(axis=1) - 1).max() < 1e-12
assert (pd.Series(hmm_fit.history).diff().dropna() >= -1e-6).all(), "EM lowered the likelihood"
assert lifecycle.transition_counts(assigned).loc[["exploration", "decline"], "stability"].sum() == 0
