"""How a problem in a user's log is reported: the error and warning types and where the rows are.

Every message names the column, the rows (as file lines when the log was read
from a file, otherwise as index labels; at most :data:`MAX_SHOWN` of them)
and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = [
    "MAX_SHOWN",
    "DataValidationError",
    "DataQualityWarning",
    "NotComputable",
    "where_rows",
    "example_values",
    "at_line",
]

MAX_SHOWN = 5


class DataValidationError(ValueError):
    """A transaction log that cannot be analysed as it is; the message says why and what to do."""


class NotComputable(ValueError):
    """A section's precondition fails on this log (one cohort, no spread in spend, an empty stage).

    The message says what could not be computed and why, in words a report can
    show as they are; :func:`analysis.readings.attempt` turns it into a
    sentence so the study goes on.
    """


class DataQualityWarning(UserWarning):
    """Something in the log was kept or dropped by a documented policy; the message says which rows."""


def where_rows(labels: Sequence, source: str | None, line_offset: int | None) -> str:
    """Describe rows as file lines (when read from a file) or index labels, showing at most a few.

    Parameters
    ----------
    labels : sequence
        Index labels of the rows (0-based positions for a file read with a
        ``RangeIndex``); only the first :data:`MAX_SHOWN` are shown, the rest counted.
    source : str or None
        The file's name, appended as ``of <source>``.
    line_offset : int or None
        Added to a label to give its file line (2 for a CSV with a header);
        None to show index labels as ``rows ...``.

    Returns
    -------
    str
        E.g. ``"lines 3, 5 of log.csv"`` or ``"rows 'r1', 'r4'"``.
    """
    labels = list(labels)
    shown = labels[:MAX_SHOWN]
    if line_offset is not None:
        text = "lines " + ", ".join(str(int(i) + line_offset) for i in shown)
    else:
        text = "rows " + ", ".join(repr(i) for i in shown)
    if len(labels) > MAX_SHOWN:
        text += f", ... ({len(labels) - MAX_SHOWN} more)"
    if source:
        text += f" of {source}"
    return text


def example_values(series: pd.Series, labels: Sequence, line_offset: int | None) -> str:
    """The first few values of ``series`` at ``labels``, each with its line or row."""
    return "; ".join(
        f"{at_line(label, line_offset)}: {series.loc[label]!r}"
        for label in list(labels)[:MAX_SHOWN]
    )


def at_line(label, line_offset: int | None) -> str:
    """One row as a file line (when read from a file) or an index label."""
    return f"line {int(label) + line_offset}" if line_offset is not None else f"row {label!r}"
