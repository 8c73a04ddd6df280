"""Running one notebook: papermill over a local or encrypted kernel channel, failures in one line.

A notebook that stops on an error raises :class:`NotebookFailed`, whose
message names the notebook, the section (the heading above the failing cell)
and the error; the full traceback goes to a log file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traitlets.config import Config

__all__ = [
    "EXPORT_PARAMETER",
    "NotebookFailed",
    "failing_section",
    "kernel_config",
    "run_notebook",
]

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
    log_dir: Path | None = None,
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
    log_dir : Path, optional
        Folder for the log of a failure; default ``output_dir/logs``. When it
        is given, the executed copy of a failed notebook is moved there too
        (``<notebook stem>.ipynb``), so it survives a temporary ``output_dir``.

    Returns
    -------
    Path
        The executed copy.

    Raises
    ------
    NotebookFailed
        When a cell raises: names the section and the error; the full
        traceback is written to ``<log_dir>/<notebook stem>.log``.
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
        log_path = (log_dir or output_dir / "logs") / f"{notebook.stem}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if log_dir is not None and out.exists():
            out = Path(shutil.move(out, log_path.with_suffix(".ipynb")))
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
