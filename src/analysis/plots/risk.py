"""Figures of the learned risk of going quiet: its reliability, and how it compares with simple scores.

Each function takes the table an :mod:`analysis.churn` function returns,
``ax=None`` (a new figure when omitted), passes ``**kwargs`` to the main
drawing call and returns the axes. Plots never fit models.
"""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from .style import OKABE_ITO, new_axes

__all__ = ["plot_reliability", "plot_score_comparison"]


def plot_reliability(reliability: pd.DataFrame, ax=None, **kwargs):
    """Predicted against observed share of quiet customers, bin by bin, with the diagonal.

    Parameters
    ----------
    reliability : DataFrame
        :func:`analysis.churn.reliability_table` (``RiskModel.reliability``):
        ``customers``, ``predicted``, ``calibrated``, ``observed``.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` of the model's points.

    Returns
    -------
    matplotlib Axes
        One point per bin: the raw model (blue circles) and, when a Platt
        step changed it, the calibrated one (orange squares); the dashed
        diagonal is perfect calibration; the bin's customers are written
        beside the raw point.
    """
    ax = new_axes(ax, figsize=(5.5, 5))
    rel = reliability
    kwargs.setdefault("color", OKABE_ITO["blue"])
    kwargs.setdefault("marker", "o")
    kwargs.setdefault("label", "model (held-out cut)")
    ax.plot(rel["predicted"], rel["observed"], **kwargs)
    if not np.allclose(rel["calibrated"], rel["predicted"]):
        ax.plot(
            rel["calibrated"],
            rel["observed"],
            marker="s",
            color=OKABE_ITO["orange"],
            label="after the Platt step",
        )
    sizes = rel["customers"].astype(int)
    same_size = sizes.nunique() == 1  # equal-count bins: their size once, in the title
    for _, row in rel.iterrows() if not same_size else ():
        ax.annotate(
            f"{int(row['customers']):,}",
            (row["predicted"], row["observed"]),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
            color="0.35",
        )
    low = float(min(rel["predicted"].min(), rel["calibrated"].min(), rel["observed"].min()))
    high = float(max(rel["predicted"].max(), rel["calibrated"].max(), rel["observed"].max()))
    pad = 0.05 * max(high - low, 0.05)
    lim = (max(0.0, low - pad), min(1.0, high + pad))
    ax.plot(lim, lim, linestyle="--", color=OKABE_ITO["black"], linewidth=1, label="perfect")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("predicted probability of no purchase (mean of the bin)")
    ax.set_ylabel("observed share without a purchase")
    ax.set_title(
        f"Reliability of the learned risk ({len(rel)} bins of {sizes.iloc[0]:,} customers)"
        if same_size
        else "Reliability of the learned risk (bins of customers, n beside)"
    )
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_score_comparison(comparison: pd.DataFrame, metric: str = "auc", ax=None, **kwargs):
    """Each score's difference to the reference score, per population, with its bootstrap interval.

    Parameters
    ----------
    comparison : DataFrame
        :func:`analysis.churn.compare_scores` (index ``population, score``;
        ``<metric>_diff``, ``<metric>_diff_low``, ``<metric>_diff_high``,
        ``reference``).
    metric : {"auc", "lift"}
        The difference shown.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.errorbar` (each point).

    Returns
    -------
    matplotlib Axes
        One row per population and score (the reference itself left out):
        the difference with its interval; green when the interval is above
        0, vermillion when below, grey when it holds 0.
    """
    if metric not in ("auc", "lift"):
        raise ValueError(f"metric must be 'auc' or 'lift', got {metric!r}")
    rows = comparison[
        comparison.index.get_level_values("score") != comparison["reference"].to_numpy()
    ]
    ax = new_axes(ax, figsize=(7, 0.4 * max(len(rows), 4) + 1))
    y = np.arange(len(rows))[::-1]
    kwargs.setdefault("fmt", "o")
    kwargs.setdefault("capsize", 3)
    labels = []
    for yi, ((pop, score), row) in zip(y, rows.iterrows(), strict=True):
        d, lo, hi = (row[f"{metric}_diff{s}"] for s in ("", "_low", "_high"))
        color = OKABE_ITO["green"] if lo > 0 else OKABE_ITO["vermillion"] if hi < 0 else "0.5"
        err = [[max(d - lo, 0.0)], [max(hi - d, 0.0)]] if np.isfinite(lo) else None
        ax.errorbar(d, yi, xerr=err, **{"color": color, **kwargs})
        labels.append(f"{pop}: {score} vs {row['reference']}")
    ax.axvline(0.0, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    level = comparison.attrs.get("level", 0.9)
    name = "AUC" if metric == "auc" else "top-share lift"
    ax.set_xlabel(f"difference in {name} to the reference ({100 * level:.0f}% bootstrap interval)")
    ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=6))  # tick labels clear of each other
    ax.set_title(f"Does a score beat the best simple one? ({name})")
    return ax
