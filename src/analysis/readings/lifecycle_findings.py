"""The opening findings of the lifecycle report: what a reader can act on, each with its numbers.

Each finding is computed as a verdict (:class:`~.findings.Finding`: a topic, the word the
numbers chose, the numbers themselves) and then rendered as one bullet, so
tests check the verdicts as data and the text stays true on another log.
The findings quote the same tables as the body of ``notebooks/02_lifecycle``
and name the view of the stages each one uses: the *real-time* view (each
customer's stage today, the customer table's ``stage`` column, as in the
strategy report) for the mix and the value, the *hindsight* view for the
histories (transitions, survival, the pace in stability).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import PURCHASES
from ..lifecycle.accuracy import RATES
from ..units import DAYS_PER_MONTH, STAGES, unit_days
from ._format import cap, count, join_and, money, pct
from .findings import Finding
from .lifecycle import ALPHA, LEVEL_CHANGE, SAME_PICTURE_POINTS, p_text
from .lifecycle_checks import F1_TARGET
from .lifecycle_views import view_label
from .unavailable import Skipped

__all__ = [
    "RateBand",
    "log_pace",
    "nearest_rate",
    "rate_band",
    "mix_finding",
    "value_finding",
    "direction_finding",
    "early_signal_finding",
    "trust_finding",
    "lifecycle_findings",
    "rate_band_reading",
]


@dataclass(frozen=True)
class RateBand:
    """Where the log sits among the simulated purchase rates, and the accuracy there.

    ``pace``: the log's repeat purchases a month per customer-month in stability
    (hindsight view); ``band``: the simulated peak rate nearest to it (purchases
    a month, on a log scale); ``macro_f1``: each view's macro-F1 at that band;
    ``beyond``: "above" or "below" when the pace lies outside the simulated rates
    (the nearest band is then the highest or the lowest), else "".
    """

    pace: float
    band: float
    macro_f1: dict[str, float]
    beyond: str = ""


def log_pace(rewards: pd.DataFrame, *, period: str = "M") -> float | None:
    """Repeat purchases a month per customer-month in stability; None without stability.

    ``rewards``: :func:`analysis.lifecycle.stage_rewards` (``purchases`` per
    customer-period, by stage), whose period ``period`` ("W", "M", "Q") is
    turned into a month.
    """
    if "stability" not in rewards.index:
        return None
    per_period = float(rewards.loc["stability", "purchases"])
    if not np.isfinite(per_period) or per_period <= 0:
        return None
    return per_period * DAYS_PER_MONTH / unit_days(period)


def nearest_rate(rewards: pd.DataFrame, rates=None, *, period: str = "M") -> float | None:
    """The simulated peak rate (purchases a month) nearest, on a log scale, to the log's pace.

    ``rates``: the candidate rates, by default those of report 6's accuracy by
    rate (:data:`analysis.lifecycle.accuracy.RATES`). None when no
    customer-month is in stability (no pace to place).
    """
    pace = log_pace(rewards, period=period)
    if pace is None:
        return None
    rates = np.sort(np.asarray(list(RATES if rates is None else rates), dtype=float))
    return float(rates[np.argmin(np.abs(np.log(rates / pace)))])


def rate_band(
    rewards: pd.DataFrame, accuracy: pd.DataFrame | None, *, period: str = "M"
) -> RateBand | None:
    """The log's pace in stability placed in the nearest simulated rate band, and the accuracy there.

    Parameters
    ----------
    rewards : DataFrame
        :func:`analysis.lifecycle.stage_rewards` of the hindsight view.
    accuracy : DataFrame or None
        :func:`analysis.lifecycle.accuracy_by_rate` rows (``rate`` a month, ``view``,
        ``method``, ``macro_f1``); the band is the ``rate`` nearest to the pace.
    period : str
        Length of a period of ``rewards``.

    Returns
    -------
    RateBand or None
        None when there is no pace (no stability) or no accuracy to place it in.
    """
    if accuracy is None or accuracy.empty:
        return None
    band = nearest_rate(rewards, accuracy["rate"].unique(), period=period)
    if band is None:
        return None
    rows = accuracy.loc[accuracy["rate"].astype(float) == band]
    f1 = {
        view_label(v, m): float(f)
        for v, m, f in zip(rows["view"], rows["method"], rows["macro_f1"], strict=True)
    }
    pace = float(log_pace(rewards, period=period))
    # beyond the simulated rates: those of report 6 (the accuracy may hold one band only)
    rates = np.asarray([*RATES, *accuracy["rate"].astype(float)])
    beyond = "above" if pace > rates.max() else ("below" if pace < rates.min() else "")
    return RateBand(pace=pace, band=band, macro_f1=f1, beyond=beyond)


def _band_words(band: RateBand) -> str:
    """``the nearest rate, 0.5 a month`` or ``the highest rate simulated, 4 a month``."""
    which = {"above": "the highest rate simulated", "below": "the lowest rate simulated"}
    return f"{which.get(band.beyond, 'the nearest rate')}, {band.band:g} a month"


def mix_finding(stage_value: pd.DataFrame) -> Finding:
    """Where the customers are today (real-time view), from :func:`analysis.tables.stage_values`."""
    counts = stage_value["customers"].astype(int)
    total = int(counts.sum())
    share = counts / total if total else counts.astype(float)
    held = [s for s in share.sort_values(ascending=False).index if counts[s] > 0]
    largest = held[0]
    parts = [f"{pct(share[s])} in {s}" for s in held]
    empty = [s for s in STAGES if s in counts.index and counts[s] == 0]
    text = (
        f"**Where the customers are.** Of {count(total)}, {join_and(parts)}"
        + (f"; none in {join_and(empty)}" if empty else "")
        + " (real-time view: each customer's stage today, the same stages as report 5)."
    )
    core = float(share.reindex(["formation", "stability"]).fillna(0).sum())
    text += f" The established relationships (formation and stability) are {pct(core)} of the base."
    numbers = {f"share_{s}": float(share[s]) for s in share.index}
    numbers.update(customers=float(total), core=core)
    return Finding("mix", largest, numbers, text)


def value_finding(
    stage_value: pd.DataFrame, *, horizon_years: float, currency: str = "$"
) -> Finding:
    """Where the value is (real-time view): the stage holding most of it and the value per customer.

    The verdict is the stage worth the most per customer. The sentence names the
    win-back ceiling: the mean value of a customer in decline.
    """
    held = stage_value.loc[stage_value["customers"] > 0]
    mean = held["mean_clv"].astype(float)
    share = held["share_of_value"].astype(float)
    best = str(mean.idxmax())
    top = str(share.idxmax())
    in_purchases = str(currency).strip() == PURCHASES
    if len(mean) == 1:
        text = (
            f"**Where the value is.** Every customer is in {best}, worth "
            f"{money(mean[best], currency)} on average over {horizon_years:g} years: there is no "
            "stage to set against another."
        )
        return Finding("value", best, {"top_share": 1.0, "best_mean": float(mean[best])}, text)
    text = (
        f"**Where the value is.** {cap(top)} holds the largest part of the "
        f"{horizon_years:g}-year value, {pct(share[top])}, with "
        f"{pct(held.loc[top, 'share_of_customers'])} of the customers. Per customer, {best} is "
        f"worth the most, {money(mean[best], currency)} on average"
    )
    numbers = {"top_share": float(share[top]), "best_mean": float(mean[best])}
    if "decline" in mean.index and best != "decline":
        low = float(mean["decline"])
        numbers["decline_mean"] = low
        text += f", against {money(low, currency)} in decline"
        if low > 0:
            numbers["ratio"] = float(mean[best] / low)
            ceiling = (
                f"the value of {money(low, currency)}" if in_purchases else money(low, currency)
            )
            text += (
                f" ({mean[best] / low:.1f} times): protect the {best} customers first, and keep "
                f"win-back spending below {ceiling} per customer in decline, what one is worth "
                "on average."
            )
        else:
            text += ": the model expects nothing more from a customer in decline."
    else:
        text += "."
    return Finding("value", best, numbers, text)


def direction_finding(projection: pd.DataFrame, P: pd.DataFrame, *, period: str = "M") -> Finding:
    """Where the base is heading: the active core after the projection, and how trials end.

    ``projection``: :func:`analysis.lifecycle.project_stage_mix` (rows: steps,
    first the real-time mix now); ``P``: the hindsight view's transition matrix.
    The verdict for the core (formation and stability) is "holds" when it moves
    by at most :data:`SAME_PICTURE_POINTS` points and at most
    :data:`~.lifecycle.LEVEL_CHANGE` of itself, else "shrinks" or "grows".
    """
    start, end = projection.iloc[0], projection.iloc[-1]
    core = ["formation", "stability"]
    c0, c1 = float(start[core].sum()), float(end[core].sum())
    steps = int(projection.index[-1] - projection.index[0])  # index: the step, 0 = now
    moved = 100 * (c1 - c0)
    relative = abs(c1 - c0) / c0 if c0 > 0 else (0.0 if c1 == 0 else np.inf)
    if abs(moved) <= SAME_PICTURE_POINTS and relative <= LEVEL_CHANGE:
        verdict = "holds"
    else:
        verdict = "grows" if moved > 0 else "shrinks"
    unit = {"W": "weeks", "M": "months", "Q": "quarters"}.get(period, "periods")
    change = (
        f"stays at about {pct(c0)} of the customers ({pct(c1)} after {steps} {unit})"
        if verdict == "holds"
        else f"{verdict} from {pct(c0)} to {pct(c1)} of the customers in {steps} {unit}"
    )
    text = (
        f"**Where the base is heading.** With no new customers, the active core (formation and "
        f"stability) {change} (today's real-time mix moved by the hindsight view's monthly "
        "transitions)"
    )
    e_d, e_f = float(P.loc["exploration", "decline"]), float(P.loc["exploration", "formation"])
    numbers = {"core_now": c0, "core_end": c1, "steps": float(steps), "trial_fail": e_d}
    numbers["trial_form"] = e_f
    if e_d > e_f:
        text += (
            f"; {pct(e_d)} of trials turn to decline each period and {pct(e_f)} to formation: "
            "converting trials is the lever on the base."
        )
    elif e_f > e_d:
        text += (
            f"; trials form ({pct(e_f)} a period) more often than they fail ({pct(e_d)}): keeping "
            "formed relationships is the lever."
        )
    else:
        text += "."
    return Finding("direction", verdict, numbers, text)


def _survival_at(survival: pd.DataFrame, group, t: float) -> float:
    rows = survival.loc[(survival["group"] == group) & (survival["time"] <= t)]
    return float(rows["survival"].iloc[-1])


def early_signal_finding(first_spend_test, first_spend_survival) -> Finding | None:
    """Whether the first period's spend tells how long a relationship lasts (hindsight view).

    None when the test or the groups could not be computed on this log. The
    verdict: "longer" (higher spenders survive longer, p < :data:`ALPHA`),
    "shorter", or "no signal".
    """
    if isinstance(first_spend_test, Skipped) or isinstance(first_spend_survival, Skipped):
        return None
    groups = list(pd.unique(first_spend_survival["group"]))
    low, high = groups[0], groups[-1]
    t = float(first_spend_survival.groupby("group")["time"].max().min())
    s_low = _survival_at(first_spend_survival, low, t)
    s_high = _survival_at(first_spend_survival, high, t)
    p = float(first_spend_test["pvalue"])
    numbers = {"pvalue": p, "months": t, "survival_high": s_high, "survival_low": s_low}
    if p >= ALPHA:
        verdict = "no signal"
        text = (
            "**An early signal?** The first period's spend does not separate how long "
            f"relationships last (log-rank p {p_text(p)}): do not rank new customers by it."
        )
    else:
        verdict = "longer" if s_high > s_low else "shorter"
        text = (
            f"**An early signal.** After {t:g} periods {pct(s_high)} of the relationships that "
            f"started in the highest first-period spend group ('{high}') are not yet in decline, "
            f"against {pct(s_low)} in the lowest ('{low}'; log-rank p {p_text(p)}, hindsight "
            "view): "
            + (
                "rank new customers by their first period's spend and invest in converting the "
                "high spenders."
                if verdict == "longer"
                else "a larger first order does not mean a longer relationship here."
            )
        )
    return Finding("early signal", verdict, numbers, text)


def trust_finding(band: RateBand | None) -> Finding | None:
    """How far a stage can be trusted at this log's purchase rate; None without a pace."""
    if band is None or not band.macro_f1:
        return None
    worst = min(band.macro_f1.values())
    verdict = "single customers" if worst >= F1_TARGET else "shares and direction"
    names = {
        view_label("realtime", "rules"): "the real-time stages",
        view_label("hindsight", "model"): "the hindsight stages",
    }
    scores = [f"{names[k]} {v:.2f}" for k, v in band.macro_f1.items() if k in names]
    # every view under the target, named (the sentence must not put a passing view below it)
    below = [names.get(k, k) for k, v in band.macro_f1.items() if v < F1_TARGET]
    text = (
        f"**How far to trust a stage.** This log's customers in stability make {band.pace:.2f} "
        f"purchases a month (hindsight view); on simulated customers at {_band_words(band)}, "
        f"the macro-F1 of {join_and(scores)} (report 6 has every rate)"
    )
    text += (
        ": every view reaches the target of "
        f"{F1_TARGET:g}, so a single customer's stage can be acted on."
        if verdict == "single customers"
        else f"; {join_and(below)} score below the "
        f"target of {F1_TARGET:g}: act on the stage shares and their direction, and check a "
        "single customer's stage before acting on it."
    )
    numbers = {"pace": band.pace, "band": band.band, **band.macro_f1}
    return Finding("trust", verdict, numbers, text)


def lifecycle_findings(
    stage_value: pd.DataFrame,
    projection: pd.DataFrame,
    P: pd.DataFrame,
    first_spend_test,
    first_spend_survival,
    band: RateBand | None,
    *,
    horizon_years: float,
    currency: str = "$",
    period: str = "M",
) -> list[Finding]:
    """The report's opening findings, in order: mix, value, direction, early signal, trust."""
    found = [
        mix_finding(stage_value),
        value_finding(stage_value, horizon_years=horizon_years, currency=currency),
        direction_finding(projection, P, period=period),
        early_signal_finding(first_spend_test, first_spend_survival),
        trust_finding(band),
    ]
    return [f for f in found if f is not None]


def rate_band_reading(band: RateBand | None) -> str:
    """The accuracy at the log's rate band, under the table that shows it."""
    if band is None:
        return (
            "**Reading.** No customer-month is in stability in the hindsight view, so the log has "
            "no pace at the peak to place among the simulated rates; report 6 gives the accuracy "
            "at every rate."
        )
    parts = [f"*{view}* {f1:.2f}" for view, f1 in band.macro_f1.items()]
    best = max(band.macro_f1, key=band.macro_f1.get)
    return (
        f"**Reading.** At {band.pace:.2f} purchases a month in stability this log is read at "
        f"{_band_words(band)}, where macro-F1 is {join_and(parts)}: "
        f"the {best} view reads the stages best there. Report 6 (the methods) gives every band, "
        "setting and threshold."
    )
