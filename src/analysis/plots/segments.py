"""Figures of the segments report: the value matrix, loyalty x profitability, stage x tier.

Each function takes the customer table or a :func:`analysis.segments.segment_summary`
table, ``ax=None`` (a new figure when omitted), passes ``**kwargs`` to the
main drawing call and returns the axes. Counts are written in every cell, as
some cells are thin; colours are colour-blind safe (seaborn's
``colorblind`` palette, the ``cividis`` map).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from mpl_toolkits.axes_grid1 import make_axes_locatable

from ..segments import HIGH, LOW, LOYALTY_PROFITABILITY, VALUE_MATRIX, segment_summary, value_matrix
from ..tables.format import with_currency
from .style import new_axes

__all__ = [
    "plot_value_matrix",
    "plot_loyalty_profitability",
    "plot_stage_tiers",
]

# where each value-matrix cell is written, in axes fractions: (x, y, ha, va) by (current, potential)
_CORNERS = {
    (HIGH, HIGH): (0.98, 0.98, "right", "top"),
    (HIGH, LOW): (0.98, 0.02, "right", "bottom"),
    (LOW, HIGH): (0.02, 0.98, "left", "top"),
    (LOW, LOW): (0.02, 0.02, "left", "bottom"),
}


def _axes(ax, figsize=(7, 5)):
    return new_axes(ax, figsize)


def _share(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if 0 < abs(x) < 0.0005:
        return "<0.1%"
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def _plain(text: str) -> str:
    """``text`` with dollar signs escaped, so matplotlib does not read them as math."""
    return text.replace("$", r"\$")


def _cut(values: pd.Series, cut) -> float:
    return float(values.median()) if isinstance(cut, str) else float(cut)


def plot_value_matrix(
    table: pd.DataFrame,
    *,
    current: str = "current_value",
    potential: str = "potential_value",
    cut="median",
    currency: str = "$",
    ax=None,
    **kwargs,
):
    """Every customer by current and potential value (symlog axes), the cuts and the four cells.

    The cells are those of :func:`analysis.segments.value_matrix` with the
    same ``cut`` (``"median"``, a number, or a pair for the two axes); each is
    drawn in its colour and annotated with its label, customers and share of
    the value in its corner. Symlog axes are linear within one currency unit
    of zero. Customers without current value (often half of them) would sit
    on one vertical line: they are drawn in a strip of their own left of the
    matrix, spread at random across its width, with their count.
    ``**kwargs`` go to :meth:`~matplotlib.axes.Axes.scatter`.
    """
    ax = _axes(ax, figsize=(8, 5))
    cut_c, cut_p = cut if isinstance(cut, tuple | list) else (cut, cut)
    labels = value_matrix(table, current=current, potential=potential, cut=cut)
    summary = segment_summary(table, labels, value=potential)
    x = table[current].to_numpy(dtype=float)
    y = table[potential].to_numpy(dtype=float)
    zero = x == 0
    # the customers without current value would sit on one line at x = 0: a strip of their own
    strip = None
    if zero.any() and not zero.all():
        strip = make_axes_locatable(ax).append_axes("left", size="20%", pad=0.08, sharey=ax)
        jitter = np.random.default_rng(0).uniform(-1.0, 1.0, int(zero.sum()))
    kwargs.setdefault("s", 6)
    kwargs.setdefault("alpha", 0.4)
    kwargs.setdefault("linewidths", 0)
    # blue, orange, green and grey of the colour-blind palette: the low/low cell recedes
    colours = [sns.color_palette("colorblind")[i] for i in (0, 1, 2, 7)]
    palette = dict(zip(VALUE_MATRIX.values(), colours, strict=True))
    for key, label in VALUE_MATRIX.items():
        inside = (labels == label).to_numpy()
        style = {"color": palette[label], "label": label, **kwargs}
        if strip is None:
            ax.scatter(x[inside], y[inside], **style)
        else:
            ax.scatter(x[inside & ~zero], y[inside & ~zero], **style)
            strip.scatter(jitter[inside[zero]], y[inside & zero], **style)
        row = summary.loc[label]
        fx, fy, ha, va = _CORNERS[key]
        ax.text(
            fx,
            fy,
            f"{label}\n{int(row['customers']):,} customers\n{_share(row['share_clv'])} of value",
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=9,
            color=palette[label],
            fontweight="bold",
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_yscale("symlog", linthresh=1.0)
    cx, cy = _cut(table[current], cut_c), _cut(table[potential], cut_p)
    ax.axvline(cx, color="black", linestyle="--", linewidth=1)
    ax.axhline(cy, color="black", linestyle="--", linewidth=1)
    unit = _plain(currency)
    ax.set_xlabel(f"current value ({unit}, margin of the last year; symlog scale)")
    ylabel = f"potential value ({unit}, net CLV; symlog scale)"
    ax.set_ylabel(ylabel)
    ax.set_title(
        f"Value matrix: cuts at {with_currency(f'{cx:,.2f}', unit)} and "
        f"{with_currency(f'{cy:,.2f}', unit)} (dashed)"
    )
    if strip is not None:
        ax.set_xlim(left=0.0)
        strip.axhline(cy, color="black", linestyle="--", linewidth=1)
        strip.set_xlim(-1.6, 1.6)
        strip.set_xticks([0.0])
        strip.set_xticklabels([with_currency("0", unit)])
        strip.set_title(
            f"no current value:\n{int(zero.sum()):,} ({_share(zero.mean())})", fontsize=8
        )
        strip.set_ylabel(ylabel)
        ax.set_ylabel("")
        ax.tick_params(labelleft=False)
    return ax


def _annotated_heatmap(colour: pd.DataFrame, text: pd.DataFrame, ax, cbar_label: str, **kwargs):
    kwargs.setdefault("cmap", "cividis")
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("linewidths", 0.5)
    kwargs.setdefault("cbar_kws", {"label": cbar_label})
    sns.heatmap(colour.astype(float), annot=text.to_numpy(), fmt="", ax=ax, **kwargs)
    return ax


def plot_loyalty_profitability(
    summary: pd.DataFrame, *, matrix=LOYALTY_PROFITABILITY, ax=None, **kwargs
):
    """Reinartz and Kumar's 2 x 2: loyal or not (rows) by profitable or not (columns).

    ``summary``: :func:`analysis.segments.segment_summary` by
    :func:`analysis.segments.loyalty_profitability`; ``matrix`` the label per
    ``(loyalty, profitability)`` level used there. Colour: share of the value;
    each cell names its label, customers and share of value. ``**kwargs`` go
    to :func:`seaborn.heatmap`.
    """
    ax = _axes(ax, figsize=(6.5, 4.5))
    rows = {HIGH: "loyal", LOW: "not loyal"}
    cols = {HIGH: "profitable", LOW: "not profitable"}
    colour = pd.DataFrame(np.nan, index=list(rows.values()), columns=list(cols.values()))
    text = pd.DataFrame("", index=colour.index, columns=colour.columns)
    for (a, b), label in matrix.items():
        row = summary.loc[label]
        colour.loc[rows[a], cols[b]] = row["share_clv"]
        text.loc[rows[a], cols[b]] = (
            f"{label}\n{int(row['customers']):,} customers\n{_share(row['share_clv'])} of value"
        )
    _annotated_heatmap(colour, text, ax, "share of the value", **kwargs)
    ax.set_xlabel("profitability (net CLV against the cut)")
    ax.set_ylabel("loyalty (P(alive) and regularity)")
    ax.set_title("Loyalty x profitability")
    return ax


def plot_stage_tiers(summary: pd.DataFrame, *, colour: str = "share_clv", ax=None, **kwargs):
    """Stage (rows) by value tier (columns): customers and share of value in every cell.

    ``summary``: :func:`analysis.segments.segment_summary` by ``["stage", tiers]``
    (a two-level index). ``colour``: ``"share_clv"`` (share of the value) or
    ``"share_customers"``; each cell shows the customers and the share of
    value. Tiers without any customer are left out. ``**kwargs`` go to
    :func:`seaborn.heatmap`.
    """
    if colour not in ("share_clv", "share_customers"):
        raise ValueError(f"colour must be 'share_clv' or 'share_customers', got {colour!r}")
    ax = _axes(ax, figsize=(7, 4.5))
    level = summary.index.names[1]
    counts = summary["customers"].unstack(level)
    keep = [c for c in counts.columns if counts[c].sum() > 0]
    counts = counts[keep]
    shares = summary["share_clv"].unstack(level)[keep]
    text = (counts.map(lambda n: f"{int(n):,}") + "\n" + shares.map(_share)).where(counts > 0, "0")
    what = "share of the value" if colour == "share_clv" else "share of the customers"
    _annotated_heatmap(summary[colour].unstack(level)[keep], text, ax, what, **kwargs)
    name = str(level).replace("_", " ")
    ax.set_xlabel(f"{name} (customers, share of value)")
    ax.set_ylabel(str(summary.index.names[0]).replace("_", " "))
    ax.set_title(f"Stage x {name}: colour is the {what}")
    return ax
