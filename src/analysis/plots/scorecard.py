"""Figure of the holdout scorecard: each method's deciles, mean prediction against mean actual value.

Each function takes the decile table of :func:`analysis.clv.prediction_deciles`
(or :func:`analysis.clv.decile_table` per method), ``ax=None`` (a new figure
when omitted), passes ``**kwargs`` to every method's line and returns the axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from ..tables.format import unit_after
from .style import DPI, OKABE_ITO, method_colors, new_axes, plain_currency

__all__ = ["plot_decile_calibration", "plot_scorecard_deciles"]

#: the label of each target's axes; spend is money in the report's currency
_TARGET_WORDS = {"purchases": "purchases per customer", "spend": "spend per customer"}


def _tick_format(money: bool, sign: str):
    def fmt(x, _pos):  # 0.1, 1, 10, 1,000: the log axis's decades as written by hand
        text = f"{x:,.{max(0, -int(np.floor(np.log10(x))))}f}" if x > 0 else "0"
        return f"{sign}{text}" if money else text

    return mticker.FuncFormatter(fmt)


def plot_decile_calibration(
    deciles: pd.DataFrame, ax=None, *, target: str = "spend", currency: str = "$", **kwargs
):
    """Mean prediction against mean actual value per decile of predicted rank, one line per method.

    A well-calibrated method lies on the dotted diagonal; above it, the
    method predicts too little for its deciles, below it too much. The
    decile that each method ranks highest (decile 1) is marked with a
    larger point. Both axes are logarithmic, so deciles of very different
    value can be read; a decile whose mean is 0 cannot be drawn and is counted
    in the x-axis label.

    Parameters
    ----------
    deciles : DataFrame
        Index (``method``, ``decile``), columns ``mean_predicted`` and
        ``mean_actual``: one target of :func:`analysis.clv.prediction_deciles`.
    target : {"purchases", "spend"}
        What is predicted: purchases are counted, spend is money in ``currency``.
    currency : str
        The currency of spend (or ``"purchases"`` for a log without amounts).
    **kwargs
        Passed to every method's :meth:`~matplotlib.axes.Axes.plot`.
    """
    if target not in _TARGET_WORDS:
        raise ValueError(f"target must be one of {list(_TARGET_WORDS)}, got {target!r}")
    ax = new_axes(ax, figsize=(5.5, 5))
    money = target == "spend" and not unit_after(currency)
    sign = plain_currency(currency) if money else ""
    methods = list(dict.fromkeys(deciles.index.get_level_values(0)))
    kwargs.setdefault("marker", "o")
    kwargs.setdefault("markersize", 4)
    kwargs.setdefault("linewidth", 1.4)
    hidden = 0
    drawn = []
    colors = method_colors(methods)
    for method in methods:
        color = colors[str(method)]
        table = deciles.loc[method].sort_index()
        shown = (table["mean_predicted"] > 0) & (table["mean_actual"] > 0)
        hidden += int((~shown).sum())
        table = table[shown]
        if table.empty:
            continue
        ax.plot(
            table["mean_predicted"],
            table["mean_actual"],
            **{"color": color, "label": str(method), **kwargs},
        )
        if 1 in table.index:  # the top decile, where most of the value sits
            ax.plot(
                table.loc[1, "mean_predicted"],
                table.loc[1, "mean_actual"],
                marker="o",
                markersize=9,
                color=color,
                markeredgecolor=OKABE_ITO["black"],
                linestyle="none",
            )
        drawn.append(table[["mean_predicted", "mean_actual"]].to_numpy())
    ax.set_xscale("log")
    ax.set_yscale("log")
    if drawn:
        values = np.concatenate(drawn).ravel()
        lo, hi = values.min() / 1.5, values.max() * 1.5
        ax.plot(
            [lo, hi],
            [lo, hi],
            color="grey",
            linestyle=":",
            linewidth=1,
            label="prediction = actual",
        )
        ax.plot([], [], marker="o", markersize=9, color="white", markeredgecolor=OKABE_ITO["black"],
                linestyle="none", label="top decile")  # fmt: skip
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(_tick_format(money, sign))
        axis.set_minor_formatter(mticker.NullFormatter())
    words = _TARGET_WORDS[target]
    unit = f" ({sign})" if money else (f" ({currency})" if target == "spend" else "")
    note = f"; {hidden} decile(s) at 0 not shown" if hidden else ""
    ax.set_xlabel(f"mean predicted {words}{unit}, log scale{note}")
    ax.set_ylabel(f"mean actual {words}{unit}, log scale")
    ax.set_title(f"Holdout {target}: actual against predicted, by decile")
    ax.legend(title="method", frameon=False, fontsize=8, title_fontsize=8, loc="upper left")
    return ax


def plot_scorecard_deciles(deciles: pd.DataFrame, *, currency: str = "$", axes=None, **kwargs):
    """:func:`plot_decile_calibration` for every target side by side (purchases left, spend right).

    ``deciles`` is :func:`analysis.clv.prediction_deciles` (index ``target``,
    ``method``, ``decile``); ``axes`` one axes per target (a new figure when
    omitted). Returns the axes; ``**kwargs`` go to the methods' lines.
    """
    targets = list(dict.fromkeys(deciles.index.get_level_values(0)))
    if axes is None:
        _, axes = plt.subplots(
            1,
            len(targets),
            figsize=(5.8 * len(targets), 5.2),
            dpi=DPI,
            squeeze=False,
            layout="constrained",  # the second panel's y label clear of the first
        )
    axes = np.asarray(axes).ravel()
    if len(axes) != len(targets):
        raise ValueError(f"give one axes per target ({targets}), got {len(axes)}")
    for ax, target in zip(axes, targets, strict=True):
        plot_decile_calibration(
            deciles.loc[target], ax=ax, target=target, currency=currency, **kwargs
        )
    return axes
