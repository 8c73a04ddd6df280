"""What the segmentations share: column checks, cut points, label sets and the labelled Series.

Conventions every segmentation follows:

- a segmentation reads the customer table (index ``customer_id``, one row per
  customer; see :func:`analysis.customers.customer_table`) and returns a
  new object, never changing the table;
- its result is a ``pd.Series`` indexed like the table, named after the
  segmentation, holding an *ordered* Categorical whose categories are the
  label set in report order (the most valuable or most urgent label first);
  a customer outside the segmentation's scope holds NaN;
- a value equal to a cut point falls in the class of the smaller numbers
  (``high`` means strictly above the cut), so a boundary customer is never
  counted twice and the result does not depend on row order.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, where_rows

__all__ = [
    "HIGH",
    "LOW",
    "require",
    "numeric",
    "resolve_cut",
    "check_labels",
    "check_matrix",
    "labelled",
    "quadrants",
]

#: the two levels of an axis of a 2 x 2 matrix
HIGH, LOW = "high", "low"


def require(table: pd.DataFrame, columns: Iterable[str], what: str, hint: str = "") -> None:
    """Raise :class:`DataValidationError` naming the columns ``what`` needs and ``table`` lacks."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"{what} takes the customer table (a DataFrame), got {type(table).__name__}"
        )
    missing = [c for c in columns if c not in table.columns]
    if missing:
        found = [str(c) for c in table.columns]
        advice = hint or (
            "Build the table with analysis.customers.customer_table, "
            "or pass the name of your own column as a parameter."
        )
        raise DataValidationError(
            f"{what} needs column(s) {missing}, which the table does not have "
            f"(columns found: {found}). {advice}"
        )


def numeric(table: pd.DataFrame, column: str, what: str, *, allow_nan: bool = False) -> pd.Series:
    """``table[column]`` as floats; raise naming the rows when it is not numeric or has NaN.

    Parameters
    ----------
    table : DataFrame
        The customer table.
    column : str
        The column to read.
    what : str
        The caller's name, for the message.
    allow_nan : bool
        Whether NaN is a meaningful value here (e.g. ``interpurchase_cv``).
    """
    require(table, [column], what)
    raw = table[column]
    if not (pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)):
        raise DataValidationError(
            f"{what}: column {column!r} must be numeric, got dtype {raw.dtype}. "
            "Convert it (pd.to_numeric) or pass another column."
        )
    series = raw.astype(float)
    if not allow_nan:
        bad = series.index[~np.isfinite(series.to_numpy())]
        if len(bad):
            raise DataValidationError(
                f"{what}: column {column!r} is missing or infinite for {len(bad)} customer(s), "
                f"{where_rows(bad, None, None)}. Fill these values or drop the customers first."
            )
    return series


def resolve_cut(values: pd.Series, cut: float | str, name: str) -> float:
    """A cut point: ``"median"`` of ``values`` (NaN ignored) or a finite number as given."""
    if isinstance(cut, str):
        if cut != "median":
            raise ValueError(f"{name} must be 'median' or a number, got {cut!r}")
        known = values.dropna()
        if known.empty:
            raise ValueError(f"{name}='median' needs at least one customer with a value")
        return float(known.median())
    try:
        number = float(cut)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be 'median' or a number, got {cut!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {cut!r}")
    return number


def check_labels(labels: Sequence[Hashable], size: int, name: str) -> tuple:
    """``labels`` as a tuple, checked to hold exactly ``size`` distinct labels."""
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f"{name} must be a sequence of {size} labels, got {labels!r}")
    labels = tuple(labels)
    if len(labels) != size or len(set(labels)) != size:
        raise ValueError(f"{name} must hold {size} distinct labels, got {labels!r}")
    return labels


def check_matrix(matrix: Mapping[tuple[str, str], Hashable], name: str) -> dict:
    """A 2 x 2 label table keyed ``(first axis level, second axis level)``, each high or low."""
    if not isinstance(matrix, Mapping):
        raise TypeError(f"{name} must be a mapping of (level, level) to a label, got {matrix!r}")
    keys = {(a, b) for a in (HIGH, LOW) for b in (HIGH, LOW)}
    if set(matrix) != keys:
        raise ValueError(
            f"{name} must have exactly the keys {sorted(keys)} (first axis, second axis), "
            f"got {sorted(matrix, key=str)}"
        )
    return dict(matrix)


def labelled(labels: np.ndarray, index: pd.Index, categories: Iterable, name: str) -> pd.Series:
    """An ordered Categorical Series over ``categories`` (None or NaN in ``labels``: no label)."""
    categories = list(dict.fromkeys(categories))
    values = pd.Categorical(labels, categories=categories, ordered=True)
    return pd.Series(values, index=index.copy(), name=name)


def quadrants(
    first_high: pd.Series,
    second_high: pd.Series,
    matrix: Mapping[tuple[str, str], Hashable],
    name: str,
    known: pd.Series | None = None,
) -> pd.Series:
    """Label each customer by the cell of a 2 x 2 ``matrix`` (checked by :func:`check_matrix`).

    ``first_high``, ``second_high``: booleans per customer; ``known``: customers
    that have both axes (the others get no label). The categories follow the
    order of ``matrix``.
    """
    out = np.full(len(first_high), None, dtype=object)
    a = first_high.to_numpy(dtype=bool)
    b = second_high.to_numpy(dtype=bool)
    for (level_a, level_b), label in matrix.items():
        cell = (a == (level_a == HIGH)) & (b == (level_b == HIGH))
        out[cell] = label
    if known is not None:
        out[~known.to_numpy(dtype=bool)] = None
    return labelled(out, first_high.index, matrix.values(), name)
