"""Customer attributes and calendar covariates: the two optional files beside a log.

:func:`load_attributes` reads a customer file (one row per customer: the id
and attribute columns such as channel or region) into numeric covariates for
the count models with covariates; :func:`load_calendar` reads a calendar (one
row per period: its start and covariate columns such as a high-season flag)
for the Pareto/NBD with time-varying covariates. Both only read; every
problem is an error that names the file, the column or the ids and says what
to do, except two that are settled and said in :attr:`CustomerAttributes.notes`:

- a text column (e.g. ``region``) is one-hot encoded: one 0/1 column
  ``region=<level>`` per level but one, the reference level, which is the
  most frequent (ties: the first in sorted order); a coefficient then
  compares a level with the reference. More than :data:`MAX_LEVELS` levels
  are refused (one parameter per level and process);
- a column that takes one value for every customer of the log is dropped
  (no covariate can be estimated from it).

Customers of the file that are not in the log are left out (counted in the notes).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import config
from .data import ANONYMIZE_SALT_ENV, anonymize_ids
from .errors import DataValidationError
from .units import unit_days

__all__ = [
    "MAX_LEVELS",
    "CustomerAttributes",
    "attribute_path",
    "load_attributes",
    "load_calendar",
    "with_attributes",
]

#: most levels a text attribute may have (each level but the reference is one covariate)
MAX_LEVELS = 10
_SHOWN = 5  # ids shown in a message


def attribute_path(path: str | Path) -> Path:
    """The file ``path`` names (relative paths start at the project root), or FileNotFoundError."""
    found = Path(path)
    found = found if found.is_absolute() else config.PROJECT_ROOT / found
    if not found.is_file():
        raise FileNotFoundError(
            f"no file at {found} (given as {str(path)!r}); give the path of a CSV file, "
            "relative to the project root or absolute"
        )
    return found


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=True)


def _shown(values) -> str:
    values = list(values)
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return ", ".join(map(str, values[:_SHOWN])) + more


@dataclass(frozen=True)
class CustomerAttributes:
    """A customer file read for the models.

    Attributes
    ----------
    frame : DataFrame
        Index: the log's customer ids (its dtype), one row per customer of the
        log; one float column per covariate (:attr:`columns`).
    columns : tuple of str
        The covariates, in the file's order (a text column's levels in sorted order).
    labels : DataFrame
        The attributes as the file gives them (text), one column per used
        attribute, indexed like ``frame``: for tables by attribute.
    notes : tuple of str
        What was settled on the way (encodings, dropped columns, customers left out).
    """

    frame: pd.DataFrame
    columns: tuple[str, ...]
    labels: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def binary(self) -> tuple[str, ...]:
        """The covariates that take only the values 0 and 1."""
        return tuple(c for c in self.columns if self.frame[c].isin([0.0, 1.0]).all())


def _numeric(values: pd.Series) -> pd.Series | None:
    """The column as floats when every value reads as a number; None for a text column."""
    out = pd.to_numeric(values, errors="coerce")
    return out.astype(float) if out.notna().all() else None


def load_attributes(
    path: str | Path,
    customers: Sequence | pd.Index,
    *,
    customer_id: str = "customer_id",
    columns: Sequence[str] | None = None,
    salt: str | None = None,
) -> CustomerAttributes:
    """Read a customer attributes file as numeric covariates, one row per customer of the log.

    Parameters
    ----------
    path : str or Path
        A CSV (or Parquet) file: the id column and attribute columns.
    customers : sequence or Index
        The log's customer ids; every one needs a row. Ids are matched as text
        (``7`` in the file is customer 7 of the log).
    customer_id : str
        The id column of the file (the log's id column name by default).
    columns : sequence of str, optional
        The attribute columns to use; default every column but the id.
    salt : str, optional
        The salt the log's ids were hidden with (:func:`analysis.data.anonymize_ids`):
        the file's ids are hidden the same way before matching. Default: the
        report runner's (:data:`analysis.data.ANONYMIZE_SALT_ENV`) when it hides ids.

    Returns
    -------
    CustomerAttributes

    Raises
    ------
    FileNotFoundError
        No such file.
    DataValidationError
        No id column, a column asked for that the file lacks, an id listed
        twice, customers of the log without a row, a missing value, a text
        column with more than :data:`MAX_LEVELS` levels, or no column that varies.
    """
    file = attribute_path(path)
    read = _read(file)
    raw = read.astype(str).where(read.notna())
    where = f"the attributes file {file.name}"
    if customer_id not in raw.columns:
        raise DataValidationError(
            f"{where} has no id column {customer_id!r} (its columns: {list(raw.columns)}); "
            "name the log's customer id column in it"
        )
    wanted = [c for c in raw.columns if c != customer_id] if columns is None else list(columns)
    absent = [c for c in wanted if c not in raw.columns or c == customer_id]
    if absent:
        raise DataValidationError(
            f"{where} lacks the attribute column(s) {absent} named in attribute_columns "
            f"(its columns: {list(raw.columns)})"
        )
    if not wanted:
        raise DataValidationError(f"{where} has no attribute column besides {customer_id!r}")
    ids = raw[customer_id].str.strip()
    salt = salt or os.environ.get(ANONYMIZE_SALT_ENV) or None
    if salt:  # the log's ids are hidden: hide the file's the same way
        ids = anonymize_ids(pd.DataFrame({"customer_id": ids}), salt)["customer_id"]
    twice = ids[ids.duplicated()].unique()
    if len(twice):
        raise DataValidationError(
            f"{where} lists {len(twice)} customer id(s) more than once ({_shown(twice)}); "
            "give one row per customer"
        )
    log_ids = pd.Index(customers)
    by_text = pd.Series(log_ids, index=log_ids.astype(str))
    lacking = by_text.index.difference(pd.Index(ids))
    if len(lacking):
        raise DataValidationError(
            f"{len(lacking):,} of the log's {len(log_ids):,} customers have no row in {where} "
            f"({_shown(lacking)}); add a row for each (or leave customer_attributes empty "
            "to study the log without attributes)"
        )
    rows = raw.assign(**{customer_id: ids}).set_index(customer_id)
    extra = int((~rows.index.isin(by_text.index)).sum())
    rows = rows.loc[by_text.index, wanted]
    rows.index = log_ids
    empty = rows.isna()
    if empty.any().any():
        col = empty.any().idxmax()
        missing = rows.index[empty[col]]
        raise DataValidationError(
            f"{where}: {len(missing):,} customer(s) have no value of {col!r} ({_shown(missing)}); "
            "fill them or leave the column out with attribute_columns"
        )
    notes = [f"{extra:,} customer(s) of {file.name} not in the log are left out."] if extra else []
    out, labels = {}, {}
    for col in wanted:
        values = rows[col].str.strip()
        if values.nunique() < 2:
            notes.append(f"{col!r} takes one value ({values.iloc[0]}) for every customer: dropped.")
            continue
        labels[col] = values
        number = _numeric(values)
        if number is not None:
            out[col] = number
            continue
        counts = values.value_counts().sort_index(kind="stable")
        if len(counts) > MAX_LEVELS:
            raise DataValidationError(
                f"{where}: the text column {col!r} has {len(counts)} levels (more than "
                f"{MAX_LEVELS}); group its levels or leave it out with attribute_columns"
            )
        reference = counts.idxmax()  # the most frequent; ties: the first in sorted order
        for level in counts.index.drop(reference):
            out[f"{col}={level}"] = (values == level).astype(float)
        notes.append(
            f"{col!r} is text: one 0/1 column per level, measured against {reference!r} "
            "(its most frequent level)."
        )
    if not out:
        raise DataValidationError(f"{where}: no attribute column varies across the customers")
    frame = pd.DataFrame(out, index=log_ids)
    return CustomerAttributes(frame, tuple(frame.columns), pd.DataFrame(labels), tuple(notes))


def with_attributes(summary: pd.DataFrame, attributes: CustomerAttributes) -> pd.DataFrame:
    """``summary`` with the covariate columns of ``attributes`` (the models read them from it).

    Raises DataValidationError when a customer of ``summary`` has no attributes
    or a column name is taken.
    """
    taken = [c for c in attributes.columns if c in summary.columns]
    if taken:
        raise DataValidationError(
            f"the attribute column(s) {taken} are already columns of the summary; rename them"
        )
    lacking = summary.index.difference(attributes.frame.index)
    if len(lacking):
        raise DataValidationError(
            f"{len(lacking):,} customer(s) of the summary have no attributes ({_shown(lacking)})"
        )
    return summary.join(attributes.frame)


def _period_dates(start: pd.Timestamp, end: pd.Timestamp, time_unit: str) -> pd.DatetimeIndex:
    if time_unit == "M":
        return pd.date_range(start, end, freq="MS")
    return pd.date_range(start, end, freq=pd.Timedelta(days=unit_days(time_unit)))


def load_calendar(
    path: str | Path,
    *,
    time_unit: str = "W",
    start=None,
    end=None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a calendar of covariates: one row per period of ``time_unit``, from its first column's date.

    Parameters
    ----------
    path : str or Path
        A CSV file whose first column is each period's first day (YYYY-MM-DD)
        and whose other columns are numeric covariates (e.g. ``high_season``, 0/1).
    time_unit : {"D", "W", "M"}
        The period: consecutive rows must be one period apart (a month: each
        row the first of a month).
    start, end : date-like, optional
        The days the calendar must cover (the log's first purchase and the
        observation end): the first period must start on or before ``start``
        and the last must contain ``end``.
    columns : sequence of str, optional
        The covariates to use; default every column but the first.

    Returns
    -------
    DataFrame
        Index ``period_start`` (DatetimeIndex, one period apart), one float column per covariate.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataValidationError
        Dates that do not read, a date twice, rows not one period apart (a gap,
        or another period), a missing or non-numeric value, no covariate, or a
        calendar that does not cover ``start`` to ``end``.
    """
    file = attribute_path(path)
    raw = pd.read_csv(file, dtype=str)
    where = f"the calendar {file.name}"
    if raw.shape[1] < 2:
        raise DataValidationError(
            f"{where} needs a period-start column and at least one covariate column"
        )
    first = raw.columns[0]
    wanted = list(raw.columns[1:]) if columns is None else list(columns)
    absent = [c for c in wanted if c not in raw.columns[1:]]
    if absent or not wanted:
        raise DataValidationError(
            f"{where} lacks the covariate column(s) {absent or wanted}; its columns: "
            f"{list(raw.columns)}"
        )
    starts = pd.to_datetime(raw[first], format="%Y-%m-%d", errors="coerce")
    if starts.isna().any():
        bad = raw.loc[starts.isna(), first]
        raise DataValidationError(
            f"{where}: {len(bad)} value(s) of {first!r} are not dates written YYYY-MM-DD "
            f"({_shown(bad)})"
        )
    if starts.duplicated().any():
        raise DataValidationError(
            f"{where} lists the period(s) {_shown(starts[starts.duplicated()].dt.date)} twice"
        )
    starts = starts.sort_values()
    expected = _period_dates(starts.iloc[0], starts.iloc[-1], time_unit)
    if not pd.DatetimeIndex(starts).equals(expected):
        missing = expected.difference(pd.DatetimeIndex(starts))
        odd = pd.DatetimeIndex(starts).difference(expected)
        raise DataValidationError(
            f"{where} is not one row per period of {time_unit!r} from {starts.iloc[0].date()}: "
            + (f"missing {len(missing)} period(s) ({_shown(missing.date)})" if len(missing) else "")
            + ("; " if len(missing) and len(odd) else "")
            + (f"{len(odd)} row(s) off the periods ({_shown(odd.date)})" if len(odd) else "")
            + "; give every period once (its first day), in the models' time unit"
        )
    frame = raw.loc[starts.index, wanted].apply(pd.to_numeric, errors="coerce")
    frame.index = pd.DatetimeIndex(starts, name="period_start")
    if frame.isna().any().any():
        col = frame.isna().any().idxmax()
        raise DataValidationError(
            f"{where}: {int(frame[col].isna().sum())} value(s) of {col!r} are missing or not "
            f"numbers (periods {_shown(frame.index[frame[col].isna()].date)})"
        )
    last_end = _period_dates(frame.index[-1], frame.index[-1] + pd.DateOffset(months=2), time_unit)
    covered_to = last_end[1] - pd.Timedelta(days=1)
    if start is not None and frame.index[0] > pd.Timestamp(start).normalize():
        raise DataValidationError(
            f"{where} starts {frame.index[0].date()}, after the log's first purchase "
            f"({pd.Timestamp(start).date()}): add the periods before"
        )
    if end is not None and covered_to < pd.Timestamp(end).normalize():
        raise DataValidationError(
            f"{where} ends {covered_to.date()}, before the observation end "
            f"({pd.Timestamp(end).date()}): add the periods up to it"
        )
    return frame.astype(float)
