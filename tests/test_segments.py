"""Segmentations of the customer table, on hand-built tables with exact expected labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import segments
from analysis.errors import DataValidationError
from analysis.units import STAGES

IDS = list("abcdefghij")


def make_table(**overrides) -> pd.DataFrame:
    """Ten customers with the customer table's columns (values chosen for the tests below)."""
    end = pd.Timestamp("2020-12-31")
    days = [5, 40, 10, 100, 2, 300, 60, 500, 20, 1]
    cols = {
        "frequency": [7, 0, 4, 5, 0, 0, 2, 1, 3, 0],
        "recency": [50.0, 0.0, 30.0, 20.0, 0.0, 0.0, 10.0, 5.0, 12.0, 0.0],
        "T": [52.0] * 10,
        "monetary_value": [50.0, 0.0, 30.0, 50.0, 0.0, 0.0, 30.0, 30.0, 30.0, 0.0],
        "purchases": [8, 1, 5, 6, 1, 1, 3, 2, 4, 1],
        "revenue": [400.0, 50.0, 150.0, 300.0, 20.0, 35.0, 90.0, 60.0, 120.0, 80.0],
        "first_purchase": [pd.Timestamp("2020-01-01")] * 10,
        "last_purchase": [end - pd.Timedelta(days=d) for d in days],
        "days_since_last": [float(d) for d in days],
        "purchase_cycle_days": [40.0, np.nan, 60.0, 30.0, np.nan, np.nan, 80.0, 70.0, 50.0, np.nan],
        "interpurchase_cv": [0.4, 0.3, 1.5, 0.2, 1.0, np.nan, 0.5, 0.8, 0.7, np.nan],
        "stage": pd.Categorical(
            ["stability", "formation", "exploration", "exploration", "exploration",
             "exploration", "exploration", "decline", "exploration", "exploration"],
            categories=list(STAGES), ordered=True,
        ),
        "periods_in_stage": [3, 1, 1, 2, 1, 1, 1, 4, 2, 1],
        "p_alive": [0.9, 0.3, 0.8, 0.5, 0.95, 0.7, 0.6, 0.2, 0.9, 0.99],
        "expected_purchases_period": [0.5] * 10,
        "expected_purchases_horizon": [6.0] * 10,
        "expected_spend": [40.0] * 10,
        "clv": [40.0, 25.0, 15.0, 10.0, 5.0, 5.0, 0.0, 1.0, 2.0, 0.0],
        "clv_net": [40.0, 25.0, 15.0, 10.0, 5.0, 5.0, 0.0, -3.0, -1.0, 0.0],
        "current_value": [30.0, 0.0, 20.0, 5.0, 12.0, 0.0, 8.0, 1.0, 2.0, 0.0],
    }  # fmt: skip
    cols["potential_value"] = cols["clv_net"]
    cols.update(overrides)
    table = pd.DataFrame(cols, index=pd.Index(IDS, name="customer_id"))
    table.attrs.update(
        model="BG/NBD", model_note="hand-built", time_unit="W", period="M",
        observation_end=end, horizon_years=3.0, annual_discount_rate=0.10, margin=0.30,
        has_costs=False,
    )  # fmt: skip
    return table


def with_costs(table: pd.DataFrame, acquisition, retention) -> pd.DataFrame:
    out = table.assign(acquisition_cost=acquisition, retention_cost=retention)
    out.attrs = {**table.attrs, "has_costs": True}
    return out


def labels_of(series: pd.Series) -> dict:
    return {k: (None if pd.isna(v) else v) for k, v in series.items()}


def expect(series: pd.Series, expected: str | list, name: str, categories) -> None:
    """The labels in customer order (a list, or ``;``-separated), the name and the label set."""
    if isinstance(expected, str):
        expected = expected.split(";")
    assert series.name == name
    assert isinstance(series.dtype, pd.CategoricalDtype) and series.dtype.ordered
    assert list(series.cat.categories) == list(categories)
    assert series.index.name == "customer_id"
    assert labels_of(series) == dict(zip(series.index, expected, strict=True))


# --- CLV tiers ---------------------------------------------------------------------------


def test_clv_tiers_by_cumulative_share_of_positive_value():
    # positive value 100: a holds 40% (high), b's predecessors 40% < 50% (high), c's 65%
    # (medium), d's exactly 80% (boundary: low), e and f 90% (low), zero value low
    got = segments.clv_tiers(make_table())
    expect(
        got, "high;high;medium;low;low;low;low;negative;negative;low", "clv_tiers",
        segments.CLV_TIERS,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([50.0, 30.0, 20.0], ["high", "medium", "low"]),  # 30 has exactly 50% above it
        ([90.0, 10.0], ["high", "low"]),  # one customer holding most of the value is high
        ([30.0, 30.0, 30.0, 10.0], ["high", "high", "high", "low"]),  # ties share a tier
        ([0.0, 0.0, -1.0], ["low", "low", "negative"]),  # no positive value at all
    ],
)
def test_clv_tiers_boundaries_and_ties(values, expected):
    table = pd.DataFrame(
        {"clv_net": values}, index=pd.Index(range(len(values)), name="customer_id")
    )
    assert list(segments.clv_tiers(table).astype(object)) == expected
    # the tier does not depend on row order
    shuffled = table.iloc[::-1]
    assert list(segments.clv_tiers(shuffled).astype(object)) == expected[::-1]


def test_clv_tiers_shares_labels_and_column_can_be_overridden():
    table = make_table()
    got = segments.clv_tiers(table, shares=(0.2, 0.5, 0.8), labels=("A", "B", "C", "D", "neg"))
    # above-shares: a 0, b .4, c .65, d .8, e/f .9
    expect(got, "A;B;C;D;D;D;D;neg;neg;D", "clv_tiers", ["A", "B", "C", "D", "neg"])
    got = segments.clv_tiers(table, shares=(0.3,), labels=("top", "rest", "loss"), column="clv")
    # clv (no costs) 103 in all: a top, b has 40/103 above it
    assert labels_of(got) == dict(zip(IDS, ["top"] + ["rest"] * 9, strict=True))
    with pytest.raises(ValueError, match="4 distinct labels"):
        segments.clv_tiers(table, labels=("high", "low", "negative"))
    with pytest.raises(ValueError, match="strictly increasing"):
        segments.clv_tiers(table, shares=(0.8, 0.5))


def test_missing_or_nan_value_is_a_clear_error():
    table = make_table()
    with pytest.raises(ValueError, match=r"needs column\(s\) \['clv_net'\]"):
        segments.clv_tiers(table.drop(columns="clv_net"))
    bad = table.assign(clv_net=table["clv_net"].where(table.index != "c"))
    with pytest.raises(ValueError, match=r"'clv_net' is missing or infinite.*'c'"):
        segments.clv_tiers(bad)


# --- value matrix ------------------------------------------------------------------------


def test_value_matrix_at_the_medians():
    # medians: current 3.5, potential 5 (e and f at exactly 5 are low)
    got = segments.value_matrix(make_table())
    expect(
        got,
        "retain;develop;retain;retain;maintain;reduce;maintain;reduce;reduce;reduce",
        "value_matrix", ["retain", "develop", "maintain", "reduce"],
    )  # fmt: skip


def test_value_matrix_given_cuts_and_own_labels():
    table = make_table()
    got = segments.value_matrix(table, cut=(10, 0))
    assert list(got.astype(object)) == (
        "retain;develop;retain;develop;retain;develop;reduce;reduce;reduce;reduce".split(";")
    )
    # one number cuts both axes: current > 5 and potential > 5
    got = segments.value_matrix(table, cut=5)
    assert list(got.astype(object)) == (
        "retain;develop;retain;develop;maintain;reduce;maintain;reduce;reduce;reduce".split(";")
    )
    matrix = {
        ("high", "high"): "I",
        ("low", "high"): "II",
        ("high", "low"): "III",
        ("low", "low"): "IV",
    }
    got = segments.value_matrix(table, matrix=matrix)
    assert list(got.cat.categories) == ["I", "II", "III", "IV"] and got["b"] == "II"
    with pytest.raises(ValueError, match="exactly the keys"):
        segments.value_matrix(table, matrix={("high", "high"): "x"})
    with pytest.raises(ValueError, match="'median' or a number"):
        segments.value_matrix(table, cut="mean")


# --- loyalty x profitability ---------------------------------------------------------------


def test_loyalty_profitability_default_cuts():
    # loyal: p_alive > .5 and cv <= 1 -> a, e (cv exactly 1), g, i; d has p_alive exactly .5;
    # f and j have no cv (fewer than 2 repeats): not loyal. Profitable: clv_net > median 5.
    got = segments.loyalty_profitability(make_table())
    expect(
        got,
        "true friends;butterflies;butterflies;butterflies;barnacles;strangers;barnacles;"
        "strangers;barnacles;strangers",
        "loyalty_profitability", ["true friends", "butterflies", "barnacles", "strangers"],
    )  # fmt: skip


def test_loyalty_unmeasured_regularity_and_other_cuts():
    table = make_table()
    got = segments.loyalty_profitability(table, unmeasured="p_alive")
    assert got["f"] == "barnacles" and got["j"] == "barnacles"  # judged on p_alive alone
    assert got["b"] == "butterflies"  # b has a cv; its p_alive .3 is low
    got = segments.loyalty_profitability(table, regularity=None, profit_cut=0.0)
    # loyal: p_alive > .5 -> a c e f g i j; profitable: clv_net > 0 -> a..f
    assert list(got.astype(object)) == [
        "true friends", "butterflies", "true friends", "butterflies", "true friends",
        "true friends", "barnacles", "strangers", "barnacles", "barnacles",
    ]  # fmt: skip
    got = segments.loyalty_profitability(table, profit="current_value", cv_cut=0.5)
    # median current value 3.5; loyal: a (cv .4), g (cv .5)
    assert got["a"] == "true friends" and got["g"] == "true friends" and got["e"] == "butterflies"
    with pytest.raises(ValueError, match="unmeasured must be one of"):
        segments.loyalty_profitability(table, unmeasured="loyal")


# --- cost matrix -------------------------------------------------------------------------

ACQ = [100.0, 20.0, 80.0, 10.0, 50.0, 60.0, 5.0, 30.0, 70.0, 40.0]
RET = [30.0, 25.0, 5.0, 2.0, 10.0, 40.0, 1.0, 12.0, 8.0, 10.0]


def test_cost_matrix_quadrants_follow_the_documented_table():
    assert segments.COST_MATRIX == {
        ("high", "high"): "loyal",
        ("low", "low"): "casual",
        ("low", "high"): "easy to win, hard to keep",
        ("high", "low"): "easy to keep, hard to win",
    }
    # medians: acquisition 45, retention 10 (e and j at exactly 10 are low)
    got = segments.cost_matrix(with_costs(make_table(), ACQ, RET))
    w, k = "easy to win, hard to keep", "easy to keep, hard to win"
    expect(
        got,
        ["loyal", w, k, "casual", k, "loyal", "casual", w, k, "casual"],
        "cost_matrix", list(segments.COST_MATRIX.values()),
    )  # fmt: skip


def test_cost_matrix_leaves_a_customer_without_cost_unlabelled():
    acq = ACQ[:9] + [np.nan]
    got = segments.cost_matrix(with_costs(make_table(), acq, RET))
    # medians over the nine known: acquisition 50 (e now low), retention 10
    assert got["j"] is np.nan or pd.isna(got["j"])
    assert got["e"] == "casual" and got["a"] == "loyal"


def test_cost_matrix_without_cost_data_says_what_to_pass():
    table = make_table()
    with pytest.raises(ValueError, match=r"no cost data.*customer_table\(transactions, costs="):
        segments.cost_matrix(table)
    table.attrs.pop("has_costs")
    with pytest.raises(
        ValueError, match=r"no column\(s\) \['acquisition_cost', 'retention_cost'\]"
    ):
        segments.cost_matrix(table)
    only_acq = make_table().assign(acquisition_cost=ACQ)
    only_acq.attrs["has_costs"] = True
    with pytest.raises(ValueError, match=r"no column\(s\) \['retention_cost'\]"):
        segments.cost_matrix(only_acq)


# --- prospect tiers ------------------------------------------------------------------------


def test_prospect_tiers_only_in_exploration():
    # prospects c d e f g i j, values 15 10 5 5 0 -1 0: 40% quantile 2, 80% quantile 9
    got = segments.prospect_tiers(make_table())
    expect(
        got,
        [None, None, "quality", "quality", "ordinary", "ordinary", "poor", None, "poor", "poor"],
        "prospect_tiers", segments.PROSPECT_TIERS,
    )  # fmt: skip


def _prospects(values) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {"clv_net": values, "stage": ["exploration"] * n},
        index=pd.Index([f"p{i}" for i in range(n)], name="customer_id"),
    )


def test_prospect_tiers_quantile_cuts_and_ties():
    rng = np.random.default_rng(7)
    values = rng.permutation(np.arange(1.0, 11.0))
    got = segments.prospect_tiers(_prospects(values))
    # ten distinct values: top 20% quality, bottom 40% poor
    assert got[values > 8].eq("quality").all() and got[values <= 4].eq("poor").all()
    assert got.value_counts().to_dict() == {"quality": 2, "ordinary": 4, "poor": 4}
    # cuts 2.6 and 3: the three tied 3s are one tier, and none is above the top cut
    got = segments.prospect_tiers(_prospects([1.0, 2.0, 3.0, 3.0, 3.0]))
    assert list(got.astype(object)) == ["poor", "poor", "ordinary", "ordinary", "ordinary"]
    got = segments.prospect_tiers(
        _prospects([1.0, 2.0, 3.0, 4.0]), quantiles=(0.5,), labels=("worth it", "not")
    )
    assert list(got.astype(object)) == ["not", "not", "worth it", "worth it"]


def test_prospect_tiers_with_no_prospect_is_all_unlabelled():
    table = make_table(stage=pd.Categorical(["stability"] * 10, categories=list(STAGES)))
    assert segments.prospect_tiers(table).isna().all()


# --- ranking -------------------------------------------------------------------------------


def _four() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "current_value": [10.0, 0.0, 5.0, 5.0],
            "potential_value": [1.0, 30.0, 20.0, 10.0],
            "p_alive": [0.9, 0.5, 0.1, 0.7],
        },
        index=pd.Index(list("wxyz"), name="customer_id"),
    )


def test_ranking_equal_weights():
    got = segments.ranking(_four())
    assert list(got.index) == ["w", "z", "x", "y"]
    assert list(got["rank"]) == [1, 2, 3, 4]
    assert list(got.columns) == [
        "score", "rank", "scaled_current_value", "scaled_potential_value", "scaled_p_alive",
    ]  # fmt: skip
    # tied current values (5, 5) share the mean rank: 0.5
    assert got.loc["y", "scaled_current_value"] == 0.5 == got.loc["z", "scaled_current_value"]
    np.testing.assert_allclose(got["score"], [2 / 3, 1.5 / 3, (4 / 3) / 3, (7 / 6) / 3])
    assert got.attrs["weights"] == pytest.approx(segments.RANKING_WEIGHTS)


def test_ranking_weights_change_the_order_and_are_shown():
    got = segments.ranking(_four(), weights={"potential_value": 3, "p_alive": 1})
    assert list(got.index) == ["x", "y", "z", "w"]
    assert got.attrs["weights"] == {"potential_value": 0.75, "p_alive": 0.25}
    np.testing.assert_allclose(got["score"], [0.75 + 1 / 12, 0.5, 0.25 + 1 / 6, 0.25])
    got = segments.ranking(_four(), weights={"current_value": 1})
    assert list(got.index) == ["w", "y", "z", "x"]  # y and z tie: table order
    got = segments.ranking(_four(), weights={"p_alive": 1}, lower_is_better=["p_alive"])
    assert list(got.index) == ["y", "x", "z", "w"]


def test_ranking_weight_errors():
    with pytest.raises(ValueError, match="all zero"):
        segments.ranking(_four(), weights={"p_alive": 0, "current_value": 0.0})
    with pytest.raises(ValueError, match=r"weight of 'p_alive' must be a finite number >= 0"):
        segments.ranking(_four(), weights={"p_alive": -1, "current_value": 2})
    with pytest.raises(ValueError, match=r"needs column\(s\) \['clv'\]"):
        segments.ranking(_four(), weights={"clv": 1})
    with pytest.raises(ValueError, match="without a weight"):
        segments.ranking(_four(), lower_is_better=["days_since_last"])


# --- Kotler's relationship levels ------------------------------------------------------------


def test_kotler_table_is_the_standard_three_by_three():
    assert segments.KOTLER_LEVELS == {
        ("many", "low"): "basic",
        ("many", "medium"): "reactive",
        ("many", "high"): "accountable",
        ("medium", "low"): "reactive",
        ("medium", "medium"): "accountable",
        ("medium", "high"): "proactive",
        ("few", "low"): "accountable",
        ("few", "medium"): "proactive",
        ("few", "high"): "partnership",
    }
    shown = segments.kotler_table()
    assert shown.loc["many", "low"] == "basic" and shown.loc["few", "high"] == "partnership"


def test_relationship_level_every_cell_with_absolute_cuts():
    # customers: 5 and 10 few (10 on the cut), 20 and 30 medium (30 on the cut), 100 many;
    # margin: 1 and 5 low (5 on the cut), 10 and 20 medium, 50 high
    rows = [(n, m) for n in (5, 20, 100) for m in (1, 10, 50)] + [(10, 5), (30, 20)]
    frame = pd.DataFrame(rows, columns=["customers", "mean_clv"])
    got = segments.relationship_level(
        frame, size_cuts=(10, 30), margin_cuts=(5, 20), relative=False
    )
    assert list(got["relationship_level"].astype(object)) == [
        "accountable", "proactive", "partnership",  # few
        "reactive", "accountable", "proactive",  # medium
        "basic", "reactive", "accountable",  # many
        "accountable", "accountable",  # (few, low), (medium, medium)
    ]  # fmt: skip
    assert list(got["size"].astype(object))[-2:] == ["few", "medium"]
    assert list(got["margin_level"].astype(object))[-2:] == ["low", "medium"]
    assert list(got["relationship_level"].cat.categories) == list(segments.KOTLER_ORDER)
    assert list(frame.columns) == ["customers", "mean_clv"]  # the input is not changed


def test_relationship_level_relative_defaults_and_from_a_table():
    summary = pd.DataFrame(
        {"customers": [5, 45, 50, 0], "mean_clv": [100.0, 10.0, 2.0, np.nan]},
        index=pd.Index(["A", "B", "C", "empty"], name="segment"),
    )
    # 100 customers, margin per customer 10.5: A 5% at 9.5x, B 45% at 0.95x, C 50% at 0.19x
    got = segments.relationship_level(summary)
    assert labels_of(got["relationship_level"]) == {
        "A": "partnership", "B": "reactive", "C": "basic", "empty": None,
    }  # fmt: skip
    levels = {**segments.KOTLER_LEVELS, ("many", "low"): "self-service"}
    got = segments.relationship_level(summary, levels=levels)
    assert got.loc["C", "relationship_level"] == "self-service"
    assert list(got["relationship_level"].cat.categories)[-1] == "self-service"
    # from the customer table and a segmentation: tiers high (2 customers, 32.5 each) ...
    got = segments.relationship_level(make_table(), by="clv_tiers")
    # 10 customers, 9.6 per customer: high 20% x3.4 proactive, medium 10% x1.6 (few, medium)
    # proactive, low 50% x0.42 basic, negative 20% below zero reactive
    assert labels_of(got["relationship_level"]) == {
        "high": "proactive", "medium": "proactive", "low": "basic", "negative": "reactive",
    }  # fmt: skip
    with pytest.raises(ValueError, match="by= naming the segmentation"):
        segments.relationship_level(make_table())
    with pytest.raises(ValueError, match="relative=False"):
        segments.relationship_level(summary.assign(mean_clv=[-1.0, -1.0, -1.0, np.nan]))
    with pytest.raises(ValueError, match="each of the 9 cells"):
        segments.relationship_level(summary, levels={("many", "low"): "basic"})


# --- RFM -------------------------------------------------------------------------------------


def test_rfm_score_quintiles_and_ties():
    s = pd.Series(np.arange(10.0))
    assert list(segments.rfm_score(s)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(segments.rfm_score(s, lower_is_better=True)) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    ties = pd.Series([1, 1, 1, 1, 1, 1, 2, 2, 3, 4])
    assert list(segments.rfm_score(ties)) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert list(segments.rfm_score(ties.iloc[::-1])) == [5, 5, 4, 4, 1, 1, 1, 1, 1, 1]


def test_rfm_segments_scores_codes_and_names():
    got = segments.rfm_segments(make_table())
    assert list(got.columns) == ["r", "f", "m", "code", "segment"]
    assert list(got["r"]) == [4, 3, 4, 2, 5, 1, 2, 1, 3, 5]
    assert list(got["f"]) == [5, 1, 4, 5, 1, 1, 3, 3, 4, 1]  # four one-time buyers tie at 1
    assert list(got["m"]) == [5, 2, 4, 5, 1, 1, 3, 2, 4, 3]
    assert list(got["code"]) == [
        "455",
        "312",
        "444",
        "255",
        "511",
        "111",
        "233",
        "132",
        "344",
        "513",
    ]
    expect(
        got["segment"],
        "champions;about to sleep;champions;at risk;new customers;lost;at risk;at risk;"
        "loyal customers;new customers",
        "segment", segments.RFM_SEGMENTS,
    )  # fmt: skip
    fm = segments.rfm_segments(make_table(), second="fm")["segment"]
    # h: R1, FM (3+2)//2 = 2 -> hibernating; j: R5, FM (1+3)//2 = 2 -> potential loyalists
    assert fm["h"] == "hibernating" and fm["j"] == "potential loyalists"
    assert (fm.drop(["h", "j"]) == got["segment"].drop(["h", "j"])).all()


GRID = """\
new customers|potential loyalists|loyal customers|champions|champions
promising|potential loyalists|loyal customers|champions|champions
about to sleep|need attention|loyal customers|loyal customers|loyal customers
hibernating|need attention|at risk|at risk|at risk
lost|hibernating|at risk|can't lose them|can't lose them"""


def test_rfm_grid_every_cell():
    expected = [row.split("|") for row in GRID.splitlines()]  # rows R 5..1, columns F 1..5
    assert [list(row) for row in segments.RFM_GRID] == expected
    assert set(segments.RFM_SEGMENTS) == {name for row in expected for name in row}
    # 25 customers, one per (R, F) cell: R score 1 + k // 5, F score 1 + k % 5
    k = np.arange(25)
    table = pd.DataFrame(
        {
            "days_since_last": 100.0 - k,
            "purchases": (k % 5) * 5 + k // 5 + 1,
            "revenue": np.ones(25),
        },
        index=pd.Index(k, name="customer_id"),
    )
    got = segments.rfm_segments(table)
    assert list(got["r"]) == list(1 + k // 5) and list(got["f"]) == list(1 + k % 5)
    assert list(got["m"]) == [1] * 25  # all tied
    for i in k:
        r, f = 1 + i // 5, 1 + i % 5
        assert got.loc[i, "segment"] == expected[5 - r][f - 1], (r, f)


def test_rfm_own_grid_and_bins():
    table = make_table()
    grid = [["top", "top", "top"], ["mid", "mid", "mid"], ["low", "low", "low"]]
    got = segments.rfm_segments(table, bins=3, grid=grid, segments=["top", "mid", "low"])
    # R terciles: 1 + floor(3 * worse / 10)
    assert list(got["r"]) == [3, 2, 2, 1, 3, 1, 1, 1, 2, 3]
    assert list(got["segment"].astype(object)) == [
        {3: "top", 2: "mid", 1: "low"}[r] for r in got["r"]
    ]
    with pytest.raises(ValueError, match="must have 5 rows"):
        segments.rfm_segments(table, grid=grid)
    with pytest.raises(ValueError, match="not in segments"):
        segments.rfm_segments(table, bins=3, grid=grid)


# --- segment_summary ----------------------------------------------------------------------------


def test_segment_summary_clv_tiers():
    table = make_table()
    got = segments.segment_summary(table, "clv_tiers")
    assert list(got.index) == list(segments.CLV_TIERS) and got.index.name == "clv_tiers"
    assert list(got.columns) == list(segments.SUMMARY_COLUMNS)
    assert list(got["customers"]) == [2, 1, 5, 2]
    assert list(got["total_clv"]) == [65.0, 15.0, 20.0, -4.0]
    assert list(got["mean_clv"]) == [32.5, 15.0, 4.0, -2.0]
    np.testing.assert_allclose(got["share_customers"], [0.2, 0.1, 0.5, 0.2])
    np.testing.assert_allclose(got["share_clv"], np.array([65.0, 15.0, 20.0, -4.0]) / 96.0)
    assert got["customers"].sum() == len(table)
    assert got["total_clv"].sum() == pytest.approx(table["clv_net"].sum())
    assert got["share_customers"].sum() == pytest.approx(1.0)
    assert got["share_clv"].sum() == pytest.approx(1.0)
    assert got.attrs == {"value": "clv_net", "unlabelled": 0}


@pytest.mark.parametrize("name", ["value_matrix", "loyalty_profitability", "rfm_segments", "stage"])
def test_segment_summary_shares_sum_to_one_for_every_segmentation(name):
    table = make_table()
    got = segments.segment_summary(table, name)
    assert got["customers"].sum() == len(table)
    assert got["total_clv"].sum() == pytest.approx(table["clv_net"].sum())
    assert got["share_customers"].sum() == pytest.approx(1.0)
    assert got["share_clv"].sum() == pytest.approx(1.0)


def test_segment_summary_keeps_empty_labels_and_counts_the_unlabelled():
    table = make_table()
    got = segments.segment_summary(table, segments.prospect_tiers(table), value="revenue")
    assert got.attrs["unlabelled"] == 3  # a, b, h are not prospects
    assert list(got["customers"]) == [2, 2, 3]
    assert list(got["total_clv"]) == [450.0, 55.0, 290.0]
    assert got["share_clv"].sum() == pytest.approx(1.0)
    positive = table[table["clv_net"] >= 0]
    got = segments.segment_summary(positive, "clv_tiers")
    assert got.loc["negative", "customers"] == 0 and np.isnan(got.loc["negative", "mean_clv"])


def test_segment_summary_crossing_stage_and_tier():
    table = make_table()
    got = segments.segment_summary(table, ["stage", "clv_tiers"])
    assert len(got) == len(STAGES) * len(segments.CLV_TIERS)
    assert got.index.names == ["stage", "clv_tiers"]
    assert got.loc[("stability", "high"), "customers"] == 1
    assert got.loc[("exploration", "low"), "total_clv"] == 20.0  # d e f g j
    assert got.loc[("exploration", "high"), "customers"] == 0
    assert got["customers"].sum() == len(table)


def test_segment_summary_by_a_series_and_its_errors():
    table = make_table()
    by = pd.Series(["x", "y", "x"], index=pd.Index(["a", "b", "c"], name="customer_id"))
    got = segments.segment_summary(table, by)
    assert list(got["customers"]) == [2, 1] and got.attrs["unlabelled"] == 7
    assert list(got["total_clv"]) == [55.0, 25.0]
    stranger = pd.Series(["x"], index=pd.Index(["zz"], name="customer_id"))
    with pytest.raises(ValueError, match="not in the table.*'zz'"):
        segments.segment_summary(table, stranger)
    with pytest.raises(ValueError, match="neither a segmentation"):
        segments.segment_summary(table, "nonsense")


def test_segmentations_do_not_change_the_table():
    table = with_costs(make_table(), ACQ, RET)
    before = table.copy()
    for name in segments.SEGMENTATIONS:
        segments.segment_summary(table, name)
    segments.ranking(table)
    segments.relationship_level(table, by="value_matrix")
    pd.testing.assert_frame_equal(table, before)


# --- the real customer table ------------------------------------------------------------------


def test_every_segmentation_on_the_cdnow_sample(cdnow_sample):
    from analysis.customers import customer_table

    rng = np.random.default_rng(11)
    ids = pd.Index(sorted(cdnow_sample["customer_id"].unique()), name="customer_id")
    costs = pd.DataFrame(
        {
            "acquisition_cost": rng.uniform(5.0, 50.0, len(ids)),
            "retention_cost": rng.uniform(1.0, 10.0, len(ids)),
        },
        index=ids,
    )
    table = customer_table(cdnow_sample, observation_end="1998-06-30", costs=costs)
    assert len(table) == 2357
    for name in segments.SEGMENTATIONS:
        got = segments.segment_summary(table, name)
        labelled = len(table) - got.attrs["unlabelled"]
        assert got["customers"].sum() == labelled
        if name == "prospect_tiers":
            # every CDNOW customer first bought in 1997 Q1: none is in exploration by mid-1998
            assert labelled == 0 == (table["stage"] == "exploration").sum()
            continue
        assert labelled == len(table)
        assert got["share_customers"].sum() == pytest.approx(1.0)
        assert got["share_clv"].sum() == pytest.approx(1.0)
        assert got["total_clv"].sum() == pytest.approx(table["clv_net"].sum())
    tiers = segments.clv_tiers(table)
    assert tiers.notna().all()
    # the high tier is the few customers holding half the positive value
    high = table.loc[tiers == "high", "clv_net"]
    positive = table.loc[table["clv_net"] > 0, "clv_net"].sum()
    assert high.sum() >= 0.5 * positive > high.sum() - high.min()
    assert 0 < (tiers == "high").mean() < 0.5
    # at the end of 1997 Q1 many customers are new: the prospects are tiered 20 / 40 / 40
    early_log = cdnow_sample[cdnow_sample["date"] <= "1997-03-31"]
    early = customer_table(early_log, observation_end="1997-03-31")
    prospects = segments.prospect_tiers(early)
    in_exploration = early["stage"] == "exploration"
    assert in_exploration.sum() > 100
    assert prospects.notna().equals(in_exploration)
    shares = prospects.value_counts(normalize=True)
    assert shares["quality"] <= 0.2 + 1e-9 and shares["poor"] >= 0.4 - 1e-9
    assert (
        early.loc[prospects == "quality", "clv_net"].min()
        > early.loc[prospects == "poor", "clv_net"].max()
    )
    ranked = segments.ranking(table)
    assert list(ranked["rank"]) == list(range(1, len(table) + 1))
    assert ranked["score"].is_monotonic_decreasing
    rfm = segments.rfm_segments(table)
    assert rfm["segment"].notna().all() and rfm[["r", "f", "m"]].isin(range(1, 6)).all().all()
    levels = segments.relationship_level(table, by="clv_tiers")
    assert levels["relationship_level"].notna().all()
    with pytest.raises(ValueError, match="no cost data"):
        segments.cost_matrix(customer_table(cdnow_sample, observation_end="1998-06-30"))


def test_tiers_for_is_the_one_reading_of_a_tiers_argument():
    table = make_table()
    computed = segments.tiers_for(table)
    assert computed.name == "tier" and list(computed.cat.categories) == list(segments.CLV_TIERS)
    assert computed.astype(str).tolist() == segments.clv_tiers(table).astype(str).tolist()
    given = segments.clv_tiers(table)
    as_frame = given.rename("tier").to_frame()
    pd.testing.assert_series_equal(segments.tiers_for(table, as_frame), computed)
    with pytest.raises(DataValidationError, match=r"no tier for 1 customer"):
        segments.tiers_for(table, given.iloc[1:])
    with pytest.raises(DataValidationError, match=r"label\(s\) 'vip' are not tiers"):
        segments.tiers_for(table, given.astype(str).replace("high", "vip"))
    # labels of one's own are kept when no label set is imposed
    own = given.astype(str).replace("high", "vip")
    assert segments.tiers_for(table, own, labels=None).tolist() == own.tolist()
