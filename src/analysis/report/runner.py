"""Running the study: notebooks through papermill into executed copies, HTML and an index page.

The command line and the rules it follows are described in :mod:`analysis.report`.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config
from .parameters import ParameterError, check_parameters

if TYPE_CHECKING:
    from traitlets.config import Config

NUMBERED = re.compile(r"^\d{2}_.+\.ipynb$")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")


class NotebookFailed(RuntimeError):
    """A notebook stopped on an error; the message is one line, the traceback is in ``log_path``.

    Parameters
    ----------
    notebook : Path
        The notebook that failed (the template in ``notebooks/``).
    section : str or None
        The heading of the section holding the failing cell (None: no heading above it).
    ename, evalue : str
        The exception's type name and message, as raised in the kernel.
    log_path : Path
        File holding the full traceback and the failing cell's source.
    executed : Path
        The executed copy, with the outputs up to the error.
    """

    def __init__(
        self,
        notebook: Path,
        section: str | None,
        ename: str,
        evalue: str,
        log_path: Path,
        executed: Path,
    ):
        self.notebook = notebook
        self.section = section
        self.ename = ename
        self.evalue = evalue
        self.log_path = log_path
        self.executed = executed
        where = f'{notebook.name}, section "{section}"' if section else notebook.name
        error = f"{ename}: {evalue}" if evalue else ename
        super().__init__(f"{where}: {error}")


def discover_notebooks(notebooks_dir: Path | None = None) -> list[Path]:
    """The study's notebooks in reading order (files named ``NN_*.ipynb``).

    Parameters
    ----------
    notebooks_dir : Path, optional
        Folder to look in; default ``notebooks/`` of the project.

    Returns
    -------
    list of Path
        Sorted by name, hence by number.
    """
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


# --------------------------------------------------------------------------- warnings


def _short_formatwarning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    """``Category: message`` without the source file and line (signature of :func:`warnings.formatwarning`)."""
    return f"{category.__name__}: {message}\n"


def use_short_warnings() -> None:
    """Show warnings as ``DataQualityWarning: <message>``, without the package's source path.

    Python prints a warning as ``/path/to/src/analysis/validate.py:247:
    DataQualityWarning: ...`` followed by the source line; in a report the
    reader needs only the category and the message. Each study notebook
    calls this in its import cell. It replaces :func:`warnings.formatwarning`
    for the running process (the kernel); which warnings are shown is not
    changed.
    """
    warnings.formatwarning = _short_formatwarning


# --------------------------------------------------------------------------- parameters


# --------------------------------------------------------------------------- running


def kernel_config() -> Config:
    """Kernel manager settings for papermill: an encrypted (or local-only) channel to the kernel.

    By default a kernel listens on TCP without encryption and ipykernel says
    so in a warning on every start. With CurveZMQ available (pyzmq built with
    libsodium) the kernel manager provisions keys for kernels whose kernelspec
    declares support, which the ``python3`` kernel of ipykernel does; without
    CurveZMQ, POSIX systems use IPC (Unix domain) sockets, which never leave
    the machine.

    Returns
    -------
    traitlets.config.Config
        Passed as ``config`` to :func:`papermill.execute_notebook`.
    """
    import zmq
    from traitlets.config import Config

    settings = Config()
    if zmq.has("curve"):
        settings.KernelManager.transport_encryption = "auto"
    elif os.name == "posix":
        settings.KernelManager.transport = "ipc"
    return settings


def _cell_heading(source: str) -> str | None:
    """The last markdown heading in a cell's text, without the ``#`` marks."""
    found = None
    for line in source.splitlines():
        match = HEADING.match(line)
        if match and match.group(1):
            found = match.group(1)
    return found


def failing_section(executed: Path, cell_index: int) -> str | None:
    """Heading of the section holding a cell of an executed notebook.

    Parameters
    ----------
    executed : Path
        The executed notebook papermill wrote (it adds marker cells at an
        error; they are skipped so ``cell_index`` counts as during execution).
    cell_index : int
        Index of the cell during execution (``PapermillExecutionError.cell_index``).

    Returns
    -------
    str or None
        The nearest markdown heading above the cell; None when there is none
        or the notebook cannot be read.
    """
    from papermill.execute import ERROR_MARKER_TAG

    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cells = [
        c
        for c in nb.get("cells", [])
        if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])
    ]
    for cell in reversed(cells[:cell_index]):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            heading = _cell_heading(source if isinstance(source, str) else "".join(source))
            if heading:
                return heading
    return None


#: a notebook parameter naming the folder for the files it exports; the runner sets it to the report folder
EXPORT_PARAMETER = "export_dir"


def run_notebook(
    notebook: Path,
    output_dir: Path,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    progress: bool = True,
) -> Path:
    """Execute one notebook with papermill into ``output_dir``.

    Parameters
    ----------
    notebook : Path
        The template notebook; it is not modified.
    output_dir : Path
        Folder for the executed copy (and ``logs/`` on failure).
    parameters : dict, optional
        Study parameters; those the notebook does not declare are skipped. A
        notebook that declares ``export_dir`` (where it writes files for the
        reader, such as ``customers.csv``) gets ``output_dir`` unless one is given.
    kernel_name : str
        Jupyter kernel to run it in.
    progress : bool
        Show papermill's progress bar and say which parameters were skipped.

    Returns
    -------
    Path
        The executed copy.

    Raises
    ------
    NotebookFailed
        When a cell raises: names the section and the error; the full
        traceback is written to ``output_dir/logs/<notebook stem>.log``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / notebook.name
    declared = set(pm.inspect_notebook(str(notebook)))
    parameters = parameters or {}
    # A parameter given for the whole study applies to the notebooks that declare it.
    used = {k: v for k, v in parameters.items() if k in declared}
    if EXPORT_PARAMETER in declared and not used.get(EXPORT_PARAMETER):
        # files a notebook exports for the reader (customers.csv, ...) go beside its report
        used[EXPORT_PARAMETER] = str(output_dir.resolve())
    unused = sorted(set(parameters) - declared)
    if unused and progress:
        print(
            f"  ({notebook.name} has no parameter(s) {', '.join(unused)}; not applied)", flush=True
        )
    try:
        pm.execute_notebook(
            str(notebook),
            str(out),
            parameters=used,
            kernel_name=kernel_name,
            cwd=str(notebook.parent),
            progress_bar=progress,
            config=kernel_config(),
        )
    except PapermillExecutionError as exc:
        section = failing_section(out, exc.cell_index)
        log_path = output_dir / "logs" / f"{notebook.stem}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        traceback = ANSI_ESCAPE.sub("", "\n".join(exc.traceback))
        log_path.write_text(
            f"notebook: {notebook}\n"
            f"executed copy (outputs up to the error): {out}\n"
            f"section: {section or '(no heading above the cell)'}\n"
            f"parameters: {used}\n"
            f"failing cell (execution count {exc.exec_count}):\n{exc.source}\n\n"
            f"{traceback}\n",
            encoding="utf-8",
        )
        raise NotebookFailed(notebook, section, exc.ename, exc.evalue, log_path, out) from None
    return out


def to_html(executed: Path, output: Path | None = None) -> Path:
    """Convert an executed notebook to HTML without code cells (the reader sees prose, tables, figures).

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
    """Write ``index.html`` linking every report (and the benchmark table when present).

    Parameters
    ----------
    output_dir : Path
        The reports folder.
    entries : list of dict
        ``title``, ``lead``, ``html`` and ``notebook`` of each report.

    Returns
    -------
    Path
        The index page.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    items = []
    for e in entries:
        items.append(
            f'<li><a href="{html.escape(e["html"])}">{html.escape(e["title"])}</a>'
            f" &mdash; {html.escape(e['lead'])}"
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
    """Check the parameters, run every notebook, convert each to HTML and write the index.

    Parameters
    ----------
    notebooks : list of Path, optional
        Default: every numbered notebook of the project.
    output_dir : Path, optional
        Default: ``reports/``.
    parameters : dict, optional
        Study parameters (text values are converted; see :func:`check_parameters`).
    progress : bool
        Show papermill's progress bars.

    Returns
    -------
    Path
        The index page.

    Raises
    ------
    ParameterError
        Before any notebook runs, when a parameter cannot be used.
    NotebookFailed
        When a notebook stops on an error (later notebooks are not run).
    """
    output_dir = Path(output_dir or config.REPORTS_DIR)
    notebooks = notebooks or discover_notebooks()
    if not notebooks:
        raise FileNotFoundError(
            f"no numbered notebooks (NN_name.ipynb) in {config.NOTEBOOKS_DIR}; "
            "restore them with `git checkout notebooks`."
        )
    parameters = check_parameters(notebooks, parameters)
    entries = []
    for i, nb in enumerate(notebooks, 1):
        start = time.perf_counter()
        print(f"[{i}/{len(notebooks)}] running {nb.name} ...", flush=True)
        executed = run_notebook(nb, output_dir, parameters, progress=progress)
        page = to_html(executed)
        title, lead = _title_and_lead(nb)
        entries.append({"title": title, "lead": lead, "html": page.name, "notebook": executed.name})
        print(
            f"[{i}/{len(notebooks)}] wrote {page} ({time.perf_counter() - start:.0f} s)", flush=True
        )
    index = write_index(output_dir, entries)
    print(f"index: {index}", flush=True)
    return index


EPILOG = """\
parameters: -p NAME VALUE applies to every notebook declaring NAME; values are
checked (type, dates, policies, dataset file) before anything runs and every
problem is listed (exit code 2). Loading options shared by all notebooks:
dataset, customer_id_column, date_column, amount_column, date_format,
dayfirst (true/false), returns (error/drop/keep), duplicates (warn/drop/error).

failures: a notebook that stops prints one line (notebook, section, error)
and the path of its log with the full traceback, <output dir>/logs/NN_name.log
(exit code 1).

examples:
  python -m analysis.report --only 01_data -p dataset cdnow_sample
  python -m analysis.report -p dataset data/raw/shop.csv -p date_format %d/%m/%Y -p returns drop
"""


def main(argv: list[str] | None = None) -> int:
    """Command line of the runner (``make report``).

    Parameters
    ----------
    argv : list of str, optional
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 when every report was written, 1 when a notebook failed, 2 when the
        parameters were refused (nothing ran).
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis.report",
        description="Build the study's reports: run the numbered notebooks, convert them to HTML, write an index.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", nargs="*", help="notebook names (e.g. 01_data) to run")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a notebook parameter (applied to every notebook that declares it; checked first)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="default: reports/ (failure logs go to its logs/ folder)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bar")
    args = parser.parse_args(argv)
    notebooks = discover_notebooks()
    if args.only:
        wanted = {name.removesuffix(".ipynb") for name in args.only}
        unknown = wanted - {nb.stem for nb in notebooks}
        if unknown:
            parser.error(
                f"unknown notebook(s) {sorted(unknown)}; have {[nb.stem for nb in notebooks]}"
            )
        notebooks = [nb for nb in notebooks if nb.stem in wanted]
    parameters = dict(args.parameter or [])
    try:
        build_reports(notebooks, args.output_dir, parameters, progress=not args.no_progress)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(
            "See `python -m analysis.report --help` and each notebook's parameters cell.",
            file=sys.stderr,
        )
        return 2
    except NotebookFailed as exc:
        print(exc, file=sys.stderr)
        print(f"  full traceback: {exc.log_path}", file=sys.stderr)
        print(f"  executed notebook up to the error: {exc.executed}", file=sys.stderr)
        return 1
    return 0
