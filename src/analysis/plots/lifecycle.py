"""Figures of the lifecycle study: stage mix, lifecycle curve, transition chain, cohorts, survival, accuracy.

Each function takes the table an :mod:`analysis.lifecycle` function returns,
``ax=None`` (a new figure when omitted), passes ``**kwargs`` to the main
drawing call and returns the axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..units import STAGES

__all__ = [
    "STAGE_COLORS",
    "plot_stage_mix",
    "plot_lifecycle_curve",
    "plot_transition_matrix",
    "plot_stage_projection",
    "plot_cohort_retention",
    "plot_survival",
    "plot_stage_confusion",
    "plot_sensitivity",
]

#: One colour per stage in every lifecycle figure (light to dark as the relationship grows, red for decline).
STAGE_COLORS: dict[str, str] = {
    "exploration": "#9ecae1",
    "formation": "#41ab5d",
    "stability": "#08519c",
    "decline": "#cb181d",
}


def _axes(ax, figsize=(7, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _stage_columns(table: pd.DataFrame, prefix: str = "") -> list[str]:
    return [f"{prefix}{s}" for s in STAGES if f"{prefix}{s}" in table.columns]


def plot_stage_mix(mix: pd.DataFrame, ax=None, **kwargs):
    """Stacked shares of the stages over calendar periods (from :func:`analysis.lifecycle.stage_mix`)."""
    ax = _axes(ax)
    cols = _stage_columns(mix)
    x = np.arange(len(mix))
    kwargs.setdefault("alpha", 0.9)
    ax.stackplot(
        x,
        *[mix[c].to_numpy() for c in cols],
        labels=cols,
        colors=[STAGE_COLORS[c] for c in cols],
        **kwargs,
    )
    step = max(1, len(mix) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([str(p) for p in mix.index[::step]], rotation=45, ha="right")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(0, 1)
    ax.set_xlabel(str(mix.index.name or "period"))
    ax.set_ylabel("share of customers")
    ax.set_title("Stage mix over time")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return ax


def _indexed(values: pd.Series) -> np.ndarray:
    top = float(np.nanmax(values.to_numpy())) if len(values) else 0.0
    return values.to_numpy(dtype=float) / top if top > 0 else values.to_numpy(dtype=float)


def plot_lifecycle_curve(curve: pd.DataFrame, ax=None, **kwargs):
    """The lifecycle curve: purchases and profit per customer (each relative to its peak) with stage bands.

    ``curve`` comes from :func:`analysis.lifecycle.lifecycle_curve`. With
    ``align="age"`` the bands behind the lines are the stage shares at each
    age (stacked); with ``align="stage"`` they mark the stretch of the curve
    that belongs to each stage. ``**kwargs`` go to the line plots.
    """
    ax = _axes(ax, figsize=(8, 4.5))
    kwargs.setdefault("linewidth", 2)
    if "share_exploration" in curve.columns:
        x = curve.index.to_numpy()
        shares = [curve[f"share_{s}"].to_numpy() for s in STAGES]
        ax.stackplot(
            x,
            *shares,
            colors=[STAGE_COLORS[s] for s in STAGES],
            alpha=0.25,
            labels=[f"share in {s}" for s in STAGES],
        )
        ax.set_xlabel("relationship age (periods since the first purchase)")
        ax.set_xlim(x[0], x[-1])
    else:
        x = np.arange(len(curve))
        stage = curve["stage"].astype(str).to_numpy()
        for s in STAGES:
            where = np.flatnonzero(stage == s)
            if len(where):
                ax.axvspan(where[0] - 0.5, where[-1] + 0.5, color=STAGE_COLORS[s], alpha=0.18, lw=0)
                ax.annotate(
                    s,
                    ((where[0] + where[-1]) / 2, 1.02),
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color=STAGE_COLORS[s],
                    xycoords=("data", "axes fraction"),
                )
        ax.set_xticks(x)
        labels = (
            curve["label"]
            if "label" in curve
            else curve["periods_in_stage"].astype(int).astype(str)
        )
        ax.set_xticklabels(list(labels))
        ax.set_xlabel("periods since entering the stage")
        ax.set_xlim(-0.5, len(curve) - 0.5)
    ax.plot(
        x,
        _indexed(curve["purchases"]),
        **{"color": "black", "label": "purchases per customer", **kwargs},
    )
    ax.plot(
        x,
        _indexed(curve["profit"]),
        **{"color": "darkorange", "linestyle": "--", "label": "profit per customer", **kwargs},
    )
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("relative to its peak (lines) / share (bands)")
    ax.set_title("Lifecycle curve", pad=18)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return ax


def plot_transition_matrix(P: pd.DataFrame, ax=None, **kwargs):
    """Heatmap of the stage transition probabilities (rows: from, columns: to)."""
    ax = _axes(ax, figsize=(5.5, 4.5))
    kwargs.setdefault("annot", True)
    kwargs.setdefault("fmt", ".2f")
    kwargs.setdefault("cmap", "Blues")
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", 1.0)
    kwargs.setdefault("cbar", False)
    sns.heatmap(P, ax=ax, **kwargs)
    ax.set_xlabel("stage next period")
    ax.set_ylabel("stage this period")
    ax.set_title("Stage transitions per period")
    return ax


def plot_stage_projection(mix: pd.DataFrame, ax=None, **kwargs):
    """Projected stage shares, step 0 (now) onwards (from :func:`analysis.lifecycle.project_stage_mix`)."""
    ax = _axes(ax)
    kwargs.setdefault("linewidth", 2)
    for s in _stage_columns(mix):
        ax.plot(mix.index, mix[s], **{"color": STAGE_COLORS[s], "label": s, **kwargs})
    ax.set_xlabel("periods ahead")
    ax.set_ylabel("share of today's customers")
    ax.set_ylim(0, 1)
    ax.set_title("Projected stage mix (Markov chain)")
    ax.legend(frameon=False)
    return ax


def plot_cohort_retention(retention: pd.DataFrame, ax=None, **kwargs):
    """Heatmap of the share of each first-purchase cohort buying at each age (from ``cohort_retention``).

    Age 0 (1 by construction) and the ``customers`` column are left out.
    """
    ax = _axes(ax, figsize=(9, max(2.5, 0.35 * len(retention) + 1.5)))
    table = retention.drop(columns=["customers"], errors="ignore")
    table = table.loc[:, [c for c in table.columns if c != 0]]
    table.index = [str(i) for i in table.index]
    kwargs.setdefault("cmap", "viridis")
    kwargs.setdefault("annot", table.shape[1] <= 12 and len(table) <= 12)
    kwargs.setdefault("fmt", ".0%")
    kwargs.setdefault("annot_kws", {"fontsize": 7})
    kwargs.setdefault("cbar_kws", {"label": "share buying"})
    sns.heatmap(table, ax=ax, **kwargs)
    ax.set_xlabel("relationship age (periods)")
    ax.set_ylabel("first-purchase cohort")
    ax.set_title("Retention by cohort")
    return ax


def plot_survival(survival: pd.DataFrame, ax=None, **kwargs):
    """Kaplan-Meier curves of relationships not yet in decline, one per group, with 95% bands.

    ``palette=`` picks the group colours (a seaborn palette); other ``**kwargs``
    go to every step line.
    """
    ax = _axes(ax)
    groups = list(dict.fromkeys(survival["group"]))
    palette = sns.color_palette(kwargs.pop("palette", None), n_colors=max(len(groups), 1))
    kwargs.setdefault("linewidth", 1.8)
    for color, name in zip(palette, groups, strict=False):
        sub = survival.loc[survival["group"] == name]
        line_kwargs = {"color": color, "label": str(name), **kwargs}
        color = line_kwargs["color"]
        ax.step(sub["time"], sub["survival"], where="post", **line_kwargs)
        ax.fill_between(
            sub["time"], sub["lower"], sub["upper"], step="post", color=color, alpha=0.15, lw=0
        )
    ax.set_xlabel("periods since the first purchase")
    ax.set_ylabel("share of relationships not in decline")
    ax.set_ylim(0, 1.02)
    ax.set_title("Survival of relationships (Kaplan-Meier)")
    if len(groups) > 1:
        ax.legend(frameon=False, fontsize=8)
    return ax


def plot_stage_confusion(confusion: pd.DataFrame, ax=None, normalize: bool = True, **kwargs):
    """Heatmap of assigned against true stages; rows normalised to recall by default."""
    ax = _axes(ax, figsize=(5.5, 4.5))
    table = (
        confusion.div(confusion.sum(axis=1).replace(0, np.nan), axis=0) if normalize else confusion
    )
    kwargs.setdefault("annot", True)
    kwargs.setdefault("fmt", ".2f" if normalize else "d")
    kwargs.setdefault("cmap", "Greens")
    kwargs.setdefault("cbar", False)
    sns.heatmap(table, ax=ax, **kwargs)
    ax.set_xlabel("assigned stage")
    ax.set_ylabel("true stage")
    ax.set_title(
        "Classifier against the simulator's truth" + (" (share of true)" if normalize else "")
    )
    return ax


def plot_sensitivity(table: pd.DataFrame, ax=None, **kwargs):
    """Heatmap of the change in the current stage mix (percentage points) for each threshold move."""
    rows = table.loc[table["threshold"] != "(defaults)"]
    values = rows[[f"d_{s}" for s in STAGES]].copy()
    values.columns = list(STAGES)
    values.index = [f"{t} {c}" for t, c in zip(rows["threshold"], rows["change"], strict=True)]
    ax = _axes(ax, figsize=(6, 0.3 * len(values) + 1.5))
    limit = float(np.nanmax(np.abs(values.to_numpy()))) if len(values) else 1.0
    kwargs.setdefault("annot", True)
    kwargs.setdefault("fmt", "+.1f")
    kwargs.setdefault("cmap", "RdBu_r")  # symmetric limits below keep 0 at the centre
    kwargs.setdefault("vmin", -max(limit, 1.0))
    kwargs.setdefault("vmax", max(limit, 1.0))
    kwargs.setdefault("cbar_kws", {"label": "change in share (points)"})
    kwargs.setdefault("annot_kws", {"fontsize": 7})
    sns.heatmap(values, ax=ax, **kwargs)
    ax.set_xlabel("current stage")
    ax.set_ylabel("threshold moved")
    ax.set_title("Sensitivity of the stage mix")
    return ax
