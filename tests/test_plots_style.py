"""One colour per method in every figure, and a figure's title as its alt text."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.core.formatters import DisplayFormatter

from analysis import plots
from analysis.plots import style


def test_a_method_keeps_its_colour_whatever_the_other_methods():
    alone = style.method_colors(["markov"])
    mixed = style.method_colors(["BG/NBD", "formula", "markov", "new rule"])
    assert alone["markov"] == mixed["markov"] == style.METHOD_COLORS["markov"]
    # a method not in the mapping takes a colour no listed method uses
    assert mixed["new rule"] not in {mixed[n] for n in ("BG/NBD", "formula", "markov")}
    assert len(set(style.METHOD_COLORS.values())) == len(style.METHOD_COLORS)


def test_the_two_panels_of_the_method_comparison_share_colours():
    rng = np.random.default_rng(3)
    values = pd.DataFrame(rng.gamma(2.0, 10.0, (50, 3)), columns=["formula", "markov", "BG/NBD"])
    totals = pd.DataFrame(
        {"predicted": [90.0, 120.0, 100.0], "actual": 100.0, "ratio": [0.9, 1.2, 1.0]},
        index=["BG/NBD", "formula", "markov"],
    )
    left, right = plots.plot_method_comparison(values, totals)
    curves = {ln.get_label().split(" (")[0]: ln.get_color() for ln in left.get_lines()}
    bars = dict(zip(totals.index, (p.get_facecolor() for p in right.patches), strict=True))
    for name in totals.index:
        assert matplotlib.colors.same_color(curves[name], bars[name]), name
    plt.close("all")


def test_the_title_is_the_alt_text():
    fig, axes = plt.subplots(1, 2)
    axes[0].set_title("Holdout spend in \\$")
    axes[1].set_title("Right panel")
    assert style.figure_title(fig) == "Holdout spend in $; Right panel"
    fig.suptitle("One title\nfor both")
    assert style.figure_title(fig) == "One title for both"
    untitled, ax = plt.subplots()
    ax.set_xlabel("date")
    ax.set_ylabel("customers")
    assert style.figure_title(untitled) == "customers against date"
    plt.close("all")


class _Shell:
    def __init__(self):
        self.display_formatter = DisplayFormatter()


def test_a_shown_figure_carries_its_title_in_the_png_metadata():
    shell = _Shell()
    style._wrap_png_printer(shell)
    style._wrap_png_printer(shell)  # twice: wrapped once
    fig, ax = plt.subplots()
    ax.set_title("Concentration of customer value")
    data, metadata = shell.display_formatter.format(fig)
    assert data["image/png"][:4] == b"\x89PNG"
    assert metadata["image/png"] == {"alt": "Concentration of customer value"}
    plt.close("all")


def test_the_report_page_writes_the_alt_text_of_a_figure(tmp_path):
    import base64
    import io

    import nbformat

    from analysis.report.pages import to_html

    fig, ax = plt.subplots()
    ax.set_title("Concentration of <customer> value")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode()
    titled = nbformat.v4.new_output(
        "display_data",
        data={"image/png": png},
        metadata={"image/png": {"alt": style.figure_title(fig)}},
    )
    bare = nbformat.v4.new_output("display_data", data={"image/png": png})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[titled, bare])])
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, str(path))
    page = to_html(path).read_text(encoding="utf-8")
    assert 'alt="Concentration of &lt;customer&gt; value"' in page
    assert page.count("<img") == 2  # the figure without a title keeps nbconvert's placeholder
