"""Where a report comes from: the data, the parameters and the code, written at its top.

A report that leaves the building must say what it was computed from. The
runner adds one markdown cell after the title of every executed notebook
(:func:`insert_provenance`): the dataset with its rows, customers and date
span, the calibration, plan and observation ends (each marked "(from the
data)" when the run left it empty and the runner took it from the log,
:func:`analysis.dates.time_frame`), the parameter values the run set (the
others are counted: they are the schema's defaults, and the executed notebook
beside the page holds every value), the package version, the git commit and
the run date. No notebook needs to know about it.
"""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__, config
from . import schema

__all__ = [
    "DatasetFacts",
    "dataset_facts",
    "FROM_DATA",
    "git_commit",
    "insert_provenance",
    "load_log",
    "loading_key",
    "provenance_markdown",
]

#: tag of the provenance cell in an executed notebook
PROVENANCE_TAG = "provenance"
#: the mark of a value the run left empty and the runner took from the log
FROM_DATA = "(from the data)"
#: the study's dates shown in the table at the top, in time order
FRAME_ROWS = ("calibration_end", "plan_end", "observation_end")


@dataclass(frozen=True)
class DatasetFacts:
    """What the loaded log holds; ``error`` says why it could not be read (the rest is then None)."""

    rows: int | None = None
    customers: int | None = None
    first_date: str | None = None
    last_date: str | None = None
    error: str | None = None


def loading_key(values: Mapping[str, Any]) -> tuple[str, ...]:
    """What the loaded log depends on: ``dataset`` and the loading parameters, as text."""
    loading = [name for name, p in schema.PARAMETERS.items() if p.loads]
    return tuple(str(values.get(name)) for name in ("dataset", *loading))


def dataset_facts(values: Mapping[str, Any]) -> DatasetFacts:
    """Load the log once, as the notebooks do, and count its rows, customers and dates.

    Parameters
    ----------
    values : mapping
        A notebook's parameter values (:func:`analysis.report.schema.notebook_values`): ``dataset``
        and the loading parameters.

    Returns
    -------
    DatasetFacts
        The counts, or the reason the log could not be read (the notebook
        itself reports loading problems; here they only leave the counts out).
    """
    return load_log(values)[1]


def load_log(values: Mapping[str, Any]) -> tuple[Any, DatasetFacts]:
    """Load the log as the notebooks do: the log (None when it cannot be read) and its facts.

    Parameters
    ----------
    values : mapping
        A notebook's parameter values: ``dataset`` and the loading parameters.

    Returns
    -------
    (DataFrame or None, DatasetFacts)
    """
    from .. import data

    options = schema.loading_options(values)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the notebooks show the data-quality warnings
            log = data.load_dataset(str(values["dataset"]), **options)
    except Exception as exc:  # noqa: BLE001 - any loading problem only leaves the counts out
        return None, DatasetFacts(error=f"{type(exc).__name__}: {exc}".splitlines()[0])
    if log.empty:
        return log, DatasetFacts(rows=0, customers=0)
    return log, DatasetFacts(
        rows=len(log),
        customers=int(log["customer_id"].nunique()),
        first_date=log["date"].min().strftime("%Y-%m-%d"),
        last_date=log["date"].max().strftime("%Y-%m-%d"),
    )


def git_commit(root: Path | None = None) -> str:
    """The short hash of the checked-out commit, marked when files differ from it.

    Returns
    -------
    str
        ``"1a2b3c4"``, ``"1a2b3c4 with uncommitted changes"`` or ``"not a git checkout"``.
    """
    root = Path(root or config.PROJECT_ROOT)

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} with uncommitted changes" if changed else commit


def _cell_text(value: Any) -> str:
    """A value as table text: pipes escaped, empty text shown as (empty)."""
    if value is None or value == "":
        return "(empty)"
    return str(value).replace("|", "\\|").replace("\n", " ")


def provenance_markdown(
    values: Mapping[str, Any],
    facts: DatasetFacts | None,
    overridden: set[str] | frozenset[str] = frozenset(),
    commit: str | None = None,
    run_date: datetime | None = None,
    anonymized: bool = False,
    from_data: set[str] | frozenset[str] | tuple[str, ...] = (),
) -> str:
    """The provenance cell's Markdown: the data, the run, then the parameters the run set.

    Parameters
    ----------
    values : mapping
        The notebook's parameter values (:func:`analysis.report.schema.notebook_values`).
    facts : DatasetFacts or None
        What the loaded log holds (:func:`dataset_facts`); None for a
        notebook that loads no log (no data rows then).
    overridden : set of str
        Parameters the run set (marked with ``*``); the others are defaults.
    commit : str, optional
        Default: :func:`git_commit`.
    run_date : datetime, optional
        Default: now (UTC).
    anonymized : bool
        The customer ids were replaced by salted hashes (said in the table).
    from_data : collection of str
        Dates the run left empty and took from the log
        (:func:`analysis.dates.time_frame`): marked "(from the data)", with the rule.

    Returns
    -------
    str
        A heading, a two-column table and a note on the marks.
    """
    commit = commit if commit is not None else git_commit()
    run_date = run_date or datetime.now(UTC)
    lines = ["## Provenance", "", "| | |", "|:--|:--|"]
    if facts is not None:
        if facts.error:
            rows = customers = span = f"not counted ({facts.error})"
        else:
            rows, customers = f"{facts.rows:,}", f"{facts.customers:,}"
            span = f"{facts.first_date} to {facts.last_date}" if facts.rows else "no purchases"
        lines += [
            f"| dataset | `{_cell_text(values.get('dataset'))}` |",
            f"| rows, customers | {_cell_text(rows)}; {_cell_text(customers)} |",
            f"| purchase dates | {_cell_text(span)} |",
        ]
    if anonymized:
        lines.append("| customer ids | replaced by salted hashes (the salt is not kept) |")
    from_data = {name for name in from_data if name in values}
    for name in FRAME_ROWS:
        if name in values:
            tail = f" {FROM_DATA}" if name in from_data else ""
            lines.append(f"| {name.replace('_', ' ')} | {_cell_text(values[name])}{tail} |")
    lines += [
        f"| package | analysis {__version__}, commit {_cell_text(commit)} |",
        f"| run | {run_date.strftime('%Y-%m-%d %H:%M UTC')} |",
    ]
    # the values the run set, one by one; the defaults only counted (every value is in the
    # executed notebook's injected-parameters cell), the dates' rule named, not quoted
    given = [name for name in values if name in set(overridden) - from_data]
    settings = "; ".join(f"{name} = `{_cell_text(values[name])}`" for name in given)
    rest = len(values) - len(given) - len(from_data)
    if values:  # a notebook that reads none (the reproduction) has no list
        parts = [f"set for this run: {settings}" if given else "none set for this run"]
        if from_data:
            parts.append(
                f"{len(from_data)} date(s) {FROM_DATA}: not given, taken from the log "
                "(the rule: `analysis.dates.FRAME_RULE`)"
            )
        if rest:
            parts.append(f"the other {rest} at their defaults (`python -m analysis.report --help`)")
        lines += [
            "",
            f"**Parameters** ({len(values)}): " + "; ".join(parts) + ". The executed notebook "
            "beside this page holds every value.",
        ]
    return "\n".join(lines)


def insert_provenance(executed: Path, text: str) -> None:
    """Put the provenance cell after the first markdown cell (the title) of an executed notebook.

    A provenance cell already there (tagged ``provenance``) is replaced.

    Parameters
    ----------
    executed : Path
        The executed notebook, rewritten in place.
    text : str
        The cell's Markdown (:func:`provenance_markdown`).
    """
    import nbformat
    from nbformat.v4 import new_markdown_cell

    nb = nbformat.read(str(executed), as_version=4)
    nb.cells = [c for c in nb.cells if PROVENANCE_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = new_markdown_cell(text)
    cell.metadata["tags"] = [PROVENANCE_TAG]
    title = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
    nb.cells.insert(title + 1, cell)
    nbformat.write(nb, str(executed))
