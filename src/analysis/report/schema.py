"""The study's parameters, declared once: name, type, default, rule from the data, doc, notebooks.

Every report notebook receives its values from here. Its cell tagged
``parameters`` holds only a comment (papermill writes the run's ``name =
value`` lines after it); the next cell calls :func:`receive`, which takes
the values given, fills the defaults, converts the types and refuses a bad
value, so the notebook also runs in JupyterLab with nothing given. The
report runner checks a run's values with :func:`check_parameters` before any kernel
starts, gives each notebook :func:`notebook_values`, and writes them in the
provenance; parameter files may hold only names declared here.

Dates left empty are taken from the log (:data:`FROM_DATA_RULE`): the
runner settles them once for every notebook
(:func:`analysis.report.parameters.resolve_time_frame`); a notebook run on
its own settles them itself with :func:`analysis.dates.time_frame`.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import config

__all__ = [
    "FROM_DATA_RULE",
    "KINDS",
    "NOTEBOOKS",
    "PARAMETERS",
    "RENAMED",
    "Parameter",
    "ParameterError",
    "check_parameters",
    "convert",
    "parameter_help",
    "loading_options",
    "notebook_values",
    "receive",
    "used_by",
]

#: the value types a parameter may have (a date is ISO text, ``YYYY-MM-DD``, or empty)
KINDS = ("text", "date", "int", "float", "bool", "list", "dict")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
#: what an empty date means (the rule itself: :data:`analysis.dates.FRAME_RULE`)
FROM_DATA_RULE = "empty: taken from the log (analysis.dates.time_frame)"
#: old names still read for one release, with a warning naming the new one
RENAMED = {"cost_per_order": "cost_per_purchase"}


class ParameterError(ValueError):
    """Study parameters that cannot be used; ``problems`` lists every one of them.

    Parameters
    ----------
    problems : list of str
        One sentence per problem: the parameter, the value, what is expected.
    outcome : str
        What did not happen because of them.
    """

    def __init__(self, problems: list[str], outcome: str = "no notebook was run"):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) with the parameters; {outcome}:\n{lines}"
        )


@dataclass(frozen=True)
class Parameter:
    """One study parameter.

    Attributes
    ----------
    name : str
    kind : str
        One of :data:`KINDS`.
    default : object
        The value when none is given.
    doc : str
        What it sets, with its unit.
    notebooks : tuple of str
        The notebooks (stems) that read it.
    rule : str
        What an empty value means (e.g. :data:`FROM_DATA_RULE`); empty: nothing special.
    choices : callable, optional
        Returns the allowed values (read lazily: they live in the modules of their concept).
    allowed : callable, optional
        Raises ValueError, saying why, for a value the concept refuses.
    loads : str
        The keyword of :func:`analysis.data.load_dataset` it is passed as ("": not a loading option).
    """

    name: str
    kind: str
    default: Any
    doc: str
    notebooks: tuple[str, ...]
    rule: str = ""
    choices: Callable[[], tuple[str, ...]] | None = None
    allowed: Callable[[Any], Any] | None = None
    loads: str = ""


def _returns() -> tuple[str, ...]:
    from .. import validate

    return validate.RETURNS_POLICIES


def _duplicates() -> tuple[str, ...]:
    from .. import validate

    return validate.DUPLICATES_POLICIES


def _segmentations() -> tuple[str, ...]:
    from .. import segments

    return tuple(segments.SEGMENT_LABELS)


def _time_unit(value: str) -> None:
    from ..units import unit_days

    unit_days(value)  # ValueError naming the units


def _clv_model(value: str) -> None:
    from ..clv.choice import resolve_model

    resolve_model(value)  # ValueError naming the models


def _dataset(value: str) -> None:
    from .. import data

    if value in data.BUILTIN_DATASETS:
        return
    path = Path(value)
    path = path if path.is_absolute() else config.PROJECT_ROOT / path
    if not path.is_file():
        raise ValueError(
            f"{value!r} is neither a built-in dataset ({', '.join(data.BUILTIN_DATASETS)}) "
            f"nor a file (looked for {path})"
        )


def _file(value: str) -> None:
    from ..attributes import attribute_path

    try:
        attribute_path(value)
    except FileNotFoundError as exc:
        raise ValueError(str(exc)) from None


# the notebooks, by the name of their file
DATA, LIFECYCLE, CLV, SEGMENTS, STRATEGY = (
    "01_data",
    "02_lifecycle",
    "03_clv",
    "04_segments",
    "05_strategy",
)
SEGMENT = "segment_study"
#: the methods' checks on simulated logs (they do not read the user's log)
METHODS = "06_methods"
#: every notebook that loads the log
LOADING = (DATA, LIFECYCLE, CLV, SEGMENTS, STRATEGY, SEGMENT)
#: every notebook that values customers
VALUING = (LIFECYCLE, CLV, SEGMENTS, STRATEGY, SEGMENT)
WARNING = (SEGMENTS, STRATEGY, SEGMENT)

_P = Parameter
_DECLARED = (
    # --- the log: one row per purchase, loaded alike by every notebook
    _P("dataset", "text", "cdnow", "`cdnow`, `cdnow_sample`, or a path to a CSV/Parquet log "
       "(relative paths start at the project root)", LOADING, allowed=_dataset),
    _P("customer_id_column", "text", "customer_id", "the log's customer id column", LOADING,
       loads="customer_id"),
    _P("date_column", "text", "date", "the log's purchase date column", LOADING, loads="date"),
    _P("amount_column", "text", "amount", "the log's purchase value column; empty: a log "
       "without amounts", LOADING, loads="amount"),
    _P("value_per_purchase", "float", 0.0, "a log without amounts: the revenue of one purchase; "
       "0: value counted in purchases", LOADING, loads="value_per_purchase"),
    _P("date_format", "text", "", "strftime format of the dates, e.g. `%Y%m%d`; empty: inferred",
       LOADING, loads="date_format"),
    _P("dayfirst", "bool", False, "dates written day first (31/12/1997); used only when "
       "date_format is empty", LOADING, loads="dayfirst"),
    _P("returns", "text", "error", "negative amounts (returns): error, drop or keep", LOADING,
       choices=_returns, loads="returns"),
    _P("duplicates", "text", "warn", "rows identical in every column: warn, drop or error",
       LOADING, choices=_duplicates, loads="duplicates"),
    # --- the study's time frame
    _P("time_unit", "text", "W", "unit of recency and T for the count models: D, W or M",
       LOADING, allowed=_time_unit),
    _P("calibration_end", "date", "", "last day of the purchases the models are fitted on; the "
       "holdout runs from it to observation_end", LOADING, rule=FROM_DATA_RULE),
    _P("observation_end", "date", "", "last day observed", LOADING, rule=FROM_DATA_RULE),
    _P("plan_end", "date", "", "05: the day the plan-do-check-act round plans (targets set from "
       "the data to it, checked at observation_end)", (STRATEGY,), rule=FROM_DATA_RULE),
    _P("period", "text", "M", "length of a lifecycle period: W, M or Q",
       (LIFECYCLE, SEGMENTS, STRATEGY, SEGMENT), allowed=_time_unit),
    _P("cohort", "text", "W", "length of a first-purchase cohort (W suits CDNOW's 12 weeks of "
       "acquisition)", (LIFECYCLE,), allowed=_time_unit),
    _P("holdout_end", "date", "", "end of the holdout check of the stages", (LIFECYCLE,),
       rule="empty: observation_end"),
    # --- money
    _P("currency", "text", "$", "written before money amounts (CDNOW: US dollars)", LOADING),
    _P("margin", "float", 0.30, "gross margin on revenue: an assumption unless the firm gives "
       "it (CDNOW has no cost data)", VALUING),
    _P("cost_per_purchase", "float", 0.0, "cost to serve one purchase, in currency (each "
       "expected future purchase is charged it); 0: none assumed",
       (LIFECYCLE, SEGMENTS, STRATEGY, SEGMENT)),
    _P("annual_discount_rate", "float", 0.10, "yearly discount rate (the firm's cost of capital)",
       VALUING),
    _P("horizon_years", "float", 3.0, "CLV horizon in years (the three-year practice)", VALUING),
    _P("clv_model", "text", "auto", "the valuation's count model: auto (CHOICE_RULE), BG/NBD, "
       "Pareto/NBD or MBG/NBD", VALUING, allowed=_clv_model),
    # --- 03 and 04: customer attributes and calendar covariates (issue 22)
    _P("customer_attributes", "text", "", "path to a CSV of customer attributes: the id column "
       "(customer_id_column) and one column per attribute; empty: none", (CLV, SEGMENTS),
       allowed=_file),
    _P("attribute_columns", "list", [], "the attribute columns used; empty: every column but the "
       "id", (CLV, SEGMENTS)),
    _P("calendar_covariates", "text", "", "path to a CSV of one row per period of time_unit: its "
       "first day, then covariates such as a 0/1 high-season flag; empty: none", (CLV,),
       allowed=_file),
    # --- 02: the lifecycle stages' rules and checks
    _P("projection_periods", "int", 12, "periods ahead for the projected stage mix", (LIFECYCLE,)),
    _P("window_months", "float", 3.0, "longest window for a customer's current pace",
       (LIFECYCLE,)),
    _P("trial_months", "float", 2.5, "silence that ends a trial without an established cycle",
       (LIFECYCLE,)),
    _P("formation_repeats", "int", 4, "repeat purchases for a rise into formation (and a cycle "
       "of one's own)", (LIFECYCLE,)),
    _P("past_trial_repeats", "int", 1, "repeat purchases of a buyer still buying at "
       "exploration_months", (LIFECYCLE,)),
    _P("exploration_months", "float", 3.0, "age after which a repeat buyer is past the trial",
       (LIFECYCLE,)),
    _P("formation_months", "float", 5.0, "months in formation (in all) before a plateau",
       (LIFECYCLE,)),
    _P("growth_ratio", "float", 2.0, "a rise: the pace at least doubles against the periods "
       "before", (LIFECYCLE,)),
    _P("alpha_rise", "float", 0.10, "significance of a rise (one-sided Poisson test)",
       (LIFECYCLE,)),
    _P("decline_ratio", "float", 0.5, "a fall: less than half the customer's own previous pace",
       (LIFECYCLE,)),
    _P("alpha_fall", "float", 0.01, "significance of a fall (one-sided Poisson test)",
       (LIFECYCLE,)),
    _P("gap_factor", "float", 3.0, "silence, in the customer's own purchase cycles, that means "
       "decline", (LIFECYCLE,)),
    # --- 06: the methods' checks on simulated logs (the same on every log)
    _P("sensitivity_change", "float", 0.25, "relative move of each threshold in the "
       "sensitivity table", (METHODS,)),
    _P("sim_customers", "int", 2000, "customers per simulated log", (METHODS,)),
    _P("sim_periods", "int", 24, "months per simulated log", (METHODS,)),
    _P("tuning_seed", "int", 1, "one of the simulator seeds (1-5) the default thresholds were "
       "tuned on", (METHODS,)),
    _P("evaluation_seed", "int", 11, "a fresh simulator seed to measure accuracy on",
       (METHODS,)),
    _P("hmm_states", "int", 4, "latent relationship states of the hidden Markov model",
       (METHODS,)),
    _P("hmm_starts", "int", 3, "seeded EM starts of the hidden Markov model", (METHODS,)),
    _P("hmm_seed", "int", 0, "seed of the hidden Markov model's starts", (METHODS,)),
    # --- 03: the CLV models' checks
    _P("max_frequency", "int", 7, "calibration frequencies at or above it form one group in the "
       "holdout check", (CLV,)),
    _P("markov_period", "text", "M", "period of the recency Markov chain: M or Q", (CLV,),
       choices=lambda: ("M", "Q")),
    _P("max_recency", "int", 12, "recency states 0, 1, ..., this many periods since a purchase "
       "(the last open)", (CLV,)),
    _P("top_customers", "int", 10, "rows of the top-customers tables", (CLV, SEGMENTS)),
    # --- 04, 05 and the segment studies: the playbook and the early warning
    _P("playbook", "text", "", "path to an edited copy of the playbook YAML; empty: the "
       "package's", (SEGMENTS, STRATEGY)),
    _P("warning_top_tiers", "list", ["high", "medium"], "value tiers the early warning watches",
       WARNING),
    _P("p_alive_below", "float", 0.5, "early-warning reason low_p_alive: P(alive) below this",
       (SEGMENTS, STRATEGY)),
    _P("cycle_factor", "float", 3.0, "early warning `overdue`: silent over this many own "
       "purchase cycles", (SEGMENTS, STRATEGY)),
    _P("top_warnings", "int", 20, "rows of the list of customers at risk", (STRATEGY,)),
    _P("export_dir", "text", "", "folder for the files written for the reader (customers.csv "
       "and .parquet, plan.yaml); empty: the report folder", (SEGMENTS, STRATEGY)),
    # --- 05: the retention list and the plan-do-check-act round
    _P("lift_fraction", "float", 0.1, "top share of customers for the lift (0.1: the top "
       "decile)", (STRATEGY,)),
    _P("horizon_days", "int", 0, "the list's risk: no purchase within this many days; 0: the "
       "test's holdout, calibration_end to observation_end", (STRATEGY,)),
    _P("base_rate", "text", "valuable", "a listed customer's risk must pass: valuable (mean "
       "risk of the valuable customers), table (of all customers) or a probability such as 0.5",
       (STRATEGY,)),
    _P("save_rate", "float", 0.30, "share of would-be quiet customers one contact keeps: an "
       "assumption (Verbraken et al. 2013, range 0.15-0.48) until a holdout group measures it",
       (STRATEGY,)),
    _P("retention_budget", "float", 0.0, "most the list may spend in all (summed break-even "
       "spend, currency); 0: no limit", (STRATEGY,)),
    _P("holdout_share", "float", 0.1, "share of the plan's list left uncontacted at random, to "
       "test the action; 0: no holdout", (STRATEGY,)),
    _P("holdout_seed", "int", 0, "seed of the random draw of the holdout group", (STRATEGY,)),
    _P("pdca_targets", "dict",
       {"retention_rate": {"delta": 0.02, "groups": ["all"]},
        "reactivation_rate": {"delta": 0.02, "groups": ["all"]}},
       "KPI: rule (change: relative, delta: absolute, value) and groups; none met by "
       "construction", (STRATEGY,)),
    # --- the segment studies (the runner sets segment and customers_path for each)
    _P("segmentation", "text", "clv_tiers", "the segmentation whose label is studied", (SEGMENT,),
       choices=_segmentations),
    _P("segment", "text", "high", "the label studied", (SEGMENT,)),
    _P("customers_path", "text", "", "customers.parquet of a report run; empty: the table is "
       "built here", (SEGMENT,)),
)  # fmt: skip

#: every parameter, by name, in the order of the declarations
PARAMETERS: dict[str, Parameter] = {p.name: p for p in _DECLARED}
#: every notebook that reads a parameter, in reading order
NOTEBOOKS: tuple[str, ...] = tuple(dict.fromkeys(nb for p in _DECLARED for nb in p.notebooks))


def used_by(notebook: str) -> tuple[str, ...]:
    """The names of the parameters a notebook (its file's stem) reads; empty for other notebooks."""
    return tuple(name for name, p in PARAMETERS.items() if notebook in p.notebooks)


def notebook_values(notebook: str, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every parameter of ``notebook``: the value given, else its default (given names it does
    not read are left out)."""
    given = given or {}
    return {  # a copy of each default: a notebook that changes its list leaves the schema's
        name: given[name] if name in given else copy.deepcopy(PARAMETERS[name].default)
        for name in used_by(notebook)
    }


def _date_text(value: Any) -> str | None:
    """ISO text of a date given as text, a date or a Timestamp; None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return ""
    if not ISO_DATE.match(text[:10]):
        return None  # 30/09/1997 could be read two ways: only year-month-day is taken
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return text


def convert(parameter: Parameter, value: Any) -> Any:
    """One value as its parameter's kind, or ValueError saying what to write.

    Text (from the command line) is read as the kind; a value already of the
    kind (from YAML or Python) passes unchanged; an int is taken as a float.
    """
    kind, name = parameter.kind, parameter.name
    refused = f"{name}: {value!r} is not a valid {kind} (default {parameter.default!r})"
    text = value.strip() if isinstance(value, str) else None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in TRUE_WORDS + FALSE_WORDS:
            return text.lower() in TRUE_WORDS
        raise ValueError(f"{refused}; write true or false")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        raise ValueError(f"{refused}; write a whole number such as 7")
    if kind == "float":
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif text:
            try:
                number = float(text)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            raise ValueError(f"{refused}; write a number such as 0.25")
        return number
    if kind == "date":
        date = _date_text(value)
        if date is None:
            raise ValueError(
                f"{name}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30"
            )
        return date
    if kind in ("list", "dict"):
        wanted = list if kind == "list" else dict
        parsed = value
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = None
        if isinstance(parsed, tuple):
            parsed = list(parsed)
        if not isinstance(parsed, wanted):
            example = (
                '["high", "medium"]' if kind == "list" else '{"retention_rate": {"delta": 0.02}}'
            )
            raise ValueError(f"{refused}; write it in JSON, e.g. {example}")
        return parsed
    # text
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if not isinstance(value, str):
        raise ValueError(f"{refused}; give it as text")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]  # '"W"' from a shell -> W
    return value


def _renamed(values: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The values under their current names; an old name is read with a FutureWarning."""
    current = dict(values)
    for old, new in RENAMED.items():
        if old not in current:
            continue
        if new in current:
            problems.append(f"{old}: renamed {new}, which is also given; keep only {new}")
            current.pop(old)
            continue
        warnings.warn(
            f"the parameter {old} is now called {new} (one name in every report); "
            f"{old} is read as {new} in this release only",
            FutureWarning,
            stacklevel=3,
        )
        current[new] = current.pop(old)
    return current


def check_parameters(
    values: Mapping[str, Any] | None, notebook: str | None = None
) -> dict[str, Any]:
    """Check a run's parameter values and convert them to their kinds.

    Parameters
    ----------
    values : mapping
        Name to value; text (from the command line or a file) is read as the kind.
    notebook : str, optional
        Only this notebook's parameters are known (the kernel's check, :func:`receive`);
        default: every parameter of the study.

    Returns
    -------
    dict
        The values given, converted (an old name of :data:`RENAMED` under its new name).

    Raises
    ------
    ParameterError
        Listing every problem at once: unknown names (with the close ones), values
        that do not read as their kind, dates that are not ``YYYY-MM-DD``, values
        outside their choices, a ``dataset`` that is neither built in nor a
        file, a calibration end not before the observation end.
    """
    problems: list[str] = []
    values = _renamed(values or {}, problems)
    known = used_by(notebook) if notebook else tuple(PARAMETERS)
    unknown = sorted(set(values) - set(known))
    if unknown:
        close = sorted({m for name in unknown for m in difflib.get_close_matches(name, known, n=2)})
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        where = f"of {notebook}" if notebook else "of the study"
        problems.append(
            f"unknown parameter(s) {unknown}{hint}; the parameters {where}: {sorted(known)}"
        )
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name in unknown:
            continue
        parameter = PARAMETERS[name]
        try:
            checked[name] = convert(parameter, value)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        allowed = parameter.choices() if parameter.choices else None
        if allowed is not None and checked[name] not in allowed:
            problems.append(f"{name}: {checked[name]!r} is not one of {', '.join(allowed)}")
        elif parameter.allowed is not None and checked[name] != "":
            try:
                parameter.allowed(checked[name])
            except ValueError as exc:
                said = str(exc).replace("time_unit must", "must")  # the concept's own message
                problems.append(f"{name}: {said}")
    start, end = checked.get("calibration_end"), checked.get("observation_end")
    if start and end and start[:10] >= end[:10]:
        problems.append(
            f"calibration_end ({start}) must be before observation_end ({end}): "
            "the holdout runs between them"
        )
    if problems:
        raise ParameterError(problems)
    return checked


def receive(namespace: MutableMapping[str, Any], notebook: str) -> dict[str, Any]:
    """Give a notebook its parameters: the values set before this call, else the defaults.

    A notebook calls it right after its cell tagged ``parameters``:
    ``report.receive(globals(), "03_clv")``. The values papermill injected
    (or typed into that cell in JupyterLab) are checked and converted
    (:func:`check_parameters`); every other parameter of the notebook gets its default.

    Parameters
    ----------
    namespace : mutable mapping
        The notebook's globals; each parameter is set in it.
    notebook : str
        The notebook's file stem, e.g. ``"03_clv"``.

    Returns
    -------
    dict
        Name to value, every parameter of the notebook.

    Raises
    ------
    ParameterError
        A value that cannot be used (each problem named), or a notebook the schema does not know.
    """
    if notebook not in NOTEBOOKS:
        raise ParameterError([f"no parameters are declared for {notebook!r}; known: {NOTEBOOKS}"])
    names = (*used_by(notebook), *RENAMED)
    given = {name: namespace[name] for name in names if name in namespace}
    try:
        checked = check_parameters(given, notebook)
    except ParameterError as exc:
        raise ParameterError(exc.problems, f"{notebook} stopped before its first step") from None
    values = notebook_values(notebook, checked)
    namespace.update(values)
    return values


def loading_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of :func:`analysis.data.load_dataset` for these parameter values.

    Empty options are left to the loader's defaults (an empty ``date_format``
    means inferred, ``dayfirst`` false means not forced); an empty
    ``amount_column`` is passed: it means a log without amounts.
    """
    options = {}
    for name, p in PARAMETERS.items():
        if not p.loads or name not in values:
            continue
        value = values[name]
        if name == "amount_column" or value not in ("", None, False, 0, 0.0):
            options[p.loads] = value
    return options


def parameter_help(width: int = 100) -> str:
    """The parameters as text for ``--help``: name, default, notebooks, then the doc indented."""
    import textwrap

    lines = []
    for p in PARAMETERS.values():
        default = json.dumps(p.default) if p.kind in ("list", "dict") else repr(p.default)
        where = "every notebook" if p.notebooks == LOADING else ", ".join(p.notebooks)
        lines.append(f"  {p.name} = {default}  [{p.kind}; {where}]")
        doc = p.doc + (f"; {p.rule}" if p.rule else "")
        lines += textwrap.wrap(doc, width, initial_indent="      ", subsequent_indent="      ")
    return "\n".join(lines)
