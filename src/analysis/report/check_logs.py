"""``make test-logs``: the whole study on every log of the corpus, and a check of what it shows.

The corpus is the edge-case logs of :mod:`analysis.simulate.corpus` (drawn
into ``data/interim/corpus/``) and the apparel retailer's real log
(``data/raw/apparel/``). Each comes with a parameter file that names only the
file and its columns, ``notebooks/params/corpus/<name>.yaml``. For each log,
one at a time, this module runs the study as a user would::

    python -m analysis.report --params notebooks/params/corpus/<name>.yaml \\
        --output-dir reports/logs/<name> --no-progress

(every notebook and the segment studies) and checks what it wrote:

1. it completed (exit code 0, every numbered report and the segment studies' index written);
2. no report but ``00_reproduction`` mentions CDNOW (the visible text, any case);
3. no table cell shown to the reader is ``nan``, ``NaN``, ``None``, ``NaT`` or ``<NA>``
   (a formatted one such as ``$nan`` or ``nan%`` included);
4. every reading is present: each code cell that displays Markdown (``Markdown(...)``
   in its source) shows non-empty Markdown in the page, and no page shows a
   traceback. A section that could not be computed shows its "Not computed on
   this log: ..." sentence (:func:`analysis.readings.unavailable`), which counts.

It prints one line per log (PASS or FAIL, the time, the reasons) and a
summary, and writes every reason to ``reports/logs/summary.md``; the
runner's own output is in ``reports/logs/<name>/runner.log`` and a failing
notebook's traceback in ``reports/logs/<name>/logs/``. Exit code 1 when any
log fails, 2 for an unknown log name.

Examples
--------
``python -m analysis.report.check_logs`` (all), ``python -m analysis.report.check_logs
two_months apparel`` (a subset), ``--each-notebook`` to run every notebook on its own
and see every notebook that fails, not only the first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .. import config
from ..readings.findings import PLACEHOLDER
from ..readings.valuation import check_valuations
from ..simulate import corpus
from .execute import default_workers
from .runner import discover_notebooks, duration

__all__ = [
    "PARAMS_DIR",
    "LogResult",
    "check_output",
    "check_page",
    "corpus_names",
    "main",
    "reading_cells",
    "run_log",
]

#: the parameter files of the corpus, one per log
PARAMS_DIR = config.NOTEBOOKS_DIR / "params" / "corpus"
#: where each log's reports go (``<name>/``) and the summary (``summary.md``)
OUTPUT_DIR = config.REPORTS_DIR / "logs"
#: the one report allowed to mention CDNOW: it reproduces the published CDNOW results
CDNOW_REPORT = "00_reproduction"
#: a missing value as pandas or Python prints it, alone or formatted (``$nan``, ``nan%``)
BLANK = re.compile(r"(?<![A-Za-z])(nan|NaN|NAN|NaT|<NA>)(?![A-Za-z])|^None$")
TRACEBACK = "Traceback (most recent call last)"
#: the tag of a code cell that shows nothing unless its parameters are given (no reading due then)
OPTIONAL_TAG = "optional-section"
#: seconds a log may take before its run is stopped
TIMEOUT = 600.0
#: set for every log unless ``--full-simulations``: 06_methods (the accuracy of the stage
#: rules and views on simulated logs, which never read the log) is executed once for these
#: values and then copied from its cache (analysis.report.cache) for every other log; 500
#: simulated customers instead of 2,000 keep that one run short and still run every section
FAST_PARAMETERS = {"sim_customers": "500"}


# --------------------------------------------------------------------------- one page


class _Page(HTMLParser):
    """The reader-visible text of a report page, its table cells and each cell's Markdown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.cells: list[str] = []  # table cells (td and th), in order
        self.blanks: list[str] = []  # the cells showing a missing value, with their row and column
        self._rows: list[list[str]] = []  # the rows of the table being read
        self.markdown: dict[str, list[str]] = {}  # notebook cell id -> Markdown output text
        self._skip = 0  # inside <style> or <script>
        self._cell: str | None = None  # inside a table cell: its text so far
        self._divs: list[tuple[str | None, bool]] = []  # (notebook cell id, Markdown output)

    def _where(self) -> tuple[str | None, bool]:
        cell_id = next((c for c, _ in reversed(self._divs) if c), None)
        return cell_id, any(md for _, md in self._divs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "table":
            self._rows = []
        elif tag == "tr":
            self._rows.append([])
        elif tag == "div":
            ident = values.get("id") or ""
            cell_id = ident.removeprefix("cell-id=") if ident.startswith("cell-id=") else None
            self._divs.append((cell_id, values.get("data-mime-type") == "text/markdown"))
            if cell_id is not None:
                self.markdown.setdefault(cell_id, [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None:
            cell = " ".join(self._cell.split())
            self.cells.append(cell)
            if self._rows:
                row = self._rows[-1]
                if BLANK.search(cell):
                    header = self._rows[0] if len(self._rows) > 1 else []
                    column = header[len(row)] if len(row) < len(header) else ""
                    label = row[0] if row else ""
                    self.blanks.append(f"{cell!r} (row {label!r}, column {column!r})")
                row.append(cell)
            self._cell = None
        elif tag == "div" and self._divs:
            self._divs.pop()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell += data
        cell_id, in_markdown = self._where()
        if cell_id is not None and in_markdown:
            self.markdown[cell_id].append(data)


def check_page(
    page: str, readings: dict[str, str] | None = None, allow_cdnow: bool = False
) -> list[str]:
    """What a report page shows that it must not: CDNOW, a blank table cell, a missing reading.

    Parameters
    ----------
    page : str
        The HTML of one report (as :func:`analysis.report.to_html` writes it).
    readings : dict, optional
        The notebook cells that display a reading: cell id -> a label for
        messages (``cell 12 `Markdown(...)```). Each must show non-empty
        Markdown in the page.
    allow_cdnow : bool
        True for the report that reproduces CDNOW's published results.

    Returns
    -------
    list of str
        One line per problem; empty when the page is clean.
    """
    parser = _Page()
    parser.feed(page)
    parser.close()
    problems = []
    text = "".join(parser.text)
    if not allow_cdnow:
        for match in list(re.finditer(r"cdnow", text, flags=re.IGNORECASE))[:3]:
            around = " ".join(text[max(0, match.start() - 50) : match.end() + 50].split())
            problems.append(f"mentions CDNOW: ...{around}...")
    if parser.blanks:
        shown = "; ".join(parser.blanks[:3]) + ("; ..." if len(parser.blanks) > 3 else "")
        problems.append(f"{len(parser.blanks)} table cell(s) show a missing value: {shown}")
    if TRACEBACK in text:
        problems.append("shows a traceback")
    if " ".join(PLACEHOLDER.replace("*", "").split()) in " ".join(text.split()):
        problems.append("its findings were never written (the placeholder is still shown)")
    for cell_id, label in (readings or {}).items():
        shown = " ".join("".join(parser.markdown.get(cell_id, [])).split())
        if not shown:
            problems.append(f"no reading from {label}")
        elif TRACEBACK in shown:
            problems.append(f"a traceback instead of the reading of {label}")
    return problems


def reading_cells(notebook: dict) -> dict[str, str]:
    """The code cells of a notebook that display a reading: cell id -> ``cell N `first line```.

    A reading is Markdown a cell displays (``Markdown(readings.x(...))``,
    ``Markdown("**Reading.** " + ...)``); the cell's number counts every cell
    of the notebook from 1. A cell that fills an earlier cell's display
    (``update_display``: the findings at the top) is left out: the earlier cell is checked;
    so is a cell tagged :data:`OPTIONAL_TAG` that shows nothing (its section's parameters
    were not given).
    """
    found = {}
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        source = cell.get("source", "")
        source = source if isinstance(source, str) else "".join(source)
        if "update_display(" in source:
            continue  # it fills an earlier cell's output (the findings), checked there
        tags = cell.get("metadata", {}).get("tags", [])
        if OPTIONAL_TAG in tags and not cell.get("outputs"):
            continue  # a section shown only when its parameters are given (03's attributes)
        if cell.get("cell_type") == "code" and "Markdown(" in source and cell.get("id"):
            first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
            found[cell["id"]] = f"cell {number} `{first[:60]}`"
    return found


def check_output(output_dir: Path, notebooks: list[Path] | None = None) -> list[str]:
    """Check every report of a finished run in ``output_dir``; one line per problem.

    Parameters
    ----------
    output_dir : Path
        The ``--output-dir`` of a run of the whole study.
    notebooks : list of Path, optional
        The study's numbered notebooks, each of which must have its report;
        default: those of the project.
    """
    notebooks = discover_notebooks() if notebooks is None else notebooks
    problems = [
        f"{nb.stem}: no report ({nb.stem}.html)"
        for nb in notebooks
        if not (output_dir / f"{nb.stem}.html").is_file()
    ]
    if not (output_dir / "segments" / "index.html").is_file():
        problems.append("segments: no segment studies (segments/index.html)")
    pages = sorted(output_dir.glob("*.html")) + sorted((output_dir / "segments").glob("*.html"))
    for page in pages:
        if page.name == "index.html":
            continue
        name = page.relative_to(output_dir).with_suffix("").as_posix()
        executed = page.with_suffix(".ipynb")
        readings = {}
        if executed.is_file():
            readings = reading_cells(json.loads(executed.read_text(encoding="utf-8")))
        else:
            problems.append(f"{name}: no executed notebook beside the page")
        html = page.read_text(encoding="utf-8")
        found = check_page(html, readings, allow_cdnow=page.stem == CDNOW_REPORT)
        problems += [f"{name}: {p}" for p in found]
    # one valuation: every report's line at the same cut names the same customers, repeat
    # buyers, model and CLV total
    executed = [p.with_suffix(".ipynb") for p in pages if p.with_suffix(".ipynb").is_file()]
    problems += [f"valuation: {p}" for p in check_valuations(executed)]
    return problems


# --------------------------------------------------------------------------- one log


@dataclass
class LogResult:
    """The outcome of the study on one log."""

    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the runner's and its kernels' processor time (a busy machine aside)
    exit_code: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.problems


NOTEBOOK_MESSAGE = re.compile(r"^[\w.-]+\.ipynb\b")
ERROR_LINE = re.compile(
    r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)?: |^[A-Za-z_][\w.]*Error$"
)


def _log_reason(log: Path, output_dir: Path) -> tuple[str, str]:
    """``(notebook, cell N)`` and ``notebook, cell N: Error: message`` of a runner's failure log."""
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    head = dict(line.split(": ", 1) for line in text[:4] if ": " in line)
    notebook = Path(head.get("notebook", log.stem)).name
    cell = head.get("cell", "")
    number = re.search(r"\d+", cell)
    if number is None:
        where = f"{notebook}, a cell"
    else:  # papermill's In [N] (a log of an older run: the cell's position)
        where = f"{notebook}, " + (
            f"In [{number.group()}]" if "In [" in cell else f"cell {number.group()}"
        )
    error = next((ln.strip() for ln in reversed(text) if ERROR_LINE.match(ln.strip())), "")
    return where, f"{where}: {error or '(see the log)'} (log: {log.relative_to(output_dir)})"


def _failures(output: str, output_dir: Path) -> list[str]:
    """The runner's reasons for a failed run: its one-line messages and every failure log."""
    lines = output.splitlines()
    reasons = []
    for i, line in enumerate(lines):
        if line.startswith("  full traceback:"):
            above = [ln for ln in lines[:i] if NOTEBOOK_MESSAGE.match(ln)]
            if above:
                reasons.append(above[-1].strip())
        elif line.startswith("error: "):
            reasons.append(line.removeprefix("error: ").strip())
    for log in sorted(output_dir.rglob("logs/*.log")):
        where, reason = _log_reason(log, output_dir)
        if not any(r.startswith(where) for r in reasons):
            reasons.append(reason)
    if not reasons:
        tail = [ln.strip() for ln in lines if ln.strip()][-3:]
        reasons.append("the runner stopped: " + " | ".join(tail))
    return reasons


def _children_cpu() -> float:
    """Processor seconds (user and system) of the finished child processes and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], log_file: Path, timeout: float) -> tuple[int | None, str]:
    """Run ``command`` into ``log_file``; its exit code (None: timed out) and its output."""
    with log_file.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=config.PROJECT_ROOT,
            start_new_session=True,  # its kernels in its own process group, stopped with it
        )
        try:
            code: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
            code = None
    return code, log_file.read_text(encoding="utf-8", errors="replace")


def run_log(
    name: str,
    output_root: Path = OUTPUT_DIR,
    workers: int | None = None,
    timeout: float = TIMEOUT,
    each_notebook: bool = False,
    extra: list[str] | None = None,
) -> LogResult:
    """Run the whole study on the log ``name`` into ``output_root/<name>`` and check it.

    Parameters
    ----------
    name : str
        A parameter file ``notebooks/params/corpus/<name>.yaml``.
    output_root : Path
        Folder of the runs; ``<name>/`` in it is emptied first.
    workers : int, optional
        The runner's ``--workers`` (default: its own default).
    timeout : float
        Seconds before the run is stopped and the log fails.
    each_notebook : bool
        Run each numbered notebook on its own (``--only``; ``04_segments``
        with the segment studies), so every notebook that fails is found,
        not only the first.
    extra : list of str, optional
        More arguments for the runner (``-p NAME VALUE``).
    """
    output_dir = output_root / name
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "analysis.report",
        "--params",
        str(PARAMS_DIR / f"{name}.yaml"),
        "--output-dir",
        str(output_dir),
        "--no-progress",
        *(["--workers", str(workers)] if workers else []),
        *(extra or []),
    ]
    runs = [[]]
    if each_notebook:
        runs = [["--only", nb.stem] for nb in discover_notebooks()]
    result = LogResult(name)
    start, cpu = time.perf_counter(), _children_cpu()
    outputs = []
    for i, only in enumerate(runs):
        left = timeout - (time.perf_counter() - start)
        log_file = output_dir / (f"runner-{only[1]}.log" if only else "runner.log")
        code, output = (None, "") if left <= 0 else _run(command + only, log_file, left)
        outputs.append(output)
        if code is None:
            result.exit_code = None
            result.problems.append(f"timed out after {duration(timeout)}")
            break
        result.exit_code = max(result.exit_code or 0, code)
        if i == 0 and code == 2:  # the parameters were refused: nothing else will run
            break
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = _children_cpu() - cpu
    if result.exit_code != 0:
        result.problems += _failures("\n".join(outputs), output_dir)
    if result.exit_code is not None and result.exit_code != 2:
        found = check_output(output_dir)
        if result.exit_code != 0:  # the failure explains the missing reports
            found = [p for p in found if "no report" not in p and "no segment studies" not in p]
        result.problems += found
    return result


# --------------------------------------------------------------------------- the corpus


def corpus_names() -> list[str]:
    """Every log of the corpus: the generated ones in :data:`corpus.LOGS` order, then the real ones."""
    have = sorted(p.stem for p in PARAMS_DIR.glob("*.yaml"))
    return [n for n in corpus.LOGS if n in have] + [n for n in have if n not in corpus.LOGS]


def _line(result: LogResult, limit: int = 4) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    head = (
        f"{verdict} {result.name} ({duration(result.seconds)}, {duration(result.cpu_seconds)} CPU)"
    )
    if result.passed:
        return head
    shown = result.problems[:limit]
    more = len(result.problems) - len(shown)
    lines = [head] + [f"    - {p}" for p in shown]
    if more:
        lines.append(f"    ... and {more} more (see the summary)")
    return "\n".join(lines)


def write_summary(results: list[LogResult], path: Path, total: float) -> Path:
    """``summary.md``: a table of the logs and every reason of every failure."""
    failed = [r for r in results if not r.passed]
    rows = "\n".join(
        f"| `{r.name}` | {'PASS' if r.passed else 'FAIL'} | {duration(r.seconds)} | "
        f"{duration(r.cpu_seconds)} | "
        f"{'' if r.exit_code is None else r.exit_code} | {len(r.problems)} |"
        for r in results
    )
    parts = [
        "# make test-logs",
        "",
        f"{len(results) - len(failed)} of {len(results)} logs passed; total {duration(total)} "
        f"({duration(sum(r.cpu_seconds for r in results))} CPU: the runner and its kernels).",
        "Each log's reports are in `reports/logs/<name>/`, the runner's output in its "
        "`runner.log` and a failing notebook's traceback in its `logs/`.",
        "",
        "| log | result | time | CPU | exit code | problems |",
        "|---|---|---|---|---|---|",
        rows,
    ]
    for r in failed:
        parts += ["", f"## {r.name}", ""] + [f"- {p}" for p in r.problems]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.report.check_logs",
        description="Run the whole study on each log of the corpus and check its reports "
        "(make test-logs).",
    )
    parser.add_argument("names", nargs="*", help="logs to run (default: all; --list names them)")
    parser.add_argument("--list", action="store_true", help="name the logs and stop")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help=f"the runner's notebooks at a time (default {default_workers()})",
    )
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="default reports/logs")
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="seconds per log (default 600)"
    )
    parser.add_argument(
        "--each-notebook",
        action="store_true",
        help="run each notebook on its own, to find every notebook that fails (slower)",
    )
    parser.add_argument(
        "--full-simulations",
        action="store_true",
        help="keep 06_methods' simulations at their default size (default: "
        + ", ".join(f"{k} {v}" for k, v in FAST_PARAMETERS.items())
        + "; they do not read the log)",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="passed on to the runner for every log",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command line (``make test-logs``); 0 when every log passed, 1 when one failed."""
    parser = _parser()
    args = parser.parse_args(argv)
    known = corpus_names()
    if args.list:
        for name in known:
            spec = corpus.LOGS.get(name)
            print(f"{name:18s} {spec.description if spec else '(a real log)'}")
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"error: no corpus log {', '.join(unknown)}; have {', '.join(known)}")
        return 2
    names = args.names or known
    written = corpus.write_corpus(names=[n for n in names if n in corpus.LOGS])
    print(f"corpus: {len(written)} generated log(s) in {corpus.CORPUS_DIR}", flush=True)
    fixed = {} if args.full_simulations else dict(FAST_PARAMETERS)
    fixed.update(dict(args.parameter))
    extra = [arg for pair in fixed.items() for arg in ("-p", *pair)]
    if fixed:
        print(f"for every log: {', '.join(f'{k} = {v}' for k, v in fixed.items())}", flush=True)
    results = []
    started = time.perf_counter()
    for i, name in enumerate(names, start=1):
        print(f"[{i}/{len(names)}] {name} ...", flush=True)
        result = run_log(
            name, args.output_dir, args.workers, args.timeout, args.each_notebook, extra
        )
        results.append(result)
        print(
            f"[{i}/{len(names)}] {_line(result)}; total {duration(time.perf_counter() - started)}",
            flush=True,
        )
    total = time.perf_counter() - started
    summary = write_summary(results, args.output_dir / "summary.md", total)
    failed = [r.name for r in results if not r.passed]
    print(
        f"test-logs: {len(results) - len(failed)} of {len(results)} logs passed in "
        f"{duration(total)}"
        + (f"; failed: {', '.join(failed)}" if failed else "")
        + f" (details: {summary})",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
