"""Running the study: every notebook into an executed copy and an HTML page, then an index.

The rules it follows are described in :mod:`analysis.report`; the command line is in
:mod:`analysis.report.cli`.
The reports are built in a temporary folder beside the reports folder and
replace the previous ones only when every notebook succeeded.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import warnings
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from .. import config, data
from .execute import EXPORT_PARAMETER, NotebookFailed, run_notebook
from .pages import report_summary, to_html, write_index
from .parameters import check_parameters
from .provenance import (
    LOADING_PARAMETERS,
    dataset_facts,
    declared_values,
    insert_provenance,
    provenance_markdown,
)

# (NotebookFailed, run_notebook, to_html and write_index are also taken from here by
# report.segment_studies; they live in report.execute and report.pages)
__all__ = [
    "NotebookFailed",
    "build_reports",
    "discover_notebooks",
    "duration",
    "run_notebook",
    "to_html",
    "use_short_warnings",
    "write_index",
]

NUMBERED = re.compile(r"^\d{2}_.+\.ipynb$")


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
        # the index shows plain text: no Markdown emphasis or code marks
        return title, re.sub(r"\*\*|\*|`", "", lead)
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


# --------------------------------------------------------------------------- building


def duration(seconds: float) -> str:
    """``42 s``, ``1 min 10 s`` or ``1 h 5 min``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class _Build:
    """One run of the study: the notebooks, where they are built and where they end up."""

    def __init__(self, notebooks, work, output_dir, parameters, progress, anonymize_ids):
        self.notebooks = notebooks
        self.work = work
        self.output_dir = output_dir
        self.parameters = parameters
        self.progress = progress
        self.anonymize_ids = anonymize_ids
        self.started = time.perf_counter()
        self.done = 0
        self.facts: dict[tuple, Any] = {}
        self.lock = threading.Lock()

    def say(self, text: str) -> None:
        with self.lock:
            print(text, flush=True)

    def _facts(self, values: dict) -> Any:
        """The dataset's counts, loaded once per distinct set of loading options."""
        key = tuple(str(values.get(name)) for name in ("dataset", *LOADING_PARAMETERS))
        with self.lock:
            known = self.facts.get(key)
        if known is None:  # loaded outside the lock: progress lines keep coming meanwhile
            known = dataset_facts(values)
            with self.lock:
                self.facts[key] = known
        return known

    def run(self, nb: Path, quiet_bars: bool) -> dict:
        """Execute one notebook, add its provenance cell, convert it; its index entry."""
        n = len(self.notebooks)
        start = time.perf_counter()
        self.say(f"[{self.notebooks.index(nb) + 1}/{n}] {nb.stem} ...")
        executed = run_notebook(
            nb,
            self.work,
            self.parameters,
            progress=self.progress and not quiet_bars,
            log_dir=self.output_dir / "logs",
        )
        final = str(self.output_dir.resolve())
        values = declared_values(nb, self.parameters)
        if EXPORT_PARAMETER in values and not values[EXPORT_PARAMETER]:
            values[EXPORT_PARAMETER] = final
        text = executed.read_text(encoding="utf-8")
        # papermill wrote the working folder into the injected parameters: name the final one
        executed.write_text(
            text.replace(json.dumps(str(self.work.resolve()))[1:-1], json.dumps(final)[1:-1]),
            encoding="utf-8",
        )
        facts = self._facts(values) if "dataset" in values else None  # some load no log
        text = provenance_markdown(
            values, facts, set(self.parameters), anonymized=self.anonymize_ids
        )
        insert_provenance(executed, text)
        page = to_html(executed)
        title, lead = _title_and_lead(nb)
        with self.lock:
            self.done += 1
            done = self.done
        self.say(
            f"[{done}/{n}] {nb.stem} done in {duration(time.perf_counter() - start)}; "
            f"total {duration(time.perf_counter() - self.started)}"
        )
        summary = report_summary(executed)
        return {
            "title": title,
            "lead": lead,
            "html": page.name,
            "notebook": executed.name,
            "summary": summary,
        }


def _publish(work: Path, output_dir: Path, notebooks: list[Path]) -> None:
    """Move every file built in ``work`` into ``output_dir``, replacing those of the last run.

    Other files in ``output_dir`` (its README, the user's own files, reports
    of notebooks not run this time) stay; failure logs of the notebooks that
    now succeeded are removed.
    """
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        target = output_dir / path.relative_to(work)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    for nb in notebooks:
        for stale in (f"{nb.stem}.log", f"{nb.stem}.ipynb"):
            (output_dir / "logs" / stale).unlink(missing_ok=True)


def build_reports(
    notebooks: list[Path] | None = None,
    output_dir: Path | None = None,
    parameters: dict | None = None,
    progress: bool = True,
    workers: int = 1,
    anonymize_ids: bool = False,
) -> Path:
    """Check the parameters, run every notebook, convert each to HTML and write the index.

    The reports are built in a temporary folder (``output_dir/.building-*``)
    and moved into place only when every notebook succeeded: a failed run leaves the
    previous reports as they were (its log goes to ``output_dir/logs``).

    Parameters
    ----------
    notebooks : list of Path, optional
        Default: every numbered notebook of the project.
    output_dir : Path, optional
        Default: ``reports/``.
    parameters : dict, optional
        Study parameters (text values are converted; see :func:`check_parameters`).
    progress : bool
        Show papermill's progress bars (with one worker).
    workers : int
        Notebooks run at the same time (each in its own kernel); they are
        independent, each loading the log itself.
    anonymize_ids : bool
        Replace the customer ids by salted hashes in every output: the
        kernels get the salt, drawn for the run and written nowhere, in the
        environment variable :data:`analysis.data.ANONYMIZE_SALT_ENV`, which
        makes :func:`analysis.data.load_dataset` hash the ids as it loads.

    Returns
    -------
    Path
        The index page.

    Raises
    ------
    ParameterError
        Before any notebook runs, when a parameter cannot be used.
    NotebookFailed
        When a notebook stops on an error (the first failure in reading order;
        no further notebook is started).
    """
    output_dir = Path(output_dir or config.REPORTS_DIR)
    notebooks = notebooks or discover_notebooks()
    if not notebooks:
        raise FileNotFoundError(
            f"no numbered notebooks (NN_name.ipynb) in {config.NOTEBOOKS_DIR}; "
            "restore them with `git checkout notebooks`."
        )
    # a name any notebook of the study declares is accepted (a parameter file serves the
    # whole study, also with --only); it applies to the notebooks being run that declare it
    study = sorted(set(discover_notebooks(notebooks[0].parent)) | set(notebooks))
    parameters = check_parameters(study, parameters)
    output_dir.mkdir(parents=True, exist_ok=True)
    # built inside the reports folder (ignored by git, same file system: the moves are renames)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=output_dir))
    build = _Build(notebooks, work, output_dir, parameters, progress, anonymize_ids)
    hidden = os.environ.get(data.ANONYMIZE_SALT_ENV)
    if anonymize_ids:  # the kernels inherit it: data.load_dataset hides the ids with this salt
        os.environ[data.ANONYMIZE_SALT_ENV] = secrets.token_hex(16)
    try:
        if workers <= 1:
            entries = [build.run(nb, quiet_bars=False) for nb in notebooks]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(build.run, nb, True) for nb in notebooks]
                wait(futures, return_when=FIRST_EXCEPTION)
                for future in futures:
                    future.cancel()  # those not started yet
                wait(futures)
                failed = [f for f in futures if not f.cancelled() and f.exception()]
                if failed:
                    raise failed[0].exception()
                entries = [f.result() for f in futures]
        _publish(work, output_dir, notebooks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if anonymize_ids and hidden is None:
            os.environ.pop(data.ANONYMIZE_SALT_ENV, None)
        elif anonymize_ids:
            os.environ[data.ANONYMIZE_SALT_ENV] = hidden
    index = write_index(output_dir, entries, parameters)
    print(f"index: {index} (total {duration(time.perf_counter() - build.started)})", flush=True)
    return index
