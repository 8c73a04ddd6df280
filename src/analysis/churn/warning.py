"""The early-warning list: valuable customers in or entering decline, and one continuous warning score.

A customer of the customer table (:func:`analysis.customers.customer_table`)
is *flagged* when at least one of four reasons holds (:data:`REASONS`):

- ``entered_decline``: the last period's stage is decline and it is the first
  period there (``periods_in_stage == 1``): news the firm can still act on;
- ``in_decline``: the last period's stage is decline, however long;
- ``low_p_alive``: the model's probability that the customer is still active
  is below ``p_alive_below`` (0.5);
- ``overdue``: silent for more than ``cycle_factor`` (3) times its own
  purchase cycle, ``days_since_last > cycle_factor * purchase_cycle_days``.
  Customers without a repeat purchase have no cycle of their own and are
  never flagged by this reason.

:func:`early_warning` lists the flagged customers among the valuable ones
(the top CLV tiers), ordered by value at risk (:data:`VALUE_AT_RISK`).

:func:`warning_score` turns the four reasons into one continuous score, a
weighted sum (:data:`SCORE_WEIGHTS`, all 1 a priori, not tuned on any data)
of four components in [0, 1] (:func:`score_components`):

- ``in_decline`` and ``entered_decline``: 1 or 0;
- ``p_alive``: ``1 - p_alive``;
- ``overdue``: ``r / (1 + r)`` with ``r = days_since_last / (cycle_factor *
  cycle)``: 0 just after a purchase, 1/2 exactly at the ``overdue`` threshold,
  approaching 1 with long silence. A score must rank every customer, so a
  customer without a repeat purchase is measured against the median cycle
  of the repeat buyers in the table (``fallback_cycle_days``).

The score ranks from 0 to 4 (with the default weights); under BG/NBD,
P(alive) is 1 for every customer without a repeat purchase, which is why
the score does not lean on P(alive) alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, where_rows
from ..segments import tiers_for
from ..units import P_ALIVE_EVEN

__all__ = [
    "REASONS",
    "SCORE_WEIGHTS",
    "VALUE_AT_RISK",
    "TOP_TIERS",
    "require_table_columns",
    "valuable",
    "warning_reasons",
    "score_components",
    "warning_score",
    "early_warning",
]

#: the reasons for a warning, as boolean columns, and what each means
REASONS: dict[str, str] = {
    "entered_decline": "the last period's stage is decline, its first period there",
    "in_decline": "the last period's stage is decline",
    "low_p_alive": "probability alive below p_alive_below",
    "overdue": "days since the last purchase above cycle_factor x its own purchase cycle",
}

#: weights of the score components (each in [0, 1]); equal a priori, not tuned on data
SCORE_WEIGHTS: dict[str, float] = {
    "in_decline": 1.0,
    "entered_decline": 1.0,
    "p_alive": 1.0,
    "overdue": 1.0,
}

#: the measures of value at risk that :func:`early_warning` can order by
VALUE_AT_RISK: dict[str, str] = {
    "clv_net": "clv_net: the expected future margin net of costs that the firm "
    "stands to lose if the decline runs its course (default)",
    "expected_loss": "clv_net x (1 - p_alive): the value weighted by the model's "
    "probability that the customer has already gone (0 when p_alive is 1)",
}

#: the CLV tiers whose customers are worth a warning
TOP_TIERS: tuple[str, ...] = ("high", "medium")

_COLUMNS = ("stage", "periods_in_stage", "p_alive", "days_since_last", "purchase_cycle_days")


def require_table_columns(table: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise when the customer table lacks any of ``columns``, naming them and the fix."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataValidationError(
            f"the customer table has no column(s) {missing} (found: {list(table.columns)}); "
            "build it with analysis.customers.customer_table, or add the column(s)"
        )


def _require(table: pd.DataFrame, extra: Sequence[str] = ()) -> None:
    require_table_columns(table, [*_COLUMNS, *extra])
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()].unique()
        raise DataValidationError(
            f"the customer table has repeated customer_id values ({where_rows(dup, None, None)}); "
            "build it with analysis.customers.customer_table, one row per customer"
        )
    for col in ("p_alive", "days_since_last"):
        bad = table[col].isna().to_numpy()
        if bad.any():
            raise DataValidationError(
                f"column {col!r} of the customer table is missing at "
                f"{where_rows(table.index[bad], None, None)}; every customer needs one"
            )


def valuable(
    table: pd.DataFrame, tiers=None, top_tiers: Sequence[str] | None = TOP_TIERS
) -> tuple[pd.Series | None, pd.Series]:
    """Tier per customer and whether the customer is valuable (in ``top_tiers``).

    Parameters
    ----------
    table : DataFrame
        The customer table.
    tiers : Series, DataFrame or None
        A tier per customer, as :func:`analysis.segments.tiers_for` takes it
        (any labels: tiers cut with labels of one's own keep them).
    top_tiers : sequence of str or None
        The valuable tiers; None counts every customer as valuable (and
        computes no tiers unless ``tiers`` is given).

    Returns
    -------
    tuple
        ``(tier, is_valuable)``: the tiers (None when not computed) and a
        bool Series, both aligned to ``table.index``.
    """
    if top_tiers is None:
        tier = tiers_for(table, tiers, labels=None) if tiers is not None else None
        return tier, pd.Series(True, index=table.index)
    if isinstance(top_tiers, str):
        top_tiers = (top_tiers,)
    tier = tiers_for(table, tiers, labels=None)
    if isinstance(tier.dtype, pd.CategoricalDtype):
        labels = {str(c) for c in tier.cat.categories}
    else:
        labels = {str(v) for v in tier.unique()}
    if not set(top_tiers) & labels:
        raise DataValidationError(
            f"none of top_tiers {list(top_tiers)} is a tier label; the tiers found are "
            f"{sorted(labels)}. Pass top_tiers with those labels"
        )
    return tier, tier.astype(str).isin(list(top_tiers))


def warning_reasons(
    table: pd.DataFrame, *, p_alive_below: float = P_ALIVE_EVEN, cycle_factor: float = 3.0
) -> pd.DataFrame:
    """The four reasons of :data:`REASONS` for every customer, as boolean columns.

    Parameters
    ----------
    table : DataFrame
        The customer table: ``stage``, ``periods_in_stage``, ``p_alive``,
        ``days_since_last`` (days), ``purchase_cycle_days`` (days, NaN
        without a repeat purchase).
    p_alive_below : float
        P(alive) below this raises ``low_p_alive``.
    cycle_factor : float
        Silence beyond this many own purchase cycles raises ``overdue``.

    Returns
    -------
    DataFrame
        Indexed like ``table``, one bool column per reason.
    """
    _require(table)
    if cycle_factor <= 0:
        raise ValueError(f"cycle_factor must be positive (a number of cycles), got {cycle_factor}")
    decline = (table["stage"].astype(str) == "decline").to_numpy()
    first = (table["periods_in_stage"] == 1).to_numpy()
    cycle = table["purchase_cycle_days"].to_numpy(dtype=float)
    silent = table["days_since_last"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        overdue = np.nan_to_num(silent > cycle_factor * cycle, nan=False).astype(bool)
    return pd.DataFrame(
        {
            "entered_decline": decline & first,
            "in_decline": decline,
            "low_p_alive": (table["p_alive"] < p_alive_below).to_numpy(),
            "overdue": overdue & ~np.isnan(cycle),
        },
        index=table.index,
    )


def score_components(
    table: pd.DataFrame, *, cycle_factor: float = 3.0, fallback_cycle_days: float | None = None
) -> pd.DataFrame:
    """The four components of the warning score, each in [0, 1].

    Parameters
    ----------
    table : DataFrame
        The customer table (see :func:`warning_reasons`).
    cycle_factor : float
        Cycles of silence at which ``overdue`` reaches 1/2.
    fallback_cycle_days : float, optional
        Cycle (days) for customers without a repeat purchase; the median
        ``purchase_cycle_days`` of the table's repeat buyers by default.

    Returns
    -------
    DataFrame
        ``in_decline``, ``entered_decline`` (0 or 1), ``p_alive`` (``1 - p_alive``),
        ``overdue`` (``r / (1 + r)``, ``r`` the silence in units of
        ``cycle_factor`` cycles).
    """
    flags = warning_reasons(table, cycle_factor=cycle_factor)
    cycle = table["purchase_cycle_days"].astype(float)
    if fallback_cycle_days is None:
        if cycle.notna().any():
            fallback_cycle_days = float(cycle.median())
        else:
            raise DataValidationError(
                "no customer of the table has a repeat purchase, so no purchase cycle; pass "
                "fallback_cycle_days (days) to measure their silence against"
            )
    if not fallback_cycle_days > 0:
        raise ValueError(f"fallback_cycle_days must be positive, got {fallback_cycle_days}")
    cycle = cycle.fillna(fallback_cycle_days).clip(lower=1.0)  # same-day cycles are 1 day
    r = table["days_since_last"].astype(float).clip(lower=0.0) / (cycle_factor * cycle)
    return pd.DataFrame(
        {
            "in_decline": flags["in_decline"].astype(float),
            "entered_decline": flags["entered_decline"].astype(float),
            "p_alive": 1.0 - table["p_alive"].astype(float),
            "overdue": r / (1.0 + r),
        },
        index=table.index,
    )


def warning_score(
    table: pd.DataFrame,
    *,
    weights: Mapping[str, float] | None = None,
    cycle_factor: float = 3.0,
    fallback_cycle_days: float | None = None,
) -> pd.Series:
    """The continuous early-warning score: the weighted sum of :func:`score_components`.

    Parameters
    ----------
    table : DataFrame
        The customer table.
    weights : mapping, optional
        Weight per component; :data:`SCORE_WEIGHTS` (all 1) by default.
        Components left out weigh 0.
    cycle_factor, fallback_cycle_days
        As in :func:`score_components`.

    Returns
    -------
    Series
        ``score`` per customer: higher means a stronger warning.
    """
    weights = dict(SCORE_WEIGHTS if weights is None else weights)
    unknown = set(weights) - set(SCORE_WEIGHTS)
    if unknown:
        raise ValueError(
            f"unknown score component(s) {sorted(unknown)}; the components are "
            f"{list(SCORE_WEIGHTS)}"
        )
    parts = score_components(
        table, cycle_factor=cycle_factor, fallback_cycle_days=fallback_cycle_days
    )
    w = pd.Series({k: float(weights.get(k, 0.0)) for k in parts.columns})
    return (parts * w).sum(axis=1).rename("score")


def _reason_text(row, p_alive_below: float, cycle_factor: float) -> str:
    parts = []
    if row.entered_decline:
        parts.append("entered decline this period")
    elif row.in_decline:
        parts.append(f"in decline for {int(row.periods_in_stage)} periods")
    if row.low_p_alive:
        parts.append(f"P(alive) {row.p_alive:.2f} < {p_alive_below:g}")
    if row.overdue:
        parts.append(
            f"silent {row.days_since_last:.0f} days > {cycle_factor:g} x its "
            f"{row.purchase_cycle_days:.0f}-day cycle"
        )
    return "; ".join(parts)


def early_warning(
    table: pd.DataFrame,
    *,
    tiers=None,
    p_alive_below: float = P_ALIVE_EVEN,
    cycle_factor: float = 3.0,
    top_tiers: Sequence[str] = TOP_TIERS,
    value_at_risk: str = "clv_net",
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Valuable customers in or entering decline, most value at risk first, with their reasons.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`),
        indexed by ``customer_id``; reads ``stage``, ``periods_in_stage``,
        ``clv_net``, ``p_alive``, ``days_since_last``, ``purchase_cycle_days``.
    tiers : Series, DataFrame or None
        CLV tier per customer (see :func:`analysis.segments.tiers_for`); by default
        :func:`analysis.segments.clv_tiers` of ``table``.
    p_alive_below : float
        The ``low_p_alive`` threshold (probability).
    cycle_factor : float
        The ``overdue`` threshold in own purchase cycles.
    top_tiers : sequence of str
        The tiers that count as valuable.
    value_at_risk : {"clv_net", "expected_loss"}
        The ordering measure, see :data:`VALUE_AT_RISK`.
    weights : mapping, optional
        Weights of the ``score`` column (see :func:`warning_score`).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, only customers of ``top_tiers`` with at
        least one reason: ``stage``, ``tier``, ``clv_net``, ``p_alive``,
        ``days_since_last``, ``purchase_cycle_days``, ``value_at_risk``
        (currency of ``clv_net``), ``reasons`` (text), ``score``, and one
        bool column per reason of :data:`REASONS`. Sorted by
        ``value_at_risk`` (descending), then ``score`` (descending), then id.
    """
    _require(table, extra=("clv_net",))
    if isinstance(top_tiers, str):
        top_tiers = (top_tiers,)
    if value_at_risk not in VALUE_AT_RISK:
        raise ValueError(
            f"value_at_risk must be one of {list(VALUE_AT_RISK)}, got {value_at_risk!r}"
        )
    tier, keep = valuable(table, tiers, top_tiers)
    flags = warning_reasons(table, p_alive_below=p_alive_below, cycle_factor=cycle_factor)
    keep = keep & flags.any(axis=1)
    clv_net = table["clv_net"].astype(float)
    risk = clv_net if value_at_risk == "clv_net" else clv_net * (1.0 - table["p_alive"])
    out = pd.DataFrame(
        {
            "stage": table["stage"],
            "tier": tier if tier is not None else pd.Series(None, index=table.index, dtype=object),
            "clv_net": clv_net,
            "p_alive": table["p_alive"].astype(float),
            "days_since_last": table["days_since_last"].astype(float),
            "purchase_cycle_days": table["purchase_cycle_days"].astype(float),
            "value_at_risk": risk.astype(float),
            "score": warning_score(table, weights=weights, cycle_factor=cycle_factor),
        },
        index=table.index,
    )
    out = out.join(flags)[keep.to_numpy()]
    texts = [
        _reason_text(row, p_alive_below, cycle_factor)
        for row in out.assign(
            periods_in_stage=table["periods_in_stage"].reindex(out.index)
        ).itertuples()
    ]
    out.insert(out.columns.get_loc("value_at_risk") + 1, "reasons", texts)
    id_name = out.index.name or "customer_id"
    out = (
        out.rename_axis(id_name)
        .reset_index()
        .sort_values(
            ["value_at_risk", "score", id_name], ascending=[False, False, True], kind="stable"
        )
        .set_index(id_name)
    )
    out.attrs = {
        "p_alive_below": p_alive_below,
        "cycle_factor": cycle_factor,
        "top_tiers": tuple(top_tiers),
        "value_at_risk": VALUE_AT_RISK[value_at_risk],
        "reasons": dict(REASONS),
    }
    return out
