"""Shared machinery of the count models: their time unit and the continuous-time plumbing.

- :class:`~analysis.models.time_unit.TimeUnitMixin` (its own module) gives a
  model its ``time_unit``.
- :class:`ContinuousCountModel` holds what BG/NBD, MBG/NBD and Pareto/NBD
  share: data checks, starting values, a prediction cache, and every public
  prediction of :class:`~analysis.models.protocol.CountModel` and
  :class:`~analysis.models.protocol.PurchaseCountDistribution`, built on a
  few model-specific pieces (P(alive) now, and the expectation, survival and
  purchase distribution of a customer known to be alive).

The predictions for customers with a history rest on one fact shared by the
three models: given that a customer is alive at her observation end T, her
future is that of a new customer whose parameters are her posterior ones
(BG/NBD: r + x, alpha + T, a, b + x; Pareto/NBD: r + x, alpha + T, s,
beta + T); a customer who has dropped out makes no more purchases.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..units import continuous_rate
from ..validate import DataValidationError
from .covariates import CovariateMixin
from .degenerate import count_data_degenerate, nbd_max_loglik, reduces_to
from .one_pass import OnePassModel
from .rows import CustomerGrid, unique_rows, weighted_total
from .time_unit import TimeUnitMixin

__all__ = ["ContinuousCountModel", "check_counts"]


def check_counts(n, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``n`` (numbers of purchases) as a float array of whole numbers >= 0, broadcast to ``shape``.

    Parameters
    ----------
    n : int or array-like
        Numbers of purchases.
    shape : tuple of int, optional
        Shape to broadcast to (one value per customer).

    Returns
    -------
    ndarray
    """
    n_arr = np.asarray(n, dtype=float)
    if shape is not None:
        n_arr = np.broadcast_to(n_arr, shape)
    if not np.all(np.isfinite(n_arr)) or np.any(n_arr < 0) or np.any(n_arr != np.round(n_arr)):
        raise ValueError(f"n (a number of purchases) must hold whole numbers >= 0, got {n!r}")
    return n_arr


class ContinuousCountModel(CovariateMixin, TimeUnitMixin, OnePassModel):
    """Plumbing and predictions shared by the continuous-time models (BG/NBD, MBG/NBD, Pareto/NBD).

    Data per customer: ``frequency`` x (repeat purchases), ``recency`` t_x
    and ``T``, in the model's time unit, and the covariate columns the model
    is given (:mod:`.covariates`). Subclasses provide the likelihood per row
    (``_row_pieces``) and the pieces named in the module docstring, each
    taking ``prm``: the base parameters, floats or one value per row.
    """

    #: time is continuous (see analysis.models.protocol.CountModel)
    discrete_time = False

    required_columns = ("frequency", "recency", "T")
    integer_columns = ("frequency",)
    default_start = (1.0, 1.0, 1.0, 1.0)

    def fit(self, data, *args, **kwargs):
        """Estimate the parameters by maximum likelihood (see :meth:`BaseModel.fit`)."""
        try:
            return super().fit(data, *args, **kwargs)
        finally:
            self.__dict__.pop("_prediction_cache", None)

    #: the parameters of dropout; in their limit (nobody drops out) the model is the NBD
    dropout_params: tuple[str, ...] = ()

    # ----- degenerate data and boundary fits ---------------------------------------------------
    def _degenerate_data(self, arrays):
        return count_data_degenerate(arrays["frequency"], arrays["weight"])

    def _boundary_explanation(self, params, loglik, arrays):
        if not self.dropout_params:
            return None
        # the full model's purchase parameters start the NBD's search: at the no-dropout
        # boundary they are the NBD's own. With purchase covariates the limit is the NBD with
        # the same covariates (alpha_i = alpha exp(-g_p' z_i)); dropout covariates vanish there
        kp = len(self.purchase_covariates)
        k = len(self.base_param_names)
        zp = self._covariate_arrays(arrays)[0] if kp else None
        nbd = nbd_max_loglik(
            arrays["frequency"],
            arrays["T"],
            arrays["weight"],
            start=(params[0], params[1], *params[k : k + kp]),
            covariates=zp,
        )
        if not reduces_to(loglik, nbd):
            return None
        names = self.dropout_params + tuple(f"dropout:{c}" for c in self.dropout_covariates)
        dropout = ", ".join(names)
        nbd_name = "the NBD with the same purchase covariates" if kp else "the NBD"
        return names, (
            f"no dropout detected: the log-likelihood ({loglik:.2f}) is no better than that of "
            f"{nbd_name}, the same purchase process without dropout ({nbd:.2f}), so the model "
            f"reduces to the NBD and its dropout parameters ({dropout}) are not identified. "
            "P(alive) is 1 for everyone and CLV assumes that no customer ever leaves: an upper "
            "bound. A longer observation window may reveal dropout."
        )

    # ----- data -------------------------------------------------------------------------------
    def _check_data(self, frame: pd.DataFrame) -> None:
        x = pd.to_numeric(frame["frequency"], errors="coerce").to_numpy(dtype=float)
        tx = pd.to_numeric(frame["recency"], errors="coerce").to_numpy(dtype=float)
        T = pd.to_numeric(frame["T"], errors="coerce").to_numpy(dtype=float)
        bad = tx > T * (1 + 1e-12) + 1e-12
        if bad.any():
            raise DataValidationError(
                f"recency exceeds T for {int(bad.sum())} customer(s) (rows "
                f"{list(frame.index[bad][:5])}); recency is measured from the first purchase to "
                "the last, T from the first purchase to the end of observation."
            )
        bad = (x == 0) & (tx > 0)
        if bad.any():
            raise DataValidationError(
                f"{int(bad.sum())} customer(s) have frequency 0 but positive recency (rows "
                f"{list(frame.index[bad][:5])}); without repeat purchases recency must be 0."
            )

    def _precompute(self, arrays, per_row: bool | None = None):
        """Helper arrays; ``per_row`` (default: with covariates) when rows have their own parameters."""
        if self.has_covariates if per_row is None else per_row:
            arrays["_x_unique"] = arrays["frequency"]
            arrays["_x_index"] = np.arange(arrays["frequency"].shape[0])
            return arrays
        ux, inv = np.unique(arrays["frequency"], return_inverse=True)
        arrays["_x_unique"] = ux
        arrays["_x_index"] = inv.astype(np.int64)
        return arrays

    def _start(self, initial_params, arrays):
        if initial_params is not None:
            if self.has_covariates:
                given = initial_params
                if isinstance(given, Mapping):
                    base = {k: given[k] for k in self.base_param_names}
                    coefs = {k: given.get(k, 0.0) for k in self.free_params}
                    given = list(base.values()) + list(coefs.values())
                elif len(given) == len(self.base_param_names):
                    given = list(given) + [0.0] * len(self.free_params)
                return super()._start(given, arrays)
            return super()._start(initial_params, arrays)
        w = arrays["weight"]
        total_x = weighted_total(w, arrays["frequency"])
        total_t = weighted_total(w, arrays["T"])
        rate = total_x / total_t if total_x > 0 and total_t > 0 else 1.0
        start = np.array([1.0, max(1.0 / rate, 1e-6), 1.0, 1.0])
        return self._add_coefficients(start, None)

    # ----- helpers ------------------------------------------------------------------------------
    def _memo(self, name, arrays, compute):
        """Cache per-customer results by content (a hash of the arrays and the parameters).

        A CLV computation asks for predictions at many horizons for the same
        customers; P(alive) and the distinct (x, T) pairs are then computed once.
        """
        digest = hashlib.blake2b(digest_size=16)
        for arr in arrays:
            digest.update(np.ascontiguousarray(arr, dtype=float).reshape(-1).view(np.uint8))
        digest.update(np.asarray(self._p(), dtype=float).tobytes())
        key = (name, digest.digest())
        cache = self.__dict__.setdefault("_prediction_cache", {})
        if key not in cache:
            if len(cache) >= 8:
                cache.clear()
            cache[key] = compute()
        return cache[key]

    def _customers(self, data):
        """Index, x, t_x, T and the base parameters per customer (``prm``) of ``data``."""
        index, arr = self._data_arrays(data)
        return index, arr["frequency"], arr["recency"], arr["T"], self._customer_params(data)

    @staticmethod
    def _varying(prm) -> list[int]:
        """Positions of the parameters that differ by customer (arrays) in ``prm``."""
        return [i for i, v in enumerate(prm) if np.ndim(v)]

    @staticmethod
    def _unique(mat):
        uniq, _, inv = unique_rows(mat, return_inverse=True)
        return uniq, inv

    @staticmethod
    def _time_ahead(t, shape):
        """``t`` broadcast to one value per customer, checked (finite, >= 0)."""
        t_arr = np.broadcast_to(np.asarray(t, dtype=float), shape)
        bad = ~(np.isfinite(t_arr) & (t_arr >= 0))
        if bad.any():
            shown = t if np.ndim(t) == 0 else f"{int(bad.sum())} bad value(s), e.g. {t_arr[bad][0]}"
            raise ValueError(
                "t (time after the observation end, in the model's time unit) must be finite "
                f"and non-negative; got {shown}"
            )
        return t_arr

    @staticmethod
    def _new_customer_time(t) -> np.ndarray:
        t_arr = np.asarray(t, dtype=float)
        if np.any(t_arr < 0) or not np.all(np.isfinite(t_arr)):
            raise ValueError(
                f"t (window length, in the model's time unit) must be finite and >= 0, got {t!r}"
            )
        return t_arr

    #: cache P(alive now) by its inputs' content (not where that is as cheap as hashing them)
    _cache_alive_now = True

    def _alive_now(self, x, tx, T, prm) -> np.ndarray:
        """P(alive at T | history) per customer, maybe cached (never modify the result in place)."""
        if not self._cache_alive_now:
            return self._p_alive_now(x, tx, T, prm)
        key = (x, tx, T, *(prm[i] for i in self._varying(prm)))
        return self._memo("p_alive_now", key, lambda: self._p_alive_now(x, tx, T, prm))

    def _distinct(self, columns, prm, shape=None):
        """Distinct rows of ``columns`` and the varying parameters: (columns, prm, inverse).

        With ``shape`` (e.g. (-1, 1) for a grid) the returned arrays are reshaped.
        """
        varying = self._varying(prm)
        mat = np.column_stack(list(columns) + [prm[i] for i in varying])
        if varying:
            uniq, inv = self._unique(mat)
        else:
            uniq, inv = self._memo("rows", tuple(columns), lambda: self._unique(mat))
        cols = [uniq[:, j] for j in range(len(columns))]
        uprm = list(prm)
        for k, i in enumerate(varying):
            uprm[i] = uniq[:, len(columns) + k]
        if shape is not None:
            cols = [c.reshape(shape) for c in cols]
            uprm = [v if np.ndim(v) == 0 else v.reshape(shape) for v in uprm]
        return cols, tuple(uprm), inv

    def _per_row(self, fn, x, T, t, prm) -> np.ndarray:
        """``fn(x, T, t, prm)`` evaluated on the distinct (x, T[, t], parameters) rows, per customer."""
        if np.ndim(t) == 0:
            (ux, uT), uprm, inv = self._distinct((x, T), prm)
            return np.asarray(fn(ux, uT, float(t), uprm), dtype=float)[inv]
        t_arr = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
        (ux, uT, ut), uprm, inv = self._distinct((x, T, t_arr), prm)
        return np.asarray(fn(ux, uT, ut, uprm), dtype=float)[inv]

    # ----- model-specific pieces ------------------------------------------------------------------
    def _p_alive_now(self, x, tx, T, prm) -> np.ndarray:
        """P(alive at T | x, t_x, T) per customer."""
        raise NotImplementedError

    def _alive_purchases(self, x, T, t, prm):
        """Expected purchases in (T, T + t] of a customer alive at T (arrays broadcast)."""
        raise NotImplementedError

    def _alive_survival(self, x, T, t, prm):
        """P(alive at T + t | alive at T, x, T) (arrays broadcast)."""
        raise NotImplementedError

    def _alive_pmf(self, x, T, n, t, prm):
        """P(n purchases in (T, T + t] | alive at T, x, T) (arrays of equal shape)."""
        raise NotImplementedError

    def _new_customer_purchases(self, t, prm):
        """E[X(t)] of a new customer (t an array)."""
        raise NotImplementedError

    def _new_customer_pmf(self, n, t, prm):
        """P(X(t) = n) of a new customer (arrays of equal shape)."""
        raise NotImplementedError

    def _dert_continuous(self, x, tx, T, delta: float, prm) -> np.ndarray:
        """DERT per customer at the continuously compounded rate ``delta`` per time unit."""
        raise NotImplementedError

    # ----- predictions ----------------------------------------------------------------------------
    def expected_purchases(self, data, *, t) -> pd.Series:
        """Each customer's expected purchases in (T, T + t] given her history.

        E[Y(t) | x, t_x, T] = P(alive at T | history) x the expected purchases
        of a customer alive at T.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T`` in the model's time unit.
        t : float or array
            Window length after each customer's observation end, in the
            model's time unit (>= 0); a scalar or one value per customer.

        Returns
        -------
        Series
            ``expected_purchases``, indexed like ``data``.
        """
        self._require_fit()
        index, x, tx, T, prm = self._customers(data)
        self._time_ahead(t, x.shape)
        h = self._per_row(self._alive_purchases, x, T, t, prm)
        alive = self._alive_now(x, tx, T, prm)
        return pd.Series(alive * h, index=index, name="expected_purchases")

    def expected_purchases_new_customer(self, *, t, covariates=None):
        """Expected repeat purchases in (0, t] of a customer just acquired (time 0: her first purchase).

        Parameters
        ----------
        t : float or array
            Window length in the model's time unit (>= 0).
        covariates : mapping or DataFrame, optional
            A model with covariates needs the new customer's values: a mapping
            ``{column: value}`` (one profile) or a frame with one row per
            profile (``t`` broadcast against the rows).

        Returns
        -------
        float or ndarray
            A float for scalar ``t`` and one profile.
        """
        self._require_fit()
        prm = self._new_customer_params(covariates)
        out = self._new_customer_purchases(self._new_customer_time(t), prm)
        return float(out) if np.ndim(out) == 0 else np.asarray(out, dtype=float)

    def p_alive(self, data, *, t=0.0) -> pd.Series:
        """Probability that each customer is alive ``t`` after her observation end.

        P(alive at T + t | history) = P(alive at T | history) x P(alive at
        T + t | alive at T); ``t = 0`` (the default) gives P(alive now). The
        model's docstring derives the survival factor.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T`` in the model's time unit.
        t : float or array
            Time after the observation end in the model's time unit (>= 0);
            a scalar or one value per customer.

        Returns
        -------
        Series
            ``p_alive``, indexed like ``data``; decreasing in ``t``.
        """
        self._require_fit()
        index, x, tx, T, prm = self._customers(data)
        t_arr = self._time_ahead(t, x.shape)
        p = self._alive_now(x, tx, T, prm)
        if np.any(t_arr > 0):
            p = p * self._per_row(self._alive_survival, x, T, t, prm)
        else:
            p = p.copy()  # never hand out the cached array
        return pd.Series(p, index=index, name="p_alive")

    def probability_of_purchases(self, data, *, n, t) -> pd.Series:
        """Probability that each customer makes exactly ``n`` purchases in (T, T + t] given her history.

        P(alive at T | history) x P_alive(n) + (1 - P(alive at T | history)) x [n = 0],
        with P_alive the new-customer distribution at the customer's
        posterior parameters (see the module docstring): a customer who has
        dropped out buys nothing.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T`` in the model's time unit.
        n : int or array of int
            Number of purchases (>= 0); a scalar or one value per customer.
        t : float or array
            Window length in the model's time unit (>= 0); a scalar or one
            value per customer.

        Returns
        -------
        Series
            ``probability``, indexed like ``data``.
        """
        self._require_fit()
        index, x, tx, T, prm = self._customers(data)
        n_arr = check_counts(n, x.shape)
        t_arr = self._time_ahead(t, x.shape)
        (ux, uT, un, ut), uprm, inv = self._distinct((x, T, n_arr, t_arr), prm)
        alive = self._alive_pmf(ux, uT, un, ut, uprm)[inv]
        p = self._alive_now(x, tx, T, prm)
        out = p * alive + (1.0 - p) * (n_arr == 0)
        return pd.Series(out, index=index, name="probability")

    def probability_of_purchases_new_customer(self, *, n, t, covariates=None):
        """P(X(t) = n): probability that a customer just acquired makes n repeat purchases in (0, t].

        Parameters
        ----------
        n : int or array of int
            Number of repeat purchases (>= 0).
        t : float or array
            Window length in the model's time unit (>= 0), broadcast with ``n``.
        covariates : mapping or DataFrame, optional
            The new customer's covariate values (see
            :meth:`expected_purchases_new_customer`); broadcast with ``n`` and ``t``.

        Returns
        -------
        float or ndarray
        """
        self._require_fit()
        prm = self._new_customer_params(covariates)
        shape = np.broadcast_shapes(*(np.shape(v) for v in prm))
        n_arr, t_arr = np.broadcast_arrays(check_counts(n), self._new_customer_time(t))
        n_arr, t_arr = np.broadcast_arrays(n_arr, t_arr, np.zeros(shape))[:2]
        out = np.asarray(self._new_customer_pmf(n_arr, t_arr, prm), dtype=float)
        return float(out) if out.ndim == 0 else out

    def dert(self, data, *, annual_discount_rate: float, time_unit: str | None = None) -> pd.Series:
        """Discounted expected residual transactions (DERT) of each customer.

        The expected number of all future purchases, each discounted by
        exp(-delta x its time after T), with delta the continuously
        compounded rate per time unit equivalent to ``annual_discount_rate``
        (:func:`analysis.units.continuous_rate`: 10% a year on weekly data is
        delta = log(1.1) x 7 / 365.25). Multiply by the value per purchase to
        get a customer's residual value.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T`` in the model's time unit.
        annual_discount_rate : float
            Yearly effective discount rate (> 0), e.g. 0.10.
        time_unit : str, optional
            The data's time unit; by default the model's (``time_unit``).

        Returns
        -------
        Series
            ``dert``, indexed like ``data``.
        """
        self._require_fit()
        delta = continuous_rate(annual_discount_rate, self.resolve_time_unit(time_unit))
        if not delta > 0:
            raise ValueError(f"annual_discount_rate must be > 0, got {annual_discount_rate!r}")
        index, x, tx, T, prm = self._customers(data)
        return pd.Series(self._dert_continuous(x, tx, T, delta, prm), index=index, name="dert")

    # ----- predictions at many horizons at once ---------------------------------------------------
    @staticmethod
    def _grid_times(ts) -> np.ndarray:
        ts = np.asarray(ts, dtype=float)
        if ts.ndim != 1 or ts.size == 0:
            raise ValueError(f"ts must be a non-empty 1-d sequence of times, got shape {ts.shape}")
        if not np.all(np.isfinite(ts) & (ts >= 0)):
            raise ValueError(
                "ts (times after the observation end, in the model's time unit) must be finite "
                f"and non-negative; got {ts.tolist()[:10]}"
            )
        return ts

    def _grid(self, data, ts, alive_values) -> CustomerGrid:
        """P(alive at T) per customer times ``alive_values(x, T, ts)`` on the distinct (x, T)."""
        self._require_fit()
        ts = self._grid_times(ts)
        index, x, tx, T, prm = self._customers(data)
        # columns: broadcast against the row of times
        (ux, uT), uprm, inv = self._distinct((x, T), prm, shape=(-1, 1))
        values = np.asarray(alive_values(ux, uT, ts[None, :], uprm), dtype=float)
        return CustomerGrid(index, ts, self._alive_now(x, tx, T, prm), values, inv)

    def expected_purchases_grid(self, data, *, ts) -> CustomerGrid:
        """Each customer's expected purchases in (T, T + t] for every t in ``ts``, at once.

        The same values as ``expected_purchases(data, t=t)`` for each ``t``,
        with the data validated and the distinct (frequency, T) rows found
        once, and the model's special functions evaluated on those rows only.
        A CLV asks for dozens of horizons for the same customers.

        Parameters
        ----------
        data : DataFrame
            ``frequency``, ``recency``, ``T``.
        ts : sequence of float
            Window lengths (>= 0) in the model's time unit.

        Returns
        -------
        CustomerGrid
            Factored customers x ``ts`` values: ``.at(j)``, ``.combine(weights)``,
            ``.increments()``, ``.to_frame()``.
        """
        return self._grid(data, ts, self._alive_purchases)

    def p_alive_grid(self, data, *, ts) -> CustomerGrid:
        """P(alive) ``t`` after each customer's observation end, for every t in ``ts``.

        The same values as ``p_alive(data, t=t)`` for each ``t`` (see
        :meth:`expected_purchases_grid` for the form of the result).
        """
        return self._grid(data, ts, self._alive_survival)
