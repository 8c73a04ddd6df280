"""Readings of the customer table as a whole: its value, the stage chain beside it, its files.

For the segments report (``notebooks/04_segments.ipynb``): how the net CLV
is spread over the customers (:func:`value_reading`), how the lifecycle
report's stage chain values a customer against the customer table
(:func:`stage_value_reading`) and which files were written
(:func:`export_note`). The verdict words come from the numbers by the
documented cut-offs below.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ._format import join_and, money, pct, word_for

__all__ = [
    "TOP_SHARE_WORDS",
    "SAME_VALUE_BAND",
    "NO_DROPOUT_P_ALIVE",
    "value_reading",
    "stage_value_reading",
    "export_note",
]

#: the word for how concentrated value is, from the share held by the top 20% of
#: customers (an even spread gives them 20%): above 60% "highly concentrated",
#: above 35% "concentrated", else "spread fairly evenly"
TOP_SHARE_WORDS: tuple[tuple[float, str], ...] = (
    (0.60, "highly concentrated"),
    (0.35, "concentrated"),
    (float("-inf"), "spread fairly evenly"),
)
#: two values per customer within this ratio of each other (either way) are "about the same"
SAME_VALUE_BAND: float = 1.10
#: a fit sees no dropout when every customer's P(alive) is at least this (a boundary
#: fit that reduced to the NBD gives 1 up to the optimiser's last digits)
NO_DROPOUT_P_ALIVE: float = 0.99


def value_reading(
    summary: pd.DataFrame,
    *,
    horizon_years: float | None = None,
    currency: str = "$",
    mean_median_ratio: float = 1.5,
) -> str:
    """Total, mean and median value and the top customers' share, from one row of a method summary.

    ``summary``: :func:`analysis.tables.method_summary` of the value column
    (``customers``, ``total``, ``mean``, ``median``, ``top_10%``,
    ``top_20%``); its first row is read. Mean and median are "close" within
    :data:`SAME_VALUE_BAND` of each other; a mean at least ``mean_median_ratio``
    times a positive median is "pulled up" by a minority of valuable customers.
    The concentration word comes from :data:`TOP_SHARE_WORDS`.
    """
    row = summary.iloc[0]
    n, total, mean, median = int(row["customers"]), row["total"], row["mean"], row["median"]
    over = f" over the next {horizon_years:g} years" if horizon_years else ""
    text = (
        f"**Reading.** The {n:,} customers are worth {money(total, currency)} of net CLV{over}, "
        f"{money(mean, currency)} per customer on average; the median customer is worth "
        f"{money(median, currency)}"
    )
    ratio = mean / median if median > 0 else float("nan")
    if ratio >= SAME_VALUE_BAND:
        times = f"{ratio:.1f}" if ratio < 100 else f"{ratio:,.0f}"
        text += f", and the mean is {times} times the median" + (
            ", pulled up by a minority of valuable customers."
            if ratio >= mean_median_ratio
            else "."
        )
    elif ratio <= 1 / SAME_VALUE_BAND:
        text += ", above the mean: a tail of low values pulls the mean down."
    elif median > 0:
        text += ", close to the mean."
    else:
        text += "."
    top10, top20 = row["top_10%"], row["top_20%"]
    word = word_for(top20, TOP_SHARE_WORDS)
    return (
        text + f" The top 10% of customers hold {pct(top10)} of the value and the top 20% hold "
        f"{pct(top20)}: value is {word}."
    )


def stage_value_reading(
    comparison: pd.DataFrame, table: pd.DataFrame | None = None, *, currency: str = "$"
) -> str:
    """The stage chain's value per customer against the customer table's, stage by stage.

    ``comparison``: :func:`analysis.tables.stage_value_comparison`. A stage
    is "about the same" when the two are within :data:`SAME_VALUE_BAND` of
    each other; the reasons given follow the direction found. ``table``, the
    customer table, tells whether the count model saw any dropout (P(alive)
    below 1 for someone): without dropout, recency does not lower a value.
    """
    stages = comparison.drop(index="all", errors="ignore")
    stages = stages[stages["customers"] > 0]
    higher, lower, parts = [], [], []
    for stage, row in stages.iterrows():
        ratio = row["ratio"]
        if ratio >= SAME_VALUE_BAND:
            verdict = f"{ratio:.2f} times the chain's"
            higher.append(stage)
        elif ratio <= 1 / SAME_VALUE_BAND:
            verdict = f"{ratio:.2f} times the chain's"
            lower.append(stage)
        else:
            verdict = "about the same"
        parts.append(
            f"{stage}: chain {money(row['chain_clv'], currency)}, table "
            f"{money(row['table_clv'], currency)} ({verdict})"
        )
    text = "**Reading.** Per customer, " + "; ".join(parts) + "."
    if "all" in comparison.index:
        a = comparison.loc["all"]
        ratio = a["table_total"] / a["chain_total"]
        word = (
            "more than"
            if ratio >= SAME_VALUE_BAND
            else "less than"
            if ratio <= 1 / SAME_VALUE_BAND
            else "about as much as"
        )
        text += (
            f" Over all {int(a['customers']):,} customers the customer table adds up to "
            f"{money(a['table_total'], currency)}, {word} the chain's "
            f"{money(a['chain_total'], currency)} ({ratio:.2f} times)."
        )
    if higher:
        text += (
            f" Where the table is higher ({join_and(higher)}), the model projects each customer's "
            "own purchase rate, while the chain pays the stage's mean profit per customer-period "
            "(its quiet periods included) and moves customers on to decline at the log's average "
            "rate."
        )
    if lower:
        dropout = table is None or bool((table["p_alive"] < NO_DROPOUT_P_ALIVE).any())
        own = (
            "recency and frequency, and gives a long-silent customer little"
            if dropout
            else "frequency (the fit sees no dropout: P(alive) is at least "
            f"{NO_DROPOUT_P_ALIVE:g} for everyone, so recency does not lower a value)"
        )
        text += (
            f" Where the table is lower ({join_and(lower)}), the chain gives every customer the "
            "stage's average future, returns from decline seen anywhere in the log included, "
            f"while the model conditions on each customer's own {own}."
        )
    return text + " Advice in this report quotes the customer table's value."


def export_note(paths: Sequence) -> str:
    """Which files the customer table was written to (names only), or why none was written."""
    if not paths:
        return (
            "No files written: `export_dir` is empty. The report runner sets it to the report "
            "folder, where `customers.csv` and `customers.parquet` then appear."
        )
    names = join_and(f"`{getattr(p, 'name', str(p))}`" for p in paths)
    return f"The customer table is written beside this report: {names}."
