"""The study's dates, settled once before any kernel starts.

The parameters themselves are declared and checked in :mod:`analysis.report.schema`.
:func:`resolve_time_frame` loads the log once and settles the study's dates:
those left empty are taken from the log (:func:`analysis.dates.time_frame`),
so that every notebook gets the same values, and a date outside the log is
refused before any kernel starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import schema
from .schema import ParameterError, check_parameters

if TYPE_CHECKING:
    from .provenance import DatasetFacts

__all__ = ["ParameterError", "ResolvedFrame", "check_parameters", "resolve_time_frame"]


class ResolvedFrame(NamedTuple):
    """The run's parameters with the study's dates settled (:func:`resolve_time_frame`).

    Attributes
    ----------
    parameters : dict
        The checked parameters, with the dates taken from the log added.
    from_data : tuple of str
        The names of the dates taken from the log (the provenance marks them).
    facts : DatasetFacts or None
        What the log loaded holds (None: no notebook run loads a log).
    key : tuple of str
        The loading options the log was loaded with (:func:`provenance.loading_key`).
    """

    parameters: dict[str, Any]
    from_data: tuple[str, ...]
    facts: DatasetFacts | None
    key: tuple[str, ...]


def resolve_time_frame(notebooks: Sequence[Path], parameters: Mapping[str, Any]) -> ResolvedFrame:
    """Load the log once and settle the study's dates before any notebook runs.

    The dates (:data:`analysis.dates.FRAME_PARAMETERS`) that the run leaves
    empty are taken from the log by :data:`analysis.dates.FRAME_RULE` and
    added to the parameters, so that every notebook gets the same values;
    the dates given are checked against the log's span.

    Parameters
    ----------
    notebooks : sequence of Path
        The study's notebooks: only the dates one of them reads are added.
    parameters : mapping
        The checked parameters (:func:`check_parameters`).

    Returns
    -------
    ResolvedFrame
        When the log cannot be loaded, the parameters unchanged (each
        notebook then reports the loading problem itself).

    Raises
    ------
    ParameterError
        A date outside the log, not before ``observation_end``, or that
        cannot be taken from a log too short: the parameter, its value, the
        log's span and what to do.
    """
    from .. import dates
    from .provenance import load_log, loading_key

    parameters = dict(parameters)
    read = {name for nb in notebooks for name in schema.used_by(Path(nb).stem)}
    frame = [name for name in dates.FRAME_PARAMETERS if name in read]
    if "dataset" not in read or not frame:
        return ResolvedFrame(parameters, (), None, ())
    values = {
        name: parameters.get(name, schema.PARAMETERS[name].default) for name in schema.PARAMETERS
    }
    log, facts = load_log(values)
    key = loading_key(values)
    if log is None or log.empty:
        return ResolvedFrame(parameters, (), facts, key)
    try:
        resolved = dates.time_frame(log, **{name: values[name] for name in dates.FRAME_PARAMETERS})
    except dates.TimeFrameError as exc:
        raise ParameterError(list(exc.problems)) from None
    except ValueError as exc:
        raise ParameterError([str(exc)]) from None
    from_data = tuple(name for name in resolved.from_data if name in frame)
    parameters.update({name: getattr(resolved, name) for name in from_data})
    return ResolvedFrame(parameters, from_data, facts, key)
