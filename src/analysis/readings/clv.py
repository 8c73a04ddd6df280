"""Readings of the CLV report's forecasts and values.

For ``notebooks/03_clv.ipynb``: the holdout check (:func:`holdout_reading`,
with :func:`analysis.readings.reproduction.tracking_reading`), the value per
customer (:func:`customer_value_reading`), the simpler methods
(:func:`methods_reading`), the backtest (:func:`backtest_reading`) and the
closing bullets (:func:`clv_takeaways`). Every word that carries a direction
or a verdict ("below", "best", "equally") is chosen by comparing the numbers;
methods within the precision the tables show are named together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data import PURCHASES
from ._format import cap, join_and, pct, word_for
from ._format import money as _money
from .reproduction import tracking_reading

__all__ = [
    "BIAS_WORDS",
    "TIE_SHARE",
    "TIE_PURCHASES",
    "TIE_MAE",
    "NO_DROPOUT_P_ALIVE_CLV",
    "mae_verdict",
    "holdout_reading",
    "customer_value_reading",
    "methods_reading",
    "backtest_reading",
    "clv_takeaways",
]

#: how far a forecast's total is from the actual one, in words: up to 10% "slightly",
#: up to 25% "moderately", beyond "strongly"
BIAS_WORDS: tuple[tuple[float, str], ...] = (
    (0.10, "slightly"),
    (0.25, "moderately"),
    (float("inf"), "strongly"),
)
#: methods closer than these are tied (the precision the tables show): relative errors and
#: correlations (shares), purchases per customer, and errors per customer (relative to the best)
TIE_SHARE = 0.0005
TIE_PURCHASES = 0.005
TIE_MAE = 0.001
#: a model sees no dropout among one-time buyers when all their P(alive) are at least this
NO_DROPOUT_P_ALIVE_CLV = 0.99


def _words(currency: str) -> dict:
    """The words of value: revenue and profit in a currency, or purchases for a log without amounts."""
    if str(currency).strip() == PURCHASES:
        return {"revenue": "value", "profit": ", discounted,"}
    return {"revenue": "revenue", "profit": " of discounted profit"}


def _signed(x: float, more: str = "above", less: str = "below") -> str:
    """``12% below`` / ``3.4% above`` / ``equal to`` for a relative difference."""
    if x == 0:
        return "equal to"
    return f"{pct(abs(x))} {more if x > 0 else less}"


def _signed_range(errors: pd.Series) -> str:
    """``12% to 16% below`` when the relative errors share a sign, else ``from a to b``."""
    lo, hi = errors.abs().min(), errors.abs().max()
    if (errors < 0).all() or (errors > 0).all():
        word = "below" if (errors < 0).all() else "above"
        span = pct(lo) if pct(lo) == pct(hi) else f"{pct(lo)} to {pct(hi)}"
        return f"{span} {word}"
    return f"from {_signed(errors.min())} to {_signed(errors.max())}"


def _best(values: pd.Series, *, lowest: bool, tie: float, relative: bool = False) -> list[str]:
    """The names whose value is within ``tie`` of the best (times the best when ``relative``)."""
    values = values.astype(float)
    best = values.min() if lowest else values.max()
    band = tie * abs(best) if relative else tie
    return [str(n) for n, v in values.items() if abs(v - best) <= band]


def _are(names: list[str], singular: str, plural: str) -> str:
    """``A is closest`` / ``A and B are equally closest``-style subject and verb."""
    return f"{join_and(names)} {singular}" if len(names) == 1 else f"{join_and(names)} {plural}"


def _direction(errors: pd.Series) -> str:
    """``"low"``, ``"high"`` or ``"mixed"``: the common sign of the relative errors."""
    if (errors < 0).all():
        return "low"
    if (errors > 0).all():
        return "high"
    return "mixed"


def _spread(values: pd.Series, fmt) -> str:
    """``a`` when all equal (as written), else ``a to b``."""
    lo, hi = fmt(values.min()), fmt(values.max())
    return lo if lo == hi else f"{lo} to {hi}"


def mae_verdict(mae: pd.Series, decimals: int = 3) -> dict:
    """Which model has the smallest error per customer, at the precision the table shows.

    Returns ``{"best": [names], "value": the smallest error as shown, "others":
    {name: error as shown}}``; models whose errors are equal once rounded to
    ``decimals`` share the first place, so a reading never calls two errors
    the same that the table shows differently.
    """
    shown = mae.astype(float).round(decimals).sort_values()
    best = [str(m) for m, v in shown.items() if v == shown.iloc[0]]
    others = {str(m): float(v) for m, v in shown.items() if str(m) not in best}
    return {"best": best, "value": float(shown.iloc[0]), "others": others}


def holdout_reading(
    holdout: pd.DataFrame, errors: pd.DataFrame, tracking: pd.DataFrame | None = None
) -> str:
    """What the holdout says of the count models: shape, level, per customer, over time.

    Parameters
    ----------
    holdout : DataFrame
        :func:`analysis.models.holdout_comparison` (index calibration
        frequency group, ``customers``, ``actual`` and one column per model).
    errors : DataFrame
        :func:`analysis.models.holdout_error_table` (index model, ``mae``,
        ``total_actual``, ``total_predicted``, ``total_relative_error``,
        ``correlation``).
    tracking : DataFrame, optional
        :func:`analysis.models.validation.tracking_table`.
    """
    models = list(errors.index)
    actual = holdout["actual"].astype(float)
    rises = bool((actual.diff().dropna() > 0).all())
    first = (
        "Mean holdout purchases rise with the number of calibration purchases in every group"
        if rises
        else "Mean holdout purchases do not rise steadily with the number of calibration purchases"
    )
    gaps = holdout[models].sub(actual, axis=0).abs()
    closest = [_best(gaps.loc[g], lowest=True, tie=TIE_PURCHASES) for g in gaps.index]
    alone = pd.Series([c[0] for c in closest if len(c) == 1], dtype=object)
    ties = sum(len(c) > 1 for c in closest)
    tied = f" (in {ties} the models tie)" if ties else ""
    if len(alone):
        wins = alone.value_counts().sort_values(ascending=False)
        first += (
            f"; group by group {wins.index[0]} is closest in {int(wins.iloc[0])} of the "
            f"{len(holdout)} groups{tied}"
        )
    else:
        first += f"; group by group the models' forecasts tie (within {TIE_PURCHASES} purchases)"
    g0 = str(holdout.index[0])
    who = (
        "the customers without a repeat purchase in calibration"
        if g0 == "0"
        else f"the customers with {g0} repeat purchases in calibration"
    )
    first += (
        f", and for {who} ({int(holdout['customers'].iloc[0]):,} customers, "
        f"{actual.iloc[0]:.2f} holdout purchases each) "
        + _are(closest[0], "is closest", "are equally close")
        + " "
        f"({join_and(f'{m} {holdout[m].iloc[0]:.2f}' for m in models)})."
    )
    rel = errors["total_relative_error"].astype(float)
    total = float(errors["total_actual"].iloc[0])
    direction = _direction(rel)
    level = {
        "low": f"All {len(models)} models predict fewer purchases than were made",
        "high": f"All {len(models)} models predict more purchases than were made",
        "mixed": "The models disagree on the level",
    }[direction]
    second = (
        f"{level}: the cohort made {total:,.0f} repeat purchases in the holdout, and from the "
        f"customers' own histories the models predict "
        + join_and(f"{_signed(rel[m])} ({m})" for m in rel.abs().sort_values().index)
        + "."
    )
    # the error per customer and the correlation are the table's (and the findings') to show
    parts = [first, second]
    if tracking is not None and len(tracking):
        parts.append(tracking_reading(tracking))
    size = word_for(float(rel.abs().max()), BIAS_WORDS, above=False)
    verdict = {
        "low": f"{size} conservative in level ({_signed_range(rel)}), the safe side for a valuation",
        "high": f"{size} optimistic in level ({_signed_range(rel)}): the valuations lean high",
        "mixed": "without a common bias in level",
    }[direction]
    shape = "have the right shape" if rises else "do not all follow a rising shape"
    parts.append(f"For the firm, the forecasts {shape} and are {verdict}.")
    return " ".join(parts)


def customer_value_reading(
    summary: pd.DataFrame,
    value: pd.Series,
    frequency: pd.Series,
    p_alive: pd.Series,
    *,
    margin: float,
    horizon_years: float,
    top: int = 10,
    currency: str = "$",
) -> str:
    """What each customer is worth under the chosen model, and where the value sits.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.tables.method_summary` of the value (one row, named by the model).
    value, frequency, p_alive : Series
        Per customer: the CLV, the repeat purchases and the model's P(alive).
    margin, horizon_years : float
        For the words.
    top : int
        Size of the top-customers group described.
    currency : str
        The currency, or ``"purchases"`` for a log without amounts (no margin then).
    """

    def money(x):
        return _money(x, currency)

    row = summary.iloc[0]
    model = str(summary.index[0])
    n = int(row["customers"])
    one_time = frequency.eq(0)
    at = (
        "Counted in purchases, "
        if str(currency).strip() == PURCHASES
        else f"At the assumed {pct(margin)} margin "
    )
    text = [
        f"{at}the {n:,} customers are worth "
        f"{money(row['total'])}{_words(currency)['profit']} over the next {horizon_years:g} years, "
        f"{money(row['mean'])} on average; the median customer is worth {money(row['median'])}. "
        f"The top 10% of customers hold {pct(row['top_10%'])} of the value and the top 20% hold "
        f"{pct(row['top_20%'])}."
    ]
    if one_time.any():
        text.append(
            f"{pct(one_time.mean())} of the customers never bought again; they are valued at "
            f"{money(value[one_time].mean())} on average, against "
            f"{money(value[~one_time].mean())} for the repeat buyers."
        )
    best = value.nlargest(top).index
    text.append(
        f"The {len(best)} most valuable customers made {int(frequency[best].min())} to "
        f"{int(frequency[best].max())} repeat purchases (the median customer made "
        f"{frequency.median():g}) and have P(alive) of at least {np.floor(p_alive[best].min() * 100) / 100:.2f}."
    )
    if float(p_alive.min()) >= NO_DROPOUT_P_ALIVE_CLV:
        text.append(
            f"{model} gives every customer P(alive) of at least {NO_DROPOUT_P_ALIVE_CLV}: the fit "
            "sees no dropout, so these values assume that no customer leaves, an upper bound."
        )
    elif one_time.any() and float(p_alive[one_time].min()) >= NO_DROPOUT_P_ALIVE_CLV:
        text.append(
            f"{model} cannot lose a customer who never bought again: every one-time buyer has "
            f"P(alive) of at least {NO_DROPOUT_P_ALIVE_CLV}, so they are all valued alike; a "
            "model that lets them leave values them lower (the next table sets the models' totals side by side)."
        )
    return " ".join(text)


def methods_reading(
    summary: pd.DataFrame,
    rank_correlation: pd.DataFrame,
    models: Sequence[str],
    yearly_retention: float | None = None,
    *,
    currency: str = "$",
) -> str:
    """How the simple methods and the models value the same customers, from the totals and ranks.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.tables.method_summary` of every method (index method).
    rank_correlation : DataFrame
        Spearman correlation of the methods' per-customer values.
    models : sequence of str
        Which rows are the probabilistic models; the others are simple methods.
    yearly_retention : float, optional
        The one retention rate of the retention method, for the words.
    currency : str
        The currency, or ``"purchases"`` for a log without amounts.
    """

    def money(x):
        return _money(x, currency)

    totals = summary["total"].astype(float)
    models = [m for m in models if m in totals.index]
    simple = [m for m in totals.index if m not in models]
    hi, lo = totals.idxmax(), totals.idxmin()
    factor = totals[hi] / totals[lo] if totals[lo] > 0 else np.inf
    lines = [
        f"The methods' totals differ by a factor of {factor:.1f}: from {money(totals[lo])} "
        f"({lo}) to {money(totals[hi])} ({hi})."
    ]
    model_total = float(totals[models].mean()) if models else np.nan
    for m in simple:
        ratio = totals[m] / model_total - 1 if models else np.nan
        line = f"- **{m}**: {money(totals[m])}"
        if models:
            line += f", {_signed(ratio)} the models' mean total"
        # its concentration (top 10%) is the table's
        if m == "retention" and yearly_retention is not None:
            line += f" (one yearly retention rate of {pct(yearly_retention)} for everyone)"
        # a pair that ranks alike is named once, on the first of the two
        later = simple[simple.index(m) + 1 :]
        same_rank = [o for o in later if rank_correlation.loc[m, o] > 1 - 1e-9]
        if same_rank:
            line += f"; it ranks the customers exactly as {join_and(same_rank)} (correlation 1)"
        lines.append(line + ".")
    if len(models) > 1:
        pairs = [rank_correlation.loc[a, b] for i, a in enumerate(models) for b in models[i + 1 :]]
        lines.append(
            f"- **The probabilistic models** ({join_and(models)}) total "
            f"{_spread(totals[models], money)}, with rank correlations of "
            f"{_spread(pd.Series(pairs), lambda x: f'{x:.2f}')} among them"
            + (
                f" and of {_spread(rank_correlation.loc[models, simple].stack(), lambda x: f'{x:.2f}')}"
                " with the simple methods."
                if simple
                else "."
            )
        )
    # which to trust: the holdout scorecard's question (section 4, and the findings)
    return "\n".join(lines)


def backtest_reading(backtest: pd.DataFrame, *, currency: str = "$") -> str:
    """The backtest's verdict: the best method for the level, per customer and for the ranking.

    ``backtest``: :func:`analysis.models.value_errors` (index method,
    ``total_actual``, ``total_relative_error``, ``mae``, ``spearman``);
    ``currency`` the currency or ``"purchases"`` for a log without amounts.
    """

    def money(x):
        return _money(x, currency)

    rel = backtest["total_relative_error"].astype(float)
    level = _best(rel.abs(), lowest=True, tie=TIE_SHARE)
    per_customer = _best(backtest["mae"], lowest=True, tie=TIE_MAE, relative=True)
    ranking = _best(backtest["spearman"], lowest=False, tie=TIE_SHARE)
    worst_level = _best(rel.abs(), lowest=False, tie=TIE_SHARE)
    each = join_and(f"{m} {_signed(rel[m])}" for m in rel.abs().sort_values().index)
    ranks = backtest["spearman"].astype(float).drop(ranking).sort_values(ascending=False)
    runner_up = (
        f", against {ranks.iloc[0]:.3f} for the next, {ranks.index[0]}" if len(ranks) else ""
    )
    mae = money(backtest.loc[per_customer[0], "mae"])
    text = [
        f"Against the actual holdout {_words(currency)['revenue']} of "
        f"{money(backtest['total_actual'].iloc[0])}, the "
        f"totals are {each} it.",
        _are(level, "is closest in total", "are equally close in total")
        + f" and {join_and(worst_level)} furthest from it; "
        + _are(per_customer, "has the smallest error", "have the same, smallest error")
        + f" per customer (mean absolute error {mae}).",
        _are(ranking, "ranks the customers best", "rank the customers equally best")
        + f" (rank correlation {backtest.loc[ranking[0], 'spearman']:.3f}{runner_up}).",
    ]
    if level == per_customer == ranking:
        text.append(
            f"So the backtest names {'one method' if len(level) == 1 else 'the methods'} to "
            f"trust, {join_and(level)}, on all three counts."
        )
    else:
        text.append(
            f"So the firm should trust {join_and(level)} for the level of value"
            + (
                " and per customer"
                if per_customer == level
                else f", {join_and(per_customer)} per customer"
            )
            + f", and {join_and(ranking)} for the ranking of customers."
        )
    return " ".join(text)


def clv_takeaways(
    summary: pd.DataFrame,
    holdout_errors: pd.DataFrame,
    backtest: pd.DataFrame,
    *,
    margin: float,
    horizon_years: float,
    models: Sequence[str],
    currency: str = "$",
) -> str:
    """The report's closing bullets, each from one table.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.tables.method_summary` of the chosen model's CLV (one row).
    holdout_errors : DataFrame
        :func:`analysis.models.holdout_error_table`.
    backtest : DataFrame
        :func:`analysis.models.value_errors` of every method.
    margin, horizon_years : float
    models : sequence of str
        The probabilistic models among the backtest's methods.
    currency : str
        The currency, or ``"purchases"`` for a log without amounts (no margin then).
    """

    def money(x):
        return _money(x, currency)

    words = _words(currency)
    purchases_only = str(currency).strip() == PURCHASES
    row = summary.iloc[0]
    purchases = holdout_errors["total_relative_error"].astype(float)
    rel = backtest["total_relative_error"].astype(float)
    model_rel = rel[[m for m in models if m in rel.index]]
    level = _best(rel.abs(), lowest=True, tie=TIE_SHARE)
    ranking = _best(backtest["spearman"], lowest=False, tie=TIE_SHARE)
    scale = (
        "The log has no amounts, so value is counted in purchases: give `value_per_purchase` to "
        "value them in currency."
        if purchases_only
        else "CLV scales with the margin: replace it with the firm's own figure."
    )
    bullets = [
        f"Over {horizon_years:g} years the customers are worth {money(row['total'])}"
        f"{words['profit'].rstrip(',')}"
        + ("" if purchases_only else f" at an assumed {pct(margin)} margin")
        + f" ({summary.index[0]}); the top fifth of the customers hold {pct(row['top_20%'])} of "
        f"it. {scale}",
        f"On the holdout the models' purchase forecasts are {_signed_range(purchases)} the "
        "actual count"
        + (
            f", and their {words['revenue']} forecasts {_signed_range(model_rel)} the actual "
            f"{words['revenue']}."
            if len(model_rel)
            else "."
        ),
        f"In the backtest {join_and(level)} "
        + ("comes closest" if len(level) == 1 else "come equally close")
        + f" to the total {words['revenue']} and {join_and(ranking)} "
        + ("ranks the customers best." if len(ranking) == 1 else "rank the customers equally best.")
        + "".join(
            f" {cap(m)} is {_signed(rel[m], 'above', 'below')} the actual total."
            for m in rel.index
            if m not in models
        ),
    ]
    return "\n".join(f"- {b}" for b in bullets)
