# %% [markdown]
# # 4. Who is worth what: the customer table and its segments
#
# The customer table read through the segmentations of `docs/domain.md` (section Segmentation): whom to invest in, develop, or serve at standard cost. Value is **margin x revenue** at an assumed `margin`, net of `cost_per_purchase` (none by default): use the firm's own.

# %% tags=["parameters"]
# The parameters are declared once, in analysis.report.schema (`python -m analysis.report --help`
# lists them). papermill writes the run's values after this cell; in JupyterLab, set one here
# (e.g. margin = 0.25) and the next cell fills in the others.

# %%
from analysis import report

_ = report.receive(globals(), "04_segments")  # the values set above, else the defaults; checked

# %%
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display, update_display

from analysis import (
    attributes,
    customers,
    customers_io,
    data,
    dates,
    plots,
    readings,
    report,
    segments,
    strategy,
    tables,
)
from analysis.readings import findings

report.use_short_warnings()  # warnings read "DataQualityWarning: ...", without a source path
sns.set_theme(style="whitegrid", context="notebook")
plots.use_style()  # 150 dpi, colour-blind-safe colours, each figure's title as its alt text
pd.set_option("display.float_format", "{:,.3f}".format)  # separators, no scientific notation
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
# empty: the last purchase date (analysis.dates.FRAME_RULE); a given date is checked
observation_end = dates.time_frame(transactions, observation_end=observation_end).observation_end

# %%
# how the log is valued: its amounts, a fixed value per purchase, or purchases (no margin then)
basis = data.value_basis(transactions, margin, currency)
margin, currency = basis.margin, basis.currency
Markdown(readings.run_intro(dataset, transactions) + " " + basis.note)

# %% tags=["nbval-ignore-output"]
# the findings, written at the end of the report from its tables (nbval: the stored output is the filled one)
findings_shown = display(Markdown(findings.PLACEHOLDER), display_id=findings.DISPLAY_ID)

# %% [markdown]
# ## 1. The customer table
#
# One row per customer (columns: `docs/domain.md`), valued with the study's one model (report 3), with the strategy report's decisions.

# %%
table, info = customers.value_customers(
    transactions,
    observation_end=observation_end or None,
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
# the customers' attributes as the file gives them (section 9), when customer_attributes names it
customer_file = (
    attributes.load_attributes(
        customer_attributes,
        table.index,
        customer_id=customer_id_column,
        columns=attribute_columns or None,
    )
    if customer_attributes
    else None
)
attribute_labels = (
    None
    if customer_file is None
    else customer_file.labels.rename(columns=lambda c: f"{c} (attribute)" if c in table else c)
)
table = table if customer_file is None else table.join(attribute_labels)
crm_table = strategy.with_decision_columns(
    table,
    playbook=playbook,
    warning_top_tiers=warning_top_tiers,
    p_alive_below=p_alive_below,
    cycle_factor=cycle_factor,
)
written = customers_io.export(crm_table, export_dir, info=info) if export_dir else []
display(readings.valuation_line(table, info=info, currency=currency))
Markdown(readings.export_note(written))

# %% [markdown]
# ## 2. CLV tiers
#
# An ABC cut of `clv_net` by cumulative value share (`segments.CLV_TIER_SHARES`); a negative net CLV is its own tier. The intervals cover parameter error only.

# %%
tiers = segments.clv_tiers(table)
tier_summary = segments.segment_summary(table, tiers)
tier_totals = customers.value_intervals(table, tiers, info=info)
# a tier without customers is not shown: the reading names it
tier_summary.join(tier_totals[["clv_total_low", "clv_total_high"]]).query("customers > 0").pipe(
    tables.format_table,
    dict.fromkeys(["clv_total_low", "clv_total_high"], "money"),
    currency=currency,
    na_rep="—",
)

# %%
Markdown(readings.tier_reading(tier_summary, currency=currency))

# %% [markdown]
# ## 3. The value matrix (Chen & Li)
#
# Current value (last year's margin) against potential value, each split at its median: *retain* (high on both), *develop* (high potential only), *maintain* (high current only), *reduce*.

# %%
matrix_summary = segments.segment_summary(table, segments.value_matrix(table))
tables.format_table(matrix_summary, currency=currency, na_rep="—")

# %%
ax = plots.plot_value_matrix(table, currency=currency)

# %%
Markdown(readings.value_matrix_reading(matrix_summary, table, currency=currency))

# %% [markdown]
# ## 4. Loyalty and profitability (Reinartz & Kumar)
#
# Loyal: P(alive) above one half and regular gaps (coefficient of variation at most 1); profitable: net CLV above the median (`segments.LOYALTY_CUTS`).

# %%
loyalty_summary = segments.segment_summary(table, segments.loyalty_profitability(table))
tables.format_table(loyalty_summary.query("customers > 0"), currency=currency, na_rep="—")

# %%
ax = plots.plot_loyalty_profitability(loyalty_summary)

# %%
Markdown(readings.loyalty_reading(loyalty_summary, table))

# %% [markdown]
# ## 5. Cost matrix, prospects and ranking
#
# The cost matrix needs costs, the prospect tiers customers in exploration; the ranking (Dai & Liu) scores current value, potential value and P(alive), each by rank.

# %%
cost_summary = segments.segment_summary(table, "cost_matrix") if info.has_costs else None
prospect_summary = segments.segment_summary(table, segments.prospect_tiers(table))
display(Markdown(readings.cost_matrix_reading(table, cost_summary)))
if prospect_summary["customers"].sum():
    display(tables.format_table(prospect_summary, currency=currency, na_rep="—"))
Markdown(
    readings.prospect_reading(
        prospect_summary, table, currency=currency, observation_end=info.observation_end
    )
)

# %%
ranked = segments.ranking(table)
# without costs potential value is the net CLV: one column then
criteria = ["current_value", "potential_value", "p_alive", "clv_net"]
if table["potential_value"].equals(table["clv_net"]):
    criteria.remove("clv_net")
ranked.head(top_customers)[["score", "rank"]].join(table[criteria]).pipe(
    tables.format_table, {"p_alive": "share"}, currency=currency, decimals=3
)

# %%
Markdown(readings.ranking_reading(ranked, table, top=top_customers))

# %% [markdown]
# ## 6. Relationship level (Kotler)
#
# From *basic* to *partnership*, by a CLV tier's size and mean net CLV against the base's (`segments.SIZE_CUTS`, `segments.MARGIN_CUTS`).

# %%
levels = segments.relationship_level(tier_summary)
tables.format_table(
    levels.loc[
        levels["customers"] > 0,
        ["customers", "share_customers", "mean_clv", "size", "margin_level", "relationship_level"],
    ],
    currency=currency,
    na_rep="—",
)

# %%
Markdown(readings.relationship_reading(levels, currency=currency))

# %% [markdown]
# ## 7. RFM segments: the familiar baseline
#
# Quintile scores named from *champions* to *lost*: RFM reads only the past, the segments above the forecast. Non-empty segments:

# %%
rfm_summary = segments.segment_summary(table, segments.rfm_segments(table)["segment"])
rfm_summary[rfm_summary["customers"] > 0].pipe(tables.format_table, currency=currency)

# %%
Markdown(readings.rfm_reading(rfm_summary))

# %% [markdown]
# ## 8. Lifecycle stage x CLV tier
#
# Each customer's stage in the last period crossed with its tier.

# %%
stage_tier_summary = segments.segment_summary(table, ["stage", tiers])
ax = plots.plot_stage_tiers(stage_tier_summary)

# %%
Markdown(readings.stage_tier_reading(stage_tier_summary))

# %% tags=["optional-section"]
# section 9, shown only when customer_attributes is given: value and stage mix per attribute level
if customer_file is not None:
    attribute_summary = segments.attribute_mix(table, list(attribute_labels.columns))
    display(
        Markdown(
            "## 9. Value and stage by attribute\n\nPer level of each customer attribute: "
            "its customers, their share of the net CLV, and the share of its customers in "
            "each lifecycle stage."
        )
    )
    display(
        tables.format_table(
            attribute_summary,
            {c: "share" for c in attribute_summary.columns if c not in ("customers", "mean_clv")},
            currency=currency,
        )
    )
    attribute_differences = segments.attribute_tests(table, list(attribute_labels.columns))
    display(
        Markdown(
            readings.attribute_reading(attribute_summary, attribute_differences, currency=currency)
        )
    )

# %%
# the findings at the top of the report, from the tables above
update_display(
    Markdown(
        findings.findings_markdown(
            findings.segments_findings(
                tier_summary, matrix_summary, stage_tier_summary, levels, currency=currency
            )
            + (
                []
                if customer_file is None
                else [
                    readings.attribute_finding(
                        attribute_summary, attribute_differences, currency=currency
                    )
                ]
            ),
            title="Findings",
        )
    ),
    display_id=findings.DISPLAY_ID,
)

# %%
# sanity checks: one row per customer, every segmentation covers the base, the two valuations agree on it
value_summary = tables.method_summary(table[["clv_net"]])
assert table.index.is_unique and len(table) == transactions["customer_id"].nunique()
assert tier_summary["customers"].sum() == len(table)
assert matrix_summary["customers"].sum() == len(table) and loyalty_summary[
    "customers"
].sum() == len(table)
assert rfm_summary["customers"].sum() == len(table)
assert prospect_summary["customers"].sum() == (table["stage"] == "exploration").sum()
assert list(ranked["rank"]) == list(range(1, len(table) + 1))
assert stage_tier_summary["customers"].sum() == len(table)
assert abs(value_summary.loc["clv_net", "total"] - tier_summary["total_clv"].sum()) < 1e-6 * max(
    1.0, abs(table["clv_net"].sum())
)
assert info.has_costs or cost_summary is None
