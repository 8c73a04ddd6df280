"""The spend per purchase of the customer table: Gamma-Gamma, or the observed means when it cannot be fitted."""

from __future__ import annotations

import pandas as pd

from .. import rfm
from ..clv.choice import fit_quietly
from ..data import PURCHASES
from ..models import ConvergenceError, GammaGamma

__all__ = ["MIN_SPEND_BUYERS", "spend_per_purchase"]

#: fewest repeat buyers with positive spend to fit Gamma-Gamma on (else own mean spends)
MIN_SPEND_BUYERS: int = 10


def spend_per_purchase(
    summary: pd.DataFrame,
    history: pd.DataFrame,
    min_spend_buyers: int = MIN_SPEND_BUYERS,
    value_per_purchase: float | None = None,
    currency: str = "",
) -> tuple[pd.Series, GammaGamma | None, str]:
    """Expected spend per purchase of every customer: Gamma-Gamma, or the observed means.

    With ``value_per_purchase`` (a log without amounts, see
    :func:`analysis.data.value_basis`) every purchase is worth that value and
    nothing is fitted: spend is the same for every purchase by construction.

    Gamma-Gamma is fitted on the repeat buyers with a positive
    ``monetary_value`` (the mean of their repeat purchase days, as
    :func:`analysis.rfm.summarize` defines it) and predicts for everyone (a
    one-time buyer gets the population mean). When it cannot be fitted (fewer
    than ``min_spend_buyers`` such buyers, data that do not identify it, no
    convergence, or an infinite population mean) the fallback is each repeat
    buyer's own ``monetary_value`` and, for the others, the overall mean spend
    per purchase day (total revenue / total purchase days).

    ``summary`` holds ``frequency`` and ``monetary_value``, ``history`` (same
    index) ``purchases`` and ``revenue`` (:func:`purchase_history`).

    Returns
    -------
    (spend, model, note)
        Spend per purchase (currency per purchase day) indexed like
        ``summary``, the fitted GammaGamma (None on the fallback) and a
        sentence saying which was used (and any boundary-fit note).
    """
    if value_per_purchase is not None:
        worth = (
            "value is counted in purchases (one purchase, one unit)"
            if currency == PURCHASES
            else f"every purchase is worth {currency}{float(value_per_purchase):,.2f}"
        )
        note = f"The log has no amounts: spend per purchase is not modelled; {worth}."
        spend = pd.Series(float(value_per_purchase), index=summary.index, name="expected_spend")
        return spend, None, note
    buyers = rfm.repeat_buyers(summary)
    reason = None
    if len(buyers) < min_spend_buyers:
        reason = f"only {len(buyers):,} repeat buyer(s) with positive spend (< {min_spend_buyers})"
    else:
        try:
            gg = fit_quietly(GammaGamma, buyers)
            spend = gg.expected_spend(summary)
        except (ConvergenceError, ValueError) as err:
            reason = str(err).rstrip(".")
        else:
            note = f"Spend per purchase from Gamma-Gamma fitted on {len(buyers):,} repeat buyers."
            if gg.boundary:
                note += f" Gamma-Gamma boundary fit: {gg.boundary_note}"
            return spend.rename("expected_spend"), gg, note
    overall = float(history["revenue"].sum() / history["purchases"].sum())
    own = summary["monetary_value"].where(summary.index.isin(buyers.index), overall)
    note = (
        f"Gamma-Gamma not fitted ({reason}): spend per purchase is each repeat buyer's own mean "
        f"repeat spend, and the overall mean spend per purchase ({overall:,.2f}) for the others."
    )
    return own.astype(float).rename("expected_spend"), None, note
