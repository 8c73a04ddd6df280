# %% [markdown]
# # 3. Customer lifetime value: what is each customer worth, and which method to trust?
#
# The customer-relationship literature this project follows (summarised in `docs/domain.md`, section CLV) defines a customer's lifetime value (CLV) as the cash flow the relationship will bring, discounted at the firm's cost of capital, over a horizon of about three years. This report asks two questions of the same transaction log. **What is each customer worth?** And, since that literature offers several ways to compute it, from a one-line annuity formula to Markov chains and probabilistic "buy till you die" models, **which method should the firm trust?**
#
# The argument runs in six steps: fit three models of repeat buying; test their forecasts on a holdout period they never saw; add a model of spend per purchase; score every model and three simple rules customer by customer on the holdout; value every customer over three years with the study's one model, with an interval; and set the result beside the simpler methods, including a backtest of each method on the holdout.
#
# The models are fitted in the time unit `time_unit` (weeks by default) on the purchases up to `calibration_end` (calibration) and tested on the rest, up to `observation_end` (holdout); the two dates come from the log unless given. Whether the models themselves are implemented right is checked elsewhere: the reproduction page (`00_reproduction`) fits each of them to the data of its paper and sets the estimates beside the published ones.
#
# The study reads no cost from the log. Value here is **margin x revenue** with an assumed gross margin (`margin`, 30% by default, as in the lifecycle report): an assumption to be replaced by the firm's own figure, not a measurement, and no cost to serve is invented. A log without amounts is valued at a fixed revenue per purchase (`value_per_purchase`) or, without one, in purchases (no margin then); the note below the introduction says which. A section whose precondition this log does not meet (a model that cannot be fitted, no spread in spend) says what it could not compute and why, and the report goes on.

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
time_unit: str = "W"  # time unit of the models: "D", "W" or "M"
calibration_end: str = ""  # models are fitted up to it; empty: from the data (mid-span month end)
observation_end: str = ""  # last day observed, end of the holdout; empty: the last purchase date
horizon_years: float = 3.0  # CLV horizon in years (the three-year practice, docs/domain.md)
annual_discount_rate: float = 0.10  # yearly discount rate (the firm's cost of capital)
margin: float = 0.30  # gross margin on revenue: an assumption, CDNOW has no cost data
clv_model: str = "auto"  # the valuation's model: "auto", "BG/NBD", "Pareto/NBD" or "MBG/NBD"
max_frequency: int = 7  # calibration frequencies at or above it form one group in the holdout check
markov_period: str = "M"  # period of the recency Markov chain: "M" (months) or "Q" (quarters)
max_recency: int = 12  # recency states 0, 1, ..., this many periods since a purchase (last open)
top_customers: int = 10  # rows of the top-customers table
currency: str = "$"  # currency symbol written before money (CDNOW: US dollars)

# %%
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from analysis import clv, customers, data, dates, models, plots, readings, report, rfm, tables
from analysis.models.validation import tracking_table

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours
pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)
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
# the dates left empty are taken from the log (analysis.dates.FRAME_RULE); given ones are checked
study_frame = dates.time_frame(
    transactions, observation_end=observation_end, calibration_end=calibration_end
)
observation_end, calibration_end = study_frame.observation_end, study_frame.calibration_end
calibration = rfm.summarize(
    transactions, time_unit, observation_end=observation_end, calibration_end=calibration_end
)
whole = rfm.summarize(transactions, time_unit, observation_end=observation_end)
# the study's one valuation: the customer table every report reads (its model chosen by clv_model)
table = customers.customer_table(
    transactions,
    observation_end=observation_end,
    time_unit=time_unit,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    model=clv_model,
    calibration_end=calibration_end,
    currency=currency,
)
clv_name = table.attrs["model"]

# %%
Markdown(readings.run_intro(dataset, transactions))

# %%
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
Markdown(basis.note)

# %% [markdown]
# ## The customers in summary
#
# Each customer is summarised the way the models need it: `frequency` (repeat purchases; purchases on one day count once), `recency` (time from the first to the last purchase), `T` (time from the first purchase to the end of the calibration period), `monetary_value` (mean value of the repeat purchases) and, for the test, `frequency_holdout` (purchases in the holdout). Times are in the model's unit (weeks by default).

# %%
tables.summary_table(
    calibration[["frequency", "recency", "T", "monetary_value", "frequency_holdout"]],
    time_unit=time_unit,
    currency=currency,
)

# %% [markdown]
# ## 1. Three models of repeat buying
#
# The probabilistic models share one story: while a customer is "alive" she buys at her own steady Poisson rate, the rates vary across customers as a gamma distribution, and at some unobserved moment she leaves for good. They differ in how she leaves:
#
# - **BG/NBD** (Fader, Hardie & Lee 2005): after each repeat purchase she leaves with her own probability p (beta-distributed across customers). A customer who never bought again cannot have left.
# - **Pareto/NBD** (Schmittlein, Morrison & Colombo 1987): she leaves at any moment, after an exponential lifetime whose rate varies as a gamma.
# - **MBG/NBD** (Batislam et al. 2007): as BG/NBD, but she can also leave right after the first purchase, so one-time buyers can be gone.
#
# Each model is fitted by maximum likelihood on the calibration period. The table gives the estimates with standard errors (from the observed information); the published values of each model, on the data of its paper, are checked in `00_reproduction`.

# %%
Markdown(readings.cut_line(calibration, "Sections 1 to 4", calibration_end, observation_end))

# %%
count_models = {
    "BG/NBD": models.BetaGeo,
    "Pareto/NBD": models.ParetoNBD,
    "MBG/NBD": models.ModifiedBetaGeo,
}
# each model on its own: one that cannot be fitted on this log is named with its reason
fitted, not_fitted = clv.fit_models(count_models, calibration)
comparison = tables.compare_published(fitted)
tables.format_table(comparison, decimals=3)

# %%
tables.format_table(tables.fit_table(fitted), decimals=1)

# %%
Markdown(
    "\n\n".join(
        filter(
            None,
            [
                clv.not_fitted_note(not_fitted, fitted),
                readings.fit_reading(fitted, time_unit=time_unit),
            ],
        )
    )
)

# %% [markdown]
# A first check of each fit on the data it was fitted to: how many customers made 0, 1, 2, ... repeat purchases in the calibration period, against the number each model expects (the sum over customers of the model's probability of that many purchases in her own time observed). The models were fitted to each customer's history, not to these counts, so this is a check, not the fit itself.

# %%
period_counts = models.period_transactions(fitted, calibration, max_frequency)
period_stats = models.period_chi_square(period_counts, {k: m.n_params for k, m in fitted.items()})
ax = plots.plot_period_transactions(period_counts)

# %%
Markdown(readings.period_check_reading(period_counts, period_stats))

# %% [markdown]
# ## 2. Do the models predict the holdout?
#
# A model is useful to the firm if it forecasts what customers do next. Each model, fitted on the calibration period only, predicts every customer's purchases in the holdout from her own history. First grouped by the number of repeat purchases in calibration (the last group collects the heaviest buyers), the comparison of the papers:

# %%
holdout = models.holdout_comparison(fitted, calibration, max_frequency=max_frequency)
ax = plots.plot_holdout_by_frequency(holdout)

# %%
tables.format_table(holdout, decimals=2)

# %%
holdout_errors = models.holdout_error_table(fitted, calibration)
tables.format_table(
    holdout_errors,
    {
        "total_actual": "count",
        "total_predicted": "count",
        "total_relative_error": "share",
        "correlation": "ratio",
    },
    decimals=3,
)

# %% [markdown]
# Then over calendar time: the expected cumulative repeat purchases of the whole cohort, each customer starting at her first purchase day, against the actual count week by week. After the dotted line the curve is a pure forecast from the calibration fit (it uses no holdout data, not even the customers' calibration histories).

# %%
tracking = tracking_table(
    fitted, transactions, calibration_end, observation_end, time_unit=time_unit
)
ax = plots.plot_tracking(tracking)

# %%
ax = plots.plot_tracking(tracking, cumulative=False)

# %% [markdown]
# How sure is the forecast? The valuation's model (section 5) again, with the 90% range of its curve: the darker band is the uncertainty of its fitted parameters (curves drawn from their estimated sampling distribution), the lighter one adds the chance variation of the cohort's purchases. An actual count outside the lighter band is more than chance and parameter error can explain.

# %%
band = (
    models.tracking_band(
        fitted[clv_name],
        transactions,
        calibration_end,
        observation_end,
        time_unit=time_unit,
        name=clv_name,
    )
    if clv_name in fitted
    else None
)
ax = None if band is None else plots.plot_tracking_band(tracking, band)

# %%
Markdown(
    readings.tracking_band_reading(tracking, band)
    if band is not None
    else f"{clv_name} could not be fitted on the calibration period: no band to show."
)

# %%
tables.format_table(
    tracking.iloc[[int(tracking["calibration"].sum()) - 1, -1]].set_index("date"), decimals=1
)

# %%
Markdown(readings.holdout_reading(holdout, holdout_errors, tracking))

# %% [markdown]
# ## 3. Spend per purchase: the Gamma-Gamma model
#
# CLV needs the value of the future purchases as well as their number. The Gamma-Gamma model (Fader, Hardie & Lee 2005; Fader & Hardie 2013) lets each customer's purchase values vary around her own mean, and those means vary across customers; a customer's expected spend is a weighted average of her observed mean and the population mean, the weight on her own mean growing with the number of her purchases. It is fitted on the repeat buyers only (customers without a repeat purchase carry no information on spend under the model; a repeat buyer whose purchases were all free, if any, is left out because the model needs positive spend) and assumes that spend is independent of purchase frequency, which we check first. When the log has no amounts, or its spend cannot identify the model (the same mean spend for every repeat buyer, no repeat buyer), the model is not fitted: the section says why, and the valuation uses the fixed value of a purchase, or each customer's own observed mean spend.

# %%
repeat_buyers = rfm.repeat_buyers(calibration)
correlation = readings.attempt(
    "the correlation of frequency and spend",
    clv.spend_correlation,
    repeat_buyers,
    basis.value_per_purchase,
)
(
    correlation
    if readings.skipped(correlation)
    else tables.format_table(correlation, dict.fromkeys(correlation.columns, "ratio"))
)

# %%
spend_fit = readings.attempt(
    "the Gamma-Gamma model of spend", clv.fit_spend_model, repeat_buyers, basis.value_per_purchase
)
# without the model: the fixed value of a purchase, or each customer's observed mean spend
spend_model = (
    clv.observed_spend(calibration, basis.value_per_purchase)
    if readings.skipped(spend_fit)
    else spend_fit
)
(
    spend_fit
    if readings.skipped(spend_fit)
    else tables.format_table(tables.compare_published({"Gamma-Gamma": spend_fit}), decimals=3)
)

# %%
(
    None  # the model was not fitted: the note below says what replaces it
    if readings.skipped(spend_fit)
    else tables.format_values(
        pd.Series(
            {
                "repeat buyers": spend_fit.n_customers,
                "observed mean spend": repeat_buyers["monetary_value"].mean(),
                "model population mean": spend_fit.population_mean_spend,
            }
        ),
        {"observed mean spend": "money", "model population mean": "money"},
        currency=currency,
    )
)

# %%
Markdown(
    readings.spend_fallback_note(basis.value_per_purchase, currency=currency)
    if readings.skipped(spend_fit)
    else readings.spend_reading(spend_fit, repeat_buyers, currency=currency)
)

# %% [markdown]
# ## 4. Customer by customer: the holdout scorecard
#
# The tests above are about groups and totals; a firm acts on individual customers. The scorecard asks every method, from the calibration data only, for each customer's purchases and spend in the holdout, and scores the forecasts against what each customer did (`analysis.clv.scorecard`, defined in `docs/scorecard.md`): **gini** (how well the forecast orders customers by what they actually did, 1 = perfectly, normalised), **spearman** (rank correlation), **decile_mape** (the mean relative miss of the ten deciles' means: is the level right where it matters?), **mae** (mean absolute error per customer), **bias** (total forecast / total actual - 1) and **top_decile_share** (the share of the actual total that the top 10% by forecast delivered). Beside the models stand three rules a firm could use without a model: the **spend rate** (the customer's past spend per day, carried over the holdout), the **last period** (what she did in the last stretch as long as the holdout), and the **RFM score** (a ranking only: its level measures are not defined). Spend is the models' purchases times the spend model's spend per purchase.

# %%
holdout_predictions = clv.holdout_predictions(
    transactions,
    calibration,
    fitted,
    spend_model,
    calibration_end=calibration_end,
    observation_end=observation_end,
)
card = clv.score_predictions(holdout_predictions)
readings.scorecard_table(card, currency=currency)

# %%
axes = plots.plot_scorecard_deciles(clv.prediction_deciles(holdout_predictions), currency=currency)

# %%
Markdown(readings.scorecard_reading(card, currency=currency))

# %% [markdown]
# ## 5. What each customer is worth
#
# For the valuation the models are fitted again on the whole log, up to the end of observation, so that every customer is valued from what the firm knows today; the holdout test above says how far these forecasts can be trusted. The CLV of a customer is the expected number of her purchases in each month of the next `horizon_years`, discounted at `annual_discount_rate` a year, times her expected spend per purchase, times the margin (`analysis.clv.customer_lifetime_value`; no cost to serve is charged: the log records none). The model is the study's one valuation model (`clv_model`): by default the one that forecast each customer's purchases in the holdout best (the smallest mean absolute error, section 4), the fit on the whole log deciding only a tie, the rule of `analysis.clv.choice`; every report values a customer with it, so a customer has one CLV everywhere. The table shows each candidate on both counts. Section 6 values the customers with all three for comparison.

# %%
fitted_now, not_fitted_now = clv.fit_models(count_models, whole)
spend_now_fit = readings.attempt(
    "the Gamma-Gamma model of spend on the whole log",
    clv.fit_spend_model,
    rfm.repeat_buyers(whole),
    basis.value_per_purchase,
)
spend_now = (
    clv.observed_spend(whole, basis.value_per_purchase)
    if readings.skipped(spend_now_fit)
    else spend_now_fit
)
choice = pd.DataFrame(table.attrs["model_choice"]).set_index("model")
display(
    tables.format_table(
        choice[["log_likelihood", "aic", "identified", "holdout_mae", "chosen", "reason"]],
        {"log_likelihood": "number", "aic": "number", "holdout_mae": "ratio"},
        decimals=4,
    )
)
display(Markdown(table.attrs["model_note"]))
spend_fits = {} if readings.skipped(spend_now_fit) else {"Gamma-Gamma": spend_now_fit}
notes = [
    clv.not_fitted_note(not_fitted_now, fitted_now),
    str(spend_now_fit) if readings.skipped(spend_now_fit) else "",
]
display(
    Markdown("\n\n".join(filter(None, notes)) or clv.refit_note(fitted_now, spend_fits, clv_name))
)
tables.format_table(
    tables.compare_published({**fitted_now, **spend_fits})[["estimate", "std_error"]],
    decimals=3,
)

# %%
value = clv.customer_lifetime_value(
    fitted_now[clv_name],
    spend_now,
    whole,
    horizon_years=horizon_years,
    annual_discount_rate=annual_discount_rate,
    margin=margin,
    time_unit=time_unit,
)
display(readings.valuation_line(table, currency=currency))
tables.summary_table(value.drop(columns=["discounted_cost"]), currency=currency)

# %%
ax = plots.plot_clv_distribution(value["clv"].rename(clv_name), currency=currency)

# %% [markdown]
# How concentrated the value is: the curve shows the share of the total three-year value held by the most valuable customers (the reading below gives the top 10% and 20%).

# %%
value_summary = tables.method_summary(value[["clv"]].rename(columns={"clv": clv_name}))
tables.format_table(value_summary, currency=currency)

# %%
ax = plots.plot_concentration(value["clv"].rename(clv_name))

# %% [markdown]
# The most valuable customers, with their history and the model's probability that they are still active:

# %%
p_alive = table["p_alive"]
shown = ["frequency", "recency", "T", "monetary_value", "expected_purchases_horizon"]
shown += [
    c
    for c in ("p_alive_low", "p_alive", "p_alive_high", "clv_low", "clv", "clv_high")
    if c in table
]
table.nlargest(top_customers, "clv")[shown].pipe(
    tables.format_table,
    {c: "share" for c in shown if c.startswith("p_alive")}
    | {"expected_purchases_horizon": "number", "recency": "number", "T": "number"},
    currency=currency,
)

# %% [markdown]
# Where the value sits in the history: the probability of being alive, and the mean CLV, by number of repeat purchases (rows) and recency (columns, the time from the first to the last purchase, in the model's unit). Under a model with dropout, a customer whose last purchase came early in a long history (left) has probably left and one who bought recently (right) is probably alive; the first map shows how far this fit tells them apart.

# %%
ax = plots.plot_frequency_recency(
    tables.mean_by_frequency_recency(whole, p_alive, max_frequency),
    label="P(alive)",
    fmt=".2f",
)

# %%
ax = plots.plot_frequency_recency(
    tables.mean_by_frequency_recency(whole, value["clv"], max_frequency),
    label="mean CLV",
    fmt=".0f",
)

# %% tags=["summary"]
Markdown(
    readings.customer_value_reading(
        value_summary,
        value["clv"],
        whole["frequency"],
        p_alive,
        margin=margin,
        horizon_years=horizon_years,
        top=top_customers,
        currency=currency,
    )
    + " "
    + readings.chosen_model_line(card, clv_name, currency=currency)
)

# %% [markdown]
# ## 6. The simpler methods on the same customers
#
# The same literature proposes simpler ways to value a customer (`docs/domain.md`, sections Formula methods and Markov-chain method). Each is computed here on the same log, at the same date, with the same margin, horizon and discount rate:
#
# - **Formula CLV** (annuity): CLV = (Pr - C) (1 - (1 + r)^-n) / r, with Pr the customer's yearly profit, taken as the margin on her yearly repeat spend so far (repeat spend divided by the time since her first purchase), C = 0, r = `annual_discount_rate`, n = `horizon_years`. It assumes every customer keeps buying at her past pace for the whole horizon.
# - **Retention CLV**: m rho / (1 + d - rho), cut to the horizon (the sum of m rho^t / (1 + d)^t over years t = 1..n), with m the same yearly profit and rho one yearly retention rate for everyone, estimated as the share of the calibration customers who bought again in the holdout, converted to a year.
# - **Markov-chain CLV** (Pfeifer & Carraway): each customer is in a recency state, the number of periods (`markov_period`, months by default) since her last purchase (0 to `max_recency`, the last open); the period-to-period transition matrix is estimated from the log (in the appendix); the reward of state 0 is the margin on the mean spend of a period with a (repeat) purchase. A customer's CLV is the expected discounted reward of the next `horizon_years` from her current state.

# %%
retention = clv.holdout_retention(calibration, time_unit)
tables.format_values(
    retention,
    {"active_in_holdout": "share", "yearly_retention": "share", "holdout_years": "number"},
)

# %%
states = clv.recency_states(transactions, markov_period, observation_end, max_recency)
P, R = clv.recency_chain(states, margin)
tables.format_values(R, dict.fromkeys(R.index, "money"), currency=currency)

# %%
yearly_profit = margin * clv.yearly_spend_rate(whole, time_unit)
values = pd.DataFrame(
    {
        "formula": clv.formula_clv(yearly_profit, 0.0, annual_discount_rate, horizon_years),
        "retention": clv.retention_value(
            yearly_profit, retention["yearly_retention"], annual_discount_rate, horizon_years
        ),
        "markov": clv.markov_customer_clv(
            states, P, R, annual_discount_rate, horizon_years, markov_period
        ),
    }
)
values = values.join(
    pd.DataFrame(
        {
            name: clv.customer_lifetime_value(
                model,
                spend_now,
                whole,
                horizon_years,
                annual_discount_rate,
                margin,
                time_unit=time_unit,
            )["clv"]
            for name, model in fitted_now.items()
        }
    )
)
methods = tables.method_summary(values)
tables.format_table(methods, currency=currency)

# %%
ax = plots.plot_concentration(values)

# %% [markdown]
# Do the methods at least agree on who is valuable? The rank (Spearman) correlation of the customers' values between methods:

# %%
rank_correlation = values.corr(method="spearman")
tables.format_table(rank_correlation, decimals=2)

# %% [markdown]
# Why they differ follows from their assumptions: the formula lets no one leave, the retention form applies one survival rate to every customer (it only rescales the formula), the Markov chain values every customer in the same recency state alike, and the probabilistic models combine each customer's frequency, recency and spend with a dropout learned from the data. What that does to the numbers:

# %%
Markdown(
    readings.methods_reading(
        methods,
        rank_correlation,
        list(fitted_now),
        retention["yearly_retention"],
        currency=currency,
    )
)

# %% [markdown]
# ## 7. Which method to trust: a backtest on the holdout
#
# Every method is set back to the calibration end and asked for the revenue each customer will bring in the holdout (undiscounted, margin 1), using only the calibration data: the models fitted on calibration, the formula with the calibration spend rate, and the recency chain estimated on the calibration months (its last state open at the number of months observed minus two). The retention method cannot take part: its retention rate is measured on the holdout itself. The actual revenue is what each customer spent in the holdout.

# %%
actual = clv.holdout_revenue(calibration)
backtest = clv.backtest_methods(
    transactions,
    calibration,
    fitted,
    spend_model,
    retention["holdout_years"],
    calibration_end,
    time_unit=time_unit,
    markov_period=markov_period,
    max_recency=max_recency,
)
backtest_errors = models.value_errors(backtest, actual)
tables.format_table(
    backtest_errors,
    {
        "total_predicted": "money",
        "total_actual": "money",
        "total_relative_error": "share",
        "mae": "money",
        "spearman": "ratio",
    },
    currency=currency,
)

# %% [markdown]
# The same methods side by side: how concentrated each one says the value is (left, the values of section 6), and the revenue each predicts in total for the holdout against what the customers actually spent (right, the backtest).

# %%
totals = tables.method_totals(backtest, actual)
tables.format_table(totals, currency=currency)

# %%
axes = plots.plot_method_comparison(values, totals, currency=currency)

# %%
Markdown(readings.backtest_reading(backtest_errors, currency=currency))

# %% [markdown]
# The simple formulas keep their use whatever the backtest says: a quick, transparent order of magnitude, and a teaching device for what drives value (margin, retention, discounting).
#
# ## What the firm takes from this

# %%
Markdown(
    readings.clv_takeaways(
        value_summary,
        holdout_errors,
        backtest_errors,
        margin=margin,
        horizon_years=horizon_years,
        models=list(fitted),
        currency=currency,
    )
)

# %%
# sanity checks: the fits, the holdout bookkeeping and the values
# every fit converged, or stopped at a boundary that the fit section reports
assert all(
    m.convergence.success or m.boundary
    for m in [*fitted.values(), *fitted_now.values(), *spend_fits.values()]
)
assert readings.skipped(spend_fit) or spend_model is spend_fit
assert holdout["customers"].sum() == len(calibration)
assert tracking.loc[tracking["calibration"], "actual"].iloc[-1] == calibration["frequency"].sum()
assert (
    tracking["actual"].iloc[-1]
    == calibration["frequency"].sum() + calibration["frequency_holdout"].sum()
)
assert np.isfinite(values.to_numpy()).all()
assert (values.to_numpy() >= 0).all() or (transactions["amount"] < 0).any(), (
    "with zero cost and no returns kept, CLV is >= 0"
)
assert (values["retention"].abs() <= values["formula"].abs() + 1e-9).all(), (
    "retention can only shrink the annuity towards zero"
)
assert np.allclose(P.sum(axis=1), 1.0) and (R >= 0).all()
assert len(values) == len(whole) and values.index.equals(whole.index)
assert np.allclose(value["clv"], values[clv_name])
# one valuation: this report's values are the customer table's, which every report reads
assert np.allclose(value["clv"], table["clv"], rtol=1e-9, atol=1e-9)

# %% [markdown]
# ## Appendix: the recency chain's transition matrix
#
# The share of customers in each recency state (rows: periods since the last purchase) who are in each state (columns) a period later, estimated from the log: a customer either buys (back to state 0) or moves one state on; the last state is open.

# %%
tables.format_table(P, dict.fromkeys(P.columns, "share"))
