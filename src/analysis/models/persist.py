"""Saving a fitted model to a small JSON file and loading it back.

A saved model is what a CRM import or a later scoring run needs to be traced
and reproduced: the class, the parameters, their covariance (so the standard
errors and ``summary()`` are the same), the time unit of the parameters, the
fit's record (log-likelihood, number of customers, boundary flags,
convergence) and the version of this package that wrote it. No data is
saved: the file is a few kilobytes whatever the size of the customer base.

Floats are written with Python's shortest round-trip representation, so a
loaded model predicts bit for bit what the saved one did. JSON has no NaN:
a missing value (the covariance of a parameter the data do not identify) is
written as ``null``, an infinity as the string ``"inf"`` or ``"-inf"``.

Only the package's own model classes are rebuilt (:data:`MODEL_CLASSES`);
a file naming any other class is refused, so loading a file never imports
or runs code the file chooses.
"""

from __future__ import annotations

import json
import math
from importlib import metadata
from pathlib import Path

import numpy as np

from ..units import unit_days
from .base import BaseModel
from .beta_geo import BetaGeo
from .beta_geo_beta_binom import BetaGeoBetaBinom
from .convergence import Convergence
from .gamma_gamma import GammaGamma
from .modified_beta_geo import ModifiedBetaGeo
from .pareto_nbd import ParetoNBD
from .shifted_beta_geo import ShiftedBetaGeo
from .time_unit import TimeUnitMixin

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MODEL_CLASSES",
    "load_model",
    "model_from_dict",
    "model_to_dict",
    "package_version",
    "save_model",
]

#: the ``format`` field of a saved model: says what the file is
FORMAT = "analysis.model"
#: the version of the file layout written here; a file of a newer version is refused
FORMAT_VERSION = 1
#: the distribution whose version is recorded (pyproject.toml's ``name``)
DISTRIBUTION = "analysis"
#: the classes a file may name, by class name: the package's fitted models, nothing else
MODEL_CLASSES: dict[str, type[BaseModel]] = {
    cls.__name__: cls
    for cls in (
        BetaGeo,
        ModifiedBetaGeo,
        ParetoNBD,
        BetaGeoBetaBinom,
        ShiftedBetaGeo,
        GammaGamma,
    )
}


def package_version() -> str | None:
    """The installed version of this package (``importlib.metadata``), or None when not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def _encode(value) -> float | str | None:
    """A float as JSON: NaN as None, infinities as "inf" / "-inf"."""
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _decode(value, what: str) -> float:
    """The inverse of :func:`_encode`, with an error naming the field."""
    if value is None:
        return float("nan")
    if value in ("inf", "-inf"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what}: expected a number, null, 'inf' or '-inf', got {value!r}")
    return float(value)


def _model_class(model) -> type[BaseModel]:
    """The package's model class of ``model`` (for a subclass, the package class it extends)."""
    cls = next((c for c in type(model).__mro__ if MODEL_CLASSES.get(c.__name__) is c), None)
    if cls is None:
        cls = type(model)
        raise TypeError(
            f"only the package's models can be saved ({', '.join(MODEL_CLASSES)}); got "
            f"{cls.__module__}.{cls.__qualname__}"
        )
    return cls


def model_to_dict(model) -> dict:
    """A fitted model as a JSON-safe dict: class, parameters, covariance, time unit, fit record.

    Parameters
    ----------
    model : BaseModel
        A fitted model of one of :data:`MODEL_CLASSES` (or one made with
        ``from_params``: it has parameters but no covariance or log-likelihood).

    Returns
    -------
    dict
        Keys ``format``, ``format_version``, ``class``, ``module``,
        ``package_version``, ``params``, ``standard_errors``, ``covariance``
        (rows in the order of ``params``), ``time_unit`` (count and contract
        models only), ``purchase_covariates`` and ``dropout_covariates`` (count
        models with covariates only), ``spend_covariates`` (a Gamma-Gamma with
        covariates only), ``penalizer``, ``loglik``, ``n_customers``,
        ``boundary``, ``boundary_note``, ``identified_means``, ``convergence``.
        Only str, int, float, bool, None, lists and dicts: ``json.dumps``
        writes it as is, and Parquet metadata or ``DataFrame.attrs`` can hold it.

    Raises
    ------
    RuntimeError
        When the model is not fitted.
    TypeError
        When the model is not one of the package's classes.
    """
    cls = _model_class(model)
    if model.params is None:
        raise RuntimeError(
            f"{cls.__name__} is not fitted yet: call .fit(data) first (an unfitted model has "
            "nothing to save)."
        )
    cov = model._cov
    out: dict = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": cls.__name__,
        "module": cls.__module__,
        "package_version": package_version(),
        "params": {str(k): float(v) for k, v in model.params.items()},
        "standard_errors": None,
        "covariance": None,
    }
    if cov is not None:
        out["standard_errors"] = {str(k): _encode(v) for k, v in model.standard_errors.items()}
        out["covariance"] = [[_encode(v) for v in row] for row in np.asarray(cov, dtype=float)]
    if isinstance(model, TimeUnitMixin):
        out["time_unit"] = model.time_unit
    if getattr(model, "has_covariates", False):
        out["purchase_covariates"] = list(model.purchase_covariates)
        out["dropout_covariates"] = list(model.dropout_covariates)
    if getattr(model, "spend_covariates", ()):
        out["spend_covariates"] = list(model.spend_covariates)
    conv = model.convergence
    out |= {
        "penalizer": float(model.penalizer),
        "loglik": None if model.loglik is None else float(model.loglik),
        "n_customers": int(model.n_customers),
        "boundary": {str(k): str(v) for k, v in model.boundary.items()},
        "boundary_note": str(model.boundary_note),
        "identified_means": {str(k): _encode(v) for k, v in model.identified_means.items()},
        "convergence": None
        if conv is None
        else {
            "success": bool(conv.success),
            "message": str(conv.message),
            "iterations": int(conv.iterations),
            "function_evaluations": int(conv.function_evaluations),
            "gradient_norm": _encode(conv.gradient_norm),
            "at_bound": [str(n) for n in conv.at_bound],
            "not_identified": [str(n) for n in conv.not_identified],
        },
    }
    return out


def _check_header(d) -> type[BaseModel]:
    if not isinstance(d, dict):
        raise ValueError(f"a saved model is a JSON object (dict), got {type(d).__name__}")
    if d.get("format") != FORMAT:
        raise ValueError(
            f"not a saved model of this package: 'format' is {d.get('format')!r}, expected "
            f"{FORMAT!r} (write one with analysis.models.save_model)"
        )
    version = d.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"'format_version' must be a whole number >= 1, got {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"the model was saved in format version {version} (package version "
            f"{d.get('package_version')}), newer than this code reads ({FORMAT_VERSION}); "
            f"upgrade the package (installed: {package_version()})"
        )
    name = d.get("class")
    if not isinstance(name, str) or name not in MODEL_CLASSES:
        raise ValueError(
            f"unknown model class {name!r} (module {d.get('module')!r}); only the package's "
            f"models are loaded: {', '.join(MODEL_CLASSES)}"
        )
    return MODEL_CLASSES[name]


def model_from_dict(d: dict):
    """Rebuild a model from :func:`model_to_dict`'s dict: the same parameters, covariance and record.

    Parameters
    ----------
    d : dict
        A dict from :func:`model_to_dict` (or its JSON read back).

    Returns
    -------
    BaseModel
        A model of the class named in ``d`` (one of :data:`MODEL_CLASSES`),
        whose predictions, ``summary()`` and ``standard_errors`` equal the
        saved model's.

    Raises
    ------
    ValueError
        When ``d`` is not a saved model, names a class outside the package's
        models, was written in a newer format, or its fields do not fit the class.
    """
    cls = _check_header(d)
    try:
        return _rebuild(cls, d)
    except (KeyError, TypeError, AttributeError) as err:
        raise ValueError(
            f"{cls.__name__}: a field of the saved model is missing or malformed ({err!r})"
        ) from err


def _rebuild(cls: type[BaseModel], d: dict):
    """The model of class ``cls`` described by ``d`` (its header checked)."""
    name = cls.__name__
    params = d.get("params")
    penalizer = _decode(d.get("penalizer", 0.0), f"{name}: 'penalizer'")
    kwargs: dict = {"penalizer": penalizer}
    for key in ("purchase_covariates", "dropout_covariates", "spend_covariates"):
        if d.get(key):
            kwargs[key] = [str(c) for c in d[key]]
    names = cls(**kwargs).param_names
    if not isinstance(params, dict) or list(params) != list(names):
        found = list(params) if isinstance(params, dict) else params
        raise ValueError(f"{name}: 'params' must name {list(names)} in order, got {found!r}")
    model = cls.from_params(params, **kwargs)
    k = len(names)
    cov = d.get("covariance")
    if cov is not None:
        if (
            not isinstance(cov, list)
            or len(cov) != k
            or any(not isinstance(row, list) or len(row) != k for row in cov)
        ):
            raise ValueError(f"{name}: 'covariance' must be a {k} x {k} list of rows")
        model._cov = np.array(
            [[_decode(v, f"{name}: 'covariance'") for v in row] for row in cov], dtype=float
        )
    if isinstance(model, TimeUnitMixin):
        unit = d.get("time_unit")
        if unit is not None:
            unit_days(unit)
        # the unit of the parameters, as fit recorded it; the constructor's declared unit
        # stays unset, so a refit takes its data's unit as the original model would
        model.time_unit = unit
    loglik = d.get("loglik")
    model.loglik = None if loglik is None else _decode(loglik, f"{name}: 'loglik'")
    model.n_customers = int(d.get("n_customers", 0))
    model.boundary = {str(p): str(v) for p, v in (d.get("boundary") or {}).items()}
    model.boundary_note = str(d.get("boundary_note", ""))
    model.identified_means = {
        str(p): _decode(v, f"{name}: 'identified_means'")
        for p, v in (d.get("identified_means") or {}).items()
    }
    conv = d.get("convergence")
    if conv is not None:
        model.convergence = Convergence(
            success=bool(conv["success"]),
            message=str(conv["message"]),
            iterations=int(conv["iterations"]),
            function_evaluations=int(conv["function_evaluations"]),
            gradient_norm=_decode(conv["gradient_norm"], f"{name}: 'gradient_norm'"),
            at_bound=tuple(conv["at_bound"]),
            not_identified=tuple(conv.get("not_identified", ())),
        )
    return model


def save_model(model, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a fitted model to a JSON file (see :func:`model_to_dict` for its content).

    Parameters
    ----------
    model : BaseModel
        A fitted model of one of :data:`MODEL_CLASSES`.
    path : str or Path
        The file to write, e.g. ``"bgnbd.json"``. Its folder must exist: it
        is not created, so a mistyped path fails instead of scattering files.
    overwrite : bool
        Replace an existing file; by default an existing file is kept and
        ``FileExistsError`` raised.

    Returns
    -------
    Path
        The file written.
    """
    text = json.dumps(model_to_dict(model), indent=2, allow_nan=False) + "\n"
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"save_model: folder {str(path.parent)!r} does not exist; create it first or "
            "choose another path"
        )
    try:
        with path.open("w" if overwrite else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise FileExistsError(
            f"save_model: {str(path)!r} exists; pass overwrite=True to replace it, or choose "
            "another name"
        ) from None
    return path


def load_model(path: str | Path):
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or Path
        A JSON file from :func:`save_model`.

    Returns
    -------
    BaseModel
        The model, predicting exactly as the saved one did.

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    ValueError
        When the file is not JSON or not a saved model of this package (see
        :func:`model_from_dict`); the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_model: no file {str(path)!r}")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return model_from_dict(d)
    except ValueError as err:  # json.JSONDecodeError included
        raise ValueError(f"load_model: {str(path)!r}: {err}") from err
