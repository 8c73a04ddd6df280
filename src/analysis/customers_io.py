"""Writing the customer table for the reader: ``customers.csv`` and ``customers.parquet``.

The table (:func:`analysis.customers.customer_table`) is what a firm takes
away from the segments report: one row per customer with its history, stage,
P(alive) and value. :func:`export` writes it in two formats, CSV for a
spreadsheet and Parquet for code (Parquet keeps the dtypes, the ordered
``stage`` categories and the table's ``attrs``: model, model note, margin, ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EXPORT_FORMATS", "export", "portable_attrs"]

#: the formats :func:`export` writes, by file suffix
EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet")


def portable_attrs(attrs: dict) -> dict:
    """``attrs`` with every value JSON-safe: Timestamps as ISO dates, NumPy scalars as numbers.

    Parquet stores a frame's ``attrs`` as JSON; a Timestamp (the table's
    ``observation_end``) would otherwise make pandas drop them all.
    """
    out = {}
    for key, value in attrs.items():
        if isinstance(value, pd.Timestamp):
            value = value.isoformat()
        elif isinstance(value, np.generic):
            value = value.item()
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = str(value)
        out[str(key)] = value
    return out


def export(
    table: pd.DataFrame,
    folder: str | Path,
    *,
    name: str = "customers",
    formats: tuple[str, ...] = EXPORT_FORMATS,
) -> list[Path]:
    """Write the customer table as ``<name>.csv`` and ``<name>.parquet`` in ``folder``.

    Parameters
    ----------
    table : DataFrame
        The customer table, indexed by ``customer_id``.
    folder : str or Path
        An existing folder (the report folder, say); it is not created, so a
        mistyped path fails instead of scattering files.
    name : str
        File name without suffix.
    formats : tuple of str
        Any of :data:`EXPORT_FORMATS`.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``. Existing files of the
        same name are replaced.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"export takes the customer table (a DataFrame), got {type(table).__name__}"
        )
    if not str(folder).strip() or not Path(folder).is_dir():
        raise FileNotFoundError(
            f"export: folder {str(folder)!r} does not exist; create it first or pass another one"
        )
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be among {list(EXPORT_FORMATS)}, got {list(formats)}")
    folder = Path(folder)
    frame = table.copy()
    frame.attrs = portable_attrs(table.attrs)
    written = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=True, date_format="%Y-%m-%d")
        else:
            frame.to_parquet(path, index=True)
        written.append(path)
    return written
