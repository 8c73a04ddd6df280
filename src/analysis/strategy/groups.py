"""The customer groups the strategy layer reports on: stages, value tiers and their crossings.

A group label is one value per customer of the customer table
(:func:`analysis.customers.customer_table`), aligned on its ``customer_id``
index. :func:`analysis.segments.tiers_for` with ``labels=TIERS`` gives the value
tier of every customer (from :func:`analysis.segments.clv_tiers` unless the
caller passes its own); :func:`group_labels` turns a ``by`` argument (a column name, the word
``"tier"``, a Series, or a list of these) into one labelled Series.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import MAX_SHOWN
from ..segments import tiers_for

__all__ = ["TIERS", "TIER_COLUMN", "group_labels"]

#: the value tiers within a stage, best first (those of :func:`analysis.segments.clv_tiers`)
TIERS: tuple[str, ...] = ("high", "medium", "low", "negative")

#: the name ``by`` understands as "the value tier" when the table has no such column
TIER_COLUMN = "tier"


def _shown(labels) -> str:
    labels = list(labels)
    text = ", ".join(repr(v) for v in labels[:MAX_SHOWN])
    if len(labels) > MAX_SHOWN:
        text += f", ... ({len(labels) - MAX_SHOWN} more)"
    return text


def _align(table: pd.DataFrame, labels: pd.Series, what: str) -> pd.Series:
    """``labels`` reindexed on the table's customers; raise when a customer has none."""
    if not isinstance(labels, pd.Series):
        raise TypeError(
            f"{what} must be a pandas Series indexed by customer_id, got {type(labels)}"
        )
    if labels.index.has_duplicates:
        dup = labels.index[labels.index.duplicated()].unique()
        raise ValueError(
            f"{what}: customer_id(s) {_shown(dup)} appear more than once; give one label each."
        )
    missing = table.index.difference(labels.index)
    if len(missing):
        raise ValueError(
            f"{what} has no label for {len(missing)} customer(s) of the table "
            f"(customer_id {_shown(missing)}); give a label for every row of the table."
        )
    out = labels.reindex(table.index)
    empty = out.isna()
    if empty.any():
        raise ValueError(
            f"{what} is missing (NaN) for {int(empty.sum())} customer(s) "
            f"(customer_id {_shown(out.index[empty.to_numpy()])}); fill or drop them first."
        )
    return out


def _one(table: pd.DataFrame, by) -> pd.Series:
    if isinstance(by, pd.Series):
        return _align(table, by, f"by ({by.name!r})" if by.name is not None else "by")
    if isinstance(by, str):
        if by in table.columns:
            return _align(table, table[by], f"column {by!r}")
        if by == TIER_COLUMN:
            return tiers_for(table, labels=TIERS)
        raise ValueError(
            f"by={by!r} is not a column of the customer table (columns: {list(map(str, table.columns))}) "
            f"nor {TIER_COLUMN!r}; pass a column name, {TIER_COLUMN!r} or a Series indexed by customer_id."
        )
    raise TypeError(f"by must be a column name, a Series or a list of them, got {type(by)}")


def _categories(labels: pd.Series) -> list:
    if isinstance(labels.dtype, pd.CategoricalDtype):
        present = set(labels.dropna())
        return [c for c in labels.cat.categories if c in present]
    return sorted(labels.unique(), key=str)


def group_labels(table: pd.DataFrame, by: str | pd.Series | Sequence | None = None) -> pd.Series:
    """One group label per customer of ``table``, in a fixed order.

    Parameters
    ----------
    table : DataFrame
        The customer table, indexed by ``customer_id``.
    by : str, Series or list, optional
        ``None`` (default): the lifecycle ``stage``. A column name of
        ``table``; ``"tier"`` for the value tier (:func:`analysis.segments.tiers_for`) when
        the table has no such column; a Series indexed by ``customer_id``; or
        a list of these, crossed into labels like ``"formation/high"``.

    Returns
    -------
    Series
        Indexed like ``table``: a Categorical of string labels whose
        categories are the groups present, in the order of the inputs'
        categories (stages in lifecycle order, tiers best first). Its name
        says what it groups by (``"stage"``, ``"stage/tier"``, ...).
    """
    if by is None:
        by = "stage"
    parts = list(by) if isinstance(by, list | tuple) else [by]
    if not parts:
        raise ValueError("by is an empty list; name at least one column or Series.")
    series = [_one(table, p) for p in parts]
    names = [
        p if isinstance(p, str) else (str(s.name) if s.name is not None else "group")
        for p, s in zip(parts, series, strict=True)
    ]
    orders = [{c: i for i, c in enumerate(_categories(s))} for s in series]
    text = [s.astype(str) for s in series]
    labels = text[0]
    for t in text[1:]:
        labels = labels + "/" + t
    keys = pd.DataFrame(
        {i: s.astype(object).map(o) for i, (s, o) in enumerate(zip(series, orders, strict=True))}
    )
    order = keys.assign(label=labels.to_numpy()).drop_duplicates("label")
    order = order.sort_values(list(range(len(series))))["label"].tolist()
    return pd.Series(
        pd.Categorical(labels.to_numpy(), categories=order),
        index=table.index,
        name="/".join(names),
    )
