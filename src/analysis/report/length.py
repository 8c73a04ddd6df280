"""How long the rendered reports are: words, figures and table rows per HTML report.

Usage::

    python -m analysis.report.length DIR

counts every rendered report ``DIR/*.html`` and, recursively, those under
``DIR/segments/`` (index pages, ``index.html``, are left out: they list the
reports, they are not one). Per report it counts

- ``words``: visible words of prose, table cells and printed output; the
  code of code cells, prompts (``In [3]:``), anchor marks, ``<style>``,
  ``<script>`` and ``<head>`` are not counted; a word is a run of
  non-blank characters holding at least one letter or digit;
- ``table_words``: the part of ``words`` inside tables;
- ``figures``: ``<img>`` elements;
- ``no_alt``: figures whose alt text is missing or is nbconvert's
  placeholder ("No description has been provided ...");
- ``table_rows``: ``<tr>`` elements of the visible tables (header rows
  included);
- ``blank_cells``: body cells (``<td>``) that are empty or read ``nan``,
  ``NaN``, ``<NA>``, ``None`` or ``NaT``: a missing value shown raw.

The standard library's HTML parser reads the files; nothing is rendered.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["ReportLength", "measure_html", "measure_dir", "length_table", "main"]

_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_HIDDEN_TAGS = frozenset({"script", "style", "head", "template", "title"})
_HIDDEN_CLASSES = frozenset(
    {"jp-InputPrompt", "jp-OutputPrompt", "anchor-link", "jp-InputArea-editor"}
)
_BLOCK = frozenset(
    "p div td th tr li ul ol table thead tbody h1 h2 h3 h4 h5 h6 br pre "
    "blockquote section dd dt dl caption hr img".split()
)
_PLACEHOLDER_ALT = "no description has been provided"
_WORD = re.compile(r"\S*[^\W_]\S*")
_RAW_MISSING = frozenset({"", "nan", "NaN", "<NA>", "None", "NaT"})


@dataclass(frozen=True)
class ReportLength:
    """The length of one rendered report."""

    report: str
    words: int
    table_words: int
    figures: int
    no_alt: int
    table_rows: int
    blank_cells: int = 0


@dataclass
class _Frame:
    tag: str
    hidden: bool
    in_table: bool
    in_code_cell: bool


class _Counter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Frame] = [_Frame("#root", False, False, False)]
        self.text: list[str] = []
        self.table_text: list[str] = []
        self.figures = 0
        self.no_alt = 0
        self.rows = 0
        self.blank_cells = 0
        self.cell: list[str] | None = None

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> _Frame:
        top = self.stack[-1]
        classes = set((dict(attrs).get("class") or "").split())
        in_code_cell = top.in_code_cell or "jp-CodeCell" in classes
        if "jp-MarkdownCell" in classes:
            in_code_cell = False
        hidden = (
            top.hidden
            or tag in _HIDDEN_TAGS
            or bool(classes & _HIDDEN_CLASSES)
            or (in_code_cell and "jp-InputArea" in classes)
        )
        return _Frame(tag, hidden, top.in_table or tag == "table", in_code_cell)

    def _space(self, tag: str) -> None:
        if tag in _BLOCK:
            self.text.append(" ")
            self.table_text.append(" ")

    def handle_starttag(self, tag, attrs):
        frame = self._open(tag, attrs)
        self._space(tag)
        if not frame.hidden:
            if tag == "img":
                self.figures += 1
                alt = (dict(attrs).get("alt") or "").strip()
                if not alt or alt.lower().startswith(_PLACEHOLDER_ALT):
                    self.no_alt += 1
            elif tag == "tr" and frame.in_table:
                self.rows += 1
            elif tag == "td" and frame.in_table:
                self.cell = []
        if tag not in _VOID:
            self.stack.append(frame)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        self._space(tag)
        if tag == "td" and self.cell is not None:
            self.blank_cells += "".join(self.cell).strip() in _RAW_MISSING
            self.cell = None
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        top = self.stack[-1]
        if top.hidden:
            return
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if top.in_table:
            self.table_text.append(data)


def _count_words(parts: list[str]) -> int:
    return len(_WORD.findall("".join(parts)))


def measure_html(html: str, report: str = "") -> ReportLength:
    """Count the words, figures and table rows of one rendered report's HTML."""
    counter = _Counter()
    counter.feed(html)
    counter.close()
    return ReportLength(
        report=report,
        words=_count_words(counter.text),
        table_words=_count_words(counter.table_text),
        figures=counter.figures,
        no_alt=counter.no_alt,
        table_rows=counter.rows,
        blank_cells=counter.blank_cells,
    )


def report_files(directory: Path) -> list[Path]:
    """The rendered reports of a study directory: ``*.html`` and ``segments/**/*.html``, no index pages."""
    files = sorted(directory.glob("*.html"))
    segments = directory / "segments"
    if segments.is_dir():
        files += sorted(segments.rglob("*.html"))
    return [f for f in files if f.name != "index.html"]


def measure_dir(directory: Path | str) -> list[ReportLength]:
    """One :class:`ReportLength` per rendered report of ``directory``."""
    directory = Path(directory)
    return [
        measure_html(path.read_text(encoding="utf-8"), path.relative_to(directory).as_posix())
        for path in report_files(directory)
    ]


def total(lengths: list[ReportLength]) -> ReportLength:
    """The sum over reports."""
    numbers = [asdict(x) for x in lengths]
    keys = [k for k in ReportLength.__dataclass_fields__ if k != "report"]
    return ReportLength("total", **{k: sum(n[k] for n in numbers) for k in keys})


def length_table(lengths: list[ReportLength]) -> str:
    """A plain-text table of the counts with a total line."""
    header = ("report", "words", "table words", "figures", "no alt", "table rows", "blank cells")
    rows = [
        (
            x.report,
            f"{x.words:,}",
            f"{x.table_words:,}",
            f"{x.figures:,}",
            f"{x.no_alt:,}",
            f"{x.table_rows:,}",
            f"{x.blank_cells:,}",
        )
        for x in [*lengths, total(lengths)]
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *map(line, rows[:-1]), rule, line(rows[-1])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.report.length",
        description="Words, figures and table rows of each rendered report in DIR.",
    )
    parser.add_argument("directory", type=Path, help="a study's output directory")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a directory")
    lengths = measure_dir(args.directory)
    if not lengths:
        print(f"no rendered report (*.html) in {args.directory}", file=sys.stderr)
        return 1
    print(length_table(lengths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
