"""What the modules of :mod:`analysis.lifecycle` share: the stage codes, and the stages-frame check.

A stage is stored as its position in :data:`analysis.units.STAGES` (the
codes of an ordered categorical); -1 marks a cell outside a customer's
history.
"""

from __future__ import annotations

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
]

#: the code of each stage: its position in STAGES
EXPLORATION, FORMATION, STABILITY, DECLINE = range(len(STAGES))


def require_stages(stages: pd.DataFrame) -> None:
    """Raise DataValidationError unless ``stages`` has ``customer_id``, ``period`` and ``stage``."""
    require_columns(stages, {"customer_id": "customer_id", "period": "period", "stage": "stage"})
