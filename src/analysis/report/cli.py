"""The runner's command line, ``python -m analysis.report`` (what ``make report`` runs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import schema
from .execute import NotebookFailed, default_workers
from .params_file import generate_log, read_params_file
from .runner import build_reports, discover_notebooks
from .schema import ParameterError

__all__ = ["main"]


EPILOG = """\
parameters: declared once in analysis.report.schema and listed at the end of
this help. -p NAME VALUE applies to every notebook that reads NAME; --params
FILE reads them from a YAML file (notebooks/params/*.yaml; -p overrides it).
Values are checked (type, dates, choices, dataset file) before anything runs
and every problem is listed (exit code 2). The old name cost_per_order is read
as cost_per_purchase, with a warning, in this release only.

dates: observation_end, calibration_end and plan_end left empty are taken
from the log, loaded once before any notebook starts (observation_end: the
last purchase; calibration_end: the month end nearest the middle of the log;
plan_end: the month end a third of the way through the holdout; whole weeks
for a log shorter than six months); each report marks them "(from the
data)". A date given outside the log is refused with the log's first and
last dates (exit code 2).

output: NN_name.html and .ipynb per notebook, the files the notebooks export
(customers.csv and .parquet, plan.yaml), segments/<segment>.html and .ipynb
(notebooks/segment_study.ipynb once per segment of `segmentation`, reading
04_segments' customer table; --no-segments skips them) and index.html linking
everything. The reports are built in a temporary folder and replace the
previous ones only when every notebook, segment studies included, succeeded.
Each HTML page is one self-contained file (no network needed) that starts
with its provenance: the data, every parameter value, the package version
and git commit.

failures: a notebook that stops prints one line (notebook, papermill's In [N]
and the cell's first line, section, error) and the path of its log with the full traceback,
<output dir>/logs/NN_name.log or <output dir>/segments/logs/<segment>.log
(exit code 1); the previous reports are left as they were.

examples:
  python -m analysis.report --params notebooks/params/synthetic.yaml
  python -m analysis.report --only 01_data -p dataset cdnow_sample
  python -m analysis.report -p dataset data/raw/shop.csv -p date_format %d/%m/%Y -p returns drop
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.report",
        description="Build the study's reports: run the numbered notebooks, convert them to HTML, write an index.",
        epilog=f"{EPILOG}\nthe parameters (name = default  [type; notebooks]):\n{schema.parameter_help()}\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", nargs="*", help="notebook names (e.g. 01_data) to run")
    parser.add_argument(
        "--params",
        type=Path,
        default=None,
        metavar="FILE",
        help="YAML file of parameters (see notebooks/params/template.yaml); -p overrides it",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter (listed below) for every notebook that reads it; checked first",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="default: reports/ (failure logs go to its logs/ folder)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help=f"notebooks run at the same time (default {default_workers()}: "
        "the processors, at most 2)",
    )
    parser.add_argument(
        "--no-segments",
        action="store_true",
        help="skip the segment studies (built after 04_segments by default)",
    )
    parser.add_argument(
        "--anonymize-ids",
        action="store_true",
        default=None,
        help="replace customer ids by salted hashes in every output",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bar")
    return parser


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
    parser = _parser()
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
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        parameters, runner = read_params_file(args.params) if args.params else ({}, {})
        parameters.update(dict(args.parameter or []))
        anonymize = (
            args.anonymize_ids
            if args.anonymize_ids is not None
            else runner.get("anonymize_ids", False)
        )
        if "generate" in runner:
            if not parameters.get("dataset"):
                raise ParameterError(
                    ["generate: the file must also name `dataset`, the log to write"]
                )
            written = generate_log(str(parameters["dataset"]), runner["generate"])
            if written:
                print(f"generated the synthetic log {written}", flush=True)
        build_reports(
            notebooks,
            args.output_dir,
            parameters,
            progress=not args.no_progress,
            workers=args.workers,
            anonymize_ids=bool(anonymize),
            segment_studies=not args.no_segments,
        )
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(
            "See `python -m analysis.report --help`: it lists every parameter.",
            file=sys.stderr,
        )
        return 2
    except NotebookFailed as exc:
        print(exc, file=sys.stderr)
        print(f"  full traceback: {exc.log_path}", file=sys.stderr)
        print(f"  executed notebook up to the error: {exc.executed}", file=sys.stderr)
        print("  the previous reports were left as they were", file=sys.stderr)
        return 1
    return 0
