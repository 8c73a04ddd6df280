"""Shifted-beta-geometric (sBG) model of contract duration (Fader & Hardie 2007, 2010).

In a contractual setting (subscriptions, memberships, insurance) every
customer renews or cancels at the end of each period. A customer with churn
probability theta renews each period with probability 1 - theta; theta varies
across customers as Beta(alpha, beta). With T the period in which a customer
churns (T = 1, 2, ...):

    P(T = t)  = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t)      = P(T > t) = B(alpha, beta + t) / B(alpha, beta)
    r(t)      = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

The retention rate r(t) rises with t although nobody's own churn probability
changes: the cohort sorts itself, the high-churn customers leaving first.

Data: one row per customer (or per group with a ``weight``): ``T`` the number
of periods observed (integer >= 1) and ``churned`` (True: the customer
cancelled in period T; False: still active at the end of period T). A cohort's
survival curve converts with :meth:`ShiftedBetaGeo.data_from_survival`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma

from ..units import per_period_rate
from ..validate import DataValidationError
from .base import BaseModel
from .degenerate import churn_data_degenerate
from .hypergeometric import hyp2f1_one
from .time_unit import TimeUnitMixin

__all__ = ["ShiftedBetaGeo", "RETENTION_EXAMPLE"]

#: Survivors of two cohorts of 1,000 customers at the start of years 0..12, the example
#: of Fader & Hardie (2007, "How to project customer retention", J. Interactive Marketing
#: 21(1)), there taken from Berry & Linoff (2004). The paper fits years 1-7 (t = 0..7).
RETENTION_EXAMPLE = pd.DataFrame(
    {
        "regular": [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173],
        "high_end": [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394],
    },
    index=pd.RangeIndex(13, name="year"),
)


class ShiftedBetaGeo(TimeUnitMixin, BaseModel):
    """Shifted-beta-geometric contract-duration model with parameters ``alpha, beta``.

    Time is counted in contract periods (e.g. years). ``time_unit`` (a
    constructor keyword, e.g. "Y" for yearly renewals) is the calendar length
    of one period; :meth:`dert` needs it to turn a yearly discount rate into
    a rate per period, :meth:`derl` takes the rate per period directly. A
    contract model has no per-customer purchase history, so it is not a
    :class:`~analysis.models.protocol.CountModel`.
    """

    param_names = ("alpha", "beta")
    required_columns = ("T", "churned")
    integer_columns = ("T", "churned")
    default_start = (1.0, 1.0)
    shape_pairs = (("alpha", "beta", "beta", "churn probability"),)

    # ----- data --------------------------------------------------------------------------------
    @staticmethod
    def data_from_survival(survivors, cohort_size: float | None = None) -> pd.DataFrame:
        """Build the fitting frame from a cohort's survival curve.

        Parameters
        ----------
        survivors : array-like or Series
            Number of customers still active at the start of periods 0, 1, ..., k
            (element 0 is the cohort size; e.g. ``[1000, 631, 468, ...]``).
            Counts must be whole numbers and must not increase.
        cohort_size : float, optional
            For a curve given as shares or percentages (``[100, 86.9, 74.3, ...]``):
            the number of customers it describes; the curve is rescaled so that
            element 0 equals it. The weights may then be fractional. The size
            matters for the standard errors, not for the estimates.

        Returns
        -------
        DataFrame
            Columns ``T``, ``churned``, ``weight``: for t = 1..k the customers who
            churned in period t (``survivors[t-1] - survivors[t]``, churned True)
            and the ``survivors[k]`` still active after period k (T = k, churned False).
            Rows with weight 0 are kept (they contribute nothing).
        """
        s = np.asarray(survivors, dtype=float)
        if s.ndim != 1 or len(s) < 2:
            raise DataValidationError(
                "survivors must list at least the cohort size and one later count, "
                f"e.g. [1000, 631, ...]; got {survivors!r}"
            )
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise DataValidationError(f"survivors must be non-negative numbers, got {s.tolist()}")
        if cohort_size is not None:
            if not (np.isfinite(cohort_size) and cohort_size > 0) or s[0] <= 0:
                raise DataValidationError(
                    f"cohort_size must be positive and survivors[0] > 0, got {cohort_size!r}, {s[0]!r}"
                )
            s = s / s[0] * float(cohort_size)
        elif np.any(s != np.round(s)):
            raise DataValidationError(
                f"survivors must be whole numbers of customers, got {s.tolist()}; for a curve of "
                "shares or percentages give cohort_size= (the number of customers it describes)."
            )
        rises = np.flatnonzero(np.diff(s) > 0)
        if len(rises):
            t = int(rises[0]) + 1
            raise DataValidationError(
                f"survivors rise from {s[t - 1]:g} to {s[t]:g} at period {t}: a cohort's survival "
                "curve cannot increase (new customers belong to a new cohort)."
            )
        k = len(s) - 1
        lost = s[:-1] - s[1:]
        frame = pd.DataFrame(
            {
                "T": np.r_[np.arange(1, k + 1), k].astype(np.int64),
                "churned": np.r_[np.ones(k, bool), False],
                "weight": np.r_[lost, s[-1]],
            }
        )
        if cohort_size is None:
            frame["weight"] = frame["weight"].astype(np.int64)
        return frame

    def _check_data(self, frame: pd.DataFrame) -> None:
        T = pd.to_numeric(frame["T"]).to_numpy(dtype=float)
        bad = T < 1
        if bad.any():
            rows = list(frame.index[bad][:5])
            raise DataValidationError(
                f"ShiftedBetaGeo: {int(bad.sum())} row(s) with T < 1 (rows {rows}); T counts the "
                "periods a customer was observed, at least 1."
            )
        c = pd.to_numeric(frame["churned"]).to_numpy(dtype=float)
        bad = (c != 0) & (c != 1)
        if bad.any():
            rows = list(frame.index[bad][:5])
            raise DataValidationError(
                f"ShiftedBetaGeo: column 'churned' must be True/False (rows {rows})."
            )

    def _degenerate_data(self, arrays):
        churned = arrays["churned"] == 1
        return churn_data_degenerate(churned, arrays["weight"], churned & (arrays["T"] == 1))

    def _prepare(self, data):
        frame = data
        if isinstance(frame, pd.DataFrame) and "churned" in frame.columns:
            if frame["churned"].dtype == bool or frame["churned"].dtype == object:
                frame = frame.assign(churned=frame["churned"].astype(float))
        return super()._prepare(frame)

    # ----- likelihood ------------------------------------------------------------------------
    def _loglik_rows(self, params, arrays):
        a, b = params
        T = arrays["T"]
        c = arrays["churned"]
        log_pmf = betaln(a + 1, b + T - 1) - betaln(a, b)
        log_surv = betaln(a, b + T) - betaln(a, b)
        return np.where(c > 0, log_pmf, log_surv)

    def _loglik_grad_rows(self, params, arrays):
        a, b = params
        T = arrays["T"]
        c = arrays["churned"] > 0
        psi_ab = digamma(a + b)
        # churned: d/da [lnB(a+1, b+T-1) - lnB(a,b)]
        pa_churn = digamma(a + 1) - digamma(a + b + T) - (digamma(a) - psi_ab)
        pb_churn = digamma(b + T - 1) - digamma(a + b + T) - (digamma(b) - psi_ab)
        pa_surv = digamma(a) - digamma(a + b + T) - (digamma(a) - psi_ab)
        pb_surv = digamma(b + T) - digamma(a + b + T) - (digamma(b) - psi_ab)
        return np.column_stack([np.where(c, pa_churn, pa_surv), np.where(c, pb_churn, pb_surv)])

    # ----- predictions -----------------------------------------------------------------------
    def survival(self, t):
        """S(t) = B(alpha, beta + t)/B(alpha, beta): share of a cohort still active after t periods."""
        a, b = self._p()
        t_arr = np.asarray(t, dtype=float)
        if np.any(t_arr < 0):
            raise ValueError(f"t must be >= 0, got {t!r}")
        out = np.exp(betaln(a, b + t_arr) - betaln(a, b))
        return _keep_shape(out, t)

    def churn_probability(self, t):
        """P(T = t) = B(alpha + 1, beta + t - 1)/B(alpha, beta): share of a cohort lost in period t >= 1."""
        a, b = self._p()
        t_arr = np.asarray(t, dtype=float)
        if np.any(t_arr < 1):
            raise ValueError(f"t must be >= 1, got {t!r}")
        out = np.exp(betaln(a + 1, b + t_arr - 1) - betaln(a, b))
        return _keep_shape(out, t)

    def retention_rate(self, t):
        """r(t) = (beta + t - 1)/(alpha + beta + t - 1): share of those active after t-1 periods who renew at t."""
        a, b = self._p()
        t_arr = np.asarray(t, dtype=float)
        if np.any(t_arr < 1):
            raise ValueError(f"t must be >= 1, got {t!r}")
        out = (b + t_arr - 1) / (a + b + t_arr - 1)
        return _keep_shape(out, t)

    def expected_lifetime(self, horizon: int | None = None) -> float:
        """Expected number of periods a new customer stays (pays), counting the first.

        Without a horizon, E[T] = sum_{t>=0} S(t) = (alpha + beta - 1)/(alpha - 1) for
        alpha > 1 and infinite otherwise (the mean of 1/theta does not exist). With a
        horizon H, the expected number of the first H periods spent active,
        sum_{t=0}^{H-1} S(t).
        """
        a, b = self._p()
        if horizon is None:
            return float((a + b - 1) / (a - 1)) if a > 1 else float("inf")
        h = int(horizon)
        if h < 0:
            raise ValueError("horizon must be >= 0")
        return float(np.sum(self.survival(np.arange(h)))) if h else 0.0

    def derl(self, *, discount_rate: float, renewals=0):
        """Discounted expected residual lifetime (Fader & Hardie 2010), in payments.

        For a customer who has made ``renewals`` = n - 1 renewals (she is in her
        n-th period) and stands at her next renewal decision, the expected number
        of future payments, the next one (at renewal n, if she renews) counted
        in full and each later one discounted by (1 + d)^-1 per period:

            DERL = B(alpha, beta + n)/B(alpha, beta + n - 1)
                   * 2F1(1, beta + n; alpha + beta + n; 1/(1 + d)).

        Multiply by the margin per period to value the customer's remaining
        contract. ``renewals=0`` is a customer at the end of her first period.
        (The expected discounted lifetime of a customer just acquired, her
        first payment included, is ``1 + derl(discount_rate=d) / (1 + d)``.)

        Parameters
        ----------
        discount_rate : float
            Discount rate per contract period (> 0): per year for yearly
            renewals; see :meth:`dert` for a yearly rate and another period.
        renewals : int or array-like
            Renewals already made (n - 1 >= 0).

        Returns
        -------
        float or ndarray
        """
        a, b = self._p()
        d = float(discount_rate)
        if not d > 0:
            raise ValueError(f"discount_rate must be > 0, got {discount_rate!r}")
        r = np.asarray(renewals, dtype=float)
        if np.any(r < 0) or np.any(r != np.round(r)):
            raise ValueError(f"renewals must be whole numbers >= 0, got {renewals!r}")
        n = r + 1
        log_ratio = betaln(a, b + n) - betaln(a, b + n - 1)
        series = hyp2f1_one(np.atleast_1d(b + n), np.atleast_1d(a + b + n), 1 / (1 + d))
        out = (np.exp(log_ratio) * series).reshape(np.shape(r))
        return _keep_shape(out, renewals)

    def dert(self, *, annual_discount_rate: float, renewals=0, time_unit: str | None = None):
        """:meth:`derl` at the rate per contract period equivalent to a yearly one.

        In a contract every active period brings one payment, so the
        discounted expected residual transactions are the DERL. The rate per
        period is :func:`analysis.units.per_period_rate` of
        ``annual_discount_rate`` for the period's length (``time_unit``, by
        default the model's): for yearly periods it is the yearly rate itself.

        Parameters
        ----------
        annual_discount_rate : float
            Yearly effective discount rate (> 0), e.g. 0.10.
        renewals : int or array-like
            Renewals already made (n - 1 >= 0).
        time_unit : str, optional
            Length of one contract period ("M" for monthly renewals, ...).

        Returns
        -------
        float or ndarray
        """
        rate = per_period_rate(annual_discount_rate, self.resolve_time_unit(time_unit))
        return self.derl(discount_rate=rate, renewals=renewals)


def _keep_shape(out: np.ndarray, like):
    if isinstance(like, pd.Series):
        return pd.Series(np.asarray(out), index=like.index)
    if np.ndim(out) == 0:
        return float(out)
    return out
