"""How well stages are read: against a known truth, and how the stage mix moves with the thresholds.

:func:`stage_confusion` and :func:`stage_scores` compare assigned stages
with true ones (per stage precision, recall and F1, and their macro
average); :func:`simulation_accuracy` measures the classifier on logs drawn
by :func:`analysis.simulate.simulate_lifecycle`, whose true stages are
known; :func:`tune_thresholds` searches the thresholds for the best
macro-F1 on such a log; :func:`threshold_sensitivity` moves each threshold
and shows how the stage mix (and, with a truth, macro-F1) follows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..units import STAGES
from ..validate import DataValidationError
from ._common import require_stages
from .stages import THRESHOLDS, assign_stages, current_stage, resolve_thresholds

__all__ = [
    "stage_confusion",
    "stage_scores",
    "simulation_accuracy",
    "tune_thresholds",
    "threshold_sensitivity",
]


def stage_confusion(truth: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """Confusion matrix of assigned stages against true ones, matched on customer and period.

    Rows are the true stage, columns the assigned one (counts of customer-periods).
    """
    require_stages(truth)
    require_stages(assigned)
    merged = truth[["customer_id", "period", "stage"]].merge(
        assigned[["customer_id", "period", "stage"]],
        on=["customer_id", "period"],
        suffixes=("_true", "_assigned"),
        validate="one_to_one",
    )
    if len(merged) == 0:
        raise DataValidationError("truth and assigned stages share no (customer_id, period) rows")
    t = pd.Categorical(merged["stage_true"].astype(str), categories=list(STAGES))
    a = pd.Categorical(merged["stage_assigned"].astype(str), categories=list(STAGES))
    table = pd.crosstab(t, a, dropna=False).reindex(
        index=list(STAGES), columns=list(STAGES), fill_value=0
    )
    table.index = pd.Index(list(STAGES), name="true")
    table.columns = pd.Index(list(STAGES), name="assigned")
    return table.astype(np.int64)


def stage_scores(confusion: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall, F1 and support per stage from a confusion matrix, plus the macro average.

    Returns
    -------
    DataFrame
        Indexed by stage and ``"macro"``: ``precision``, ``recall``, ``f1``, ``support``.
    """
    cm = confusion.to_numpy(dtype=float)
    tp = np.diag(cm)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(cm.sum(axis=0) > 0, tp / cm.sum(axis=0), 0.0)
        recall = np.where(cm.sum(axis=1) > 0, tp / cm.sum(axis=1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    out = pd.DataFrame(
        {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": cm.sum(axis=1).astype(np.int64),
        },
        index=pd.Index(list(confusion.index), name="stage"),
    )
    out.loc["macro"] = [precision.mean(), recall.mean(), f1.mean(), int(cm.sum())]
    out["support"] = out["support"].astype(np.int64)
    return out


def simulation_accuracy(
    vary: str | None = None,
    values=(None,),
    n_customers: int = 2000,
    n_periods: int = 24,
    seed: int = 2,
    simulator: Mapping | None = None,
    period: str = "M",
    **thresholds,
) -> pd.DataFrame:
    """F1 per stage and macro-F1 of :func:`assign_stages` on simulated logs, varying one simulator setting.

    Parameters
    ----------
    vary : str, optional
        A parameter of :func:`analysis.simulate.simulate_lifecycle` to vary
        (e.g. ``"peak_rate_mean"``); None measures the default simulator once.
    values : sequence
        Values of ``vary``.
    n_customers, n_periods, seed : int
        Size and seed of each simulated log (the same seed for every value).
    simulator : dict, optional
        Further simulator settings held fixed.
    period : str
        Period of the simulator and the classifier.
    **thresholds
        Passed to :func:`assign_stages`.

    Returns
    -------
    DataFrame
        One row per value: ``f1_<stage>`` and ``macro_f1`` (index: the values,
        named after ``vary``; ``"default"`` when nothing varies).
    """
    from ..simulate import simulate_lifecycle

    simulator = dict(simulator or {})
    rows, index = [], []
    for value in values:
        settings = dict(simulator)
        if vary is not None:
            settings[vary] = value
        sim = simulate_lifecycle(n_customers, n_periods, seed=seed, period=period, **settings)
        assigned = assign_stages(sim.transactions, period=period, **thresholds)
        scores = stage_scores(stage_confusion(sim.stages, assigned))["f1"]
        rows.append(
            {**{f"f1_{s}": float(scores[s]) for s in STAGES}, "macro_f1": float(scores["macro"])}
        )
        index.append("default" if vary is None else value)
    return pd.DataFrame(rows, index=pd.Index(index, name=vary or "simulator"))


def tune_thresholds(
    transactions: pd.DataFrame,
    truth: pd.DataFrame,
    grid: Mapping[str, list] | None = None,
    period: str = "M",
    passes: int = 2,
    **start,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Coordinate search for the thresholds that maximise macro-F1 against known stages.

    Meant for a simulated log (:func:`analysis.simulate.simulate_lifecycle`):
    tune on one seed, then measure on another.

    Parameters
    ----------
    transactions : DataFrame
        The log to classify.
    truth : DataFrame
        True stages: ``customer_id``, ``period``, ``stage``.
    grid : dict, optional
        Candidate values per threshold; by default each threshold at 0.5x,
        0.75x, 1x, 1.5x and 2x its default (probabilities capped at 1,
        ``formation_repeats`` at 1..4).
    period : str
        Passed to :func:`assign_stages`.
    passes : int
        Rounds over all thresholds.
    **start
        Starting values (the defaults otherwise).

    Returns
    -------
    (dict, DataFrame)
        The best thresholds found, and every evaluation: ``pass``,
        ``threshold``, ``value``, ``macro_f1`` (in search order).
    """
    current = resolve_thresholds(start)
    if grid is None:
        grid = {}
        for name, t in THRESHOLDS.items():
            if name == "p_alive_min":
                continue
            if THRESHOLDS[name].whole:
                grid[name] = [1, 2, 3, 4]
            else:
                values = [t.default * f for f in (0.5, 0.75, 1.0, 1.5, 2.0)]
                if t.unit == "probability":
                    values = [min(v, 1.0) for v in values]
                grid[name] = sorted(set(values))

    def score(values):
        stages = assign_stages(transactions, period=period, **values)
        return float(stage_scores(stage_confusion(truth, stages)).loc["macro", "f1"])

    best = score(current)
    rows = [(0, "start", np.nan, best)]
    for p in range(1, int(passes) + 1):
        for name, candidates in grid.items():
            for value in candidates:
                if value == current[name]:
                    continue
                trial = dict(current, **{name: value})
                f1 = score(trial)
                rows.append((p, name, float(value), f1))
                if f1 > best + 1e-12:
                    best, current = f1, trial
    history = pd.DataFrame(rows, columns=["pass", "threshold", "value", "macro_f1"])
    return current, history


# --------------------------------------------------------------------------
# Sensitivity of the stage mix to the thresholds
# --------------------------------------------------------------------------


def _moved(name: str, value: float, factor: float) -> float:
    moved = value * factor
    if THRESHOLDS[name].whole:
        # whole numbers move by at least one step
        moved = np.floor(moved) if factor < 1 else np.ceil(moved)
        if moved == value:
            moved = value - 1 if factor < 1 else value + 1
        return float(max(moved, 1))
    if THRESHOLDS[name].unit == "probability":
        return float(min(moved, 1.0))
    return float(moved)


def threshold_sensitivity(
    transactions: pd.DataFrame,
    period: str = "M",
    change: float = 0.25,
    names: list[str] | None = None,
    truth: pd.DataFrame | None = None,
    observation_end=None,
    **base,
) -> pd.DataFrame:
    """How the stage mix moves when each threshold moves by +-``change`` (one at a time).

    Parameters
    ----------
    transactions : DataFrame
        The log.
    period : str
        Passed to :func:`assign_stages`.
    change : float
        Relative move (0.25: -25% and +25%). Whole-number thresholds move by at
        least one; probabilities are capped at 1.
    names : list of str, optional
        Thresholds to move; all but ``p_alive_min`` by default (it only acts
        with a p_alive signal).
    truth : DataFrame, optional
        True stages (simulated logs): adds the macro-F1 of every variant.
    observation_end : date-like, optional
        Passed to :func:`assign_stages`.
    **base
        Thresholds of the baseline (the defaults otherwise).

    Returns
    -------
    DataFrame
        One row for the baseline and two per threshold: ``threshold``,
        ``change`` (e.g. "-25%"), ``value``, the current-stage shares
        ``exploration`` .. ``decline`` (share of customers by latest stage),
        their change from the baseline in percentage points (``d_<stage>``),
        and ``macro_f1`` when ``truth`` is given.
    """
    base_values = resolve_thresholds(base)
    names = [n for n in THRESHOLDS if n != "p_alive_min"] if names is None else list(names)
    unknown = sorted(set(names) - set(THRESHOLDS))
    if unknown:
        raise TypeError(f"unknown threshold(s) {unknown}; the thresholds are {sorted(THRESHOLDS)}")

    def run(values):
        stages = assign_stages(
            transactions, period=period, observation_end=observation_end, **values
        )
        mix = current_stage(stages)["stage"].astype(str).value_counts(normalize=True)
        row = {s: float(mix.get(s, 0.0)) for s in STAGES}
        if truth is not None:
            row["macro_f1"] = float(stage_scores(stage_confusion(truth, stages)).loc["macro", "f1"])
        return row

    rows = [dict(threshold="(defaults)", change="0%", value=np.nan, **run(base_values))]
    for name in names:
        for sign in (-1, 1):
            value = _moved(name, base_values[name], 1 + sign * change)
            label = f"{'+' if sign > 0 else '-'}{change:.0%}"
            shares = run(dict(base_values, **{name: value}))
            rows.append(dict(threshold=name, change=label, value=value, **shares))
    out = pd.DataFrame(rows)
    for stage in STAGES:
        out[f"d_{stage}"] = 100.0 * (out[stage] - out.loc[0, stage])
    return out
