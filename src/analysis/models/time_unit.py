"""A model's time unit: a keyword of the constructor or of ``fit``, or the summary's ``attrs``.

:class:`TimeUnitMixin` gives a model a ``time_unit`` (a keyword of the
constructor or of ``fit``; failing both, the ``attrs["time_unit"]`` that
:func:`analysis.rfm.summarize` writes on its summary) and converts a yearly
discount rate into the model's period with :mod:`analysis.units`.
"""

from __future__ import annotations

import pandas as pd

from ..units import unit_days
from ..validate import DataValidationError

__all__ = ["TimeUnitMixin"]


class TimeUnitMixin:
    """A model that knows the time unit of its data and parameters.

    Put it before the model base class (``class M(TimeUnitMixin, BaseModel)``).
    The unit is an argument: the constructor's ``time_unit`` or ``fit``'s;
    only when neither is given is it taken from the data's
    ``attrs["time_unit"]`` (which :func:`analysis.rfm.summarize` writes, but
    which ``concat`` and ``merge`` may drop). Any two that are given must agree.
    """

    time_unit: str | None

    def __init__(self, penalizer: float = 0.0, time_unit: str | None = None):
        """Create an unfitted model.

        Parameters
        ----------
        penalizer : float
            L2 penalty on the parameters (0 = maximum likelihood, as in the papers).
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            The unit of the data's times and so of the parameters; may also be
            given to ``fit``.
        """
        super().__init__(penalizer=penalizer)  # type: ignore[call-arg]
        if time_unit is not None:
            unit_days(time_unit)
        self._declared_time_unit = time_unit
        self.time_unit = time_unit

    def fit(self, data, *args, time_unit: str | None = None, **kwargs):
        """Estimate the parameters (see :meth:`BaseModel.fit`) and record the data's time unit.

        Parameters
        ----------
        data : DataFrame
            The per-customer summary.
        time_unit : {"D", "W", "M", "Q", "Y"}, optional
            The unit of ``data``'s times. By default the constructor's; else
            ``data.attrs["time_unit"]`` when present.
        *args, **kwargs
            Passed to :meth:`BaseModel.fit`.
        """
        given = {
            "the constructor's time_unit": self._declared_time_unit,
            "fit's time_unit": time_unit,
            "data.attrs['time_unit']": (
                data.attrs.get("time_unit") if isinstance(data, pd.DataFrame) else None
            ),
        }
        given = {source: unit for source, unit in given.items() if unit is not None}
        for unit in given.values():
            unit_days(unit)
        if len(set(given.values())) > 1:
            shown = ", ".join(f"{source}={unit!r}" for source, unit in given.items())
            raise DataValidationError(
                f"{type(self).__name__}: the time units disagree ({shown}); the parameters "
                "take the data's unit, so give the unit of the data's times."
            )
        unit = next(iter(given.values()), None)
        fitted = super().fit(data, *args, **kwargs)  # type: ignore[misc]
        self.time_unit = unit
        return fitted

    def resolve_time_unit(self, time_unit: str | None = None) -> str:
        """``time_unit`` if given, else the model's own, with a clear error when neither is known.

        Parameters
        ----------
        time_unit : str, optional
            An explicit unit ("D", "W", "M", "Q", "Y") that overrides the model's.

        Returns
        -------
        str
        """
        unit = self.time_unit if time_unit is None else time_unit
        if unit is None:
            raise ValueError(
                f"{type(self).__name__} does not know its time unit: fit it on a summary from "
                "analysis.rfm.summarize (which records it), create it with time_unit=..., or "
                "pass time_unit=... here."
            )
        unit_days(unit)
        return unit
