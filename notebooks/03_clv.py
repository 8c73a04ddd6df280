# %% [markdown]
# # 3. Customer lifetime value: what is each customer worth, and which method to trust?
#
# CLV: the discounted margin a customer brings over the next `horizon_years` (`docs/domain.md`, section CLV). One count model values every customer, checked on a holdout and set beside simpler methods. Value is **margin x revenue** at an assumed `margin` (use the firm's own); no cost to serve.

# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

_ = report.receive(globals(), "03_clv")  # the values set above, else the defaults; checked

# %%
import warnings

import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display, update_display

from analysis import (
    attributes,
    clv,
    customers,
    data,
    dates,
    models,
    plots,
    readings,
    report,
    rfm,
    tables,
)
from analysis.clv import covariate_study
from analysis.models.validation import tracking_table
from analysis.readings import findings

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours, each figure's title as its alt text
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
# section 7, only when the parameters name them: the customers' attributes and a calendar
customer_file = (
    attributes.load_attributes(
        customer_attributes,
        whole.index,
        customer_id=customer_id_column,
        columns=attribute_columns or None,
    )
    if customer_attributes
    else None
)
season_calendar = (
    attributes.load_calendar(
        calendar_covariates,
        time_unit=time_unit,
        start=transactions["date"].min(),
        end=observation_end,
    )
    if calendar_covariates
    else None
)
# the study's one valuation: the customer table every report reads (its model chosen by clv_model)
table, info = customers.value_customers(
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
clv_name = info.model

# %%
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
Markdown(readings.run_intro(dataset, transactions) + " " + basis.note)

# %% tags=["nbval-ignore-output"]
# the findings, written at the end of the report from its tables (nbval: the stored output is the filled one)
findings_shown = display(Markdown(findings.PLACEHOLDER), display_id=findings.DISPLAY_ID)

# %% [markdown]
# ## 1. Three models of repeat buying
#
# A customer buys at her own rate until she leaves unobserved: **BG/NBD** (Fader, Hardie & Lee 2005), **Pareto/NBD** (Schmittlein et al. 1987), **MBG/NBD** (Batislam et al. 2007); `docs/domain.md` says how they differ.

# %%
Markdown(readings.cut_line(calibration, "Sections 1 to 4", calibration_end, observation_end))

# %%
count_models = {
    "BG/NBD": models.BetaGeo,
    "Pareto/NBD": models.ParetoNBD,
    "MBG/NBD": models.ModifiedBetaGeo,
}
# each model on its own: one that cannot be fitted on this log is named with its reason; a
# boundary fit's warning is not printed here, the fit reading below states it once, in bold
with warnings.catch_warnings():
    warnings.simplefilter("ignore", models.BoundaryFitWarning)
    fitted, not_fitted = clv.fit_models(count_models, calibration)
# every model sees every customer (the line above counts them)
tables.format_table(tables.fit_table(fitted).drop(columns="customers", errors="ignore"), decimals=1)

# %%
period_counts = models.period_transactions(fitted, calibration, max_frequency)
period_stats = models.period_chi_square(period_counts, {k: m.n_params for k, m in fitted.items()})
ax = plots.plot_period_transactions(period_counts)

# %%
Markdown(
    "\n\n".join(
        filter(
            None,
            [
                clv.not_fitted_note(not_fitted, fitted),
                readings.fit_reading(fitted, time_unit=time_unit),
                readings.period_check_reading(period_counts, period_stats),
            ],
        )
    )
)

# %% [markdown]
# ## 2. Do the models predict the holdout?

# %%
holdout = models.holdout_comparison(fitted, calibration, max_frequency=max_frequency)
ax = plots.plot_holdout_by_frequency(holdout)

# %%
holdout_errors = models.holdout_error_table(fitted, calibration)
tables.format_table(
    holdout_errors.drop(columns="customers", errors="ignore"),
    {
        "total_actual": "count",
        "total_predicted": "count",
        "total_relative_error": "share",
        "correlation": "ratio",
    },
    decimals=3,
)

# %%
tracking = tracking_table(
    fitted, transactions, calibration_end, observation_end, time_unit=time_unit
)
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
ax = plots.plot_tracking(tracking) if band is None else plots.plot_tracking_band(tracking, band)

# %%
Markdown(
    readings.holdout_reading(holdout, holdout_errors, tracking if band is None else None)
    + "\n\n"
    + (
        readings.tracking_band_reading(tracking, band)
        if band is not None
        else f"{clv_name} could not be fitted on the calibration period: no band to show."
    )
)

# %% [markdown]
# ## 3. Spend per purchase: the Gamma-Gamma model
#
# Gamma-Gamma (Fader, Hardie & Lee 2005) shrinks each repeat buyer's mean spend towards the population's; it assumes spend independent of frequency.

# %%
repeat_buyers = rfm.repeat_buyers(calibration)
spend_fit = readings.attempt(
    "the Gamma-Gamma model of spend", clv.fit_spend_model, repeat_buyers, basis.value_per_purchase
)
# without the model: the fixed value of a purchase, or each customer's observed mean spend
spend_model = (
    clv.observed_spend(calibration, basis.value_per_purchase)
    if readings.skipped(spend_fit)
    else spend_fit
)
Markdown(
    readings.spend_fallback_note(basis.value_per_purchase, currency=currency)
    if readings.skipped(spend_fit)
    else readings.spend_reading(spend_fit, repeat_buyers, currency=currency)
)

# %% [markdown]
# ## 4. Customer by customer: the holdout scorecard
#
# Each method's per-customer holdout forecast, scored as in `docs/scorecard.md` (gini, spearman: order; decile_mape, mae, bias: level). Beside the models, three rules: **spend rate** (the annuity formula's forecast), **last period** repeated, **RFM score** (ranking only).

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
# Refitted on the whole log: discounted monthly expected purchases x expected spend x margin. It is the study's one valuation model (`clv_model`; default: smallest holdout error, `analysis.clv.choice`).

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
spend_fits = {} if readings.skipped(spend_now_fit) else {"Gamma-Gamma": spend_now_fit}
# the choice's table is info.model_choice; its note below names every model's holdout error
notes = [
    clv.not_fitted_note(not_fitted_now, fitted_now),
    # a log without amounts: the model's note already says spend is not modelled
    str(spend_now_fit)
    if readings.skipped(spend_now_fit) and basis.value_per_purchase is None
    else "",
]
Markdown(" ".join(filter(None, [info.model_note, *notes])))

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
value_summary = tables.method_summary(value[["clv"]].rename(columns={"clv": clv_name}))
# value_summary is the methods table's row for the model (section 6)
readings.valuation_line(table, info=info, currency=currency)

# %%
ax = plots.plot_clv_distribution(value["clv"].rename(clv_name), currency=currency)

# %% [markdown]
# The most valuable customers:

# %%
p_alive = table["p_alive"]
shown = ["frequency", "recency", "T", "monetary_value", "expected_purchases_horizon"]
# the CLV intervals are the customer table's (report 4 sums them per tier)
shown += [c for c in ("p_alive", "clv") if c in table]
table.nlargest(top_customers, "clv")[shown].pipe(
    tables.format_table,
    {c: "share" for c in shown if c.startswith("p_alive")}
    | {"expected_purchases_horizon": "number", "recency": "number", "T": "number"},
    currency=currency,
)

# %% [markdown]
# Mean P(alive) by repeat purchases and recency: a last purchase early in a long history (left) means she has probably left.

# %%
ax = plots.plot_frequency_recency(
    tables.mean_by_frequency_recency(whole, p_alive, max_frequency),
    label="P(alive)",
    fmt=".2f",
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
)

# %% [markdown]
# ## 6. The simpler methods on the same customers
#
# `docs/domain.md` (Formula and Markov-chain methods): the **formula** annuity (nobody leaves), **retention** (one yearly rate for all), **markov** (Pfeifer & Carraway, by recency state).

# %%
retention = clv.holdout_retention(calibration, time_unit)
states = clv.recency_states(transactions, markov_period, observation_end, max_recency)
P, R = clv.recency_chain(states, margin)
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
tables.format_table(methods.drop(columns="customers"), currency=currency)  # all, each method

# %%
ax = plots.plot_concentration(values, currency=currency)

# %% [markdown]
# Rank correlation of the customers' values between methods:

# %%
rank_correlation = values.corr(method="spearman")
# retention ranks exactly as formula (one rate for all): its row and column are not shown
tables.format_table(
    rank_correlation.drop(index="retention", columns="retention", errors="ignore"), decimals=2
)

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

# %% tags=["optional-section"]
# section 7, shown only when customer_attributes or calendar_covariates is given: the plain
# models of section 1 beside the same models with the attributes, and the Pareto/NBD with the
# calendar's covariates, all on section 4's calibration cut
covariates_given = customer_file is not None or season_calendar is not None
if covariates_given:
    covariate_fits = covariate_study.fit_covariate_models(
        fitted,
        calibration
        if customer_file is None
        else attributes.with_attributes(calibration, customer_file),
        () if customer_file is None else customer_file.columns,
        transactions=transactions,
        calendar=season_calendar,
        calibration_end=calibration_end,
        time_unit=time_unit,
    )
    comparison = covariate_study.covariate_comparison(
        covariate_fits,
        calibration["frequency_holdout"],
        calibration_end=calibration_end,
        observation_end=observation_end,
        time_unit=time_unit,
    )
    display(
        Markdown(
            "\n\n".join(
                [
                    "## 7. Customer attributes and season",
                    readings.cut_line(
                        calibration, "This section", calibration_end, observation_end
                    ),
                    *(
                        [" ".join(customer_file.notes)]
                        if customer_file and customer_file.notes
                        else []
                    ),
                ]
            )
        )
    )
    display(readings.covariate_table(comparison))
    display(
        Markdown(
            readings.covariate_reading(
                comparison, valuation_model=clv_name, not_fitted=covariate_fits.not_fitted
            )
        )
    )

# %% tags=["optional-section"]
# the coefficients of the valuation model's variant with attributes, and of the season
ratio_models = [
    n
    for n in (f"{clv_name} + attributes", "Pareto/NBD + season")
    if covariates_given and n in covariate_fits.models
]
binary_covariates = (customer_file.binary if customer_file else ()) + tuple(
    c
    for c in (season_calendar if season_calendar is not None else ())
    if season_calendar[c].isin([0.0, 1.0]).all()
)
calendar_names = () if season_calendar is None else tuple(season_calendar.columns)
shown_ratios = {}
for name in ratio_models:
    ratios = shown_ratios[name] = covariate_study.coefficient_ratios(covariate_fits.models[name])
    display(readings.ratio_table(ratios))
    display(
        Markdown(
            readings.ratio_reading(
                ratios, model=name, binary=binary_covariates, calendar=calendar_names
            )
        )
    )

# %% tags=["optional-section"]
# with a calendar: the holdout's purchases by quarter, actual against the plain and seasonal models
if covariates_given and "Pareto/NBD + season" in covariate_fits.models:
    by_quarter = covariate_study.holdout_by_quarter(
        covariate_fits,
        ["Pareto/NBD", "Pareto/NBD + season"],
        transactions,
        calibration_end=calibration_end,
        observation_end=observation_end,
        time_unit=time_unit,
    )
    ax = by_quarter.plot(
        marker="o",
        xticks=range(len(by_quarter)),  # every quarter labelled
        rot=45,
        title="Holdout purchases by quarter: actual, plain and seasonal Pareto/NBD",
        ylabel="purchases (purchase days)",
        xlabel="quarter (the first and last cut at the holdout's ends)",
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)  # below: off the lines

# %% tags=["optional-section"]
if covariates_given and "Pareto/NBD + season" in covariate_fits.models:
    display(Markdown(readings.quarter_reading(by_quarter)))

# %%
# the findings at the top of the report, from the tables above
update_display(
    Markdown(
        findings.findings_markdown(
            findings.clv_findings(
                value_summary,
                holdout_errors,
                card,
                methods,
                model=clv_name,
                margin=margin,
                horizon_years=horizon_years,
                currency=currency,
            )
            + (
                [
                    readings.covariate_finding(
                        comparison,
                        shown_ratios,
                        valuation_model=clv_name,
                        binary=binary_covariates,
                        calendar=calendar_names,
                    )
                ]
                if covariates_given
                else []
            ),
            title="Findings",
        )
    ),
    display_id=findings.DISPLAY_ID,
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
