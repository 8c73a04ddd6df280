"""Two stagings of the same customer-months side by side: the mix, the agreement, the crosstab.

The lifecycle report reads every history twice, by the rules
(:func:`~analysis.lifecycle.assign_stages`) and by the hidden Markov model
(:func:`~analysis.lifecycle.hmm_stages`); these functions line the two frames
up on ``customer_id`` and ``period`` and say how far they agree.
"""

from __future__ import annotations

import pandas as pd

from ..units import P_ALIVE_GONE, P_ALIVE_LIKELY
from .stages import assign_stages, current_stage

__all__ = [
    "stage_mix_comparison",
    "paired_stages",
    "stage_agreement",
    "stage_crosstab",
    "current_mix_by_period",
    "p_alive_bands",
]


def stage_mix_comparison(first: pd.DataFrame, second: pd.DataFrame, names=("rules", "hmm")):
    """Stage shares of two stagings, over all customer-months and in the latest period.

    Columns: a two-level index (``customer-months`` / ``latest month``, then
    ``names``); rows the stages in order.
    """
    a, b = names

    def shares(frame):
        return frame["stage"].value_counts(normalize=True, sort=False)

    return pd.concat(
        {
            "customer-months": pd.DataFrame({a: shares(first), b: shares(second)}),
            "latest month": pd.DataFrame(
                {a: shares(current_stage(first)), b: shares(current_stage(second))}
            ),
        },
        axis=1,
    )


def paired_stages(first: pd.DataFrame, second: pd.DataFrame, names=("rules", "hmm")):
    """One row per customer-month with both stages (``stage_<name>``); the frames must match."""
    keys = ["customer_id", "period"]
    return first[keys + ["stage"]].merge(
        second[keys + ["stage"]],
        on=keys,
        suffixes=tuple(f"_{n}" for n in names),
        validate="one_to_one",
    )


def stage_agreement(first: pd.DataFrame, second: pd.DataFrame) -> float:
    """Share of customer-months the two stagings give the same stage."""
    both = paired_stages(first, second, names=("a", "b"))
    return float((both["stage_a"].astype(str) == both["stage_b"].astype(str)).mean())


def stage_crosstab(first: pd.DataFrame, second: pd.DataFrame, names=("rules", "hmm")):
    """Customer-months by the first staging's stage (rows) and the second's (columns)."""
    both = paired_stages(first, second, names=names)
    a, b = names
    return pd.crosstab(both[f"stage_{a}"].rename(a), both[f"stage_{b}"].rename(b))


def current_mix_by_period(transactions: pd.DataFrame, periods=("W", "M", "Q"), **kwargs):
    """The current stage mix (shares) with each period length; one column per period.

    ``kwargs`` go to :func:`~analysis.lifecycle.assign_stages` (thresholds, ``observation_end``).
    """
    return pd.DataFrame(
        {
            p: current_stage(assign_stages(transactions, period=p, **kwargs))["stage"].value_counts(
                normalize=True, sort=False
            )
            for p in periods
        }
    )


def p_alive_bands(stages: pd.DataFrame, cuts=(P_ALIVE_GONE, P_ALIVE_LIKELY)) -> pd.DataFrame:
    """Customers by current stage and repeat buying (rows) and P(alive) band (columns).

    ``stages``: :func:`~analysis.lifecycle.assign_stages` output with a ``p_alive`` column.
    """
    now = current_stage(stages)
    bands = pd.cut(now["p_alive"], [0, *cuts, 1.0], include_lowest=True).rename("P(alive)")
    table = pd.crosstab([now["stage"], now["repeat_purchases"].gt(0).rename("repeat buyer")], bands)
    return table.reindex(columns=bands.cat.categories, fill_value=0).rename_axis(columns="P(alive)")
