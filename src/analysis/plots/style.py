"""One look for every figure: 150 dpi, colour-blind-safe colours, units on the axes, dates on calendar axes.

The plotting functions create their figures with :func:`new_axes` (150 dpi,
saved at the figure's dpi) and take their colours from here, so a figure
reads the same in every report whatever the notebook set. :func:`use_style`
sets the same defaults for figures a notebook draws itself.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd

from ..tables.format import unit_after
from ..units import STAGES

__all__ = [
    "DPI",
    "OKABE_ITO",
    "STAGE_COLORS",
    "use_style",
    "new_axes",
    "palette",
    "plain_currency",
    "money_axis",
    "date_axis",
    "period_starts",
]

#: resolution of every figure, on screen and saved
DPI: int = 150

#: the Okabe-Ito colours (Okabe and Ito 2008), distinguishable with colour-blindness
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}

#: one colour per stage in every figure (Okabe-Ito: light blue, green, dark blue, vermillion)
STAGE_COLORS: dict[str, str] = dict(
    zip(
        STAGES,
        (OKABE_ITO["sky_blue"], OKABE_ITO["green"], OKABE_ITO["blue"], OKABE_ITO["vermillion"]),
        strict=True,
    )
)

# the order groups and methods take their colours in (black is kept for "actual")
_CYCLE = ("blue", "orange", "green", "vermillion", "purple", "sky_blue", "yellow")


def use_style() -> None:
    """Set matplotlib's defaults to the study's: 150 dpi on screen and saved, the Okabe-Ito cycle."""
    mpl.rcParams["figure.dpi"] = DPI
    mpl.rcParams["savefig.dpi"] = DPI
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=palette(len(_CYCLE)))


def new_axes(ax=None, figsize=(7, 4)):
    """``ax`` when given, else the axes of a new figure at :data:`DPI`."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, dpi=DPI)
    return ax


def palette(n: int) -> list[str]:
    """``n`` colour-blind-safe colours: Okabe-Ito for up to 7, seaborn ``colorblind`` beyond."""
    if n <= len(_CYCLE):
        return [OKABE_ITO[name] for name in _CYCLE[: max(n, 0)]]
    import seaborn as sns

    return [mpl.colors.to_hex(c) for c in sns.color_palette("colorblind", n_colors=n)]


def plain_currency(currency: str) -> str:
    """The currency sign with ``$`` escaped, so matplotlib does not read it as mathtext."""
    return currency.replace("$", r"\$")


def money_axis(ax, currency: str = "$", axis: str = "y", decimals: int = 0) -> None:
    """Tick labels of ``axis`` as money: the currency and separators (``$1,200``; ``$250k``, ``$1.5M``)."""
    sign = plain_currency(currency)

    def fmt(x, _pos):
        size = abs(x)
        if size >= 1e6:  # compact from a million, so long tick labels do not collide
            text = f"{size / 1e6:,.1f}M"
        elif size >= 1e5:
            text = f"{size / 1e3:,.0f}k"
        else:
            text = f"{size:,.{decimals}f}"
        if unit_after(currency):  # a unit word (purchases) is the axis label's, not the tick's
            return f"-{text}" if x < 0 else text
        return f"-{sign}{text}" if x < 0 else f"{sign}{text}"

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(mticker.FuncFormatter(fmt))


def date_axis(ax, axis: str = "x") -> None:
    """Calendar dates on ``axis``, labelled concisely (months, the year once)."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))


def period_starts(index) -> pd.DatetimeIndex:
    """The start dates of a PeriodIndex, or of labels like ``"1997-01"``, for a calendar axis."""
    if isinstance(index, pd.PeriodIndex):
        return index.to_timestamp()
    return pd.DatetimeIndex(pd.to_datetime([str(i) for i in index]))
