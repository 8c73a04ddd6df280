"""A learned risk of going quiet: the probability of no purchase within a horizon, fitted on the log's past.

:func:`fit_inactivity_risk` sets the clock back to earlier cuts of the log,
``c_k = observation_end - k * window`` (``k = 1, 2, ...``), builds the
customer table at each cut from the purchases up to it alone
(:func:`analysis.customers.customer_table` with the valuation's count model
refitted, no holdout step, no intervals), labels every customer by what
happened next (*quiet*: no purchase in ``(c_k, c_k + window]``), pools the
customers of all cuts and fits a statsmodels ``Logit`` of *quiet* on
features of the table (:data:`RISK_FEATURES`). The fitted model then scores
the table at ``observation_end``. Nothing after ``observation_end`` is read:
the log is cut first.

Choices, each written down:

- **Window.** The label window is ``horizon`` when the log holds at least
  ``min_cuts`` cuts with a full horizon after them and ``min_history_days``
  of purchases before them. Otherwise it is the longest ``horizon / m``
  (``m = 2, 3, ...``, at least :data:`MIN_WINDOW_DAYS`) that does; the risk
  is then of a silence of that window: it ranks customers for the horizon
  but is not its probability (``RiskModel.window_days``, ``RiskModel.note``).
- **Count model.** One model values every cut: the one
  :func:`~analysis.customers.customer_table` picks at ``observation_end``
  (``model="auto"``, its holdout rule) or the one named.
- **Fit.** Maximum likelihood with standard errors clustered by customer (a
  customer appears once per cut). When the data separate the outcome (no
  convergence, or a coefficient beyond :data:`SEPARATION_COEF`) the fit is
  L2-penalised (``RiskModel.penalty``), and the odds ratios then have no
  interval.
- **Calibration.** The latest cut is held out: the model fitted on the
  older cuts predicts it, giving the reliability table (predicted against
  observed, by decile of prediction). When its predictions are off (the mean
  by more than :data:`CALIBRATION_TOLERANCE`, or a calibration slope outside
  :data:`CALIBRATION_SLOPE`) a Platt step (a logistic regression of the
  outcome on the log-odds) is applied to the final model, fitted on all
  cuts: refitted on that model's own log-odds of the latest cut, the cut
  most like today, so that its level is the latest cut's.
- **Fallback.** With fewer than ``min_cuts`` usable cuts, fewer than
  ``min_outcome`` customers of either outcome, or no fit, the risk is the
  count model's own probability of no purchase within ``horizon``
  (``p_quiet``), the simple score that is a probability of the very event
  asked; ``RiskModel.fallback`` says why.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit, logit
from scipy.stats import norm

from ..customers import TableInfo, value_customers
from ..data import up_to
from ..errors import DataValidationError
from ..models import model_from_dict
from ..units import STAGES, unit_days
from .compare import calibration_check, reliability_table

__all__ = ["CALIBRATION_SLOPE", "CALIBRATION_TOLERANCE", "MIN_WINDOW_DAYS", "OVERDUE_CAP"]
__all__ += ["RISK_FEATURES", "RiskModel", "fit_inactivity_risk", "inactivity_risk", "p_quiet"]
__all__ += ["quiet_between", "risk_features", "training_cuts"]

#: the Logit's features: name and the unit its odds ratio is per
RISK_FEATURES: dict[str, str] = {
    "log2_purchases": "log2 of the purchase days to date (per doubling)",
    "log2_age": "log2 of 1 + days since the first purchase (per doubling)",
    "log2_silence": "log2 of 1 + days since the last purchase (per doubling)",
    "log2_overdue": "log2 of 1 + silence / own purchase cycle, capped at OVERDUE_CAP cycles; "
    "0 without a repeat purchase (per doubling)",
    "no_repeat": "1 for a customer without a repeat purchase (no cycle of its own)",
    "log2_recent": "log2 of 1 + purchase days in the last window before the cut: the trend "
    "(per doubling)",
    "log2_spend": "log2 of 1 + revenue per purchase day (per doubling)",
    "p_alive": "the count model's P(alive) (from 0 to 1)",
    "log2_expected": "log2 of 0.01 + expected purchases in the next period (per doubling)",
    "logit_p_quiet": "log-odds of the count model's probability of no purchase in the window "
    "(per unit of log-odds)",
    "log2_periods_in_stage": "log2 of the periods in the current stage (per doubling)",
    "stage": "one 0/1 column stage_<name> per stage but the most common (the reference)",
}
#: the silence counts as at most this many own purchase cycles
OVERDUE_CAP: float = 20.0
#: the shortest label window tried when the horizon does not fit the log (days)
MIN_WINDOW_DAYS: int = 28
#: held-out mean prediction off the observed share by more than this: recalibrate
CALIBRATION_TOLERANCE: float = 0.02
#: held-out calibration slope outside this range: recalibrate
CALIBRATION_SLOPE: tuple[float, float] = (0.8, 1.25)
#: an absolute coefficient above this is read as separation (odds ratio beyond e**15)
SEPARATION_COEF: float = 15.0
#: the L2 penalty of the fallback fit (per customer row, on standardised features)
L2_PENALTY: float = 1e-3


@dataclass(frozen=True)
class RiskModel:
    """The learned risk of going quiet and how it was learned.

    Attributes
    ----------
    risk : Series
        ``risk`` per customer of the table at ``observation_end``: the
        probability of no purchase within ``window_days`` after it.
    score : str
        ``"logit"`` (the learned model) or ``"p_quiet"`` (the fallback).
    odds_ratios : DataFrame or None
        Per term of the final fit: ``coef``, ``odds_ratio``, ``ci_low``,
        ``ci_high`` (95%, clustered by customer; NaN when penalised),
        ``p_value``, ``meaning``. None on the fallback.
    training : DataFrame
        One row per cut tried: ``cut``, ``window_end``, ``customers``,
        ``quiet``, ``quiet_share``, ``role`` (``"train"``; ``"train, held out
        for the check"`` for the latest, predicted by the older cuts' fit; or
        why it was not used).
    reliability : DataFrame or None
        On the held-out cut: ``bin``, ``customers``, ``predicted`` (raw
        model), ``calibrated`` (after the Platt step, equal when none),
        ``observed``.
    calibration : dict
        :func:`analysis.churn.compare.calibration_check` on the held-out
        cut, ``applied`` (bool: the Platt step is in ``risk``) and then
        ``final_intercept``/``final_slope``, the step as applied.
    fallback : str or None
        Why the fallback was used; None when the Logit was.
    window_days, horizon_days : int
        The label window learned on, and the horizon asked for.
    model : str
        The count model of every cut.
    penalty, dropped : float or None, dict
        The L2 penalty when the data separate (else None); features left
        out and why.
    note : str
        One paragraph saying what was learned on what.
    """

    risk: pd.Series
    score: str
    odds_ratios: pd.DataFrame | None
    training: pd.DataFrame
    reliability: pd.DataFrame | None
    calibration: dict
    fallback: str | None
    window_days: int
    horizon_days: int
    model: str
    penalty: float | None
    dropped: dict
    note: str


def _days(horizon) -> int:
    if isinstance(horizon, pd.Timedelta):
        days = horizon / pd.Timedelta(days=1)
    else:
        days = float(horizon)
    if not np.isfinite(days) or days < 1:
        raise ValueError(f"horizon must be at least one day (days or a Timedelta), got {horizon!r}")
    return int(round(days))


def training_cuts(
    first_purchase,
    observation_end,
    horizon_days: int,
    *,
    min_history_days: int = 60,
    min_cuts: int = 2,
    max_cuts: int = 4,
    window=None,
) -> tuple[int, list[pd.Timestamp]]:
    """The label window (days) and the training cuts, latest first.

    Cuts are ``observation_end - k * window`` for ``k = 1..max_cuts`` that
    leave ``min_history_days`` after ``first_purchase``. Without a
    ``window``, the horizon is tried first, then ``horizon / m`` for
    ``m = 2, 3, ...`` down to :data:`MIN_WINDOW_DAYS`: the first that gives
    ``min_cuts`` cuts. When none does, the horizon and the cuts it allows
    (maybe none) are returned.
    """
    first = pd.Timestamp(first_purchase).normalize()
    end = pd.Timestamp(observation_end).normalize()
    earliest = first + pd.Timedelta(days=int(min_history_days))

    def cuts_for(w: int) -> list[pd.Timestamp]:
        out = []
        for k in range(1, int(max_cuts) + 1):
            cut = end - pd.Timedelta(days=k * w)
            if cut < earliest:
                break
            out.append(cut)
        return out

    if window is not None:
        w = _days(window)
        return w, cuts_for(w)
    m = 1
    while horizon_days / m >= MIN_WINDOW_DAYS:
        w = int(round(horizon_days / m))
        cuts = cuts_for(w)
        if len(cuts) >= min_cuts:
            return w, cuts
        m += 1
    return horizon_days, cuts_for(horizon_days)


def quiet_between(transactions: pd.DataFrame, customers: pd.Index, after, through) -> pd.Series:
    """True for each customer of ``customers`` with no purchase in ``(after, through]``."""
    when = transactions["date"]
    inside = (when > pd.Timestamp(after)) & (when <= pd.Timestamp(through))
    buyers = pd.Index(transactions.loc[inside.to_numpy(), "customer_id"].unique())
    return pd.Series(~customers.isin(buyers), index=customers, name="quiet")


def p_quiet(table: pd.DataFrame, days: float, *, info: TableInfo) -> pd.Series:
    """The count model's probability of no purchase within ``days`` after the table's cut.

    Reads the count model of ``info`` (the table's :class:`~analysis.customers.TableInfo`)
    and the summary columns ``frequency``, ``recency``, ``T`` (in ``info.time_unit``).
    """
    model = model_from_dict(info.count_model)
    t = float(days) / unit_days(info.time_unit)
    p = model.probability_of_purchases(table[["frequency", "recency", "T"]], n=0, t=t)
    return pd.Series(p.to_numpy(dtype=float), index=table.index, name="p_quiet")


def risk_features(
    table: pd.DataFrame, transactions: pd.DataFrame, *, window_days: int, info: TableInfo
) -> pd.DataFrame:
    """The features of :data:`RISK_FEATURES` for every customer of a customer table.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.customers.customer_table` at a cut.
    transactions : DataFrame
        The log up to that cut (for ``log2_recent``).
    window_days : int
        The label window: of ``logit_p_quiet`` and of ``log2_recent``.
    info : TableInfo
        The table's provenance (its ``observation_end``, count model and time unit).

    Returns
    -------
    DataFrame
        One float column per feature, ``stage`` kept as text (the dummies
        are made over the pooled cuts), indexed like ``table``.
    """
    cut = pd.Timestamp(info.observation_end)
    days = lambda col: table[col].astype(float)  # noqa: E731
    cycle = days("purchase_cycle_days")
    silence = days("days_since_last").clip(lower=0.0)
    overdue = (silence / cycle.clip(lower=1.0)).clip(upper=OVERDUE_CAP)
    age = (cut - table["first_purchase"]).dt.days.astype(float)
    recent_rows = transactions["date"] > cut - pd.Timedelta(days=int(window_days))
    recent_days = (
        transactions.loc[recent_rows.to_numpy(), ["customer_id", "date"]]
        .assign(day=lambda f: f["date"].dt.normalize())
        .drop_duplicates(["customer_id", "day"])
        .groupby("customer_id")
        .size()
        .reindex(table.index, fill_value=0)
        .astype(float)
    )
    quiet = p_quiet(table, window_days, info=info).clip(1e-6, 1 - 1e-6)
    return pd.DataFrame(
        {
            "log2_purchases": np.log2(days("purchases").clip(lower=1.0)),
            "log2_age": np.log2(1.0 + age),
            "log2_silence": np.log2(1.0 + silence),
            "log2_overdue": np.log2(1.0 + overdue).fillna(0.0),
            "no_repeat": cycle.isna().astype(float),
            "log2_recent": np.log2(1.0 + recent_days),
            "log2_spend": np.log2(1.0 + (days("revenue") / days("purchases")).clip(lower=0.0)),
            "p_alive": days("p_alive"),
            "log2_expected": np.log2(0.01 + days("expected_purchases_period").clip(lower=0.0)),
            "logit_p_quiet": logit(quiet),
            "log2_periods_in_stage": np.log2(days("periods_in_stage").clip(lower=1.0)),
            "stage": table["stage"].astype(str),
        },
        index=table.index,
    )


def _design(features: pd.DataFrame, stages: list[str], reference: str) -> pd.DataFrame:
    x = features.drop(columns="stage").astype(float)
    for s in stages:
        if s != reference:
            x[f"stage_{s}"] = (features["stage"] == s).astype(float)
    return x


def _fit(x: pd.DataFrame, y: np.ndarray, groups: np.ndarray):
    """Logit by maximum likelihood (clustered errors); L2-penalised when the data separate.

    Returns ``(params, cov or None, penalty or None)``.
    """
    xc = sm.add_constant(x, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.Logit(y, xc).fit(
                method="newton",
                maxiter=100,
                disp=0,
                cov_type="cluster",
                cov_kwds={"groups": groups},
            )
            ok = bool(res.mle_retvals.get("converged", False)) and np.all(
                np.abs(res.params.drop("const")) < SEPARATION_COEF
            )
            ok = ok and np.all(np.isfinite(res.bse))
        except (np.linalg.LinAlgError, ValueError):  # singular or perfectly separated
            ok = False
        if ok:
            return res.params, res.cov_params(), None
        # separation: a small ridge on standardised features keeps every coefficient finite
        scale = x.std(ddof=0).replace(0.0, 1.0)
        centre = x.mean()
        z = sm.add_constant((x - centre) / scale, has_constant="add")
        alpha = np.r_[0.0, np.full(x.shape[1], L2_PENALTY)]
        glm = sm.GLM(y, z, family=sm.families.Binomial())
        fitted = glm.fit_regularized(alpha=alpha, L1_wt=0.0, maxiter=300)
    beta = pd.Series(np.asarray(fitted.params), index=z.columns)
    slopes = beta.drop("const") / scale
    const = beta["const"] - float((slopes * centre).sum())
    return pd.concat([pd.Series({"const": const}), slopes]), None, L2_PENALTY


def _log_odds(params: pd.Series, x: pd.DataFrame) -> np.ndarray:
    cols = [c for c in params.index if c != "const"]
    return params["const"] + x[cols].to_numpy(dtype=float) @ params[cols].to_numpy(dtype=float)


def _calibration(raw_logit: np.ndarray, y: np.ndarray, calibrate) -> dict:
    check = calibration_check(raw_logit, y)
    off = abs(check["mean_predicted"] - check["observed"]) > CALIBRATION_TOLERANCE
    slope_off = not CALIBRATION_SLOPE[0] <= check["slope"] <= CALIBRATION_SLOPE[1]
    applied = bool(calibrate) if calibrate != "auto" else bool(off or slope_off)
    return {**check, "applied": applied}


def _odds_table(params: pd.Series, cov, penalty) -> pd.DataFrame:
    if cov is not None:
        se = np.sqrt(np.diag(np.asarray(cov, dtype=float)))
        z = params.to_numpy() / se
        p_value = 2 * norm.sf(np.abs(z))
        low, high = np.exp(params - 1.959964 * se), np.exp(params + 1.959964 * se)
    else:
        se = p_value = low = high = np.full(len(params), np.nan)
    meaning = {
        name: (
            "odds of going quiet at every feature 0 (the reference stage)"
            if name == "const"
            else RISK_FEATURES["stage"]
            if name.startswith("stage_")
            else RISK_FEATURES[name]
        )
        for name in params.index
    }
    out = pd.DataFrame(
        {
            "coef": params.to_numpy(),
            "std_err": se,
            "odds_ratio": np.exp(params.to_numpy()),
            "ci_low": np.asarray(low),
            "ci_high": np.asarray(high),
            "p_value": np.asarray(p_value),
            "meaning": pd.Series(meaning).reindex(params.index).to_numpy(),
        },
        index=pd.Index(params.index, name="term"),
    )
    out.attrs["penalty"] = penalty
    return out


def fit_inactivity_risk(
    transactions: pd.DataFrame,
    *,
    observation_end,
    horizon,
    model: str = "auto",
    table: pd.DataFrame | None = None,
    info: TableInfo | None = None,
    window=None,
    max_cuts: int = 4,
    min_cuts: int = 2,
    min_history_days: int = 60,
    min_outcome: int = 20,
    calibrate="auto",
    bins: int = 10,
    period: str = "M",
    time_unit: str = "W",
) -> RiskModel:
    """Learn the risk of no purchase within ``horizon`` from earlier cuts of the log.

    Parameters
    ----------
    transactions : DataFrame
        The log (``customer_id``, ``date``, ``amount``); rows after
        ``observation_end`` are dropped before anything is read.
    observation_end : date-like
        The day the risk is for (inclusive).
    horizon : int, float or Timedelta
        Days ahead (or a Timedelta).
    model : str
        The count model of every cut; ``"auto"`` takes the one
        :func:`~analysis.customers.customer_table` picks at ``observation_end``.
    table : DataFrame, optional
        The customer table at ``observation_end`` (saves building it; its
        ``info.model`` then names the model). Must be of the same cut.
    info : TableInfo, optional
        The provenance of ``table`` (required with it).
    window : int or Timedelta, optional
        The label window; by default the horizon, shortened when the log is
        too short (see :func:`training_cuts`).
    max_cuts, min_cuts : int
        Most cuts used; fewest for the Logit (else the fallback).
    min_history_days : int
        Days of purchases a cut needs before it (from the log's first).
    min_outcome : int
        Fewest quiet and fewest active customers over the training cuts.
    calibrate : {"auto", True, False}
        The Platt step: when the held-out check finds it off, always, never.
    bins : int
        Bins of the reliability table.
    period, time_unit : str
        Of the customer tables (see :func:`~analysis.customers.customer_table`).

    Returns
    -------
    RiskModel
    """
    horizon_days = _days(horizon)
    end = pd.Timestamp(observation_end).normalize()
    log = up_to(transactions, end)  # causal: nothing after the end day
    if log.empty:
        raise DataValidationError(f"no purchase up to observation_end {end.date()}")
    settings = dict(period=period, time_unit=time_unit, calibration_end=False, interval=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if table is None:
            first = {} if model != "auto" else {"calibration_end": None}
            table, info = value_customers(log, observation_end=end, model=model, **settings | first)
        elif info is None:
            raise TypeError("fit_inactivity_risk: give the table's info with table= (TableInfo)")
        elif pd.Timestamp(info.observation_end) != end:
            raise DataValidationError(
                f"table is of {info.observation_end.date()}, not of observation_end "
                f"{end.date()}; build it with value_customers(..., observation_end=...)"
            )
    count_model = info.model
    window_days, cuts = training_cuts(
        log["date"].min(),
        end,
        horizon_days,
        min_history_days=min_history_days,
        min_cuts=min_cuts,
        max_cuts=max_cuts,
        window=window,
    )
    pooled, rows = [], []
    for k, cut in enumerate(cuts):
        past = up_to(log, cut)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                valued = value_customers(past, observation_end=cut, model=count_model, **settings)
            except (ValueError, RuntimeError) as err:  # a cut too thin to fit the model
                rows.append({"cut": cut, "role": f"not used: {str(err).splitlines()[0]}"})
                continue
        cut_table, cut_info = valued
        y = quiet_between(log, cut_table.index, cut, cut + pd.Timedelta(days=window_days))
        f = risk_features(cut_table, past, window_days=window_days, info=cut_info)
        f["quiet"], f["cut"], f["customer"] = y.to_numpy(), k, cut_table.index
        pooled.append(f)
        rows.append(
            {
                "cut": cut,
                "window_end": cut + pd.Timedelta(days=window_days),
                "customers": len(y),
                "quiet": int(y.sum()),
                "quiet_share": float(y.mean()),
                "role": "train, held out for the check" if k == 0 and len(cuts) >= 2 else "train",
            }
        )
    training = pd.DataFrame(
        rows, columns=["cut", "window_end", "customers", "quiet", "quiet_share", "role"]
    )
    now = risk_features(table, log, window_days=window_days, info=info)
    fallback = None
    data = pd.concat(pooled) if pooled else None
    if len(pooled) < min_cuts:
        fallback = (
            f"the log allows {len(pooled)} usable cut(s) with a {window_days}-day window and "
            f"{min_history_days} days of history before it, fewer than the {min_cuts} needed"
        )
    elif min(int(data["quiet"].sum()), int((~data["quiet"]).sum())) < min_outcome:
        fallback = (
            f"the training cuts hold {int(data['quiet'].sum())} quiet and "
            f"{int((~data['quiet']).sum())} active customers, fewer than {min_outcome} of one"
        )
    result = None
    if fallback is None:
        result = _learn(data, now, calibrate, bins)
        if isinstance(result, str):
            fallback, result = result, None
    common = dict(training=training, horizon_days=horizon_days, model=count_model)
    if result is None:
        note = (
            f"Too short a log to learn from: {fallback}. The risk is the {count_model} "
            f"probability of no purchase within {horizon_days} days (p_quiet)."
        )
        return RiskModel(
            risk=p_quiet(table, horizon_days, info=info).rename("risk"),
            score="p_quiet",
            odds_ratios=None,
            reliability=None,
            calibration={},
            fallback=fallback,
            window_days=horizon_days,
            penalty=None,
            dropped={},
            note=note,
            **common,
        )
    risk, odds, reliability, calibration, penalty, dropped = result
    note = (
        f"A Logit of no purchase within {window_days} days, fitted on {len(pooled)} cut(s) "
        f"({int(training['customers'].sum()):,} customer rows; {count_model} at every cut)"
        + (f", L2-penalised ({penalty:g}) because the data separate" if penalty else "")
        + (", recalibrated (Platt) on the held-out latest cut" if calibration["applied"] else "")
        + "."
    )
    if window_days != horizon_days:
        note += (
            f" The log is too short for {horizon_days}-day windows, so the risk is of a "
            f"{window_days}-day silence: it ranks customers for the horizon but is not its "
            "probability."
        )
    return RiskModel(
        risk=risk.rename("risk"),
        score="logit",
        odds_ratios=odds,
        reliability=reliability,
        calibration=calibration,
        fallback=None,
        window_days=window_days,
        penalty=penalty,
        dropped=dropped,
        note=note,
        **common,
    )


def _learn(data: pd.DataFrame, now: pd.DataFrame, calibrate, bins: int):
    """Fit, check on the held-out latest cut, refit on all cuts and score ``now``; or a reason."""
    present = [s for s in STAGES if (data["stage"] == s).any()]
    reference = data["stage"].value_counts().idxmax()
    x = _design(data.drop(columns=["quiet", "cut", "customer"]), present, reference)
    spread = x.std(ddof=0)
    dropped = {c: "the same for every training customer" for c in x.columns if spread[c] < 1e-6}
    x = x.drop(columns=list(dropped))
    y = data["quiet"].to_numpy(dtype=float)
    groups = pd.factorize(data["customer"])[0]
    held = (data["cut"] == 0).to_numpy()
    older = ~held
    calibration = {"applied": False}
    reliability = None
    if held.any() and older.any() and 0 < y[older].mean() < 1 and 0 < y[held].mean() < 1:
        params, _, _ = _fit(x[older], y[older], groups[older])
        raw = _log_odds(params, x[held])
        calibration = _calibration(raw, y[held], calibrate)
        a, b = calibration["intercept"], calibration["slope"]
        cal = expit(a + b * raw) if calibration["applied"] else expit(raw)
        reliability = reliability_table(expit(raw), y[held], calibrated=cal, bins=bins)
    params, cov, penalty = _fit(x, y, groups)
    if not np.all(np.isfinite(params)):
        return "the Logit did not converge even with an L2 penalty"
    z = _log_odds(params, _design(now, present, reference).reindex(columns=x.columns, fill_value=0))
    if calibration.get("applied"):  # the Platt step of the final model, on the latest cut
        final = calibration_check(_log_odds(params, x[held]), y[held])
        calibration.update(final_intercept=final["intercept"], final_slope=final["slope"])
        z = final["intercept"] + final["slope"] * z
    risk = pd.Series(expit(z), index=now.index)
    return risk, _odds_table(params, cov, penalty), reliability, calibration, penalty, dropped


def inactivity_risk(transactions: pd.DataFrame, *, observation_end, horizon, **kwargs) -> pd.Series:
    """The probability of no purchase within ``horizon`` after ``observation_end``, per customer.

    :func:`fit_inactivity_risk` (same arguments) without the record of how
    it was learned: a Series named ``risk``, indexed by ``customer_id``.
    """
    return fit_inactivity_risk(
        transactions, observation_end=observation_end, horizon=horizon, **kwargs
    ).risk
