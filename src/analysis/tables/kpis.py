"""KPI tables shown in each indicator's own unit: shares as percentages, days, money, counts."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..strategy import KPI_DEFINITIONS
from .format import FormattedTable, integer, money, percent, points, ratio

__all__ = ["kpi_role", "format_kpis"]

# KPI unit (strategy.KPI_DEFINITIONS) -> how a value of it is shown
_UNIT_ROLES = {
    "share": "share",
    "probability": "share",
    "customers": "count",
    "days": "number",
}


def kpi_role(kpi: str) -> str:
    """How a value of ``kpi`` is shown: ``share``, ``count``, ``money`` or ``number``."""
    if kpi not in KPI_DEFINITIONS:
        raise ValueError(f"unknown KPI {kpi!r}; known: {list(KPI_DEFINITIONS)}")
    unit = KPI_DEFINITIONS[kpi].unit
    if unit.startswith("amount"):
        return "money"
    return _UNIT_ROLES.get(unit, "number")


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _show(value, role: str, currency: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or pd.isna(value):
        return _text(value)
    if role == "points":
        return points(value)
    if role == "share":
        return percent(value)
    if role == "count":
        return integer(value)
    if role == "money":
        return money(value, currency)
    return ratio(value, 1)


def format_kpis(
    table: pd.DataFrame, columns: Iterable[str] | None = None, *, currency: str = "$"
) -> FormattedTable:
    """A KPI table with every value in its KPI's unit, row by row.

    ``table`` names the KPI of each row in a ``kpi`` column or index level
    (:func:`analysis.readings.kpi_matrix`, :func:`analysis.strategy.plan`,
    :func:`analysis.strategy.check`); ``columns`` are the value columns
    (default: every numeric column). A ``gap`` of a share is shown in
    percentage points (``-1.2 pts``).
    Other columns are shown as they are.
    """
    if "kpi" in table.columns:
        kpis = table["kpi"].astype(str).tolist()
    elif "kpi" in (table.index.names or []):
        kpis = table.index.get_level_values("kpi").astype(str).tolist()
    else:
        raise ValueError("the table names no KPI: it needs a 'kpi' column or index level")
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    columns = list(numeric if columns is None else columns)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the table: {list(table.columns)}")
    roles = [kpi_role(k) for k in kpis]
    out = {}
    for column in table.columns:
        values = table[column].tolist()
        if column in columns:
            shown = [
                "points" if column == "gap" and r == "share" else r for r in roles
            ]  # a change of a share is in points
            out[column] = [_show(v, r, currency) for v, r in zip(values, shown, strict=True)]
        else:
            out[column] = [_text(v) for v in values]
    return FormattedTable(out, index=table.index)
