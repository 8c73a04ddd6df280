"""Readings of the customer table as a whole: its value and its files.

For the segments report (``notebooks/04_segments.ipynb``): how the net CLV
is spread over the customers (:func:`value_reading`) and which files were
written (:func:`export_note`). The verdict words come from the numbers by the
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


def export_note(paths: Sequence) -> str:
    """Which files the customer table was written to (names only), or why none was written."""
    if not paths:
        return (
            "No files written: `export_dir` is empty. The report runner sets it to the report "
            "folder, where `customers.csv` and `customers.parquet` then appear."
        )
    names = join_and(f"`{getattr(p, 'name', str(p))}`" for p in paths)
    return f"The customer table is written beside this report: {names}."
