"""Readings of the lifecycle report's checks: accuracy on simulated customers, the HMM, the close.

The companion of :mod:`.lifecycle`: each function takes the tables the
accuracy, hidden-Markov-model and closing sections of
``notebooks/02_lifecycle.ipynb`` show and returns Markdown whose verdict words
("better", "overfit", "sticky") are chosen from the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import PURCHASES
from ._format import cap, join_and, money, pct
from .lifecycle import ALPHA, STICKY, not_read, p_text
from .unavailable import Skipped

__all__ = [
    "SEED_NOISE",
    "F1_TARGET",
    "accuracy_reading",
    "tuning_reading",
    "simulator_reading",
    "hmm_states_reading",
    "hmm_comparison_reading",
    "hmm_accuracy_reading",
    "lifecycle_takeaways",
]

#: macro-F1 differences up to this size are within the seed-to-seed noise of 2,000 customers
SEED_NOISE: float = 0.005
#: the macro-F1 the classifier aims at
F1_TARGET: float = 0.8


def accuracy_reading(scores: pd.DataFrame, by_seed: pd.DataFrame) -> str:
    """Per-stage scores on the evaluation seed and macro-F1 on the tuning and evaluation seeds.

    ``by_seed``: rows labelled by seed (first the tuning seed), column ``macro_f1``.
    """
    f1 = scores["f1"].drop("macro")
    macro = by_seed["macro_f1"].astype(float)
    tune, evaluate = float(macro.iloc[0]), float(macro.iloc[-1])
    labels = [lab[0] if isinstance(lab, tuple) else lab for lab in by_seed.index]
    text = (
        f"**Reading.** On the simulated customers the classifier reaches macro-F1 "
        f"{evaluate:.2f} on the {labels[-1]} and {tune:.2f} on the {labels[0]}"
    )
    if abs(evaluate - tune) <= 2 * SEED_NOISE:
        text += ", within the seed-to-seed noise: the tuning did not overfit one sample."
    elif evaluate < tune:
        text += f": {tune - evaluate:.3f} lower on fresh customers, more than seed noise."
    else:
        text += ": higher on fresh customers than on the tuning sample."
    text += (
        f" {cap(f1.idxmax())} is recognised best (F1 {f1.max():.2f}) and {f1.idxmin()} worst "
        f"({f1.min():.2f}). The classifier uses nothing from the future, so it lags at each "
        "stage boundary until the change in pace has shown."
    )
    return text


def tuning_reading(tuning: pd.DataFrame) -> str:
    """Macro-F1 on the tuning seed with each threshold moved (``threshold``, ``change``, ``macro_f1``)."""
    base = float(tuning.loc[tuning["threshold"] == "(defaults)", "macro_f1"].iloc[0])
    moves = tuning.loc[tuning["threshold"] != "(defaults)"]
    best = moves.loc[moves["macro_f1"].astype(float).idxmax()]
    gain = float(best["macro_f1"]) - base
    if gain <= SEED_NOISE:
        verdict = (
            f"no move gains more than {SEED_NOISE} (the best, `{best['threshold']}` "
            f"{best['change']}, gains {gain:+.3f}): the defaults sit at a local optimum up to "
            "the seed-to-seed noise."
        )
    else:
        verdict = (
            f"moving `{best['threshold']}` by {best['change']} gains {gain:.3f}, more than the "
            "seed-to-seed noise: the defaults are not at a local optimum for this simulator."
        )
    return f"**Reading.** The defaults score {base:.3f}; {verdict}"


def simulator_reading(by_rate: pd.DataFrame, by_growth: pd.DataFrame, rewards: pd.DataFrame) -> str:
    """Macro-F1 by the simulator's peak rate and formation growth, and where the log sits.

    ``rewards``: :func:`analysis.lifecycle.stage_rewards` of the log; its
    stability pace is placed among the simulated peak rates.
    """
    rate = by_rate["macro_f1"].astype(float)
    text = (
        f"**Reading.** Macro-F1 goes from {rate.iloc[0]:.2f} at a peak of {rate.index[0]:g} "
        f"purchases a period to {rate.iloc[-1]:.2f} at {rate.index[-1]:g}"
    )
    reach = rate.index[rate >= F1_TARGET]
    text += (
        f"; the target of {F1_TARGET:g} is reached from {reach[0]:g} purchases a period on."
        if len(reach)
        else f"; the target of {F1_TARGET:g} is not reached at any peak rate tried."
    )
    pace = float(rewards.loc["stability", "purchases"]) if "stability" in rewards.index else np.nan
    if np.isfinite(pace) and pace > 0:
        nearest = rate.index[np.argmin(np.abs(np.log(np.asarray(rate.index, float) / pace)))]
        text += (
            f" This log's customers in stability make {pace:.2f} purchases a period; at a "
            f"simulated peak of {nearest:g}, macro-F1 is {rate[nearest]:.2f}, so the log's stages "
            "are a reading for the mix and the direction of movement"
        )
        text += (
            ", not an exact label for every customer-period." if rate[nearest] < F1_TARGET else "."
        )
    growth = by_growth["macro_f1"].astype(float)
    worst = growth.idxmin()
    text += (
        f" By the growth of the rate in formation, macro-F1 is lowest at a growth factor of "
        f"{worst:g} a period ({growth[worst]:.2f}) and highest at {growth.idxmax():g} "
        f"({growth.max():.2f})."
    )
    return text


def hmm_states_reading(parameters: pd.DataFrame) -> str:
    """The HMM's states (``mean``, ``initial``, ``to_<j>`` columns), ordered by mean.

    A model not fitted on this log (``parameters`` skipped): one sentence saying so.
    """
    if note := not_read(parameters, missing="the states of the hidden Markov model"):
        return note
    trans = parameters[[c for c in parameters.columns if str(c).startswith("to_")]].to_numpy(float)
    means = parameters["mean"].astype(float).to_numpy()
    stay = np.diag(trans)
    levels = join_and(f"{m:.3g}" for m in means)
    text = (
        f"**Reading.** The hidden Markov model finds {len(means)} levels of repeat purchases a "
        f"period: {levels}. "
    )
    if stay.min() >= STICKY:
        text += f"Every state is sticky ({pct(stay.min())} to {pct(stay.max())} stay each period)"
    else:
        text += f"The states keep from {pct(stay.min())} to {pct(stay.max())} of their customers"
    down, up = np.tril(trans, -1).sum(), np.triu(trans, 1).sum()
    text += (
        "; the chain steps down more than up: it sees relationships that fade rather than climb."
        if down > up
        else "; the chain steps up at least as much as down."
    )
    init = parameters["initial"].astype(float)
    return text + (
        f" {pct(init.max())} of the customers start in state {init.idxmax()} "
        f"(mean {means[list(parameters.index).index(init.idxmax())]:.3g})."
    )


def hmm_comparison_reading(mix: pd.DataFrame, agreement: float, crosstab: pd.DataFrame) -> str:
    """The rules against the HMM: agreement, where they differ most, and the mix of each.

    Any input not computed on this log (skipped): one sentence saying so.
    """
    if note := not_read(
        mix, agreement, crosstab, missing="the comparison of the rules with the HMM"
    ):
        return note
    labels = list(dict.fromkeys([*crosstab.index, *crosstab.columns]))
    full = crosstab.reindex(index=labels, columns=labels, fill_value=0).astype(float)
    values = full.to_numpy()
    total = values.sum()
    diag = pd.Series(np.diag(values), index=labels)
    off = values.copy()
    np.fill_diagonal(off, 0)
    i, j = np.unravel_index(np.argmax(off), off.shape)
    rows, cols = labels, labels
    text = (
        f"**Reading.** The two readings agree on {pct(agreement)} of the customer-periods, "
        f"{pct(diag.max() / diag.sum())} of that agreement in {diag.idxmax()}. The largest "
        f"disagreement is {pct(off[i, j] / total)} of the customer-periods that the rules call "
        f"{rows[i]} and the HMM {cols[j]}."
    )
    months, latest = mix["customer-months"], mix["latest month"]
    parts = []
    for s in months.index:
        a, b = months.loc[s, "rules"], months.loc[s, "hmm"]
        if abs(a - b) > 0.01:
            who = "the HMM puts" if b > a else "the rules put"
            parts.append(
                f"{who} more in {s}: {pct(b)} by the HMM against {pct(a)} by the rules "
                f"({pct(latest.loc[s, 'hmm'])} against {pct(latest.loc[s, 'rules'])} in the "
                "latest period)"
            )
    if parts:
        text += f" Over all customer-periods {'; '.join(parts)}."
    return text + (
        " The difference follows from the definitions: the rules compare a customer with its own "
        "past pace, the HMM with levels shared by all customers, so a sparse buyer who keeps its "
        "level is stable to the HMM and may be silent too long for the rules."
    )


def hmm_accuracy_reading(f1: pd.DataFrame) -> str:
    """F1 per stage and macro of the rules and the HMM on the simulated customers."""
    rules, hmm = float(f1.loc["macro", "rules"]), float(f1.loc["macro", "hmm"])
    if abs(hmm - rules) <= SEED_NOISE:
        word = "does as well as"
    else:
        word = "does better than" if hmm > rules else "does worse than"
    stages = f1.drop("macro")
    better = [s for s in stages.index if stages.loc[s, "hmm"] > stages.loc[s, "rules"] + SEED_NOISE]
    worse = [s for s in stages.index if stages.loc[s, "hmm"] < stages.loc[s, "rules"] - SEED_NOISE]
    text = (
        f"**Reading.** On the simulated customers the HMM {word} the rules (macro-F1 {hmm:.2f} "
        f"against {rules:.2f}), although it reads each history with hindsight"
    )
    if better:
        text += f"; it is better in {join_and(better)}"
    if worse:
        text += (
            f" and worse in {join_and(worse)}" if better else f"; it is worse in {join_and(worse)}"
        )
    return text + (
        ". Levels shared by all customers cannot follow each customer's own growth; "
        "customer-specific rates (Netzer et al.'s random effects) would be the next step."
    )


def lifecycle_takeaways(
    P: pd.DataFrame,
    stage_value: pd.DataFrame,
    by_first_spend: pd.Series,
    sensitivity: pd.DataFrame,
    scores: pd.DataFrame,
    by_rate: pd.DataFrame | None = None,
    *,
    currency: str = "$",
) -> str:
    """The closing bullets, each from a table above (transitions, values, tests, checks).

    ``stage_value``: :func:`analysis.tables.stage_values` of the customer
    table (``customers`` and ``mean_clv`` by stage), so the values quoted are
    the study's one valuation.
    """
    bullets = []
    e_d, e_f = float(P.loc["exploration", "decline"]), float(P.loc["exploration", "formation"])
    if not (e_d > 0 or e_f > 0):
        pass  # no trial was seen to end: nothing to say about conversion
    elif abs(e_d - e_f) < 0.0005:
        bullets.append(
            f"As many trials fail as form ({pct(e_d)} of exploration each way each period): "
            "converting trials and keeping formed relationships weigh alike."
        )
    elif e_d > e_f:
        bullets.append(
            f"More trials fail than form ({pct(e_d)} of exploration turns to decline each period, "
            f"{pct(e_f)} to formation): converting trials is the lever on the base."
        )
    else:
        bullets.append(
            f"Trials form more often than they fail ({pct(e_f)} against {pct(e_d)} each period): "
            "the lever is keeping formed relationships."
        )
    clv = stage_value.loc[stage_value["customers"] > 0, "mean_clv"].astype(float)
    best = clv.drop("decline").idxmax() if "decline" in clv.index and len(clv) > 1 else None
    assumed = "" if str(currency).strip() == PURCHASES else " (at the assumed margin)"
    if best is None:
        pass  # no stage to set against decline: nothing to compare
    elif clv[best] > clv["decline"] and best == "exploration":
        bullets.append(
            f"A customer in exploration is worth {money(clv[best], currency)} on average against "
            f"{money(clv['decline'], currency)} in decline{assumed}, more than any "
            "established relationship: the value of this base sits in its trials, so converting "
            "them is where the money is."
        )
    elif clv[best] > clv["decline"]:
        bullets.append(
            f"A customer in {best} is worth {money(clv[best], currency)} on average against "
            f"{money(clv['decline'], currency)} in decline{assumed}: protect "
            "the established relationships with service and exit barriers, and keep win-back "
            "spending per customer below the value of a customer in decline."
        )
    else:
        bullets.append(
            f"No stage is worth more per customer than decline "
            f"({money(clv['decline'], currency)}{assumed.replace(' (', ' ').rstrip(')')}): "
            "the valuation sees no payoff in protecting one stage over another."
        )
    if not isinstance(by_first_spend, Skipped) and by_first_spend["pvalue"] < ALPHA:
        bullets.append(
            "The first period's spend separates how long relationships last (log-rank p "
            f"{p_text(by_first_spend['pvalue'])}): use it to rank new customers."
        )
    d_cols = [c for c in sensitivity.columns if c.startswith("d_")]
    largest = float(sensitivity[d_cols].abs().to_numpy().max())
    bullets.append(
        f"The stage shares carry an uncertainty of up to {largest:.1f} points from the "
        f"thresholds, and on simulated customers the stages are right with macro-F1 "
        f"{scores.loc['macro', 'f1']:.2f}: use the shares and their direction, and read a single "
        "customer's stage with care"
    )
    if by_rate is not None and by_rate["macro_f1"].iloc[0] < by_rate["macro_f1"].iloc[-1]:
        bullets[-1] += ", the more so for sparse buyers (see the accuracy by peak rate)."
    else:
        bullets[-1] += "."
    return "\n".join(f"- {b}" for b in bullets)
