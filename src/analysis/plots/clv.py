"""Figures of the CLV study: holdout checks, tracking, distribution and concentration of value.

Each function takes a table from :mod:`analysis.tables`,
:mod:`analysis.models.validation` or the CLV functions, ``ax=None`` (a new
figure when omitted), passes ``**kwargs`` to the main drawing call and
returns the axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from ..tables import concentration
from ..tables.format import money
from .style import DPI, OKABE_ITO, date_axis, method_colors, money_axis, new_axes, plain_currency

__all__ = [
    "plot_holdout_by_frequency",
    "plot_tracking",
    "plot_clv_distribution",
    "plot_concentration",
    "plot_method_totals",
    "plot_method_comparison",
    "plot_frequency_recency",
]

_NOT_MODELS = {"customers", "actual", "date", "time", "calibration"}


def _axes(ax, figsize=(7, 4)):
    return new_axes(ax, figsize)


def _model_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in _NOT_MODELS]


def plot_holdout_by_frequency(table: pd.DataFrame, ax=None, **kwargs):
    """Mean holdout purchases by calibration frequency: actual (black) and each model (dashed).

    ``table`` comes from :func:`analysis.models.validation.holdout_comparison`
    (columns ``customers``, ``actual`` and one per model); ``**kwargs`` go to
    the models' lines.
    """
    ax = _axes(ax)
    x = np.arange(len(table))
    ax.plot(x, table["actual"], color="black", marker="o", linewidth=2, label="actual")
    kwargs.setdefault("linestyle", "--")
    kwargs.setdefault("marker", ".")
    models = _model_columns(table)
    colors = method_colors(models)
    for name in models:
        color = colors[str(name)]
        ax.plot(x, table[name], **{"color": color, "label": str(name), **kwargs})
    ax.set_xticks(x)
    ax.set_xticklabels([str(i) for i in table.index])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout")
    ax.set_title("Holdout purchases by calibration frequency")
    ax.legend(frameon=False)
    return ax


def plot_tracking(table: pd.DataFrame, cumulative: bool = True, ax=None, **kwargs):
    """Repeat purchases of the calibration cohort over time: actual and each model.

    ``table`` comes from :func:`analysis.models.validation.tracking_table`
    (cumulative counts); the calibration end is dotted. With ``cumulative=False`` the
    purchases per period are drawn. The x axis is the calendar date when the
    table has a ``date`` column, else the periods since the cohort's first
    purchase day. ``**kwargs`` go to the models' lines.
    """
    ax = _axes(ax, figsize=(8, 4))
    values = table[["actual", *_model_columns(table)]]
    if not cumulative:
        values = values.diff().fillna(values.iloc[0])
    dated = "date" in table.columns
    x = pd.to_datetime(table["date"]).to_numpy() if dated else table["time"].to_numpy()
    ax.plot(x, values["actual"], color="black", linewidth=2, label="actual")
    kwargs.setdefault("linestyle", "--")
    models = _model_columns(table)
    colors = method_colors(models)
    for name in models:
        color = colors[str(name)]
        ax.plot(x, values[name], **{"color": color, "label": str(name), **kwargs})
    if table["calibration"].any() and not table["calibration"].all():
        end = x[np.flatnonzero(table["calibration"].to_numpy())[-1]]
        ax.axvline(end, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            "calibration | holdout",
            (end, 0.98),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize=8,
            color="grey",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )
    if dated:
        ax.set_xlim(x[0], x[-1])
        date_axis(ax)
        ax.set_xlabel("date")
    else:
        ax.set_xlim(0, x[-1])
        ax.set_xlabel("periods since the cohort's first purchase day")
    ax.set_ylabel("cumulative repeat purchases" if cumulative else "repeat purchases per period")
    ax.set_title("Tracking repeat purchases" + (" (cumulative)" if cumulative else " (per period)"))
    ax.legend(frameon=False, loc="upper left" if cumulative else "upper right")
    return ax


def plot_clv_distribution(
    values: pd.Series, floor: float = 0.01, ax=None, *, currency: str = "$", **kwargs
):
    """Histogram of CLV per customer on a log scale, median and mean marked (money in ``currency``).

    Customers with a value below ``floor`` (log scale cannot show 0) are
    counted in the x-axis label. ``**kwargs`` go to :func:`seaborn.histplot`.
    """
    ax = _axes(ax)
    sign = plain_currency(currency)
    v = np.asarray(values, dtype=float)
    shown = v[v >= floor]
    kwargs.setdefault("bins", 40)
    kwargs.setdefault("log_scale", True)
    if len(shown):
        sns.histplot(shown, ax=ax, **kwargs)
    for stat, style in ((float(np.median(v)), "--"), (float(np.mean(v)), ":")):
        if stat >= floor:
            ax.axvline(stat, color="black", linestyle=style, linewidth=1)
    ax.annotate(
        f"median {money(float(np.median(v)), sign)}\nmean {money(float(np.mean(v)), sign)}",
        (0.98, 0.95),
        xycoords="axes fraction",
        ha="right",
        va="top",
        fontsize=8,
    )
    below = int((v < floor).sum())
    ax.set_xlabel(
        f"CLV per customer ({sign}, log scale; {below:,} below {money(floor, sign)} not shown)"
    )
    ax.xaxis.set_major_formatter(
        mticker.FuncFormatter(lambda x, _pos: money(x, sign, 2 if x < 1 else 0))
    )
    ax.set_ylabel("customers")
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    name = getattr(values, "name", None)
    ax.set_title("Distribution of CLV" + (f" ({name})" if name else ""))
    return ax


def plot_concentration(values, ax=None, *, currency: str = "$", **kwargs):
    """Concentration curves: share of total value held by the most valuable share of customers.

    ``values`` is a Series (one curve) or a DataFrame with one column of
    per-customer value per method (one curve each); the diagonal is equal
    value for everyone; each legend entry gives the method's total (in
    ``currency``), since the curves show only shares. ``**kwargs`` go to
    every curve.
    """
    ax = _axes(ax, figsize=(5.5, 5))
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    kwargs.setdefault("linewidth", 1.8)
    sign = plain_currency(currency)
    colors = method_colors(frame.columns)
    for name in frame.columns:
        color = colors[str(name)]
        curve = concentration(frame[name])
        label = f"{name} (total {sign}{frame[name].sum():,.0f})"
        ax.plot(
            curve["share_of_customers"],
            curve["share_of_value"],
            **{"color": color, "label": label, **kwargs},
        )
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="equal value")
    for share in (0.1, 0.2):
        ax.axvline(share, color="grey", linewidth=0.6, alpha=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
    ax.set_xlabel("share of customers (most valuable first)")
    ax.set_ylabel("share of total value")
    ax.set_title("Concentration of customer value")
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.legend(title="method", frameon=False, fontsize=8, title_fontsize=8, loc="lower right")
    return ax


def plot_frequency_recency(grid: pd.DataFrame, label: str = "value", ax=None, **kwargs):
    """Heatmap of a per-customer quantity averaged by frequency (rows) and recency (columns).

    ``grid`` comes from :func:`analysis.tables.mean_by_frequency_recency`;
    ``label`` names the quantity on the colour bar. Empty cells stay blank.
    ``**kwargs`` go to :func:`seaborn.heatmap`.
    """
    ax = _axes(ax, figsize=(7, 4.5))
    kwargs.setdefault("annot", True)
    kwargs.setdefault("fmt", ".2g")
    kwargs.setdefault("cmap", "viridis")
    kwargs.setdefault("annot_kws", {"fontsize": 8})
    kwargs.setdefault("cbar_kws", {"label": label})
    sns.heatmap(grid.iloc[::-1], ax=ax, **kwargs)  # highest frequency on top
    ax.grid(False)
    ax.set_xlabel("recency: time from the first to the last purchase")
    ax.set_ylabel("repeat purchases (frequency)")
    ax.set_title(f"{label} by frequency and recency")
    return ax


def plot_method_totals(totals: pd.DataFrame, ax=None, *, currency: str = "$", **kwargs):
    """Each method's predicted total against the actual total of the backtest.

    ``totals`` comes from :func:`analysis.tables.method_totals` (``predicted``,
    ``actual``, ``ratio``); a bar per method, the actual total a black line,
    each bar labelled with its total and its ratio to the actual.
    ``**kwargs`` go to :meth:`~matplotlib.axes.Axes.barh`.
    """
    ax = _axes(ax, figsize=(6, 0.45 * len(totals) + 1.6))
    sign = plain_currency(currency)
    y = np.arange(len(totals))[::-1]
    kwargs.setdefault("color", list(method_colors(totals.index).values()))
    bars = ax.barh(y, totals["predicted"], **kwargs)
    labels = [
        f"{sign}{v:,.0f} ({r:.2f} x actual)"
        for v, r in zip(totals["predicted"], totals["ratio"], strict=True)
    ]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    actual = float(totals["actual"].iloc[0])
    ax.axvline(actual, color=OKABE_ITO["black"], linewidth=1.5)
    ax.annotate(f"actual {sign}{actual:,.0f}", (actual, 1.0), xycoords=("data", "axes fraction"),
                xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8)  # fmt: skip
    ax.set_yticks(y)
    ax.set_yticklabels([str(i) for i in totals.index])
    ax.set_xlim(0, max(float(totals["predicted"].max()), actual) * 1.45)
    money_axis(ax, currency, axis="x")
    ax.set_xlabel(f"total over the holdout ({sign}, all customers)")
    ax.set_title("Predicted against actual total (backtest)", pad=16)
    ax.grid(axis="y", visible=False)
    return ax


def plot_method_comparison(
    values: pd.DataFrame, totals: pd.DataFrame, *, currency: str = "$", axes=None, **kwargs
):
    """The methods side by side: concentration of value (left), predicted totals against the actual (right).

    ``values``: per-customer value per method (as :func:`plot_concentration`);
    ``totals``: :func:`analysis.tables.method_totals` of the backtest. A
    method's share curve says who holds the value, its total says whether the
    level is right. Returns the two axes; ``**kwargs`` go to the curves.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 5), dpi=DPI, width_ratios=(1, 1.2))
    left, right = np.asarray(axes).ravel()
    plot_concentration(values, ax=left, currency=currency, **kwargs)
    plot_method_totals(totals, ax=right, currency=currency)
    return np.array([left, right])
