"""The findings a report opens with: three to five decisions, each with the numbers behind it.

Each report computes its findings at its end, from the tables it shows, and
writes them into the first output of the report (a display updated by id,
:data:`DISPLAY_ID`), so a reader meets the decisions first and the evidence
after. A finding is data first (:class:`Finding`: a key, a verdict of plain
values that tests check) and a sentence written from that verdict.

The functions per report: :func:`clv_findings` (03), :func:`segments_findings`
(04), :func:`strategy_findings` (05) and :func:`segment_study_findings` (the
segment studies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..clv.scorecard import BASELINES
from ._format import count, join_and, money, pct

__all__ = [
    "DISPLAY_ID",
    "PLACEHOLDER",
    "Finding",
    "findings_markdown",
    "clv_findings",
]

#: the display id of a report's findings: shown empty at the top, filled at the end
DISPLAY_ID = "findings"
#: Gini coefficients closer than this rank customers about as well (two decimals shown)
GINI_CLOSE = 0.05
#: the top 10% holding at least this share of the value: a concentrated base
CONCENTRATED = 0.5
#: what the findings' place shows until the report has run to its end
PLACEHOLDER = "**Findings.** *Written here when the report has run to its end.*"


@dataclass(frozen=True)
class Finding:
    """One opening finding: its topic, the verdict the numbers chose, the numbers, the sentence."""

    topic: str
    verdict: str
    numbers: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def findings_markdown(findings: Sequence[Finding], title: str | None = None) -> str:
    """The findings as one bullet each, under a bold ``title`` when given."""
    bullets = "\n".join(f"- {f.text}" for f in findings)
    return f"**{title}.**\n\n{bullets}" if title else bullets


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def clv_findings(
    value_summary: pd.DataFrame,
    holdout_errors: pd.DataFrame,
    card: pd.DataFrame,
    methods: pd.DataFrame,
    *,
    model: str,
    margin: float,
    horizon_years: float,
    currency: str = "$",
) -> list[Finding]:
    """The CLV report's findings: what the base is worth, which model, how to rank, what not to use.

    Parameters
    ----------
    value_summary : DataFrame
        :func:`analysis.tables.method_summary` of the valuation's CLV (one row:
        ``customers``, ``total``, ``median``, ``top_10%``).
    holdout_errors : DataFrame
        :func:`analysis.models.holdout_error_table` (index model; ``mae``,
        ``total_relative_error``).
    card : DataFrame
        The holdout scorecard (index ``target``, ``method``; ``gini``, ``bias``).
    methods : DataFrame
        :func:`analysis.tables.method_summary` of every method's values (index
        method; ``total``).
    model : str
        The valuation's count model.
    """
    out = []
    row = value_summary.iloc[0]
    top = float(row["top_10%"])
    out.append(
        Finding(
            "value",
            "concentrated" if top >= CONCENTRATED else "spread",
            {"total": float(row["total"]), "top_10": top, "median": float(row["median"])},
            f"Over {horizon_years:g} years the {count(row['customers'])} are worth "
            f"{money(row['total'], currency)} of discounted profit at the assumed "
            f"{pct(margin)} margin ({model}). The top 10% of customers hold {pct(top)} of it "
            f"and the median customer is worth {money(row['median'], currency)}"
            + (": retention money belongs with the top decile." if top >= CONCENTRATED else "."),
        )
    )
    mae = holdout_errors["mae"].astype(float).round(3).sort_values()
    bias = float(holdout_errors.loc[model, "total_relative_error"])
    others = join_and(f"{m} {v:.3f}" for m, v in mae.drop(model, errors="ignore").items())
    best = [str(m) for m, v in mae.items() if v == mae.iloc[0]]
    lean = "low" if bias < 0 else "high"
    out.append(
        Finding(
            "model",
            f"lean {lean}",
            {"model": model, "best_mae": best, "mae": mae.to_dict(), "bias": bias},
            f"{model} values every customer: on the holdout its error per customer was "
            f"{mae[model]:.3f} purchases"
            + (f" (the smallest; {others})" if model in best else f" ({others})")
            + f", and its total was {pct(abs(bias))} {'below' if bias < 0 else 'above'} the "
            f"actual count, so the values lean {lean}.",
        )
    )
    if "spend" in card.index.get_level_values(0):
        spend = card.xs("spend", level=0)
        rules = spend.loc[spend.index.isin(BASELINES)]
        fitted = spend.loc[~spend.index.isin(BASELINES)]
        rule_bias = rules["bias"].astype(float).dropna()
        if len(rules) and len(fitted) and len(rule_bias) and model in spend.index:
            g_model = float(fitted["gini"].max())
            g_rule = float(rules["gini"].max())
            close = abs(g_model - g_rule) < GINI_CLOSE
            verdict = "close" if close else ("better" if g_rule > g_model else "worse")
            ranks = {
                "close": "rank about as well as",
                "better": "rank better than",
                "worse": "rank less well than",
            }[verdict]
            model_bias = float(spend.loc[model, "bias"])
            out.append(
                Finding(
                    "rules",
                    f"rules rank {verdict}",
                    {
                        "gini_rule": g_rule,
                        "gini_model": g_model,
                        "rule_bias": (float(rule_bias.min()), float(rule_bias.max())),
                        "model_bias": model_bias,
                    },
                    f"For choosing whom to contact, the simple rules {ranks} the models (Gini "
                    f"on holdout spend {g_rule:.2f} for the best rule, {g_model:.2f} for the "
                    f"best model); for how much to spend, a model: the rules miss the holdout "
                    f"spend by {pct(rule_bias.abs().min())} to {pct(rule_bias.abs().max())}, "
                    f"{model} by {pct(abs(model_bias))}.",
                )
            )
    if "formula" in methods.index and model in methods.index:
        base = float(methods.loc[model, "total"])
        ratios = {
            m: _ratio(methods.loc[m, "total"], base)
            for m in ("formula", "retention", "markov")
            if m in methods.index
        }
        rest = join_and(f"{m} {ratios[m]:.2f} times" for m in ratios if m != "formula")
        out.append(
            Finding(
                "formula",
                "above the model" if ratios["formula"] > 1 else "not above the model",
                {"ratio_to_model": ratios},
                f"The annuity formula puts the base at "
                f"{money(methods.loc['formula', 'total'], currency)}, "
                f"{ratios['formula']:.2f} times {model}'s value"
                + (", because it lets no customer leave" if ratios["formula"] > 1 else "")
                + (f"; {rest} it" if rest else "")
                + ". None of them is the firm's value; use them as quick bounds.",
            )
        )
    return out
