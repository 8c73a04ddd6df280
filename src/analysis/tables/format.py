"""How the reports show numbers: money, counts, shares, p-values, lists, in tables, figure labels and prose.

One place for the display rules of the study (issues #11 and #20), used by the
table functions, the figures, the readings and the notebooks:

- money with thousands separators and a currency sign, two decimals below
  :data:`MONEY_WHOLE_FROM` (``$12.34``), none from it up (``$1,234``); in a
  table column the rule holds for the whole column, so a column never mixes
  the two;
- counts as whole numbers with separators;
- shares as percentages (``12.3%``);
- p-values with three decimals, ``< 0.001`` below that;
- text in full, never cut with an ellipsis; a list as ``a, b and c``
  (:func:`join_and`).

:func:`format_table` turns a numeric table into one of display strings by
column role; :func:`summary_table` replaces ``DataFrame.describe()`` with the
statistics a reader wants (customers, mean, median, 90th percentile, maximum)
and the unit of every row.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "ROLES",
    "MONEY_WHOLE_FROM",
    "TIME_UNIT_NAMES",
    "FormattedTable",
    "money",
    "with_currency",
    "join_and",
    "integer",
    "percent",
    "points",
    "p_value",
    "ratio",
    "time_unit_name",
    "column_roles",
    "format_table",
    "format_values",
    "summary_table",
]

#: the roles a column can play in a displayed table
ROLES: tuple[str, ...] = (
    "money", "count", "share", "points", "pvalue", "ratio", "number", "text", "date",
)  # fmt: skip
#: money at or above this (absolute) value is shown without cents
MONEY_WHOLE_FROM: float = 100.0
#: the plural name of each time unit of :data:`analysis.units.TIME_UNITS`, for labels
TIME_UNIT_NAMES: dict[str, str] = {
    "D": "days",
    "W": "weeks",
    "M": "months",
    "Q": "quarters",
    "Y": "years",
}

# column names whose role is known throughout the package (a caller's roles= overrides)
_MONEY_NAMES = {
    "amount", "spend", "revenue", "profit", "monetary_value", "monetary_value_holdout", "clv",
    "clv_net", "chain_clv", "table_clv", "chain_total", "table_total", "discounted_revenue",
    "discounted_cost", "discounted_margin", "expected_spend", "total_clv", "mean_clv",
    "current_value", "potential_value",
}  # fmt: skip
_COUNT_NAMES = {"customers", "customer_periods", "at_risk", "events", "groups", "df", "n"}
_PVALUE_NAMES = {"pvalue", "p_value", "p"}


def _finite(x) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def unit_after(currency: str) -> bool:
    """True when ``currency`` is a unit word written after the number (``12.5 purchases``).

    A sign or a code of up to three letters (``$``, ``EUR``) goes before the
    number; a longer word (``purchases``, the unit of a log without amounts,
    or ``euros``) after it.
    """
    word = str(currency).strip()
    return len(word) > 3 and word.replace(" ", "").isalpha()


def with_currency(number: str, currency: str, sign: str = "") -> str:
    """``$12.50`` or ``12.50 purchases``: a formatted number with its currency or unit word."""
    if unit_after(currency):
        return f"{sign}{number} {str(currency).strip()}"
    return f"{sign}{currency}{number}"


def money(x: float, currency: str = "$", decimals: int | None = None, na_rep: str = "n/a") -> str:
    """``$12.34`` below :data:`MONEY_WHOLE_FROM`, ``$1,234`` from it up; the sign before the currency.

    ``decimals`` fixes the number of decimals (a table column passes one for
    all its cells). A unit word (:func:`unit_after`) follows the number:
    ``12.34 purchases``. A negative amount that rounds to zero has no sign.
    """
    if not _finite(x):
        return na_rep
    x = float(x)
    digits = decimals if decimals is not None else (0 if abs(x) >= MONEY_WHOLE_FROM else 2)
    sign = "-" if x < 0 and round(abs(x), digits) > 0 else ""
    return with_currency(f"{abs(x):,.{digits}f}", currency, sign)


def join_and(items) -> str:
    """``a``, ``a and b``, ``a, b and c``; empty text for no items."""
    items = [str(i) for i in items]
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def integer(x: float, na_rep: str = "n/a") -> str:
    """A count as a whole number with thousands separators: ``12,345``."""
    return f"{int(round(float(x))):,}" if _finite(x) else na_rep


def percent(x: float, decimals: int = 1, na_rep: str = "n/a") -> str:
    """A share (0.123) as a percentage: ``12.3%``."""
    return f"{100 * float(x):,.{decimals}f}%" if _finite(x) else na_rep


def points(x: float, decimals: int = 1, na_rep: str = "n/a") -> str:
    """A change of a share (-0.052) in percentage points, signed: ``-5.2 pts``."""
    return f"{100 * float(x):+,.{decimals}f} pts" if _finite(x) else na_rep


def p_value(p: float, na_rep: str = "n/a") -> str:
    """A p-value with three decimals, ``< 0.001`` below 0.001."""
    if not _finite(p):
        return na_rep
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def ratio(x: float, decimals: int = 2, na_rep: str = "n/a") -> str:
    """A ratio or multiplier with separators: ``1.23``."""
    return f"{float(x):,.{decimals}f}" if _finite(x) else na_rep


def time_unit_name(time_unit: str) -> str:
    """The plural name of a time unit (``"W"`` -> ``"weeks"``) for axis labels and tables."""
    try:
        return TIME_UNIT_NAMES[time_unit]
    except (KeyError, TypeError):
        raise ValueError(
            f"time_unit must be one of {sorted(TIME_UNIT_NAMES)}, got {time_unit!r}"
        ) from None


def column_roles(table: pd.DataFrame, roles: Mapping[str, str] | None = None) -> dict[str, str]:
    """The display role of every column: given, declared by the table, then by name and dtype.

    ``roles`` first, then the table's own ``attrs["roles"]`` (the table
    functions of this package declare the roles of their columns), then by
    name: money columns of the package (``clv``, ``revenue``, ``total``,
    ...), counts (``customers``, ``at_risk``, ...), p-values (``pvalue``),
    shares (``share*``, ``top_*``, ``*_share``), ratios (``ratio*``); then
    by dtype: integers are counts, text and categories are text, dates are
    dates and other numbers are plain numbers.
    """
    roles = {
        **{c: r for c, r in table.attrs.get("roles", {}).items() if c in table.columns},
        **dict(roles or {}),
    }
    unknown = {c: r for c, r in roles.items() if r not in ROLES}
    if unknown:
        raise ValueError(f"unknown column role(s) {unknown}; a role is one of {list(ROLES)}")
    missing = [c for c in roles if c not in table.columns]
    if missing:
        raise ValueError(f"roles name column(s) {missing} that the table lacks: {list(table)}")
    out = {}
    for column in table.columns:
        name = str(column[-1] if isinstance(column, tuple) else column).lower()
        dtype = table[column].dtype
        if column in roles:
            out[column] = roles[column]
        elif pd.api.types.is_bool_dtype(dtype):
            out[column] = "text"
        elif pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
            out[column] = "date"
        elif not pd.api.types.is_numeric_dtype(dtype):
            out[column] = "text"
        elif name in _PVALUE_NAMES:
            out[column] = "pvalue"
        elif name.startswith(("share", "top_")) or name.endswith(("_share", "%")):
            out[column] = "share"
        elif name.startswith("ratio") or name.endswith("_ratio"):
            out[column] = "ratio"
        elif name in _COUNT_NAMES or pd.api.types.is_integer_dtype(dtype):
            out[column] = "count"
        elif name in _MONEY_NAMES:
            out[column] = "money"
        else:
            out[column] = "number"
    return out


class FormattedTable(pd.DataFrame):
    """A table of display strings, shown with every column and every text in full.

    A plain DataFrame otherwise; its HTML and text forms are deterministic,
    so a notebook's stored output can be checked (nbval).
    """

    @property
    def _constructor(self):
        return FormattedTable

    def _repr_html_(self):
        with pd.option_context("display.max_colwidth", None, "display.max_columns", None):
            return super()._repr_html_()

    def __repr__(self) -> str:
        with pd.option_context(
            "display.max_colwidth", None, "display.max_columns", None, "display.width", 10_000
        ):
            return super().__repr__()


def _missing(value) -> bool:
    """True for a missing scalar (None, NaN, NA, NaT); a list or array is not missing."""
    return np.ndim(value) == 0 and bool(pd.isna(value))


def _money_decimals(values: pd.Series) -> int:
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    return 0 if len(finite) and float(finite.abs().max()) >= MONEY_WHOLE_FROM else 2


def _format_column(values: pd.Series, role: str, currency: str, decimals: int, na_rep: str):
    if role == "text":  # a missing text (None, NaN, NA) shows as na_rep, never as "nan"
        return values.map(lambda v: na_rep if _missing(v) else str(v))
    if role == "date":
        return values.map(lambda v: na_rep if pd.isna(v) else str(getattr(v, "date", lambda: v)()))
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    if role == "money":
        digits = _money_decimals(numbers)
        return numbers.map(lambda v: money(v, currency, digits, na_rep))
    if role == "count":
        return numbers.map(lambda v: integer(v, na_rep))
    if role == "share":
        return numbers.map(lambda v: percent(v, 1, na_rep))
    if role == "points":
        return numbers.map(lambda v: points(v, 1, na_rep))
    if role == "pvalue":
        return numbers.map(lambda v: p_value(v, na_rep))
    if role == "ratio":
        return numbers.map(lambda v: ratio(v, 2, na_rep))
    return numbers.map(lambda v: ratio(v, decimals, na_rep))


def format_table(
    table: pd.DataFrame,
    roles: Mapping[str, str] | None = None,
    *,
    currency: str = "$",
    decimals: int = 2,
    na_rep: str = "",
) -> FormattedTable:
    """The table as display strings, each column by its role (:func:`column_roles`).

    Parameters
    ----------
    table : DataFrame
        Numbers (and text) to show; its index is kept as is.
    roles : mapping of column to role, optional
        One of :data:`ROLES` per column; columns not named are inferred.
        ``money``: currency, separators, 2 decimals (none when the column
        reaches :data:`MONEY_WHOLE_FROM`); ``count``: whole numbers;
        ``share``: ``12.3%``; ``points`` (a change of share): ``+1.2 pts``; ``pvalue``: ``< 0.001`` or 3 decimals;
        ``ratio``: 2 decimals; ``number``: ``decimals`` decimals; ``text``:
        in full; ``date``: ``YYYY-MM-DD``.
    currency : str
        Sign put before money.
    decimals : int
        Decimals of plain numbers.
    na_rep : str
        Shown for a missing value.

    Returns
    -------
    FormattedTable
        Same index and columns, every cell a string.
    """
    if isinstance(table, pd.Series):
        table = table.to_frame()
    resolved = column_roles(table, roles)
    out = pd.DataFrame(
        {
            i: _format_column(table.iloc[:, i], resolved[c], currency, decimals, na_rep)
            for i, c in enumerate(table.columns)
        }
    )
    out.columns = table.columns
    return FormattedTable(out)


def _value_role(label: str, value) -> str:
    name = label.lower()
    if isinstance(value, str) or not _finite_number(value):
        return "text"
    if "share" in name or name.endswith(("rate", "%")):
        return "share"
    if any(word in name for word in ("revenue", "value", "profit", "clv")):
        return "money"
    if float(value) == int(value):
        return "count"
    return "number"


def _finite_number(value) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def format_values(
    values: pd.Series,
    roles: Mapping[str, str] | None = None,
    *,
    currency: str = "$",
    decimals: int = 2,
    name: str = "value",
) -> FormattedTable:
    """A Series of different quantities (one per row) as a one-column table of display strings.

    Each row gets its role from ``roles``, then from ``values.attrs["roles"]``,
    then from its label and value: a label with "share" or ending in "rate" is
    a share, one naming revenue, value, profit or CLV is money, a whole
    number is a count, text and dates are shown as they are.
    """
    given = {**values.attrs.get("roles", {}), **dict(roles or {})}
    unknown = {k: r for k, r in given.items() if r not in ROLES}
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; a role is one of {list(ROLES)}")
    cells = []
    for label, value in values.items():
        role = given.get(label) or _value_role(str(label), value)
        if role in ("text", "date"):
            shown = value.date() if isinstance(value, pd.Timestamp) else value
            cells.append("" if shown is None else str(shown))
        else:
            column = _format_column(pd.Series([value]), role, currency, decimals, "n/a")
            cells.append(column.iloc[0])
    return FormattedTable({name: cells}, index=values.index)


# units of the per-customer quantities of the package, by name; "money" is the currency
_UNITS = {
    "frequency": "repeat purchases",
    "frequency_holdout": "purchases",
    "purchases": "purchases",
    "first": "purchases",
    "repeat": "purchases",
    "cumulative_repeat": "purchases",
    "expected_purchases": "purchases",
    "discounted_purchases": "purchases",
    "expected_purchases_period": "purchases",
    "days_since_last": "days",
    "p_alive": "probability",
}


def _unit(name: str, units: Mapping[str, str], time_unit: str | None) -> str:
    if name in units:
        return units[name]
    if name in _UNITS:
        return _UNITS[name]
    if name in ("recency", "T", "age", "duration", "duration_holdout"):
        return time_unit_name(time_unit) if time_unit else "periods"
    if name in _MONEY_NAMES or name.startswith(("clv", "monetary_value", "discounted_")):
        return "money"
    return ""


def summary_table(
    frame: pd.DataFrame,
    *,
    units: Mapping[str, str] | None = None,
    currency: str = "$",
    time_unit: str | None = None,
    quantile: float = 0.9,
    rows: str = "customers",
    formatted: bool = True,
):
    """A compact summary of each column: rows counted, mean, median, upper quantile and maximum, with units.

    In place of ``DataFrame.describe()``: one row per column of ``frame``,
    the quantiles are observed values (``inverted_cdf``), and every row
    says its unit.

    Parameters
    ----------
    frame : DataFrame
        Numeric columns to summarise (missing values are left out per column).
    units : mapping, optional
        Unit of a column (``"money"`` for the currency, or any word:
        ``"weeks"``, ``"purchases"``); known names of the package
        (``frequency``, ``recency``, ``T``, ``monetary_value``, ``clv``, ...)
        need none.
    currency : str
        Currency sign of money rows.
    time_unit : str, optional
        Time unit of ``recency`` and ``T`` (``"W"``: weeks).
    quantile : float
        The upper quantile shown (0.9: ``p90``).
    rows : str
        What a row of ``frame`` is, the name of the count column.
    formatted : bool
        Display strings (default) or the numbers.

    Returns
    -------
    FormattedTable or DataFrame
        Index ``variable``; columns ``unit``, ``rows``, ``mean``, ``median``,
        ``p<quantile>``, ``max``. Money rows are in the currency, counts of
        rows whole, probabilities as percentages; a column of whole numbers
        (counts) has its median, quantile and maximum whole and its mean with
        2 decimals; the rest have 2 decimals.
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1, got {quantile!r}")
    units = dict(units or {})
    q_name = f"p{100 * quantile:g}"
    records, row_units, whole = {}, {}, {}
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(dtype=float)
        if pd.api.types.is_bool_dtype(frame[column].dtype):
            values = frame[column].dropna().to_numpy(dtype=float)
        row_units[column] = _unit(str(column), units, time_unit)
        whole[column] = bool(len(values)) and bool(np.all(values == np.round(values)))
        stats = {rows: len(values), "mean": np.nan, "median": np.nan, q_name: np.nan, "max": np.nan}
        if len(values):
            stats.update(
                mean=float(values.mean()),
                median=float(np.quantile(values, 0.5, method="inverted_cdf")),
                max=float(values.max()),
            )
            stats[q_name] = float(np.quantile(values, quantile, method="inverted_cdf"))
        records[column] = stats
    numbers = pd.DataFrame.from_dict(records, orient="index")
    numbers.index.name = "variable"
    numbers.insert(0, "unit", [row_units[c] for c in numbers.index])
    numbers[rows] = numbers[rows].astype(np.int64)
    if not formatted:
        return numbers
    stats = ["mean", "median", q_name, "max"]
    out = numbers.astype({c: object for c in stats})
    for column in numbers.index:
        unit = row_units[column]
        row = numbers.loc[column, stats].astype(float)
        if unit == "money":
            digits = _money_decimals(row)
            text = [money(v, currency, digits) for v in row]
        elif unit == "probability":
            text = [percent(v) for v in row]
        elif whole[column]:
            text = [ratio(row["mean"], 2), *[integer(v) for v in row.iloc[1:]]]
        else:
            text = [ratio(v, 2) for v in row]
        out.loc[column, stats] = text
    out["unit"] = [currency if u == "money" else u for u in out["unit"]]
    out[rows] = [integer(v) for v in numbers[rows]]
    return FormattedTable(out)
