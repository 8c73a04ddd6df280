"""The registry of summary engines, consulted by :func:`analysis.rfm.summarize` and
:func:`analysis.data.load_transactions`.

An engine is a name, a function that summarises a log and, optionally, a
function that reads a log file into pandas. :mod:`analysis.engines` registers
the built-in ones (``pandas``, ``duckdb``, ``spark``); another is one
module with those functions and one :func:`register` line.

Calling conventions
-------------------
``summarize(transactions, *, time_unit, observation_end, calibration_end,
customer_id, date, amount, stacklevel)`` returns the summary of
:func:`analysis.rfm.summarize` (which passes every argument by keyword).
``stacklevel`` is that of the warnings the engine raises, counted from the
engine function (1 is the engine function, 2 its caller, ...). An engine
whose function also takes ``compress`` (a list of summary columns) returns
the compressed summary itself (distinct rows and their ``weight``, as
:func:`analysis.rfm.compress` gives); it is passed only when the user asks
for compression, and other engines' summaries are compressed afterwards.

``read(path, *, customer_id, **read_kwargs)`` returns the file's rows as a
DataFrame (all columns, file order, ``RangeIndex``), the customer id kept as
stored text for CSV; :func:`analysis.data.load_transactions` validates it.
An engine registered without ``read`` reads files with the pandas reader of
:func:`analysis.data.load_transactions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

__all__ = ["Engine", "get", "names", "register", "unregister"]

SummarizeFn = Callable[..., pd.DataFrame]
ReadFn = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class Engine:
    """A registered engine.

    Attributes
    ----------
    name : str
        What users pass as ``engine=``.
    summarize : callable
        The engine's summary function (see the module's calling conventions).
    read : callable or None
        The engine's file reader; None to read files with pandas.
    """

    name: str
    summarize: SummarizeFn
    read: ReadFn | None = None


_ENGINES: dict[str, Engine] = {}


def register(
    name: str, summarize_fn: SummarizeFn, read_fn: ReadFn | None = None, *, replace: bool = False
) -> Engine:
    """Make an engine available as ``engine=name``.

    Parameters
    ----------
    name : str
        The engine's name.
    summarize_fn : callable
        Summarises a log (see the module's calling conventions).
    read_fn : callable, optional
        Reads a log file into pandas for :func:`analysis.data.load_transactions`;
        None to use the pandas reader.
    replace : bool
        Allow replacing an engine already registered under ``name`` (it keeps
        its place in :func:`names`).

    Returns
    -------
    Engine
        The registered entry.

    Raises
    ------
    ValueError
        When ``name`` is taken and ``replace`` is False, or is not a non-empty string.
    TypeError
        When ``summarize_fn`` or ``read_fn`` is not callable.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"an engine's name must be a non-empty string, got {name!r}")
    if not callable(summarize_fn):
        raise TypeError(f"summarize_fn of engine {name!r} must be callable")
    if read_fn is not None and not callable(read_fn):
        raise TypeError(f"read_fn of engine {name!r} must be callable or None")
    if name in _ENGINES and not replace:
        raise ValueError(f"an engine named {name!r} is already registered; pass replace=True")
    engine = Engine(name, summarize_fn, read_fn)
    _ENGINES[name] = engine
    return engine


def unregister(name: str) -> Engine:
    """Remove a registered engine and return its entry (see :func:`get` for the error)."""
    engine = get(name)
    del _ENGINES[name]
    return engine


def get(name: str) -> Engine:
    """The engine registered as ``name``.

    Raises
    ------
    ValueError
        ``engine must be one of (...), got ...``, listing the registered names.
    """
    try:
        return _ENGINES[name]
    except (KeyError, TypeError):
        raise ValueError(f"engine must be one of {names()}, got {name!r}") from None


def names() -> tuple[str, ...]:
    """Names of the registered engines, in registration order."""
    return tuple(_ENGINES)
