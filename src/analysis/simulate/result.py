"""The one result type of every simulator in :mod:`analysis.simulate`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Simulation"]


@dataclass(frozen=True)
class Simulation:
    """What a simulator drew: the data a firm would see and the truth behind it.

    Attributes
    ----------
    transactions : DataFrame or None
        The log (``customer_id, date, amount, quantity``), sorted by customer
        and date; None when the simulator draws summaries directly (BG/BB,
        sBG, Gamma-Gamma) or was asked not to build the log.
    summary : DataFrame or None
        One row per customer (index ``customer_id``) in the columns the
        matching model fits (e.g. ``frequency, recency, T`` or
        ``frequency, monetary_value``); None for the lifecycle simulator,
        whose data is the log.
    params : dict
        The true parameters, named as in the model's ``params``, and the
        simulation's settings (time unit, periods, ...).
    truth : DataFrame
        The latent truth per customer (propensities, lifetimes, alive at the
        end, fate), index ``customer_id``.
    stages : DataFrame or None
        The true stage per customer and period (``customer_id, period, stage,
        ...``) where the simulator has stages; None otherwise.
    """

    transactions: pd.DataFrame | None
    summary: pd.DataFrame | None
    params: dict
    truth: pd.DataFrame
    stages: pd.DataFrame | None = None
