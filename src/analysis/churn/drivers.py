"""What drives inactivity: a logistic regression of "no purchase in the holdout" on calibration features.

:func:`drivers` fits a statsmodels ``Logit`` of the outcome *inactive in the
holdout* (no purchase after the calibration end) on features of the
calibration customer table (:func:`driver_features`, :data:`FEATURES`), and
reports each feature's odds ratio with its 95% Wald confidence interval and
p-value. Features are put on scales whose odds ratios read directly (per
doubling, per month of silence).

Separation: when a feature, or a combination of features, predicts the
outcome perfectly (or perfectly on one side), the maximum-likelihood
estimate does not exist and its odds ratio runs to 0 or infinity. This
module does not regularise (a penalised fit would give no honest
confidence intervals); it raises :class:`SeparationError` saying which
feature separates, when one does on its own, and what to do (drop it, merge
stages, or use more customers).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from ..errors import DataValidationError, where_rows
from ..units import DAYS_PER_MONTH, STAGES
from .warning import require_table_columns

__all__ = [
    "FEATURES",
    "DEFAULT_FEATURES",
    "SEPARATION_COEF",
    "SeparationError",
    "inactive_outcome",
    "driver_features",
    "MIN_FEATURE_STD",
    "informative_features",
    "fit_logit",
    "drivers",
]

#: the driver features: name and meaning (the unit its odds ratio is per)
FEATURES: dict[str, str] = {
    "log2_purchases": "log2 of the purchase days to date, the first included (per doubling)",
    "months_since_last": "days since the last purchase / 30.44 (per month of silence)",
    "log2_cycle": "log2 of purchase_cycle_days over the median cycle of the repeat buyers, "
    "0 without a repeat purchase (per doubling of the cycle)",
    "no_repeat": "1 for a customer without a repeat purchase, hence no cycle (vs a repeat "
    "buyer with the median cycle)",
    "log2_spend": "log2 of 1 + the mean spend per purchase day, revenue / purchases (per doubling)",
    "p_alive": "the model's probability alive at the calibration end (from 0 to 1)",
    "stage": "one 0/1 column stage_<name> per stage present but the reference stage "
    "(the first present in STAGES order): the customer's last stage (vs the reference)",
}

#: the features fitted by default: all of :data:`FEATURES`
DEFAULT_FEATURES: tuple[str, ...] = tuple(FEATURES)

#: an absolute coefficient above this (odds ratio beyond e**15 per unit) is read as separation
SEPARATION_COEF: float = 15.0


class SeparationError(DataValidationError):
    """The outcome is perfectly predicted (separated), so the Logit's odds ratios do not exist."""


def inactive_outcome(table: pd.DataFrame, active_in_holdout: pd.Series) -> pd.Series:
    """The outcome ``inactive`` (True = no purchase in the holdout) for every customer of ``table``.

    Parameters
    ----------
    table : DataFrame
        Indexed by ``customer_id``.
    active_in_holdout : Series of bool
        True when the customer bought in the holdout, indexed by
        ``customer_id`` (see :func:`analysis.churn.active_between`). Customers
        not in ``table`` are ignored.

    Returns
    -------
    Series of bool
        ``inactive`` aligned to ``table.index``.
    """
    if not isinstance(active_in_holdout, pd.Series):
        raise DataValidationError(
            "active_in_holdout must be a boolean Series indexed by customer_id "
            "(analysis.churn.active_between builds it from the log)"
        )
    missing = table.index.difference(active_in_holdout.dropna().index)
    if len(missing):
        raise DataValidationError(
            f"active_in_holdout has no value for {len(missing)} customer(s) of the table "
            f"({where_rows(missing, None, None)}); give every customer True or False"
        )
    active = active_in_holdout.reindex(table.index)
    if not np.isin(active.to_numpy(), [0, 1, True, False]).all():
        raise DataValidationError("active_in_holdout must hold True/False (True = bought)")
    return (~active.astype(bool)).rename("inactive")


def driver_features(
    table: pd.DataFrame,
    *,
    features: Sequence[str] = DEFAULT_FEATURES,
    reference_stage: str | None = None,
) -> pd.DataFrame:
    """The calibration features of :data:`FEATURES` per customer, as floats.

    Parameters
    ----------
    table : DataFrame
        The calibration customer table: ``purchases``, ``revenue``,
        ``days_since_last``, ``purchase_cycle_days``, ``p_alive``, ``stage``
        (the columns of the features asked for).
    features : sequence of str
        Names from :data:`FEATURES`.
    reference_stage : str, optional
        The stage without a column; the first stage present in
        :data:`analysis.units.STAGES` order by default.

    Returns
    -------
    DataFrame
        One float column per feature (``stage`` expands to ``stage_<name>``
        columns), indexed like ``table``.
    """
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature(s) {unknown}; choose from {list(FEATURES)}")
    needs = {
        "log2_purchases": ["purchases"],
        "months_since_last": ["days_since_last"],
        "log2_cycle": ["purchase_cycle_days"],
        "no_repeat": ["purchase_cycle_days"],
        "log2_spend": ["revenue", "purchases"],
        "p_alive": ["p_alive"],
        "stage": ["stage"],
    }
    cols = sorted({c for f in features for c in needs[f]})
    require_table_columns(table, cols)
    for c in cols:
        if c in ("purchase_cycle_days", "stage"):
            continue
        bad = table[c].isna().to_numpy()
        if bad.any():
            raise DataValidationError(
                f"column {c!r} is missing at {where_rows(table.index[bad], None, None)}; "
                "every customer needs a value"
            )
    out = pd.DataFrame(index=table.index)
    cycle = table["purchase_cycle_days"].astype(float) if "purchase_cycle_days" in cols else None
    for f in features:
        if f == "log2_purchases":
            out[f] = np.log2(table["purchases"].astype(float).clip(lower=1.0))
        elif f == "months_since_last":
            out[f] = table["days_since_last"].astype(float) / DAYS_PER_MONTH
        elif f == "log2_cycle":
            median = cycle.median() if cycle.notna().any() else 1.0
            out[f] = np.log2(cycle.clip(lower=1.0) / max(median, 1.0)).fillna(0.0)
        elif f == "no_repeat":
            out[f] = cycle.isna().astype(float)
        elif f == "log2_spend":
            spend = table["revenue"].astype(float) / table["purchases"].astype(float).clip(lower=1)
            out[f] = np.log2(1.0 + spend.clip(lower=0.0))
        elif f == "p_alive":
            out[f] = table["p_alive"].astype(float)
        else:
            stage = table["stage"].astype(str)
            present = [s for s in STAGES if (stage == s).any()]
            if not present:
                raise DataValidationError(
                    f"column 'stage' holds none of the stages {list(STAGES)}; "
                    "drop 'stage' from features or build the table with customer_table"
                )
            ref = reference_stage if reference_stage is not None else present[0]
            if ref not in present:
                raise ValueError(f"reference_stage {ref!r} is not among the stages {present}")
            for s in present:
                if s != ref:
                    out[f"stage_{s}"] = (stage == s).astype(float)
            out.attrs["reference_stage"] = ref
    return out


#: a feature whose standard deviation over the customers is below this carries no information
MIN_FEATURE_STD: float = 1e-6


def informative_features(
    table: pd.DataFrame,
    features: Sequence[str] = DEFAULT_FEATURES,
    *,
    min_std: float = MIN_FEATURE_STD,
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The features that vary over the table's customers, and why the others are left out.

    A feature that is (nearly) the same for every customer cannot be fitted
    beside the intercept: P(alive) is 1 for everyone when the count model
    found no dropout (a boundary fit), and ``stage`` has no column when only
    one stage is present.

    Parameters
    ----------
    table : DataFrame
        The calibration customer table (see :func:`driver_features`).
    features : sequence of str
        Names from :data:`FEATURES`.
    min_std : float
        A feature whose every column has a standard deviation below this
        (in the feature's unit) is left out.

    Returns
    -------
    tuple
        ``(kept, left_out)``: the informative feature names in the given
        order, and a mapping of each feature left out to the reason.
    """
    x = driver_features(table, features=features)
    kept: list[str] = []
    left_out: dict[str, str] = {}
    for f in features:
        cols = [c for c in x.columns if c.startswith("stage_")] if f == "stage" else [f]
        if not cols:
            left_out[f] = "only one stage is present, so there is no stage to compare with"
            continue
        spread = max(float(x[c].std(ddof=0)) for c in cols)
        if spread < min_std:
            left_out[f] = (
                f"the same for every customer (standard deviation {spread:.2g} below {min_std:g})"
            )
        else:
            kept.append(f)
    return tuple(kept), left_out


def separating_dummies(x: pd.DataFrame, y: np.ndarray) -> dict[str, str]:
    """0/1 columns whose ones (or zeros) all share one outcome: quasi-complete separation.

    Returns
    -------
    dict
        Column name -> why it separates (e.g. "every customer with no_repeat = 1 is inactive").
    """
    found = {}
    for name in x.columns:
        col = x[name].to_numpy()
        if not np.isin(col, [0.0, 1.0]).all():
            continue
        for side in (1.0, 0.0):
            group = y[col == side]
            if len(group) and (group.all() or not group.any()):
                outcome = "inactive" if group.all() else "active"
                found[name] = f"every customer with {name} = {side:g} is {outcome}"
                break
    return found


def fit_logit(x: pd.DataFrame, inactive: pd.Series):
    """Fit ``Logit(inactive ~ const + x)`` by Newton's method, refusing separated data.

    Parameters
    ----------
    x : DataFrame
        Features (floats, no constant), indexed by ``customer_id``.
    inactive : Series of bool
        The outcome, aligned to ``x``.

    Returns
    -------
    statsmodels ``BinaryResultsWrapper``
        The converged fit.

    Raises
    ------
    SeparationError
        When a feature or the features together separate the outcome: no
        convergence, statsmodels' perfect-prediction warning, or a
        coefficient beyond :data:`SEPARATION_COEF`.
    DataValidationError
        When the outcome has one class, a feature is constant, or the
        features are collinear.
    """
    y = inactive.reindex(x.index).to_numpy(dtype=float)
    if y.min() == y.max():
        raise DataValidationError(
            f"all {len(y)} customers are {'inactive' if y[0] else 'active'} in the holdout; "
            "the Logit needs both outcomes"
        )
    constant = [c for c in x.columns if x[c].nunique() <= 1]
    if constant:
        raise DataValidationError(
            f"feature(s) {constant} take a single value over these customers; drop them "
            "with features=... (the intercept already carries a constant)"
        )
    xc = sm.add_constant(x, has_constant="add")
    if np.linalg.matrix_rank(xc.to_numpy()) < xc.shape[1]:
        raise DataValidationError(
            f"the features {list(x.columns)} are collinear (one is a combination of others); "
            "drop one with features=..."
        )
    dummies = separating_dummies(x, y.astype(bool))
    if dummies:
        raise SeparationError(
            "quasi-complete separation: "
            + "; ".join(f"{k} ({why})" for k, why in dummies.items())
            + ". Its odds ratio would be 0 "
            "or infinite: drop the feature with features=..., merge the stage, or use more "
            "customers"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = sm.Logit(y, xc).fit(method="newton", maxiter=100, disp=0)
        except PerfectSeparationError as exc:  # older statsmodels raise instead of warning
            raise SeparationError(_separation_message(x.columns)) from exc
    kinds = {type(w.message) for w in caught}
    big = result.params.abs() > SEPARATION_COEF
    if (
        PerfectSeparationWarning in kinds
        or not result.mle_retvals.get("converged", False)
        or big.any()
        or not np.all(np.isfinite(result.bse))
    ):
        where = f" (coefficients {list(result.params.index[big])} run away)" if big.any() else ""
        raise SeparationError(_separation_message(x.columns) + where)
    if ConvergenceWarning in kinds:  # pragma: no cover - converged flag catches it first
        raise SeparationError(_separation_message(x.columns))
    return result


def _separation_message(columns) -> str:
    return (
        f"the features {list(columns)} separate inactive from active customers (perfect or "
        "near-perfect prediction), so the Logit's odds ratios do not exist; drop the feature "
        "that separates with features=..., or fit on more customers"
    )


def drivers(
    calibration_table: pd.DataFrame,
    active_in_holdout: pd.Series,
    *,
    features: Sequence[str] = DEFAULT_FEATURES,
    customers=None,
    reference_stage: str | None = None,
    drop_separating: bool = False,
) -> pd.DataFrame:
    """Odds ratios of calibration features for inactivity in the holdout, from a Logit.

    Parameters
    ----------
    calibration_table : DataFrame
        The customer table built on the calibration period only.
    active_in_holdout : Series of bool
        True when the customer bought in the holdout, indexed by ``customer_id``.
    features : sequence of str
        Names from :data:`FEATURES` (all by default).
    customers : index-like, optional
        Fit on these customers only (e.g. the valuable ones); all by default.
    reference_stage : str, optional
        See :func:`driver_features`.
    drop_separating : bool
        Leave out a 0/1 feature (a stage dummy, ``no_repeat``) whose ones or
        zeros all share one outcome, instead of raising: its odds ratio would
        be 0 or infinite. What was left out, and why, is in
        ``attrs["dropped"]``, so a report can say it.

    Returns
    -------
    DataFrame
        Indexed by ``term`` (``const``, then the feature columns):
        ``coef`` (log-odds), ``std_err``, ``odds_ratio``, ``ci_low``,
        ``ci_high`` (95% Wald interval of the odds ratio), ``p_value`` (Wald
        z test) and ``meaning``. ``attrs``: ``n``, ``n_inactive``,
        ``log_likelihood``, ``pseudo_r2`` (McFadden), ``reference_stage``,
        ``outcome``.

    Raises
    ------
    SeparationError
        When the features separate the outcome (see :func:`fit_logit`).
    """
    table = calibration_table
    if customers is not None:
        customers = pd.Index(customers)
        unknown = customers.difference(table.index)
        if len(unknown):
            raise DataValidationError(
                f"customers {where_rows(unknown, None, None)} are not in the calibration table"
            )
        table = table.loc[customers]
    y = inactive_outcome(table, active_in_holdout)
    x = driver_features(table, features=features, reference_stage=reference_stage)
    dropped = separating_dummies(x, y.to_numpy(dtype=bool)) if drop_separating else {}
    x = x.drop(columns=list(dropped))
    result = fit_logit(x, y)
    ci = result.conf_int(alpha=0.05)
    meaning = {"const": "odds of inactivity at every feature 0 (the reference stage)"}
    for name in x.columns:
        meaning[name] = FEATURES["stage"] if name.startswith("stage_") else FEATURES[name]
    out = pd.DataFrame(
        {
            "coef": result.params,
            "std_err": result.bse,
            "odds_ratio": np.exp(result.params),
            "ci_low": np.exp(ci[0]),
            "ci_high": np.exp(ci[1]),
            "p_value": result.pvalues,
            "meaning": pd.Series(meaning),
        }
    ).rename_axis("term")
    out.attrs = {
        "n": int(len(y)),
        "n_inactive": int(y.sum()),
        "log_likelihood": float(result.llf),
        "pseudo_r2": float(result.prsquared),
        "reference_stage": x.attrs.get("reference_stage"),
        "outcome": "inactive: no purchase in the holdout",
        "dropped": dropped,
    }
    return out
