"""Writing the customer table for the reader: ``customers.csv`` and ``customers.parquet``.

The table (:func:`analysis.customers.customer_table`) is what a firm takes
away from the segments report: one row per customer with its history, stage,
P(alive) and value. :func:`export` writes it in two formats, CSV for a
spreadsheet and Parquet for code (Parquet keeps the dtypes, the ordered
``stage`` categories and the table's ``attrs``: model, model note, margin, ...).

Each file carries where its numbers come from, so an import into a CRM can be
traced: the table's provenance (its :class:`analysis.customers.TableInfo`,
given as ``export(..., info=...)``, and any other ``attrs`` of the frame
written, such as the decision settings; the models with their parameters, see
:func:`analysis.models.model_to_dict`, the observation end and the cut),
the columns with their dtypes, the number of rows, the export time and the
package version. The CSV has them in a sidecar ``customers.json`` written
beside it; the Parquet file in its schema metadata (and its ``attrs``, which
``pd.read_parquet`` restores). :func:`read_metadata` reads them from either,
:func:`read_info` the provenance as a ``TableInfo`` and :func:`read_customers`
the table with it (a :class:`analysis.customers.Valuation`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .customers.info import TableInfo, Valuation
from .models.persist import DISTRIBUTION, package_version

__all__ = [
    "EXPORT_FORMATS",
    "METADATA_FORMAT",
    "METADATA_KEY",
    "export",
    "portable_attrs",
    "read_customers",
    "read_info",
    "read_metadata",
    "table_metadata",
]

#: the formats :func:`export` writes, by file suffix
EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet")
#: the ``format`` field of the metadata record (sidecar and Parquet)
METADATA_FORMAT = "analysis.customer_table"
#: the version of the metadata record's layout
METADATA_VERSION = 1
#: the key of the metadata record in a Parquet file's schema metadata
METADATA_KEY = b"analysis.customer_table"
#: the key under which pandas keeps ``DataFrame.attrs`` in Parquet (``pd.read_parquet`` reads it)
_PANDAS_ATTRS_KEY = b"PANDAS_ATTRS"


def _portable(value):
    """``value`` as JSON: containers recursed, dates as ISO text, NaN as None, the rest as text."""
    if isinstance(value, dict | pd.Series):
        return {str(k): _portable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Index):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return [_portable(v) for v in items]
    if isinstance(value, np.datetime64 | np.timedelta64):
        # .item() of a nanosecond datetime64 is an int: go through pandas
        value = pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def portable_attrs(attrs: dict) -> dict:
    """``attrs`` with every value JSON-safe, nested dicts and lists included.

    Timestamps and dates become ISO text, NumPy scalars numbers, tuples and
    arrays lists, Series dicts, NaN None (JSON has no NaN), infinities "inf" / "-inf" and
    anything else its text. Parquet stores a frame's ``attrs`` as JSON; a
    Timestamp (the table's ``observation_end``) would otherwise make pandas
    drop them all.

    Parameters
    ----------
    attrs : dict
        A frame's ``attrs``.

    Returns
    -------
    dict
        A new dict with str keys; ``attrs`` is not changed.
    """
    return {str(key): _portable(value) for key, value in attrs.items()}


def table_metadata(table: pd.DataFrame, *, file: str = "", info: TableInfo | None = None) -> dict:
    """What a file of the customer table carries about it: attrs, columns, rows, export time, version.

    Parameters
    ----------
    table : DataFrame
        The customer table.
    file : str
        The name of the file the record describes (e.g. ``"customers.csv"``).
    info : TableInfo, optional
        The table's provenance (:func:`analysis.customers.value_customers`);
        its :meth:`~analysis.customers.TableInfo.to_dict` goes into ``attrs``
        over the frame's own ``attrs``.

    Returns
    -------
    dict
        JSON-safe: ``format``, ``format_version``, ``file``, ``rows``,
        ``index`` (name and dtype), ``columns`` (name to dtype, in order),
        ``categories`` (per categorical column its categories and whether
        they are ordered), ``attrs`` (:func:`portable_attrs` of the frame's
        ``attrs``, then ``info``'s fields),
        ``exported_at`` (UTC), ``package`` and ``package_version``.
    """
    categories = {
        str(col): {
            "categories": _portable(list(dtype.categories)),
            "ordered": bool(dtype.ordered),
        }
        for col, dtype in table.dtypes.items()
        if isinstance(dtype, pd.CategoricalDtype)
    }
    return {
        "format": METADATA_FORMAT,
        "format_version": METADATA_VERSION,
        "file": file,
        "rows": len(table),
        "index": {"name": _portable(table.index.name), "dtype": str(table.index.dtype)},
        "columns": {str(col): str(dtype) for col, dtype in table.dtypes.items()},
        "categories": categories,
        "attrs": _record_attrs(table, info),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "package": DISTRIBUTION,
        "package_version": package_version(),
    }


def _record_attrs(table: pd.DataFrame, info: TableInfo | None) -> dict:
    """The frame's attrs (JSON-safe) with the table's provenance over them."""
    return portable_attrs(table.attrs) | ({} if info is None else info.to_dict())


def _write_parquet(frame: pd.DataFrame, path: Path, record: dict) -> None:
    """``frame`` as Parquet, with its attrs where pandas reads them and the record under our key."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(frame, preserve_index=True)
    meta = dict(arrow.schema.metadata or {})
    # pandas' own key, as DataFrame.to_parquet writes it: pd.read_parquet restores the attrs
    meta[_PANDAS_ATTRS_KEY] = json.dumps(frame.attrs, allow_nan=False).encode()
    meta[METADATA_KEY] = json.dumps(record, allow_nan=False).encode()
    pq.write_table(arrow.replace_schema_metadata(meta), path)


def export(
    table: pd.DataFrame,
    folder: str | Path,
    *,
    info: TableInfo | None = None,
    name: str = "customers",
    formats: tuple[str, ...] = EXPORT_FORMATS,
) -> list[Path]:
    """Write the customer table as ``<name>.csv`` (with ``<name>.json``) and ``<name>.parquet``.

    Each file carries :func:`table_metadata`: the CSV in the sidecar
    ``<name>.json`` beside it, the Parquet file in its schema metadata (under
    :data:`METADATA_KEY`) and its ``attrs``. :func:`read_metadata` reads
    either.

    Parameters
    ----------
    table : DataFrame
        The customer table, indexed by ``customer_id``.
    folder : str or Path
        An existing folder (the report folder, say); it is not created, so a
        mistyped path fails instead of scattering files.
    info : TableInfo, optional
        The table's provenance (:func:`analysis.customers.value_customers`),
        written into the record's ``attrs``; without it only the frame's own
        ``attrs`` are written.
    name : str
        File name without suffix, of the table and of the CSV's sidecar.
    formats : tuple of str
        Any of :data:`EXPORT_FORMATS`.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``, the sidecar right
        after its CSV. Existing files of the same names are replaced (the
        sidecar only when the CSV is written); no other file is touched.
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
    frame.attrs = _record_attrs(table, info)
    record = table_metadata(table, info=info)
    written = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        described = record | {"file": path.name}
        if fmt == "csv":
            frame.to_csv(path, index=True, date_format="%Y-%m-%d")
            sidecar = folder / f"{name}.json"
            text = json.dumps(described, indent=2, allow_nan=False) + "\n"
            sidecar.write_text(text, encoding="utf-8")
            written += [path, sidecar]
        else:
            _write_parquet(frame, path, described)
            written.append(path)
    return written


def read_metadata(path: str | Path) -> dict:
    """The record a file written by :func:`export` carries (see :func:`table_metadata`).

    Parameters
    ----------
    path : str or Path
        ``<name>.csv`` (its sidecar ``<name>.json`` is read), the sidecar
        itself, or ``<name>.parquet`` (its schema metadata is read; the rows
        are not loaded).

    Returns
    -------
    dict
        ``attrs`` (with the models' dicts, the observation end and the cut),
        ``columns``, ``rows``, ``exported_at``, ``package_version``, ...

    Raises
    ------
    FileNotFoundError
        When the file, or a CSV's sidecar, does not exist.
    ValueError
        When the file carries no record of :func:`export`, or has another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json", ".parquet"):
        raise ValueError(
            f"read_metadata reads a .csv (with its .json sidecar), a .json sidecar or a .parquet "
            f"file from analysis.customers_io.export, got {str(path)!r}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"read_metadata: no file {str(path)!r}")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
        where = f"the Parquet metadata of {str(path)!r}"
    else:
        sidecar = path.with_suffix(".json")
        if not sidecar.is_file():
            raise FileNotFoundError(
                f"read_metadata: no sidecar {str(sidecar)!r} beside {str(path)!r}; "
                "analysis.customers_io.export writes it with the CSV"
            )
        raw = sidecar.read_text(encoding="utf-8")
        where = str(sidecar)
    record = None
    if raw is not None:
        try:
            record = json.loads(raw)
        except ValueError as err:
            raise ValueError(f"read_metadata: {where} is not valid JSON ({err})") from err
    if not isinstance(record, dict) or record.get("format") != METADATA_FORMAT:
        raise ValueError(
            f"read_metadata: {where} holds no customer-table record of "
            "analysis.customers_io.export; export the table again to get one"
        )
    return record


def read_info(path: str | Path) -> TableInfo:
    """The provenance of a table written by :func:`export` with ``info``.

    Parameters
    ----------
    path : str or Path
        As for :func:`read_metadata`.

    Returns
    -------
    TableInfo
        The record's ``attrs`` read back (:meth:`analysis.customers.TableInfo.from_dict`).

    Raises
    ------
    ValueError
        When the record lacks a field of the provenance (exported without ``info``).
    """
    return TableInfo.from_dict(read_metadata(path)["attrs"])


def read_customers(path: str | Path) -> Valuation:
    """A customer table written by :func:`export`, with its provenance.

    Parameters
    ----------
    path : str or Path
        ``<name>.parquet`` (dtypes as written) or ``<name>.csv`` (the index
        as text, the categorical columns restored from the sidecar's
        ``categories``, the other columns as ``pd.read_csv`` reads them).

    Returns
    -------
    Valuation
        ``table`` without ``attrs``; ``info`` from :func:`read_info`.
    """
    path = Path(path)
    info = read_info(path)
    if path.suffix.lower() == ".parquet":
        table = pd.read_parquet(path)
    else:
        record = read_metadata(path)
        csv = path if path.suffix.lower() == ".csv" else path.with_suffix(".csv")
        table = pd.read_csv(csv, index_col=0, dtype={0: str})
        for col, cat in record.get("categories", {}).items():
            if col in table.columns:
                kind = pd.CategoricalDtype(cat["categories"], ordered=cat["ordered"])
                table[col] = table[col].astype(kind)
    table.attrs = {}
    return Valuation(table, info)
