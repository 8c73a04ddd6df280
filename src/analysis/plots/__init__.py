"""Figures of the study. Every function takes ``ax=None``, returns the axes and passes ``**kwargs`` on."""

from .data import (
    plot_cohorts,
    plot_purchases_per_customer,
    plot_repeat_transactions,
    plot_spend_distribution,
)

__all__ = [
    "plot_cohorts",
    "plot_purchases_per_customer",
    "plot_repeat_transactions",
    "plot_spend_distribution",
]
