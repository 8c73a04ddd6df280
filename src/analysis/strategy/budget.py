"""What the loss list is worth spending, per playbook cell, and the holdout group that tests it.

:func:`budget_by_cell` sums the loss list (:func:`analysis.churn.loss_list`)
over the playbook's stage x tier cells (:func:`~analysis.strategy.decision_columns`):
per cell the customers flagged, their expected loss and their break-even
spend, and the cell's investment priority. The ``budget`` column follows
the priority: the break-even spend in the ``invest`` and ``maintain`` cells,
nothing in the ``reduce`` and ``exit`` cells, where the playbook spends no
more than standard service (or nothing) to keep a customer.

The break-even spend rests on an assumed save rate; :func:`holdout_split`
draws the randomised holdout group that measures it: the flagged customers
of the holdout are not contacted, and the next check
(:func:`~analysis.strategy.check`) compares them with the contacted ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError, where_rows
from .crm import PLAYBOOK_CELLS, decision_columns

__all__ = ["BUDGET_COLUMNS", "SPENDING_PRIORITIES", "budget_by_cell", "holdout_split"]

#: the columns of :func:`budget_by_cell`
BUDGET_COLUMNS: tuple[str, ...] = (
    "investment_priority",
    "customers",
    "expected_loss",
    "expected_loss_low",
    "expected_loss_high",
    "break_even_spend",
    "budget",
    "share_of_budget",
)

#: the priorities whose cells get a retention budget (the others spend nothing extra)
SPENDING_PRIORITIES: tuple[str, ...] = ("invest", "maintain")


def budget_by_cell(loss: pd.DataFrame, decisions: pd.DataFrame, **settings) -> pd.DataFrame:
    """The loss list summed per playbook cell, with the cell's priority and budget; a total row.

    Parameters
    ----------
    loss : DataFrame
        :func:`analysis.churn.loss_list` (``expected_loss``,
        ``break_even_spend`` and, optionally, ``expected_loss_low``/``_high``).
    decisions : DataFrame
        :func:`~analysis.strategy.decision_columns` (``playbook_cell``,
        ``investment_priority``), or the customer table itself, whose
        decision columns are then computed with ``settings``.
    **settings
        Keyword arguments of :func:`~analysis.strategy.decision_columns`
        (``playbook``, ``tier_shares``, ...), used only when ``decisions`` is
        the customer table.

    Returns
    -------
    DataFrame
        Index ``playbook_cell`` (the cells with a flagged customer, in the
        playbook's order, then ``total``); columns :data:`BUDGET_COLUMNS`:
        ``customers`` (flagged), ``expected_loss`` (with its interval
        bounds, NaN without), ``break_even_spend`` (sums), ``budget`` (the
        break-even spend where the priority is in
        :data:`SPENDING_PRIORITIES`, else 0) and ``share_of_budget``.
    """
    if "playbook_cell" not in decisions.columns:
        decisions = decision_columns(decisions, **settings)
    missing = loss.index.difference(decisions.index)
    if len(missing):
        raise DataValidationError(
            f"{len(missing)} customer(s) of the loss list have no playbook cell "
            f"({where_rows(missing, None, None)}); pass the decision columns of the same table"
        )
    cells = decisions["playbook_cell"].reindex(loss.index).astype(str)
    priority = decisions["investment_priority"].reindex(loss.index).astype(str)
    frame = pd.DataFrame(
        {
            "cell": cells,
            "priority": priority,
            "expected_loss": loss["expected_loss"].astype(float),
            "expected_loss_low": loss.get("expected_loss_low", np.nan),
            "expected_loss_high": loss.get("expected_loss_high", np.nan),
            "break_even_spend": loss["break_even_spend"].astype(float),
        },
        index=loss.index,
    )
    grouped = frame.groupby("cell", sort=False)
    sums = grouped[["expected_loss", "expected_loss_low", "expected_loss_high", "break_even_spend"]]
    out = sums.sum(min_count=1)
    out["customers"] = grouped.size()
    out["investment_priority"] = grouped["priority"].first()
    order = [c for c in PLAYBOOK_CELLS if c in out.index]
    order += [c for c in out.index if c not in order]
    out = out.reindex(order)
    spends = out["investment_priority"].isin(SPENDING_PRIORITIES).to_numpy()
    out["budget"] = np.where(spends, out["break_even_spend"], 0.0)
    total = {c: out[c].sum() for c in ("customers", "expected_loss", "break_even_spend", "budget")}
    for col in ("expected_loss_low", "expected_loss_high"):
        total[col] = out[col].sum(min_count=1)
    out = pd.concat([out, pd.DataFrame(total, index=["total"]).assign(investment_priority="")])
    whole = float(out.loc["total", "budget"])
    out["share_of_budget"] = out["budget"] / whole if whole > 0 else np.nan
    out["customers"] = out["customers"].astype(np.int64)
    out.index.name = "playbook_cell"
    out = out[list(BUDGET_COLUMNS)]
    out.attrs = {
        "save_rate": loss.attrs.get("save_rate"),
        "save_rate_range": loss.attrs.get("save_rate_range"),
        "spending_priorities": SPENDING_PRIORITIES,
    }
    return out


def holdout_split(ids, share: float = 0.1, seed: int = 0) -> pd.Series:
    """A randomised holdout group: ``round(share x n)`` of the customers, drawn reproducibly.

    The customers are sorted before the draw, so the same ids, share and
    seed give the same group whatever their order.

    Parameters
    ----------
    ids : index-like
        The customers the plan would act on (e.g. the loss list's index).
    share : float
        The share held out, in (0, 1).
    seed : int
        The seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    Series of bool
        ``holdout`` indexed by the sorted ids: True for a customer held out
        (not contacted), False for one treated.
    """
    if not 0.0 < float(share) < 1.0:
        raise ValueError(f"share must be in (0, 1) (a share of the customers), got {share!r}")
    index = pd.Index(ids)
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()
        raise DataValidationError(f"ids repeat customers ({where_rows(dup, None, None)})")
    index = index.sort_values()
    n = len(index)
    chosen = np.random.default_rng(int(seed)).permutation(n)[: int(round(float(share) * n))]
    held = np.zeros(n, bool)
    held[chosen] = True
    return pd.Series(held, index=index, name="holdout")
