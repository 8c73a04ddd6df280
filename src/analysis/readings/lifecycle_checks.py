"""Readings of the methods report's checks: accuracy on simulated customers and the HMM.

Each function takes a table that ``notebooks/06_methods.ipynb`` shows and
returns Markdown whose verdict words ("better", "overfit", "sticky") are
chosen from the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._format import cap, join_and, pct
from .lifecycle import STICKY, not_read

__all__ = [
    "SEED_NOISE",
    "F1_TARGET",
    "accuracy_reading",
    "tuning_reading",
    "hmm_states_reading",
    "hmm_accuracy_reading",
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
        ". Customer-specific rates (Netzer et al.'s random effects) would be the next step."
    )
