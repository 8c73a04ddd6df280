"""The project's shared vocabulary: time units, discount-rate conversions and the stage names.

Every module that turns a period into days, a yearly discount rate into a
rate per period, or names a lifecycle stage takes it from here, so the
conventions are written once (and the P(alive) cut-offs every report reads):

- A time unit is one of :data:`TIME_UNITS` (``D`` 1 day, ``W`` 7, ``M``
  365.25 / 12, ``Q`` 365.25 / 4, ``Y`` 365.25): a month is a twelfth of the
  average Gregorian year, not a calendar month, so every unit is a fixed
  number of days.
- A discount rate given per year (the firm's cost of capital, e.g. 0.10)
  is *effective*: a dollar a year from now is worth ``1 / (1 + r)``. Per
  period it is ``(1 + r) ** (days / 365.25) - 1`` (:func:`per_period_rate`);
  as a continuously compounded rate per period, ``log(1 + r) * days /
  365.25`` (:func:`continuous_rate`). The two describe the same discounting.
"""

from __future__ import annotations

import math

__all__ = [
    "DAYS_PER_YEAR",
    "DAYS_PER_MONTH",
    "TIME_UNITS",
    "STAGES",
    "P_ALIVE_GONE",
    "P_ALIVE_EVEN",
    "P_ALIVE_LIKELY",
    "P_ALIVE_SURE",
    "unit_days",
    "units_per_year",
    "per_period_rate",
    "continuous_rate",
    "to_continuous",
    "to_discrete",
]

#: days in the average Gregorian year
DAYS_PER_YEAR: float = 365.25
#: days in a twelfth of that year
DAYS_PER_MONTH: float = DAYS_PER_YEAR / 12.0

#: length of each time unit in days
TIME_UNITS: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": DAYS_PER_MONTH,
    "Q": DAYS_PER_YEAR / 4.0,
    "Y": DAYS_PER_YEAR,
}

#: the four stages of the customer relationship lifecycle, in their natural order
STAGES: tuple[str, ...] = ("exploration", "formation", "stability", "decline")

# The P(alive) cut-offs, one definition each (probabilities that a customer is still active).
#: below it the customer is probably gone: the lifecycle rules' ``p_alive_min`` (decline)
#: and the lowest band of :func:`analysis.lifecycle.p_alive_bands`
P_ALIVE_GONE: float = 0.3
#: even odds: below it the customer is more likely gone than active (the early
#: warning's ``low_p_alive``); above it loyal in the loyalty-profitability grid
P_ALIVE_EVEN: float = 0.5
#: above it the customer is likely active: the top band of :func:`analysis.lifecycle.p_alive_bands`
P_ALIVE_LIKELY: float = 0.7
#: at or above it the model holds the customer almost surely active (the early-warning
#: reading counts the flagged customers it still sees so)
P_ALIVE_SURE: float = 0.9


def unit_days(time_unit: str) -> float:
    """Length of ``time_unit`` in days, with a clear error for unknown units."""
    try:
        return TIME_UNITS[time_unit]
    except (KeyError, TypeError):
        raise ValueError(
            f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}"
        ) from None


def units_per_year(time_unit: str) -> float:
    """How many ``time_unit`` periods make a year (52.18 weeks, 12 months, ...)."""
    return DAYS_PER_YEAR / unit_days(time_unit)


def _check_rate(rate: float, name: str) -> float:
    rate = float(rate)
    if not math.isfinite(rate) or rate <= -1.0:
        raise ValueError(f"{name} must be a finite rate above -1 (e.g. 0.10), got {rate!r}")
    return rate


def per_period_rate(annual_discount_rate: float, time_unit: str) -> float:
    """The effective discount rate per ``time_unit`` equivalent to a yearly one.

    ``(1 + annual) ** (days in the unit / 365.25) - 1``: 10% a year is 0.797%
    a month and 0.183% a week.
    """
    annual = _check_rate(annual_discount_rate, "annual_discount_rate")
    return (1.0 + annual) ** (unit_days(time_unit) / DAYS_PER_YEAR) - 1.0


def continuous_rate(annual_discount_rate: float, time_unit: str) -> float:
    """The continuously compounded rate per ``time_unit`` equivalent to a yearly effective one.

    ``log(1 + annual) * days in the unit / 365.25``: the ``delta`` of
    ``exp(-delta t)`` discounting in the continuous-time models (BG/NBD,
    Pareto/NBD DERT).
    """
    annual = _check_rate(annual_discount_rate, "annual_discount_rate")
    return math.log1p(annual) * unit_days(time_unit) / DAYS_PER_YEAR


def to_continuous(rate: float) -> float:
    """An effective rate per period as the continuously compounded one, ``log(1 + rate)``."""
    return math.log1p(_check_rate(rate, "rate"))


def to_discrete(delta: float) -> float:
    """A continuously compounded rate per period as the effective one, ``exp(delta) - 1``."""
    return math.expm1(float(delta))
