"""Reading of the holdout scorecard: which method wins on which measure, and whether the models beat the baselines.

For the scorecard of ``notebooks/03_clv.ipynb``
(:func:`analysis.clv.holdout_scorecard`). :func:`scorecard_table` is the
table as the report shows it; :func:`scorecard_verdict` finds, per target and
measure, the best method and whether the best model beats the best simple
baseline, comparing the values *as displayed*, so methods equal at the
precision shown are named together and every number in the prose
(:func:`scorecard_reading`) is one of the table's cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..clv.scorecard import BASELINES, HIGHER_IS_BETTER, MEASURES
from ..tables.format import FormattedTable
from ..tables.format import money as _money
from ._format import join_and

__all__ = [
    "MEASURE_NAMES",
    "chosen_model_line",
    "scorecard_table",
    "scorecard_verdict",
    "scorecard_reading",
]

#: each measure's name in the table's prose
MEASURE_NAMES: dict[str, str] = {
    "gini": "Gini",
    "spearman": "Spearman",
    "decile_mape": "decile MAPE",
    "mae": "MAE",
    "bias": "bias",
    "top_decile_share": "top-decile share",
}
#: the measures of ranking, then those of level, in the reading's order
_RANKING = ("gini", "spearman", "top_decile_share")
_LEVEL = ("decile_mape", "mae", "bias")


def _decimals(measure: str, target: str) -> int:
    """Decimals shown: 3 for the measures and shares (a share as a percentage with one), 2 for money."""
    return 2 if measure == "mae" and target == "spend" else 3


def _cell(value: float, measure: str, target: str, currency: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    if measure == "bias":
        shown = f"{100 * value:+.1f}%"
        return "0.0%" if shown in ("+0.0%", "-0.0%") else shown  # no sign on a rounded zero
    if measure == "top_decile_share":
        return f"{100 * value:.1f}%"
    if measure == "mae" and target == "spend":
        return _money(value, currency, decimals=2)
    return f"{value:.3f}"


def scorecard_table(card: pd.DataFrame, currency: str = "$") -> FormattedTable:
    """The scorecard as the report shows it: index (target, method), one column per measure.

    Gini, Spearman and decile MAPE with three decimals; MAE in purchases with
    three decimals, in money (``currency``) with two; bias signed and the
    top-decile share as percentages with one decimal; ``n/a`` where a
    measure is not defined (the level measures of a ranking score).
    """
    out = pd.DataFrame(index=card.index, columns=list(MEASURES), dtype=object)
    for (target, method), row in card.iterrows():
        for measure in MEASURES:
            out.loc[(target, method), measure] = _cell(
                float(row[measure]), measure, str(target), currency
            )
    return FormattedTable(out)


def _shown(value: float, measure: str, target: str) -> float:
    """The value as the table shows it, on the scale where lower or higher is better."""
    value = abs(value) if measure == "bias" else value
    return round(value, _decimals(measure, target))


def _best(values: pd.Series, higher: bool) -> float:
    return float(values.max() if higher else values.min())


def _leaders(values: pd.Series, higher: bool) -> list[str]:
    """The methods whose shown value is the best (all of them when several are equal)."""
    if values.empty:
        return []
    best = _best(values, higher)
    return [str(m) for m, v in values.items() if v == best]


def scorecard_verdict(card: pd.DataFrame) -> pd.DataFrame:
    """Per target and measure: the best methods and whether the models beat the baselines.

    Values are compared as :func:`scorecard_table` shows them (``|bias|``
    for bias); methods equal at that precision share the win.

    Returns
    -------
    DataFrame
        Index (``target``, ``measure``), columns ``best`` (tuple of method
        names), ``best_model`` and ``best_baseline`` (the first best of each
        group, None when the group has no value), ``winner`` (``"models"``,
        ``"baselines"``, ``"tie"`` or None when one group has no value).
        The models are the methods not in :data:`analysis.clv.scorecard.BASELINES`.
    """
    rows = {}
    for target in dict.fromkeys(card.index.get_level_values(0)):
        block = card.loc[target]
        for measure in (*_RANKING, *_LEVEL):
            shown = pd.Series(
                {m: _shown(float(v), measure, str(target)) for m, v in block[measure].items()}
            ).dropna()
            higher = HIGHER_IS_BETTER[measure]  # bias: False, and compared as |bias|
            models = shown[[m for m in shown.index if m not in BASELINES]]
            baselines = shown[[m for m in shown.index if m in BASELINES]]
            winner = None
            if len(models) and len(baselines):
                a, b = _best(models, higher), _best(baselines, higher)
                winner = "tie" if a == b else ("models" if (a > b) == higher else "baselines")
            rows[(target, measure)] = {
                "best": tuple(_leaders(shown, higher)),
                "best_model": (_leaders(models, higher) or [None])[0],
                "best_baseline": (_leaders(baselines, higher) or [None])[0],
                "winner": winner,
            }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["target", "measure"])
    return out


def _target_paragraph(card: pd.DataFrame, verdict: pd.DataFrame, target: str, currency: str) -> str:
    block, judged = card.loc[target], verdict.loc[target]

    def cell(method, measure):
        return _cell(float(block.loc[method, measure]), measure, target, currency)

    bests = []
    for measure in (*_RANKING, *_LEVEL):
        best = list(judged.loc[measure, "best"])
        if not best:
            continue
        closest = ", closest to 0" if measure == "bias" else ""
        bests.append(
            f"{MEASURE_NAMES[measure]}: {join_and(best)} ({cell(best[0], measure)}{closest})"
        )
    groups = {
        w: [MEASURE_NAMES[m] for m in judged.index if judged.loc[m, "winner"] == w]
        for w in ("models", "baselines", "tie")
    }
    compared = sum(len(v) for v in groups.values())
    if not compared:
        # no model against a baseline: the best method per measure (else the table shows it)
        return f"**{target.capitalize()}**, the best method per measure. " + "; ".join(bests) + "."
    text = f"**{target.capitalize()}**:"
    if groups["models"]:
        every = " every measure:" if len(groups["models"]) == compared else ""
        text += f" the best model beats the best baseline on{every} {join_and(groups['models'])}"
    else:
        text += " the models beat the baselines on no measure"
    against = []
    for measure in judged.index:
        if judged.loc[measure, "winner"] != "baselines":
            continue
        base, model = judged.loc[measure, "best_baseline"], judged.loc[measure, "best_model"]
        against.append(
            f"{MEASURE_NAMES[measure]} ({base} {cell(base, measure)}, against "
            f"{cell(model, measure)} for {model})"
        )
    if against:
        text += "; a baseline wins on " + join_and(against)
    if groups["tie"]:
        text += f"; they tie on {join_and(groups['tie'])}"
    return text + "."


def scorecard_reading(card: pd.DataFrame, currency: str = "$") -> str:
    """Markdown: per target, on which measures the best model beats the best baseline (the table shows each winner).

    Parameters
    ----------
    card : DataFrame
        :func:`analysis.clv.holdout_scorecard` (index ``target``, ``method``;
        columns :data:`analysis.clv.scorecard.MEASURES`).
    currency : str
        The currency of spend (or ``"purchases"`` for a log without amounts).

    Higher is better for Gini, Spearman and the top-decile share, lower for
    decile MAPE and MAE, and a bias closer to 0. Every number is a cell of
    :func:`scorecard_table`.
    """
    verdict = scorecard_verdict(card)
    targets = list(dict.fromkeys(card.index.get_level_values(0)))
    parts = [_target_paragraph(card, verdict, str(t), currency) for t in targets]
    scored = verdict["winner"].dropna()
    if len(scored):
        wins = int((scored == "models").sum())
        lost = [m for m in MEASURES if (scored.xs(m, level=1) == "baselines").any()]
        summary = (
            f"Over {len(targets)} target{'s' if len(targets) > 1 else ''}, the best model beats the "
            f"best simple baseline on {wins} of {len(scored)} comparisons"
        )
        ties = int((scored == "tie").sum())
        summary += f" (and ties on {ties})" if ties else ""
        kind = (
            " only on measures of ranking"
            if set(lost) <= set(_RANKING)
            else (" only on measures of level" if set(lost) <= set(_LEVEL) else "")
        )
        names = join_and(MEASURE_NAMES[m] for m in lost)
        summary += f"; the baselines win{kind} ({names})." if lost else "."
        parts.append(summary)
    ranking_only = [
        str(m)
        for m in dict.fromkeys(card.index.get_level_values(1))
        if card.xs(m, level=1)[["decile_mape", "mae", "bias"]].isna().all().all()
    ]
    if ranking_only:
        parts.append(
            f"{join_and(ranking_only)} only ranks the customers, so "
            f"{'its' if len(ranking_only) == 1 else 'their'} level measures are n/a."
        )
    return "\n\n".join(parts)


def chosen_model_line(card: pd.DataFrame, name: str, currency: str = "$") -> str:
    """One sentence: the valuation model's spend forecast on the holdout, as the scorecard shows it.

    Empty when the scorecard has no row for ``name`` (the model was not fitted on the calibration).
    """
    if ("spend", name) not in card.index:
        return ""
    row = card.loc[("spend", name)]
    cells = {m: _cell(float(row[m]), m, "spend", currency) for m in MEASURES}
    return (
        f"On the holdout, customer by customer, {name} (the valuation's model) forecast spend "
        f"with Gini {cells['gini']}, Spearman {cells['spearman']}, decile MAPE "
        f"{cells['decile_mape']} and bias {cells['bias']}; its top 10% of customers delivered "
        f"{cells['top_decile_share']} of the holdout spend."
    )
