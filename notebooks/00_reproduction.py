# %% [markdown]
# # 0. Reproduction: do our models give the published results?
#
# Before any model is used on the firm's own log, it is fitted to the data of the paper that introduced it, and its estimates are set beside the published ones. This page does that for every model of the study, on one table: our estimate, the published value, the difference, and whether it passes.
#
# **Pass** means the check of the project's model tests (`tests/test_<model>.py`): a parameter agrees with the published one to three significant figures (the difference is at most half a unit of the third significant figure), and a log-likelihood, printed to one decimal in the papers, agrees within 0.05 points. The published values and their sources are kept in one place, `analysis.models.published`.
#
# The data are fixed by the papers, so this page takes no data parameters:
#
# - **CDNOW sample** (2,357 customers, in weeks, calibration 1 January to 30 September 1997): BG/NBD and Pareto/NBD (Fader, Hardie & Lee 2005), Gamma-Gamma on its repeat buyers (Fader & Hardie 2013), and MBG/NBD (Batislam et al. 2007), whose paper used other data: no published CDNOW fit exists, so its estimates are listed without a check.
# - **Donations** (11,104 donors, six yearly opportunities): BG/BB (Fader, Hardie & Shang 2010).
# - **Two retention cohorts** (1,000 customers each, years 0-7): the shifted-beta-geometric model (Fader & Hardie 2007).

# %% tags=["parameters"]
# no parameters: the published data and settings are fixed (the report runner skips the others)

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown

from analysis import data, models, plots, readings, report, rfm, tables
from analysis.models.validation import tracking_table

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours
pd.set_option("display.precision", 4)
pd.set_option("display.max_colwidth", None)
calibration_end, observation_end = "1997-09-30", "1998-06-30"  # the papers' CDNOW split, in weeks
transactions = data.load_cdnow(sample=True)
cdnow = rfm.summarize(
    transactions, "W", observation_end=observation_end, calibration_end=calibration_end
)

# %% [markdown]
# ## Our estimates beside the published ones
#
# Every model is fitted here by maximum likelihood to the data of its paper (`analysis.tables.reproduction_fits`), then compared value by value (`analysis.tables.reproduction_table`): `difference` is ours minus the published value, `tolerance` the largest difference that passes.

# %%
fits = tables.reproduction_fits(cdnow)
reproduction = tables.reproduction_table(fits)
tables.format_table(reproduction, decimals=4)

# %% tags=["summary"]
Markdown(readings.reproduction_reading(reproduction))

# %% [markdown]
# The sources of the published values, and the data each was fitted to:

# %%
tables.format_table(
    models.published.published_table().drop_duplicates("fit").set_index("fit")[["data", "source"]]
)

# %% [markdown]
# ## The holdout tracking of Fader, Hardie & Lee (2005)
#
# The BG/NBD paper also shows how the fitted model tracks the cohort's cumulative repeat purchases week by week, through the 39-week calibration and the 39-week holdout that the fit never saw (its Figure of cumulative repeat transactions). The same figure from our fits: after the dotted line the curve is a forecast made from the calibration fit alone.

# %%
counts = {
    key.split(" ")[0]: fits[key] for key in ("BG/NBD CDNOW", "Pareto/NBD CDNOW", "MBG/NBD CDNOW")
}
tracking = tracking_table(counts, transactions, calibration_end, observation_end, time_unit="W")
ax = plots.plot_tracking(tracking)

# %%
tables.format_table(
    tracking.iloc[[int(tracking["calibration"].sum()) - 1, -1]].set_index("date"), decimals=1
)

# %%
Markdown(readings.tracking_reading(tracking))

# %% [markdown]
# The other reports (`01_data` to `05_strategy`) run on the full CDNOW log or on the firm's own log, where no published value applies; this page is where the implementation is checked against the literature.

# %%
# sanity checks: every published value passes, and the tracking adds up
assert (reproduction["check"] != "fail").all(), reproduction[reproduction["check"] == "fail"]
assert reproduction["check"].eq("pass").sum() == len(models.published.published_table())
assert tracking["actual"].iloc[-1] == cdnow["frequency"].sum() + cdnow["frequency_holdout"].sum()
