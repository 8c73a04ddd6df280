"""The count model of the study's one valuation: fitted, scored on the holdout, chosen by a stated rule.

Every report values a customer from the same customer table
(:func:`analysis.customers.customer_table`), so one customer has one CLV
everywhere; this module decides which count model that table uses.

The rule (:data:`CHOICE_RULE`), for ``model="auto"``:

1. The candidates are :data:`COUNT_MODELS` (BG/NBD, Pareto/NBD, MBG/NBD),
   each fitted on the whole log to the observation end. A fit flagged as not
   identifying some of its parameters (a boundary or ridge fit) is not
   considered while an identified fit exists: its parameters, and so the
   customers' values, are where the optimiser happened to stop.
2. **Holdout accuracy.** When a calibration summary is given (the log up to
   the calibration end, with the holdout purchases), each candidate is fitted
   on it too and predicts every customer's purchases in the holdout; its
   error is the mean absolute error per customer (``mae`` of
   :func:`analysis.clv.scorecard`). The smallest error wins; errors within
   :data:`HOLDOUT_TOLERANCE` (relative) of it count as the same number.
3. **Fit.** Between candidates the holdout cannot tell apart (or without a
   calibration period), the highest log-likelihood on the whole log (the
   three models have four parameters each, so AIC and BIC rank them alike);
   a model replaces the one listed before it only when it is better by
   :data:`MODEL_CHOICE_MARGIN` log-likelihood points or more, so two fits at
   the same optimum cannot flip the choice between machines.

Holdout accuracy comes first because the valuation is a forecast: the
likelihood says how well a model describes the purchases it was fitted to,
the holdout how well it foresees purchases it has not seen. On CDNOW the two
disagree: MBG/NBD fits the whole log best (log-likelihood -173,294.4 against
-173,328.0 for Pareto/NBD), while Pareto/NBD, fitted to 1997-09-30, forecast
each customer's holdout purchases best (mean absolute error 0.7938 against
0.7945 and 0.8187) and the total with the smallest bias (-12.9% against
-19.1% and -14.3%); the study takes Pareto/NBD.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..models import BetaGeo, BoundaryFitWarning, ConvergenceError, ModifiedBetaGeo, ParetoNBD
from ..threads import each_block, one_blas_thread

__all__ = ["CHOICE_RULE", "COUNT_MODELS", "HOLDOUT_TOLERANCE", "MODEL_CHOICE_MARGIN"]
__all__ += ["ModelChoice", "choose_count_model", "fit_count_model", "fit_quietly", "resolve_model"]

#: the count models to choose from, by display name (each has 4 parameters), in order of preference
COUNT_MODELS: dict[str, type] = {
    "BG/NBD": BetaGeo,
    "Pareto/NBD": ParetoNBD,
    "MBG/NBD": ModifiedBetaGeo,
}
#: relative difference of two holdout errors below which they are the same number: a fit's
#: estimates are reproducible to about 1e-4 across machines (tests/test_fit_stability.py)
HOLDOUT_TOLERANCE = 1e-4
#: log-likelihood points by which a later-listed model must beat an earlier one to replace it
MODEL_CHOICE_MARGIN = 0.5
#: the rule of ``model="auto"`` in one sentence (the reports quote it)
CHOICE_RULE = (
    "among the candidates whose fit identifies all their parameters, the one with the smallest "
    "holdout error (mean absolute error of each customer's purchases after the calibration end, "
    "the models fitted on the purchases before it); between errors equal to "
    f"{HOLDOUT_TOLERANCE:.2%}, the highest log-likelihood on the whole log (all have four "
    "parameters, so AIC agrees), a later-listed model replacing an earlier one only when better "
    f"by {MODEL_CHOICE_MARGIN:g} or more"
)

_MODEL_KEYS = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD"}


def resolve_model(model: str) -> str | None:
    """The display name of a count-model choice (None for ``"auto"``); ValueError for others.

    ``"bgnbd"``/``"BG/NBD"``, ``"paretonbd"``/``"Pareto/NBD"`` and
    ``"mbgnbd"``/``"MBG/NBD"`` (any case) force one model; ``"auto"`` lets
    :func:`fit_count_model` choose by :data:`CHOICE_RULE`.
    """
    if isinstance(model, str):
        key = model.strip().lower().replace("/", "").replace("-", "").replace("_", "")
        if key == "auto":
            return None
        if key in _MODEL_KEYS:
            return _MODEL_KEYS[key]
    raise ValueError(
        "model (clv_model) must be 'auto', 'bgnbd' (BG/NBD), 'paretonbd' (Pareto/NBD) or "
        f"'mbgnbd' (MBG/NBD), got {model!r}"
    )


def fit_quietly(cls, data, time_unit: str | None = None):
    """Fit a model, its BoundaryFitWarning held back (the caller re-issues the chosen one's).

    ``time_unit`` is the unit of the data's times (by default the summary's
    ``attrs["time_unit"]``).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        return _fit(cls, data, time_unit)


def _fit(cls, data, time_unit=None):
    """A fresh ``cls`` fitted to ``data`` (a spend model, Gamma-Gamma, has no time unit)."""
    return cls().fit(data) if time_unit is None else cls().fit(data, time_unit=time_unit)


def _holdout_length(calibration: pd.DataFrame) -> float:
    """The holdout's length in the summary's time unit (from its ``duration_holdout`` column)."""
    if "duration_holdout" in calibration:
        return float(calibration["duration_holdout"].iloc[0])
    raise ValueError(
        "the calibration summary lacks 'duration_holdout': summarise the log with a "
        "calibration_end (analysis.rfm.summarize(..., calibration_end=...))"
    )


@dataclass
class ModelChoice:
    """The count model of the valuation and how it was chosen.

    Attributes
    ----------
    model : fitted count model
        The chosen model, fitted on the whole log.
    name : str
        Its display name (a key of :data:`COUNT_MODELS`).
    note : str
        A sentence saying which model was chosen and why.
    table : DataFrame
        One row per candidate: ``log_likelihood``, ``aic`` (whole log),
        ``identified``, ``holdout_mae`` (NaN without a calibration summary or
        when the calibration fit failed), ``chosen`` (bool), ``reason``.
    """

    model: object
    name: str
    note: str
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __iter__(self):  # unpacks as (model, name, note), as fit_count_model returns
        return iter((self.model, self.name, self.note))


def _fit_all(jobs, time_unit=None) -> list:
    """Fit each ``(model class, data)`` of ``jobs``: the fitted model, or the ConvergenceError raised.

    The fits are independent and run spread over threads
    (:func:`analysis.threads.each_block`); each is the same as fitted alone.
    Their BoundaryFitWarning is held back, as :func:`fit_quietly` does, by one
    filter set here for all of them (the warnings filter is shared by every
    thread, so it must not be set and reset inside the threads).
    """
    out = [None] * len(jobs)

    def work(sl):
        for i in range(sl.start, sl.stop):
            cls, data = jobs[i]
            try:
                out[i] = _fit(cls, data, time_unit)
            except ConvergenceError as err:  # DegenerateDataError included
                out[i] = err

    # BLAS is set to one thread here, once, for the same reason: each fit sets it too, and
    # a fit that restored the setting it found would change it under the other's feet
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        each_block(work, len(jobs), 1)
    return out


def _holdout_errors(calibration, cal_fits) -> tuple[dict[str, float], dict[str, str]]:
    """Mean absolute holdout error of each model fitted on the calibration summary (by name)."""
    t = _holdout_length(calibration)
    actual = calibration["frequency_holdout"].to_numpy(dtype=float)
    # a compressed calibration summary (distinct rows with their number of customers)
    weight = calibration["weight"].to_numpy(dtype=float) if "weight" in calibration else None
    errors, reasons = {}, {}
    for name, fitted in cal_fits.items():
        if isinstance(fitted, ConvergenceError):
            reasons[name] = str(fitted).strip().rstrip(".")
            continue
        predicted = np.asarray(fitted.expected_purchases(calibration, t=t), dtype=float)
        errors[name] = float(np.average(np.abs(predicted - actual), weights=weight))
    return errors, reasons


def choose_count_model(
    summary: pd.DataFrame,
    model: str = "auto",
    calibration: pd.DataFrame | None = None,
    time_unit: str | None = None,
) -> ModelChoice:
    """Fit the count models to a summary and choose the valuation's by :data:`CHOICE_RULE`.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.rfm.summarize` of the whole log (its ``attrs["time_unit"]``
        becomes the models' unit).
    model : str
        ``"auto"`` (the rule), or one model's name (:func:`resolve_model`),
        which is then the only one fitted.
    calibration : DataFrame, optional
        The same log summarised with a ``calibration_end`` (holdout columns);
        without it the rule skips its holdout step and says so.
    time_unit : str, optional
        The unit of both summaries' times (by default their ``attrs["time_unit"]``).

    Raises
    ------
    DegenerateDataError, ConvergenceError
        When no model can be fitted (e.g. nobody made a repeat purchase).
    """
    forced = resolve_model(model)
    if forced is not None:
        fitted = fit_quietly(COUNT_MODELS[forced], summary, time_unit)
        others = [k for k in COUNT_MODELS if k != forced]
        note = f"{forced} given by name (model={model!r}; {' and '.join(others)} not fitted)."
        table = pd.DataFrame(
            {
                "log_likelihood": [fitted.loglik],
                "aic": [fitted.aic],
                "identified": [not fitted.boundary],
                "holdout_mae": [np.nan],
                "chosen": [True],
                "reason": ["given by name"],
            },
            index=pd.Index([forced], name="model"),
        )
        return _with_boundary(ModelChoice(fitted, forced, note, table))

    # every candidate on the whole log and, for the holdout step, on the calibration summary: six
    # independent fits run together; a calibration fit of a model that drops out is not used
    names = list(COUNT_MODELS)
    jobs = [(COUNT_MODELS[k], summary) for k in names]
    if calibration is not None:
        _holdout_length(calibration)  # a summary without the holdout columns fails before fitting
        jobs += [(COUNT_MODELS[k], calibration) for k in names]
    done = _fit_all(jobs, time_unit)
    fits, errors = {}, {}
    for name, result in zip(names, done, strict=False):
        if isinstance(result, ConvergenceError):
            errors[name] = str(result).strip().rstrip(".")
        else:
            fits[name] = result
    if not fits:
        raise ConvergenceError(
            "customer_table: none of BG/NBD, Pareto/NBD and MBG/NBD could be fitted: "
            + "; ".join(f"{k}: {v}" for k, v in errors.items())
        )
    identified = {k: m for k, m in fits.items() if not m.boundary}
    candidates = dict(identified or fits)
    why = {k: "" for k in COUNT_MODELS}
    for k, m in fits.items():
        if k not in candidates:
            why[k] = f"its fit does not identify {', '.join(m.boundary)}"
    for k, reason in errors.items():
        why[k] = f"could not be fitted ({reason})"

    holdout, cal_reasons = {}, {}
    if calibration is not None and len(candidates) > 1:
        cal_fits = dict(zip(names, done[len(names) :], strict=True))
        holdout, cal_reasons = _holdout_errors(calibration, {k: cal_fits[k] for k in candidates})
        if holdout:
            best = min(holdout.values())
            for k in list(candidates):
                if k not in holdout:
                    why[k] = f"not fitted on the calibration period ({cal_reasons[k]})"
                    del candidates[k]
                elif holdout[k] > best * (1 + HOLDOUT_TOLERANCE) + 1e-12:
                    why[k] = f"holdout error {holdout[k]:.4f}, above the smallest, {best:.4f}"
                    del candidates[k]

    chosen = next(iter(candidates))
    for k in candidates:
        if fits[k].loglik - fits[chosen].loglik >= MODEL_CHOICE_MARGIN:
            chosen = k
    for k in candidates:
        if k != chosen:
            close = abs(fits[k].loglik - fits[chosen].loglik) < MODEL_CHOICE_MARGIN
            why[k] = (
                ("as accurate on the holdout; " if holdout else "")
                + f"log-likelihood {fits[k].loglik:,.1f} against {fits[chosen].loglik:,.1f}"
                + (f" (not better by {MODEL_CHOICE_MARGIN:g} or more)" if close else "")
            )
    steps = []
    if calibration is None:
        steps.append("no calibration period, so the holdout step was skipped")
    elif holdout:
        steps.append(f"holdout error {holdout[chosen]:.4f} purchases per customer")
    steps.append(f"log-likelihood {fits[chosen].loglik:,.1f} on the whole log")
    rest = [f"{k}: {why[k]}" for k in COUNT_MODELS if k != chosen and why[k]]
    note = f"{chosen} chosen ({'; '.join(steps)})" + (f"; {'; '.join(rest)}" if rest else "") + "."
    index = pd.Index(list(COUNT_MODELS), name="model")
    table = pd.DataFrame(
        {
            "log_likelihood": [fits[k].loglik if k in fits else np.nan for k in index],
            "aic": [fits[k].aic if k in fits else np.nan for k in index],
            "identified": [k in fits and not fits[k].boundary for k in index],
            "holdout_mae": [holdout.get(k, np.nan) for k in index],
            "chosen": [k == chosen for k in index],
            "reason": ["chosen" if k == chosen else why[k] for k in index],
        },
        index=index,
    )
    return _with_boundary(ModelChoice(fits[chosen], chosen, note, table))


def _with_boundary(choice: ModelChoice) -> ModelChoice:
    if choice.model.boundary:
        choice.note += f" {choice.name} boundary fit: {choice.model.boundary_note}"
    return choice


def fit_count_model(
    summary: pd.DataFrame,
    model: str = "auto",
    calibration: pd.DataFrame | None = None,
    time_unit: str | None = None,
) -> tuple[object, str, str]:
    """:func:`choose_count_model` as ``(model, name, note)``."""
    return tuple(choose_count_model(summary, model, calibration, time_unit=time_unit))
