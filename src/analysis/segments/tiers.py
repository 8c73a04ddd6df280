"""Value tiers: CLV tiers of the whole base and prospect tiers of the customers in exploration.

- :func:`clv_tiers` (``docs/domain.md#segmentation``, DESIGN section 4.1):
  high, medium, low and negative value. The seeds' rule for spending
  follows the tier: invest more to keep high-value customers, a controlled
  amount on low-value ones, and nothing to keep a customer whose CLV net of
  cost is negative. The positive tiers are cut by *cumulative share of
  value* (an ABC analysis): the most valuable customers who together hold the
  first half of the positive value are ``high``, those up to 80% ``medium``,
  the rest ``low``.
- :func:`prospect_tiers` (DESIGN section 4.5; the seed on small firms'
  exploration stage): new customers sorted into quality (优质), ordinary (普通)
  and poor (劣质) prospects by predicted value, so that scarce resources go to
  quality prospects, ordinary ones are touched from time to time and poor
  ones get little or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import MAX_SHOWN, DataValidationError
from ._common import check_labels, labelled, numeric, require

__all__ = [
    "CLV_TIERS",
    "CLV_TIER_SHARES",
    "PROSPECT_TIERS",
    "PROSPECT_QUANTILES",
    "clv_tiers",
    "prospect_tiers",
    "tiers_for",
]

#: the CLV tier labels, most valuable first; the last is the negative tier
CLV_TIERS: tuple[str, ...] = ("high", "medium", "low", "negative")
#: cumulative shares of the positive value closing the high and medium tiers:
#: the customers holding the first 50% of it are high, up to 80% medium (an
#: ABC analysis: half the value in the high tier, the next 30% medium)
CLV_TIER_SHARES: tuple[float, ...] = (0.5, 0.8)

#: the prospect tier labels, best first
PROSPECT_TIERS: tuple[str, ...] = ("quality", "ordinary", "poor")
#: quantiles of predicted value among the prospects: at or below the 40th
#: percentile poor, above the 80th quality (top 20% quality, bottom 40% poor):
#: a small firm concentrates on the few best prospects and drops the weakest
PROSPECT_QUANTILES: tuple[float, ...] = (0.4, 0.8)

# relative tolerance when comparing a cumulative share with a cut (float rounding only)
_SHARE_TOLERANCE = 1e-12


def _increasing(cuts: Sequence[float], name: str, upper_open: bool) -> np.ndarray:
    try:
        cuts = np.asarray([float(c) for c in cuts], dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {cuts!r}") from None
    top_ok = cuts < 1.0 if upper_open else cuts <= 1.0
    if cuts.size == 0 or not np.all((cuts > 0.0) & top_ok) or np.any(np.diff(cuts) <= 0):
        bound = "(0, 1)" if upper_open else "(0, 1]"
        raise ValueError(
            f"{name} must be strictly increasing numbers in {bound}, got {tuple(cuts)}"
        )
    return cuts


def clv_tiers(
    table: pd.DataFrame,
    *,
    shares: Sequence[float] = CLV_TIER_SHARES,
    column: str = "clv_net",
    labels: Sequence[str] = CLV_TIERS,
) -> pd.Series:
    """Tier every customer by its share of the base's value: high, medium, low or negative.

    Parameters
    ----------
    table : DataFrame
        The customer table, one row per customer.
    shares : sequence of float
        Cumulative shares of the total *positive* value (in (0, 1], strictly
        increasing) closing each positive tier but the last; default
        :data:`CLV_TIER_SHARES` (0.5, 0.8).
    column : str
        The value, in currency: ``clv_net`` (CLV net of costs) by default.
    labels : sequence of str
        ``len(shares) + 2`` labels: one per positive tier, most valuable first,
        then the negative tier; default :data:`CLV_TIERS`.

    Returns
    -------
    Series
        Named ``clv_tiers``, indexed like ``table``, ordered Categorical over ``labels``.

    Notes
    -----
    A customer with value below zero is ``negative``. For the others, let
    *above* be the share of the total positive value held by customers
    strictly more valuable than it: the customer is in the first tier whose
    share exceeds *above*. So the high tier is the smallest group of top
    customers holding at least the first share (a single customer with most
    of the value is high, not low), customers of equal value always share a
    tier, and a customer with zero value is in the last positive tier (low).
    """
    cuts = _increasing(shares, "shares", upper_open=False)
    labels = check_labels(labels, len(cuts) + 2, "labels")
    value = numeric(table, column, "clv_tiers")
    v = value.to_numpy()
    positive = np.sort(v[v > 0])[::-1]
    total = positive.sum()
    # value held by the customers strictly more valuable than each customer
    held = np.concatenate([[0.0], np.cumsum(positive)])
    n_above = np.searchsorted(-positive, -v, side="left")
    above = held[n_above] / total if total > 0 else np.ones_like(v)
    tier = np.searchsorted(cuts, above * (1.0 + _SHARE_TOLERANCE), side="right")
    tier = np.where(v > 0, tier, len(cuts))
    names = np.asarray(labels, dtype=object)[np.where(v < 0, len(cuts) + 1, tier)]
    return labelled(names, table.index, labels, "clv_tiers")


def prospect_tiers(
    table: pd.DataFrame,
    *,
    value: str = "clv_net",
    quantiles: Sequence[float] = PROSPECT_QUANTILES,
    labels: Sequence[str] = PROSPECT_TIERS,
    stage: str = "stage",
    exploration: str = "exploration",
) -> pd.Series:
    """Sort the customers in exploration into quality, ordinary and poor prospects by value.

    Parameters
    ----------
    table : DataFrame
        The customer table, one row per customer.
    value : str
        The predicted value, in currency: ``clv_net`` by default.
    quantiles : sequence of float
        Strictly increasing quantiles in (0, 1) of ``value`` *among the
        prospects*; default :data:`PROSPECT_QUANTILES` (0.4, 0.8): top 20%
        quality, bottom 40% poor.
    labels : sequence of str
        ``len(quantiles) + 1`` labels, best first; default :data:`PROSPECT_TIERS`.
    stage : str
        The stage column.
    exploration : str
        The stage whose customers are prospects.

    Returns
    -------
    Series
        Named ``prospect_tiers``, indexed like ``table`` (so it lines up with
        the other segmentations), ordered Categorical over ``labels``; NaN for
        every customer not in exploration: they are not prospects.

    Notes
    -----
    The cut points are the quantiles of ``value`` over the prospects (linear
    interpolation, pandas' default). A prospect above the top cut is in the
    first tier, one at or below the lowest cut in the last; a value equal to
    a cut goes to the lower tier, so tied prospects share a tier. With ten
    prospects of distinct value the defaults give 2 quality, 4 ordinary and
    4 poor.
    """
    cuts_q = _increasing(quantiles, "quantiles", upper_open=True)
    labels = check_labels(labels, len(cuts_q) + 1, "labels")
    require(table, [stage], "prospect_tiers")
    prospects = (table[stage] == exploration).to_numpy(dtype=bool)
    v = numeric(table.loc[prospects], value, "prospect_tiers")
    out = np.full(len(table), None, dtype=object)
    if prospects.any():
        cuts = np.quantile(v.to_numpy(), cuts_q)
        n_above = (v.to_numpy()[:, None] > cuts[None, :]).sum(axis=1)
        out[prospects] = np.asarray(labels, dtype=object)[len(cuts) - n_above]
    return labelled(out, table.index, labels, "prospect_tiers")


def _shown(labels) -> str:
    labels = list(labels)
    text = ", ".join(repr(v) for v in labels[:MAX_SHOWN])
    return text + (f", ... ({len(labels) - MAX_SHOWN} more)" if len(labels) > MAX_SHOWN else "")


def tiers_for(
    table: pd.DataFrame, tiers=None, *, labels: Sequence[str] | None = CLV_TIERS
) -> pd.Series:
    """The value tier of every customer of ``table``: given, or :func:`clv_tiers` of it.

    The one place the decision layer (:mod:`analysis.strategy`,
    :mod:`analysis.churn`) turns a ``tiers=`` argument into one tier per customer.

    Parameters
    ----------
    table : DataFrame
        The customer table, indexed by ``customer_id``.
    tiers : Series, DataFrame or None
        A tier per customer indexed by ``customer_id`` (extra customers are
        ignored), or a frame with a ``tier`` column; None computes
        :func:`clv_tiers` on ``table``.
    labels : sequence of str or None
        The labels a tier may take (default :data:`CLV_TIERS`; the result is
        then an ordered Categorical over them). None accepts any label and
        keeps the given dtype (for tiers cut with labels of one's own).

    Returns
    -------
    Series
        Named ``tier``, indexed like ``table``.

    Raises
    ------
    DataValidationError
        When a customer of the table has no tier (missing or NaN), a customer
        id appears twice, a frame has no ``tier`` column, or a label is not
        one of ``labels``.
    """
    if tiers is None:
        tiers = clv_tiers(table)
    if isinstance(tiers, pd.DataFrame):
        if "tier" not in tiers.columns:
            raise DataValidationError(
                f"tiers has no 'tier' column (columns: {list(tiers.columns)}); pass a Series "
                "of tiers or a frame with a 'tier' column, indexed by customer_id"
            )
        tiers = tiers["tier"]
    if not isinstance(tiers, pd.Series):
        raise DataValidationError(
            f"tiers must be a pandas Series indexed by customer_id, got {type(tiers).__name__}"
        )
    if tiers.index.has_duplicates:
        dup = tiers.index[tiers.index.duplicated()].unique()
        raise DataValidationError(
            f"tiers: customer_id(s) {_shown(dup)} appear more than once; give one tier each"
        )
    missing = table.index.difference(tiers.dropna().index)
    if len(missing):
        raise DataValidationError(
            f"tiers has no tier for {len(missing)} customer(s) of the table "
            f"(customer_id {_shown(missing)}); give every customer of the table a tier"
        )
    out = tiers.reindex(table.index)
    if labels is not None:
        unknown = sorted(set(out.astype(str)) - set(labels))
        if unknown:
            raise DataValidationError(
                f"tiers: label(s) {_shown(unknown)} are not tiers; use {', '.join(labels)}."
            )
        out = pd.Series(
            pd.Categorical(out.astype(str), categories=list(labels), ordered=True),
            index=table.index,
        )
    return out.rename("tier")
