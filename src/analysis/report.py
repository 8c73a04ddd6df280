"""Build the study's reports: run the numbered notebooks with papermill, convert them to HTML, write an index.

Usage (what ``make report`` runs)::

    python -m analysis.report                      # every numbered notebook, default parameters
    python -m analysis.report --only 01_data -p dataset cdnow_sample

The notebooks in ``notebooks/`` are templates and are never modified; the
executed copies (``reports/<name>.ipynb``) and the HTML without code cells
(``reports/<name>.html``) are written to ``reports/`` with ``reports/index.html``
linking them.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import config

NUMBERED = re.compile(r"^\d{2}_.+\.ipynb$")


def discover_notebooks(notebooks_dir: Path | None = None) -> list[Path]:
    """The study's notebooks in reading order (files named ``NN_*.ipynb``)."""
    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    return sorted(p for p in notebooks_dir.iterdir() if NUMBERED.match(p.name))


def _title_and_lead(nb_path: Path) -> tuple[str, str]:
    """First markdown heading and the first paragraph after it."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        text = "".join(cell.get("source", []))
        lines = [line.strip() for line in text.splitlines()]
        title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("#")), nb_path.stem)
        body = [ln for ln in lines if ln and not ln.startswith("#")]
        lead = body[0] if body else ""
        return title, lead
    return nb_path.stem, ""


def run_notebook(
    notebook: Path,
    output_dir: Path,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    progress: bool = True,
) -> Path:
    """Execute one notebook with papermill into ``output_dir``; return the executed copy's path."""
    import papermill as pm

    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / notebook.name
    declared = set(pm.inspect_notebook(str(notebook)))
    parameters = parameters or {}
    # A parameter given for the whole study applies to the notebooks that declare it.
    used = {k: v for k, v in parameters.items() if k in declared}
    unused = sorted(set(parameters) - declared)
    if unused and progress:
        print(f"  ({notebook.name} has no parameter(s) {', '.join(unused)}; not applied)", flush=True)
    pm.execute_notebook(
        str(notebook),
        str(out),
        parameters=used,
        kernel_name=kernel_name,
        cwd=str(notebook.parent),
        progress_bar=progress,
    )
    return out


def to_html(executed: Path, output: Path | None = None) -> Path:
    """Convert an executed notebook to HTML without code cells (the reader sees prose, tables, figures)."""
    import nbformat
    from nbconvert import HTMLExporter

    output = output or executed.with_suffix(".html")
    nb = nbformat.read(str(executed), as_version=4)
    exporter = HTMLExporter()
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    output.write_text(body, encoding="utf-8")
    return output


def write_index(output_dir: Path, entries: list[dict]) -> Path:
    """Write ``index.html`` linking every report (and the benchmark table when present)."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    items = []
    for e in entries:
        items.append(
            f'<li><a href="{html.escape(e["html"])}">{html.escape(e["title"])}</a>'
            f' &mdash; {html.escape(e["lead"])}'
            f' <small>(<a href="{html.escape(e["notebook"])}">executed notebook</a>)</small></li>'
        )
    extra = ""
    if (output_dir / "bench.md").exists():
        extra = '<h2>Performance</h2><p><a href="bench.md">Benchmark table (bench.md)</a></p>'
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Customer lifecycle and CLV study</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}}</style>
</head><body>
<h1>Customer relationship lifecycle and CLV study</h1>
<p>Reports built from the parameterised notebooks in <code>notebooks/</code> on {stamp}.</p>
<ol>
{chr(10).join(items)}
</ol>
{extra}
</body></html>
"""
    path = output_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def build_reports(
    notebooks: list[Path] | None = None,
    output_dir: Path | None = None,
    parameters: dict | None = None,
    progress: bool = True,
) -> Path:
    """Run every notebook, convert each to HTML and write the index; return the index path."""
    output_dir = Path(output_dir or config.REPORTS_DIR)
    notebooks = notebooks or discover_notebooks()
    if not notebooks:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {config.NOTEBOOKS_DIR}")
    entries = []
    for i, nb in enumerate(notebooks, 1):
        start = time.perf_counter()
        print(f"[{i}/{len(notebooks)}] running {nb.name} ...", flush=True)
        executed = run_notebook(nb, output_dir, parameters, progress=progress)
        page = to_html(executed)
        title, lead = _title_and_lead(nb)
        entries.append(
            {"title": title, "lead": lead, "html": page.name, "notebook": executed.name}
        )
        print(f"[{i}/{len(notebooks)}] wrote {page} ({time.perf_counter() - start:.0f} s)", flush=True)
    index = write_index(output_dir, entries)
    print(f"index: {index}", flush=True)
    return index


def _parse_value(text: str):
    """Command-line parameter values: JSON literals when they parse, strings otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="notebook names (e.g. 01_data) to run")
    parser.add_argument(
        "-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="override a notebook parameter (applied to every notebook that has it)",
    )
    parser.add_argument("--output-dir", type=Path, default=None, help="default: reports/")
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bar")
    args = parser.parse_args(argv)
    notebooks = discover_notebooks()
    known = set()
    if args.parameter:
        import papermill as pm

        for nb in notebooks:
            known |= set(pm.inspect_notebook(str(nb)))
        typos = sorted({name for name, _ in args.parameter} - known)
        if typos:
            parser.error(f"no notebook has parameter(s) {typos}; known: {sorted(known)}")
    if args.only:
        wanted = {name.removesuffix(".ipynb") for name in args.only}
        unknown = wanted - {nb.stem for nb in notebooks}
        if unknown:
            parser.error(f"unknown notebook(s) {sorted(unknown)}; have {[nb.stem for nb in notebooks]}")
        notebooks = [nb for nb in notebooks if nb.stem in wanted]
    parameters = {name: _parse_value(value) for name, value in (args.parameter or [])}
    build_reports(notebooks, args.output_dir, parameters, progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
