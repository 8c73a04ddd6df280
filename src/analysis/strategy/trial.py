"""The honest plan-do-check-act round: targets met by construction, the action behind each, the holdout test.

:func:`~analysis.strategy.plan` and :func:`~analysis.strategy.check` use
these rules (the module docstring of :mod:`analysis.strategy.pdca` says
what they enforce):

- :func:`by_construction_reason`: why a target would be met with nobody
  doing anything (a share at its limit, no improvement asked, a cumulative
  share of :data:`CUMULATIVE_KPIS`);
- :func:`target_action`: the action (:data:`KPI_ACTIONS`) and the playbook
  cells a target follows from;
- :func:`holdout_arms` and :func:`compare_arms`: each KPI measured on the
  treated customers and on the holdout group at the check, their difference
  and its 95% interval (for shares, Newcombe's, :func:`difference_interval`);
- :func:`next_step`: the *act* step of a checked target;
- :func:`draw_holdout`: the plan's holdout group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..units import STAGES
from .budget import holdout_split
from .groups import TIERS, group_labels
from .kpis import KPI_DEFINITIONS, kpis
from .playbook import Playbook, load_playbook

__all__ = [
    "BOUNDED_UNITS",
    "CUMULATIVE_KPIS",
    "KPI_ACTIONS",
    "MIN_ARM_BASE",
    "NOT_TESTED",
    "by_construction_reason",
    "compare_arms",
    "difference_interval",
    "draw_holdout",
    "holdout_arms",
    "next_step",
    "target_action",
]

#: units whose values lie in [0, 1]: a target computed outside is capped to it
BOUNDED_UNITS = ("share", "probability")

#: KPIs counted "so far": for a fixed set of customers they cannot fall
CUMULATIVE_KPIS: dict[str, str] = {
    "repeat_rate": "a cumulative share: repeat_rate counts repeat buyers so far, so for the "
    "plan's customers it cannot fall and a rise shows time passing, not an action (target "
    "repeat_within_days instead)",
}

#: what the firm does to move each KPI (the playbook's words); the ``action`` of a target
KPI_ACTIONS: dict[str, str] = {
    "repeat_rate": "contact first-time buyers to turn the trial into repeat buying",
    "repeat_within_days": "contact new customers soon after their first purchase",
    "purchase_cycle_days": "touch customers periodically at their own purchase cycle",
    "average_order_value": "cross-sell, up-sell and tailored offers",
    "retention_rate": "follow up after purchases: service, satisfaction checks, tailored offers",
    "churn_rate": "follow up after purchases: service, satisfaction checks, tailored offers",
    "reactivation_rate": "win-back contact with lapsed valuable customers",
    "mean_p_alive": "early warning and win-back of valuable customers",
    "cross_sell_rate": "cross-selling across products",
    "referral_rate": "ask satisfied customers for referrals",
    "share_of_value": "invest in the high-value cells, exit the negative ones",
    "share_of_customers": "move spending between cells as the playbook's priorities say",
}

#: fewest customers in the base of a share (e.g. last period's buyers for retention) in each
#: arm for an interval of the difference: below it the interval is not trusted (2 of 7 against
#: 3 of 3 would read as a difference beyond chance, where Fisher's exact test gives p = 0.17)
MIN_ARM_BASE: int = 10

#: ``next_step`` of a target checked without a holdout group
NOT_TESTED = "not tested: no holdout group, so the change cannot be credited to an action"


def by_construction_reason(kpi: str, baseline: float, target: float, direction: str) -> str:
    """Why a target would be met without any action, or ``""`` when it would not.

    Parameters
    ----------
    kpi : str
        A name of :data:`~analysis.strategy.kpis.KPI_DEFINITIONS`.
    baseline, target : float
        The KPI at the plan and the target (NaN baseline: ``""``, nothing to judge).
    direction : {"higher", "lower"}
        Which way meets the target.

    Returns
    -------
    str
        The reason, its kind first (the words before the colon): a cumulative share (:data:`CUMULATIVE_KPIS`) targeted to
        rise; a share or probability already at its limit (100% when higher
        is better, 0% when lower); a target that is not beyond the baseline
        (met if nothing changes).
    """
    if pd.isna(baseline) or pd.isna(target):
        return ""
    unit = KPI_DEFINITIONS[kpi].unit
    higher = direction == "higher"
    if higher and kpi in CUMULATIVE_KPIS:
        return CUMULATIVE_KPIS[kpi]
    if unit in BOUNDED_UNITS and (baseline >= 1.0 if higher else baseline <= 0.0):
        limit = "100%" if higher else "0%"
        return (
            f"already at its limit: the baseline is {limit}, the {unit} cannot move the wanted way"
        )
    if (target <= baseline) if higher else (target >= baseline):
        return (
            f"no improvement asked: the target {target:.4g} is not "
            f"{'above' if higher else 'below'} the baseline {baseline:.4g}, so it is met if "
            "nothing changes"
        )
    return ""


def _cell_matches(group: str, stage: str, tier: str) -> bool:
    parts = set(str(group).split("/"))
    stages, tiers = parts & set(STAGES), parts & set(TIERS)
    return (not stages or stage in stages) and (not tiers or tier in tiers)


def target_action(kpi: str, group: str, playbook: Playbook | None = None) -> str:
    """The action a target follows from: :data:`KPI_ACTIONS` and the playbook cells watching it.

    The cells are those of the group (its stage and tier when the group's
    label names them, every cell for ``all`` or another grouping) whose
    ``kpis`` list ``kpi``. Without such a cell, the text says so: the target
    follows from no play of the playbook.
    """
    book = playbook if playbook is not None else load_playbook()
    cells = [
        f"{s}/{t}"
        for s in STAGES
        for t in TIERS
        if kpi in book.stages[s].tiers[t].kpis and _cell_matches(group, s, t)
    ]
    if not cells:
        return f"none: no playbook cell of {group} watches {kpi}"
    what = KPI_ACTIONS.get(kpi, f"the plays that watch {kpi}")
    shown = ", ".join(cells[:4]) + (f" and {len(cells) - 4} more" if len(cells) > 4 else "")
    return f"{what} (playbook {shown})"


def holdout_arms(
    doc: dict, table: pd.DataFrame, transactions, by, params: dict, by_name, observation_end=None
):
    """The treated and holdout customers' latest KPIs at the check, or None without a holdout.

    Parameters
    ----------
    doc : dict
        The plan file as read (its ``holdout``: ``ids``, ``population``).
    table, transactions
        The customer table and log of the check.
    by, params, by_name
        The grouping and KPI parameters of the plan (the groups are formed on
        the whole table, then each arm is measured).
    observation_end : date-like, optional
        The table's observation end (the log's last day by default).

    Returns
    -------
    tuple or None
        ``(treated, holdout, sizes)``: the KPIs of each arm indexed by
        (``kpi``, ``group``, ``period``; ``""`` for the KPIs without one),
        and the customers per arm. The population is the
        plan's list, or the customers who bought by the plan's observation
        end (``first_purchase``); customers absent from ``table`` are left out.
    """
    held = doc.get("holdout")
    if not held:
        return None
    population = held.get("population")
    if isinstance(population, list):
        people = pd.Index(population)
    elif "first_purchase" in table.columns and doc.get("observation_end"):
        bought = table["first_purchase"] <= pd.Timestamp(doc["observation_end"])
        people = table.index[bought.to_numpy()]
    else:
        people = table.index
    ids = pd.Index(held.get("ids") or [])
    if len(ids) and len(people) and type(ids[0]) is not type(people[0]):
        ids = ids.astype(people.dtype)  # YAML may read ids back as another type
    people = people.intersection(table.index)
    labels = group_labels(table, by)
    out = {}
    for arm, who in (("treated", people.difference(ids)), ("holdout", people.intersection(ids))):
        if not len(who):
            raise ValueError(
                f"the plan's {arm} group has no customer in the table checked; check with the "
                "customer table of the same customers at a later date"
            )
        sub = table.loc[who]
        measured = kpis(
            sub, transactions, labels.reindex(sub.index).rename(by_name),
            params.get("period", "M"),
            repeat_within_days=int(params.get("repeat_within_days", 90)),
            product_column=params.get("product_column", "product"),
            observation_end=observation_end,
        )  # fmt: skip
        measured["period"] = measured["period"].fillna("")
        out[arm] = measured.assign(group=measured["group"].astype(str)).set_index(
            ["kpi", "group", "period"]
        )
    sizes = {
        "treated": int(len(people.difference(ids))),
        "holdout": int(len(people.intersection(ids))),
    }
    return out["treated"], out["holdout"], sizes


def compare_arms(out: pd.DataFrame, arms) -> pd.DataFrame:
    """Per target: the KPI of the treated and the holdout, their difference and its 95% interval."""
    cols = ["treated", "holdout", "difference", "difference_low", "difference_high"]
    frame = pd.DataFrame(np.nan, index=out.index, columns=cols)
    if arms is None:
        return frame
    treated, holdout, _ = arms
    for i, r in out.iterrows():
        # the period KPIs at the period of the actual, in both arms
        period = r["actual_period"] if isinstance(r["actual_period"], str) else ""
        key = (r["kpi"], r["group"], period)
        if key in treated.index:
            frame.loc[i, "treated"] = treated.loc[key, "value"]
        if key in holdout.index:
            frame.loc[i, "holdout"] = holdout.loc[key, "value"]
        if key not in treated.index or key not in holdout.index:
            continue
        a, b = treated.loc[key], holdout.loc[key]
        diff = float(a["value"]) - float(b["value"])
        frame.loc[i, "difference"] = diff
        if KPI_DEFINITIONS[r["kpi"]].unit == "share" and min(a["base"], b["base"]) >= MIN_ARM_BASE:
            frame.loc[i, ["difference_low", "difference_high"]] = difference_interval(
                float(a["value"]), float(a["base"]), float(b["value"]), float(b["base"])
            )
    return frame


def _wilson(p: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def difference_interval(p: float, n: float, q: float, m: float) -> tuple[float, float]:
    """95% interval of the difference of two shares ``p - q`` (of ``n`` and ``m``): Newcombe's.

    The hybrid score interval (Newcombe 1998, method 10) combines the Wilson
    intervals of each share. Unlike the normal approximation it does not
    shrink to a point when a small group is all at 0% or 100%, so a holdout
    group of four customers none of whom came back shows no difference
    beyond chance.
    """
    lo_p, hi_p = _wilson(p, n)
    lo_q, hi_q = _wilson(q, m)
    d = p - q
    return (
        float(d - np.sqrt((p - lo_p) ** 2 + (hi_q - q) ** 2)),
        float(d + np.sqrt((hi_p - p) ** 2 + (q - lo_q) ** 2)),
    )


def next_step(r, *, has_holdout: bool, known: bool) -> str:
    """The *act* step of one checked target (a row with ``by_construction``, ``direction``,
    ``treated``, ``holdout``, ``difference`` and its interval bounds).

    Met by construction: no test. Without a holdout group: :data:`NOT_TESTED`,
    whether the target was met or not. With one: keep the action when the
    interval of the difference lies on the better side of 0, stop it when on
    the worse side, and otherwise say that no difference was shown.
    """
    if r.by_construction:
        return f"no test: met by construction ({r.by_construction})"
    if not known:
        return "not measured: no actual or no target; check the data"
    if not has_holdout:
        return NOT_TESTED
    if pd.isna(r.difference):
        return "not compared: the KPI is missing in the treated or the holdout group"
    if pd.isna(r.difference_low):
        why = (
            f"fewer than {MIN_ARM_BASE} customers in an arm's base"
            if KPI_DEFINITIONS[r.kpi].unit == "share"
            else "no interval for this unit"
        )
        return (
            f"compared: treated {r.treated:.4g} against holdout {r.holdout:.4g} "
            f"({why}); judge the size before acting"
        )
    better = r.difference_low > 0 if r.direction == "higher" else r.difference_high < 0
    worse = r.difference_high < 0 if r.direction == "higher" else r.difference_low > 0
    if better:
        return "act: the action beat the holdout group; keep and standardise it"
    if worse:
        return "act: the treated did worse than the holdout group; stop or change the action"
    return (
        "act: no difference from the holdout group beyond chance; change the action or "
        "test on more customers"
    )


def draw_holdout(table: pd.DataFrame, holdout, seed: int, treated) -> pd.Series | None:
    """The plan's holdout group: None, a given bool Series, or a seeded share of ``treated``.

    ``treated`` (the customers the plan acts on) defaults to all customers of
    ``table``. Raises when either group would be empty.
    """
    if holdout is None:
        return None
    if isinstance(holdout, pd.Series):
        return holdout.astype(bool).rename("holdout")
    if isinstance(holdout, bool) or not isinstance(holdout, float | int):
        raise TypeError(
            f"holdout must be a share in (0, 1) or a bool Series by customer_id, got {holdout!r}"
        )
    population = table.index if treated is None else pd.Index(treated)
    held = holdout_split(population, share=float(holdout), seed=seed)
    if not 0 < int(held.sum()) < len(held):
        raise ValueError(
            f"a holdout share of {holdout:g} of {len(held)} customers leaves "
            f"{int(held.sum())} held out and {len(held) - int(held.sum())} treated; both groups "
            "need customers: raise the share or act on more customers"
        )
    return held
