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
  the notebook's before anything runs
  (:func:`analysis.report.parameters.check_parameters`), and a segment asked
  for by name is checked against the labels before any notebook starts.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from .execute import NotebookFailed, default_workers, run_notebook, use_short_warnings
from .pages import report_summary, to_html, write_index
from .parameters import ParameterError, check_parameters
from .pool import Job, run_jobs

if TYPE_CHECKING:
    import pandas as pd

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
    "study_values",
    "table_differences",
]

#: the notebook run once per segment (not numbered: the main report loop skips it)
SEGMENT_NOTEBOOK: Path = config.NOTEBOOKS_DIR / "segment_study.ipynb"
#: the folder of the output directory holding the segment studies
SEGMENTS_DIR = "segments"
#: the parameters the hook sets itself, one run per segment
SET_BY_HOOK = ("segment",)
#: the study notebook that writes the customer table for the reader (and the segment studies)
TABLE_NOTEBOOK = "04_segments"
#: the file it writes in its export folder, read back by the segment studies
TABLE_FILE = "customers.parquet"
#: the segment study's parameter naming that file (empty: the study builds the table itself)
TABLE_PARAMETER = "customers_path"
#: the parameters the customer table is computed from: the two notebooks must agree on
#: each for the segment studies to read the table instead of building it
TABLE_PARAMETERS = (
    "dataset",
    "customer_id_column",
    "date_column",
    "amount_column",
    "date_format",
    "dayfirst",
    "returns",
    "duplicates",
    "observation_end",
    "period",
    "time_unit",
    "horizon_years",
    "annual_discount_rate",
    "margin",
    "cost_per_order",
)
#: the table's ``attrs`` that record a parameter, checked when a table is read back
RECORDED = ("period", "time_unit", "horizon_years", "annual_discount_rate", "margin")


def segment_file_name(label: str) -> str:
    """A file stem for a label: lower case, runs of other characters than letters and digits as ``_``.

    >>> segment_file_name("can't lose them")
    'can_t_lose_them'
    """
    stem = re.sub(r"[^0-9a-z]+", "_", str(label).lower()).strip("_")
    return stem or "segment"


def study_values(parameters: dict[str, Any], notebook: Path = SEGMENT_NOTEBOOK) -> dict[str, Any]:
    """The notebook's parameter defaults, overridden by the checked ``parameters``."""
    import papermill as pm

    values = {}
    for name, info in pm.inspect_notebook(str(notebook)).items():
        try:
            values[name] = ast.literal_eval(info["default"]) if info["default"] else None
        except (ValueError, SyntaxError):
            values[name] = None
    values.update(parameters)
    return values


def segment_table(values: dict[str, Any]) -> pd.DataFrame:
    """The customer table the notebook studies: read from ``customers_path``, else built from the log."""
    import pandas as pd

    from .. import customers, data

    if values.get(TABLE_PARAMETER):
        return pd.read_parquet(values[TABLE_PARAMETER])
    transactions = data.load_dataset(
        values["dataset"],
        customer_id=values["customer_id_column"],
        date=values["date_column"],
        amount=values["amount_column"],
        date_format=values["date_format"] or None,
        dayfirst=values["dayfirst"] or None,
        returns=values["returns"],
        duplicates=values["duplicates"],
    )
    return customers.customer_table(
        transactions,
        observation_end=values["observation_end"] or None,
        period=values["period"],
        time_unit=values["time_unit"],
        horizon_years=values["horizon_years"],
        annual_discount_rate=values["annual_discount_rate"],
        margin=values["margin"],
        cost_per_order=values["cost_per_order"],
    )


def customer_table_from(
    path: str | Path | None,
    transactions: pd.DataFrame,
    *,
    observation_end=None,
    period: str = "M",
    time_unit: str = "W",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 0.30,
    cost_per_order: float = 0.0,
) -> pd.DataFrame:
    """The customer table of ``transactions``: read from ``path`` when given, else built.

    The report runner passes the table ``04_segments`` wrote in the same run
    (``customers.parquet``, the same log and parameters), so each segment
    study skips the model fits. A table read back is checked against the log
    (the same customers) and against the parameters it records in its
    ``attrs`` (observation end, period, time unit, horizon, discount rate,
    margin); ``cost_per_order`` is not recorded there, so the runner passes a
    table only when both notebooks have the same value.

    Parameters
    ----------
    path : str or Path, optional
        A customer table written by :func:`analysis.customers_io.export`
        (Parquet); empty or None: build it with :func:`analysis.customers.customer_table`.
    transactions : DataFrame
        The loaded log.
    observation_end, period, time_unit, horizon_years, annual_discount_rate, margin, cost_per_order
        As for :func:`analysis.customers.customer_table`.

    Returns
    -------
    DataFrame
        The table, with ``attrs["observation_end"]`` a Timestamp as when built.

    Raises
    ------
    FileNotFoundError
        When ``path`` names no file.
    ValueError
        When the table read was not built from this log with these parameters
        (each difference named).
    """
    import math

    import pandas as pd

    from .. import customers

    settings = {
        "period": period,
        "time_unit": time_unit,
        "horizon_years": horizon_years,
        "annual_discount_rate": annual_discount_rate,
        "margin": margin,
    }
    if not path:
        return customers.customer_table(
            transactions, observation_end=observation_end, cost_per_order=cost_per_order, **settings
        )
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"customers_path: no file {str(path)!r}; leave it empty to build the customer "
            f"table here, or run the segments report first (it writes {TABLE_FILE})"
        )
    table = pd.read_parquet(path)
    last = transactions["date"].max() if observation_end is None else observation_end
    end = pd.Timestamp(last).normalize()
    problems = []
    recorded = table.attrs.get("observation_end")
    if recorded is None or pd.Timestamp(recorded) != end:
        problems.append(f"observation_end {recorded} in the table, {end.date()} here")
    for name in RECORDED:
        value = table.attrs.get(name)
        same = (
            value == settings[name]
            if isinstance(settings[name], str) or value is None
            else math.isclose(float(value), float(settings[name]))
        )
        if not same:
            problems.append(f"{name} {value!r} in the table, {settings[name]!r} here")
    ids = pd.Index(transactions["customer_id"].unique())
    if len(ids) != len(table) or not ids.isin(table.index).all():
        problems.append(f"{len(table):,} customers in the table, {len(ids):,} in the log")
    if problems:
        raise ValueError(
            f"customers_path: the customer table {str(path)!r} was not built from this log "
            f"with these parameters ({'; '.join(problems)}); leave customers_path empty to "
            "build the table here"
        )
    table.attrs["observation_end"] = end
    return table


def table_differences(
    table_notebook: Path, segment_notebook: Path, parameters: dict[str, Any]
) -> list[str]:
    """The parameters of the customer table on which two notebooks disagree in a run.

    Parameters
    ----------
    table_notebook, segment_notebook : Path
        The notebook writing the table (``04_segments``) and the segment study.
    parameters : dict
        The run's checked parameters.

    Returns
    -------
    list of str
        One phrase per parameter of :data:`TABLE_PARAMETERS` whose value (the
        run's, else the notebook's default) differs, or that only one declares;
        empty when the segment studies can read the written table.
    """
    from .provenance import declared_values

    table_values = declared_values(table_notebook, parameters)
    study = declared_values(segment_notebook, parameters)
    missing = object()
    differ = []
    for name in TABLE_PARAMETERS:
        a, b = table_values.get(name, missing), study.get(name, missing)
        if a != b:
            shown = ["not declared" if v is missing else repr(v) for v in (a, b)]
            differ.append(
                f"{name} {shown[0]} in {table_notebook.stem}, {shown[1]} in {segment_notebook.stem}"
            )
    return differ


def held_segments(
    table: pd.DataFrame, segmentation: str, only: list[str] | None = None
) -> pd.Series:
    """Customers of each label of ``segmentation`` to study: those holding customers, or ``only``.

    Returns
    -------
    Series
        Label to customers, in the segmentation's order; ``attrs["customers"]``
        is the size of the base.

    Raises
    ------
    ValueError
        When a label of ``only`` holds no customer (the labels that do are listed).
    """
    from .. import segments

    counts = segments.segment_counts(table, segmentation)
    held = counts[counts > 0]
    if only:
        empty = [label for label in only if label not in held.index]
        if empty:
            listed = ", ".join(f"{label!r} ({n:,})" for label, n in held.items())
            raise ValueError(
                f"segment(s) {empty} of {segmentation} hold no customer; "
                f"the labels holding customers are {listed}"
            )
        held = held[held.index.isin(only)]
    held = held.astype(int)
    held.attrs = {"customers": int(counts.sum())}
    return held


def segment_entry(
    label: str, segmentation: str, held: pd.Series, page: Path, executed: Path, summary: str = ""
) -> dict[str, str]:
    """The index entry of one segment study: title, size and share, pages, one-line summary."""
    share = held[label] / held.attrs["customers"]
    return {
        "title": f"Segment study: {label} ({segmentation})",
        "lead": f"{held[label]:,} customers, {share:.1%} of the base.",
        "html": page.name,
        "notebook": executed.name,
        "summary": summary,
    }


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
        :func:`~analysis.report.parameters.check_parameters`); ``segment`` is
        set by this function and may not be given. ``customers_path`` (the
        ``customers.parquet`` of a report run) saves building the table.
    segmentation : str
        One of :data:`analysis.segments.SEGMENT_LABELS`.
    only : list of str, optional
        Labels to study (each must hold customers); default every label that does.
    progress : bool
        Show papermill's progress bars (with one worker).
    strict : bool
        Refuse a parameter the notebook does not declare (the command line);
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
        declared = set(study_values({}))
        parameters = {k: v for k, v in parameters.items() if k in declared}
    checked = check_parameters([SEGMENT_NOTEBOOK], parameters)
    if segmentation not in segments.SEGMENT_LABELS:
        segments.check_segment(segmentation, "")  # names the segmentations
    for label in only or []:
        segments.check_segment(segmentation, label)
    values = study_values(checked)
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
