"""Study parameters: read, converted to their declared types and checked before any kernel starts.

Every notebook declares its parameters in one cell tagged ``parameters``
(papermill); :func:`check_parameters` reads those declarations and checks a
set of values against them, listing every problem at once
(:class:`ParameterError`). See :mod:`analysis.report` for the rules.
:func:`resolve_time_frame` then loads the log once and settles the study's
dates: those left empty are taken from the log
(:func:`analysis.dates.time_frame`), so that every notebook gets the same
values, and a date outside the log is refused before any kernel starts.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import config

if TYPE_CHECKING:
    import pandas as pd

    from .provenance import DatasetFacts

__all__ = [
    "ParameterError",
    "ResolvedFrame",
    "check_parameters",
    "parse_value",
    "resolve_time_frame",
]

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")


class ParameterError(ValueError):
    """Study parameters that cannot be used; ``problems`` lists every one of them.

    Parameters
    ----------
    problems : list of str
        One sentence per problem: the parameter, the value, what is expected.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) with the parameters; no notebook was run:\n{lines}"
        )


def _literal(text: str | None) -> Any:
    """The Python value of a declared default (its source text); None when it is not a literal."""
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def _coerce(name: str, value: Any, type_name: str, default: str | None) -> Any:
    """Convert one parameter value to its declared type, or raise ValueError saying why it cannot.

    Text (from the command line) is read as the type; values already of the
    type (from Python callers) pass unchanged.
    """
    example = f" (default {default})" if default else ""
    refused = f"{name}: {value!r} is not a valid {type_name}{example}"
    text = value.strip() if isinstance(value, str) else None
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in TRUE_WORDS + FALSE_WORDS:
            return text.lower() in TRUE_WORDS
        raise ValueError(f"{refused}; write true or false")
    if type_name == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        raise ValueError(f"{refused}; write a whole number such as 7")
    if type_name == "float":
        number: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif text is not None:
            try:
                number = float(text)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            raise ValueError(f"{refused}; write a number such as 0.25")
        return number
    if type_name == "str":
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if not isinstance(value, str):
            raise ValueError(f"{refused}; give it as text")
        parsed = parse_value(value)
        return parsed if isinstance(parsed, str) else value  # '"W"' -> W, but 123 stays "123"
    # No annotation and no literal default to infer a type from: JSON literal or text.
    return parse_value(value) if isinstance(value, str) else value


def _is_date_parameter(name: str, default: Any) -> bool:
    """Dates are the ``*_end`` parameters and any parameter whose default is an ISO date."""
    return name.endswith("_end") or (isinstance(default, str) and bool(ISO_DATE.match(default)))


def _parse_date(text: str) -> pd.Timestamp | None:
    """A :class:`pandas.Timestamp` for a date written as text; None when it does not read as one."""
    import pandas as pd

    if not ISO_DATE.match(text.strip()[:10]):
        return None  # 30/09/1997 could be read two ways: only year-month-day is taken
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp


def check_parameters(
    notebooks: Sequence[Path], parameters: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Check and convert the study parameters before any notebook runs.

    Parameters
    ----------
    notebooks : sequence of Path
        The notebooks that will run; their ``parameters`` cells declare the
        names, types (from the annotations) and defaults.
    parameters : mapping
        Name to value; text values (from the command line) are converted to
        the declared type.

    Returns
    -------
    dict
        The parameters converted to their declared types.

    Raises
    ------
    ParameterError
        Listing every problem: names no notebook declares, values that do not
        read as the declared type, dates that are not dates (or empty where
        the notebook does not allow it), a calibration end not before the
        observation end, ``returns``/``duplicates`` outside their policies,
        and a ``dataset`` that is neither built in nor an existing file.
    """
    import papermill as pm

    from .. import data, validate

    parameters = dict(parameters or {})
    declared = {nb: pm.inspect_notebook(str(nb)) for nb in notebooks}
    known = sorted({name for names in declared.values() for name in names})
    problems: list[str] = []

    def refuse(problem: str) -> None:
        if problem not in problems:  # the same problem found in several notebooks is told once
            problems.append(problem)

    unknown = sorted(set(parameters) - set(known))
    if unknown:
        ran = ", ".join(nb.stem for nb in notebooks)
        close = sorted({m for name in unknown for m in difflib.get_close_matches(name, known, n=2)})
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        refuse(f"no notebook has parameter(s) {unknown}{hint}; known: {known} (notebooks: {ran})")
    checked: dict[str, Any] = {}
    for name, value in parameters.items():
        if name in unknown:
            continue
        info = next(d[name] for d in declared.values() if name in d)
        try:
            checked[name] = _coerce(name, value, info["inferred_type_name"], info["default"])
        except ValueError as exc:
            refuse(str(exc))

    for nb, names in declared.items():
        values: dict[str, Any] = {}
        for name, info in names.items():
            if name in checked:
                values[name] = checked[name]
            elif name not in parameters:  # a value that did not convert is already refused
                values[name] = _literal(info["default"])
        dates: dict[str, Any] = {}
        for name, value in values.items():
            info = names[name]
            default = _literal(info["default"])
            if not _is_date_parameter(name, default) or not isinstance(value, str):
                continue
            if not value.strip():
                if default != "" and "empty" not in (info.get("help") or "").lower():
                    refuse(
                        f"{name}: {nb.name} needs a date here (default {info['default']}), not an empty value"
                    )
                continue
            stamp = _parse_date(value)
            if stamp is None:
                refuse(f"{name}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30")
            else:
                dates[name] = stamp
        if "calibration_end" in dates and "observation_end" in dates:
            if dates["calibration_end"] >= dates["observation_end"]:
                refuse(
                    f"calibration_end ({values['calibration_end']}) must be before "
                    f"observation_end ({values['observation_end']}): the holdout runs between them"
                )
        policies = {
            "returns": validate.RETURNS_POLICIES,
            "duplicates": validate.DUPLICATES_POLICIES,
        }
        for name, allowed in policies.items():
            if name in values and values[name] not in allowed:
                refuse(f"{name}: {values[name]!r} is not one of {', '.join(allowed)}")
        dataset = values.get("dataset")
        if isinstance(dataset, str) and dataset not in data.BUILTIN_DATASETS:
            path = Path(dataset)
            if not path.is_absolute():
                path = config.PROJECT_ROOT / path
            if not path.is_file():
                refuse(
                    f"dataset: {dataset!r} is neither a built-in dataset "
                    f"({', '.join(data.BUILTIN_DATASETS)}) nor a file (looked for {path})"
                )
    if problems:
        raise ParameterError(problems)
    return checked


class ResolvedFrame(NamedTuple):
    """The run's parameters with the study's dates settled (:func:`resolve_time_frame`).

    Attributes
    ----------
    parameters : dict
        The checked parameters, with the dates taken from the log added.
    from_data : tuple of str
        The names of the dates taken from the log (the provenance marks them).
    facts : DatasetFacts or None
        What the log loaded holds (None: no notebook loads a log with dates).
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
    every date a notebook will use (the run's or its declared default) is
    checked against the log's span.

    Parameters
    ----------
    notebooks : sequence of Path
        The study's notebooks (their ``parameters`` cells).
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
        A date outside the log (``observation_end`` before the first
        purchase; ``calibration_end`` or ``plan_end`` not within it), not
        before ``observation_end``, or that cannot be taken from a log too
        short: the parameter, its value, the log's span and what to do.
    """
    import papermill as pm

    from .. import dates
    from .provenance import load_log, loading_key

    parameters = dict(parameters)
    frame = dates.FRAME_PARAMETERS
    effective: dict[Path, dict[str, Any]] = {}
    for nb in notebooks:
        declared = pm.inspect_notebook(str(nb))
        if "dataset" not in declared or not set(frame) & set(declared):
            continue
        effective[nb] = {
            name: parameters[name] if name in parameters else _literal(info["default"])
            for name, info in declared.items()
        }
    if not effective:
        return ResolvedFrame(parameters, (), None, ())
    first = next(iter(effective.values()))
    log, facts = load_log(first)
    key = loading_key(first)
    if log is None or log.empty:
        return ResolvedFrame(parameters, (), facts, key)
    problems: list[str] = []

    def refuse(problem: str) -> None:
        if problem not in problems:
            problems.append(problem)

    # the run's value of each date: given, or the notebooks' common default
    run: dict[str, str] = {}
    for name in frame:
        values = {str(v[name]) for v in effective.values() if isinstance(v.get(name), str)}
        if name in parameters and isinstance(parameters[name], str):
            run[name] = parameters[name]
        elif len(values) == 1:
            run[name] = values.pop()
    from_data: tuple[str, ...] = ()
    if any(not value.strip() for value in run.values()):
        try:
            resolved = dates.time_frame(log, **{name: run.get(name) for name in frame})
        except ValueError:
            pass  # the same problems are found again below, notebook by notebook
        else:
            from_data = resolved.from_data
            parameters.update({name: getattr(resolved, name) for name in from_data})
    for nb, values in effective.items():
        if loading_key(values) != key:
            continue  # loads the log otherwise: it checks its dates itself
        asked = {
            name: (parameters[name] if name in from_data else values[name])
            if isinstance(values.get(name), str)
            else None
            for name in frame
        }
        try:
            dates.time_frame(log, **asked)
        except dates.TimeFrameError as exc:
            for problem in exc.problems:
                name = problem.split()[0].rstrip(":")
                default = bool(str(asked.get(name) or "").strip()) and name not in parameters
                refuse(f"{problem} (the default of {nb.name})" if default else problem)
        except ValueError as exc:
            refuse(str(exc))
    if problems:
        raise ParameterError(problems)
    return ResolvedFrame(parameters, from_data, facts, key)


def parse_value(text: str) -> Any:
    """Command-line parameter values: JSON literals when they parse, strings otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
