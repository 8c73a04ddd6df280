"""The playbook, the stage x tier recommendation, the early-warning list and plan-do-check-act."""

from __future__ import annotations

import tomllib
import warnings
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import config
from analysis.customers import TableInfo
from analysis.strategy import (
    KPI_DEFINITIONS,
    NOT_TESTED,
    PLAYBOOK_PATH,
    PRIORITIES,
    RELATIONSHIP_LEVELS,
    TIERS,
    PlaybookError,
    check,
    load_playbook,
    parse_target,
    plan,
    recommend,
)
from analysis.strategy.recommend import RECOMMEND_COLUMNS
from analysis.units import STAGES

STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=True)

# ---------------------------------------------------------------------------
# the playbook


def test_the_shipped_playbook_covers_every_stage_and_tier():
    book = load_playbook()
    assert set(book.stages) == set(STAGES)
    assert {s: book.stages[s].zh for s in STAGES} == {
        "exploration": "考察期", "formation": "形成期", "stability": "稳定期", "decline": "退化期",
    }  # fmt: skip
    table = book.table()
    assert len(table) == len(STAGES) * len(TIERS) == 16
    assert table.index.tolist()[:4] == [("exploration", t) for t in TIERS]
    assert set(table["relationship_level"]) <= set(RELATIONSHIP_LEVELS)
    assert set(table["priority"]) <= set(PRIORITIES)
    kpis = {k for cell in table["kpis"] for k in cell.split(", ")}
    assert kpis <= set(KPI_DEFINITIONS)
    # the negative tier gets nothing to keep it, in every stage
    assert (table.xs("negative", level="tier")["priority"] == "exit").all()
    # the prospect tiers of the exploration stage, and Kotler's levels, in Chinese
    assert book.play("exploration", "high").label_zh == "优质客户"
    assert book.play("exploration", "medium").label_zh == "普通客户"
    assert book.relationship_levels["partnership"]["zh"] == "伙伴型"
    assert book.play("stability", "high").relationship_level == "partnership"
    assert "退出壁垒" in book.play("stability", "high").strategy
    assert "预警" in book.play("decline", "high").strategy


def test_the_tiers_are_those_of_the_segments():
    from analysis.segments import CLV_TIERS

    assert TIERS == tuple(CLV_TIERS)


def test_the_playbook_is_shipped_as_package_data():
    pyproject = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["analysis"]
    relative = PLAYBOOK_PATH.relative_to(config.PACKAGE_DIR).as_posix()
    assert any(fnmatch(relative, p) and p.count("/") == relative.count("/") for p in patterns)


def _edited(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(PLAYBOOK_PATH.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "playbook.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _set(keys, value):
    def edit(doc):
        node = doc
        for k in keys[:-1]:
            node = node[k]
        if value is _DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value

    return edit


_DELETE = object()
_HIGH = ["stages", "formation", "tiers", "high"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _set([*_HIGH, "priority"], "grow"),
            "playbook stages.formation.tiers.high.priority: 'grow' is not one of "
            "invest, maintain, reduce, exit",
        ),
        (
            _set([*_HIGH, "relationship_level"], "friendly"),
            "playbook stages.formation.tiers.high.relationship_level: 'friendly' is not one of "
            "basic, reactive, accountable, proactive, partnership",
        ),
        (
            _set([*_HIGH, "kpis"], ["retention_rate", "nps"]),
            "playbook stages.formation.tiers.high.kpis[1]: 'nps' is not a known KPI",
        ),
        (_set([*_HIGH, "kpis"], []), "stages.formation.tiers.high.kpis: must be a non-empty list"),
        (
            _set([*_HIGH, "strategy"], "  "),
            "stages.formation.tiers.high.strategy: must be a non-empty text",
        ),
        (_set([*_HIGH, "budget"], 5), "stages.formation.tiers.high: unknown field(s) 'budget'"),
        (
            _set(["stages", "decline", "tiers", "negative"], _DELETE),
            "playbook stages.decline.tiers: missing negative",
        ),
        (_set(["stages", "stability"], _DELETE), "playbook stages: missing stability"),
        (_set(["stages", "renewal"], {"zh": "x"}), "playbook stages: unknown 'renewal'"),
        (
            _set(["priorities", "grow"], {"zh": "x", "meaning": "y"}),
            "playbook priorities: unknown 'grow'",
        ),
        (_set(["relationship_levels", "basic", "zh"], None), "relationship_levels.basic.zh"),
        (_set(["version"], "one"), "playbook version: must be an integer"),
    ],
)
def test_a_broken_playbook_is_refused_naming_the_key(tmp_path, edit, message):
    path = _edited(tmp_path, edit)
    with pytest.raises(PlaybookError) as err:
        load_playbook(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("stages: [unclosed", encoding="utf-8")
    with pytest.raises(PlaybookError, match="is not valid YAML"):
        load_playbook(path)


# ---------------------------------------------------------------------------
# recommend and the early-warning list


@pytest.fixture
def table() -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "stage": pd.Categorical(
                ["exploration"] * 2 + ["formation"] + ["stability"] * 2 + ["decline"] * 3,
                dtype=STAGE_DTYPE,
            ),
            "clv_net": [100.0, 20.0, 200.0, 300.0, 10.0, 150.0, 40.0, -20.0],
            "p_alive": [1.0, 1.0, 0.9, 0.95, 0.9, 0.3, 0.2, 0.1],
            "periods_in_stage": [1, 1, 2, 5, 5, 3, 1, 4],
        },
        index=pd.Index([f"c{i}" for i in range(1, 9)], name="customer_id"),
    )
    return t


@pytest.fixture
def tiers(table) -> pd.Series:
    labels = ["high", "medium", "high", "high", "low", "high", "medium", "negative"]
    return pd.Series(labels, index=table.index, name="tier")


def test_recommend_counts_every_cell_and_adds_the_play(table, tiers):
    rec = recommend(table, tiers=tiers)
    assert list(rec.columns) == RECOMMEND_COLUMNS
    assert rec.index.names == ["stage", "tier"]
    assert rec.index.tolist() == [(s, t) for s in STAGES for t in TIERS]
    assert rec["customers"].sum() == 8
    cell = rec.loc[("stability", "high")]
    assert (cell["customers"], cell["share_customers"], cell["value"]) == (1, 1 / 8, 300.0)
    assert cell["share_value"] == 300.0 / 800.0
    assert rec.loc[("decline", "negative"), "share_value"] == -20.0 / 800.0
    assert rec.loc[("formation", "low"), "customers"] == 0
    assert rec.loc[("formation", "low"), "share_value"] == 0.0
    book = load_playbook()
    for (stage, tier), row in rec.iterrows():
        play = book.play(stage, tier)
        assert row["strategy"] == play.strategy and row["priority"] == play.priority
        assert row["relationship_level"] == play.relationship_level
        assert row["kpis"] == ", ".join(play.kpis)
    assert rec.loc[("exploration", "high"), "label"] == "quality prospect"
    assert rec.loc[("decline", "high"), "stage_zh"] == "退化期"
    assert rec.attrs["playbook"] == str(PLAYBOOK_PATH)


def test_an_edited_playbook_changes_the_recommendation_without_code(tmp_path, table, tiers):
    cell = ["stages", "stability", "tiers", "high"]

    def edit(doc):
        _set([*cell, "strategy"], "Call them every week.")(doc)
        _set([*cell, "priority"], "maintain")(doc)
        _set([*cell, "relationship_level"], "accountable")(doc)
        _set([*cell, "kpis"], ["churn_rate"])(doc)

    path = _edited(tmp_path, edit)
    before = recommend(table, tiers=tiers)
    after = recommend(table, playbook=path, tiers=tiers)
    row = after.loc[("stability", "high")]
    assert (row["strategy"], row["priority"], row["relationship_level"], row["kpis"]) == (
        "Call them every week.", "maintain", "accountable", "churn_rate",
    )  # fmt: skip
    assert before.loc[("stability", "high"), "priority"] == "invest"
    other = after.drop(index=[("stability", "high")])
    pd.testing.assert_frame_equal(other, before.drop(index=[("stability", "high")]))
    assert after.attrs["playbook"] == str(path)
    # a loaded Playbook works the same as its path
    pd.testing.assert_frame_equal(recommend(table, load_playbook(path), tiers), after)


def test_recommend_refuses_bad_tiers_and_stages(table, tiers):
    with pytest.raises(ValueError, match=r"tiers has no tier for 1 customer.*'c8'"):
        recommend(table, tiers=tiers.drop("c8"))
    with pytest.raises(ValueError, match=r"label\(s\) 'vip' are not tiers"):
        recommend(table, tiers=tiers.replace("high", "vip"))
    broken = table.assign(stage=table["stage"].astype(str).replace("decline", "lapsed"))
    with pytest.raises(ValueError, match="column 'stage' holds 'lapsed'"):
        recommend(broken, tiers=tiers)
    with pytest.raises(ValueError, match="no 'clv_net' column"):
        recommend(table.drop(columns="clv_net"), tiers=tiers)


def test_recommend_does_not_mutate_its_inputs(table, tiers):
    t, s = table.copy(), tiers.copy()
    recommend(table, tiers=tiers)
    pd.testing.assert_frame_equal(table, t)
    pd.testing.assert_series_equal(tiers, s)


def test_recommend_takes_the_tiers_from_segments_by_default(table):
    from analysis.segments import clv_tiers

    pd.testing.assert_frame_equal(recommend(table), recommend(table, tiers=clv_tiers(table)))


# ---------------------------------------------------------------------------
# plan-do-check-act on a hand-built log


@pytest.fixture
def log() -> pd.DataFrame:
    rows = [
        ("a", "2020-01-05", 10.0), ("a", "2020-01-20", 20.0), ("a", "2020-02-10", 30.0),
        ("a", "2020-03-15", 40.0), ("b", "2020-01-10", 60.0), ("b", "2020-03-05", 20.0),
        ("c", "2020-02-01", 5.0), ("d", "2020-01-31", 8.0), ("d", "2020-03-01", 12.0),
        ("e", "2020-03-20", 7.0),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _table(log: pd.DataFrame, end: str, segment: dict) -> pd.DataFrame:
    """The columns the planned KPIs read, computed from the log up to ``end``."""
    seen = log.loc[log["date"] <= end]
    days = seen.drop_duplicates(["customer_id", "date"]).groupby("customer_id")["date"]
    t = pd.DataFrame(
        {"purchases": days.size(), "revenue": seen.groupby("customer_id")["amount"].sum()}
    )
    t.index.name = "customer_id"
    t["segment"] = t.index.map(segment)
    return t


def _info(end: str) -> TableInfo:
    """The provenance of a hand-built table: its observation end and plain settings."""
    return TableInfo(
        model="BG/NBD", model_note="", model_choice=(), count_model={}, spend_model=None,
        calibration_end=None, interval=None, time_unit="W", period="M",
        observation_end=pd.Timestamp(end), horizon_years=3.0, annual_discount_rate=0.1,
        margin=0.3, has_costs=False, value="amounts", value_unit="currency",
    )  # fmt: skip


SEGMENT = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}
TARGETS = {"retention_rate": {"delta": 0.1}, "repeat_rate": 0.5}


def test_plan_writes_baselines_and_targets_that_check_compares(tmp_path, log):
    path = tmp_path / "plan.yaml"
    before = _table(log, "2020-02-29", SEGMENT)
    planned = plan(before, TARGETS, path, log, info=_info("2020-02-29"), by="segment")
    got = planned.set_index(["kpi", "group"])
    # February: January's buyers a, b, d; a came back (x: a of a, b; y: none of d)
    assert got.loc[("retention_rate", "all"), ["baseline", "target"]].tolist() == pytest.approx(
        [1 / 3, 1 / 3 + 0.1]
    )
    assert got.loc[("retention_rate", "x"), ["baseline", "target", "base"]].tolist() == [
        0.5,
        0.6,
        2.0,
    ]
    assert got.loc[("retention_rate", "y"), "baseline_period"] == "2020-02"
    # repeat buyers: a of a, b, c, d; +50%
    assert got.loc[("repeat_rate", "all"), ["baseline", "target"]].tolist() == [0.25, 0.375]
    assert got.loc[("repeat_rate", "y"), ["baseline", "target"]].tolist() == [0.0, 0.0]

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["observation_end"] == "2020-02-29"
    assert doc["parameters"] == {
        "by": "segment", "by_name": "segment", "period": "M",
        "repeat_within_days": 90, "product_column": "product",
    }  # fmt: skip
    assert len(doc["targets"]) == 6 and doc["targets"][0]["rule"] == "delta +0.1"
    assert path.read_text(encoding="utf-8").startswith("# Plan-do-check-act")

    after = _table(log, "2020-03-31", SEGMENT)
    result = check(path, after, log, info=_info("2020-03-31")).set_index(["kpi", "group"])
    # March: February's buyers a, c; a came back
    row = result.loc[("retention_rate", "all")]
    assert (row["actual"], row["actual_period"], row["base"]) == (0.5, "2020-03", 2.0)
    assert row["gap"] == pytest.approx(0.5 - (1 / 3 + 0.1))
    # met, but with no holdout group nothing can be credited to an action
    assert bool(row["met"]) and row["next_step"] == NOT_TESTED
    assert result.loc[("retention_rate", "x"), "actual"] == 1.0
    assert not result.loc[("retention_rate", "y"), "met"]  # 0 of c, against 0.1
    assert result.loc[("retention_rate", "y"), "next_step"] == NOT_TESTED
    assert "follow up after purchases" in result.loc[("retention_rate", "all"), "action"]
    # repeat_rate counts repeat buyers so far: marked, not tested
    marked = result.loc["repeat_rate"]
    assert marked["by_construction"].str.startswith("a cumulative share: repeat_rate").all()
    assert marked["next_step"].str.startswith("no test: met by construction").all()
    assert result.loc[("repeat_rate", "all"), "actual"] == 0.6
    assert result.loc[("repeat_rate", "y"), "actual"] == pytest.approx(1 / 3)
    assert result["met"].tolist() == [True, False, True, True, True, True]  # x, y, all twice


def test_an_edited_plan_file_is_what_check_reads(tmp_path, log):
    path = tmp_path / "plan.yaml"
    plan(
        _table(log, "2020-02-29", SEGMENT),
        TARGETS,
        path,
        log,
        info=_info("2020-02-29"),
        by="segment",
    )
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in doc["targets"]:
        if entry["kpi"] == "repeat_rate" and entry["group"] == "y":
            entry["target"] = 0.5
    doc["targets"] = [e for e in doc["targets"] if e["group"] != "all"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = check(path, _table(log, "2020-03-31", SEGMENT), log, info=_info("2020-03-31"))
    assert len(result) == 4
    row = result.set_index(["kpi", "group"]).loc[("repeat_rate", "y")]
    assert row["target"] == 0.5 and not row["met"]
    assert row["gap"] == pytest.approx(1 / 3 - 0.5)


def test_check_at_the_plan_date_warns_and_reproduces_the_baseline(tmp_path, log):
    path = tmp_path / "plan.yaml"
    before = _table(log, "2020-02-29", SEGMENT)
    plan(before, {"churn_rate": -0.2}, path, log, info=_info("2020-02-29"), by="segment")
    with pytest.warns(UserWarning, match="not after the plan's observation end 2020-02-29"):
        result = check(path, before, log, info=_info("2020-02-29"))
    np.testing.assert_array_equal(result["actual"], result["baseline"])
    # churn is better lower: a target 20% under the baseline is not met by the baseline itself
    assert result["direction"].eq("lower").all()
    assert result["target"].tolist() == pytest.approx([0.4, 0.8, 0.8 * 2 / 3])
    assert not result["met"].any()


def test_targets_are_checked_before_anything_is_written(tmp_path, log):
    before = _table(log, "2020-02-29", SEGMENT)
    path = tmp_path / "plan.yaml"
    cases = [
        ({"nps": 0.1}, "'nps' is not a KPI"),
        ({"repeat_rate": {"change": 0.1, "value": 0.5}}, "exactly one of"),
        ({"repeat_rate": "more"}, "give a relative change"),
        ({"repeat_rate": {"change": float("nan")}}, "must be a finite number"),
        ({"share_of_customers": 0.1}, "say which way meets the target"),
        ({"cross_sell_rate": 0.1}, "not measurable: the log has no 'product' column"),
        ({"retention_rate": {"delta": 0.1, "groups": ["z"]}}, r"\['z'\] are not groups"),
        ({}, "targets is empty"),
    ]
    for targets, message in cases:
        with pytest.raises(ValueError, match=message):
            plan(before, targets, path, log, info=_info("2020-02-29"), by="segment")
    with pytest.raises(ValueError, match="must end in .yaml"):
        plan(
            before,
            {"repeat_rate": 0.1},
            tmp_path / "plan.csv",
            log,
            info=_info("2020-02-29"),
            by="segment",
        )
    assert not path.exists()


def test_target_rules():
    assert parse_target("repeat_rate", 0.05) == {
        "kind": "change", "amount": 0.05, "direction": "higher", "groups": None,
    }  # fmt: skip
    rule = parse_target("share_of_value", {"value": 0.3, "direction": "higher", "groups": "x"})
    assert rule == {"kind": "value", "amount": 0.3, "direction": "higher", "groups": ["x"]}
    assert parse_target("purchase_cycle_days", {"delta": -5})["direction"] == "lower"


def test_share_targets_are_capped_and_groups_can_be_chosen(tmp_path, log):
    before = _table(log, "2020-02-29", SEGMENT)
    targets = {
        "repeat_rate": {"delta": 0.8, "groups": ["x"]},
        "share_of_customers": {"value": 0.4, "direction": "lower"},
    }
    planned = plan(
        before, targets, tmp_path / "p.yml", log, info=_info("2020-02-29"), by="segment"
    ).set_index(["kpi", "group"])
    assert planned.index.tolist() == [
        ("repeat_rate", "x"), ("share_of_customers", "x"), ("share_of_customers", "y"),
        ("share_of_customers", "all"),
    ]  # fmt: skip
    assert planned.loc[("repeat_rate", "x"), "target"] == 1.0  # 0.5 + 0.8, capped
    assert "capped to [0, 1]" in planned.loc[("repeat_rate", "x"), "rule"]


def test_check_refuses_a_file_that_is_not_a_plan(tmp_path, log):
    path = tmp_path / "other.yaml"
    path.write_text("kind: something else\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is not a plan written by analysis.strategy.plan"):
        check(path, _table(log, "2020-03-31", SEGMENT), log, info=_info("2020-03-31"))
    plan_path = tmp_path / "plan.yaml"
    series = pd.Series(SEGMENT, name="region")
    plan(
        _table(log, "2020-02-29", SEGMENT),
        {"repeat_rate": 0.1},
        plan_path,
        log,
        info=_info("2020-02-29"),
        by=series,
    )
    with pytest.raises(ValueError, match="grouped by a Series \\('region'\\)"):
        check(plan_path, _table(log, "2020-03-31", SEGMENT), log, info=_info("2020-03-31"))
    result = check(
        plan_path, _table(log, "2020-03-31", SEGMENT), log, info=_info("2020-03-31"), by=series
    )
    assert result["group"].tolist() == ["x", "y", "all"]


# ---------------------------------------------------------------------------
# the CDNOW round trip: plan at the end of 1997, check at the end of the data


@pytest.fixture(scope="module")
def cdnow():
    from analysis import data
    from analysis.customers import value_customers

    log = data.load_cdnow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        at_plan = value_customers(
            log.loc[log["date"] <= "1997-12-31"], observation_end="1997-12-31"
        )
        at_check = value_customers(log, observation_end="1998-06-30")
    return log, at_plan, at_check


def _retained(log: pd.DataFrame, month: str, next_month: str) -> tuple[int, int]:
    """(buyers of month, of whom buyers of next_month), counted straight from the log."""
    by_month = log["date"].dt.to_period("M").astype(str)
    first = set(log.loc[by_month == month, "customer_id"])
    second = set(log.loc[by_month == next_month, "customer_id"])
    return len(first), len(first & second)


def test_cdnow_pdca_round_trip(tmp_path, cdnow):
    log, at_plan, at_check = cdnow
    assert at_plan.info.observation_end == pd.Timestamp("1997-12-31")
    path = tmp_path / "cdnow_plan.yaml"
    targets = {
        "retention_rate": 0.05,
        "churn_rate": -0.05,
        "repeat_rate": {"delta": 0.02},
        "average_order_value": {"change": 0.0},
    }
    planned = plan(at_plan.table, targets, path, log, info=at_plan.info).set_index(["kpi", "group"])
    assert set(planned.index.get_level_values("group")) == {
        "formation",
        "stability",
        "decline",
        "all",
    }

    # the baselines, counted straight from the log up to 1997-12-31
    seen = log.loc[log["date"] <= "1997-12-31"]
    days = seen.drop_duplicates(["customer_id", "date"])
    per_customer = days.groupby("customer_id").size()
    assert (len(per_customer), int((per_customer >= 2).sum()), len(days)) == (23570, 10490, 55319)
    assert _retained(seen, "1997-11", "1997-12") == (2028, 632)
    base = planned.loc[("retention_rate", "all")]
    assert (base["baseline"], base["base"], base["baseline_period"]) == (
        632 / 2028,
        2028.0,
        "1997-12",
    )
    assert base["target"] == pytest.approx(632 / 2028 * 1.05)
    assert planned.loc[("repeat_rate", "all"), "baseline"] == 10490 / 23570
    assert planned.loc[("average_order_value", "all"), "baseline"] == pytest.approx(
        seen["amount"].sum() / 55319
    )
    # the stages split the November buyers
    stage_bases = planned.loc["retention_rate"].drop(index="all")["base"]
    assert stage_bases.sum() == 2028.0

    result = check(path, at_check.table, log, info=at_check.info).set_index(["kpi", "group"])
    days = log.drop_duplicates(["customer_id", "date"])
    per_customer = days.groupby("customer_id").size()
    assert (int((per_customer >= 2).sum()), len(days)) == (11516, 67591)
    assert _retained(log, "1998-05", "1998-06") == (1488, 446)
    row = result.loc[("retention_rate", "all")]
    assert (row["actual"], row["base"], row["actual_period"]) == (446 / 1488, 1488.0, "1998-06")
    assert not row["met"]  # 30.0% against a target of 32.7%
    assert not result.loc[("churn_rate", "all"), "met"]
    row = result.loc[("repeat_rate", "all")]
    assert row["actual"] == 11516 / 23570 and bool(row["met"])  # 48.9% against 46.5%
    assert result.loc[("average_order_value", "all"), "actual"] == pytest.approx(
        log["amount"].sum() / 67591
    )
    assert bool(result.loc[("average_order_value", "all"), "met"])  # 36.99 against 36.59
    assert result["met"].notna().all()
    # the honest round: repeat_rate can only rise for CDNOW's one cohort, a change of 0 asks
    # for nothing; both are marked, and with no holdout group nothing else is tested
    marked = result["by_construction"] != ""
    assert set(result.index[marked].get_level_values("kpi")) == {
        "repeat_rate",
        "average_order_value",
    }
    assert result.loc[marked, "next_step"].str.startswith("no test: met by construction").all()
    assert (result.loc[~marked, "next_step"] == NOT_TESTED).all()
    assert result["difference"].isna().all()
    # same margin, horizon and discount rate; model="auto" may pick another model on more data
    assert set(result.attrs["table_changes"]) <= {"model"}


def test_a_target_the_data_cannot_measure_is_left_out_with_why(tmp_path, log):
    from analysis.errors import NotComputable

    path = tmp_path / "plan.yaml"
    before = _table(log, "2020-02-29", SEGMENT)
    targets = {"repeat_rate": 0.1, "cross_sell_rate": 0.1}
    planned = plan(
        before, targets, path, log, info=_info("2020-02-29"), by="segment", unmeasurable="skip"
    )
    assert set(planned["kpi"]) == {"repeat_rate"}
    assert "no 'product' column" in planned.attrs["not_measured"]["cross_sell_rate"]
    with pytest.raises(NotComputable, match="none of the KPIs targeted can be measured"):
        plan(
            before,
            {"cross_sell_rate": 0.1},
            path,
            log,
            info=_info("2020-02-29"),
            by="segment",
            unmeasurable="skip",
        )


# ---------------------------------------------------------------------------
# the honest round: targets met by construction, the action, the holdout group


def test_a_target_met_by_construction_is_marked_or_refused(tmp_path, log):
    path = tmp_path / "plan.yaml"
    before = _table(log, "2020-02-29", SEGMENT)
    # x: a and b bought in January, both in February? no: retention x is 1/2; repeat_rate x is
    # 1/2 (a of a, b) and cumulative; a change of 0 asks for nothing; capping at 100% from 100%
    targets = {
        "repeat_rate": 0.5,
        "retention_rate": {"change": 0.0},
        "mean_p_alive": {"delta": 0.1},
    }
    before["p_alive"] = [1.0, 1.0, 0.5, 0.4]  # a, b, c, d: x already at 100%
    planned = plan(before, targets, path, log, info=_info("2020-02-29"), by="segment").set_index(
        ["kpi", "group"]
    )
    reasons = planned["by_construction"]
    assert reasons.loc["repeat_rate"].str.contains("cannot fall").all()
    assert reasons.loc["retention_rate"].str.startswith("no improvement asked: the target").all()
    assert reasons.loc[("mean_p_alive", "x")] == (
        "already at its limit: the baseline is 100%, the probability cannot move the wanted way"
    )
    assert reasons.loc[("mean_p_alive", "y")] == ""  # 0.45 -> 0.55: a real target
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert sum(bool(e["by_construction"]) for e in doc["targets"]) == len(planned) - 2
    # refused, naming the targets, and nothing written
    path.unlink()
    with pytest.raises(
        ValueError, match=r"met by construction \(repeat_rate in x: a cumulative share"
    ):
        plan(
            before,
            targets,
            path,
            log,
            info=_info("2020-02-29"),
            by="segment",
            by_construction="error",
        )
    assert not path.exists()
    plan(before, {"mean_p_alive": {"delta": 0.1, "groups": ["y"]}}, path, log, info=_info("2020-02-29"), by="segment",
         by_construction="error")  # fmt: skip
    assert path.exists()


def test_an_old_plan_file_is_judged_at_the_check(tmp_path, log):
    """A plan written before the honest round (no by_construction, no action) still checks."""
    path = tmp_path / "plan.yaml"
    plan(
        _table(log, "2020-02-29", SEGMENT),
        TARGETS,
        path,
        log,
        info=_info("2020-02-29"),
        by="segment",
    )
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in doc["targets"]:
        del entry["by_construction"], entry["action"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = check(
        path, _table(log, "2020-03-31", SEGMENT), log, info=_info("2020-03-31")
    ).set_index(["kpi", "group"])
    assert result.loc["repeat_rate", "by_construction"].str.startswith("a cumulative").all()
    assert (result.loc["retention_rate", "by_construction"] == "").all()
    assert (result.loc["retention_rate", "action"] == "").all()


def test_each_target_names_the_playbook_action_it_follows_from():
    from analysis.strategy import target_action

    said = target_action("reactivation_rate", "decline")
    assert said.startswith("win-back contact") and "decline/high, decline/medium" in said
    assert target_action("retention_rate", "formation/high").endswith("(playbook formation/high)")
    assert target_action("reactivation_rate", "formation") == (
        "none: no playbook cell of formation watches reactivation_rate"
    )


def test_the_holdout_group_is_written_and_the_check_compares_the_arms(tmp_path, log):
    from analysis.strategy import holdout_split

    path = tmp_path / "plan.yaml"
    before = _table(log, "2020-02-29", SEGMENT)
    held = pd.Series([False, True, False, True], index=pd.Index(list("abcd")), name="holdout")
    planned = plan(before, {"retention_rate": {"delta": 0.1}}, path, log, info=_info("2020-02-29"), by="segment",
                   holdout=held)  # fmt: skip
    assert planned.attrs["holdout"].equals(held)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["holdout"]["ids"] == ["b", "d"] and doc["holdout"]["share"] == 0.5
    after = _table(log, "2020-03-31", SEGMENT)
    after["first_purchase"] = log.groupby("customer_id")["date"].min()  # e: March, in neither arm
    result = check(path, after, log, info=_info("2020-03-31")).set_index(["kpi", "group"])
    # February buyers: a (treated, back in March) and c (treated, not back); no holdout buyer
    row = result.loc[("retention_rate", "all")]
    assert row["treated"] == 0.5 and np.isnan(row["holdout"])
    assert row["next_step"].startswith("not compared")
    assert result.attrs["holdout"] == {"treated": 2, "holdout": 2}

    # a seeded share: reproducible, drawn from the sorted ids, written with its seed
    split = holdout_split(["d", "c", "b", "a"], share=0.5, seed=3)
    assert split.index.tolist() == list("abcd") and int(split.sum()) == 2
    assert split.equals(holdout_split(list("abcd"), share=0.5, seed=3))
    plan(before, {"retention_rate": {"delta": 0.1}}, path, log, info=_info("2020-02-29"), by="segment", holdout=0.5,
         holdout_seed=3)  # fmt: skip
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["holdout"]["seed"] == 3
    assert doc["holdout"]["ids"] == split.index[split.to_numpy()].tolist()
    with pytest.raises(ValueError, match="share must be in"):
        holdout_split(list("abcd"), share=1.0)


def test_cdnow_round_with_a_holdout_group_finds_no_effect_of_doing_nothing(tmp_path, cdnow):
    """Nothing was done between the plan and the check: the arms differ by chance only."""
    log, at_plan, at_check = cdnow
    path = tmp_path / "plan.yaml"
    targets = {"retention_rate": 0.05, "reactivation_rate": 0.05}
    plan(at_plan.table, targets, path, log, info=at_plan.info, holdout=0.1, holdout_seed=0)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(doc["holdout"]["ids"]) == 2357 and doc["holdout"]["seed"] == 0
    result = check(path, at_check.table, log, info=at_check.info).set_index(["kpi", "group"])
    assert result.attrs["holdout"] == {"treated": 21213, "holdout": 2357}
    row = result.loc[("retention_rate", "all")]
    assert row["difference"] == pytest.approx(row["treated"] - row["holdout"])
    assert row["difference_low"] < 0 < row["difference_high"]
    assert row["next_step"].startswith("act: no difference from the holdout group")
    assert (result["by_construction"] == "").all()


def test_a_holdout_without_customers_on_either_side_is_refused(tmp_path, log):
    before = _table(log, "2020-02-29", SEGMENT)
    with pytest.raises(ValueError, match="leaves 0 held out and 4 treated"):
        plan(before, {"retention_rate": {"delta": 0.1}}, tmp_path / "p.yaml", log, info=_info("2020-02-29"),
             by="segment", holdout=0.1)  # fmt: skip


def test_the_difference_of_two_shares_has_newcombes_interval():
    """A small holdout group all at 0% does not make a difference significant (Newcombe 1998)."""
    from analysis.strategy.trial import difference_interval

    # Newcombe (1998), Table II, example (a): 56/70 against 48/80 gives 0.0524 to 0.3339
    low, high = difference_interval(56 / 70, 70, 48 / 80, 80)
    assert low == pytest.approx(0.0524, abs=5e-4) and high == pytest.approx(0.3339, abs=5e-4)
    # 5 of 22 treated against 0 of 4 held out: +22.7 points, but not beyond chance
    low, high = difference_interval(5 / 22, 22, 0.0, 4)
    assert low < 0 < high
    # both at 0%: an interval around 0 that does not collapse to a point
    low, high = difference_interval(0.0, 30, 0.0, 10)
    assert low < 0 < high


def test_too_few_customers_in_an_arm_give_no_interval_and_say_so():
    """2 of 7 treated against 3 of 3 held out is no evidence (Fisher's exact p = 0.17)."""
    from analysis.strategy.trial import MIN_ARM_BASE, compare_arms, next_step

    out = pd.DataFrame(
        {"kpi": ["retention_rate"] * 2, "group": ["all", "x"], "actual_period": ["2020-03"] * 2}
    )
    index = pd.MultiIndex.from_tuples(
        [("retention_rate", "all", "2020-03"), ("retention_rate", "x", "2020-03")],
        names=["kpi", "group", "period"],
    )
    treated = pd.DataFrame({"value": [2 / 7, 0.30], "base": [7, 200]}, index=index)
    holdout = pd.DataFrame({"value": [1.0, 0.25], "base": [3, MIN_ARM_BASE]}, index=index)
    frame = compare_arms(out, (treated, holdout, {"treated": 207, "holdout": 13}))
    assert frame.loc[0, "difference"] == pytest.approx(2 / 7 - 1)
    assert frame.loc[[0], ["difference_low", "difference_high"]].isna().all(axis=None)
    assert frame.loc[1, "difference_low"] < 0 < frame.loc[1, "difference_high"]
    row = out.join(frame).assign(by_construction="", direction="higher").iloc[0]
    step = next_step(row, has_holdout=True, known=True)
    assert step == (
        "compared: treated 0.2857 against holdout 1 (fewer than 10 customers in an arm's "
        "base); judge the size before acting"
    )
