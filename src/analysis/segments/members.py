"""One segment of a segmentation: its label checked, its customers, its profile beside the base.

A segment study (``notebooks/segment_study.ipynb``) looks at the customers
holding one label of one segmentation. :func:`check_segment` refuses a label
the segmentation cannot give before any data is read; :func:`members` returns
the segment's rows of the customer table, refusing an empty segment with the
labels that do hold customers; :func:`segment_profile` and :func:`segment_stages`
set the segment beside the whole base, and :func:`membership` labels every
customer "in the segment" or not, for the grouped indicators of
:func:`analysis.strategy.kpis`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..units import STAGES
from .matrices import COST_MATRIX, LOYALTY_PROFITABILITY, VALUE_MATRIX
from .rfm_scores import RFM_SEGMENTS
from .summary import SEGMENTATIONS, segment_labels
from .tiers import CLV_TIERS, PROSPECT_TIERS

__all__ = [
    "SEGMENT_LABELS",
    "PROFILE_COLUMNS",
    "REST",
    "check_segment",
    "segment_counts",
    "members",
    "membership",
    "segment_profile",
    "segment_stages",
]

#: the labels each segmentation of :data:`SEGMENTATIONS` can give, in report order
SEGMENT_LABELS: dict[str, tuple[str, ...]] = {
    "clv_tiers": CLV_TIERS,
    "value_matrix": tuple(VALUE_MATRIX.values()),
    "loyalty_profitability": tuple(LOYALTY_PROFITABILITY.values()),
    "cost_matrix": tuple(COST_MATRIX.values()),
    "prospect_tiers": PROSPECT_TIERS,
    "rfm_segments": RFM_SEGMENTS,
}

#: the customer-table columns :func:`segment_profile` summarises
PROFILE_COLUMNS: tuple[str, ...] = (
    "purchases",
    "revenue",
    "days_since_last",
    "purchase_cycle_days",
    "p_alive",
    "expected_purchases_horizon",
    "clv_net",
)

#: the label of the customers outside the segment in :func:`membership`
REST = "rest of the base"


def check_segment(segmentation: str, segment: str) -> None:
    """Refuse a segmentation or a label that cannot exist, naming the ones that can.

    Parameters
    ----------
    segmentation : str
        A name of :data:`SEGMENTATIONS` (``clv_tiers``, ``value_matrix``,
        ``loyalty_profitability``, ``cost_matrix``, ``prospect_tiers``,
        ``rfm_segments``).
    segment : str
        One of its labels (:data:`SEGMENT_LABELS`).

    Raises
    ------
    ValueError
        Naming the segmentations, or the segmentation's labels.
    """
    if segmentation not in SEGMENT_LABELS:
        raise ValueError(f"segmentation {segmentation!r} is not one of {', '.join(SEGMENT_LABELS)}")
    labels = SEGMENT_LABELS[segmentation]
    if segment not in labels:
        raise ValueError(
            f"segment {segment!r} is not a label of {segmentation}; its labels are "
            + ", ".join(repr(label) for label in labels)
        )


def segment_counts(table: pd.DataFrame, segmentation: str) -> pd.Series:
    """Customers per label of a segmentation, every label in report order (empty ones 0).

    Returns
    -------
    Series
        Index the labels, values the number of customers (int), named
        ``customers``; ``attrs["unlabelled"]`` counts the customers without a
        label (e.g. outside exploration for ``prospect_tiers``).
    """
    if segmentation not in SEGMENTATIONS:
        check_segment(segmentation, "")  # raises, naming the segmentations
    labels = segment_labels(table, segmentation)
    counts = labels.value_counts(sort=False).reindex(labels.cat.categories, fill_value=0)
    counts = counts.astype(int).rename("customers")
    counts.index = pd.Index([str(c) for c in counts.index], name=segmentation)
    counts.attrs["unlabelled"] = int(labels.isna().sum())
    return counts


def members(table: pd.DataFrame, segmentation: str, segment: str) -> pd.DataFrame:
    """The rows of the customer table in one segment.

    The label is checked first (:func:`check_segment`), then the segmentation
    is computed on the whole table (its cuts are relative to the base) and
    the segment's customers are kept.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`).
    segmentation, segment : str
        The segmentation's name and the label studied.

    Returns
    -------
    DataFrame
        The segment's rows, in the table's order; ``attrs``: ``segmentation``
        and ``segment``.

    Raises
    ------
    ValueError
        When the label cannot exist, or no customer of the table holds it
        (the message lists the labels with their customers).
    """
    check_segment(segmentation, segment)
    labels = segment_labels(table, segmentation)
    inside = (labels == segment).to_numpy()
    if not inside.any():
        counts = segment_counts(table, segmentation)
        held = [f"{label!r} ({n:,})" for label, n in counts.items() if n > 0]
        raise ValueError(
            f"segment {segment!r} of {segmentation} has no customer in this table; "
            f"the labels holding customers are {', '.join(held) or 'none'}"
        )
    rows = table.loc[inside].copy()
    rows.attrs = {"segmentation": segmentation, "segment": segment}
    return rows


def membership(table: pd.DataFrame, rows: pd.DataFrame, segment: str) -> pd.Series:
    """Every customer labelled ``segment`` (in ``rows``) or :data:`REST`, as a Categorical.

    Passed as ``by`` to :func:`analysis.strategy.kpis`, it sets the segment's
    indicators beside those of the rest of the base.
    """
    inside = table.index.isin(rows.index)
    return pd.Series(
        pd.Categorical([segment if i else REST for i in inside], categories=[segment, REST]),
        index=table.index,
        name="segment",
    )


def segment_profile(
    table: pd.DataFrame, rows: pd.DataFrame, columns: Sequence[str] = PROFILE_COLUMNS
) -> pd.DataFrame:
    """Mean and median of the segment's customers beside the whole base's, per column.

    Parameters
    ----------
    table : DataFrame
        The customer table (the base).
    rows : DataFrame
        The segment's rows (:func:`members`).
    columns : sequence of str
        Numeric columns; those the table lacks are skipped.

    Returns
    -------
    DataFrame
        Index the columns, columns ``segment_mean``, ``segment_median``,
        ``base_mean``, ``base_median`` and ``ratio`` (segment mean over base
        mean; NaN when the base mean is 0).
    """
    kept = [c for c in columns if c in table.columns]
    seg = rows[kept].astype(float)
    base = table[kept].astype(float)
    out = pd.DataFrame(
        {
            "segment_mean": seg.mean(),
            "segment_median": seg.median(),
            "base_mean": base.mean(),
            "base_median": base.median(),
        }
    )
    out["ratio"] = out["segment_mean"] / out["base_mean"].where(out["base_mean"] != 0)
    out.index.name = "column"
    return out


def segment_stages(table: pd.DataFrame, rows: pd.DataFrame, value: str = "clv_net") -> pd.DataFrame:
    """The lifecycle stages of the segment's customers beside the base's.

    Returns
    -------
    DataFrame
        Index the stages in lifecycle order; ``customers`` (of the segment),
        ``share`` (of the segment's customers), ``base_share`` (of all
        customers), ``value`` (the segment's summed ``value`` in the stage)
        and ``share_value`` (of the segment's total; NaN when it is 0).
    """
    stages = list(STAGES)
    seg = rows["stage"].astype(str).value_counts().reindex(stages, fill_value=0)
    base = table["stage"].astype(str).value_counts().reindex(stages, fill_value=0)
    value_by = rows[value].astype(float).groupby(rows["stage"].astype(str)).sum()
    value_by = value_by.reindex(stages, fill_value=0.0)
    total = float(value_by.sum())
    out = pd.DataFrame(
        {
            "customers": seg.astype(int),
            "share": seg / max(int(seg.sum()), 1),
            "base_share": base / max(int(base.sum()), 1),
            "value": value_by,
            "share_value": value_by / total if total != 0 else float("nan"),
        }
    )
    out.index.name = "stage"
    return out
