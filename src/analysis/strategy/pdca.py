"""Plan-do-check-act (PDCA, 戴明环) for customer relationships: KPI targets written now, checked later.

The Deming cycle framed for the customer base: **plan** (计划) sets a target
for every KPI of every stage or segment from today's baseline;
**do** (执行) is the firm's work in the next period; **check** (检查)
measures the same KPIs on a later run and compares them with the targets
and, when the plan holds a holdout group, the treated customers with the
held-out ones; **act** (处理) keeps an action that beat the holdout group,
stops one that did worse, and says "not tested" where there was no holdout
group to credit an action with the change (the ``next_step`` column of
:func:`check`).

:func:`plan` writes the targets to a YAML file a person can read and edit
(change a target, delete a row) before the later run reads it with
:func:`check`. The file records the baseline, the target, how it was set,
the observation end of the baseline and the KPI parameters, so the check
measures the same thing.

A target for a KPI is, in ``targets`` (a mapping KPI name -> rule):

- a number ``x``: a relative change, ``target = baseline * (1 + x)``
  (``0.05``: five per cent above the baseline; ``-0.10``: ten per cent below);
- ``{"change": x}``: the same, spelled out;
- ``{"delta": d}``: an absolute change, ``target = baseline + d`` (in the
  KPI's unit: ``0.02`` on a share is two percentage points);
- ``{"value": v}``: the target itself, whatever the baseline.

A target on a share or a probability is capped to [0, 1] (the rule says so).

A rule may add ``"direction": "higher"`` or ``"lower"`` (which way counts as
meeting it; defaults to the KPI's ``better`` in
:data:`~analysis.strategy.kpis.KPI_DEFINITIONS`, required for the KPIs
without one, such as shares) and ``"groups": [...]`` (only these groups).

An honest round (what :func:`plan` and :func:`check` enforce):

- **No target met by construction.** :func:`by_construction_reason` names the
  targets that would be met without anyone doing anything: a share already
  at 100% (0% when lower is better), a target that asks for no improvement
  on the baseline (a share capped at 100% equal to it, a change of 0), and
  a cumulative share that cannot fall for the plan's customers
  (:data:`CUMULATIVE_KPIS`: ``repeat_rate`` counts repeat buyers *so far*).
  :func:`plan` marks them (``by_construction`` holds the reason, and
  :func:`check` does not count them as met or missed) or, with
  ``by_construction="error"``, refuses the plan.
- **Each target follows from an action.** The ``action`` column names what
  the firm does to move the KPI (:data:`KPI_ACTIONS`) and the playbook cells
  of the group that watch it (the cell's ``kpis``).
- **A test, not a before-and-after.** With ``holdout=`` the plan draws a
  randomised holdout group (:func:`~analysis.strategy.holdout_split`,
  seeded) of the customers it acts on and writes it to the file; the action
  is applied to the others only. :func:`check` then measures each KPI on the
  treated customers and on the holdout and reports the difference with a
  95% interval (for shares). Without a holdout, a KPI that moved cannot be
  credited to an action, and ``next_step`` says "not tested".
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..customers import TableInfo
from ..errors import NotComputable
from .kpis import KPI_DEFINITIONS, kpis, latest_kpis
from .playbook import Playbook, load_playbook
from .trial import (
    BOUNDED_UNITS,
    CUMULATIVE_KPIS,
    KPI_ACTIONS,
    NOT_TESTED,
    by_construction_reason,
    compare_arms,
    draw_holdout,
    holdout_arms,
    next_step,
    target_action,
)

__all__ = [
    "PLAN_COLUMNS",
    "CHECK_COLUMNS",
    "CUMULATIVE_KPIS",
    "KPI_ACTIONS",
    "NOT_TESTED",
    "by_construction_reason",
    "target_action",
    "parse_target",
    "plan",
    "check",
]

#: TableInfo fields that record the fit, not a setting: not kept in the plan, not compared
_RECORDS = frozenset(
    {
        "observation_end",
        "calibration_end",
        "model_note",
        "model_choice",
        "count_model",
        "spend_model",
        "interval",  # the level of the intervals: it moves no KPI
    }
)

#: the columns of the table :func:`plan` returns (and writes, one entry per row)
PLAN_COLUMNS = [
    "kpi",
    "group",
    "baseline",
    "baseline_period",
    "base",
    "target",
    "rule",
    "direction",
    "unit",
    "by_construction",
    "action",
]
#: the columns of the table :func:`check` returns
CHECK_COLUMNS = [
    "kpi", "group", "baseline", "target", "actual", "gap", "met", "direction",
    "baseline_period", "actual_period", "base", "by_construction", "action",
    "treated", "holdout", "difference", "difference_low", "difference_high", "next_step",
]  # fmt: skip


_HEADER = """\
# Plan-do-check-act (PDCA) targets for the customer base, written by analysis.strategy.plan.
# Plan (计划): one entry per KPI and group: the baseline measured at observation_end, the
# target for the next run, the rule that set it and which way counts as meeting it.
# You may edit a target or a direction, or delete entries; keep the keys.
# Check (检查): analysis.strategy.check(this file, a later customer table, its log) measures the
# same KPIs with the parameters below and reports baseline, target, actual, gap and met.
# by_construction: why a target would be met with nothing done (not counted at the check);
# action: what the firm does to move the KPI, and the playbook cells that watch it.
# holdout (when present): the customers left out of the actions, drawn at random; the check
# compares them with the treated ones. Do not edit the ids once the actions have started.
"""


def parse_target(kpi: str, rule) -> dict:
    """Check one target rule and return it as ``{"kind", "amount", "direction", "groups"}``.

    Parameters
    ----------
    kpi : str
        A name of :data:`~analysis.strategy.kpis.KPI_DEFINITIONS`.
    rule : float or mapping
        See the module docstring.

    Raises
    ------
    ValueError
        When the KPI is unknown, the rule has not exactly one of ``change``,
        ``delta``, ``value``, or no direction can be found.
    """
    if kpi not in KPI_DEFINITIONS:
        raise ValueError(f"targets: {kpi!r} is not a KPI; known: {', '.join(KPI_DEFINITIONS)}")
    if isinstance(rule, int | float) and not isinstance(rule, bool):
        rule = {"change": rule}
    if not isinstance(rule, Mapping):
        raise ValueError(
            f"targets[{kpi!r}]: give a relative change (a number) or a mapping with one of "
            f"'change', 'delta', 'value'; got {rule!r}"
        )
    unknown = set(rule) - {"change", "delta", "value", "direction", "groups"}
    if unknown:
        raise ValueError(f"targets[{kpi!r}]: unknown key(s) {sorted(unknown)}")
    kinds = [k for k in ("change", "delta", "value") if k in rule]
    if len(kinds) != 1:
        raise ValueError(
            f"targets[{kpi!r}]: give exactly one of 'change', 'delta', 'value'; got {kinds}"
        )
    kind = kinds[0]
    amount = rule[kind]
    if not isinstance(amount, int | float) or isinstance(amount, bool) or not np.isfinite(amount):
        raise ValueError(f"targets[{kpi!r}][{kind!r}] must be a finite number, got {amount!r}")
    direction = rule.get("direction", KPI_DEFINITIONS[kpi].better)
    if direction not in ("higher", "lower"):
        raise ValueError(
            f"targets[{kpi!r}]: say which way meets the target with 'direction': 'higher' or "
            f"'lower' (this KPI has no default); got {direction!r}"
        )
    groups = rule.get("groups")
    if groups is not None:
        groups = [str(g) for g in ([groups] if isinstance(groups, str) else groups)]
    return {"kind": kind, "amount": float(amount), "direction": direction, "groups": groups}


def _describe(rule: dict) -> str:
    a = rule["amount"]
    if rule["kind"] == "change":
        return f"change {a:+.4g} ({a * 100:+.4g}% of the baseline)"
    if rule["kind"] == "delta":
        return f"delta {a:+.6g}"
    return f"value {a:.6g}"


def _target(baseline: float, rule: dict) -> float:
    if rule["kind"] == "value":
        return rule["amount"]
    if rule["kind"] == "delta":
        return baseline + rule["amount"]
    return baseline * (1.0 + rule["amount"])


def _by_spec(by):
    """``by`` as it can be written to the file: a name, a list of names, or None for Series."""
    parts = list(by) if isinstance(by, list | tuple) else [by]
    if all(p is None or isinstance(p, str) for p in parts):
        return by if not isinstance(by, tuple) else list(by)
    return None


_PERIOD_WORDS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def _settings(info: TableInfo | None) -> dict:
    """The table's settings a plan records (its info without the fit's records), plain values."""
    if info is None:
        return {}
    return {k: _plain(v) for k, v in sorted(info.to_dict().items()) if k not in _RECORDS}


def _plain(value):
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def plan(
    table: pd.DataFrame,
    targets: Mapping,
    path: str | Path,
    transactions: pd.DataFrame | None = None,
    *,
    by=None,
    period: str = "M",
    repeat_within_days: int = 90,
    product_column: str = "product",
    unmeasurable: str = "error",
    by_construction: str = "mark",
    playbook: Playbook | str | Path | None = None,
    holdout: float | pd.Series | None = None,
    holdout_seed: int = 0,
    treated=None,
    info: TableInfo | None = None,
) -> pd.DataFrame:
    """Measure the baseline KPIs and write next period's targets to a YAML file (the *plan* step).

    Parameters
    ----------
    table : DataFrame
        The customer table at the baseline.
    targets : mapping
        KPI name -> rule (a relative change, or a mapping with ``change``,
        ``delta`` or ``value`` and optional ``direction`` and ``groups``;
        see the module docstring). Period KPIs (retention, churn,
        reactivation) take their latest period as the baseline.
    path : str or Path
        The YAML file to write (``.yaml`` or ``.yml``); overwritten.
    transactions : DataFrame, optional
        The log, for the KPIs that read it.
    by, period, repeat_within_days, product_column
        As in :func:`analysis.strategy.kpis.kpis`; written to the file so
        :func:`check` measures the same way. When ``by`` is a Series, the
        file cannot hold it and :func:`check` must be given it again.
    unmeasurable : {"error", "skip"}
        A targeted KPI that this data cannot measure at the baseline (e.g. a
        period rate on a log shorter than two complete periods): ``"error"``
        stops with the reason; ``"skip"`` plans the others and records the
        reason in ``attrs["not_measured"]``.
    by_construction : {"mark", "error"}
        A target met by construction (:func:`by_construction_reason`): ``"mark"``
        plans it with the reason in the ``by_construction`` column (and the
        file), so that :func:`check` leaves it out of the met and missed;
        ``"error"`` refuses the plan, naming each such target and why.
    playbook : Playbook, str or Path, optional
        The playbook whose cells name each target's ``action``
        (:func:`target_action`); the shipped one by default.
    holdout : float or Series of bool, optional
        The randomised holdout group of the round: a share of the customers
        the plan acts on, drawn by :func:`~analysis.strategy.holdout_split`
        with ``holdout_seed``; or a bool Series (True: held out) indexed by
        those customers. Its ids, share and seed are written to the file.
        None: no holdout, and :func:`check` says "not tested".
    holdout_seed : int
        The seed of the draw.
    treated : index-like, optional
        The customers the plan acts on (e.g. the loss list's index), from
        which the holdout is drawn; all customers of ``table`` by default
        (then not written out: :func:`check` takes the customers who bought
        by the plan's observation end).

    Returns
    -------
    DataFrame
        One row per KPI and group, :data:`PLAN_COLUMNS`. ``baseline`` is NaN
        (and so is a relative ``target``) where the group's base is empty.
        ``by_construction``: why the target would be met without an action
        (empty when it would not); ``action``: what moves the KPI and the
        playbook cells that watch it. ``attrs["not_measured"]``: KPI -> why
        it was left out (``"skip"``); ``attrs["holdout"]``: the holdout
        group (bool Series) or None.

    Raises
    ------
    ValueError
        When a rule is invalid, ``targets`` is empty, (``"error"``) a
        targeted KPI is not measurable with this data (the message says
        why), or (``by_construction="error"``) a target is met by construction.
    NotComputable
        With ``"skip"``, when no targeted KPI is measurable (each one's reason given).
    """
    if unmeasurable not in ("error", "skip"):
        raise ValueError(f"unmeasurable must be 'error' or 'skip', got {unmeasurable!r}")
    if by_construction not in ("mark", "error"):
        raise ValueError(f"by_construction must be 'mark' or 'error', got {by_construction!r}")
    book = playbook if isinstance(playbook, Playbook) else load_playbook(playbook or None)
    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ValueError(
            f"plan path must end in .yaml or .yml (a human-editable file), got {path.name!r}"
        )
    if not targets:
        raise ValueError("targets is empty; give at least one KPI -> rule.")
    rules = {k: parse_target(k, r) for k, r in targets.items()}
    measured = latest_kpis(
        kpis(table, transactions, by, period, repeat_within_days=repeat_within_days,
             product_column=product_column,
             observation_end=None if info is None else info.observation_end)
    )  # fmt: skip
    rows, not_measured = [], {}
    for kpi, rule in rules.items():
        sub = measured.loc[measured["kpi"] == kpi]
        if not sub["measurable"].any():
            why = (
                str(sub["note"].iloc[0]).rstrip(".")
                if len(sub)
                else "the data up to the plan date hold no complete "
                f"{_PERIOD_WORDS.get(period, 'period')} followed by another in which to measure it"
            )
            if unmeasurable == "skip":
                not_measured[kpi] = why
                continue
            raise ValueError(f"targets[{kpi!r}]: {why}; drop it from the targets.")
        if rule["groups"] is not None:
            missing = sorted(set(rule["groups"]) - set(sub["group"]))
            if missing:
                raise ValueError(
                    f"targets[{kpi!r}]['groups']: {missing} are not groups of this table; "
                    f"groups: {list(sub['group'].unique())}"
                )
            sub = sub.loc[sub["group"].isin(rule["groups"])]
        for r in sub.itertuples(index=False):
            target = float(_target(float(r.value), rule))
            described = _describe(rule)
            if r.unit in BOUNDED_UNITS and not 0.0 <= target <= 1.0:
                target = min(max(target, 0.0), 1.0)
                described += f" (capped to [0, 1]: a {r.unit} cannot pass it)"
            rows.append(
                {
                    "kpi": kpi,
                    "group": str(r.group),
                    "baseline": float(r.value),
                    "baseline_period": r.period,
                    "base": float(r.base),
                    "target": target,
                    "rule": described,
                    "direction": rule["direction"],
                    "unit": r.unit,
                    "by_construction": by_construction_reason(
                        kpi, float(r.value), target, rule["direction"]
                    ),
                    "action": target_action(kpi, str(r.group), book),
                }
            )
    if not rows:
        raise NotComputable(
            "none of the KPIs targeted can be measured at the plan date ("
            + "; ".join(f"{k}: {why}" for k, why in not_measured.items())
            + ")"
        )
    out = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    constructed = out.loc[out["by_construction"] != ""]
    if by_construction == "error" and len(constructed):
        said = "; ".join(
            f"{r.kpi} in {r.group}: {r.by_construction}" for r in constructed.itertuples()
        )
        raise ValueError(
            f"{len(constructed)} target(s) would be met by construction ({said}); change or "
            "drop them, or pass by_construction='mark' to plan them marked and unchecked."
        )
    held = draw_holdout(table, holdout, holdout_seed, treated)
    doc = {
        "kind": "analysis.strategy plan",
        "observation_end": measured.attrs["observation_end"],
        "parameters": {
            "by": _by_spec(by),
            "by_name": measured.attrs["by"],
            "period": period,
            "repeat_within_days": int(repeat_within_days),
            "product_column": product_column,
        },
        "table": _settings(info),
        "targets": [{k: _plain(v) for k, v in row.items()} for row in rows],
    }
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    if held is not None:  # the ids as one flowing list, the rest in blocks like the targets
        record = {
            "share": float(held.mean()),
            "seed": int(holdout_seed) if isinstance(holdout, float | int) else None,
            "customers": int(len(held)),
            "population": "the customers who bought by observation_end"
            if treated is None
            else [_plain(i) for i in held.index],
            "ids": [_plain(i) for i in held.index[held.to_numpy()]],
        }
        body += yaml.safe_dump(
            {"holdout": record},
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=None,
        )
    path.write_text(_HEADER + body, encoding="utf-8")
    out.attrs.update(
        path=str(path),
        observation_end=doc["observation_end"],
        not_measured=not_measured,
        holdout=held,
    )
    return out


def _read_plan(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ValueError(f"plan file {path} is not valid YAML: {err}") from None
    if not isinstance(doc, dict) or doc.get("kind") != "analysis.strategy plan":
        raise ValueError(
            f"{path} is not a plan written by analysis.strategy.plan (no 'kind: analysis.strategy plan')."
        )
    for key in ("parameters", "targets"):
        if key not in doc:
            raise ValueError(f"plan file {path}: the key {key!r} is missing; write the plan again.")
    for i, entry in enumerate(doc["targets"] or []):
        for key in ("kpi", "group", "baseline", "target", "direction"):
            if not isinstance(entry, dict) or key not in entry:
                raise ValueError(
                    f"plan file {path}: targets[{i}] has no {key!r}; every entry needs it."
                )
        if entry["direction"] not in ("higher", "lower"):
            raise ValueError(
                f"plan file {path}: targets[{i}].direction is {entry['direction']!r}; use higher or lower."
            )
        if entry["kpi"] not in KPI_DEFINITIONS:
            raise ValueError(f"plan file {path}: targets[{i}].kpi {entry['kpi']!r} is not a KPI.")
    return doc


def check(
    path: str | Path,
    table: pd.DataFrame,
    transactions: pd.DataFrame | None = None,
    *,
    by=None,
    info: TableInfo | None = None,
) -> pd.DataFrame:
    """Measure the planned KPIs on a later table and compare them with the targets (the *check* step).

    Parameters
    ----------
    path : str or Path
        A plan file written by :func:`plan` (possibly edited by hand).
    table : DataFrame
        The customer table of the later run.
    transactions : DataFrame, optional
        Its log (needed when the plan targets KPIs that read the log).
    by : str, Series or list, optional
        The groups; only needed when the plan was made with a Series (the
        file records column names, not Series).
    info : TableInfo, optional
        The table's provenance (:func:`analysis.customers.value_customers`):
        its observation end bounds the log read, and its settings are
        compared with the plan's. Without it the log is read to its last
        day and no setting is compared.

    Returns
    -------
    DataFrame
        One row per target, :data:`CHECK_COLUMNS`: ``baseline`` and
        ``target`` from the file, ``actual`` measured now (the latest period
        for the period KPIs: ``actual_period``), ``gap`` = actual - target
        (in the KPI's unit), ``met`` (boolean; NA when the actual or the
        target is missing), ``base`` (the base of the actual), and
        ``next_step`` (the *act* step: keep and standardise what met its
        target, find the cause and plan again where it did not).
        ``attrs["table_changes"]`` maps each customer-table setting recorded
        in the plan (margin, model, horizon, ...) that differs now to its
        (planned, current) values: a changed margin moves ``clv_net`` and
        the share of value for reasons other than the customers.

    Warns
    -----
    UserWarning
        When the table's observation end is not after the plan's.
    """
    path = Path(path)
    doc = _read_plan(path)
    params = doc["parameters"]
    spec = params.get("by")
    if by is None:
        if spec is None and params.get("by_name") not in (None, "stage"):
            raise ValueError(
                f"the plan grouped by a Series ({params.get('by_name')!r}) that the file cannot "
                "hold; pass the same grouping as by= to check."
            )
        by = spec
    measured = latest_kpis(
        kpis(
            table, transactions, by, params.get("period", "M"),
            repeat_within_days=int(params.get("repeat_within_days", 90)),
            product_column=params.get("product_column", "product"),
            observation_end=None if info is None else info.observation_end,
        )
    )  # fmt: skip
    planned_end, now_end = doc.get("observation_end"), measured.attrs["observation_end"]
    if planned_end and now_end and pd.Timestamp(now_end) <= pd.Timestamp(planned_end):
        warnings.warn(
            f"checking at {now_end}, which is not after the plan's observation end {planned_end}; "
            "the check measures the same or an earlier state.",
            UserWarning,
            stacklevel=2,
        )
    plan_frame = pd.DataFrame(doc["targets"] or [])
    if plan_frame.empty:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    plan_frame["group"] = plan_frame["group"].astype(str)
    now = measured.assign(group=measured["group"].astype(str))[
        ["kpi", "group", "value", "period", "base"]
    ]
    now = now.rename(columns={"value": "actual", "period": "actual_period"})
    out = plan_frame.merge(now, on=["kpi", "group"], how="left", suffixes=("_plan", ""))
    for col in ("baseline", "target", "actual"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    if "baseline_period" not in out:
        out["baseline_period"] = None
    out["gap"] = out["actual"] - out["target"]
    higher = (out["direction"] == "higher").to_numpy()
    known = (out["actual"].notna() & out["target"].notna()).to_numpy()
    met = np.where(higher, out["gap"] >= 0, out["gap"] <= 0)
    out["met"] = pd.array(np.where(known, met, False), dtype="boolean")
    out.loc[~known, "met"] = pd.NA
    if "by_construction" not in out:  # a plan written before the rule: judge it now
        out["by_construction"] = None
    if "action" not in out:
        out["action"] = ""
    out["action"] = out["action"].fillna("").astype(str)
    out["by_construction"] = [
        str(r.by_construction)
        if isinstance(r.by_construction, str)
        else by_construction_reason(r.kpi, r.baseline, r.target, r.direction)
        for r in out.itertuples()
    ]
    end = None if info is None else info.observation_end
    arms = holdout_arms(doc, table, transactions, by, params, measured.attrs["by"], end)
    out = out.join(compare_arms(out, arms))
    out["next_step"] = [
        next_step(r, has_holdout=arms is not None, known=k)
        for r, k in zip(out.itertuples(), known, strict=True)
    ]
    out = out[CHECK_COLUMNS].reset_index(drop=True)
    recorded = doc.get("table") or {}
    now = _settings(info) if info is not None else {}
    changes = {
        k: (v, now.get(k))
        for k, v in recorded.items()
        if info is not None and k not in _RECORDS and now.get(k) != v
    }
    out.attrs.update(
        path=str(path),
        plan_observation_end=planned_end,
        observation_end=now_end,
        table_changes=changes,
        holdout=None if arms is None else arms[2],
    )
    return out
