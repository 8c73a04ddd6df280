"""Running one notebook: papermill over a local or encrypted kernel channel, failures in one line.

Each notebook gets every parameter it reads (:func:`analysis.report.schema.notebook_values`),
injected by papermill after its cell tagged ``parameters``. A notebook that
stops on an error raises :class:`NotebookFailed`, whose message names the
notebook, the failing cell (papermill's ``In [N]``, marked in the executed
copy, and its first line), the section (the heading above the cell) and the
error; the full traceback goes to a log file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import schema

if TYPE_CHECKING:
    from traitlets.config import Config

__all__ = [
    "EXPORT_PARAMETER",
    "FailingCell",
    "NotebookFailed",
    "failing_cell",
    "kernel_config",
    "run_notebook",
    "use_short_warnings",
    "default_workers",
]

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
#: longest first line of a failing cell quoted in a message (longer ones end in ...)
FIRST_LINE_LIMIT = 80


def _not_unknown_parameter(record: logging.LogRecord) -> bool:
    # papermill warns of every value injected into a parameters cell that declares none: the
    # cell only receives them, and the schema (not the cell) says what a notebook reads
    return not record.getMessage().startswith("Passed unknown parameter")


logging.getLogger("papermill").addFilter(_not_unknown_parameter)


class FailingCell(NamedTuple):
    """Where a notebook stopped, as a reader of the notebook finds it.

    Attributes
    ----------
    number : int or None
        Papermill's execution count, ``In [N]`` in the executed copy (where
        papermill marks the cell); None when not known.
    first_line : str
        The first line of the cell's source that is not blank.
    section : str or None
        The nearest markdown heading above the cell.
    """

    number: int | None
    first_line: str
    section: str | None

    def describe(self) -> str:
        """``In [12] `table = ...` in section "1. The table"`` (the parts that are known)."""
        where = f"In [{self.number}]" if self.number else "a cell"
        if self.first_line:
            where += f" `{self.first_line}`"
        if self.section:
            where += f' in section "{self.section}"'
        return where


class NotebookFailed(RuntimeError):
    """A notebook stopped on an error; the message is one line, the traceback is in ``log_path``.

    Parameters
    ----------
    notebook : Path
        The notebook that failed (the template in ``notebooks/``).
    cell : FailingCell or None
        The failing cell: its number, first line and section (None: not known).
    ename, evalue : str
        The exception's type name and message, as raised in the kernel.
    log_path : Path
        File holding the full traceback and the failing cell's source.
    executed : Path
        The executed copy, with the outputs up to the error.
    run : str, optional
        Which run of the notebook failed, when it runs more than once
        (``segment 'high'``); shown after the notebook's name.

    Examples
    --------
    The message reads ``04_segments.ipynb, In [12] `table = customers.customer_table(`
    in section "1. The customer table": ValueError: ...``.
    """

    def __init__(
        self,
        notebook: Path,
        cell: FailingCell | None,
        ename: str,
        evalue: str,
        log_path: Path,
        executed: Path,
        run: str = "",
    ):
        self.notebook = notebook
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        self.log_path = log_path
        self.executed = executed
        self.run = run
        where = f"{notebook.name} ({run})" if run else notebook.name
        if cell is not None:
            where += f", {cell.describe()}"
        error = f"{ename}: {evalue}" if evalue else ename
        super().__init__(f"{where}: {error}")

    @property
    def section(self) -> str | None:
        """The heading of the section holding the failing cell (None: no heading above it)."""
        return self.cell.section if self.cell else None


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


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _first_line(source: str) -> str:
    """The first line that is not blank, cut at :data:`FIRST_LINE_LIMIT` characters."""
    line = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    if len(line) > FIRST_LINE_LIMIT:
        line = line[: FIRST_LINE_LIMIT - 3].rstrip() + "..."
    return line


def failing_cell(
    executed: Path, cell_index: int, source: str | None = None, number: int | None = None
) -> FailingCell | None:
    """Where an executed notebook stopped: papermill's ``In [N]``, the cell's first line, its section.

    Parameters
    ----------
    executed : Path
        The executed notebook papermill wrote (with its marker cells at the
        error, skipped so ``cell_index`` counts as during execution).
    cell_index : int
        Index of the cell during execution (``PapermillExecutionError.cell_index``).
    source : str, optional
        The cell's source as papermill reported it; default: read from ``executed``.
    number : int, optional
        Papermill's execution count (``PapermillExecutionError.exec_count``).

    Returns
    -------
    FailingCell or None
        None when the notebook cannot be read.
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
    if not 0 <= cell_index < len(cells):
        return None
    section = None
    for above in reversed(cells[:cell_index]):
        if above.get("cell_type") == "markdown":
            section = _cell_heading(_source(above))
            if section:
                break
    text = _source(cells[cell_index]) if source is None else source
    return FailingCell(number, _first_line(text), section)


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


def default_workers() -> int:
    """Notebooks run at the same time by default: the machine's processors, at most two.

    Each notebook runs in its own kernel, mostly on one processor; two
    kernels already keep a laptop busy, and more would mostly compete for
    memory.
    """
    return max(1, min(2, os.cpu_count() or 1))


#: a notebook parameter naming the folder for the files it exports; the runner sets it to the report folder
EXPORT_PARAMETER = "export_dir"


def run_notebook(
    notebook: Path,
    output_dir: Path,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    progress: bool = True,
    log_dir: Path | None = None,
    name: str | None = None,
    run: str = "",
) -> Path:
    """Execute one notebook with papermill into ``output_dir``.

    Parameters
    ----------
    notebook : Path
        The template notebook; it is not modified.
    output_dir : Path
        Folder for the executed copy (and ``logs/`` on failure).
    parameters : dict, optional
        The run's checked parameters; the notebook gets every parameter it
        reads (the others' defaults from :mod:`analysis.report.schema`). A
        notebook that reads ``export_dir`` (where it writes files for the
        reader, such as ``customers.csv``) gets ``output_dir`` unless one is given.
    kernel_name : str
        Jupyter kernel to run it in.
    progress : bool
        Show papermill's progress bar.
    log_dir : Path, optional
        Folder for the log of a failure; default ``output_dir/logs``. When it
        is given, the executed copy of a failed notebook is moved there too
        (``<name>.ipynb``), so it survives a temporary ``output_dir``.
    name : str, optional
        File stem of the executed copy and of the log; default the
        notebook's stem. Runs of one notebook side by side need their own.
    run : str
        Which run this is, for the message of a failure (``segment 'high'``).

    Returns
    -------
    Path
        The executed copy, ``output_dir/<name>.ipynb``.

    Raises
    ------
    NotebookFailed
        When a cell raises: names the cell (number, first line, section) and
        the error; the full traceback is written to ``<log_dir>/<name>.log``.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    output_dir.mkdir(parents=True, exist_ok=True)
    name = name or notebook.stem
    out = output_dir / f"{name}.ipynb"
    used = schema.notebook_values(notebook.stem, parameters)
    if EXPORT_PARAMETER in used and not used[EXPORT_PARAMETER]:
        # files a notebook exports for the reader (customers.csv, ...) go beside its report
        used[EXPORT_PARAMETER] = str(output_dir.resolve())
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
        cell = failing_cell(out, exc.cell_index, exc.source, exc.exec_count)
        log_path = (log_dir or output_dir / "logs") / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if log_dir is not None and out.exists():
            out = Path(shutil.move(out, log_path.with_suffix(".ipynb")))
        traceback = ANSI_ESCAPE.sub("", "\n".join(exc.traceback))
        log_path.write_text(
            f"notebook: {notebook}{f' ({run})' if run else ''}\n"
            f"executed copy (outputs up to the error): {out}\n"
            f"cell: In [{exc.exec_count}] of the executed copy\n"
            f"section: {(cell and cell.section) or '(no heading above the cell)'}\n"
            f"parameters: {used}\n"
            f"failing cell:\n{exc.source}\n\n"
            f"{traceback}\n",
            encoding="utf-8",
        )
        raise NotebookFailed(
            notebook, cell, exc.ename, exc.evalue, log_path, out, run=run
        ) from None
    return out
