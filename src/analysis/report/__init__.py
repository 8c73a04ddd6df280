"""Build the study's reports: run the numbered notebooks with papermill, convert them to HTML, write an index.

Usage (what ``make report`` runs)::

    python -m analysis.report                      # every numbered notebook, default parameters
    python -m analysis.report --only 01_data -p dataset cdnow_sample
    python -m analysis.report -p dataset data/raw/my_log.csv -p date_format %d/%m/%Y -p returns drop
    python -m analysis.report --params notebooks/params/synthetic.yaml --workers 2

Parameters. The study's parameters are declared once, in
:mod:`analysis.report.schema` (name, type, default, what an empty value
means, doc, the notebooks that read them; ``--help`` lists them). Each
notebook's cell tagged ``parameters`` only receives values: papermill writes
the run's ``name = value`` lines after it, and the next cell,
``report.receive(globals(), "<notebook>")``, fills the defaults and checks
the values. ``-p NAME VALUE`` sets a parameter for every notebook that reads
it. All values are checked before any notebook starts, and every problem is
listed at once (exit code 2): an unknown name (with the close ones), a value
that does not read as its type, a date not written ``YYYY-MM-DD``, a value
outside its choices (``returns``, ``duplicates``, ``time_unit``, ...), a
``dataset`` that is neither built in nor a file, a calibration end not
before the observation end. The dates left empty are then taken from the
log, loaded once, the same for every notebook.

Parameter files. ``--params FILE`` reads the parameters from a YAML file
(``notebooks/params/template.yaml`` is a commented template for one's own
log; ``cdnow.yaml`` writes out the defaults; ``synthetic.yaml`` runs the study
on a simulated log with known truth, drawn on first use); ``-p`` overrides
the file. A file that is not valid YAML is refused with its line; its keys
are checked as ``-p`` values are (see :mod:`analysis.report.params_file`).

Failures. When a notebook stops on an error, the runner prints one line
naming the notebook, the failing cell (papermill's ``In [N]``, marked in the
executed copy, and its first line), the section (the heading above it),
the exception type and its message, writes the full traceback to
``<output dir>/logs/<notebook>.log`` (a segment study:
``<output dir>/segments/logs/<segment>.log``) and exits with code 1.

Output. The notebooks in ``notebooks/`` are templates and are never
modified; the executed copies (``reports/<name>.ipynb``) and the HTML without
code cells (``reports/<name>.html``) are written to ``reports/`` with
``reports/index.html`` linking them and listing the parameters set. The
segment studies (``notebooks/segment_study.ipynb`` once per segment of
``segmentation``, :mod:`analysis.report.segment_studies`) run in the same
pool once ``04_segments`` has written the customer table, which they read,
into ``reports/segments/`` (``--no-segments`` skips them). Each HTML
page is one self-contained file that needs no network (no scripts; CSS and
figures inline; dollar signs are text, never math) and starts, after its
title, with its provenance: dataset, rows, customers, date span, calibration
and observation ends, every parameter value, package version, git commit and
run date. The reports are built in a temporary folder inside ``reports/`` and
replace the previous ones only when every notebook succeeded (other files
there, such as its README, are kept); a failed run leaves them as they were.
``--workers N`` runs N notebooks at a time (default: the processors, at most
2). The kernel talks to the runner over CurveZMQ-encrypted sockets (or local
IPC sockets where CurveZMQ is missing).
"""

from .cli import main
from .execute import (
    FailingCell,
    NotebookFailed,
    failing_cell,
    kernel_config,
    run_notebook,
    use_short_warnings,
)
from .pages import to_html, write_index
from .parameters import ParameterError, check_parameters
from .params_file import generate_log, read_params_file
from .provenance import git_commit, insert_provenance, provenance_markdown
from .runner import build_reports, discover_notebooks
from .schema import receive
from .segment_plan import customer_table_from

__all__ = [
    "FailingCell",
    "NotebookFailed",
    "ParameterError",
    "build_reports",
    "check_parameters",
    "customer_table_from",
    "discover_notebooks",
    "failing_cell",
    "generate_log",
    "git_commit",
    "insert_provenance",
    "kernel_config",
    "main",
    "provenance_markdown",
    "read_params_file",
    "receive",
    "run_notebook",
    "to_html",
    "use_short_warnings",
    "write_index",
]
