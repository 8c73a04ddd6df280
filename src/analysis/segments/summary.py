"""How customers and value spread over the labels of a segmentation (or a crossing of several).

:func:`segment_summary` gives, per label: the customers, their share of the
segmented customers, their total CLV, its share, and the mean CLV per
customer -- the numbers a strategy table and :func:`relationship_level` read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataValidationError, where_rows
from ._common import numeric
from .matrices import cost_matrix, loyalty_profitability, value_matrix
from .rfm_scores import rfm_segments
from .tiers import clv_tiers, prospect_tiers

__all__ = [
    "SEGMENTATIONS",
    "SUMMARY_COLUMNS",
    "attribute_mix",
    "attribute_tests",
    "segment_labels",
    "segment_summary",
]

#: the segmentations :func:`segment_summary` accepts by name, each called with its defaults
SEGMENTATIONS: dict[str, Callable[[pd.DataFrame], pd.Series | pd.DataFrame]] = {
    "clv_tiers": clv_tiers,
    "value_matrix": value_matrix,
    "loyalty_profitability": loyalty_profitability,
    "cost_matrix": cost_matrix,
    "prospect_tiers": prospect_tiers,
    "rfm_segments": rfm_segments,
}

#: the columns of :func:`segment_summary`
SUMMARY_COLUMNS: tuple[str, ...] = (
    "customers",
    "share_customers",
    "total_clv",
    "share_clv",
    "mean_clv",
)


def segment_labels(table: pd.DataFrame, by: pd.Series | str) -> pd.Series:
    """The labels named by ``by``, aligned with ``table`` and categorical.

    ``by`` is a Series indexed by customer id (customers of the table it lacks
    get no label), the name of a segmentation in :data:`SEGMENTATIONS`
    (computed with its defaults; for ``rfm_segments`` its ``segment``), or a
    column of ``table`` (e.g. ``stage``).
    """
    if isinstance(by, str):
        if by in SEGMENTATIONS:
            labels = SEGMENTATIONS[by](table)
            if isinstance(labels, pd.DataFrame):
                labels = labels["segment"].rename(by)
        elif by in table.columns:
            labels = table[by]
        else:
            raise ValueError(
                f"by={by!r} is neither a segmentation ({sorted(SEGMENTATIONS)}) nor a column "
                f"of the table ({[str(c) for c in table.columns]})"
            )
    elif isinstance(by, pd.Series):
        extra = by.index.difference(table.index)
        if len(extra):
            raise DataValidationError(
                f"by has {len(extra)} customer(s) that are not in the table, "
                f"{where_rows(extra, None, None)}: segment the same table you summarise"
            )
        if not by.index.is_unique:
            raise DataValidationError("by lists a customer more than once: one label per customer")
        labels = by.reindex(table.index)
    else:
        raise TypeError(f"by must be a Series, a segmentation name or a column, got {by!r}")
    if not isinstance(labels.dtype, pd.CategoricalDtype):
        labels = labels.astype(pd.CategoricalDtype(sorted(labels.dropna().unique())))
    return labels


def segment_summary(
    table: pd.DataFrame,
    by: pd.Series | str | Sequence[pd.Series | str],
    *,
    value: str = "clv_net",
) -> pd.DataFrame:
    """Customers and value per label: count, share, total CLV, share of CLV and mean CLV.

    Parameters
    ----------
    table : DataFrame
        The customer table, one row per customer.
    by : Series, str or list of them
        The labels (see :func:`segment_labels`); a list crosses them (e.g.
        ``["stage", "clv_tiers"]``: one row per stage x tier cell).
    value : str
        The value summed, in currency: ``clv_net`` by default.

    Returns
    -------
    DataFrame
        One row per label (every category, in its order, empty ones with 0
        customers) or per combination of labels: ``customers`` (int),
        ``share_customers`` (of the labelled customers), ``total_clv``,
        ``share_clv`` (of the labelled customers' total; NaN when that total
        is 0; with negative values a share can be negative or above 1),
        ``mean_clv`` (per customer; NaN for an empty label).
        ``attrs``: ``value`` (the column summed), ``unlabelled`` (number of
        customers without a label, e.g. those outside exploration for
        ``prospect_tiers``; they are left out of every share).
    """
    keys = list(by) if isinstance(by, list | tuple) else [by]
    if not keys:
        raise ValueError("by must name at least one segmentation")
    values = numeric(table, value, "segment_summary")
    frame = pd.DataFrame(index=table.index)
    names = []
    for i, key in enumerate(keys):
        labels = segment_labels(table, key)
        name = labels.name if labels.name is not None else f"segment_{i}"
        if name in names:
            name = f"{name}_{i}"
        names.append(name)
        frame[name] = labels
    has_label = frame.notna().all(axis=1)
    grouped = values[has_label].groupby(
        [frame.loc[has_label, n] for n in names], observed=False, sort=True
    )
    out = pd.DataFrame({"customers": grouped.size().astype(int), "total_clv": grouped.sum()})
    out["mean_clv"] = out["total_clv"] / out["customers"].where(out["customers"] > 0)
    n_labelled = int(has_label.sum())
    total = float(values[has_label].sum())
    out["share_customers"] = out["customers"] / n_labelled if n_labelled else float("nan")
    out["share_clv"] = out["total_clv"] / total if total != 0 else float("nan")
    out = out[list(SUMMARY_COLUMNS)]
    out.attrs["value"] = value
    out.attrs["unlabelled"] = int((~has_label).sum())
    return out


def attribute_mix(
    table: pd.DataFrame, columns: Sequence[str], *, value: str = "clv_net", stage: str = "stage"
) -> pd.DataFrame:
    """Value and lifecycle-stage mix per level of each attribute column of the customer table.

    Parameters
    ----------
    table : DataFrame
        The customer table with attribute columns (e.g. joined from
        :func:`analysis.attributes.load_attributes`' ``labels``).
    columns : sequence of str
        The attribute columns; each is a segmentation key of :func:`segment_summary`.
    value : str
        The value summed.
    stage : str
        The stage column; its shares are left out when the table lacks it.

    Returns
    -------
    DataFrame
        Index (``attribute``, ``level``); the columns of :func:`segment_summary`
        but ``total_clv``, then each stage's share of the level's customers.
    """
    parts = {}
    for col in columns:
        summary = segment_summary(table, col, value=value).drop(columns="total_clv")
        summary.index = summary.index.astype(str)
        if stage in table.columns:
            labels = segment_labels(table, col).astype(str)
            shares = pd.crosstab(labels, table[stage], normalize="index")
            shares.columns = [str(c) for c in shares.columns]
            summary = summary.join(shares)
        parts[col] = summary
    if not parts:
        raise ValueError("attribute_mix needs at least one attribute column")
    out = pd.concat(parts, names=["attribute", "level"])
    return out


def attribute_tests(
    table: pd.DataFrame, columns: Sequence[str], *, value: str = "clv_net", stage: str = "stage"
) -> pd.DataFrame:
    """Whether the levels of each attribute differ in value and in stage mix beyond chance.

    Value: the Kruskal-Wallis test of equal value distributions across the
    levels (ranks, so a few very valuable customers do not decide it alone).
    Stage mix: the chi-square test of independence of level and stage on
    their counts. Customers without a level are left out.

    Returns
    -------
    DataFrame
        Index ``attribute``; ``levels`` (non-empty levels), ``value_p`` and
        ``stage_p`` (NaN when a test cannot be run: one level, one stage, no
        stage column, or every value equal).
    """
    rows = {}
    values = numeric(table, value, "attribute_tests")
    for col in columns:
        labels = segment_labels(table, col)
        known = labels.notna()
        groups = [g.to_numpy() for _, g in values[known].groupby(labels[known], observed=True)]
        value_p = float("nan")
        if len(groups) > 1 and np.unique(values[known].to_numpy()).size > 1:
            value_p = float(stats.kruskal(*groups).pvalue)
        stage_p = float("nan")
        if stage in table.columns:
            counts = pd.crosstab(labels[known], table.loc[known, stage])
            if counts.shape[0] > 1 and counts.shape[1] > 1:
                stage_p = float(stats.chi2_contingency(counts.to_numpy())[1])
        rows[col] = {"levels": len(groups), "value_p": value_p, "stage_p": stage_p}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["levels", "value_p", "stage_p"])
    out.index.name = "attribute"
    return out
