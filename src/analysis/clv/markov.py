"""Markov-chain CLV (Pfeifer & Carraway 2000) and the chains it values.

- :func:`markov_clv`: V = sum_t ((1 + d)^-1 P)^t R for a transition matrix
  P and a reward per state R; :func:`project_shares` and
  :func:`brand_switching_clv` for the brand-switching example of
  ``docs/domain.md#markov-chain-method``.
- :func:`transition_matrix_from_counts`: the one estimator of a transition
  matrix from counted transitions, used by the recency chain here and by the
  lifecycle stage chain (:mod:`analysis.lifecycle`). Its policy for a state
  that is never left in the data (a row without transitions) is written
  once: the state is made absorbing (it stays where it is, since nothing
  says otherwise) and an :class:`AbsorbingStateWarning` names it, because a
  chain that keeps such customers forever can overstate their value.
- :func:`recency_states`, :func:`recency_chain` and
  :func:`markov_customer_clv`: the recency-state chain of a transaction log
  (months since the last purchase) and the CLV of each customer from it.

Discount rates are per step of the chain; :func:`markov_customer_clv`
converts a yearly rate with :func:`analysis.units.per_period_rate`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..units import per_period_rate, units_per_year
from ..validate import DataValidationError

__all__ = [
    "AbsorbingStateWarning",
    "transition_matrix_from_counts",
    "markov_clv",
    "project_shares",
    "brand_switching_clv",
    "recency_states",
    "recency_chain",
    "markov_customer_clv",
]

_ROW_SUM_TOL = 1e-6


class AbsorbingStateWarning(UserWarning):
    """States never left in the data were made absorbing by :func:`transition_matrix_from_counts`."""


def transition_matrix_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Transition probabilities from counted transitions: each row divided by its total.

    ``P[i, j] = counts[i, j] / sum_j counts[i, j]``, the maximum likelihood
    estimate of a Markov chain's transition matrix.

    States never left: a state with no observed transition out of it (a
    row of zeros, or a state that appears only as a column) is made
    absorbing, ``P[i, i] = 1``, and an :class:`AbsorbingStateWarning` names
    it. Nothing in the data says where such customers go; keeping them in
    place is the neutral choice, but a chain valued far ahead then keeps them
    (and their reward) forever, so the warning asks to check it: a longer
    log, merged states or an explicit rule.

    Parameters
    ----------
    counts : DataFrame
        Number of observed transitions (or weights), from-states as the
        index and to-states as the columns; finite and non-negative. The
        states are the index followed by any column not in it, in order.

    Returns
    -------
    DataFrame
        States x states, rows summing to 1, labelled (and the axes named) as ``counts``.
    """
    if not isinstance(counts, pd.DataFrame):
        raise TypeError(
            f"counts must be a DataFrame (from-states x to-states), got {type(counts).__name__}"
        )
    if counts.index.has_duplicates or counts.columns.has_duplicates:
        raise ValueError("counts: each state must label one row and one column")
    extra = [c for c in counts.columns if c not in set(counts.index)]
    states = list(counts.index) + extra
    index = pd.Index(states, name=counts.index.name)
    columns = pd.Index(states, name=counts.columns.name)
    mat = counts.reindex(index=index, columns=columns, fill_value=0).to_numpy(dtype=float)
    if not np.all(np.isfinite(mat)) or np.any(mat < 0):
        raise ValueError("counts must be finite and non-negative numbers of transitions")
    totals = mat.sum(axis=1)
    never_left = totals == 0
    if never_left.any():
        names = [states[i] for i in np.flatnonzero(never_left)]
        warnings.warn(
            f"state(s) {names} are never left in the data (no transition out of them is "
            "observed) and are made absorbing: a customer there stays there for ever. Check "
            "that this is meant (e.g. a final 'lost' state), or use a longer log or merge states.",
            AbsorbingStateWarning,
            stacklevel=2,
        )
    safe = np.where(never_left, 1.0, totals)[:, None]
    P = np.where(never_left[:, None], np.eye(len(states)), mat / safe)
    return pd.DataFrame(P, index=index, columns=columns)


def _transition_matrix(P) -> tuple[np.ndarray, pd.Index | None]:
    labels = None
    if isinstance(P, pd.DataFrame):
        if len(P.index) != len(P.columns) or not P.index.equals(P.columns):
            if set(P.index) == set(P.columns) and len(P.index) == len(P.columns):
                P = P.loc[:, P.index]  # same states, other column order: align
            else:
                raise ValueError(
                    "P: the row labels (from-states) and column labels (to-states) must be the "
                    f"same states; rows {list(P.index)}, columns {list(P.columns)}."
                )
        labels = P.index
        mat = P.to_numpy(dtype=float)
    else:
        mat = np.asarray(P, dtype=float)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
        raise ValueError(f"P must be a square matrix (states x states), got shape {mat.shape}")
    if not np.all(np.isfinite(mat)):
        raise ValueError("P holds missing or infinite values")
    names = list(labels) if labels is not None else list(range(mat.shape[0]))
    neg = np.argwhere(mat < 0)
    if len(neg):
        i, j = neg[0]
        raise ValueError(
            f"P has negative transition probabilities, first at row {names[i]!r}, "
            f"column {names[j]!r} ({mat[i, j]:g})."
        )
    sums = mat.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_SUM_TOL)
    if len(bad):
        detail = ", ".join(f"row {names[i]!r} sums to {sums[i]:.6g}" for i in bad[:5])
        raise ValueError(
            f"each row of P must sum to 1 (the probabilities of moving from one state to all "
            f"states): {detail}. Add the missing probability to an absorbing 'lost' state."
        )
    return mat, labels


def _reward(R, n_states: int, labels) -> tuple[np.ndarray, pd.Index | None, list | None]:
    columns = None
    if isinstance(R, (pd.Series, pd.DataFrame)):
        if labels is not None:
            missing = [s for s in labels if s not in R.index]
            extra = [s for s in R.index if s not in set(labels)]
            if missing or extra:
                raise ValueError(
                    f"R's labels do not match P's states: missing {missing}, unknown {extra}."
                )
            R = R.loc[labels]
        else:
            labels = R.index
        if isinstance(R, pd.DataFrame):
            columns = list(R.columns)
        mat = R.to_numpy(dtype=float)
    else:
        mat = np.asarray(R, dtype=float)
    if mat.ndim == 0:
        mat = np.full(n_states, float(mat))
    if mat.ndim > 2 or mat.shape[0] != n_states:
        raise ValueError(
            f"R must hold one reward per state ({n_states} states), got shape {mat.shape}"
        )
    if not np.all(np.isfinite(mat)):
        raise ValueError("R holds missing or infinite values")
    if labels is not None and len(labels) != n_states:
        raise ValueError(f"R has {len(labels)} labels for {n_states} states")
    return mat, labels, columns


def markov_clv(P, R, discount: float, horizon: int | None = None, first_period: int = 0):
    """Markov-chain CLV of Pfeifer & Carraway (2000): V = sum_t ((1 + d)^-1 P)^t R.

    A customer in state i at period 0 moves between states by the transition
    matrix ``P`` (``P[i, j]`` is the probability of being in state j next
    period given state i now) and brings the reward ``R[j]`` in every period
    spent in state j. ``V[i]`` is the expected discounted reward of a customer
    now in state i.

    Conventions: period t's reward is discounted by ``(1 + discount)^-t``;
    period 0 (the current state's reward, undiscounted) is counted by default,
    as in Pfeifer & Carraway. ``first_period=1`` counts only future periods.
    With ``horizon=None`` the sum runs to infinity, computed as
    ``M^first (I - M)^-1 R`` with ``M = P / (1 + d)`` (needs ``discount > 0``);
    with ``horizon=H`` it runs over t = first_period..H (H + 1 terms with the
    default ``first_period=0``).

    Works for customer-migration chains (recency buckets or lifecycle stages
    with an absorbing "lost" state of reward 0, or negative reward for a cost)
    and for brand switching (see :func:`brand_switching_clv`).

    Parameters
    ----------
    P : array-like or DataFrame, shape (s, s)
        Transition matrix; rows sum to 1. A DataFrame's index (from-states)
        and columns (to-states) must name the same states.
    R : array-like, Series or DataFrame, shape (s,) or (s, k)
        Reward per period in each state (net margin: revenue minus cost to
        serve); several reward columns are valued at once. A Series or
        DataFrame is aligned to P's states by label.
    discount : float
        Discount rate per period of the chain (e.g. 0.10 for yearly periods).
    horizon : int, optional
        Last period counted; None for an infinite horizon.
    first_period : int
        First period counted (0 includes the current period's reward).

    Returns
    -------
    Series or DataFrame
        Expected discounted value per starting state (``clv``), labelled by
        P's (or R's) state labels; a DataFrame when R had several columns.

    Examples
    --------
    Two states, active (margin 100) and lost (absorbing, 0), retention 0.8,
    d = 0.1: V_active = 100 / (1 - 0.8 / 1.1) = 366.67.

    >>> P = [[0.8, 0.2], [0.0, 1.0]]
    >>> print(round(float(markov_clv(P, [100, 0], 0.10).iloc[0]), 2))
    366.67
    """
    mat, labels = _transition_matrix(P)
    n = mat.shape[0]
    reward, labels, columns = _reward(R, n, labels)
    d = float(discount)
    if not np.isfinite(d) or d <= -1:
        raise ValueError(f"discount must be a rate greater than -1, got {discount!r}")
    if int(first_period) != first_period or first_period < 0:
        raise ValueError(f"first_period must be a non-negative integer, got {first_period!r}")
    first_period = int(first_period)
    M = mat / (1.0 + d)

    if horizon is None:
        if d <= 0:
            raise ValueError(
                "an infinite horizon needs a positive discount rate (with d <= 0 the sum of "
                "rewards of a stochastic P does not converge); give discount > 0 or a horizon."
            )
        value = np.linalg.solve(np.eye(n) - M, reward)
        for _ in range(first_period):
            value = M @ value
    else:
        if int(horizon) != horizon or horizon < 0:
            raise ValueError(f"horizon must be a non-negative integer or None, got {horizon!r}")
        horizon = int(horizon)
        if horizon < first_period:
            value = np.zeros_like(reward)
        elif d > 0 and horizon - first_period > 5000:
            # long horizons: the geometric-series identity sum_{t=a}^{H} M^t = M^a (I - M^{H-a+1}) (I - M)^-1
            tail = np.linalg.matrix_power(M, horizon - first_period + 1)
            value = np.linalg.solve(np.eye(n) - M, reward - tail @ reward)
            value = np.linalg.matrix_power(M, first_period) @ value
        else:
            term = np.linalg.matrix_power(M, first_period) @ reward
            value = term.copy()
            for _ in range(horizon - first_period):
                term = M @ term
                value = value + term

    index = labels if labels is not None else pd.RangeIndex(n, name="state")
    if value.ndim == 2:
        return pd.DataFrame(value, index=index, columns=columns if columns is not None else None)
    return pd.Series(value, index=index, name="clv")


def project_shares(shares, P, periods: int) -> pd.DataFrame:
    """Project a customer's share of purchases over states (brands) for ``periods`` periods.

    Row t is ``shares @ P^t`` (t = 0..periods).

    Parameters
    ----------
    shares : array-like or Series
        Current split of the customer's purchases over the states; sums to 1.
    P : array-like or DataFrame
        Brand-switching matrix, rows sum to 1.
    periods : int
        Number of periods to project.

    Returns
    -------
    DataFrame
        Index ``period`` 0..periods, one column per state.
    """
    mat, labels = _transition_matrix(P)
    s, labels, _ = _reward(shares, mat.shape[0], labels)
    if s.ndim != 1 or np.any(s < 0) or abs(s.sum() - 1) > _ROW_SUM_TOL:
        raise ValueError(f"shares must be non-negative and sum to 1, got {s.tolist()}")
    rows = [s]
    for _ in range(int(periods)):
        rows.append(rows[-1] @ mat)
    cols = labels if labels is not None else pd.RangeIndex(mat.shape[0])
    return pd.DataFrame(
        np.vstack(rows), index=pd.RangeIndex(len(rows), name="period"), columns=cols
    )


def brand_switching_clv(
    shares,
    P,
    category_spend: float,
    margin: float,
    discount: float,
    horizon: int | None = None,
    first_period: int = 0,
) -> pd.Series:
    """Value of one customer to each brand in a brand-switching (share-of-wallet) model.

    The example of ``docs/domain.md#markov-chain-method``: a customer splits
    each period's purchases over brands A, B, C (e.g. 60/30/10) and the split
    moves by the switching matrix ``P`` (``P[i, j]``: share of purchases
    moving from brand i to brand j). Brand
    j's expected share in period t is ``(shares @ P^t)[j]`` and its value is
    sum_t (1 + d)^-t * share_t[j] * category_spend * margin, the Markov CLV
    of :func:`markov_clv` with reward ``category_spend * margin`` in state j,
    averaged over the current split. Period 0 (the current split) is counted
    unless ``first_period=1``.

    Parameters
    ----------
    shares : array-like or Series
        Current split of the customer's category purchases over brands; sums to 1.
    P : array-like or DataFrame
        Brand-switching matrix, rows sum to 1.
    category_spend : float
        The customer's spend on the whole category per period.
    margin : float
        Margin rate on sales (e.g. 0.2), the same for every brand here.
    discount : float
        Discount rate per period.
    horizon, first_period
        As in :func:`markov_clv`.

    Returns
    -------
    Series
        Expected discounted margin of the customer for each brand.

    Examples
    --------
    An illustrative switching matrix (the published example gives the 60/30/10
    split but not its matrix): after one period the split is
    0.6*[.8,.1,.1] + 0.3*[.2,.7,.1] + 0.1*[.1,.1,.8] = [.55, .28, .17], so
    with spend 100, margin 0.2 and d = 0.1, brand A's two-period value is
    20 * (0.60 + 0.55 / 1.1) = 22.

    >>> P = pd.DataFrame([[.8, .1, .1], [.2, .7, .1], [.1, .1, .8]],
    ...                  index=list("ABC"), columns=list("ABC"))
    >>> v = brand_switching_clv(pd.Series([.6, .3, .1], index=list("ABC")), P, 100, 0.2, 0.1, horizon=1)
    >>> print(round(float(v["A"]), 6))
    22.0
    """
    mat, labels = _transition_matrix(P)
    n = mat.shape[0]
    s, labels, _ = _reward(shares, n, labels)
    if s.ndim != 1 or np.any(s < 0) or abs(s.sum() - 1) > _ROW_SUM_TOL:
        raise ValueError(f"shares must be non-negative and sum to 1, got {s.tolist()}")
    index = labels if labels is not None else pd.RangeIndex(n, name="brand")
    reward = pd.DataFrame(
        np.eye(n) * float(category_spend) * float(margin), index=index, columns=index
    )
    P_frame = pd.DataFrame(mat, index=index, columns=index)
    values = markov_clv(P_frame, reward, discount, horizon=horizon, first_period=first_period)
    return pd.Series(s @ values.to_numpy(), index=index, name="clv")


def _ordinals(dates: pd.Series, period: str) -> np.ndarray:
    return pd.PeriodIndex(pd.to_datetime(dates), freq=period).asi8


def recency_states(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
    max_recency: int = 12,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> pd.DataFrame:
    """Every customer's recency state in every calendar period, from the first purchase to the end.

    The state is the number of whole periods since the customer's last
    purchase ("0": bought in this period), capped at ``max_recency``
    ("12+": twelve periods or more). The cap is lowered, when needed, to the
    number of periods observed minus two, the largest state that the data
    show being left (a state never left would be absorbing in
    :func:`recency_chain` only because the log is short). Purchases after ``observation_end`` are
    ignored; the last period is the one holding ``observation_end`` (partly
    observed when it ends inside a period).

    Returns
    -------
    DataFrame
        ``customer_id``, ``period`` (pandas Period), ``state`` (ordered
        categorical "0", "1", ..., "12+"), ``spend`` (total in the period) and
        ``acquisition`` (the period of the first purchase), sorted by customer and period.
    """
    for col in (customer_id, date, amount):
        if col not in transactions.columns:
            raise DataValidationError(
                f"recency_states needs column {col!r}; columns found: {list(transactions.columns)}"
            )
    if int(max_recency) != max_recency or max_recency < 1:
        raise ValueError(f"max_recency must be a whole number >= 1, got {max_recency!r}")
    max_recency = int(max_recency)
    tx = transactions[[customer_id, date, amount]]
    dates = pd.to_datetime(tx[date])
    if observation_end is not None:
        end = pd.Timestamp(observation_end)
        tx = tx.loc[dates.dt.normalize() <= end.normalize()]
        dates = dates.loc[tx.index]
    else:
        end = dates.max()
    if len(tx) == 0:
        raise DataValidationError("recency_states: no purchases up to the observation end")
    end_o = int(pd.Period(end, freq=period).ordinal)
    per = pd.DataFrame(
        {
            "c": tx[customer_id].to_numpy(),
            "o": _ordinals(dates, period),
            "a": tx[amount].to_numpy(dtype=float),
        }
    )
    spend = per.groupby(["c", "o"], sort=True)["a"].sum()
    first = spend.reset_index().groupby("c", sort=True)["o"].min()
    max_recency = max(1, min(max_recency, end_o - int(first.min()) - 1))
    lengths = (end_o - first.to_numpy() + 1).astype(np.int64)
    cust = np.repeat(first.index.to_numpy(), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ordinal = np.repeat(first.to_numpy(), lengths) + offset
    in_period = spend.reindex(pd.MultiIndex.from_arrays([cust, ordinal]))
    bought = in_period.notna().to_numpy()
    # last purchase period so far: a forward fill, which stays within a customer because
    # every customer's first row is a purchase period
    last = pd.Series(np.where(bought, ordinal, np.nan)).ffill().to_numpy()
    codes = np.minimum(ordinal - last, max_recency).astype(np.int64)
    labels = [str(k) for k in range(max_recency)] + [f"{max_recency}+"]
    return pd.DataFrame(
        {
            customer_id: cust,
            "period": pd.PeriodIndex.from_ordinals(ordinal, freq=period),
            "state": pd.Categorical.from_codes(codes, categories=labels, ordered=True),
            "spend": in_period.fillna(0.0).to_numpy(),
            "acquisition": offset == 0,
        }
    )


def recency_chain(states: pd.DataFrame, margin: float = 1.0, customer_id: str = "customer_id"):
    """Transition matrix and reward per recency state, estimated from :func:`recency_states`.

    ``P[i, j]`` is the share of customer-periods in state i followed by state
    j in the customer's next period (:func:`transition_matrix_from_counts`: a
    state never followed by another period in the data is made absorbing,
    with an :class:`AbsorbingStateWarning`). The reward of a state is ``margin``
    times the mean spend of its customer-periods, acquisition periods left
    out (the chain values future, repeat purchases); states other than "0"
    have no purchases, so their reward is 0.

    Returns
    -------
    tuple of (DataFrame, Series)
        ``P`` (states x states, rows sum to 1) and ``R`` (``reward``), labelled by state.
    """
    labels = list(states["state"].cat.categories)
    same = states[customer_id].to_numpy()[1:] == states[customer_id].to_numpy()[:-1]
    frm = states["state"].cat.codes.to_numpy()[:-1][same]
    to = states["state"].cat.codes.to_numpy()[1:][same]
    n = len(labels)
    counts = np.zeros((n, n))
    np.add.at(counts, (frm, to), 1.0)
    index = pd.Index(labels, name="state")
    P = transition_matrix_from_counts(pd.DataFrame(counts, index=index, columns=pd.Index(labels)))
    repeat = states.loc[~states["acquisition"]]
    mean_spend = repeat.groupby("state", observed=False)["spend"].mean()
    reward = mean_spend.reindex(labels).fillna(0.0) * float(margin)
    return P, pd.Series(reward.to_numpy(), index=index, name="reward")


def markov_customer_clv(
    states: pd.DataFrame,
    P: pd.DataFrame,
    R: pd.Series,
    annual_discount_rate: float = 0.10,
    horizon_years: float = 3.0,
    period: str = "M",
    customer_id: str = "customer_id",
) -> pd.Series:
    """Markov-chain CLV of each customer from the recency state of the last period.

    The chain values the periods after the last observed one (t = 1..H,
    ``H = round(horizon_years x periods per year)``), discounted at the
    per-period equivalent of ``annual_discount_rate``
    (:func:`analysis.units.per_period_rate`; :func:`markov_clv` with
    ``first_period=1``).

    Returns
    -------
    Series
        ``clv`` indexed by ``customer_id`` (sorted).
    """
    horizon = int(round(float(horizon_years) * units_per_year(period)))
    discount = per_period_rate(annual_discount_rate, period)
    values = markov_clv(P, R, discount, horizon=horizon, first_period=1)
    last = states.groupby(customer_id, sort=True)["state"].last()
    out = values.reindex(last.astype(str).to_numpy()).to_numpy()
    return pd.Series(out, index=last.index, name="clv")
