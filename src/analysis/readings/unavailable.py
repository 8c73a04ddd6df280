"""Sections that degrade to a sentence: what could not be computed on this log, and why.

A report section whose precondition fails on the loaded log (a single
acquisition cohort, no spread in spend, an empty stage, too few repeat
buyers, a singular test) must not stop the study. The notebooks call the
section's function through :func:`attempt`; when it raises one of
:data:`EXPECTED` the result is a :class:`Skipped`, which displays as one
sentence, and later cells test it with :func:`skipped` and say so instead of
failing on a missing name. Any other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataValidationError, NotComputable
from ..models.convergence import ConvergenceError

__all__ = ["EXPECTED", "Skipped", "attempt", "skipped", "unavailable"]

#: the exceptions that mean "this log does not meet the section's precondition"
EXPECTED: tuple[type[BaseException], ...] = (
    NotComputable,
    ConvergenceError,  # DegenerateDataError included
    DataValidationError,
    np.linalg.LinAlgError,
)


def unavailable(what: str, why: str) -> str:
    """One Markdown sentence: ``what`` could not be computed on this log, because ``why``."""
    why = str(why).strip().rstrip(".")
    return f"**Not computed on this log: {what}.** {why[:1].upper() + why[1:]}."


@dataclass(frozen=True)
class Skipped:
    """The result of a section that could not be computed; shows as one sentence."""

    what: str
    why: str

    def __str__(self) -> str:
        return unavailable(self.what, self.why)

    def _repr_markdown_(self) -> str:
        return str(self)

    def __bool__(self) -> bool:  # a skipped result is falsy, so `if result:` reads naturally
        return False


def attempt(what: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or a :class:`Skipped` naming ``what`` when its precondition fails.

    Parameters
    ----------
    what : str
        What the section computes, as the reader would name it ("the log-rank
        test between first-purchase cohorts").
    fn : callable
        The section's function.

    Returns
    -------
    The function's result, or :class:`Skipped` when it raised one of :data:`EXPECTED`.
    """
    try:
        return fn(*args, **kwargs)
    except EXPECTED as exc:
        return Skipped(what, str(exc).strip() or type(exc).__name__)


def skipped(*results: Any) -> bool:
    """True when any of ``results`` is a :class:`Skipped` (a section that could not be computed)."""
    return any(isinstance(r, Skipped) for r in results)
