# %% [markdown]
# # 6. The methods: how accurately the lifecycle stages are read
#
# Report 2's two views of the stages, *real time* (the rules, each month read with only what was known at its end) and *hindsight* (the lifecycle model, with the whole history), measured on simulated customers whose true stages are known, with the rules' default thresholds and the hidden Markov model of Netzer, Lattin and Srinivasan (2008) beside them. The score is macro-F1 (the mean over the four stages of F1). It never reads your log (its cache: README).

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
# The rules compare each customer's pace (repeat purchases per period) with its own past by one-sided Poisson rate tests, never with population quantiles; stability is reached only through exploration and formation, decline can follow any stage, and a returning customer re-enters formation (every rule: `docs/domain.md`, The stage rules). The thresholds, with their defaults (used below) and reasons:

# %%
tables.format_table(lifecycle.thresholds_table())

# %% [markdown]
# ## Accuracy by purchase rate and by setting
#
# Simulated customers (`docs/domain.md`, The stage rules); rows pool the evaluation seeds `lifecycle.EVALUATION_SEEDS`; the thresholds were tuned on `lifecycle.TUNING_SEEDS`. By peak purchase rate a month (report 2 quotes the row nearest its log's rate):

# %%
tables.format_table(readings.view_accuracy_table(views_by_rate, "rate"), decimals=2)

# %% [markdown]
# By simulator setting (the last row: the default on the tuning seeds):

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
# The real-time rules on the evaluation seed `evaluation_seed`.

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
# Macro-F1 on the tuning seed with each threshold moved by `sensitivity_change` (whole numbers by at least one), the others at their defaults.

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
# Each month a customer is in one of a few latent states ordered by its Poisson purchase rate, moving by a Markov chain shared by all customers: the homogeneous core of Netzer et al.'s model (no covariates or customer heterogeneity), fitted once by EM (`lifecycle.fit_stage_hmm`, `hmm_starts` starts) on the evaluation log; `lifecycle.hmm_stages` reads the stages off each customer's most likely path (a hindsight reading). Its states:

# %%
tables.format_table(hmm_fit.parameters(), decimals=3)

# %% [markdown]
# F1 of the three readings of the evaluation log:

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
