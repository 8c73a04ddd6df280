"""The 2 x 2 matrices: value (current x potential), loyalty x profitability, and cost.

Each matrix crosses two axes, each split into ``high`` and ``low`` at a cut
point (a value equal to the cut is ``low``), and names the four cells by a
documented table keyed ``(first axis level, second axis level)`` that a
caller can replace.

- :data:`VALUE_MATRIX` -- Chen Mingliang and Li Huaizu (2001), customer
  value segmentation: current value against potential value.
- :data:`LOYALTY_PROFITABILITY` -- Reinartz and Kumar (2002), "The
  mismanagement of customer loyalty": loyalty against profitability.
- :data:`COST_MATRIX` -- the seeds' cost matrix: the cost of acquiring
  (获取/猎取成本) against the cost of retaining (维持成本) a customer.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..units import P_ALIVE_EVEN
from ._common import HIGH, LOW, check_matrix, numeric, quadrants, resolve_cut

__all__ = [
    "VALUE_MATRIX",
    "LOYALTY_PROFITABILITY",
    "LOYALTY_CUTS",
    "UNMEASURED_REGULARITY",
    "COST_MATRIX",
    "value_matrix",
    "loyalty_profitability",
    "cost_matrix",
]

#: Chen & Li (2001), keyed (current value, potential value):
#: high/high -- the most important customers, keep them first (retain);
#: low current, high potential -- develop; high current, low potential --
#: maintain; low/low -- reduce what is spent on them.
VALUE_MATRIX: dict[tuple[str, str], str] = {
    (HIGH, HIGH): "retain",
    (LOW, HIGH): "develop",
    (HIGH, LOW): "maintain",
    (LOW, LOW): "reduce",
}

#: Reinartz & Kumar (2002), keyed (loyalty, profitability): true friends are
#: loyal and profitable, butterflies profitable but not loyal, barnacles loyal
#: but not profitable, strangers neither.
LOYALTY_PROFITABILITY: dict[tuple[str, str], str] = {
    (HIGH, HIGH): "true friends",
    (LOW, HIGH): "butterflies",
    (HIGH, LOW): "barnacles",
    (LOW, LOW): "strangers",
}

#: default cuts of :func:`loyalty_profitability`, with the reason for each
LOYALTY_CUTS: dict[str, tuple[float | str, str]] = {
    "p_alive_cut": (
        P_ALIVE_EVEN,
        "loyal needs P(alive) above one half: the customer is more likely active than gone",
    ),
    "cv_cut": (
        1.0,
        "regular means a coefficient of variation of the gaps between purchases at most 1, "
        "the value of purchases at random (exponential gaps of a Poisson buyer): no more "
        "irregular than chance",
    ),
    "profit_cut": (
        "median",
        "profitable means above the median of the base, as the loyalty-profitability grid "
        "compares customers with each other (with no costs every CLV is positive, so zero "
        "would call everyone profitable)",
    ),
}

#: how customers without a measured regularity (interpurchase_cv NaN: fewer
#: than two repeat purchases) are treated by :func:`loyalty_profitability`
UNMEASURED_REGULARITY: dict[str, str] = {
    "not loyal": "not loyal: loyalty is a record of repeated buying, which they do not have "
    "yet (the default; a one-time buyer's P(alive) is high only because it has not had time "
    "to lapse)",
    "p_alive": "judged on P(alive) alone",
}

#: the seeds' cost matrix, keyed (acquisition cost, retention cost). The two
#: mixed cells are fixed by their names: low acquisition + high retention cost
#: is easy to win but hard to keep, high acquisition + low retention cost easy
#: to keep but hard to win. For the other two the seed (客户细分治理) is explicit:
#: high retention and high acquisition cost are loyal customers (忠诚客户) --
#: hard to win from a competitor and worth the spending that keeps them --,
#: low retention and low acquisition cost casual customers (随意客户), who come
#: and go at little cost either way.
COST_MATRIX: dict[tuple[str, str], str] = {
    (HIGH, HIGH): "loyal",
    (LOW, LOW): "casual",
    (LOW, HIGH): "easy to win, hard to keep",
    (HIGH, LOW): "easy to keep, hard to win",
}


def _pair(cut, name: str) -> tuple:
    if isinstance(cut, tuple | list):
        if len(cut) != 2:
            raise ValueError(f"{name} must be 'median', a number or a pair of them, got {cut!r}")
        return tuple(cut)
    return (cut, cut)


def value_matrix(
    table: pd.DataFrame,
    *,
    current: str = "current_value",
    potential: str = "potential_value",
    cut: float | str | tuple = "median",
    matrix: Mapping[tuple[str, str], str] = VALUE_MATRIX,
) -> pd.Series:
    """Place every customer in the value matrix: retain, develop, maintain or reduce.

    Parameters
    ----------
    table : DataFrame
        The customer table, one row per customer.
    current, potential : str
        Current value (margin of the last 365 days) and potential value
        (expected future margin net of costs), in currency.
    cut : "median", float or pair
        Where each axis splits into high and low: ``"median"`` (of that axis
        over all customers; the default) or a number, or a pair
        ``(current cut, potential cut)`` of them. A value equal to the cut is low.
    matrix : mapping
        Label per ``(current level, potential level)``; default :data:`VALUE_MATRIX`.

    Returns
    -------
    Series
        Named ``value_matrix``, indexed like ``table``, ordered Categorical
        over the labels of ``matrix`` (in its order).
    """
    matrix = check_matrix(matrix, "matrix")
    cut_c, cut_p = _pair(cut, "cut")
    cur = numeric(table, current, "value_matrix")
    pot = numeric(table, potential, "value_matrix")
    cur_high = cur > resolve_cut(cur, cut_c, "cut (current)")
    pot_high = pot > resolve_cut(pot, cut_p, "cut (potential)")
    return quadrants(cur_high, pot_high, matrix, "value_matrix")


def loyalty_profitability(
    table: pd.DataFrame,
    *,
    p_alive: str = "p_alive",
    regularity: str | None = "interpurchase_cv",
    profit: str = "clv_net",
    p_alive_cut: float = LOYALTY_CUTS["p_alive_cut"][0],
    cv_cut: float = LOYALTY_CUTS["cv_cut"][0],
    profit_cut: float | str = LOYALTY_CUTS["profit_cut"][0],
    unmeasured: str = "not loyal",
    matrix: Mapping[tuple[str, str], str] = LOYALTY_PROFITABILITY,
) -> pd.Series:
    """Reinartz and Kumar's grid: true friends, butterflies, barnacles and strangers.

    Parameters
    ----------
    table : DataFrame
        The customer table, one row per customer.
    p_alive : str
        Probability that the customer is still active (0 to 1).
    regularity : str or None
        Coefficient of variation of the days between purchases (lower is more
        regular); None to judge loyalty on ``p_alive`` alone.
    profit : str
        Profitability, in currency: ``clv_net`` by default, or e.g.
        ``current_value`` for profitability to date.
    p_alive_cut, cv_cut, profit_cut
        Defaults and reasons in :data:`LOYALTY_CUTS`. ``profit_cut`` may be
        ``"median"`` (over all customers) or a number.
    unmeasured : {"not loyal", "p_alive"}
        Customers whose regularity is NaN (fewer than two repeat purchases):
        see :data:`UNMEASURED_REGULARITY`.
    matrix : mapping
        Label per ``(loyalty level, profitability level)``; default
        :data:`LOYALTY_PROFITABILITY`.

    Returns
    -------
    Series
        Named ``loyalty_profitability``, indexed like ``table``, ordered
        Categorical over the labels of ``matrix``.

    Notes
    -----
    Loyal: ``p_alive > p_alive_cut`` and ``regularity <= cv_cut`` (a value
    equal to a cut falls with the smaller numbers: P(alive) of exactly one
    half is not loyal, a CV of exactly 1 is regular). Profitable:
    ``profit > profit_cut``.
    """
    matrix = check_matrix(matrix, "matrix")
    if unmeasured not in UNMEASURED_REGULARITY:
        raise ValueError(
            f"unmeasured must be one of {list(UNMEASURED_REGULARITY)}, got {unmeasured!r}"
        )
    alive = numeric(table, p_alive, "loyalty_profitability")
    loyal = alive > float(p_alive_cut)
    if regularity is not None:
        cv = numeric(table, regularity, "loyalty_profitability", allow_nan=True)
        regular = cv <= float(cv_cut)
        if unmeasured == "p_alive":
            regular = regular | cv.isna()
        loyal = loyal & regular
    value = numeric(table, profit, "loyalty_profitability")
    profitable = value > resolve_cut(value, profit_cut, "profit_cut")
    return quadrants(loyal, profitable, matrix, "loyalty_profitability")


def cost_matrix(
    table: pd.DataFrame,
    *,
    acquisition: str = "acquisition_cost",
    retention: str = "retention_cost",
    cut: float | str | tuple = "median",
    matrix: Mapping[tuple[str, str], str] = COST_MATRIX,
) -> pd.Series:
    """The cost matrix: loyal, casual, easy to win but hard to keep, easy to keep but hard to win.

    Parameters
    ----------
    table : DataFrame
        The customer table built *with cost data*
        (``customer_table(..., costs=...)``), one row per customer.
    acquisition, retention : str
        Cost of acquiring the customer and of retaining it per year, in currency.
    cut : "median", float or pair
        Where each axis splits into high and low: ``"median"`` (of the known
        costs; the default), a number, or a pair ``(acquisition cut,
        retention cut)``. A cost equal to the cut is low.
    matrix : mapping
        Label per ``(acquisition level, retention level)``; default
        :data:`COST_MATRIX` (the mapping and its source are documented there).

    Returns
    -------
    Series
        Named ``cost_matrix``, indexed like ``table``, ordered Categorical
        over the labels of ``matrix``; NaN for a customer missing either cost
        (no cost is invented).

    Raises
    ------
    ValueError
        When the table has no cost data (the cost columns absent, as in a
        table built without ``costs``): the segment is not computed rather
        than computed on invented costs.
    """
    matrix = check_matrix(matrix, "matrix")
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"cost_matrix takes the customer table, got {type(table).__name__}")
    missing = [c for c in (acquisition, retention) if c not in table.columns]
    if missing:
        what = f"this customer table has no cost data: no column(s) {missing}"
        raise ValueError(
            f"cost_matrix needs each customer's acquisition and retention cost, and {what}. "
            "Build the table with customer_table(transactions, costs=costs), costs a DataFrame "
            "indexed by customer_id with 'acquisition_cost' (once) and 'retention_cost' (per "
            "year), or pass acquisition=/retention= naming your own columns. The segment is "
            "not computed on invented costs."
        )
    acq = numeric(table, acquisition, "cost_matrix", allow_nan=True)
    ret = numeric(table, retention, "cost_matrix", allow_nan=True)
    if np.isinf(acq.to_numpy()).any() or np.isinf(ret.to_numpy()).any():
        raise ValueError("cost_matrix: the cost columns must be finite (NaN marks a missing cost)")
    known = acq.notna() & ret.notna()
    cut_a, cut_r = _pair(cut, "cut")
    acq_high = acq > resolve_cut(acq[known], cut_a, "cut (acquisition)")
    ret_high = ret > resolve_cut(ret[known], cut_r, "cut (retention)")
    return quadrants(acq_high, ret_high, matrix, "cost_matrix", known=known)
