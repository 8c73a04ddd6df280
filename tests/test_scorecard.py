"""The holdout scorecard: the measures by hand, the baselines on a hand-built log, a simulated study, its figure and reading."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import clv, models, plots, readings, rfm  # noqa: E402
from analysis.clv.scorecard import BASELINES, MEASURES  # noqa: E402
from analysis.simulate import simulate_bgnbd  # noqa: E402

# five customers: the example of every hand computation below
ACTUAL = pd.Series([1.0, 0.0, 3.0, 0.0, 6.0], index=list("abcde"))
PREDICTED = pd.Series([0.5, 2.0, 2.0, 1.0, 4.0], index=list("abcde"))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_scorecard_matches_the_hand_computation():
    card = clv.scorecard(ACTUAL, PREDICTED)
    assert card.name == "score" and list(card.index) == list(MEASURES)
    # sort by prediction, highest first, ties (b, c: 2.0) in input order: e, b, c, d, a
    # actual in that order 6, 0, 3, 0, 1 (total 10); cumulative shares .6 .6 .9 .9 1 (sum S = 4.0)
    # G = (2 S - 1) / n - 1 = 7 / 5 - 1 = 0.4
    # sorted by actual: 6, 3, 1, 0, 0 -> shares .6 .9 1 1 1 (S = 4.5), G = 8 / 5 - 1 = 0.6
    assert card["gini"] == pytest.approx(0.4 / 0.6)
    # mid-ranks: actual (3, 1.5, 4, 1.5, 5), predicted (1, 3.5, 3.5, 2, 5); both means 3
    # deviations (0, -1.5, 1, -1.5, 2) and (-2, .5, .5, -1, 2): sum of products 5.25, sums of
    # squares 9.5 and 9.5 -> 5.25 / 9.5
    assert card["spearman"] == pytest.approx(5.25 / 9.5)
    # five customers in ten deciles: one per decile (e 1, b 3, c 5, d 8, a 10); b and d have mean
    # actual 0 and are left out; e |4 - 6| / 6, c |2 - 3| / 3, a |0.5 - 1| / 1 -> (1/3 + 1/3 + 1/2) / 3
    assert card["decile_mape"] == pytest.approx(7 / 18)
    # |0.5 - 1| + |2 - 0| + |2 - 3| + |1 - 0| + |4 - 6| = 6.5, over 5 customers
    assert card["mae"] == pytest.approx(1.3)
    # 9.5 predicted against 10 actual
    assert card["bias"] == pytest.approx(-0.05)
    # decile 1 is e alone: 6 of 10
    assert card["top_decile_share"] == pytest.approx(0.6)


def test_tied_predictions_keep_their_input_order():
    # c before b: actual in prediction order 6, 3, 0, 0, 1 -> shares .6 .9 .9 .9 1 (S = 4.3),
    # G = 7.6 / 5 - 1 = 0.52, against 0.6 for the best order
    order = list("acbde")
    card = clv.scorecard(ACTUAL[order], PREDICTED[order])
    assert card["gini"] == pytest.approx(0.52 / 0.6)
    # the rank correlation gives tied values their mean rank: it does not depend on the order
    assert card["spearman"] == pytest.approx(5.25 / 9.5)
    # two Series are aligned on actual's index, so the order of predicted does not matter
    assert clv.scorecard(ACTUAL, PREDICTED[order]).equals(clv.scorecard(ACTUAL, PREDICTED))


def test_perfect_and_reversed_predictions():
    rng = np.random.default_rng(20261206)
    actual = pd.Series(rng.gamma(0.5, 20.0, size=200))
    perfect = clv.scorecard(actual, actual)
    assert perfect["gini"] == pytest.approx(1.0)
    assert perfect["spearman"] == pytest.approx(1.0)
    assert perfect[["bias", "decile_mape", "mae"]].tolist() == pytest.approx([0.0, 0.0, 0.0])
    # the best ranking: decile 1 holds the largest 20 values
    assert perfect["top_decile_share"] == pytest.approx(actual.nlargest(20).sum() / actual.sum())
    # distinct values sorted exactly the wrong way: the curve mirrors the best one
    reversed_ = clv.scorecard(actual, actual.max() - actual)
    assert reversed_["gini"] == pytest.approx(-1.0)
    assert reversed_["spearman"] == pytest.approx(-1.0)


def test_a_ranking_score_has_no_level_measures():
    card = clv.scorecard(ACTUAL, PREDICTED * 100, levels=False)
    assert card[["decile_mape", "mae", "bias"]].isna().all()
    # the ranking measures do not depend on the scale of the score
    same = clv.scorecard(ACTUAL, PREDICTED)
    assert card[["gini", "spearman", "top_decile_share"]].equals(
        same[["gini", "spearman", "top_decile_share"]]
    )


def test_measures_that_divide_by_the_actual_are_nan_without_it():
    card = clv.scorecard(np.zeros(5), np.arange(5.0))
    assert card[["gini", "decile_mape", "bias", "top_decile_share"]].isna().all()
    assert card["mae"] == pytest.approx(2.0)
    # equal actual values: nothing to rank, but the level is defined
    flat = clv.scorecard(np.ones(5), np.arange(5.0))
    assert np.isnan(flat["gini"]) and np.isnan(flat["spearman"])
    assert flat["bias"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("actual", "predicted", "message"),
    [
        ([1.0, 2.0], [1.0, 2.0, 3.0], "actual has 2 values and predicted 3"),
        ([], [], "empty"),
        ([1.0, np.nan], [1.0, 2.0], r"actual is missing \(NaN\) or infinite for 1 customer"),
        ([1.0, 2.0], [np.inf, 2.0], "predicted is missing"),
        (pd.Series([1.0], index=["x"]), pd.Series([1.0], index=["y"]), "different customers"),
        (pd.Series([1.0, 2.0], index=["x", "x"]), pd.Series([1.0, 2.0]), "duplicated"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "one-dimensional"),
        (["a", "b"], [1.0, 2.0], "numbers"),
    ],
)
def test_bad_input_is_refused_with_its_reason(actual, predicted, message):
    with pytest.raises(ValueError, match=message):
        clv.scorecard(actual, predicted)


def test_a_nan_is_reported_with_its_customer():
    with pytest.raises(ValueError, match=r"\['c'\]"):
        clv.scorecard(ACTUAL, PREDICTED.mask(PREDICTED.index == "c"))


def test_one_customer_is_her_own_top_decile():
    card = clv.scorecard([4.0], [2.0])
    assert card["top_decile_share"] == 1.0 and card["decile_mape"] == pytest.approx(0.5)
    assert np.isnan(card["gini"]) and np.isnan(card["spearman"])


def test_decile_table_cuts_equal_counts_by_predicted_rank():
    actual = np.arange(20.0)
    table = clv.decile_table(actual, actual)
    assert list(table.index) == list(range(1, 11)) and table.index.name == "decile"
    assert (table["customers"] == 2).all()
    # decile 1 is the top: the two largest predictions (19, 18)
    assert table.loc[1, "mean_predicted"] == 18.5 and table.loc[10, "mean_actual"] == 0.5
    # all tied: the input order decides, so the deciles still hold two customers each
    tied = clv.decile_table(actual, np.zeros(20))
    assert (tied["customers"] == 2).all() and tied.loc[1, "mean_actual"] == 0.5


# a hand-built log: customer 1 buys twice on 1 January (one purchase day of 15), again on
# 21 January and once in the holdout; customer 2 buys once, on 11 January
LOG = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 1],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-01-01", "2024-01-21", "2024-01-11", "2024-02-05"]
        ),
        "amount": [10.0, 5.0, 20.0, 40.0, 30.0],
    }
)
CAL_END, OBS_END = "2024-01-31", "2024-02-20"  # a holdout of 20 days


def test_baselines_on_a_hand_built_log():
    calibration = rfm.summarize(LOG, "D", observation_end=OBS_END, calibration_end=CAL_END)
    pred = clv.holdout_predictions(
        LOG, calibration, {}, 1.0, calibration_end=CAL_END, observation_end=OBS_END
    )
    assert list(pred) == ["purchases", "spend"]
    purchases, spend = pred["purchases"], pred["spend"]
    assert list(purchases.columns) == ["actual", *BASELINES]
    assert purchases["actual"].tolist() == [1.0, 0.0] and spend["actual"].tolist() == [30.0, 0.0]
    # spend rate: customer 1, 2 purchase days and 35 over the 31 days 1-31 January, times 20 days;
    # customer 2, 1 purchase day and 40 over the 21 days 11-31 January
    assert purchases["spend rate"].tolist() == pytest.approx([2 / 31 * 20, 1 / 21 * 20])
    assert spend["spend rate"].tolist() == pytest.approx([35 / 31 * 20, 40 / 21 * 20])
    # last period: the 20 days 12-31 January hold customer 1's purchase of 21 January only
    assert purchases["last period"].tolist() == [1.0, 0.0]
    assert spend["last period"].tolist() == [20.0, 0.0]
    # RFM: 1 + floor(5 x customers strictly worse / 2). R (days since the last purchase, 10
    # against 20): 3, 1; F (2 against 1 purchase days): 3, 1; M (35 against 40): 1, 3
    assert purchases["RFM score"].tolist() == [7.0, 5.0]
    assert spend["RFM score"].equals(purchases["RFM score"])


def test_a_summary_of_another_calibration_end_is_refused():
    calibration = rfm.summarize(LOG, "D", observation_end=OBS_END, calibration_end="2024-01-15")
    with pytest.raises(ValueError, match="same calibration_end"):
        clv.holdout_predictions(
            LOG, calibration, {}, 1.0, calibration_end=CAL_END, observation_end=OBS_END
        )
    with pytest.raises(ValueError, match="must fall after calibration_end"):
        clv.holdout_predictions(
            LOG, calibration, {}, 1.0, calibration_end=CAL_END, observation_end=CAL_END
        )


@pytest.fixture(scope="module")
def study():
    """A BG/NBD customer base (seed 7) observed for a year, then a 3-month holdout."""
    sim = simulate_bgnbd(
        2_000,
        0.4,
        20.0,
        0.8,
        2.5,
        seed=7,
        acquisition_start="2024-01-01",
        acquisition_end="2024-03-31",
        observation_end="2024-12-31",
        holdout_end="2025-03-31",
    )
    calibration = rfm.summarize(
        sim.transactions, "W", observation_end="2025-03-31", calibration_end="2024-12-31"
    )
    fitted, _ = clv.fit_models(
        {"BG/NBD": models.BetaGeo, "Pareto/NBD": models.ParetoNBD}, calibration
    )
    spend = clv.fit_spend_model(rfm.repeat_buyers(calibration))
    frame = dict(calibration_end="2024-12-31", observation_end="2025-03-31")
    pred = clv.holdout_predictions(sim.transactions, calibration, fitted, spend, **frame)
    card = clv.holdout_scorecard(sim.transactions, calibration, fitted, spend, **frame)
    return calibration, fitted, spend, pred, card


def test_holdout_scorecard_on_a_simulated_log(study):
    calibration, fitted, _, pred, card = study
    methods = [*fitted, *BASELINES]
    assert list(card.index) == [(t, m) for t in ("purchases", "spend") for m in methods]
    assert card.index.names == ["target", "method"] and list(card.columns) == list(MEASURES)
    levels = card.drop(index="RFM score", level="method")
    assert np.isfinite(levels.to_numpy()).all()
    rfm_rows = card.xs("RFM score", level="method")
    assert rfm_rows[["decile_mape", "mae", "bias"]].isna().all().all()
    assert np.isfinite(rfm_rows[["gini", "spearman", "top_decile_share"]].to_numpy()).all()
    # the model that generated the log ranks the customers better than chance
    assert card.loc[("purchases", "BG/NBD"), "gini"] > 0.3
    # a model's purchases are its expected purchases over the 90-day holdout
    expected = fitted["BG/NBD"].expected_purchases(calibration, t=90 / 7)
    assert np.allclose(pred["purchases"]["BG/NBD"], expected)
    assert card.equals(clv.score_predictions(pred))


def test_prediction_deciles_leave_out_the_ranking_score(study):
    pred = study[3]
    deciles = clv.prediction_deciles(pred)
    assert deciles.index.names == ["target", "method", "decile"]
    assert "RFM score" not in deciles.index.get_level_values("method")
    assert (deciles.groupby(level=["target", "method"])["customers"].sum() == 2_000).all()


def test_the_decile_figure_draws_every_method(study):
    deciles = clv.prediction_deciles(study[3])
    axes = plots.plot_scorecard_deciles(deciles, currency="$")
    assert len(axes) == 2
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert labels[:4] == ["BG/NBD", "Pareto/NBD", "spend rate", "last period"]
    assert axes[0].get_xscale() == "log" and "purchases" in axes[0].get_xlabel()
    ax = plots.plot_decile_calibration(deciles.loc["spend"], target="spend", linewidth=3)
    assert ax.get_lines()[0].get_linewidth() == 3
    with pytest.raises(ValueError, match="target"):
        plots.plot_decile_calibration(deciles.loc["spend"], target="revenue")


def _card(rows: dict) -> pd.DataFrame:
    card = pd.DataFrame.from_dict(rows, orient="index", columns=list(MEASURES))
    card.index = pd.MultiIndex.from_tuples(card.index, names=["target", "method"])
    return card


CARD = _card(
    {
        ("purchases", "BG/NBD"): [0.6631, 0.4420, 0.1760, 0.8190, -0.1430, 0.4560],
        ("purchases", "spend rate"): [0.6640, 0.4390, 2.9600, 1.9010, 1.9030, 0.4440],
        ("purchases", "RFM score"): [0.6629, 0.4510, np.nan, np.nan, np.nan, 0.4560],
        ("spend", "BG/NBD"): [0.6720, 0.4210, 0.2136, 32.6752, -0.1730, 0.5160],
        ("spend", "spend rate"): [0.6980, 0.3980, 1.8364, 71.123, 1.6440, 0.4990],
        ("spend", "RFM score"): [0.6930, 0.4540, np.nan, np.nan, np.nan, 0.4990],
    }
)


def test_the_verdict_compares_the_values_as_displayed():
    verdict = readings.scorecard_verdict(CARD)
    # Gini 0.6631 and 0.6629 both show as 0.663; the spend rate's 0.664 beats them
    assert verdict.loc[("purchases", "gini"), "best"] == ("spend rate",)
    assert verdict.loc[("purchases", "gini"), "winner"] == "baselines"
    # top-decile share 45.6% for BG/NBD and the RFM score alike: both named, models and baselines tie
    assert verdict.loc[("purchases", "top_decile_share"), "best"] == ("BG/NBD", "RFM score")
    assert verdict.loc[("purchases", "top_decile_share"), "winner"] == "tie"
    # bias: the smallest |bias| wins, whatever its sign
    assert verdict.loc[("spend", "bias"), "best"] == ("BG/NBD",)
    assert verdict.loc[("spend", "spearman"), "best_baseline"] == "RFM score"
    assert verdict.loc[("spend", "mae"), "winner"] == "models"


def test_the_reading_names_the_winners_with_the_table_numbers():
    text = readings.scorecard_reading(CARD)
    table = readings.scorecard_table(CARD)
    assert table.loc[("spend", "BG/NBD"), "bias"] == "-17.3%"
    assert table.loc[("spend", "BG/NBD"), "mae"] == "$32.68"
    assert table.loc[("spend", "RFM score"), "mae"] == "n/a"
    # the best method per measure is the table's to show: the reading says where models beat rules
    assert "the best method per measure" not in text
    assert "**Spend**: the best model beats the best baseline on" in text
    assert "a baseline wins on Gini (spend rate 0.698, against 0.672 for BG/NBD)" in text
    assert "they tie on top-decile share" in text
    assert "RFM score only ranks the customers" in text
    assert (
        "Over 2 targets, the best model beats the best simple baseline on 7 of 12 comparisons "
        "(and ties on 1); the baselines win only on measures of ranking (Gini and Spearman)."
    ) in text
    # every measured number the reading quotes (those with decimals) is a cell of the table
    cells = set(table.to_numpy().ravel())
    quoted = re.findall(r"[-+$]?\d[\d,]*\.\d+%?", text)
    assert len(quoted) >= 4 and set(quoted) <= cells
