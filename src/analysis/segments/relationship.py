"""Kotler's five levels of customer relationship, chosen per segment from its size and margin.

Kotler distinguishes five levels of relationship a firm can keep with its
customers: *basic* (sell, no follow-up), *reactive* (sell and invite the
customer to call with questions or complaints), *accountable* (call back
after the sale to check the product met expectations), *proactive* (contact
the customer from time to time with improvements and new uses) and
*partnership* (work with the customer continuously to find ways to deliver
more value). The level to choose depends on how many customers a segment has
and on the margin each brings: many customers with thin margins call for a
basic relationship, few customers with high margins for a partnership, the
other cells in between (the standard 3 x 3 table, :data:`KOTLER_LEVELS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .summary import segment_summary

__all__ = [
    "KOTLER_ORDER",
    "KOTLER_LEVELS",
    "SIZE_CUTS",
    "MARGIN_CUTS",
    "kotler_table",
    "relationship_level",
]

#: the five levels, from the least to the most involved relationship
KOTLER_ORDER: tuple[str, ...] = ("basic", "reactive", "accountable", "proactive", "partnership")

#: level per (number of customers, margin per customer)
KOTLER_LEVELS: dict[tuple[str, str], str] = {
    ("many", "low"): "basic",
    ("many", "medium"): "reactive",
    ("many", "high"): "accountable",
    ("medium", "low"): "reactive",
    ("medium", "medium"): "accountable",
    ("medium", "high"): "proactive",
    ("few", "low"): "accountable",
    ("few", "medium"): "proactive",
    ("few", "high"): "partnership",
}

#: a segment has *few* customers at or below 10% of all segmented customers,
#: *many* above 30% (with ``relative=False``: customer counts)
SIZE_CUTS: tuple[float, float] = (0.10, 0.30)
#: a segment's margin per customer is *low* at or below half the base's
#: margin per customer, *high* above twice it (with ``relative=False``: currency)
MARGIN_CUTS: tuple[float, float] = (0.5, 2.0)

_SIZES = ("few", "medium", "many")
_MARGINS = ("low", "medium", "high")


def kotler_table(levels: Mapping[tuple[str, str], str] = KOTLER_LEVELS) -> pd.DataFrame:
    """The 3 x 3 table to show: rows number of customers, columns margin level."""
    return pd.DataFrame(
        [[levels[(size, margin)] for margin in _MARGINS] for size in ("many", "medium", "few")],
        index=pd.Index(["many", "medium", "few"], name="customers"),
        columns=pd.Index(list(_MARGINS), name="margin"),
    )


def _cuts(cuts: Sequence[float], name: str) -> tuple[float, float]:
    try:
        low, high = (float(c) for c in cuts)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (lower, upper) of numbers, got {cuts!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name} must be finite with lower < upper, got {cuts!r}")
    return low, high


def _classes(values: pd.Series, cuts: tuple[float, float], names: tuple[str, ...]) -> np.ndarray:
    v = values.to_numpy(dtype=float)
    out = np.where(v > cuts[1], names[2], np.where(v > cuts[0], names[1], names[0])).astype(object)
    out[np.isnan(v)] = None
    return out


def relationship_level(
    summary_or_table: pd.DataFrame,
    *,
    by=None,
    customers: str = "customers",
    margin: str = "mean_clv",
    size_cuts: Sequence[float] = SIZE_CUTS,
    margin_cuts: Sequence[float] = MARGIN_CUTS,
    relative: bool = True,
    levels: Mapping[tuple[str, str], str] = KOTLER_LEVELS,
) -> pd.DataFrame:
    """Kotler's relationship level per segment from its number of customers and its margin.

    Parameters
    ----------
    summary_or_table : DataFrame
        A per-segment frame with the number of customers and the margin per
        customer, as :func:`analysis.segments.segment_summary` gives; or the customer
        table together with ``by`` (then summarised first).
    by : Series, str or list, optional
        The segmentation, when a customer table is given.
    customers, margin : str
        Columns: number of customers, and margin per customer in currency
        (``mean_clv``: the value a customer of the segment brings).
    size_cuts : (float, float)
        Few at or below the first, many above the second; default
        :data:`SIZE_CUTS` (shares of all customers in the frame).
    margin_cuts : (float, float)
        Low at or below the first, high above the second; default
        :data:`MARGIN_CUTS` (multiples of the frame's margin per customer).
    relative : bool
        True (default): the cuts are shares of the customers and multiples of
        the overall margin per customer (sum of customers x margin over the
        sum of customers), so the defaults fit any business; False: a number
        of customers and a margin in currency.
    levels : mapping
        Level per ``(size, margin)``, size in few/medium/many and margin in
        low/medium/high; default :data:`KOTLER_LEVELS`.

    Returns
    -------
    DataFrame
        The input frame with ``size`` (few / medium / many), ``margin_level``
        (low / medium / high) and ``relationship_level`` (ordered Categorical
        over :data:`KOTLER_ORDER`, then any other level of ``levels``); no level
        for a segment without customers.
    """
    frame = summary_or_table
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"relationship_level takes a DataFrame, got {type(frame).__name__}")
    if customers not in frame.columns:
        if by is None:
            raise ValueError(
                f"relationship_level needs a per-segment frame with {customers!r} and {margin!r} "
                "(as segment_summary gives), or the customer table with by= naming the segmentation"
            )
        frame = segment_summary(frame, by)
    elif by is not None:
        raise ValueError("by is for a customer table; this frame is already per segment")
    missing = [c for c in (customers, margin) if c not in frame.columns]
    if missing:
        raise ValueError(f"relationship_level needs column(s) {missing}; got {list(frame.columns)}")
    keys = {(s, m) for s in _SIZES for m in _MARGINS}
    if not isinstance(levels, Mapping) or set(levels) != keys:
        raise ValueError(f"levels must give a level for each of the 9 cells {sorted(keys)}")
    size_cut = _cuts(size_cuts, "size_cuts")
    margin_cut = _cuts(margin_cuts, "margin_cuts")

    count = frame[customers].astype(float)
    per_customer = frame[margin].astype(float)
    present = count > 0
    size_value, margin_value = count, per_customer
    if relative:
        total = count[present].sum()
        overall = (count * per_customer)[present].sum() / total if total > 0 else np.nan
        if not overall > 0:
            raise ValueError(
                f"the base's margin per customer is {overall!r}, not positive, so margins "
                "relative to it mean nothing: pass relative=False with margin_cuts in currency"
            )
        size_value, margin_value = count / total, per_customer / overall
    size = _classes(size_value.where(present), size_cut, _SIZES)
    level_of_margin = _classes(margin_value.where(present), margin_cut, _MARGINS)
    level = np.asarray(
        [
            levels[(s, m)] if s is not None and m is not None else None
            for s, m in zip(size, level_of_margin, strict=True)
        ],
        dtype=object,
    )
    order = [lv for lv in KOTLER_ORDER if lv in levels.values()]
    order += [lv for lv in dict.fromkeys(levels.values()) if lv not in order]
    out = frame.copy()
    out["size"] = pd.Categorical(size, categories=list(_SIZES), ordered=True)
    out["margin_level"] = pd.Categorical(level_of_margin, categories=list(_MARGINS), ordered=True)
    out["relationship_level"] = pd.Categorical(level, categories=order, ordered=True)
    return out
