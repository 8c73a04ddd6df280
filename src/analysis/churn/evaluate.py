"""Does the early warning warn? AUC and top-decile lift against the holdout, beside simpler scores.

The outcome is *inactive in the holdout* (no purchase after the calibration
end, up to the holdout end) among the **valuable** customers, those in the
top CLV tiers of the calibration customer table. Every score ranks those
customers from the calibration data alone:

- ``early_warning``: :func:`analysis.churn.warning_score`, the weighted sum
  of the four reasons (weights fixed a priori, not fitted to the outcome);
- ``p_alive``: ``1 - p_alive`` alone. Under BG/NBD it is 0 for every
  customer without a repeat purchase, whatever the silence, so those tie;
- ``expected_purchases``: minus the expected purchases in the next period;
- ``logit_cv`` (only with ``logit_folds``): the predicted probability of the
  drivers Logit (:func:`analysis.churn.fit_logit`), *cross-fitted*: the
  customers are split at random into folds and each fold is scored by the
  model fitted on the other folds, so no customer is scored by a model that
  saw its outcome. The folds share the same calendar window, so this is
  honest across customers but not forward in time.

Each score gets its AUC (:func:`analysis.churn.auc`) and the lift of its top
``fraction`` (:func:`analysis.churn.top_lift`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, NotComputable
from ..validate import require_columns
from .drivers import DEFAULT_FEATURES, driver_features, fit_logit, inactive_outcome
from .metrics import auc, top_lift
from .warning import TOP_TIERS, require_table_columns, valuable, warning_score

__all__ = ["SCORES", "active_between", "evaluation_scores", "evaluate"]

#: the scores compared, and how each is read from the calibration table
SCORES: dict[str, str] = {
    "early_warning": "warning_score: weighted sum of the four warning reasons",
    "p_alive": "1 - p_alive",
    "expected_purchases": "minus the expected purchases (expected_column)",
    "logit_cv": "drivers Logit probability of inactivity, cross-fitted over random folds",
}


def active_between(
    transactions: pd.DataFrame,
    *,
    after,
    through,
    customers=None,
    customer_id: str = "customer_id",
    date: str = "date",
) -> pd.Series:
    """Whether each customer bought in the window ``(after, through]``.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase, with ``customer_id`` and ``date`` columns.
    after : date-like
        The calibration end: purchases on this day or before do not count.
    through : date-like
        The holdout end, inclusive.
    customers : index-like, optional
        The customers to report (e.g. the calibration table's index); all in
        the log by default. A customer without purchases in the window is False.
    customer_id, date : str
        Column names.

    Returns
    -------
    Series of bool
        ``active`` indexed by ``customer_id``.
    """
    require_columns(transactions, {"customer_id": customer_id, "date": date})
    after, through = pd.Timestamp(after).normalize(), pd.Timestamp(through).normalize()
    if through <= after:
        raise ValueError(
            f"the window is empty: through ({through.date()}) <= after ({after.date()})"
        )
    when = pd.to_datetime(transactions[date]).dt.normalize()  # by day: a time of day is ignored
    inside = (when > after) & (when <= through)
    buyers = pd.Index(transactions.loc[inside.to_numpy(), customer_id].unique())
    index = pd.Index(
        customers if customers is not None else transactions[customer_id].unique()
    ).sort_values()
    return pd.Series(index.isin(buyers), index=index.rename(customer_id), name="active")


def _cross_fitted(
    table: pd.DataFrame,
    inactive: pd.Series,
    folds: int,
    seed: int,
    features: Sequence[str],
) -> pd.Series:
    if folds < 2:
        raise ValueError(f"logit_folds must be at least 2, got {folds}")
    rng = np.random.default_rng(seed)
    fold = rng.permutation(np.arange(len(table)) % folds)
    x = driver_features(table, features=features)
    out = pd.Series(np.nan, index=table.index, name="logit_cv")
    for k in range(folds):
        train = fold != k
        result = fit_logit(x[train], inactive[train])
        test = x[~train]
        exog = np.column_stack([np.ones(len(test)), test.to_numpy()])
        out[~train] = result.model.predict(result.params.to_numpy(), exog)
    return out


def evaluation_scores(
    calibration_table: pd.DataFrame,
    *,
    weights: Mapping[str, float] | None = None,
    cycle_factor: float = 3.0,
    expected_column: str = "expected_purchases_period",
) -> pd.DataFrame:
    """The three calibration scores of every customer (higher = more likely inactive).

    Returns
    -------
    DataFrame
        ``early_warning``, ``p_alive`` (``1 - p_alive``) and
        ``expected_purchases`` (minus ``expected_column``), indexed like the table.
    """
    require_table_columns(calibration_table, [expected_column])
    return pd.DataFrame(
        {
            "early_warning": warning_score(
                calibration_table, weights=weights, cycle_factor=cycle_factor
            ),
            "p_alive": 1.0 - calibration_table["p_alive"].astype(float),
            "expected_purchases": -calibration_table[expected_column].astype(float),
        },
        index=calibration_table.index,
    )


def evaluate(
    calibration_table: pd.DataFrame,
    holdout_activity: pd.Series,
    *,
    tiers=None,
    top_tiers: Sequence[str] | None = TOP_TIERS,
    fraction: float = 0.1,
    weights: Mapping[str, float] | None = None,
    cycle_factor: float = 3.0,
    expected_column: str = "expected_purchases_period",
    logit_folds: int | None = None,
    logit_features: Sequence[str] = DEFAULT_FEATURES,
    seed: int = 0,
) -> pd.DataFrame:
    """AUC and top-share lift of the early-warning score and its rivals for holdout inactivity.

    Parameters
    ----------
    calibration_table : DataFrame
        The customer table built on the calibration period only.
    holdout_activity : Series of bool
        True when the customer bought in the holdout (:func:`active_between`),
        indexed by ``customer_id``.
    tiers : Series, DataFrame or None
        CLV tiers at calibration (see :func:`analysis.segments.tiers_for`).
    top_tiers : sequence of str or None
        The valuable tiers: the population evaluated. None evaluates every customer.
    fraction : float
        The top share for the lift (0.1: the top decile).
    weights, cycle_factor
        Of the early-warning score (:func:`analysis.churn.warning_score`).
    expected_column : str
        The expected-purchases column of the table.
    logit_folds : int, optional
        Add the cross-fitted ``logit_cv`` score with this many folds; the
        Logit is fitted on all customers of the table (outside the fold),
        not only the valuable ones, and scored on the valuable ones.
    logit_features : sequence of str
        Its features (:data:`analysis.churn.FEATURES`).
    seed : int
        Seed of the random fold split.

    Returns
    -------
    DataFrame
        Indexed by ``score`` (see :data:`SCORES`): ``auc``, ``lift``,
        ``hit_rate`` (share inactive in the top group), ``base_rate`` (share
        inactive among all evaluated), ``n``, ``n_inactive``. ``attrs``
        record the population, the fraction and the outcome.
    """
    _, keep = valuable(calibration_table, tiers, top_tiers)
    inactive = inactive_outcome(calibration_table, holdout_activity)
    scores = evaluation_scores(
        calibration_table,
        weights=weights,
        cycle_factor=cycle_factor,
        expected_column=expected_column,
    )
    not_estimated: dict[str, str] = {}
    if logit_folds is not None:
        try:
            scores["logit_cv"] = _cross_fitted(
                calibration_table, inactive, logit_folds, seed, logit_features
            )
        except DataValidationError as err:  # separation, a constant feature, one outcome
            # the Logit is an extra score: a log on which it cannot be estimated still gets
            # the other scores, and the table says why this one is missing
            not_estimated["logit_cv"] = str(err)
    keep = keep.to_numpy()
    if not keep.any():
        raise DataValidationError(f"no customer of the table is in the tiers {list(top_tiers)}")
    y = inactive[keep]
    if y.all() or not y.any():
        did = "bought again" if not y.any() else "made no purchase"
        raise NotComputable(
            f"every one of the {len(y):,} customers evaluated {did} after the calibration end, so "
            "there is no one to tell apart: a warning score is tested on separating the customers "
            "who stop buying from those who stay, and this holdout has only one kind"
        )
    rows = {}
    for name in scores.columns:
        s = scores.loc[keep, name]
        lift = top_lift(s, y, fraction)
        rows[name] = {
            "auc": auc(s, y),
            "lift": lift["lift"],
            "hit_rate": lift["hit_rate"],
            "base_rate": lift["base_rate"],
            "n": int(len(y)),
            "n_inactive": int(y.sum()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("score")
    out.attrs = {
        "population": "every customer"
        if top_tiers is None
        else f"customers in the tiers {list(top_tiers)} at calibration",
        "fraction": fraction,
        "outcome": "inactive: no purchase in the holdout",
        "scores": {k: SCORES[k] for k in out.index},
        "not_estimated": not_estimated,
    }
    return out
