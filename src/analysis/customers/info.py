"""Where a customer table's numbers come from, as an explicit value beside the table.

:class:`TableInfo` records the fitted models, the settings and the value
basis of one customer table; :class:`Valuation` pairs the table with it and
is what :func:`analysis.customers.value_customers` returns. Code that needs
the table's provenance (the observation end, the models, the horizon, the
margin, whether costs were given) takes a :class:`TableInfo` argument
instead of reading ``DataFrame.attrs``, which pandas documents as
experimental and which ``concat`` and ``merge`` drop when they differ.

:meth:`TableInfo.to_dict` and :meth:`TableInfo.from_dict` give the JSON-safe
dict that the export writes into ``customers.json`` and the Parquet metadata
(:mod:`analysis.customers_io`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd

from ..models import model_from_dict

__all__ = ["TableInfo", "Valuation"]

#: the fields read back as Timestamps by :meth:`TableInfo.from_dict`
_DATES = ("observation_end", "calibration_end")


@dataclass(frozen=True)
class TableInfo:
    """The provenance of a customer table: its models, settings and value basis.

    Attributes
    ----------
    model : str
        The chosen count model's name (``"BG/NBD"``, ...).
    model_note : str
        Why that model, and any boundary fit, in a sentence or two.
    model_choice : tuple of dict
        One record per candidate count model (the choice table's rows; NaN as None).
    count_model, spend_model : dict, dict or None
        The fitted models as :func:`analysis.models.model_to_dict` records
        (``spend_model`` None when the spend is not modelled).
    calibration_end : Timestamp or None
        The end of the choice's calibration period (None: no holdout step).
    interval : float or None
        The level of the per-customer intervals (None: no interval columns).
    time_unit, period : str
        Unit of ``recency``, ``T`` and the models' parameters; period of the stages.
    observation_end : Timestamp
        The last day observed.
    horizon_years, annual_discount_rate, margin : float
        CLV horizon in years, yearly discount rate, profit margin (1 for a log valued in purchases).
    has_costs : bool
        Whether a costs table was joined.
    value : str
        Where the value comes from: ``"amounts"``, ``"fixed"`` or ``"purchases"``.
    value_unit : str
        ``"currency"`` or ``"purchases"``.
    """

    model: str
    model_note: str
    model_choice: tuple
    count_model: dict
    spend_model: dict | None
    calibration_end: pd.Timestamp | None
    interval: float | None
    time_unit: str
    period: str
    observation_end: pd.Timestamp
    horizon_years: float
    annual_discount_rate: float
    margin: float
    has_costs: bool
    value: str
    value_unit: str

    def fitted_count_model(self):
        """The fitted count model, rebuilt from its record."""
        return model_from_dict(self.count_model)

    def fitted_spend_model(self):
        """The fitted spend model rebuilt from its record, or None."""
        return None if self.spend_model is None else model_from_dict(self.spend_model)

    def to_dict(self) -> dict:
        """The fields as a JSON-safe dict (dates as ISO text, NaN as None, tuples as lists)."""
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in _DATES:
                value = None if value is None else pd.Timestamp(value).isoformat()
            elif field.name == "model_choice":
                value = [{str(k): _plain(v) for k, v in row.items()} for row in value]
            out[field.name] = value
        return out

    def to_attrs(self) -> dict:
        """The fields as the ``attrs`` dict a customer table used to carry (dates as Timestamps)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["model_choice"] = [dict(row) for row in self.model_choice]
        return out

    @classmethod
    def from_dict(cls, record: dict) -> TableInfo:
        """A :class:`TableInfo` from :meth:`to_dict`'s dict (or an older export's ``attrs``).

        Raises
        ------
        ValueError
            When a field is missing (unknown keys are ignored).
        """
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [n for n in names if n not in record]
        if missing:
            raise ValueError(f"a customer table's record lacks {missing}; export the table again")
        values = {n: record[n] for n in names}
        for name in _DATES:
            given = values[name]
            values[name] = None if given is None or given is False else pd.Timestamp(given)
        values["model_choice"] = tuple(dict(row) for row in values["model_choice"] or ())
        for name in ("horizon_years", "annual_discount_rate", "margin"):
            values[name] = float(values[name])
        if values["interval"] is not None:
            values["interval"] = float(values["interval"])
        values["has_costs"] = bool(values["has_costs"])
        return cls(**values)


def _plain(value):
    """A NumPy scalar as a Python one, NaN as None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class Valuation:
    """A customer table and its provenance (:func:`analysis.customers.value_customers`).

    Attributes
    ----------
    table : DataFrame
        One row per customer (:func:`analysis.customers.customer_table`'s columns).
    info : TableInfo
        The models, settings and value basis the table was computed with.
    """

    table: pd.DataFrame
    info: TableInfo

    def __iter__(self):
        """``table, info = valuation``."""
        return iter((self.table, self.info))
