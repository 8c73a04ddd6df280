"""Figures of the strategy report: value by stage and tier, the warning scores, the odds ratios.

Each function takes the table an :mod:`analysis.strategy` or
:mod:`analysis.churn` function returns, ``ax=None`` (a new figure when
omitted), passes ``**kwargs`` to the main drawing call and returns the axes.
Colours are from the Okabe-Ito palette and the sequential ``cividis`` map,
both readable with colour-blindness.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from .style import OKABE_ITO, new_axes

__all__ = [
    "OKABE_ITO",
    "plot_odds_ratios",
    "plot_value_heatmap",
    "plot_warning_scores",
]


def _axes(ax, figsize=(7, 4)):
    return new_axes(ax, figsize)


def plot_value_heatmap(rec: pd.DataFrame, ax=None, **kwargs):
    """Share of the value in every stage x value-tier cell, with its customer count.

    Parameters
    ----------
    rec : DataFrame
        :func:`analysis.strategy.recommend` (index stage, tier; ``customers``,
        ``share_value``).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :func:`seaborn.heatmap` (``cmap`` defaults to ``cividis``).

    Returns
    -------
    matplotlib Axes
        Rows stages, columns tiers; each cell reads the share of value and
        "n = customers"; empty cells are left blank with "n = 0". When the
        value shares are missing (the total value is not positive) the cells
        show the share of customers instead, and the colour bar says so.
    """
    ax = _axes(ax, figsize=(7, 4.2))
    stages = list(dict.fromkeys(rec.index.get_level_values(0)))
    tiers = list(dict.fromkeys(rec.index.get_level_values(1)))
    # without a positive total value there are no value shares: colour by customers instead
    column = "share_value" if rec["share_value"].notna().any() else "share_customers"
    what = "the value (clv_net)" if column == "share_value" else "the customers"
    share = rec[column].unstack().reindex(index=stages, columns=tiers).astype(float)
    count = rec["customers"].unstack().reindex(index=stages, columns=tiers).fillna(0).astype(int)
    empty = count.to_numpy() == 0
    labels = np.where(
        empty,
        "n = 0",
        np.vectorize(lambda s, n: f"{100 * s:.1f}%\nn = {n:,}" if np.isfinite(s) else f"n = {n:,}")(
            share.to_numpy(), count.to_numpy()
        ),
    )
    kwargs.setdefault("cmap", "cividis")
    kwargs.setdefault("linewidths", 0.5)
    kwargs.setdefault("linecolor", "white")
    kwargs.setdefault("annot_kws", {"fontsize": 9})
    kwargs.setdefault("cbar_kws", {"label": f"share of {what}"})
    sns.heatmap(
        share.where(~empty) * 100, mask=empty, annot=labels, fmt="", ax=ax, vmin=0, **kwargs
    )
    for (i, j), blank in np.ndenumerate(empty):
        if blank:
            ax.text(j + 0.5, i + 0.5, "n = 0", ha="center", va="center", color="0.5", fontsize=9)
    cbar = ax.collections[0].colorbar if ax.collections else None
    if cbar is not None:
        cbar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.set_xlabel("value tier")
    ax.set_ylabel("lifecycle stage")
    ax.set_title(f"Share of {what} by stage and tier")
    ax.tick_params(axis="y", rotation=0)
    return ax


def plot_warning_scores(evaluation: pd.DataFrame, metric: str = "auc", ax=None, **kwargs):
    """The scores' AUC (or lift) for holdout inactivity, with the no-skill line.

    Parameters
    ----------
    evaluation : DataFrame
        :func:`analysis.churn.evaluate` (index ``score``; ``auc``, ``lift``).
    metric : {"auc", "lift"}
        The bar length; the no-skill reference is 0.5 for AUC, 1 for lift.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.barh`.

    Returns
    -------
    matplotlib Axes
        One bar per score, best at the top, its value written at its end;
        the early-warning score in orange, the others in blue.
    """
    if metric not in ("auc", "lift"):
        raise ValueError(f"metric must be 'auc' or 'lift', got {metric!r}")
    ax = _axes(ax, figsize=(7, 3))
    ev = evaluation.sort_values(metric, kind="stable")
    colors = [OKABE_ITO["orange"] if s == "early_warning" else OKABE_ITO["blue"] for s in ev.index]
    kwargs.setdefault("color", colors)
    bars = ax.barh([str(s) for s in ev.index], ev[metric].to_numpy(dtype=float), **kwargs)
    for bar, value in zip(bars, ev[metric], strict=True):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {value:.3f}",
            va="center",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
        )
    reference = 0.5 if metric == "auc" else 1.0
    ax.axvline(reference, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
    top = float(np.nanmax(ev[metric].to_numpy(dtype=float))) if len(ev) else reference
    if metric == "auc":
        ax.set_xlim(0, 1.08)
        ax.set_xlabel("AUC for holdout inactivity (0.5: no skill, 1: perfect ranking)")
    else:
        ax.set_xlim(0, max(top, reference) * 1.15)
        n = evaluation.attrs.get("fraction", 0.1)
        ax.set_xlabel(f"lift of the top {100 * n:.0f}% (1: no better than random)")
    ax.set_ylabel("score")
    ax.set_title(f"{'AUC' if metric == 'auc' else 'Top-share lift'} of each score")
    return ax


def plot_odds_ratios(drivers: pd.DataFrame, ax=None, **kwargs):
    """Forest plot of the drivers' odds ratios with their 95% intervals on a log axis.

    Parameters
    ----------
    drivers : DataFrame
        :func:`analysis.churn.drivers` (index ``term``; ``odds_ratio``,
        ``ci_low``, ``ci_high``); the intercept is left out.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.errorbar` (each term).

    Returns
    -------
    matplotlib Axes
        One row per term, first term at the top; odds ratios above 1
        (more inactivity) in vermillion, below 1 in blue; the line at 1 is no effect.
    """
    ax = _axes(ax, figsize=(7, 0.45 * max(len(drivers), 4) + 1))
    d = drivers.drop(index="const", errors="ignore")
    y = np.arange(len(d))[::-1]
    kwargs.setdefault("fmt", "o")
    kwargs.setdefault("capsize", 3)
    for yi, (_, row) in zip(y, d.iterrows(), strict=True):
        color = OKABE_ITO["vermillion"] if row["odds_ratio"] > 1 else OKABE_ITO["blue"]
        err = [[row["odds_ratio"] - row["ci_low"]], [row["ci_high"] - row["odds_ratio"]]]
        ax.errorbar(row["odds_ratio"], yi, xerr=err, **{"color": color, **kwargs})
    ax.axvline(1.0, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set_yticks(y)
    ax.set_yticklabels([str(t) for t in d.index])
    ax.set_ylim(-0.7, len(d) - 0.3)
    ax.set_xlabel("odds ratio of inactivity in the holdout (log scale, 95% interval)")
    ax.set_ylabel("feature (per its unit)")
    ax.set_title("What drives inactivity")
    return ax
