"""Figures of the lifecycle study: stage mix, lifecycle curve, transition chain, cohorts, survival, accuracy.

Each function takes the table an :mod:`analysis.lifecycle` function returns,
``ax=None`` (a new figure when omitted), passes ``**kwargs`` to the main
drawing call and returns the axes.
"""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from ..units import STAGES
from .style import OKABE_ITO, STAGE_COLORS, new_axes, palette

__all__ = [
    "STAGE_COLORS",
    "plot_stage_mix",
    "plot_transition_matrix",
    "plot_stage_projection",
    "plot_cohort_retention",
    "plot_survival",
    "plot_stage_confusion",
    "plot_sensitivity",
]


def _axes(ax, figsize=(7, 4)):
    return new_axes(ax, figsize)


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
    ax.set_xlim(x[0], x[-1] if x[-1] > x[0] else x[0] + 1)  # one period: a unit-wide band
    ax.set_ylim(0, 1)
    ax.set_xlabel(str(mix.index.name or "period"))
    ax.set_ylabel("share of customers")
    ax.set_title("Stage mix over time")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
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


def _legend_title(groups) -> str:
    try:
        pd.PeriodIndex([str(g) for g in groups], freq="M")
        return "first-purchase month"
    except (ValueError, TypeError):
        return "group"


def plot_survival(
    survival: pd.DataFrame,
    ax=None,
    *,
    period: str = "M",
    trial_months: float | None = None,
    labels=None,
    legend_title: str | None = None,
    **kwargs,
):
    """Kaplan-Meier curves of relationships not yet in decline, one per group, with 95% bands.

    Parameters
    ----------
    survival : DataFrame
        :func:`analysis.lifecycle.relationship_survival` output.
    period : str
        The stages' period (``"M"``): whole periods on the x axis.
    trial_months : float, optional
        The classifier's ``trial_months``: a dotted line where a silent trial
        turns into decline, labelled with the rule (the drop there is the
        rule at work, not a behaviour found in the data).
    labels : mapping, optional
        Legend label of each group (e.g. its cut-points,
        :func:`analysis.tables.spend_group_labels`); the group's name by
        default. The number of customers of the group is added.
    legend_title : str, optional
        What the groups are; ``"first-purchase month"`` for cohorts, else
        ``"group"``.
    **kwargs
        ``palette=`` (a seaborn palette name) picks the group colours; the
        rest go to every step line.
    """
    from ..tables.format import integer, time_unit_name
    from ..units import DAYS_PER_MONTH, unit_days

    ax = _axes(ax)
    groups = list(dict.fromkeys(survival["group"]))
    name = kwargs.pop("palette", None)
    colours = (
        sns.color_palette(name, n_colors=max(len(groups), 1))
        if name
        else palette(max(len(groups), 1))
    )
    labels = dict(labels or {})
    kwargs.setdefault("linewidth", 1.8)
    for color, group in zip(colours, groups, strict=False):
        sub = survival.loc[survival["group"] == group]
        n = int(sub["at_risk"].iloc[0])
        label = f"{labels.get(group, group)} (n = {integer(n)})".replace("$", r"\$")
        line_kwargs = {"color": color, "label": label, **kwargs}
        color = line_kwargs["color"]
        ax.step(sub["time"], sub["survival"], where="post", **line_kwargs)
        ax.fill_between(
            sub["time"], sub["lower"], sub["upper"], step="post", color=color, alpha=0.15, lw=0
        )
    unit = time_unit_name(period)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.set_xlim(0, max(float(survival["time"].max()) if len(survival) else 0.0, 1.0))
    if trial_months is not None:
        at = float(trial_months) * DAYS_PER_MONTH / unit_days(period)
        ax.axvline(at, color=OKABE_ITO["black"], linestyle=":", linewidth=1.2)
        ax.annotate(
            f"trial_months = {trial_months:g}:\na trial silent longer\nis decline",
            (at, 0.97),
            xycoords=("data", "axes fraction"),
            xytext=(5, 0),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
        )
    ax.set_xlabel(f"{unit} since the first purchase")
    ax.set_ylabel("relationships not yet in decline")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.02)
    ax.set_title("Survival of relationships (Kaplan-Meier, 95% bands)")
    if len(groups) > 1:
        ax.legend(
            title=legend_title or _legend_title(groups),
            frameon=False,
            fontsize=8,
            title_fontsize=8,
            loc="upper right",
        )
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
