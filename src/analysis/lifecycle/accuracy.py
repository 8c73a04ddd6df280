"""How accurately each view reads the stages, on simulated logs not used for tuning: by purchase rate and by setting.

The stage rules' thresholds were tuned on :func:`analysis.simulate.simulate_lifecycle`
with its default settings and seeds 1-5 (:data:`TUNING_SEEDS`; the other
settings were only checked there for losses, not tuned on), and the
lifecycle model's defaults (:class:`analysis.lifecycle.StageModel`) are that
default simulator's lifecycle, checked on seed 1. Accuracy is therefore
reported on fresh seeds (:data:`EVALUATION_SEEDS`) and on other settings
(:data:`SETTINGS`: a shorter formation, a longer stability, sparser buyers)
that no default was tuned on:

- :func:`accuracy_by_rate`: per-stage F1 and macro-F1 of each view by purchase
  rate at the peak (0.25 .. 4 purchases a month);
- :func:`accuracy_by_setting`: the same by simulator setting, the tuning
  seed's row included for comparison.

The views (:data:`VIEWS`) are those of :func:`analysis.lifecycle.assign_stages`:
``("realtime", "rules")`` (the default: the transparent rules of
:mod:`analysis.lifecycle.stages`),
``("realtime", "model")`` (the lifecycle model filtered to each period) and
``("hindsight", "model")`` (the whole history). Scores pool the confusion
matrices of all seeds of a row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..units import STAGES
from .evaluate import stage_confusion, stage_scores
from .stages import assign_stages

__all__ = [
    "TUNING_SEEDS",
    "EVALUATION_SEEDS",
    "SETTINGS",
    "VIEWS",
    "RATES",
    "accuracy_by_rate",
    "accuracy_by_setting",
]

#: Seeds of :func:`analysis.simulate.simulate_lifecycle` (default settings) the defaults were tuned on
#: (the rules' thresholds on all five; the lifecycle model's defaults checked on seed 1).
TUNING_SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5)
#: Fresh seeds for measuring: no default was tuned on them.
EVALUATION_SEEDS: tuple[int, ...] = (11, 12, 13)
#: Named simulator settings: the default (the tuning setting) and three that no default was tuned on.
SETTINGS: dict[str, dict[str, float]] = {
    "default": {},
    "shorter formation": {"formation_growth": 1.6},  # about 2 months of formation instead of 6
    "longer stability": {"stability_mean": 24.0},  # a two-year plateau on average, not one
    "sparser buyers": {"peak_rate_mean": 1.0},  # one purchase a month at the peak, not four
}
#: The (view, method) pairs of :func:`analysis.lifecycle.assign_stages` measured by default.
VIEWS: tuple[tuple[str, str], ...] = (
    ("realtime", "rules"),
    ("realtime", "model"),
    ("hindsight", "model"),
)
#: Purchase rates at the peak (purchases a month) of :func:`accuracy_by_rate`.
RATES: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)


def _views(views) -> list[tuple[str, str]]:
    """(view, method) pairs; a plain view name takes its default method."""
    out = []
    for v in views:
        if isinstance(v, str):
            v = (v, "rules" if v == "realtime" else "model")
        view, method = v
        if view not in ("realtime", "hindsight") or method not in ("rules", "model"):
            raise ValueError(
                f"a view is 'realtime' or 'hindsight' with 'rules' or 'model', got {v!r}"
            )
        out.append((view, method))
    return out


def _measure(
    settings: Mapping, seeds: Sequence[int], views, n_customers: int, n_periods: int, period: str
) -> list[dict]:
    """Pooled scores of every view over the seeds, one dict per view."""
    from ..simulate import simulate_lifecycle

    pooled = {v: 0 for v in views}
    for seed in seeds:
        sim = simulate_lifecycle(n_customers, n_periods, seed=int(seed), period=period, **settings)
        for view, method in views:
            stages = assign_stages(sim.transactions, period=period, view=view, method=method)
            pooled[(view, method)] = pooled[(view, method)] + stage_confusion(sim.stages, stages)
    rows = []
    for (view, method), confusion in pooled.items():
        f1 = stage_scores(confusion)["f1"]
        row = {"view": view, "method": method}
        row.update({f"f1_{s}": float(f1[s]) for s in STAGES})
        row["macro_f1"] = float(f1["macro"])
        row["n"] = int(np.asarray(confusion).sum())
        rows.append(row)
    return rows


def accuracy_by_rate(
    views: Sequence = VIEWS,
    rates: Sequence[float] = RATES,
    seeds: Sequence[int] = EVALUATION_SEEDS,
    n_customers: int = 2000,
    n_periods: int = 24,
    simulator: Mapping | None = None,
    period: str = "M",
) -> pd.DataFrame:
    """F1 per stage and macro-F1 of each view by the customers' purchase rate at the peak.

    Each rate band is a simulated log (:func:`analysis.simulate.simulate_lifecycle`)
    whose customers peak at that many purchases a month on average
    (``peak_rate_mean``; gamma-distributed across customers), all else at
    the default settings.

    Parameters
    ----------
    views : sequence
        (view, method) pairs, or view names (with their default method); see
        :data:`VIEWS`.
    rates : sequence of float
        Mean peak purchase rates, per month (:data:`RATES`).
    seeds : sequence of int
        Simulator seeds, pooled; by default the fresh :data:`EVALUATION_SEEDS`
        (the defaults were tuned on :data:`TUNING_SEEDS`).
    n_customers, n_periods : int
        Size of every simulated log.
    simulator : dict, optional
        Further simulator settings held fixed.
    period : str
        Period of the simulator and of the views (monthly rates are converted).

    Returns
    -------
    DataFrame
        One row per rate and view (tidy): ``rate``, ``view``, ``method``,
        ``f1_<stage>`` for the four stages, ``macro_f1`` and ``n`` (the
        customer-periods scored).
    """
    from ..units import DAYS_PER_MONTH, unit_days

    views = _views(views)
    per_period = unit_days(period) / DAYS_PER_MONTH
    rows = []
    for rate in rates:
        settings = dict(simulator or {}, peak_rate_mean=float(rate) * per_period)
        for row in _measure(settings, seeds, views, n_customers, n_periods, period):
            rows.append({"rate": float(rate), **row})
    return pd.DataFrame(rows)


def accuracy_by_setting(
    settings: Mapping[str, Mapping] | None = None,
    views: Sequence = VIEWS,
    seeds: Sequence[int] = EVALUATION_SEEDS,
    tuning_seeds: Sequence[int] | None = TUNING_SEEDS,
    n_customers: int = 2000,
    n_periods: int = 24,
    period: str = "M",
) -> pd.DataFrame:
    """F1 per stage and macro-F1 of each view under named simulator settings, on fresh seeds.

    Parameters
    ----------
    settings : dict, optional
        Name -> settings of :func:`analysis.simulate.simulate_lifecycle`
        (:data:`SETTINGS` by default: the default, a shorter formation, a
        longer stability, sparser buyers).
    views : sequence
        (view, method) pairs, or view names; see :data:`VIEWS`.
    seeds : sequence of int
        Seeds of every setting (pooled): the fresh :data:`EVALUATION_SEEDS`.
    tuning_seeds : sequence of int, optional
        Adds a first row group, ``"default (tuning seeds)"``, measured on the
        seeds the defaults were tuned on (:data:`TUNING_SEEDS`), to compare
        with the fresh seeds; None leaves it out.
    n_customers, n_periods : int
        Size of every simulated log.
    period : str
        Period of the simulator and of the views.

    Returns
    -------
    DataFrame
        One row per setting and view (tidy): ``setting`` (its name),
        ``simulator`` (the settings that differ from the default, as text),
        ``seeds``, ``view``, ``method``, ``f1_<stage>``, ``macro_f1`` and ``n``.
    """
    views = _views(views)
    settings = dict(SETTINGS if settings is None else settings)
    runs = [(name, values, tuple(seeds)) for name, values in settings.items()]
    if tuning_seeds is not None:
        runs.insert(0, ("default (tuning seeds)", {}, tuple(tuning_seeds)))
    rows = []
    for name, values, run_seeds in runs:
        text = ", ".join(f"{k}={v:g}" for k, v in values.items()) or "defaults"
        label = ", ".join(str(s) for s in run_seeds)
        for row in _measure(values, run_seeds, views, n_customers, n_periods, period):
            rows.append({"setting": name, "simulator": text, "seeds": label, **row})
    return pd.DataFrame(rows)
