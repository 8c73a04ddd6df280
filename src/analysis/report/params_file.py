"""Parameter files: a study's settings in one YAML file (``notebooks/params/*.yaml``).

A parameter file maps notebook parameters to values (``margin: 0.25``);
``-p NAME VALUE`` on the command line overrides it. Two keys are the
runner's, not the notebooks':

- ``anonymize_ids`` (true/false): replace customer ids by salted hashes in
  every output (the runner's ``--anonymize-ids``);
- ``generate``: a synthetic log with known truth, written to the file named
  by ``dataset`` when that file does not exist yet (deterministic seed)::

      generate:
        simulator: lifecycle   # analysis.simulate.simulate_lifecycle (monthly periods)
        customers: 2000
        periods: 24            # months from start
        start: 2020-01-01
        seed: 3

Every other key must be a parameter of :mod:`analysis.report.schema`; values
are checked like ``-p`` values (:func:`analysis.report.schema.check_parameters`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .. import config
from .schema import ParameterError

__all__ = ["RUNNER_KEYS", "generate_log", "read_params_file"]

#: keys of a parameter file that configure the runner rather than a notebook
RUNNER_KEYS = ("anonymize_ids", "generate")
SIMULATORS = ("lifecycle",)
GENERATE_DEFAULTS = {
    "simulator": "lifecycle",
    "customers": 2000,
    "periods": 24,
    "start": "2020-01-01",
    "seed": 3,
}


def _plain(value: Any) -> Any:
    """YAML values as the notebooks take them: dates as ISO text, an empty value as empty text."""
    if isinstance(value, dt.date):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) else str(value)
    if value is None:
        return ""
    return value


def read_params_file(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a parameter file into notebook parameters and runner settings.

    Parameters
    ----------
    path : Path
        A YAML mapping of parameter names to values.

    Returns
    -------
    (dict, dict)
        The notebook parameters (not yet checked) and the runner's keys
        (``anonymize_ids``, ``generate``) found in the file.

    Raises
    ------
    ParameterError
        When the file is missing, is not valid YAML (the message names the
        line and column) or is not a mapping of names to values.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError([f"parameter file {path}: cannot be read ({exc.strerror})"]) from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        detail = f"{context}, {problem}" if context else problem
        raise ParameterError([f"parameter file {path}{where}: not valid YAML ({detail})"]) from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise ParameterError(
            [f"parameter file {path}: write one `name: value` line per parameter (a YAML mapping)"]
        )
    runner = {k: loaded[k] for k in RUNNER_KEYS if k in loaded}
    parameters = {k: _plain(v) for k, v in loaded.items() if k not in RUNNER_KEYS}
    return parameters, runner


def _generate_settings(settings: Any) -> dict[str, Any]:
    """The ``generate`` block with its defaults, checked; ParameterError lists what is wrong."""
    if settings is True or settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise ParameterError(["generate: write a mapping (simulator, customers, periods, ...)"])
    unknown = sorted(set(settings) - set(GENERATE_DEFAULTS))
    problems = []
    if unknown:
        problems.append(f"generate: unknown key(s) {unknown}; known: {list(GENERATE_DEFAULTS)}")
    merged = {**GENERATE_DEFAULTS, **{k: _plain(v) for k, v in settings.items()}}
    if merged["simulator"] not in SIMULATORS:
        problems.append(f"generate: simulator {merged['simulator']!r} is not one of {SIMULATORS}")
    for key in ("customers", "periods", "seed"):
        if not isinstance(merged[key], int) or isinstance(merged[key], bool) or merged[key] < 0:
            problems.append(f"generate: {key} must be a whole number, not {merged[key]!r}")
    if problems:
        raise ParameterError(problems)
    return merged


def generate_log(dataset: str, settings: Any = None) -> Path | None:
    """Write the synthetic log a parameter file asks for, unless it is there already.

    Parameters
    ----------
    dataset : str
        Path of the log (relative paths are taken from the project root),
        e.g. ``data/interim/synthetic_lifecycle.csv``.
    settings : dict, optional
        The file's ``generate`` block (see the module docstring).

    Returns
    -------
    Path or None
        The file written; None when it exists already, drawn with the same
        settings (recorded in ``<name>_settings.json`` beside it) or not drawn
        here at all (a file without that record is never overwritten).
    """
    from .. import simulate

    settings = _generate_settings(settings)
    path = Path(dataset)
    if not path.is_absolute():
        path = config.PROJECT_ROOT / path
    record = path.with_name(f"{path.stem}_settings.json")
    if path.exists():
        drawn_with = json.loads(record.read_text()) if record.is_file() else None
        if drawn_with is None or drawn_with == settings:
            return None  # drawn with these settings already, or a file not drawn here: kept
    drawn = simulate.simulate_lifecycle(
        n_customers=settings["customers"],
        n_periods=settings["periods"],
        seed=settings["seed"],
        start=str(settings["start"]),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    log = drawn.transactions[["customer_id", "date", "amount"]]
    partial = path.with_name(f".{path.name}.partial")
    if path.suffix == ".parquet":
        log.to_parquet(partial, index=False)
    else:
        log.to_csv(partial, index=False, date_format="%Y-%m-%d")
    partial.replace(path)
    # the truth behind the log (true stage path per customer), for checking what the study finds
    drawn.truth.to_csv(path.with_name(f"{path.stem}_truth.csv"))
    record.write_text(json.dumps(settings, indent=2, default=str) + "\n")
    return path
