"""Readings of the two views of the stages: how accurately each reads simulated customers."""

from __future__ import annotations

import pandas as pd

from ._format import join_and

__all__ = ["VIEW_LABELS", "view_label", "view_accuracy_table", "view_accuracy_reading"]

#: How the reports name each (view, method) pair of :func:`analysis.lifecycle.assign_stages`.
VIEW_LABELS = {
    ("realtime", "rules"): "real time, rules",
    ("realtime", "model"): "real time, model",
    ("hindsight", "model"): "hindsight",
}


def view_label(view: str, method: str) -> str:
    """The report's name of a view of the stages."""
    return VIEW_LABELS.get((view, method), f"{view}, {method}")


def view_accuracy_table(accuracy: pd.DataFrame, by: str) -> pd.DataFrame:
    """Macro-F1 with one row per ``by`` value (rate or setting) and one column per view."""
    frame = accuracy.assign(
        label=[view_label(v, m) for v, m in zip(accuracy["view"], accuracy["method"], strict=True)]
    )
    table = frame.pivot_table(index=by, columns="label", values="macro_f1", sort=False)
    order = [lab for lab in VIEW_LABELS.values() if lab in table.columns]
    table = table[order + [c for c in table.columns if c not in order]]
    table.columns.name = None  # the views need no header of their own
    return table


def _span(values: pd.Series) -> str:
    low, high = float(values.min()), float(values.max())
    return f"{low:.2f}" if round(low, 2) == round(high, 2) else f"{low:.2f} to {high:.2f}"


def view_accuracy_reading(by_rate: pd.DataFrame, by_setting: pd.DataFrame) -> str:
    """What the accuracy tables of the views show, in words decided by the numbers.

    ``by_rate`` and ``by_setting`` are :func:`analysis.lifecycle.accuracy_by_rate`
    and :func:`analysis.lifecycle.accuracy_by_setting`.
    """
    rate = view_accuracy_table(by_rate, "rate").sort_index()
    setting = view_accuracy_table(by_setting, "setting")
    views = list(rate.columns)
    parts = []
    # which view is most accurate in each rate band
    best = rate.idxmax(axis=1)
    if best.nunique() == 1:
        parts.append(
            f"In every purchase-rate band the most accurate view is **{best.iloc[0]}** "
            f"(macro-F1 {_span(rate[best.iloc[0]])} from {rate.index[0]:g} to "
            f"{rate.index[-1]:g} purchases a month at the peak)."
        )
    else:
        bands = [f"{r:g} a month: *{b}*" for r, b in best.items()]
        parts.append(f"The most accurate view depends on the rate ({'; '.join(bands)}).")
    # how each view moves with the rate, and each setting's score, are in the tables beside
    # the settings no default was tuned on
    fresh = setting.loc[[s for s in setting.index if "tuning" not in str(s)]]
    if len(fresh):
        worst = sorted({str(fresh[view].idxmin()) for view in views})
        parts.append(
            "On fresh seeds the hardest "
            + ("setting is " if len(worst) == 1 else "settings are ")
            + join_and(worst)
            + ("" if len(worst) == 1 else " (by view)")
            + "."
        )
    tuned = [s for s in setting.index if "tuning" in str(s)]
    if tuned and "default" in setting.index:
        gaps = setting.loc[tuned[0]] - setting.loc["default"]
        largest = float(gaps.abs().max())
        parts.append(
            "On the default setting the tuning seeds and the fresh seeds score "
            + ("within 0.01 of each other" if largest < 0.01 else f"up to {largest:.2f} apart")
            + ", so the defaults were not fitted to the seeds they were tuned on"
            + ("." if largest < 0.03 else " only loosely: read the fresh-seed rows.")
        )
    return " ".join(parts)
