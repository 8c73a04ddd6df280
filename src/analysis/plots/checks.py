"""Figures of the predictive checks: the calibration histogram and the tracking band.

Each function takes a table from :mod:`analysis.models.checks` (and the
tracking table of :mod:`analysis.models.validation`), ``ax=None`` (a new
figure when omitted), passes ``**kwargs`` to the main drawing call and
returns the axes. Models take their colours in column order, as in
:mod:`.clv`, so a model has the same colour in every figure of a report.
"""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .clv import plot_tracking
from .style import OKABE_ITO, method_colors, new_axes

__all__ = ["plot_period_transactions", "plot_tracking_band"]

#: columns of a tracking band that are not the model's curve
_BAND_COLUMNS = {
    "date",
    "time",
    "calibration",
    "actual",
    "low",
    "high",
    "low_period",
    "high_period",
    "predictive_low",
    "predictive_high",
    "level",
}


def plot_period_transactions(table: pd.DataFrame, ax=None, **kwargs):
    """Customers by repeat purchases in calibration: actual (black) and each model's expectation.

    ``table`` comes from :func:`analysis.models.checks.period_transactions`
    (index "0", "1", ..., "7+"; columns ``actual`` and one per model).
    Grouped bars, one group per number of repeat purchases; ``**kwargs``
    go to the models' bars.
    """
    ax = new_axes(ax, figsize=(8, 4))
    models = [c for c in table.columns if c != "actual"]
    x = np.arange(len(table))
    width = 0.8 / (1 + len(models))
    offset = (np.arange(1 + len(models)) - len(models) / 2) * width
    ax.bar(x + offset[0], table["actual"], width, color=OKABE_ITO["black"], label="actual")
    colors = method_colors(models)
    for k, name in enumerate(models, start=1):
        color = colors[str(name)]
        ax.bar(x + offset[k], table[name], width, **{"color": color, "label": str(name), **kwargs})
    ax.set_xticks(x)
    ax.set_xticklabels([str(i) for i in table.index])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("customers")
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_title("Repeat purchases in calibration: actual and expected")
    ax.grid(axis="x", visible=False)
    ax.legend(frameon=False)
    return ax


def plot_tracking_band(
    tracking: pd.DataFrame, band: pd.DataFrame, cumulative: bool = True, ax=None, **kwargs
):
    """The tracking figure with one model's interval band shaded.

    ``tracking`` comes from :func:`analysis.models.validation.tracking_table`
    and is drawn as :func:`.clv.plot_tracking` draws it (actual, each model
    dashed, the calibration end dotted; ``**kwargs`` go to the models'
    lines); ``band`` from :func:`analysis.models.checks.tracking_band`. The
    darker shade is the parameter uncertainty of the model's expected curve
    (``low``-``high``), the lighter one, when the band has it, where the
    actual count is expected (``predictive_low``-``predictive_high``, the
    purchase noise added). With ``cumulative=False`` the purchases per
    period are drawn, with the parameter band of each period's expectation.
    The band takes the colour of its model's line (grey if ``tracking`` does
    not hold that model).
    """
    ax = plot_tracking(tracking, cumulative=cumulative, ax=ax, **kwargs)
    name = next(c for c in band.columns if c not in _BAND_COLUMNS)
    color = next((ln.get_color() for ln in ax.get_lines() if ln.get_label() == name), "grey")
    x = pd.to_datetime(band["date"]).to_numpy() if "date" in tracking.columns else band["time"]
    level = f"{float(band['level'].iloc[0]):.0%} " if "level" in band.columns else ""
    handles, labels = ax.get_legend_handles_labels()
    if cumulative and "predictive_low" in band.columns:
        ax.fill_between(
            x,
            band["predictive_low"],
            band["predictive_high"],
            color=color,
            alpha=0.2,
            linewidth=0,
            zorder=0.5,
        )
        handles.append(Patch(color=color, alpha=0.2))
        labels.append(f"{name}: {level}range of the actual count")
    low, high = ("low", "high") if cumulative else ("low_period", "high_period")
    ax.fill_between(x, band[low], band[high], color=color, alpha=0.5, linewidth=0, zorder=0.6)
    handles.append(Patch(color=color, alpha=0.5))
    labels.append(f"{name}: {level}interval of the expectation")
    # per period the actual line wanders over the whole plot: let matplotlib find a free corner
    ax.legend(
        handles, labels, frameon=False, fontsize=8, loc="upper left" if cumulative else "best"
    )
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    return ax
