"""The report pages: each executed notebook as one self-contained HTML file, and the index.

A report must open anywhere, offline and years later, and show exactly what
the numbers say. nbconvert's default page loads require.js, MathJax and
Mermaid from a CDN; the reports show no code, no widgets, no diagrams and no
formulas, so the page here drops those scripts (the CSS is inlined by
nbconvert, the figures are inline PNGs). Markdown is read without the math
extension: ``$75 ... $34`` is money, never an inline formula.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["OFFLINE_TEMPLATE", "report_summary", "to_html", "write_index"]

#: the lab page of nbconvert without the scripts it would fetch from the network
OFFLINE_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block data_javascript -%}{%- endblock data_javascript -%}
{%- block data_png scoped -%}
{%- set alttext = output | get_metadata('alt', 'image/png') -%}
{%- if alttext -%}{{ super() | replace('<img ', '<img alt="' ~ (alttext | escape_html) ~ '" ', 1) }}
{%- else -%}{{ super() }}{%- endif -%}
{%- endblock data_png -%}
"""
OFFLINE_TEMPLATE_NAME = "analysis_offline.html.j2"


def _exporter() -> Any:
    """An HTMLExporter writing the offline page, without code cells or prompts, and without math."""
    import jinja2
    from mistune import BlockParser, InlineParser
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    exporter = HTMLExporter(
        template_name="lab",
        template_file=OFFLINE_TEMPLATE_NAME,
        extra_loaders=[jinja2.DictLoader({OFFLINE_TEMPLATE_NAME: OFFLINE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )

    @jinja2.pass_context
    def markdown_without_math(context: Any, source: str) -> str:
        # nbconvert's own filter, with mistune's plain parsers in place of its math parsers
        cell = context.get("cell", {})
        renderer = IPythonRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=exporter.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=exporter.anchor_link_text,
            exclude_anchor_links=exporter.exclude_anchor_links,
        )
        parser = MarkdownWithMath(
            renderer=renderer, block=BlockParser(), inline=InlineParser(hard_wrap=False)
        )
        return parser.render(source)

    exporter.register_filter("markdown2html", markdown_without_math)
    return exporter


def to_html(executed: Path, output: Path | None = None) -> Path:
    """Convert an executed notebook to one self-contained HTML page without code cells.

    The page holds its CSS and figures and loads nothing from the network (no
    require.js, MathJax, Mermaid or widget scripts); markdown is rendered
    without math, so dollar amounts stay text.

    Parameters
    ----------
    executed : Path
        An executed notebook.
    output : Path, optional
        Where to write; default: next to it with ``.html``.

    Returns
    -------
    Path
        The HTML page.
    """
    import nbformat

    output = output or executed.with_suffix(".html")
    nb = nbformat.read(str(executed), as_version=4)
    body, _ = _exporter().from_notebook_node(nb)
    output.write_text(body, encoding="utf-8")
    return output


def _parameters_table(parameters: dict[str, Any] | None) -> str:
    """The parameters set for the run as an HTML table; nothing when none are given."""
    if parameters is None:
        return ""
    from ..dates import FRAME_RULE

    rule = f"<p>Dates left empty are taken from the log: {html.escape(FRAME_RULE)}</p>"
    if not parameters:
        return "<p>Parameters: each notebook's defaults (none was set for this run).</p>\n" + rule
    rows = "\n".join(
        f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(str(value))}</td></tr>"
        for name, value in sorted(parameters.items())
    )
    return (
        "<p>Parameters set for this run (the others keep the default of "
        "<code>analysis.report.schema</code>; each executed notebook holds all of its values):</p>\n"
        f"<table>\n{rows}\n</table>\n{rule}"
    )


def _items(entries: list[dict], prefix: str = "") -> str:
    """One list item per report: its link, lead, executed notebook and one-line summary."""
    items = []
    for e in entries:
        summary = f"<br><small>{html.escape(e['summary'])}</small>" if e.get("summary") else ""
        page, notebook = html.escape(prefix + e["html"]), html.escape(prefix + e["notebook"])
        items.append(
            f'<li><a href="{page}">{html.escape(e["title"])}</a>'
            f" &mdash; {html.escape(e['lead'])}"
            f' <small>(<a href="{notebook}">executed notebook</a>)</small>'
            f"{summary}</li>"
        )
    return "\n".join(items)


def write_index(
    output_dir: Path,
    entries: list[dict],
    parameters: dict[str, Any] | None = None,
    segments: list[dict] | None = None,
) -> Path:
    """Write ``index.html`` linking every report, its parameters and any extra pages.

    Parameters
    ----------
    output_dir : Path
        Folder to write ``index.html`` into.
    entries : list of dict
        ``title``, ``lead``, ``html`` and ``notebook`` of each report, and an
        optional one-line ``summary``.
    parameters : dict, optional
        The parameters set for the run, shown in a table (None: no table).
    segments : list of dict, optional
        The segment studies of the run, entries as ``entries`` with pages in
        ``output_dir/segments/``, listed under their own heading. None: the
        pages found in ``output_dir/segments/`` (built by ``make segments``)
        are linked by name. ``bench.md`` is linked when present.

    Returns
    -------
    Path
        The index page.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    extra = []
    if segments:
        extra.append(
            "<h2>Segment studies</h2>\n<p>One segment at a time, from every side of the study "
            '(<a href="segments/index.html">their own index</a>).</p>\n'
            f"<ul>\n{_items(segments, 'segments/')}\n</ul>"
        )
    segment_pages = [] if segments is not None else sorted((output_dir / "segments").glob("*.html"))
    segment_pages = [p for p in segment_pages if p.name != "index.html"]
    if segment_pages:
        links = "\n".join(
            f'<li><a href="segments/{html.escape(p.name)}">{html.escape(p.stem)}</a></li>'
            for p in segment_pages
        )
        extra.append(f"<h2>Segment pages</h2>\n<ul>\n{links}\n</ul>")
    if (output_dir / "bench.md").exists():
        extra.append('<h2>Performance</h2><p><a href="bench.md">Benchmark table (bench.md)</a></p>')
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Customer lifecycle and CLV study</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}}
td{{padding:0 1em 0 0;vertical-align:top}}</style>
</head><body>
<h1>Customer relationship lifecycle and CLV study</h1>
<p>Reports built from the parameterised notebooks in <code>notebooks/</code> on {stamp}.</p>
<ul>
{_items(entries)}
</ul>
{_parameters_table(parameters)}
{chr(10).join(extra)}
</body></html>
"""
    path = output_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


READING = "**Reading.**"
#: cell tag that names the reading the index shows for a report
SUMMARY_TAG = "summary"
SENTENCE_END = re.compile(r"(?<=[a-z0-9%)'\"])\.\s")
MARKUP = re.compile(r"\*\*Reading\.\*\*\s*|[*`_]{1,2}(?=\S)|(?<=\S)[*`_]{1,2}")


def report_summary(executed: Path, limit: int = 220) -> str:
    """One line for the index: the first sentence with a number of the report's readings.

    The readings are the Markdown outputs of package functions that describe
    the tables they read, so the line states what the numbers show, as the
    report does.

    Parameters
    ----------
    executed : Path
        An executed notebook.
    limit : int
        Longest line kept (longer first sentences are cut at a word, with ``...``).

    Returns
    -------
    str
        The first sentence, holding a number, of the Markdown output of the
        cell tagged ``summary`` when the notebook has one (the notebook's own
        choice of its headline finding), else of the first ``**Reading.**``
        output that has one; without Markdown marks; empty when there is none.
    """
    nb = json.loads(executed.read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    tagged = [c for c in cells if SUMMARY_TAG in c.get("metadata", {}).get("tags", [])]
    for cell in tagged or cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/markdown") or ""
            text = "".join(text) if isinstance(text, list) else text
            if not (tagged or text.startswith(READING)):
                continue
            text = " ".join(MARKUP.sub("", text).split())
            first = SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".") + "."
            if not re.search(r"\d", first):
                continue  # a reading's opening remark, not yet a number
            if len(first) > limit:
                first = first[:limit].rsplit(" ", 1)[0] + " ..."
            return first
    return ""
