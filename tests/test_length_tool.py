"""The length tool counts visible words, figures and table rows of rendered reports."""

from __future__ import annotations

from analysis.report.length import length_table, measure_dir, measure_html

PAGE = """<html><head><title>Not counted</title><style>p {color: red}</style></head><body>
<div class="jp-Cell jp-MarkdownCell"><div class="jp-InputArea jp-Cell-inputArea">
<div class="jp-InputPrompt">In [ ]:</div>
<div class="jp-RenderedMarkdown"><h2>Two words<a class="anchor-link" href="#x">&#182;</a></h2>
<p>Three more <b>words</b>.</p></div></div></div>
<div class="jp-Cell jp-CodeCell"><div class="jp-InputArea jp-Cell-inputArea">
<div class="jp-InputPrompt">In [3]:</div><pre>x = hidden_code(1)</pre></div>
<div class="jp-OutputArea"><div class="jp-OutputPrompt">Out[3]:</div>
<table><thead><tr><th>a</th><th>b</th></tr></thead>
<tbody><tr><td>1</td><td>$2.50</td></tr><tr><td>&mdash;</td><td>x</td><td>nan</td><td></td></tr></tbody></table>
<img alt="No description has been provided for this image" src="data:image/png;base64,AA"/>
<img alt="Revenue by cohort" src="data:image/png;base64,AA">
<script>var notCounted = 1;</script>
</div></div></body></html>"""


def test_counts_visible_text_figures_and_rows():
    n = measure_html(PAGE, "page.html")
    # "Two words" + "Three more words." = 5 prose words; the table holds
    # a, b, 1, $2.50, x, nan (the dash has no letter or digit): 6 table words.
    assert (n.words, n.table_words) == (11, 6)
    assert (n.figures, n.no_alt, n.table_rows, n.blank_cells) == (2, 1, 3, 2)


def test_directory_includes_segments_and_leaves_out_index_pages(tmp_path):
    (tmp_path / "segments").mkdir()
    (tmp_path / "01_data.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "segments" / "high.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "segments" / "index.html").write_text(PAGE, encoding="utf-8")
    lengths = measure_dir(tmp_path)
    assert [x.report for x in lengths] == ["01_data.html", "segments/high.html"]
    table = length_table(lengths).splitlines()
    assert table[-1].split() == ["total", "22", "12", "4", "2", "6", "4"]
