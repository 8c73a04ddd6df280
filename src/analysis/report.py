"""Build the study's reports: run the numbered notebooks with papermill, convert them to HTML, write an index.

Usage (what ``make report`` runs)::

    python -m analysis.report                      # every numbered notebook, default parameters
    python -m analysis.report --only 01_data -p dataset cdnow_sample
    python -m analysis.report -p dataset data/raw/my_log.csv -p date_format %d/%m/%Y -p returns drop

Parameters. ``-p NAME VALUE`` sets a notebook parameter for every notebook
that declares it (the cell tagged ``parameters`` at the top of each
notebook; ``dataset``, the column names, ``date_format``, ``dayfirst``,
``returns`` and ``duplicates`` are the same in every notebook). All values
are checked before any notebook starts, and every problem is listed at once
(exit code 2):

- the name must be declared by one of the notebooks being run;
- the value must read as the declared type (``int``, ``float``, ``bool``:
  ``true``/``false``; text as written);
- dates (``calibration_end``, ``observation_end``) must be dates such as
  ``1997-09-30``; empty only where the notebook says empty is allowed;
  ``calibration_end`` must come before ``observation_end``;
- ``returns`` is one of ``error``, ``drop``, ``keep`` and ``duplicates`` one
  of ``warn``, ``drop``, ``error``;
- ``dataset`` is ``cdnow``, ``cdnow_sample`` or an existing CSV/Parquet file
  (relative paths are taken from the project root).

Failures. When a notebook stops on an error, the runner prints one line
naming the notebook, the section (the heading above the failing cell), the
exception type and its message, writes the full traceback to
``<output dir>/logs/<notebook>.log`` and exits with code 1.

Output. The notebooks in ``notebooks/`` are templates and are never
modified; the executed copies (``reports/<name>.ipynb``) and the HTML without
code cells (``reports/<name>.html``) are written to ``reports/`` with
``reports/index.html`` linking them. The kernel talks to the runner over
CurveZMQ-encrypted sockets (or local IPC sockets where CurveZMQ is missing).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import html
import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config

if TYPE_CHECKING:
    import pandas as pd
    from traitlets.config import Config

NUMBERED = re.compile(r"^\d{2}_.+\.ipynb$")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")


class ParameterError(ValueError):
    """Study parameters that cannot be used; ``problems`` lists every one of them.

    Parameters
    ----------
    problems : list of str
        One sentence per problem: the parameter, the value, what is expected.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) with the parameters; no notebook was run:\n{lines}"
        )


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


def _literal(text: str | None) -> Any:
    """The Python value of a declared default (its source text); None when it is not a literal."""
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def _coerce(name: str, value: Any, type_name: str, default: str | None) -> Any:
    """Convert one parameter value to its declared type, or raise ValueError saying why it cannot.

    Text (from the command line) is read as the type; values already of the
    type (from Python callers) pass unchanged.
    """
    example = f" (default {default})" if default else ""
    refused = f"{name}: {value!r} is not a valid {type_name}{example}"
    text = value.strip() if isinstance(value, str) else None
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in TRUE_WORDS + FALSE_WORDS:
            return text.lower() in TRUE_WORDS
        raise ValueError(f"{refused}; write true or false")
    if type_name == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        raise ValueError(f"{refused}; write a whole number such as 7")
    if type_name == "float":
        number: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif text is not None:
            try:
                number = float(text)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            raise ValueError(f"{refused}; write a number such as 0.25")
        return number
    if type_name == "str":
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if not isinstance(value, str):
            raise ValueError(f"{refused}; give it as text")
        parsed = _parse_value(value)
        return parsed if isinstance(parsed, str) else value  # '"W"' -> W, but 123 stays "123"
    # No annotation and no literal default to infer a type from: JSON literal or text.
    return _parse_value(value) if isinstance(value, str) else value


def _is_date_parameter(name: str, default: Any) -> bool:
    """Dates are the ``*_end`` parameters and any parameter whose default is an ISO date."""
    return name.endswith("_end") or (isinstance(default, str) and bool(ISO_DATE.match(default)))


def _parse_date(text: str) -> pd.Timestamp | None:
    """A :class:`pandas.Timestamp` for a date written as text; None when it does not read as one."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp


def check_parameters(
    notebooks: Sequence[Path], parameters: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Check and convert the study parameters before any notebook runs.

    Parameters
    ----------
    notebooks : sequence of Path
        The notebooks that will run; their ``parameters`` cells declare the
        names, types (from the annotations) and defaults.
    parameters : mapping
        Name to value; text values (from the command line) are converted to
        the declared type.

    Returns
    -------
    dict
        The parameters converted to their declared types.

    Raises
    ------
    ParameterError
        Listing every problem: names no notebook declares, values that do not
        read as the declared type, dates that are not dates (or empty where
        the notebook does not allow it), a calibration end not before the
        observation end, ``returns``/``duplicates`` outside their policies,
        and a ``dataset`` that is neither built in nor an existing file.
    """
    import papermill as pm

    from . import data, validate

    parameters = dict(parameters or {})
    declared = {nb: pm.inspect_notebook(str(nb)) for nb in notebooks}
    known = sorted({name for names in declared.values() for name in names})
    problems: list[str] = []

    def refuse(problem: str) -> None:
        if problem not in problems:  # the same problem found in several notebooks is told once
            problems.append(problem)

    unknown = sorted(set(parameters) - set(known))
    if unknown:
        ran = ", ".join(nb.stem for nb in notebooks)
        close = sorted({m for name in unknown for m in difflib.get_close_matches(name, known, n=2)})
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        refuse(f"no notebook has parameter(s) {unknown}{hint}; known: {known} (notebooks: {ran})")
    checked: dict[str, Any] = {}
    for name, value in parameters.items():
        if name in unknown:
            continue
        info = next(d[name] for d in declared.values() if name in d)
        try:
            checked[name] = _coerce(name, value, info["inferred_type_name"], info["default"])
        except ValueError as exc:
            refuse(str(exc))

    for nb, names in declared.items():
        values: dict[str, Any] = {}
        for name, info in names.items():
            if name in checked:
                values[name] = checked[name]
            elif name not in parameters:  # a value that did not convert is already refused
                values[name] = _literal(info["default"])
        dates: dict[str, Any] = {}
        for name, value in values.items():
            info = names[name]
            default = _literal(info["default"])
            if not _is_date_parameter(name, default) or not isinstance(value, str):
                continue
            if not value.strip():
                if default != "" and "empty" not in (info.get("help") or "").lower():
                    refuse(f"{name}: {nb.name} needs a date here (default {info['default']}), not an empty value")
                continue
            stamp = _parse_date(value)
            if stamp is None:
                refuse(f"{name}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30")
            else:
                dates[name] = stamp
        if "calibration_end" in dates and "observation_end" in dates:
            if dates["calibration_end"] >= dates["observation_end"]:
                refuse(
                    f"calibration_end ({values['calibration_end']}) must be before "
                    f"observation_end ({values['observation_end']}): the holdout runs between them"
                )
        policies = {"returns": validate.RETURNS_POLICIES, "duplicates": validate.DUPLICATES_POLICIES}
        for name, allowed in policies.items():
            if name in values and values[name] not in allowed:
                refuse(f"{name}: {values[name]!r} is not one of {', '.join(allowed)}")
        dataset = values.get("dataset")
        if isinstance(dataset, str) and dataset not in data.BUILTIN_DATASETS:
            path = Path(dataset)
            if not path.is_absolute():
                path = config.PROJECT_ROOT / path
            if not path.is_file():
                refuse(
                    f"dataset: {dataset!r} is neither a built-in dataset "
                    f"({', '.join(data.BUILTIN_DATASETS)}) nor a file (looked for {path})"
                )
    if problems:
        raise ParameterError(problems)
    return checked


def _parse_value(text: str) -> Any:
    """Command-line parameter values: JSON literals when they parse, strings otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


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
        c for c in nb.get("cells", []) if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])
    ]
    for cell in reversed(cells[:cell_index]):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            heading = _cell_heading(source if isinstance(source, str) else "".join(source))
            if heading:
                return heading
    return None


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
        Study parameters; those the notebook does not declare are skipped.
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
    unused = sorted(set(parameters) - declared)
    if unused and progress:
        print(f"  ({notebook.name} has no parameter(s) {', '.join(unused)}; not applied)", flush=True)
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
        entries.append(
            {"title": title, "lead": lead, "html": page.name, "notebook": executed.name}
        )
        print(f"[{i}/{len(notebooks)}] wrote {page} ({time.perf_counter() - start:.0f} s)", flush=True)
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
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", nargs="*", help="notebook names (e.g. 01_data) to run")
    parser.add_argument(
        "-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="set a notebook parameter (applied to every notebook that declares it; checked first)",
    )
    parser.add_argument("--output-dir", type=Path, default=None, help="default: reports/ (failure logs go to its logs/ folder)")
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bar")
    args = parser.parse_args(argv)
    notebooks = discover_notebooks()
    if args.only:
        wanted = {name.removesuffix(".ipynb") for name in args.only}
        unknown = wanted - {nb.stem for nb in notebooks}
        if unknown:
            parser.error(f"unknown notebook(s) {sorted(unknown)}; have {[nb.stem for nb in notebooks]}")
        notebooks = [nb for nb in notebooks if nb.stem in wanted]
    parameters = dict(args.parameter or [])
    try:
        build_reports(notebooks, args.output_dir, parameters, progress=not args.no_progress)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("See `python -m analysis.report --help` and each notebook's parameters cell.", file=sys.stderr)
        return 2
    except NotebookFailed as exc:
        print(exc, file=sys.stderr)
        print(f"  full traceback: {exc.log_path}", file=sys.stderr)
        print(f"  executed notebook up to the error: {exc.executed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
