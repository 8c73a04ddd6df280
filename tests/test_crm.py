"""The decision columns for a CRM: the strategy report's tier, cell, play and warning per customer.

Each check holds the columns to what ``notebooks/05_strategy`` computes with the
same functions: the customers per playbook cell are its recommendation table's,
the flagged customers its early-warning list.
"""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import churn, config, customers, customers_io, data, dates, segments, simulate
from analysis.errors import DataValidationError
from analysis.report import schema
from analysis.strategy import (
    DECISION_COLUMNS,
    PLAYBOOK_PATH,
    PRIORITIES,
    RELATIONSHIP_LEVELS,
    TIERS,
    decision_columns,
    load_playbook,
    recommend,
    with_decision_columns,
)
from analysis.strategy.crm import PLAYBOOK_CELLS, strategy_key
from analysis.units import STAGES

NOTEBOOK = config.PROJECT_ROOT / "notebooks" / "05_strategy"
#: decision_columns' settings and the parameters of 05 they stand for
SETTINGS = {
    "playbook": "playbook",
    "warning_top_tiers": "warning_top_tiers",
    "p_alive_below": "p_alive_below",
    "cycle_factor": "cycle_factor",
}
#: the parameters of 05 that build its customer table
TABLE_SETTINGS = (
    "period",
    "time_unit",
    "horizon_years",
    "annual_discount_rate",
    "margin",
    "cost_per_purchase",
    "currency",
)


@pytest.fixture(scope="module")
def notebook_values() -> dict:
    """05's parameters: name to default (analysis.report.schema)."""
    return schema.notebook_values(NOTEBOOK.name)


@pytest.fixture(scope="module")
def simulated_table() -> pd.DataFrame:
    """A small simulated log (customers acquired over the whole year, so every stage appears),
    with a cost per order so that some values are negative."""
    drawn = simulate.simulate_lifecycle(
        n_customers=300, n_periods=12, seed=5, start="2020-01-01", acquisition_periods=12
    )
    log = drawn.transactions[["customer_id", "date", "amount"]]
    return customers.customer_table(log, cost_per_purchase=8.0)


@pytest.fixture(scope="module")
def cdnow_sample_table(notebook_values) -> pd.DataFrame:
    """The CDNOW sample's customer table, built as 05 builds it from its default parameters."""
    v = notebook_values
    transactions = data.load_dataset("cdnow_sample")
    frame = dates.time_frame(
        transactions,
        observation_end=v["observation_end"],
        calibration_end=v["calibration_end"],
        plan_end=v["plan_end"],
    )
    log = transactions.loc[transactions["date"] <= pd.Timestamp(frame.observation_end)]
    settings = {k: v[k] for k in TABLE_SETTINGS}
    basis = data.value_basis(transactions, settings["margin"], settings["currency"])
    settings.update(margin=basis.margin, currency=basis.currency)
    return customers.customer_table(log, observation_end=frame.observation_end, **settings)


@pytest.fixture(params=["simulated", "cdnow_sample"])
def table(request) -> pd.DataFrame:
    return request.getfixturevalue(f"{request.param}_table")


def _report_settings(values: dict) -> dict:
    return {name: values[parameter] for name, parameter in SETTINGS.items()}


# ---------------------------------------------------------------------------
# the settings are 05's


def test_the_defaults_are_those_of_the_strategy_report(notebook_values):
    defaults = {
        name: p.default
        for name, p in inspect.signature(decision_columns).parameters.items()
        if name != "table"
    }
    assert set(SETTINGS) <= set(defaults)
    declared = _report_settings(notebook_values)
    assert declared.pop("playbook") == "" and defaults.pop("playbook") is None  # both: shipped
    assert list(defaults.pop("warning_top_tiers")) == declared.pop("warning_top_tiers")
    assert {k: defaults[k] for k in declared} == declared
    assert tuple(defaults["tier_shares"]) == segments.CLV_TIER_SHARES  # 04 and 05 use these


def _calls(source: str, name: str) -> list[ast.Call]:
    tree = ast.parse(source)
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == name
    ]


def test_the_report_still_calls_what_the_columns_copy():
    """05's recommendation and warning list use the default tiers and exactly these settings;
    if the report passes another argument, the columns must follow it."""
    source = NOTEBOOK.with_suffix(".py").read_text(encoding="utf-8")
    (rec,) = _calls(source, "strategy.recommend")
    assert [ast.unparse(a) for a in rec.args] == ["table", "book"] and not rec.keywords
    (book,) = _calls(source, "strategy.load_playbook")
    assert [ast.unparse(a) for a in book.args] == ["playbook or None"]
    (warn,) = _calls(source, "churn.early_warning")
    assert [ast.unparse(a) for a in warn.args] == ["table"]
    assert {k.arg: ast.unparse(k.value) for k in warn.keywords} == {
        "top_tiers": "warning_top_tiers",
        "p_alive_below": "p_alive_below",
        "cycle_factor": "cycle_factor",
    }


# ---------------------------------------------------------------------------
# the columns


def test_columns_present_typed_and_aligned(table):
    out = decision_columns(table)
    assert tuple(out.columns) == DECISION_COLUMNS
    assert out.index.equals(table.index)
    for column, categories in [
        ("tier", TIERS),
        ("playbook_cell", PLAYBOOK_CELLS),
        ("investment_priority", PRIORITIES),
        ("relationship_level", RELATIONSHIP_LEVELS),
    ]:
        dtype = out[column].dtype
        assert isinstance(dtype, pd.CategoricalDtype) and dtype.ordered, column
        assert tuple(dtype.categories) == tuple(categories), column
        assert out[column].notna().all(), column
    for column in ("strategy_key", "strategy", "warning_reasons"):
        assert pd.api.types.is_string_dtype(out[column]), column
        assert out[column].notna().all(), column
    assert out["warning_flag"].dtype == bool
    assert out["warning_score"].dtype == np.float64
    assert out["warning_score"].between(0, 4).all()
    stage = table["stage"].astype(str)
    assert (out["playbook_cell"].astype(str) == stage + "/" + out["tier"].astype(str)).all()
    expected_keys = [
        strategy_key(s, t) for s, t in zip(stage, out["tier"].astype(str), strict=True)
    ]
    assert out["strategy_key"].tolist() == expected_keys
    assert out["strategy_key"].iloc[0].startswith(f"stages.{stage.iloc[0]}.tiers.")


def test_the_tier_is_the_clv_tier(table):
    out = decision_columns(table)
    assert (out["tier"].astype(str) == segments.clv_tiers(table).astype(str)).all()


def test_counts_per_cell_are_the_recommendation_of_the_report(table):
    book = load_playbook(None)
    recommendation = recommend(table, book)  # as 05 calls it
    out = decision_columns(table)
    counts = out["playbook_cell"].value_counts().reindex(list(PLAYBOOK_CELLS))
    expected = recommendation["customers"]
    assert counts.tolist() == expected.tolist()
    assert [f"{s}/{t}" for s, t in expected.index] == list(PLAYBOOK_CELLS)
    # every customer carries its cell's play, as the recommendation shows it
    for (stage, tier), row in recommendation[recommendation["customers"] > 0].iterrows():
        cell = out[out["playbook_cell"] == f"{stage}/{tier}"]
        assert (cell["strategy"] == row["strategy"]).all()
        assert (cell["investment_priority"] == row["priority"]).all()
        assert (cell["relationship_level"] == row["relationship_level"]).all()
        assert (cell["strategy_key"] == strategy_key(stage, tier)).all()


def test_the_flag_is_the_early_warning_list_of_the_report(table, notebook_values):
    v = notebook_values
    at_risk = churn.early_warning(  # as 05 calls it
        table,
        top_tiers=v["warning_top_tiers"],
        p_alive_below=v["p_alive_below"],
        cycle_factor=v["cycle_factor"],
    )
    out = decision_columns(table)
    assert set(out.index[out["warning_flag"]]) == set(at_risk.index)
    flagged = out.loc[at_risk.index]
    assert flagged["warning_reasons"].tolist() == at_risk["reasons"].tolist()
    assert (flagged["warning_reasons"] != "").all()
    assert (out.loc[~out["warning_flag"], "warning_reasons"] == "").all()
    np.testing.assert_array_equal(flagged["warning_score"], at_risk["score"])
    assert (flagged["tier"].astype(str) == at_risk["tier"].astype(str)).all()
    score = churn.warning_score(table, cycle_factor=v["cycle_factor"])
    np.testing.assert_array_equal(out["warning_score"], score)


def test_the_simulated_table_exercises_the_decisions(simulated_table):
    """The simulated table is a real test: every stage, a negative tier, flagged customers."""
    out = decision_columns(simulated_table)
    assert set(simulated_table["stage"].astype(str)) == set(STAGES)
    assert set(out["tier"].astype(str)) == set(TIERS)
    assert 0 < out["warning_flag"].sum() < len(out)
    assert (out["playbook_cell"].value_counts() > 0).sum() >= 12


def test_settings_move_the_decisions_as_they_move_the_report(tmp_path, simulated_table):
    t = simulated_table
    settings = {"warning_top_tiers": ["high"], "p_alive_below": 0.9, "cycle_factor": 1.5}
    out = decision_columns(t, **settings)
    at_risk = churn.early_warning(
        t,
        top_tiers=["high"],
        p_alive_below=0.9,
        cycle_factor=1.5,
    )
    assert set(out.index[out["warning_flag"]]) == set(at_risk.index)
    assert set(at_risk.index) != set(churn.early_warning(t).index)
    np.testing.assert_array_equal(out["warning_score"], churn.warning_score(t, cycle_factor=1.5))
    assert out.attrs["warning_top_tiers"] == "high" and out.attrs["cycle_factor"] == 1.5

    shares = (0.3, 0.6)
    tiered = decision_columns(t, tier_shares=shares)
    expected = segments.clv_tiers(t, shares=shares)
    assert (tiered["tier"].astype(str) == expected.astype(str)).all()
    counts = tiered["playbook_cell"].value_counts().reindex(list(PLAYBOOK_CELLS))
    assert counts.tolist() == recommend(t, tiers=expected)["customers"].tolist()
    assert set(tiered.index[tiered["warning_flag"]]) == set(
        churn.early_warning(t, tiers=expected).index
    )

    doc = yaml.safe_load(PLAYBOOK_PATH.read_text(encoding="utf-8"))
    doc["stages"]["decline"]["tiers"]["low"]["strategy"] = "Send one last offer."
    doc["stages"]["decline"]["tiers"]["low"]["priority"] = "exit"
    path = tmp_path / "playbook.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    edited = decision_columns(t, playbook=str(path))
    cell = edited["playbook_cell"] == "decline/low"
    assert cell.any()
    assert (edited.loc[cell, "strategy"] == "Send one last offer.").all()
    assert (edited.loc[cell, "investment_priority"] == "exit").all()
    default = decision_columns(t, playbook="")
    pd.testing.assert_frame_equal(edited.loc[~cell], default.loc[~cell])
    assert edited.attrs["playbook"] == str(path)
    assert default.attrs["playbook"] == str(PLAYBOOK_PATH)
    pd.testing.assert_frame_equal(decision_columns(t, playbook=load_playbook(path)), edited)


# ---------------------------------------------------------------------------
# the table with the columns


def test_with_decision_columns_appends_and_changes_nothing(table):
    before = table.copy(deep=True)
    attrs = dict(table.attrs)
    out = with_decision_columns(table)
    pd.testing.assert_frame_equal(table, before)  # the input is not mutated
    assert table.attrs == attrs
    assert list(out.columns) == [*table.columns, *DECISION_COLUMNS]
    pd.testing.assert_frame_equal(out[list(table.columns)], table)
    pd.testing.assert_frame_equal(out[list(DECISION_COLUMNS)], decision_columns(table))
    # the decision settings only: the table's provenance is its TableInfo, passed on apart
    assert out.attrs == decision_columns(table).attrs
    assert out.attrs["playbook"] == str(PLAYBOOK_PATH)


def test_decision_columns_does_not_mutate_its_input(simulated_table):
    before = simulated_table.copy(deep=True)
    attrs = dict(simulated_table.attrs)
    decision_columns(simulated_table, warning_top_tiers=["high", "medium", "low"])
    pd.testing.assert_frame_equal(simulated_table, before)
    assert simulated_table.attrs == attrs


def test_appending_twice_is_refused_naming_the_columns(simulated_table):
    out = with_decision_columns(simulated_table)
    with pytest.raises(DataValidationError, match=r"already has the decision column\(s\) \['tier'"):
        with_decision_columns(out)
    # the decisions of a table that carries them are those of the table alone
    pd.testing.assert_frame_equal(decision_columns(out), decision_columns(simulated_table))


def test_a_table_without_stages_is_refused_naming_the_rows(simulated_table):
    with pytest.raises(DataValidationError, match="no 'stage' column"):
        decision_columns(simulated_table.drop(columns="stage"))
    broken = simulated_table.assign(stage=simulated_table["stage"].astype(str))
    broken.loc[broken.index[:2], "stage"] = "lapsed"
    rows = ", ".join(map(str, broken.index[:2]))  # customer ids 1 and 2
    with pytest.raises(DataValidationError, match=rf"not one of exploration.*at rows {rows};"):
        decision_columns(broken)


def test_the_export_carries_the_decisions(tmp_path, simulated_table):
    """customers.csv and customers.parquet with the columns: what a CRM reads back."""
    out = with_decision_columns(simulated_table)
    written = {path.suffix: path for path in customers_io.export(out, tmp_path)}
    csv, parquet = written[".csv"], written[".parquet"]
    read = pd.read_csv(csv, index_col="customer_id", keep_default_na=False)
    assert list(read.columns) == list(out.columns)
    assert read["warning_flag"].tolist() == out["warning_flag"].tolist()
    assert read["playbook_cell"].tolist() == out["playbook_cell"].astype(str).tolist()
    assert read["warning_reasons"].tolist() == out["warning_reasons"].tolist()
    back = pd.read_parquet(parquet)
    pd.testing.assert_frame_equal(back[list(DECISION_COLUMNS)], out[list(DECISION_COLUMNS)])
    assert back.attrs["playbook"] == str(PLAYBOOK_PATH)
