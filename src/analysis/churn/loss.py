"""The loss list: valuable customers ranked by expected loss, with what it is worth spending on each.

The early-warning list (:func:`analysis.churn.early_warning`) flags valuable
customers for a reason and orders them by their whole CLV; a customer who
bought last week can sit at its top. :func:`loss_list` ranks by what the
firm can expect to lose instead:

- ``risk``: the probability that the customer goes quiet (no purchase within
  a horizon), given by the caller: the learned per-customer probability of
  :mod:`analysis.churn.risk` when it exists, or any score in [0, 1];
- ``expected_loss = risk x clv_net``: the value the firm loses on average if
  it does nothing (``expected_loss_low`` and ``_high`` from the table's
  ``clv_low``/``clv_high`` when present: the CLV interval shifted by the
  customer's cost to serve, ``clv - clv_net``; the risk is taken as known);
- ``break_even_spend = expected_loss x save_rate``: the most it is worth
  spending on one contact with the customer. If a contact keeps a share
  ``save_rate`` of the customers who would otherwise go quiet, and changes
  nothing for the others, its expected return is ``risk x save_rate x
  clv_net``; a contact costing more than that loses money on average.

Only customers whose risk is above the *base rate* (the mean risk of the
table's customers, of its valuable ones, or a rate the caller gives, such
as the observed share going quiet) are flagged: a customer less at risk than the average one is
not a warning, however valuable. The list is cut by ``top_n`` customers or
by a ``budget`` that the summed break-even spend may not pass.

The save rate is an **assumption until tested**: :data:`DEFAULT_SAVE_RATE`
is the mean of the offer-acceptance rate that Verbraken, Verbeke and Baesens
(2013) assume for retention campaigns (Beta(6, 14), mean 0.30, 90% of its
mass in :data:`SAVE_RATE_RANGE`), from telecom churn studies, not from this
firm. A randomised holdout group (:func:`analysis.strategy.holdout_split`)
in the plan (:func:`analysis.strategy.plan`) measures it in the next round.

:func:`flag_precision` measures the list: of the customers the same rule
would have flagged one horizon earlier, the share that went quiet within the
horizon, against the share among all customers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..customers import TableInfo
from ..errors import DataValidationError, where_rows
from ..segments import tiers_for
from ..units import P_ALIVE_EVEN
from .compare import LIST_PROBABILITIES
from .evaluate import active_between
from .risk import fit_inactivity_risk, p_quiet
from .warning import TOP_TIERS, early_warning, valuable

__all__ = [
    "DEFAULT_SAVE_RATE",
    "SAVE_RATE_RANGE",
    "SAVE_RATE_SOURCE",
    "LOSS_COLUMNS",
    "PRECISION_COLUMNS",
    "BASE_RATES",
    "base_rate_of",
    "list_risk",
    "loss_list",
    "flag_precision",
]

#: share of the customers who would go quiet that one retention contact keeps (an assumption)
DEFAULT_SAVE_RATE: float = 0.30
#: the central 90% of the source's Beta(6, 14) for the save rate
SAVE_RATE_RANGE: tuple[float, float] = (0.15, 0.48)
#: where the default save rate comes from, and what it is not
SAVE_RATE_SOURCE: str = (
    "Verbraken, Verbeke and Baesens (2013), 'A novel profit maximizing metric for measuring "
    "classification performance of customer churn prediction models', IEEE TKDE 25(5): 961-973: "
    "the probability that a would-be churner accepts a retention offer, Beta(6, 14), mean 0.30 "
    "(telecom churn studies). An assumption for this firm until a holdout group measures it."
)

#: the columns of :func:`loss_list`, in order
LOSS_COLUMNS: tuple[str, ...] = (
    "stage",
    "tier",
    "clv_net",
    "risk",
    "risk_ratio",
    "p_alive",
    "days_since_last",
    "expected_loss",
    "expected_loss_low",
    "expected_loss_high",
    "break_even_spend",
    "cumulative_spend",
    "reasons",
)

#: the columns of :func:`flag_precision`
PRECISION_COLUMNS: tuple[str, ...] = (
    "customers",
    "went_quiet",
    "share_quiet",
    "share_low",
    "share_high",
    "mean_risk",
)


def _risk(table: pd.DataFrame, risk) -> pd.Series:
    if not isinstance(risk, pd.Series):
        raise TypeError(
            f"risk must be a Series indexed by customer_id, got {type(risk).__name__}; "
            "e.g. 1 - table['p_alive'] or the learned risk of analysis.churn"
        )
    if risk.index.has_duplicates:
        dup = risk.index[risk.index.duplicated()].unique()
        raise DataValidationError(f"risk has repeated customer ids ({where_rows(dup, None, None)})")
    out = pd.to_numeric(risk.reindex(table.index), errors="coerce").astype(float)
    missing = out.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"risk has no value for {int(missing.sum())} customer(s) of the table "
            f"({where_rows(table.index[missing], None, None)}); give every customer a risk"
        )
    bad = ((out < 0) | (out > 1)).to_numpy()
    if bad.any():
        raise DataValidationError(
            f"risk must be a probability in [0, 1]; outside at "
            f"{where_rows(table.index[bad], None, None)}"
        )
    return out.rename("risk")


#: how :func:`loss_list` states where its base rate came from
BASE_RATES: dict[str, str] = {
    "table": "mean risk of all customers",
    "valuable": "mean risk of the valuable customers",
    "given": "given",
}


def base_rate_of(
    risk: pd.Series, base_rate: float | str | None = None, valuable: pd.Series | None = None
) -> tuple[float, str]:
    """The base rate a flagged customer's risk must pass, and where it comes from (:data:`BASE_RATES`).

    ``base_rate`` None or ``"table"``: the mean risk of all customers;
    ``"valuable"``: the mean risk of the customers ``valuable`` marks True;
    a number in [0, 1] (e.g. the observed share going quiet), or its text
    (a report parameter such as ``"0.4"``): that number.
    """
    if isinstance(base_rate, str) and base_rate not in ("table", "valuable"):
        try:
            base_rate = float(base_rate)
        except ValueError:
            raise ValueError(
                f"base_rate must be 'table', 'valuable' or a probability, got {base_rate!r}"
            ) from None
    if base_rate is None or base_rate == "table":
        return float(risk.mean()), BASE_RATES["table"]
    if base_rate == "valuable":
        if valuable is None or not valuable.any():
            raise ValueError("base_rate='valuable' needs at least one valuable customer")
        return float(risk[valuable.to_numpy()].mean()), BASE_RATES["valuable"]
    if isinstance(base_rate, str):
        raise ValueError(
            f"base_rate must be 'table', 'valuable' or a probability, got {base_rate!r}"
        )
    if not 0.0 <= float(base_rate) <= 1.0:
        raise ValueError(f"base_rate must be a probability in [0, 1], got {base_rate!r}")
    return float(base_rate), BASE_RATES["given"]


def list_risk(
    kind: str,
    table: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    horizon: int | float | pd.Timedelta,
    info: TableInfo,
    period: str = "M",
    time_unit: str = "W",
) -> pd.Series:
    """The probability of going quiet a loss list ranks by, at the table's cut.

    Parameters
    ----------
    kind : str
        A key of :data:`~analysis.churn.compare.LIST_PROBABILITIES` (as
        :func:`analysis.churn.compare.list_score` chooses it): ``"risk"``
        (learned on the log up to the table's cut, with the table's count
        model), ``"p_quiet"`` (the count model's probability of no purchase
        within ``horizon``) or ``"p_alive"`` (``1 - p_alive``).
    table : DataFrame
        The customer table at the cut.
    transactions : DataFrame
        The log (only ``"risk"`` reads it; nothing after the cut).
    horizon : int, float or Timedelta
        Days ahead.
    info : TableInfo
        The table's provenance (its cut, ``observation_end``, and count model).
    period, time_unit : str
        Of the customer tables the learned risk builds at earlier cuts.

    Returns
    -------
    Series
        ``risk`` indexed like ``table``, in [0, 1].
    """
    if kind not in LIST_PROBABILITIES:
        raise ValueError(f"kind must be one of {list(LIST_PROBABILITIES)}, got {kind!r}")
    if kind == "p_alive":
        return (1.0 - table["p_alive"].astype(float)).rename("risk")
    days = horizon / pd.Timedelta(days=1) if isinstance(horizon, pd.Timedelta) else horizon
    if kind == "p_quiet":
        return p_quiet(table, float(days), info=info).rename("risk")
    return fit_inactivity_risk(
        transactions,
        observation_end=info.observation_end,
        horizon=days,
        table=table,
        info=info,
        period=period,
        time_unit=time_unit,
    ).risk


def _net_bounds(table: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    if not {"clv_low", "clv_high", "clv"} <= set(table.columns):
        return None
    cost = table["clv"].astype(float) - table["clv_net"].astype(float)
    return table["clv_low"].astype(float) - cost, table["clv_high"].astype(float) - cost


def loss_list(
    table: pd.DataFrame,
    risk: pd.Series,
    *,
    top_tiers: Sequence[str] | None = TOP_TIERS,
    tiers=None,
    top_n: int | None = None,
    budget: float | None = None,
    save_rate: float = DEFAULT_SAVE_RATE,
    base_rate: float | str | None = None,
    p_alive_below: float = P_ALIVE_EVEN,
    cycle_factor: float = 3.0,
) -> pd.DataFrame:
    """Valuable customers above the base rate of risk, ranked by expected loss, with their reasons.

    Parameters
    ----------
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`),
        indexed by ``customer_id``; reads ``stage``, ``periods_in_stage``,
        ``clv_net``, ``p_alive``, ``days_since_last``,
        ``purchase_cycle_days`` and, when present, ``clv``, ``clv_low``, ``clv_high``.
    risk : Series
        Probability that each customer goes quiet, indexed by
        ``customer_id``, in [0, 1], one value for every customer of ``table``
        (extra ids are ignored).
    top_tiers : sequence of str or None
        The valuable CLV tiers (:func:`analysis.churn.valuable`); None for every customer.
    tiers : Series, DataFrame or None
        The tiers (:func:`analysis.segments.tiers_for`); by default
        :func:`analysis.segments.clv_tiers` of ``table``.
    top_n : int, optional
        Keep the first ``top_n`` customers of the ranking.
    budget : float, optional
        Keep the customers of the ranking while the summed break-even spend
        stays within ``budget`` (currency of ``clv_net``).
    save_rate : float
        Share of the customers who would go quiet that one contact keeps
        (:data:`DEFAULT_SAVE_RATE`, an assumption; see the module docstring).
    base_rate : float, {"table", "valuable"} or None
        The risk a customer must exceed to be flagged: the mean ``risk`` of
        all the table's customers (None or ``"table"``, default), of the
        valuable ones (``"valuable"``: the list's own population, a lower
        bar where valuable customers are less at risk), or a probability
        (e.g. the observed share going quiet).
    p_alive_below, cycle_factor : float
        The thresholds of the early warning's reasons (:func:`analysis.churn.early_warning`).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, columns :data:`LOSS_COLUMNS`, sorted by
        ``expected_loss`` (descending), then ``risk`` (descending), then id.
        ``risk_ratio`` is risk over the base rate; ``cumulative_spend`` the
        running sum of ``break_even_spend``; ``reasons`` the risk against the
        base rate, then the early warning's reasons that hold.
        ``expected_loss_low``/``_high`` are NaN without ``clv_low``/``clv_high``.
        ``attrs``: ``base_rate``, ``save_rate``, ``save_rate_range``,
        ``save_rate_source``, ``top_tiers``, ``top_n``, ``budget``,
        ``eligible`` (flagged before the cut), ``eligible_expected_loss``,
        ``valuable`` (customers of the top tiers), ``valuable_below_base``
        (of them, at or below the base rate).
    """
    if "clv_net" not in table.columns:
        raise DataValidationError(
            "the customer table has no 'clv_net' column; build it with "
            "analysis.customers.customer_table"
        )
    if not 0.0 <= float(save_rate) <= 1.0:
        raise ValueError(f"save_rate must be a share in [0, 1], got {save_rate!r}")
    if top_n is not None and int(top_n) < 0:
        raise ValueError(f"top_n must be a number of customers >= 0, got {top_n!r}")
    if budget is not None and not float(budget) >= 0:
        raise ValueError(f"budget must be an amount >= 0, got {budget!r}")
    r = _risk(table, risk)
    tier, keep = valuable(table, tiers, top_tiers)
    base, base_from = base_rate_of(r, base_rate, keep)
    above = (r > base).to_numpy()
    flagged = keep.to_numpy() & above
    every = tiers_for(table, tiers, labels=None) if tier is None else tier
    warned = early_warning(  # its reasons for every customer: all tiers watched
        table,
        tiers=every,
        top_tiers=tuple(every.astype(str).unique()),
        p_alive_below=p_alive_below,
        cycle_factor=cycle_factor,
    )["reasons"].reindex(table.index)
    clv_net = table["clv_net"].astype(float)
    loss = r * clv_net
    bounds = _net_bounds(table)
    low, high = (r * bounds[0], r * bounds[1]) if bounds else (np.nan, np.nan)
    ratio = r / base if base > 0 else pd.Series(np.inf, index=table.index)
    out = pd.DataFrame(
        {
            "stage": table["stage"],
            "tier": every,
            "clv_net": clv_net,
            "risk": r,
            "risk_ratio": ratio,
            "p_alive": table["p_alive"].astype(float),
            "days_since_last": table["days_since_last"].astype(float),
            "expected_loss": loss,
            "expected_loss_low": low,
            "expected_loss_high": high,
            "break_even_spend": loss * float(save_rate),
        },
        index=table.index,
    )[flagged]
    texts = []
    for cid, row in out.iterrows():
        lead = f"risk {row['risk']:.2f}, {row['risk_ratio']:.1f}x the base rate {base:.2f}"
        extra = warned.get(cid)
        texts.append(lead + (f"; {extra}" if isinstance(extra, str) and extra else ""))
    out["reasons"] = texts
    id_name = out.index.name or "customer_id"
    out = (
        out.rename_axis(id_name)
        .reset_index()
        .sort_values(
            ["expected_loss", "risk", id_name], ascending=[False, False, True], kind="stable"
        )
        .set_index(id_name)
    )
    eligible, eligible_loss = len(out), float(out["expected_loss"].sum())
    if top_n is not None:
        out = out.iloc[: int(top_n)]
    spend = out["break_even_spend"].cumsum()
    if budget is not None:
        out, spend = out[(spend <= float(budget)).to_numpy()], spend[spend <= float(budget)]
    out["cumulative_spend"] = spend
    out = out[list(LOSS_COLUMNS)]
    n_valuable = int(keep.sum())
    out.attrs = {
        "base_rate": base,
        "base_rate_from": base_from,
        "save_rate": float(save_rate),
        "save_rate_range": SAVE_RATE_RANGE,
        "save_rate_source": SAVE_RATE_SOURCE,
        "top_tiers": None if top_tiers is None else tuple(np.atleast_1d(top_tiers).tolist()),
        "top_n": top_n,
        "budget": budget,
        "eligible": eligible,
        "eligible_expected_loss": eligible_loss,
        "valuable": n_valuable,
        "valuable_below_base": n_valuable - eligible,
        "has_interval": bounds is not None,
    }
    return out


def _wilson(k: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    if n <= 0:
        return np.nan, np.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def flag_precision(
    transactions: pd.DataFrame,
    table_then: pd.DataFrame,
    risk_then: pd.Series,
    *,
    horizon: int | float | pd.Timedelta,
    observation_end=None,
    info: TableInfo | None = None,
    **rule,
) -> pd.DataFrame:
    """How often the list was right: of the customers flagged one horizon ago, the share gone quiet.

    The same rule (:func:`loss_list` with ``rule``) is applied to the table
    and the risk *as they were* at an earlier date; the outcome is whether
    each customer bought in the ``horizon`` days after it
    (:func:`analysis.churn.active_between`).

    Parameters
    ----------
    transactions : DataFrame
        The log (``customer_id``, ``date``), reaching at least
        ``observation_end + horizon``.
    table_then : DataFrame
        The customer table built on the log up to the earlier date.
    risk_then : Series
        The risk of going quiet as known at that date (same index).
    horizon : int, float or Timedelta
        The window in which a customer must buy to count as active (days).
    observation_end : date-like, optional
        The earlier date; ``info.observation_end`` by default.
    info : TableInfo, optional
        The provenance of ``table_then`` (one of ``observation_end`` and ``info`` is needed).
    **rule
        The keyword arguments of :func:`loss_list` (``top_tiers``, ``top_n``,
        ``budget``, ``save_rate``, ``base_rate``, ...).

    Returns
    -------
    DataFrame
        Index ``group``: ``flagged`` (the list), ``valuable, not flagged``
        (the top tiers' other customers), ``valuable`` (both), ``all
        customers``; columns
        :data:`PRECISION_COLUMNS`: ``customers``, ``went_quiet`` (no purchase
        within the horizon), ``share_quiet`` (for ``flagged``: the precision;
        for ``all customers``: the base rate), its 95% Wilson interval
        ``share_low``/``share_high``, and ``mean_risk`` (what the risk
        predicted). ``attrs``: ``observation_end``, ``through``,
        ``horizon_days``, ``precision``, ``base_rate_observed``, ``lift``
        (precision over the observed base rate), ``base_rate_valuable`` and
        ``lift_valuable`` (the same among the valuable customers, the list's
        own population), ``rule_base_rate`` (the risk the rule required).

    Raises
    ------
    ValueError
        When the log ends before the horizon does (the outcome is not observed).
    """
    end = observation_end if observation_end is not None or info is None else info.observation_end
    if end is None:
        raise ValueError(
            "flag_precision: pass observation_end= (the earlier date) or the table's info="
        )
    end = pd.Timestamp(end)
    days = horizon.days if isinstance(horizon, pd.Timedelta) else float(horizon)
    if not days > 0:
        raise ValueError(f"horizon must be a positive number of days, got {horizon!r}")
    through = end + pd.Timedelta(days=days)
    last = pd.to_datetime(transactions["date"]).max()
    if last < through:
        raise ValueError(
            f"the log ends at {last.date()}, before the horizon's end {through.date()} "
            f"({end.date()} + {days:g} days): the outcome is not observed; "
            "choose an earlier date or a shorter horizon"
        )
    flagged = loss_list(table_then, risk_then, **rule)
    r = _risk(table_then, risk_then)
    _, keep = valuable(table_then, rule.get("tiers"), rule.get("top_tiers", TOP_TIERS))
    active = active_between(transactions, after=end, through=through, customers=table_then.index)
    quiet = ~active.reindex(table_then.index).astype(bool)
    on_list = table_then.index.isin(flagged.index)
    groups = {
        "flagged": on_list,
        "valuable, not flagged": keep.to_numpy() & ~on_list,
        "valuable": keep.to_numpy(),
        "all customers": np.ones(len(table_then), bool),
    }
    rows = {}
    for name, mask in groups.items():
        n, k = int(mask.sum()), int(quiet.to_numpy()[mask].sum())
        lo, hi = _wilson(k, n)
        rows[name] = {
            "customers": n,
            "went_quiet": k,
            "share_quiet": k / n if n else np.nan,
            "share_low": lo,
            "share_high": hi,
            "mean_risk": float(r.to_numpy()[mask].mean()) if n else np.nan,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")[list(PRECISION_COLUMNS)]
    out.index.name = "group"
    precision = out.loc["flagged", "share_quiet"]
    observed = out.loc["all customers", "share_quiet"]
    among = out.loc["valuable", "share_quiet"]
    out.attrs = {
        "observation_end": str(end.date()),
        "through": str(through.date()),
        "horizon_days": days,
        "precision": float(precision),
        "base_rate_observed": float(observed),
        "lift": float(precision / observed) if observed > 0 else np.nan,
        "base_rate_valuable": float(among),
        "lift_valuable": float(precision / among) if among > 0 else np.nan,
        "rule_base_rate": flagged.attrs["base_rate"],
    }
    return out
