"""The segment studies: ``notebooks/segment_study.ipynb`` run once per segment of a segmentation.

Usage::

    python -m analysis.report.segment_studies --segmentation clv_tiers
    python -m analysis.report.segment_studies --segmentation value_matrix --segment maintain
    python -m analysis.report.segment_studies -p dataset data/raw/shop.csv -p returns drop

The customer table is built once, with the study's loading and value
parameters, to list the segmentation's labels that hold customers; the
notebook then runs once per label (papermill, through
:func:`analysis.report.runner.run_notebook`) into
``<output dir>/segments/<label>.ipynb`` with its HTML beside it
(:func:`analysis.report.runner.to_html`) and ``segments/index.html`` linking
them. The parameters are checked against the notebook's before anything runs
(:func:`analysis.report.parameters.check_parameters`), and a segment asked for
by name is checked against the labels before any notebook starts.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from .. import config
from .parameters import ParameterError, check_parameters
from .runner import NotebookFailed, run_notebook, to_html, use_short_warnings, write_index

__all__ = [
    "SEGMENT_NOTEBOOK",
    "SEGMENTS_DIR",
    "segment_file_name",
    "study_values",
    "segment_table",
    "build_segment_studies",
    "main",
]

#: the notebook run once per segment (not numbered: the main report loop skips it)
SEGMENT_NOTEBOOK: Path = config.NOTEBOOKS_DIR / "segment_study.ipynb"
#: the folder of the output directory holding the segment studies
SEGMENTS_DIR = "segments"
#: the parameters the hook sets itself, one run per segment
SET_BY_HOOK = ("segment",)


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


def segment_table(values: dict[str, Any]):
    """The customer table the notebook builds, from the study's loading and value parameters."""
    from .. import customers, data

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


def build_segment_studies(
    output_dir: Path | str | None = None,
    parameters: dict[str, Any] | None = None,
    segmentation: str = "clv_tiers",
    *,
    only: list[str] | None = None,
    progress: bool = True,
    strict: bool = True,
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
        set by this function and may not be given.
    segmentation : str
        One of :data:`analysis.segments.SEGMENT_LABELS`.
    only : list of str, optional
        Labels to study (each must hold customers); default every label that does.
    progress : bool
        Show papermill's progress bars.
    strict : bool
        Refuse a parameter the notebook does not declare (the command line);
        False skips it, so the main reports' parameters (``calibration_end``,
        ``plan_end``, ...) can be passed as they are.

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
        When a study stops on an error (later segments are not run); its log
        is ``segments/logs/<label>.log``.
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
    counts = segments.segment_counts(segment_table(values), segmentation)
    print(
        f"customer table: {int(counts.sum()):,} customers in {segmentation} "
        f"({time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    held = [label for label, n in counts.items() if n > 0]
    if only:
        empty = [label for label in only if label not in held]
        if empty:
            listed = ", ".join(f"{label!r} ({counts[label]:,})" for label in held)
            raise ValueError(
                f"segment(s) {empty} of {segmentation} hold no customer; "
                f"the labels holding customers are {listed}"
            )
        held = [label for label in held if label in only]
    folder = Path(output_dir or config.REPORTS_DIR) / SEGMENTS_DIR
    pages: dict[str, Path] = {}
    entries = []
    for i, label in enumerate(held, 1):
        start = time.perf_counter()
        stem = segment_file_name(label)
        print(f"[{i}/{len(held)}] segment {label!r} ({counts[label]:,} customers) ...", flush=True)
        run = {**checked, "segment": label}
        try:
            executed = run_notebook(SEGMENT_NOTEBOOK, folder, run, progress=progress)
        except NotebookFailed as exc:
            log = exc.log_path.replace(exc.log_path.with_name(f"{stem}.log"))
            kept = folder / f"{stem}.ipynb"
            if exc.executed.is_file():
                shutil.move(exc.executed, kept)
            raise NotebookFailed(
                exc.notebook, exc.section, exc.ename, f"{exc.evalue} (segment {label!r})", log, kept
            ) from None
        target = folder / f"{stem}.ipynb"
        shutil.move(executed, target)
        pages[label] = to_html(target)
        share = counts[label] / counts.sum()
        entries.append(
            {
                "title": f"Segment study: {label} ({segmentation})",
                "lead": f"{counts[label]:,} customers, {share:.1%} of the base.",
                "html": pages[label].name,
                "notebook": target.name,
            }
        )
        print(
            f"[{i}/{len(held)}] wrote {pages[label]} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    index = write_index(folder, entries)
    print(f"index: {index}", flush=True)
    return pages


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
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bar")
    args = parser.parse_args(argv)
    use_short_warnings()  # the customer table's warnings read "Category: message", as in the reports
    try:
        build_segment_studies(
            args.output_dir,
            dict(args.parameter or []),
            args.segmentation,
            only=args.segment,
            progress=not args.no_progress,
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
