"""Readings of the strategy report: the playbook, the recommendation, the KPIs and the PDCA check.

Each function takes the table a section of ``05_strategy`` shows and returns
Markdown stating what its numbers show; the words that carry a direction
("the most value", "highest", "met") are chosen by comparing the numbers.
:func:`kpi_matrix` and :func:`unmeasurable_kpis` shape the tidy KPI table
for reading. The early-warning readings are in :mod:`.warning`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..strategy import KPI_DEFINITIONS, PRIORITIES, RELATIONSHIP_LEVELS, latest_kpis
from ..tables.format import join_and, money, percent

__all__ = [
    "check_reading",
    "plan_reading",
    "kpi_matrix",
    "kpi_verdict",
    "kpi_reading",
    "playbook_reading",
    "recommendation_reading",
    "unmeasurable_kpis",
]

#: the KPIs computed from the count model's or the value's output (they move with the settings)
MODEL_KPIS: tuple[str, ...] = ("share_of_value", "mean_p_alive")
#: units whose values are fractions in [0, 1], read as percentages
SHARE_UNITS: tuple[str, ...] = ("share", "probability")


def kpi_value(kpi: str, value: float, currency: str = "$") -> str:
    """A KPI value in its unit: shares as percentages, days with the word, counts as integers, money."""
    if pd.isna(value):
        return "n/a"
    unit = KPI_DEFINITIONS[kpi].unit
    if unit in SHARE_UNITS:
        return percent(value)
    if unit == "days":
        return f"{value:,.1f} days"
    if unit == "customers":
        return f"{value:,.0f}"
    if unit.startswith("amount"):
        return money(value, currency)
    return f"{value:,.2f}"


def _gap(kpi: str, gap: float) -> str:
    unit = KPI_DEFINITIONS[kpi].unit
    if unit in SHARE_UNITS:
        return f"{100 * gap:+.1f} points"
    if unit == "days":
        return f"{gap:+,.1f} days"
    return f"{gap:+,.2f}"


def playbook_reading(plays: pd.DataFrame, *, edited: bool = False) -> str:
    """What the playbook prescribes, counted from its table.

    Parameters
    ----------
    plays : DataFrame
        :meth:`analysis.strategy.Playbook.table` (index stage, tier; columns
        ``priority``, ``relationship_level``).
    edited : bool
        Whether the playbook is an edited copy rather than the package's.

    Returns
    -------
    str
        Markdown: the cells per priority, the stages with an ``invest`` cell,
        and the cells at the most involved relationship level.
    """
    n = len(plays)
    counts = plays["priority"].value_counts()
    parts = [f"{int(counts[p])} {p}" for p in PRIORITIES if p in counts]
    which = "This edited playbook" if edited else "The package's playbook"
    text = [f"{which} fills {n} stage x tier cells: {join_and(parts)}."]
    stages = plays.index.get_level_values("stage")
    invest = list(dict.fromkeys(stages[(plays["priority"] == "invest").to_numpy()]))
    no_invest = [s for s in dict.fromkeys(stages) if s not in invest]
    if invest:
        text.append(f"It invests in {join_and(invest)}")
        text[-1] += f", and in no cell of {join_and(no_invest)}." if no_invest else "."
    levels = plays["relationship_level"]
    top = next((lv for lv in reversed(RELATIONSHIP_LEVELS) if (levels == lv).any()), None)
    if top is not None:
        cells = [f"{s}/{t}" for s, t in plays.index[(levels == top).to_numpy()]]
        text.append(f"The most involved level it uses, {top}, is kept for {join_and(cells)}.")
    return " ".join(text)


def recommendation_reading(rec: pd.DataFrame) -> str:
    """Where the customers and the value sit, which priority covers the most value, who gets little.

    Parameters
    ----------
    rec : DataFrame
        :func:`analysis.strategy.recommend` (index stage, tier; columns
        ``customers``, ``share_customers``, ``share_value``, ``priority``).

    Returns
    -------
    str
        Markdown.
    """
    total = int(rec["customers"].sum())
    filled = rec.loc[rec["customers"] > 0]
    by_stage = rec.groupby(level="stage", sort=False)[["customers", "share_value"]].sum()
    empty = by_stage.index[by_stage["customers"] == 0].tolist()
    text = [f"The {total:,} customers fill {len(filled)} of the {len(rec)} cells"]
    text[0] += f"; {join_and(empty)} {'has' if len(empty) == 1 else 'have'} none." if empty else "."
    crowd = filled["customers"].idxmax()
    crowd_row = filled.loc[crowd]
    has_value = bool(rec["share_value"].notna().all())
    if has_value:
        rich = filled["share_value"].idxmax()
        row = filled.loc[rich]
        text.append(
            f"The value sits most in {rich[0]}/{rich[1]}: {percent(row['share_value'])} of it, "
            f"held by {int(row['customers']):,} customers ({percent(row['share_customers'])})."
        )
        if crowd != rich:
            text.append(
                f"The largest cell by customers, {crowd[0]}/{crowd[1]} "
                f"({percent(crowd_row['share_customers'])} of them), holds "
                f"{percent(crowd_row['share_value'])} of the value."
            )
        stage = by_stage["share_value"].idxmax()
        text.append(
            f"By stage, {stage} holds the most value ({percent(by_stage.loc[stage, 'share_value'])})."
        )
        prio = rec.groupby("priority", sort=False)[["customers", "share_value"]].sum()
        prio = prio.sort_values("share_value", ascending=False, kind="stable")
        first = prio.index[0]
        others = [
            f"{p} {percent(r['share_value'])} ({int(r['customers']):,} customers)"
            for p, r in prio.iloc[1:].iterrows()
            if r["customers"] > 0
        ]
        text.append(
            f"The {first} cells cover the most value: {percent(prio.iloc[0]['share_value'])}, "
            f"with {int(prio.iloc[0]['customers']):,} customers"
            + (f"; then {join_and(others)}." if others else ".")
        )
    else:
        text.append(
            "The customers' summed value (clv_net) is not positive, so no share of value is given; "
            f"the largest cell is {crowd[0]}/{crowd[1]} ({percent(crowd_row['share_customers'])})."
        )
    little = []
    for p in ("exit", "reduce"):
        n = int(rec.loc[rec["priority"] == p, "customers"].sum())
        little.append(f"{n:,} ({percent(n / total)}) get '{p}'" if n else f"none gets '{p}'")
    text.append(f"Of the customers, {join_and(little)}.")
    return " ".join(text)


def kpi_matrix(kpi_table: pd.DataFrame) -> pd.DataFrame:
    """The measurable KPIs as rows and the groups as columns, at their latest period.

    Parameters
    ----------
    kpi_table : DataFrame
        :func:`analysis.strategy.kpis`.

    Returns
    -------
    DataFrame
        Index (``kpi``, ``unit``, ``period``: the latest period of the
        period KPIs, empty for the others), one column per group in the
        table's order, the KPI values. KPIs not measurable for any group are
        left out (see :func:`unmeasurable_kpis`).
    """
    latest = latest_kpis(kpi_table)
    latest = latest.loc[latest["measurable"].astype(bool)]
    groups = list(dict.fromkeys(latest["group"]))
    kpis = [k for k in KPI_DEFINITIONS if k in set(latest["kpi"])]
    values = latest.set_index(["kpi", "group"])["value"].unstack("group")
    values = values.reindex(index=kpis, columns=groups)
    periods = latest.groupby("kpi")["period"].agg(lambda p: ", ".join(sorted(set(p.dropna()))))
    index = pd.MultiIndex.from_arrays(
        [kpis, [KPI_DEFINITIONS[k].unit for k in kpis], [periods.get(k, "") for k in kpis]],
        names=["kpi", "unit", "period"],
    )
    out = pd.DataFrame(values.to_numpy(dtype=float), index=index, columns=groups)
    out.columns.name = kpi_table.attrs.get("by", "group")
    return out


def unmeasurable_kpis(kpi_table: pd.DataFrame) -> pd.DataFrame:
    """The KPIs the data cannot measure, one row each, with why (from the KPI table's notes).

    Returns
    -------
    DataFrame
        Index ``kpi``; columns ``why`` and ``groups`` (the groups where it is
        not measurable, or ``"all groups"``).
    """
    rows = kpi_table.loc[~kpi_table["measurable"].astype(bool)]
    groups = list(dict.fromkeys(kpi_table["group"]))
    out = {}
    for kpi, sub in rows.groupby("kpi", sort=False):
        why = "; ".join(dict.fromkeys(n.removeprefix("not measurable: ") for n in sub["note"]))
        where = list(dict.fromkeys(sub["group"]))
        out[kpi] = {"why": why, "groups": "all groups" if where == groups else ", ".join(where)}
    return pd.DataFrame.from_dict(out, orient="index", columns=["why", "groups"]).rename_axis("kpi")


def kpi_verdict(kpi_table: pd.DataFrame, *, total: str = "all") -> dict:
    """Which group is best and worst on each KPI with a better direction, as data.

    Returns
    -------
    dict
        ``kpis``: for each KPI with ``better`` set and at least two groups
        measured, ``{"best": [groups], "worst": [groups]}`` (empty lists when
        every group has the same value); ``best_count`` and ``worst_count``:
        per group, on how many of them it is best or worst (ties count for
        each group tied).
    """
    m = kpi_matrix(kpi_table).droplevel(["unit", "period"])
    groups = [g for g in m.columns if g != total]
    kpis = {}
    for kpi in m.index:
        better = KPI_DEFINITIONS[kpi].better
        row = m.loc[kpi, groups].dropna()
        if better is None or len(row) < 2:
            continue
        if np.isclose(row.max(), row.min()):
            kpis[kpi] = {"best": [], "worst": []}
            continue
        high = [str(g) for g in row.index[np.isclose(row, row.max())]]
        low = [str(g) for g in row.index[np.isclose(row, row.min())]]
        kpis[kpi] = (
            {"best": high, "worst": low} if better == "higher" else {"best": low, "worst": high}
        )
    best = {g: sum(g in v["best"] for v in kpis.values()) for g in map(str, groups)}
    worst = {g: sum(g in v["worst"] for v in kpis.values()) for g in map(str, groups)}
    return {"kpis": kpis, "best_count": best, "worst_count": worst}


def kpi_reading(kpi_table: pd.DataFrame, *, total: str = "all", currency: str = "$") -> str:
    """Which group is best and worst on most KPIs (from :func:`kpi_verdict`), and what is unmeasurable.

    Parameters
    ----------
    kpi_table : DataFrame
        :func:`analysis.strategy.kpis`.
    total : str
        The label of the all-customers group, reported beside, not ranked.
    currency : str
        Sign written before money (kept for the callers; the values are in the table).
    """
    lines = []  # the groups' shares of customers and value: the table's first rows
    v = kpi_verdict(kpi_table, total=total)
    n = len(v["kpis"])
    if n:

        def ranked(counts: dict) -> str:
            held = sorted(((c, g) for g, c in counts.items() if c), key=lambda x: -x[0])
            return join_and(f"{g} on {c}" for c, g in held) or "none"

        same = [k for k, x in v["kpis"].items() if not x["best"]]
        text = (
            f"Of the {n} indicators with a better direction, the best group is "
            f"{ranked(v['best_count'])}; the worst is {ranked(v['worst_count'])}"
        )
        ranked_n = n - len(same)
        tied = sum(v["best_count"].values()) > ranked_n or sum(v["worst_count"].values()) > ranked_n
        text += f" ({join_and(same)}: the same in every group)" if same else ""
        # the counts can add up to more than the indicators: say why, or the sum reads wrong
        text += "; a tie counts for every group tied." if tied else "."
        lines.append(text)
    missing = unmeasurable_kpis(kpi_table).index.tolist()
    lines.append(
        f"Not measurable with these data: {join_and(missing)} (why: the table above)."
        if missing
        else "Every KPI is measurable with these data."
    )
    return " ".join(lines)


def _tested(check: pd.DataFrame, counted: np.ndarray) -> list[str]:
    """The sentences on the holdout comparison, or that nothing is tested without one."""
    if "difference" not in check or check.attrs.get("holdout") is None:
        return [
            "None of these is tested: the plan had no holdout group, so a target met or missed "
            "shows the KPI moved, not that an action moved it."
        ]
    rows = check.loc[counted & check["difference"].notna().to_numpy()]
    if rows.empty:
        return ["The holdout group could not be compared on any counted target."]
    sizes = check.attrs["holdout"]
    better, worse, even, unjudged = [], [], [], []
    for r in rows.itertuples():
        said = f"{r.kpi} in {r.group} ({_gap(r.kpi, r.difference)}"
        if pd.isna(r.difference_low):
            unjudged.append(said + ")")
            continue
        said += f", 95% {_gap(r.kpi, r.difference_low)} to {_gap(r.kpi, r.difference_high)})"
        up = r.difference_low > 0 if r.direction == "higher" else r.difference_high < 0
        down = r.difference_high < 0 if r.direction == "higher" else r.difference_low > 0
        (better if up else worse if down else even).append(said)
    text = [
        f"Against the holdout group ({sizes['holdout']:,} customers left out, "
        f"{sizes['treated']:,} treated), treated minus holdout:"
    ]
    if better:
        text.append(f"the treated did better on {join_and(better)};")
    if worse:
        text.append(f"worse on {join_and(worse)};")
    if even:
        text.append(f"no different beyond chance on {join_and(even)};")
    if unjudged:
        text.append(
            f"not judged, without an interval (too few customers in an arm, or a unit "
            f"without one), on {join_and(unjudged)};"
        )
    text[-1] = text[-1].rstrip(";") + ("" if text[-1].endswith(".") else ".")
    return [" ".join(text)]


def plan_reading(targets: pd.DataFrame) -> str:
    """How many targets the plan sets, which are met by construction, and whether it can be tested.

    Parameters
    ----------
    targets : DataFrame
        :func:`analysis.strategy.plan` (``kpi``, ``group``,
        ``by_construction``, ``action``; ``attrs["holdout"]``).

    Returns
    -------
    str
        Markdown.
    """
    n = len(targets)
    if n == 0:
        return "The plan sets no target."
    marked = targets["by_construction"].astype(str) != "" if "by_construction" in targets else None
    text = [f"The plan sets {n} target{'s' if n != 1 else ''}."]
    if marked is not None and marked.any():
        rows = targets.loc[marked]
        kinds = rows["by_construction"].astype(str).str.split(":").str[0]
        said = [
            f"{kpi} in {join_and(sub['group'])} ({'; '.join(dict.fromkeys(kinds[sub.index]))})"
            for kpi, sub in rows.groupby("kpi", sort=False)
        ]
        text.append(
            f"{int(marked.sum())} would be met by construction and will not be counted: "
            f"{'; '.join(said)}."
        )
    if "action" in targets:
        none = targets["action"].astype(str).str.startswith("none")
        if none.any():
            said = [f"{r.kpi} in {r.group}" for r in targets.loc[none].itertuples()]
            text.append(f"No playbook action watches {join_and(said)}.")
    held = targets.attrs.get("holdout")
    if held is None:
        text.append(
            "The plan has no holdout group, so the check can say whether a KPI moved, not "
            "whether an action moved it."
        )
    else:
        text.append(
            f"A randomised holdout group of {int(held.sum()):,} of the {len(held):,} customers "
            f"({percent(held.mean())}) is left out of the actions; the check compares it with "
            "the treated customers."
        )
    return " ".join(text)


def check_reading(check: pd.DataFrame) -> str:
    """How many PDCA targets were met, which were missed, whether an action is credited, what changed.

    Parameters
    ----------
    check : DataFrame
        :func:`analysis.strategy.check` (``kpi``, ``group``, ``baseline``,
        ``target``, ``actual``, ``gap``, ``met``, ``direction``,
        ``by_construction``, ``difference``, ``difference_low``/``_high``;
        ``attrs["table_changes"]``, ``plan_observation_end``,
        ``observation_end``, ``holdout``).

    Returns
    -------
    str
        Markdown.
    """
    n = len(check)
    if n == 0:
        return "The plan holds no target, so there is nothing to check."
    met = check["met"]
    known = met.notna().to_numpy()
    unit = check["kpi"].map(lambda k: KPI_DEFINITIONS[k].unit)
    bounded = unit.isin(SHARE_UNITS).to_numpy()
    higher = (check["direction"] == "higher").to_numpy()
    if "by_construction" in check:
        ceiling = (check["by_construction"].fillna("").astype(str) != "").to_numpy()
    else:  # a check table from before the honest round
        hit0 = known & met.fillna(False).astype(bool).to_numpy()
        ceiling = hit0 & bounded & np.where(higher, check["target"] >= 1.0, check["target"] <= 0.0)
    hit = known & met.fillna(False).astype(bool).to_numpy() & ~ceiling
    miss = known & ~met.fillna(False).astype(bool).to_numpy() & ~ceiling
    when = ""
    if check.attrs.get("plan_observation_end") and check.attrs.get("observation_end"):
        when = (
            f" set from the data to {check.attrs['plan_observation_end']} and checked at "
            f"{check.attrs['observation_end']}"
        )
    counted = n - int(ceiling.sum())
    n_hit = int(hit.sum())
    text = [
        f"Of the {n} targets{when}, {int(ceiling.sum())} "
        f"{'was' if ceiling.sum() == 1 else 'were'} met by construction and "
        f"{'is' if ceiling.sum() == 1 else 'are'} not counted; of the other {counted}, "
        f"{n_hit} {'was' if n_hit == 1 else 'were'} met and {int(miss.sum())} missed"
        if ceiling.any()
        else f"Of the {n} targets{when}, {n_hit} {'was' if n_hit == 1 else 'were'} met and "
        f"{int(miss.sum())} missed"
    ]
    unknown = ~known & ~ceiling
    text[0] += f"; {int(unknown.sum())} could not be measured." if unknown.any() else "."
    if miss.any():
        rows = check.loc[miss].assign(_a=check["gap"].abs()).sort_values("_a", ascending=False)
        said = [
            f"{r.kpi} in {r.group} ({kpi_value(r.kpi, r.actual)} against "
            f"{kpi_value(r.kpi, r.target)}, {_gap(r.kpi, r.gap)})"
            for r in rows.itertuples()
        ]
        text.append(f"Missed, largest gap first: {join_and(said)}.")
    if hit.any():
        said = [f"{r.kpi} in {r.group}" for r in check.loc[hit].itertuples()]
        text.append(f"Met: {join_and(said)}.")
    text.extend(_tested(check, ~ceiling))
    changes = check.attrs.get("table_changes") or {}
    if changes:
        said = [f"{k} {old} at the plan, {new} at the check" for k, (old, new) in changes.items()]
        modelled = [k for k in dict.fromkeys(check["kpi"]) if k in MODEL_KPIS]
        consequence = (
            f"{join_and(modelled)} read the model's output, so part of their change comes from "
            "the settings, not the customers."
            if modelled
            else "the KPIs checked here are counted from the log and do not depend on them."
        )
        text.append(
            f"The customer table's settings changed between the runs ({join_and(said)}); "
            + consequence
        )
    elif "table_changes" in check.attrs:
        text.append(
            "The customer table's settings recorded in the plan (model, margin, horizon and the "
            "others) are the same at the check."
        )
    return " ".join(text)
