"""The lifecycle curve in figures: by relationship age and aligned on the stages.

Purchases and profit per customer are drawn in their own units (purchases on
the left axis, money on the right), never rescaled to their peaks, and the
number of customers (or customer-periods) behind each point is shown, so a
point resting on few customers reads as such.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..tables.format import time_unit_name
from ..units import STAGES
from .style import DPI, OKABE_ITO, STAGE_COLORS, money_axis, new_axes, plain_currency

__all__ = ["plot_lifecycle_curve", "plot_lifecycle_by_age", "stage_curve_positions"]

_PURCHASES = {"color": OKABE_ITO["black"], "linewidth": 2, "marker": "o", "markersize": 3}
_PROFIT = {"color": OKABE_ITO["orange"], "linewidth": 2, "linestyle": "--"}


def _compact(n) -> str:
    """A count in at most four characters, for tick labels: ``272``, ``5.3k``, ``24k``."""
    n = int(n)
    if n < 1000:
        return str(n)
    return f"{n / 1000:.1f}k" if n < 9_950 else f"{n / 1000:.0f}k"


def _singular(unit: str) -> str:
    return unit[:-1]


def stage_curve_positions(curve: pd.DataFrame) -> np.ndarray:
    """x position of each row of a stage-aligned curve: consecutive within a stage, a gap between stages.

    A stage's k-th point sits at its offset + k; the next stage starts two
    positions after the last point, so the line is broken at every stage
    boundary (the relationship does not run from one stage's last bucket
    into the next one's first).
    """
    stage = curve["stage"].astype(str).to_numpy()
    x = np.empty(len(curve), dtype=float)
    offset = 0.0
    for i in range(len(curve)):
        if i > 0 and stage[i] != stage[i - 1]:
            offset = x[i - 1] + 2.0
        elif i > 0:
            offset = x[i - 1] + 1.0
        x[i] = offset
    return x


def _with_gaps(x: np.ndarray, y: np.ndarray):
    """Insert NaN between non-consecutive positions, so the line breaks there."""
    if len(x) == 0:
        return x, y
    gaps = np.flatnonzero(np.diff(x) > 1.0)
    xs = np.insert(x, gaps + 1, x[gaps] + 1.0)
    ys = np.insert(np.asarray(y, dtype=float), gaps + 1, np.nan)
    return xs, ys


def _two_units(ax, x, curve, currency, unit, kwargs, purchase_label, profit_label):
    """Purchases on ``ax`` (left), profit on a twin axis (right, money); one legend."""
    right = ax.twinx()
    right.grid(False)
    xs, purchases = _with_gaps(x, curve["purchases"].to_numpy(dtype=float))
    _, profit = _with_gaps(x, curve["profit"].to_numpy(dtype=float))
    left_line = ax.plot(xs, purchases, **{**_PURCHASES, "label": purchase_label, **kwargs})
    right_line = right.plot(xs, profit, **{**_PROFIT, "label": profit_label, **kwargs})
    ax.set_ylabel(f"purchases per customer per {_singular(unit)}")
    right.set_ylabel(f"profit per customer per {_singular(unit)} ({plain_currency(currency)})")
    money_axis(right, currency, decimals=2 if np.nanmax(np.abs(profit)) < 10 else 0)
    ax.set_ylim(0, max(1e-9, float(np.nanmax(purchases))) * 1.12)
    right.set_ylim(min(0.0, float(np.nanmin(profit))) * 1.12, max(1e-9, np.nanmax(profit)) * 1.12)
    lines = left_line + right_line
    ax.legend(lines, [line.get_label() for line in lines], frameon=False, fontsize=8,
              loc="upper right")  # fmt: skip
    ax.right_axis = right  # the caller reaches the profit axis from the returned one
    return right


def plot_lifecycle_curve(
    curve: pd.DataFrame, ax=None, *, currency: str = "$", period: str = "M", **kwargs
):
    """The lifecycle curve: purchases (left axis) and profit (right axis, money) per customer.

    ``curve`` comes from :func:`analysis.lifecycle.lifecycle_curve`.

    - ``align="stage"``: customer-periods aligned on the period they entered
      each stage; the line breaks at every stage boundary, the stages are
      shaded and named, and each tick says how many customer-periods the
      point rests on (``n``).
    - ``align="age"``: by relationship age, with the customers observed at
      each age under the ticks; the stage shares belong in their own panel
      (:func:`plot_lifecycle_by_age`).

    ``period`` is the curve's period (``"M"``: months) for the labels;
    ``**kwargs`` go to both lines. The profit axis is ``ax.right_axis``.
    """
    title = kwargs.pop("title", "Lifecycle curve")
    ax = new_axes(ax, figsize=(8, 4.5))
    unit = time_unit_name(period)
    if "stage" in curve.columns:
        x = stage_curve_positions(curve)
        stage = curve["stage"].astype(str).to_numpy()
        for s in STAGES:
            where = x[stage == s]
            if len(where):
                ax.axvspan(where[0] - 0.5, where[-1] + 0.5, color=STAGE_COLORS[s], alpha=0.15, lw=0)
                ax.annotate(s, ((where[0] + where[-1]) / 2, 1.01), ha="center", va="bottom",
                            fontsize=9, color=STAGE_COLORS[s], fontweight="bold",
                            xycoords=("data", "axes fraction"))  # fmt: skip
        labels = curve["label"] if "label" in curve else curve["periods_in_stage"].astype(int)
        ax.set_xticks(x)
        ax.set_xticklabels(
            [f"{k}\n{_compact(n)}" for k, n in zip(labels, curve["customer_periods"], strict=True)],
            fontsize=7,
        )
        ax.set_xlabel(f"{unit} since entering the stage (under each: n, customer-{unit})")
        ax.set_xlim(-0.6, x[-1] + 0.6 if len(x) else 0.5)
        title_pad = 16
    else:
        x = curve.index.to_numpy(dtype=float)
        step = max(1, int(np.ceil(len(x) / 10)))
        ax.set_xticks(x[::step])
        ax.set_xticklabels(
            [f"{int(a)}\n{_compact(n)}" for a, n in zip(x[::step], curve["customers"].iloc[::step],
                                                       strict=True)],
            fontsize=7,
        )  # fmt: skip
        ax.set_xlabel(f"age, {unit} since the first purchase (n: customers)")
        ax.set_xlim(x[0] - 0.5, x[-1] + 0.5)
        title_pad = 6
    _two_units(ax, x, curve, currency, unit, kwargs, "purchases (left)", "profit (right)")
    if "stage" not in curve.columns and len(x) and x[0] == 0:
        ax.annotate("first purchase", (x[0], curve["purchases"].iloc[0]), xytext=(8, -2),
                    textcoords="offset points", fontsize=7, va="top")  # fmt: skip
    ax.set_title(title, pad=title_pad)
    return ax


def plot_lifecycle_by_age(
    curve: pd.DataFrame,
    reaching: pd.DataFrame | None = None,
    *,
    currency: str = "$",
    period: str = "M",
    reaching_label: str = "customers who reach stability",
    axes=None,
    **kwargs,
):
    """The lifecycle curve by age in three panels: the whole base, the relationships that settle, the stages.

    Parameters
    ----------
    curve : DataFrame
        :func:`analysis.lifecycle.lifecycle_curve` by age over the whole base.
    reaching : DataFrame, optional
        The same for the customers whose history reaches stability
        (``lifecycle_curve(..., reaching="stability")``): the first-purchase
        spike of the one-time buyers flattens the whole base's curve, this
        one shows the rise through formation, the plateau and the fall.
    currency, period : str
        Currency of profit; the curve's period, for the labels.
    reaching_label : str
        Title of the second panel.
    axes : sequence of 2 or 3 axes, optional
        Where to draw (a new 1 x 3 figure at 150 dpi by default).
    **kwargs
        Passed to the lines.

    Returns
    -------
    ndarray of Axes
        Whole base, subset (when given), stage shares. Purchases on the left
        axis, profit (money) on each panel's ``right_axis``.
    """
    panels = 3 if reaching is not None else 2
    if axes is None:
        _, axes = plt.subplots(
            1, panels, figsize=(4.6 * panels, 3.9), dpi=DPI, layout="constrained"
        )
    axes = np.asarray(axes).ravel()
    if len(axes) != panels:
        raise ValueError(f"axes: {panels} needed, {len(axes)} given")
    plot_lifecycle_curve(curve, ax=axes[0], currency=currency, period=period,
                         title="All customers", **kwargs)  # fmt: skip
    if reaching is not None:
        plot_lifecycle_curve(reaching, ax=axes[1], currency=currency, period=period,
                             title=reaching_label.capitalize(), **kwargs)  # fmt: skip
    ax = axes[-1]
    x = curve.index.to_numpy(dtype=float)
    shares = [curve[f"share_{s}"].to_numpy(dtype=float) for s in STAGES]
    ax.stackplot(x, *shares, colors=[STAGE_COLORS[s] for s in STAGES], labels=list(STAGES),
                 alpha=0.9)  # fmt: skip
    ax.set_xlim(x[0], x[-1] if x[-1] > x[0] else x[0] + 1)  # one age: a unit-wide band
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_xlabel(f"age, {time_unit_name(period)} since the first purchase")
    ax.set_ylabel("share of the customers at that age")
    ax.set_title("Stage shares (all customers)")
    ax.legend(title="stage", frameon=False, fontsize=8, loc="center right")
    return axes
