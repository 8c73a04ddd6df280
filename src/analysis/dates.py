"""Reading the date column of a user's log: one format for the whole column, ambiguity said aloud.

Text dates in day/month order are read with one format for every row: the
order that reads every value when only one does; month-first with a
:class:`~analysis.errors.DataQualityWarning` naming both readings of an
example when both do and they differ (give ``date_format`` or ``dayfirst``
to settle it); an error listing the lines when neither does. ISO dates,
datetime columns and an explicit ``date_format`` are never ambiguous.

The study's dates (``observation_end``, ``calibration_end``, ``plan_end``)
are settled here too: :func:`time_frame` checks those given against the
log's span and takes the empty ones from the log by :data:`FRAME_RULE`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .errors import DataQualityWarning, DataValidationError, at_line, example_values, where_rows

__all__ = [
    "FRAME_PARAMETERS",
    "FRAME_RULE",
    "TimeFrame",
    "TimeFrameError",
    "frame_rule",
    "parse_dates",
    "read_dates",
    "time_frame",
]


_TWO_DIGIT_YEAR = re.compile(r"^(\s*\d{1,2}([/.\-])\d{1,2}\2)(\d{2})(?!\d)(.*)$")
_SAMPLE = 50


def _day_text(value: pd.Timestamp) -> str:
    """A timestamp as ``YYYY-MM-DD``, with the time only when it is not midnight."""
    return str(value.date()) if value == value.normalize() else str(value)


def _guess_format(text: str) -> str | None:
    """The ``strftime`` format pandas infers from one date string, read month-first.

    Two-digit years (``03/04/97``), which pandas does not guess, are guessed on
    the same text with a four-digit year and given back with ``%y``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fmt = guess_datetime_format(text, dayfirst=False)
        if fmt is None:
            match = _TWO_DIGIT_YEAR.match(text)
            if match is not None:
                long_year = guess_datetime_format(
                    match.group(1) + "2000" + match.group(4), dayfirst=False
                )
                if long_year is not None and long_year.count("%Y") == 1:
                    fmt = long_year.replace("%Y", "%y")
    return fmt


def _day_month_orders(fmt: str) -> tuple[str, str] | None:
    """The month-first and day-first versions of a format whose day and month precede the year.

    Returns None for formats that cannot be misread that way: year first (ISO),
    month names, or no day, month or year field.
    """
    day, month = fmt.find("%d"), fmt.find("%m")
    year = max(fmt.find("%Y"), fmt.find("%y"))
    if day < 0 or month < 0 or year < max(day, month):
        return None
    swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return (fmt, swapped) if month < day else (swapped, fmt)


def _unreadable(
    values: pd.Series,
    bad: pd.Series,
    column: str,
    source: str | None,
    line_offset: int | None,
    advice: str,
) -> DataValidationError:
    """The error for dates that could not be read: count, first values, where, and ``advice``."""
    labels = values.index[bad.to_numpy()]
    return DataValidationError(
        f"column {column!r}: {int(bad.sum())} value(s) could not be read as dates "
        f"({example_values(values, labels, line_offset)}; {where_rows(labels, source, line_offset)}). {advice}"
    )


def _naive(parsed: pd.Series) -> pd.Series:
    """Dates as ``datetime64[ns]`` without timezone (local wall-clock time is kept)."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _to_datetime(raw: pd.Series, fmt: str | None, dayfirst: bool = False) -> pd.Series:
    """``pd.to_datetime`` with ``errors="coerce"``: values that do not read become NaT."""
    with warnings.catch_warnings():
        # pandas warns when it falls back to per-element parsing; failures are reported by the caller.
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(raw, format=fmt, dayfirst=dayfirst, errors="coerce")


def read_dates(
    values: pd.Series,
    column: str,
    date_format: str | None,
    dayfirst: bool | None,
    source: str | None,
    line_offset: int | None,
) -> tuple[pd.Series, str | None, str | None]:
    """Parse a date column; return the dates, the format used and an ambiguity warning (or None)."""
    if dayfirst is not None and not isinstance(dayfirst, (bool, np.bool_)):
        raise ValueError(f"dayfirst must be True, False or None, got {dayfirst!r}")
    if pd.api.types.is_datetime64_any_dtype(values):
        return _naive(values), None, None

    raw = values
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        whole = raw.notna().all() and bool(np.all(np.mod(raw.to_numpy(dtype=float), 1) == 0))
        if date_format is not None or (
            whole and len(raw) and _guess_format(str(int(raw.iloc[0]))) == "%Y%m%d"
        ):
            # e.g. CDNOW's 19970101 read as an integer
            raw = raw.astype("Int64").astype(str)
            date_format = date_format or "%Y%m%d"

    if date_format is not None:
        parsed = _to_datetime(raw, date_format)
        bad = parsed.isna()
        if bad.any():
            raise _unreadable(
                values,
                bad,
                column,
                source,
                line_offset,
                f"Fix or remove those rows; the format {date_format!r} did not match.",
            )
        return _naive(parsed), date_format, None

    fmt, inferred = None, ""
    if pd.api.types.infer_dtype(raw, skipna=True) == "string":
        for label, text in raw.dropna().head(_SAMPLE).items():
            fmt = _guess_format(text)
            if fmt is not None:
                inferred = f"inferred from {text!r} ({at_line(label, line_offset)})"
                break
    generic = "pass date_format= (for example '%Y%m%d' or '%d/%m/%Y') if the format is unusual"
    if fmt is None:
        # No format to infer: pandas reads value by value.
        parsed = _to_datetime(raw, None, dayfirst=bool(dayfirst))
        bad = parsed.isna()
        if bad.any():
            raise _unreadable(
                values, bad, column, source, line_offset, f"Fix or remove those rows; {generic}."
            )
        return _naive(parsed), None, None

    orders = _day_month_orders(fmt)
    if orders is None:
        parsed = _to_datetime(raw, fmt)
        bad = parsed.isna()
        if bad.any():
            raise _unreadable(
                values,
                bad,
                column,
                source,
                line_offset,
                f"The dates were read with the format {fmt!r}, {inferred}. Fix or remove those rows; {generic}.",
            )
        return _naive(parsed), fmt, None

    month_first, day_first = orders
    readings = {
        "month-first": (month_first, _to_datetime(raw, month_first)),
        "day-first": (day_first, _to_datetime(raw, day_first)),
    }
    bad = {name: parsed.isna() for name, (_, parsed) in readings.items()}

    if dayfirst is not None:
        name, other = ("day-first", "month-first") if dayfirst else ("month-first", "day-first")
        used, parsed = readings[name]
        if bad[name].any():
            advice = f"They were read {name} ({used!r}) as dayfirst={bool(dayfirst)} asks."
            if not (bad[name] & bad[other]).any():
                advice += f" All of them read validly {other}: pass dayfirst={not dayfirst} if the file writes them so."
            raise _unreadable(
                values,
                bad[name],
                column,
                source,
                line_offset,
                advice + " Fix or remove those rows.",
            )
        return _naive(parsed), used, None

    fits = [name for name in readings if not bad[name].any()]
    if len(fits) == 2:
        used, parsed = readings["month-first"]
        differ = parsed != readings["day-first"][1]
        if not differ.any():
            return _naive(parsed), used, None
        example = int(np.flatnonzero(differ.to_numpy())[0])
        message = (
            f"column {column!r}: the dates are ambiguous: every value reads both month-first and "
            f"day-first, e.g. {raw.iloc[example]!r} ({at_line(values.index[example], line_offset)}"
            f"{f' of {source}' if source else ''}) is {_day_text(parsed.iloc[example])} read month-first, "
            f"{_day_text(readings['day-first'][1].iloc[example])} read day-first; {int(differ.sum())} of "
            f"{len(raw)} value(s) differ. They were read month-first ({used!r}). If the file writes "
            f"the day first, pass date_format={day_first!r} or dayfirst=True; pass dayfirst=False "
            f"(or date_format={month_first!r}) to confirm month-first and silence this warning."
        )
        return _naive(parsed), used, message
    if len(fits) == 1:
        used, parsed = readings[fits[0]]
        return _naive(parsed), used, None

    # Neither order reads every value: report the reading that fails least.
    best, other = sorted(readings, key=lambda name: int(bad[name].sum()))
    if not (bad[best] & ~bad[other]).any():
        raise _unreadable(
            values,
            bad[best],
            column,
            source,
            line_offset,
            f"The dates were read {best} ({readings[best][0]!r}), the day/month order that "
            f"reads the most values. Fix or remove those rows; {generic}.",
        )
    labels = {name: values.index[bad[name].to_numpy()] for name in readings}
    raise DataValidationError(
        f"column {column!r}: no single day/month order reads every date. Read month-first "
        f"({month_first!r}), {len(labels['month-first'])} value(s) could not be read as dates "
        f"({example_values(values, labels['month-first'], line_offset)}; "
        f"{where_rows(labels['month-first'], source, line_offset)}); read day-first ({day_first!r}), "
        f"{len(labels['day-first'])} value(s) could not ({example_values(values, labels['day-first'], line_offset)}; "
        f"{where_rows(labels['day-first'], source, line_offset)}). The column seems to mix both orders: "
        "fix those rows so that all dates are written the same way, or remove them."
    )


def parse_dates(
    values: pd.Series,
    column: str,
    date_format: str | None = None,
    source: str | None = None,
    line_offset: int | None = None,
    dayfirst: bool | None = None,
) -> pd.Series:
    """Parse a date column with one format for every value; raise with the rows that fail.

    Parameters
    ----------
    values : Series
        The raw date column (text, numbers such as ``19970101``, or datetimes).
    column : str
        The column's name in the user's log, for messages.
    date_format : str, optional
        ``strftime`` format of every value; inferred from the first values when None.
    source : str, optional
        Name of the file, for messages.
    line_offset : int, optional
        Add this to a row's position to get its file line; when None, messages
        show index labels.
    dayfirst : bool, optional
        For text dates ordered ``dd/mm/yyyy`` or ``mm/dd/yyyy``: True reads the
        day first, False the month first. When None the one order that reads
        every value is used; if both do and they disagree, month-first is used
        with a :class:`DataQualityWarning`. Ignored when ``date_format`` is
        given, and for ISO dates and datetime columns.

    Returns
    -------
    Series
        ``datetime64[ns]`` dates, timezone dropped, same index as ``values``.

    Raises
    ------
    DataValidationError
        When some values cannot be read (count, first values and their lines),
        including a column mixing day-first and month-first dates.

    Warns
    -----
    DataQualityWarning
        When day-first and month-first both read every value differently.
    """
    parsed, _, ambiguity = read_dates(values, column, date_format, dayfirst, source, line_offset)
    if ambiguity is not None:
        warnings.warn(ambiguity, DataQualityWarning, stacklevel=2)
    return parsed


# --------------------------------------------------------------------------- the study's time frame

#: the study's dates that default to the log's (empty value: from the data), in time order
FRAME_PARAMETERS = ("calibration_end", "plan_end", "observation_end")
#: a log at least this many days long gets month ends; shorter, whole weeks; shorter still, days
MONTHS_FROM_DAYS = 183
WEEKS_FROM_DAYS = 28
#: the rule, as the reports and the README state it (on CDNOW, 1997-01-01 to 1998-06-30, it
#: gives the papers' frame: calibration to 1997-09-30, plan at 1997-12-31, observation to
#: 1998-06-30; the text names no dataset, since every report shows it)
FRAME_RULE = (
    "observation_end is the last purchase date; calibration_end splits the log in two halves "
    "(the month end nearest the middle of the span from the first purchase to observation_end, "
    "so the holdout is as long as the calibration); plan_end is a third "
    "of the way through the holdout (the nearest month end). A log shorter than six months is "
    "split in whole weeks counted back from its last day (the holdout half the span, at least "
    "two weeks), one shorter than four weeks in days."
)


class TimeFrameError(ValueError):
    """Dates of the study that the log cannot take; ``problems`` has one sentence per date.

    Parameters
    ----------
    problems : list of str
        Each names the parameter, its value, the log's span and what to do.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class TimeFrame:
    """The study's dates on one log, as ``YYYY-MM-DD`` text.

    Attributes
    ----------
    first, last : str
        The log's first and last purchase days.
    observation_end, calibration_end, plan_end : str or None
        The dates; None for a date that was not asked for.
    from_data : tuple of str
        The dates that were empty and were taken from the log by :data:`FRAME_RULE`.
    """

    first: str
    last: str
    observation_end: str | None
    calibration_end: str | None
    plan_end: str | None
    from_data: tuple[str, ...]

    def values(self) -> dict[str, str]:
        """The dates asked for, by parameter name."""
        return {
            name: getattr(self, name)
            for name in FRAME_PARAMETERS
            if getattr(self, name) is not None
        }


def _day(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def _text(day: pd.Timestamp) -> str:
    return day.strftime("%Y-%m-%d")


def _nearest(grid: pd.DatetimeIndex, target: pd.Timestamp, low, high) -> pd.Timestamp | None:
    """The point of ``grid`` nearest ``target`` with ``low <= point < high`` (ties: the earlier)."""
    inside = grid[(grid >= low) & (grid < high)]
    if len(inside) == 0:
        return None
    distance = np.abs((inside - target).total_seconds().to_numpy())
    return inside[int(np.argmin(distance))]


def _grid(first: pd.Timestamp, end: pd.Timestamp, days: int) -> tuple[pd.DatetimeIndex, int]:
    """The days the rule may choose from: month ends, or whole weeks (days) counted back from ``end``."""
    if days >= MONTHS_FROM_DAYS:
        return pd.date_range(first, end, freq="ME"), 0
    step = 7 if days >= WEEKS_FROM_DAYS else 1
    return pd.DatetimeIndex([end - pd.Timedelta(days=k) for k in range(0, days + 1, step)]), step


def frame_rule(first, end, calibration_end=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``calibration_end`` and ``plan_end`` by :data:`FRAME_RULE` for purchases from ``first`` to ``end``.

    Parameters
    ----------
    first, end : date-like
        The first purchase day and the last day of the span split (the
        observation end, or the last purchase when that is earlier).
    calibration_end : date-like, optional
        A calibration end already chosen: only ``plan_end`` is placed, a third
        of the way from it to ``end``.

    Returns
    -------
    (Timestamp, Timestamp)
        ``first <= calibration_end < plan_end < end``.

    Raises
    ------
    ValueError
        When the span is shorter than two days (or no day is left between
        the calibration end and ``end``): no calibration day, plan day and
        holdout day fit in it.
    """
    first, end = _day(first), _day(end)
    days = (end - first).days
    too_short = (
        f"the log runs from {_text(first)} to {_text(end)} ({days + 1} day(s)): too short to "
        "split into a calibration period, a plan and a holdout"
    )
    if days < 2:
        raise ValueError(too_short)
    grid, step = _grid(first, end, days)
    if calibration_end is not None:
        calibration = _day(calibration_end)
    elif step == 0:
        calibration = _nearest(grid, first + (end - first) / 2, first, end)
    else:
        holdout = max(2, int(np.floor(days / (2 * step) + 0.5))) * step
        calibration = end - pd.Timedelta(days=min(holdout, days - days % step))
    target = calibration + (end - calibration) / 3
    after = calibration + pd.Timedelta(days=1)
    plan = _nearest(grid, target, after, end)
    if plan is None:  # a given calibration end close to the end: the nearest whole day
        plan = _nearest(pd.date_range(after, end), target, after, end)
    if calibration is None:
        raise ValueError(too_short)
    if plan is None:
        raise ValueError(
            f"no day is left between calibration_end {_text(calibration)} and {_text(end)}"
        )
    return calibration, plan


def _dates(transactions) -> pd.Series:
    dates = transactions["date"] if isinstance(transactions, pd.DataFrame) else transactions
    dates = pd.to_datetime(pd.Series(dates)).dropna()
    if dates.empty:
        raise ValueError("the log has no purchase dates: the study's dates cannot be taken from it")
    return dates


def time_frame(
    transactions,
    observation_end: str | None = "",
    calibration_end: str | None = None,
    plan_end: str | None = None,
) -> TimeFrame:
    """The study's dates on a log: the values given, checked, and the empty ones from the data.

    Each date is a notebook parameter: text ``YYYY-MM-DD``; empty (``""``)
    takes it from the log by :data:`FRAME_RULE`; None leaves it out (a
    notebook without that parameter).

    Parameters
    ----------
    transactions : DataFrame or Series
        The loaded log (its ``date`` column) or its dates.
    observation_end, calibration_end, plan_end : str or None
        As in the notebooks' parameters cells.

    Returns
    -------
    TimeFrame
        The dates, with the log's span and which dates came from the data.

    Raises
    ------
    TimeFrameError
        When a given date falls outside the log (``observation_end`` before
        the first purchase; ``calibration_end`` or ``plan_end`` before the
        first purchase or on or after the last), is not before
        ``observation_end``, or is not a date; one sentence per date, with
        the log's span and what to do.
    ValueError
        When a date must come from the data and the log spans less than two days.
    """
    dates = _dates(transactions)
    first, last = _day(dates.min()), _day(dates.max())
    span = f"the log runs from {_text(first)} to {_text(last)}"
    empty = "leave it empty to take it from the data"
    asked = {
        "observation_end": observation_end,
        "calibration_end": calibration_end,
        "plan_end": plan_end,
    }
    given: dict[str, pd.Timestamp] = {}
    problems = []
    for name, value in asked.items():
        if value is None or str(value).strip() == "":
            continue
        try:
            given[name] = _day(str(value).strip())
        except (ValueError, TypeError):
            problems.append(f"{name}: {value!r} is not a date; write it as YYYY-MM-DD, or {empty}")
    end = given.get("observation_end", last)
    if end < first:
        problems.append(
            f"observation_end {_text(end)} is before the first purchase: {span}; give a day in "
            f"that span (or later), or {empty} ({_text(last)})"
        )
    for name in ("calibration_end", "plan_end"):
        if name not in given:
            continue
        day, what = given[name], name.split("_")[0]
        if day < first or day >= last:
            where = "before the first purchase" if day < first else "on or after the last purchase"
            problems.append(
                f"{name} {_text(day)} is {where}: {span}; give a day from {_text(first)} to the "
                f"day before {_text(last)} so that the {what} period and what follows it both "
                f"hold purchases, or {empty}"
            )
        elif day >= end:
            problems.append(
                f"{name} {_text(day)} must be before observation_end {_text(end)} ({span}); give "
                f"an earlier day, or {empty}"
            )
    if problems:
        raise TimeFrameError(problems)
    resolved = {name: _text(day) for name, day in given.items()}
    from_data = tuple(
        name for name in FRAME_PARAMETERS if asked[name] is not None and name not in given
    )
    if "observation_end" in from_data:
        resolved["observation_end"] = _text(last)
    if {"calibration_end", "plan_end"} & set(from_data):
        try:
            calibration, plan = frame_rule(first, min(end, last), given.get("calibration_end"))
        except ValueError as exc:
            wanted = " and ".join(n for n in from_data if n != "observation_end")
            raise TimeFrameError(
                [f"{wanted} cannot be taken from the data: {exc}; give {wanted} as YYYY-MM-DD"]
            ) from None
        resolved.setdefault("calibration_end", _text(calibration))
        resolved.setdefault("plan_end", _text(plan))
    return TimeFrame(
        first=_text(first),
        last=_text(last),
        observation_end=resolved["observation_end"]
        if asked["observation_end"] is not None
        else None,
        calibration_end=resolved["calibration_end"]
        if asked["calibration_end"] is not None
        else None,
        plan_end=resolved["plan_end"] if asked["plan_end"] is not None else None,
        from_data=from_data,
    )
