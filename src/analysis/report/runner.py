"""Running the study: every notebook into an executed copy and an HTML page, then an index.

The rules it follows are described in :mod:`analysis.report`; the command line is in
:mod:`analysis.report.cli`.
The numbered notebooks run in a pool of ``workers`` kernels
(:mod:`analysis.report.pool`); the segment studies join the pool when the
notebook writing the customer table (``04_segments``) is done, one study per
segment, each reading that table (:mod:`analysis.report.segment_studies`).
The reports are built in a temporary folder beside the reports folder and
replace the previous ones, segment studies included, only when every
notebook succeeded.
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
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config, data
from .cache import run_cached, start_order
from .execute import EXPORT_PARAMETER, NotebookFailed, run_notebook, use_short_warnings
from .pages import report_summary, to_html, write_index
from .parameters import ParameterError, resolve_time_frame
from .pool import Job, run_jobs
from .provenance import (
    FROM_DATA,
    dataset_facts,
    insert_provenance,
    loading_key,
    provenance_markdown,
)
from .schema import check_parameters, notebook_values
from .segment_plan import (
    SEGMENT_NOTEBOOK,
    SEGMENTS_DIR,
    SET_BY_HOOK,
    TABLE_FILE,
    TABLE_NOTEBOOK,
    TABLE_PARAMETER,
    held_segments,
    segment_entry,
    segment_file_name,
    segment_table,
)

if TYPE_CHECKING:
    import pandas as pd

# (NotebookFailed, run_notebook, to_html, use_short_warnings and write_index live in
# report.execute and report.pages; they are also taken from here)
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

    def __init__(
        self, notebooks, work, output_dir, parameters, progress, anonymize_ids, workers, frame=None
    ):
        self.notebooks = notebooks
        self.work = work
        self.output_dir = output_dir
        self.parameters = parameters
        self.progress = progress and workers == 1  # papermill's bars would interleave
        self.anonymize_ids = anonymize_ids
        self.started = time.perf_counter()
        self.total = len(notebooks)  # grows when the segment studies are planned
        self.done = 0
        self.facts: dict[tuple, Any] = {}
        # the dates the runner took from the log, and the log's facts counted then
        self.from_data: tuple[str, ...] = frame.from_data if frame else ()
        if frame is not None and frame.facts is not None:
            self.facts[frame.key] = frame.facts
        self.lock = threading.Lock()
        self.segment_notebook = notebooks[0].parent / SEGMENT_NOTEBOOK.name
        self.table_path = ""  # the customer table the segment studies read ("": none)

    def say(self, text: str) -> None:
        with self.lock:
            print(text, flush=True)

    def _facts(self, values: dict) -> Any:
        """The dataset's counts, loaded once per distinct set of loading options."""
        key = loading_key(values)
        with self.lock:
            known = self.facts.get(key)
        if known is None:  # loaded outside the lock: progress lines keep coming meanwhile
            known = dataset_facts(values)
            with self.lock:
                self.facts[key] = known
        return known

    def _begin(self, position: int, what: str) -> float:
        with self.lock:
            total = self.total
        self.say(f"[{position}/{total}] {what} ...")
        return time.perf_counter()

    def _end(self, what: str, start: float) -> None:
        with self.lock:
            self.done += 1
            done, total = self.done, self.total
        self.say(
            f"[{done}/{total}] {what} done in {duration(time.perf_counter() - start)}; "
            f"total {duration(time.perf_counter() - self.started)}"
        )

    def _publishable(self, nb: Path, executed: Path, run: dict) -> tuple[Path, str]:
        """Name the final folder instead of the working one, add the provenance, convert.

        Returns the HTML page and the one-line summary for the index.
        """
        work, final = str(self.work.resolve()), str(self.output_dir.resolve())
        values = {
            name: value.replace(work, final) if isinstance(value, str) else value
            for name, value in notebook_values(nb.stem, run).items()
        }
        if EXPORT_PARAMETER in values and not values[EXPORT_PARAMETER]:
            values[EXPORT_PARAMETER] = final
        text = executed.read_text(encoding="utf-8")
        # papermill wrote the working folder into the injected parameters: name the final one
        executed.write_text(
            text.replace(json.dumps(work)[1:-1], json.dumps(final)[1:-1]), encoding="utf-8"
        )
        facts = self._facts(values) if "dataset" in values else None  # some load no log
        text = provenance_markdown(
            values,
            facts,
            set(run) - set(self.from_data),
            anonymized=self.anonymize_ids,
            from_data=self.from_data,
        )
        insert_provenance(executed, text)
        return to_html(executed), report_summary(executed)

    def run(self, nb: Path) -> dict:
        """Execute one notebook, add its provenance cell, convert it; its index entry."""
        start = self._begin(self.notebooks.index(nb) + 1, nb.stem)
        # the methods report (no log read) is executed once per code version and settings
        executed = run_cached(
            nb,
            self.work,
            self.parameters,
            partial(
                run_notebook,
                nb,
                self.work,
                self.parameters,
                progress=self.progress,
                log_dir=self.output_dir / "logs",
            ),
            say=self.say,
        )
        page, summary = self._publishable(nb, executed, self.parameters)
        title, lead = _title_and_lead(nb)
        self._end(nb.stem, start)
        return {
            "title": title,
            "lead": lead,
            "html": page.name,
            "notebook": executed.name,
            "summary": summary,
        }

    def _segment_table(self) -> tuple[pd.DataFrame, dict]:
        """The customer table for the segment studies, and the values they run with.

        The table ``04_segments`` wrote (both notebooks take the same values
        from the schema; the studies then read it); else built here, once, to
        list the segments (each study then builds its own).
        """
        import pandas as pd

        nb = self.segment_notebook
        values = notebook_values(nb.stem, self.parameters)
        export = self.parameters.get(EXPORT_PARAMETER)
        # an export_dir of the run is read from the notebooks' folder, as the kernel reads it
        folder = (nb.parent / export).resolve() if export else self.work.resolve()
        path = folder / TABLE_FILE
        if not path.is_file():
            self.say(
                f"segment studies: each builds its own customer table ({TABLE_NOTEBOOK} wrote no {path})"
            )
            return segment_table(values), values
        self.table_path = str(path)
        return pd.read_parquet(path), values

    def plan_segments(self, _entry: dict) -> list[Job]:
        """The segment studies, one per segment holding customers (after ``04_segments``)."""
        table, values = self._segment_table()
        segmentation = values["segmentation"]
        held = held_segments(table, segmentation)
        first = self.total + 1
        with self.lock:
            self.total += len(held)
            total = self.total
        source = f"reading {TABLE_NOTEBOOK}'s customer table" if self.table_path else "each"
        self.say(
            f"segment studies: {len(held)} segments of {segmentation} "
            f"({', '.join(map(str, held.index))}), {source}; {total} notebooks in all"
        )
        return [
            Job(
                f"{SEGMENTS_DIR}/{label}",
                partial(self.run_segment, label, held, segmentation, position),
            )
            for position, label in enumerate(held.index, first)
        ]

    def run_segment(self, label: str, held: pd.Series, segmentation: str, position: int) -> dict:
        """Execute the segment study of one label into ``segments/``; its index entry."""
        what = f"segment study {label!r}"
        start = self._begin(position, f"{what} ({held[label]:,} customers)")
        run = {**self.parameters, "segmentation": segmentation, "segment": label}
        if self.table_path:
            run[TABLE_PARAMETER] = self.table_path
        executed = run_notebook(
            self.segment_notebook,
            self.work / SEGMENTS_DIR,
            run,
            progress=False,
            log_dir=self.output_dir / SEGMENTS_DIR / "logs",
            name=segment_file_name(label),
            run=f"segment {label!r}",
        )
        page, summary = self._publishable(self.segment_notebook, executed, run)
        self._end(what, start)
        return segment_entry(label, segmentation, held, page, executed, summary)


#: left in the working folder by :func:`_publish`, removed with it
PREVIOUS_SEGMENTS = ".previous-segments"


def _publish(work: Path, output_dir: Path, notebooks: list[Path]) -> None:
    """Move every file built in ``work`` into ``output_dir``, replacing those of the last run.

    Other files in ``output_dir`` (its README, the user's own files, reports
    of notebooks not run this time) stay; failure logs of the notebooks that
    now succeeded are removed. When the run built segment studies, its
    ``segments/`` folder replaces the previous one whole, so no study of an
    earlier run (another segmentation, other parameters) stays beside them.
    """
    built = work / SEGMENTS_DIR
    if built.is_dir():
        target = output_dir / SEGMENTS_DIR
        if target.exists():
            os.replace(target, work / PREVIOUS_SEGMENTS)
        os.replace(built, target)
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        if PREVIOUS_SEGMENTS in path.relative_to(work).parts:
            continue
        target = output_dir / path.relative_to(work)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    for nb in notebooks:
        for stale in (f"{nb.stem}.log", f"{nb.stem}.ipynb"):
            (output_dir / "logs" / stale).unlink(missing_ok=True)


def _check_segment_parameters(parameters: dict) -> None:
    """Refuse what the runner sets itself for each segment study."""
    problems = [
        f"{name}: set by the runner for each segment study; not a parameter of the run"
        for name in sorted(set(parameters) & {*SET_BY_HOOK, TABLE_PARAMETER})
    ]
    if problems:
        raise ParameterError(problems)


def build_reports(
    notebooks: list[Path] | None = None,
    output_dir: Path | None = None,
    parameters: dict | None = None,
    progress: bool = True,
    workers: int = 1,
    anonymize_ids: bool = False,
    segment_studies: bool = True,
) -> Path:
    """Check the parameters, run every notebook and the segment studies, convert to HTML, index.

    The reports are built in a temporary folder (``output_dir/.building-*``)
    and moved into place only when every notebook succeeded: a failed run leaves the
    previous reports as they were (its log goes to ``output_dir/logs``, or
    ``output_dir/segments/logs`` for a segment study).

    Parameters
    ----------
    notebooks : list of Path, optional
        Default: every numbered notebook of the project.
    output_dir : Path, optional
        Default: ``reports/``.
    parameters : dict, optional
        Study parameters (text values are converted; see :func:`analysis.report.schema.check_parameters`).
    progress : bool
        Show papermill's progress bars (with one worker).
    workers : int
        Notebooks run at the same time, each in its own kernel (the segment
        studies in the same pool).
    anonymize_ids : bool
        Replace the customer ids by salted hashes in every output: the
        kernels get the salt, drawn for the run and written nowhere, in the
        environment variable :data:`analysis.data.ANONYMIZE_SALT_ENV`, which
        makes :func:`analysis.data.load_dataset` hash the ids as it loads.
    segment_studies : bool
        Run ``segment_study.ipynb`` once per segment of ``segmentation``
        into ``segments/`` when it is in the notebooks' folder and
        ``04_segments`` is among the notebooks run. ``04_segments`` starts
        first; the studies are queued when it is done and read the customer
        table it wrote (when both compute the table from the same values).

    Returns
    -------
    Path
        The index page.

    Raises
    ------
    ParameterError
        Before any notebook runs, when a parameter cannot be used, a date of
        the study falls outside the log (the log is loaded once, up front:
        the dates left empty are taken from it then, the same for every
        notebook; :func:`~analysis.report.parameters.resolve_time_frame`).
    NotebookFailed
        When a notebook stops on an error (the first failure in the order the
        notebooks were queued; no further notebook is started).
    """
    output_dir = Path(output_dir or config.REPORTS_DIR)
    notebooks = notebooks or discover_notebooks()
    if not notebooks:
        raise FileNotFoundError(
            f"no numbered notebooks (NN_name.ipynb) in {config.NOTEBOOKS_DIR}; "
            "restore them with `git checkout notebooks`."
        )
    folder = notebooks[0].parent
    segment_nb = folder / SEGMENT_NOTEBOOK.name
    # any parameter of the schema is accepted (a parameter file serves the whole study, also
    # with --only); each notebook gets those it reads
    parameters = check_parameters(parameters)
    _check_segment_parameters(parameters)
    given = dict(parameters)  # shown in the index as set for the run
    study = set(discover_notebooks(folder)) | set(notebooks) | {segment_nb}
    frame = resolve_time_frame(sorted(study), parameters)
    parameters = frame.parameters
    table_nb = next((nb for nb in notebooks if nb.stem == TABLE_NOTEBOOK), None)
    with_segments = segment_studies and segment_nb.is_file() and table_nb is not None
    output_dir.mkdir(parents=True, exist_ok=True)
    # built inside the reports folder (ignored by git, same file system: the moves are renames)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=output_dir))
    build = _Build(notebooks, work, output_dir, parameters, progress, anonymize_ids, workers, frame)
    # the notebook the segment studies wait for starts first, the others in reading order
    queue = sorted(notebooks, key=lambda nb: nb != table_nb) if with_segments else notebooks
    queue = queue[:1] + start_order(queue[1:], parameters)  # a methods report to execute: early
    jobs = [
        Job(
            nb.stem,
            partial(build.run, nb),
            build.plan_segments if with_segments and nb is table_nb else None,
        )
        for nb in queue
    ]
    hidden = os.environ.get(data.ANONYMIZE_SALT_ENV)
    if anonymize_ids:  # the kernels inherit it: data.load_dataset hides the ids with this salt
        os.environ[data.ANONYMIZE_SALT_ENV] = secrets.token_hex(16)
    try:
        results = run_jobs(jobs, workers)
        entries = [results[nb.stem] for nb in notebooks]
        segment_entries = [
            entry for key, entry in results.items() if key.startswith(f"{SEGMENTS_DIR}/")
        ]
        if with_segments:
            write_index(work / SEGMENTS_DIR, segment_entries)
        _publish(work, output_dir, notebooks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if anonymize_ids and hidden is None:
            os.environ.pop(data.ANONYMIZE_SALT_ENV, None)
        elif anonymize_ids:
            os.environ[data.ANONYMIZE_SALT_ENV] = hidden
    shown = {**given, **{name: f"{parameters[name]} {FROM_DATA}" for name in frame.from_data}}
    index = write_index(
        output_dir, entries, shown, segments=segment_entries if with_segments else None
    )
    print(f"index: {index} (total {duration(time.perf_counter() - build.started)})", flush=True)
    return index
