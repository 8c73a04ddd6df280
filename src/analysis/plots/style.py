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
    "METHOD_COLORS",
    "method_colors",
    "figure_title",
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

# the order groups take their colours in (black is kept for "actual")
_CYCLE = ("blue", "orange", "green", "vermillion", "purple", "sky_blue", "yellow")

#: one colour per valuation or forecasting method in every figure: the three
#: count models, the simple methods of 03 and the scorecard's rules without a
#: model (beyond Okabe-Ito's seven: seaborn ``colorblind``'s brown, grey and pink)
METHOD_COLORS: dict[str, str] = {
    "actual": OKABE_ITO["black"],
    "BG/NBD": OKABE_ITO["blue"],
    "Pareto/NBD": OKABE_ITO["orange"],
    "MBG/NBD": OKABE_ITO["green"],
    "formula": OKABE_ITO["vermillion"],
    "retention": OKABE_ITO["purple"],
    "markov": OKABE_ITO["sky_blue"],
    "spend rate": "#CA9161",
    "last period": "#949494",
    "RFM score": "#FBAFE4",
}


def method_colors(names) -> dict[str, str]:
    """The colour of each method in ``names``: its own from :data:`METHOD_COLORS`, else a free one.

    A name not in the mapping takes the first colour of the Okabe-Ito cycle
    (then seaborn ``colorblind``) that no listed method uses, in the order
    given, so a figure never shows two methods in one colour.
    """
    names = [str(n) for n in names]
    taken = {METHOD_COLORS[n] for n in names if n in METHOD_COLORS}
    candidates = [*(OKABE_ITO[c] for c in _CYCLE), *palette(len(_CYCLE) + 3)]
    free = (c for c in candidates if c not in taken)
    return {n: METHOD_COLORS.get(n) or next(free) for n in names}


def use_style() -> None:
    """Set matplotlib's defaults to the study's: 150 dpi, the Okabe-Ito cycle, alt text from titles.

    In a notebook, every figure shown from then on carries its title as alt
    text (see :func:`show_alt_text`).
    """
    mpl.rcParams["figure.dpi"] = DPI
    mpl.rcParams["savefig.dpi"] = DPI
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=palette(len(_CYCLE)))
    show_alt_text()


def figure_title(fig) -> str:
    """A figure's title as one line of plain text: its suptitle, else its panels' titles.

    Panels are joined with "; " ("left: ..." / "right: ..." are not guessed:
    each panel's own title is kept as drawn). Without any title, the axis
    labels of the first panel ("y against x"). Matplotlib's escaped dollar
    (``\\$``) and line breaks are written plainly.
    """
    titles = []
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
        titles.append(fig._suptitle.get_text())
    else:
        for ax in fig.axes:
            text = ax.get_title() or ax.get_title(loc="left") or ax.get_title(loc="right")
            if text and text not in titles:
                titles.append(text)
    if not titles and fig.axes:
        ax = fig.axes[0]
        if ax.get_ylabel() and ax.get_xlabel():
            titles.append(f"{ax.get_ylabel()} against {ax.get_xlabel()}")
    text = "; ".join(titles).replace("\\$", "$").replace("\n", " ")
    return " ".join(text.split())


def show_alt_text() -> bool:
    """Give every figure a notebook shows its title as alt text; False outside IPython.

    The PNG formatter of IPython's display system is wrapped so that a
    figure's output carries the metadata ``{"image/png": {"alt": title}}``
    (:func:`figure_title`), the key nbconvert's classic HTML template and
    nbsphinx read for an ``<img>``'s alt text; the report pages' template
    (:mod:`analysis.report.pages`) reads it too (nbconvert's lab template and
    JupyterLab's image renderer read none). The inline backend registers its
    own printer again after the first cell has run, so the wrap is renewed
    before every cell. Calling this twice changes nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the report extra
        return False
    shell = get_ipython()
    if shell is None:
        return False
    _load_backend()
    _wrap_png_printer(shell)
    if not getattr(shell, "_analysis_alt_text", False):
        shell.events.register("pre_run_cell", lambda *_: _wrap_png_printer(shell))
        shell._analysis_alt_text = True
    return True


def _load_backend() -> None:
    """Import pyplot's backend now: the inline backend registers its PNG printer when imported."""
    import importlib

    backend = mpl.get_backend()
    if backend == "inline":
        backend = "module://matplotlib_inline.backend_inline"
    if backend.startswith("module://"):
        importlib.import_module(backend.removeprefix("module://"))


def _wrap_png_printer(shell) -> None:
    """Wrap the shell's PNG printer of figures, once, to add the figure's title as alt text."""
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["image/png"]
    try:
        printer = formatter.lookup_by_type(Figure)
    except KeyError:  # no inline backend: draw the PNG here

        def printer(fig):
            from io import BytesIO

            buffer = BytesIO()
            fig.savefig(buffer, format="png", bbox_inches="tight")
            return buffer.getvalue()

    if getattr(printer, "adds_alt_text", False):
        return

    def png_with_alt(fig):
        data = printer(fig)
        if data is None:
            return None
        metadata = {}
        if isinstance(data, tuple):
            data, metadata = data
        title = figure_title(fig)
        return (data, {**(metadata or {}), "alt": title}) if title else data

    png_with_alt.adds_alt_text = True
    formatter.for_type(Figure, png_with_alt)


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
