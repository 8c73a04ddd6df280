"""What the modules of :mod:`analysis.lifecycle` share: the stage codes, the stages-frame check, and a memory release.

A stage is stored as its position in :data:`analysis.units.STAGES` (the
codes of an ordered categorical); -1 marks a cell outside a customer's
history.
"""

from __future__ import annotations

import ctypes

import pandas as pd

from ..units import STAGES
from ..validate import require_columns

__all__ = [
    "EXPLORATION",
    "FORMATION",
    "STABILITY",
    "DECLINE",
    "STAGES",
    "require_stages",
    "release_freed_memory",
]

#: the code of each stage: its position in STAGES
EXPLORATION, FORMATION, STABILITY, DECLINE = range(len(STAGES))


def require_stages(stages: pd.DataFrame) -> None:
    """Raise DataValidationError unless ``stages`` has ``customer_id``, ``period`` and ``stage``."""
    require_columns(stages, {"customer_id": "customer_id", "period": "period", "stage": "stage"})


def release_freed_memory() -> None:
    """Give the memory that worker threads freed back to the system (glibc's ``malloc_trim``).

    glibc keeps what a thread frees in that thread's arena, resident: after the
    stage model's threaded blocks at 1M customers about 300 MiB, which the long
    frame built next would sit on top of. A no-op without glibc.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
