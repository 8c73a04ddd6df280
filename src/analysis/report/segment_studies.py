"""The segment studies: ``notebooks/segment_study.ipynb`` run once per segment of a segmentation.

Two ways to run them:

- ``make report`` (:func:`analysis.report.runner.build_reports`) runs them in
  its pool with the other notebooks, once ``04_segments`` has written the
  customer table (``customers.parquet``): each study reads that table
  (parameter ``customers_path``) instead of fitting the models again, and the
  studies are published with the reports, only when every notebook succeeded.
- ``make segments`` (this module's command line) rebuilds only the segment
  studies::

    python -m analysis.report.segment_studies --segmentation clv_tiers
    python -m analysis.report.segment_studies --segmentation value_matrix --segment maintain
    python -m analysis.report.segment_studies -p customers_path reports/customers.parquet
    python -m analysis.report.segment_studies -p dataset data/raw/shop.csv -p returns drop

  The customer table is read from ``customers_path`` when given (checked
  against the log and the parameters) and built otherwise, once, to list
  the segmentation's labels that hold customers; the notebook then runs once
  per label (papermill, :func:`analysis.report.execute.run_notebook`) into
  ``<output dir>/segments/<label>.ipynb`` with its HTML beside it and
  ``segments/index.html`` linking them. The parameters are checked against
  the notebook's in :mod:`analysis.report.schema` before anything runs, and a segment asked
  for by name is checked against the labels before any notebook starts.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .. import config
from .execute import NotebookFailed, default_workers, run_notebook, use_short_warnings
from .pages import report_summary, to_html, write_index
from .pool import Job, run_jobs
from .schema import RENAMED, ParameterError, check_parameters, notebook_values, used_by

# (the table and the plan live in report.segment_plan, which the runner shares; kept here too)
from .segment_plan import (
    SEGMENT_NOTEBOOK,
    SEGMENTS_DIR,
    SET_BY_HOOK,
    TABLE_FILE,
    TABLE_NOTEBOOK,
    TABLE_PARAMETER,
    customer_table_from,
    held_segments,
    segment_entry,
    segment_file_name,
    segment_table,
)

__all__ = [
    "SEGMENT_NOTEBOOK",
    "SEGMENTS_DIR",
    "TABLE_FILE",
    "TABLE_NOTEBOOK",
    "TABLE_PARAMETER",
    "build_segment_studies",
    "customer_table_from",
    "held_segments",
    "main",
    "segment_entry",
    "segment_file_name",
    "segment_table",
]


def build_segment_studies(
    output_dir: Path | str | None = None,
    parameters: dict[str, Any] | None = None,
    segmentation: str = "clv_tiers",
    *,
    only: list[str] | None = None,
    progress: bool = True,
    strict: bool = True,
    workers: int = 1,
) -> dict[str, Path]:
    """Run the segment study once per non-empty segment of ``segmentation``.

    Parameters
    ----------
    output_dir : Path, optional
        The reports folder (default ``reports/``); the studies go to its
        ``segments/`` folder.
    parameters : dict, optional
        Parameters of the notebook (text values are converted, see
        :func:`analysis.report.schema.check_parameters`); ``segment`` is
        set by this function and may not be given. ``customers_path`` (the
        ``customers.parquet`` of a report run) saves building the table.
    segmentation : str
        One of :data:`analysis.segments.SEGMENT_LABELS`.
    only : list of str, optional
        Labels to study (each must hold customers); default every label that does.
    progress : bool
        Show papermill's progress bars (with one worker).
    strict : bool
        Refuse a parameter the notebook does not read (the command line);
        False skips it, so the main reports' parameters (``calibration_end``,
        ``plan_end``, ...) can be passed as they are.
    workers : int
        Studies run at the same time, each in its own kernel.

    Returns
    -------
    dict
        Label to the HTML page of its study, in the segmentation's order.

    Raises
    ------
    ParameterError
        Before any work, when a parameter cannot be used.
    ValueError
        When the segmentation is unknown (before any work) or a label of
        ``only`` holds no customer (before any notebook runs).
    NotebookFailed
        When a study stops on an error (no later study starts); its log is
        ``segments/logs/<label>.log``, its executed copy beside it.
    """
    from .. import segments

    parameters = dict(parameters or {})
    given = sorted(set(parameters) & set(SET_BY_HOOK))
    if given:
        raise ParameterError(
            [f"{name}: set by the segment studies, one run per segment; not a parameter here"
             for name in given]
        )  # fmt: skip
    if "segmentation" in parameters and parameters["segmentation"] != segmentation:
        raise ParameterError(
            [f"segmentation: given as {parameters['segmentation']!r} and as {segmentation!r}"]
        )
    parameters["segmentation"] = segmentation
    if not strict:
        declared = {*used_by(SEGMENT_NOTEBOOK.stem), *RENAMED}  # an old name still read
        parameters = {k: v for k, v in parameters.items() if k in declared}
    checked = check_parameters(parameters, SEGMENT_NOTEBOOK.stem)
    if checked.get(TABLE_PARAMETER):  # read by the kernel, whose folder is notebooks/
        table_path = Path(checked[TABLE_PARAMETER]).expanduser()
        table_path = table_path if table_path.is_absolute() else config.PROJECT_ROOT / table_path
        if not table_path.is_file():
            raise ParameterError(
                [f"{TABLE_PARAMETER}: no file {str(table_path)!r} (relative paths are taken "
                 "from the project root; `make report` writes reports/customers.parquet)"]
            )  # fmt: skip
        checked[TABLE_PARAMETER] = str(table_path.resolve())
    if segmentation not in segments.SEGMENT_LABELS:
        segments.check_segment(segmentation, "")  # names the segmentations
    for label in only or []:
        segments.check_segment(segmentation, label)
    values = notebook_values(SEGMENT_NOTEBOOK.stem, checked)
    start = time.perf_counter()
    held = held_segments(segment_table(values), segmentation, only)
    how = "read" if values.get(TABLE_PARAMETER) else "built"
    print(
        f"customer table {how}: {held.attrs['customers']:,} customers in {segmentation} "
        f"({time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    folder = Path(output_dir or config.REPORTS_DIR) / SEGMENTS_DIR
    lock = threading.Lock()
    done = []

    def study(i: int, label: str) -> dict[str, str]:
        begun = time.perf_counter()
        stem = segment_file_name(label)
        print(f"[{i}/{len(held)}] segment {label!r} ({held[label]:,} customers) ...", flush=True)
        executed = run_notebook(
            SEGMENT_NOTEBOOK,
            folder,
            {**checked, "segment": label},
            progress=progress and workers == 1,
            log_dir=folder / "logs",
            name=stem,
            run=f"segment {label!r}",
        )
        page = to_html(executed)
        with lock:
            done.append(label)
            print(
                f"[{len(done)}/{len(held)}] wrote {page} ({time.perf_counter() - begun:.0f} s)",
                flush=True,
            )
        return segment_entry(label, segmentation, held, page, executed, report_summary(executed))

    jobs = [
        Job(label, lambda i=i, label=label: study(i, label))
        for i, label in enumerate(held.index, 1)
    ]
    entries = run_jobs(jobs, workers)
    for label in entries:  # the logs of an earlier failure of a study that now succeeded
        for stale in (f"{segment_file_name(label)}.log", f"{segment_file_name(label)}.ipynb"):
            (folder / "logs" / stale).unlink(missing_ok=True)
    index = write_index(folder, list(entries.values()))
    print(f"index: {index}", flush=True)
    return {label: folder / entry["html"] for label, entry in entries.items()}


def main(argv: list[str] | None = None) -> int:
    """Command line of the segment studies.

    Returns
    -------
    int
        0 when every study was written, 1 when one failed, 2 when the
        parameters or the segments were refused (nothing ran).
    """
    from ..segments import SEGMENT_LABELS

    parser = argparse.ArgumentParser(
        prog="python -m analysis.report.segment_studies",
        description=(
            "Run notebooks/segment_study.ipynb once per segment of a segmentation, into "
            "<output dir>/segments/<segment>.ipynb and .html, with an index."
        ),
    )
    parser.add_argument(
        "--segmentation",
        default="clv_tiers",
        choices=list(SEGMENT_LABELS),
        help="the segmentation whose segments are studied (default clv_tiers)",
    )
    parser.add_argument(
        "--segment", nargs="*", help="only these labels (default: every label holding customers)"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter of the notebook (checked first), e.g. -p margin 0.25",
    )
    parser.add_argument("--output-dir", type=Path, default=None, help="default: reports/")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help=f"studies run at the same time (default {default_workers()}: the processors, at most 2)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bar")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    use_short_warnings()  # the customer table's warnings read "Category: message", as in the reports
    try:
        build_segment_studies(
            args.output_dir,
            dict(args.parameter or []),
            args.segmentation,
            only=args.segment,
            progress=not args.no_progress,
            workers=args.workers,
        )
    except (ParameterError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotebookFailed as exc:
        print(exc, file=sys.stderr)
        print(f"  full traceback: {exc.log_path}", file=sys.stderr)
        print(f"  executed notebook up to the error: {exc.executed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
