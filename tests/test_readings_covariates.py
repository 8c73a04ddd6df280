"""Report 3's covariate section: the comparison's verdict as data, its prose and its tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.clv import covariate_study
from analysis.readings import covariates as rc

NAN = np.nan


def _comparison(rows: dict) -> pd.DataFrame:
    """rows: name -> (loglik, params, lr_p or NaN for a plain model, mae, bias)."""
    out = {}
    for name, (ll, k, p, mae, bias) in rows.items():
        plain = np.isnan(p)
        out[name] = {
            "covariates": "none" if plain else "channel (purchase and dropout)",
            "parameters": k,
            "loglik": ll,
            "aic": 2 * k - 2 * ll,
            "lr_statistic": NAN if plain else 6.0,
            "lr_df": NAN if plain else 2,
            "lr_p_value": p,
            "mae": mae,
            "bias": bias,
        }
    return pd.DataFrame.from_dict(out, orient="index")[list(covariate_study.COMPARISON_COLUMNS)]


def test_a_variant_that_beats_every_plain_model_wins():
    table = _comparison(
        {
            "BG/NBD": (-100.0, 4, NAN, 1.232, 0.01),
            "Pareto/NBD": (-99.0, 4, NAN, 1.131, 0.005),
            "Pareto/NBD + attributes": (-95.0, 6, 0.02, 1.100, -0.03),
        }
    )
    v = rc.covariate_verdict(table)
    assert v["best"] == "Pareto/NBD + attributes" and v["beats"]
    assert v["best_plain"] == "Pareto/NBD" and v["plain_mae"] == 1.131
    assert v["significant"] == ["Pareto/NBD + attributes"] and v["not_significant"] == []
    text = rc.covariate_reading(table, valuation_model="Pareto/NBD")
    assert "**Pareto/NBD + attributes predicts the holdout best**: MAE 1.100" in text
    assert "against 1.131 for the best plain model, Pareto/NBD" in text
    assert "(total bias -3.0% against +0.5%)" in text
    assert "still values with the plain Pareto/NBD" in text


def test_a_tie_as_shown_goes_to_the_plain_model():
    table = _comparison(
        {
            "BG/NBD": (-100.0, 4, NAN, 1.2314, 0.0),
            "BG/NBD + attributes": (-90.0, 6, 0.001, 1.2306, 0.0),
        }
    )
    v = rc.covariate_verdict(table)
    assert v["best"] == "BG/NBD" and not v["beats"]
    text = rc.covariate_reading(table, valuation_model="BG/NBD")
    assert text.startswith("**The covariates do not help on the holdout**")
    assert "plain BG/NBD (1.231 purchases per customer)" in text
    assert "every variant fits significantly better" in text
    assert "stays on the plain BG/NBD: the holdout shows no gain" in text


def test_a_variant_better_than_its_own_plain_model_but_not_the_best_plain_does_not_win():
    table = _comparison(
        {
            "BG/NBD": (-100.0, 4, NAN, 1.30, 0.0),
            "Pareto/NBD": (-99.0, 4, NAN, 1.10, 0.0),
            "BG/NBD + attributes": (-98.0, 6, 0.3, 1.20, 0.0),
            "Pareto/NBD + attributes": (-97.0, 6, 0.01, 1.15, 0.0),
        }
    )
    v = rc.covariate_verdict(table)
    assert v["best"] == "Pareto/NBD" and not v["beats"]
    assert v["significant"] == ["Pareto/NBD + attributes"]
    assert v["not_significant"] == ["BG/NBD + attributes"]
    text = rc.covariate_reading(
        table, valuation_model="Pareto/NBD", not_fitted={"Pareto/NBD + season": "no calendar"}
    )
    assert "Pareto/NBD + attributes fit significantly better" in text
    assert "BG/NBD + attributes do not" in text
    assert "Pareto/NBD + season could not be fitted (no calendar)." in text


def test_no_plain_model_is_refused():
    table = _comparison({"X + attributes": (-1.0, 6, 0.5, 1.0, 0.0)})
    with pytest.raises(ValueError, match="no plain model"):
        rc.covariate_verdict(table)


def test_table_shows_the_values_the_reading_quotes():
    table = _comparison(
        {
            "Pareto/NBD": (-7702.11, 4, NAN, 1.13087, 0.0047),
            "P + s": (-7617.0, 6, 1e-9, 1.1048, -0.0589),
        }
    )
    shown = rc.covariate_table(table)
    assert shown.loc["Pareto/NBD", "LR test vs plain"] == "—"
    assert shown.loc["P + s", "LR test vs plain"] == "6.0 on 2 df, p < 0.001"
    assert shown.loc["P + s", "holdout MAE"] == "1.105"
    assert shown.loc["P + s", "holdout bias"] == "-5.9%"
    assert shown.loc["Pareto/NBD", "log-likelihood"] == "-7,702.1"
    assert "MAE 1.105" in rc.covariate_reading(table, valuation_model="Pareto/NBD")


def test_ratio_reading_names_clear_effects_with_their_intervals():
    ratios = pd.DataFrame(
        {
            "process": ["purchase", "dropout", "purchase", "purchase"],
            "covariate": ["channel", "channel", "gender", "region=east"],
            "ratio": [1.4, 0.8, 1.05, 0.5],
            "lower": [1.1, 0.6, 0.9, 0.3],
            "upper": [1.8, 0.95, 1.2, 0.8],
        }
    )
    text = rc.ratio_reading(ratios, model="BG/NBD + attributes", binary={"channel", "gender"})
    assert text.startswith("In BG/NBD + attributes, customers with channel 1 buy 1.40 times")
    assert "(1.10-1.80)" in text and "drop out at 0.80 times the rate (0.60-0.95)" in text
    assert "customers with region east buy 0.50 times as often (0.30-0.80)" in text
    assert "gender on purchase include 1" in text
    shown = rc.ratio_table(ratios)
    assert shown.loc[("purchase", "channel"), "rate ratio (95% interval)"] == "1.40 (1.10-1.80)"
    none = rc.ratio_reading(ratios.iloc[[2]], model="M")
    assert none == "In M, no rate ratio's 95% interval excludes 1."


class _Fake:
    """A fitted model stand-in: fixed rate per customer, log-likelihood and parameter count."""

    def __init__(self, rate, loglik, n_params):
        self.rate, self.loglik, self.n_params = rate, loglik, n_params
        self.aic = 2 * n_params - 2 * loglik
        self.n_customers = 2  # the two customers of the frames below
        self.params = pd.Series(0.0, index=[f"p{i}" for i in range(n_params)])

    def expected_purchases(self, frame, *, t):
        return pd.Series(self.rate * t, index=frame.index, name="expected_purchases")


def test_comparison_and_quarters_from_the_models_predictions():
    frame = pd.DataFrame({"frequency": [0, 1]}, index=["a", "b"])
    fits = covariate_study.CovariateFits(
        models={"plain": _Fake(0.1, -10.0, 4), "plain + attributes": _Fake(0.2, -7.0, 6)},
        frames={"plain": frame, "plain + attributes": frame},
        covariates={"plain": "none", "plain + attributes": "x"},
        plain={"plain": "plain", "plain + attributes": "plain"},
    )
    actual = pd.Series([1.0, 3.0], index=["a", "b"])
    # 28 days: t = 4 weeks; predictions 0.4 and 0.8 per customer
    table = covariate_study.covariate_comparison(
        fits, actual, calibration_end="2020-01-01", observation_end="2020-01-29"
    )
    assert table.loc["plain", "mae"] == pytest.approx((0.6 + 2.6) / 2)
    assert table.loc["plain + attributes", "bias"] == pytest.approx(1.6 / 4 - 1)
    assert table.loc["plain + attributes", "lr_statistic"] == pytest.approx(6.0)
    assert table.loc["plain + attributes", "lr_df"] == 2
    assert table.loc["plain + attributes", "lr_p_value"] == pytest.approx(np.exp(-3.0))
    assert np.isnan(table.loc["plain", "lr_p_value"])
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c"],
            "date": pd.to_datetime(
                ["2019-12-30", "2020-03-02", "2020-04-10", "2020-04-10", "2020-04-11"]
            ),
        }
    )
    quarters = covariate_study.holdout_by_quarter(
        fits, ["plain"], log, calibration_end="2020-01-01", observation_end="2020-04-29"
    )
    assert list(quarters.index) == ["2020Q1", "2020Q2"]
    assert list(quarters["actual"]) == [1.0, 1.0]  # one purchase day each; c is not in the frame
    weeks = np.array([90, 119]) / 7  # days from 2020-01-01 to 2020-03-31 and to 2020-04-29
    assert quarters["plain"].to_numpy() == pytest.approx(0.2 * np.diff(weeks, prepend=0.0))


def test_dropout_odds_are_read_as_odds():
    ratios = pd.DataFrame(
        {
            "process": ["dropout"],
            "covariate": ["channel"],
            "ratio": [0.5],
            "lower": [0.3],
            "upper": [0.8],
            "meaning": ["odds of dropping out at a purchase x0.50 per unit of channel"],
        }
    )
    text = rc.ratio_reading(ratios, model="BG/NBD + attributes", binary={"channel"})
    assert "customers with channel 1 have 0.50 times the odds of dropping out at a purchase" in text


def test_coefficient_ratios_from_params_and_standard_errors():
    class Dynamic:
        params = pd.Series({"r": 1.0, "purchase:high_season": np.log(2.0), "dropout:x": 0.0})
        standard_errors = pd.Series({"r": 0.1, "purchase:high_season": 0.1, "dropout:x": 0.5})

    got = covariate_study.coefficient_ratios(Dynamic())
    assert list(got["covariate"]) == ["high_season", "x"]
    assert got.loc["purchase:high_season", "ratio"] == pytest.approx(2.0)
    assert got.loc["purchase:high_season", "lower"] == pytest.approx(2.0 * np.exp(-1.959964 * 0.1))
    assert got.loc["dropout:x", "upper"] == pytest.approx(np.exp(1.959964 * 0.5))


def test_a_calendar_flag_is_read_as_periods():
    ratios = pd.DataFrame(
        {
            "process": ["purchase"],
            "covariate": ["high_season"],
            "ratio": [2.01],
            "lower": [1.81],
            "upper": [2.22],
        }
    )
    text = rc.ratio_reading(
        ratios, model="Pareto/NBD + season", binary={"high_season"}, calendar={"high_season"}
    )
    assert text.startswith("In Pareto/NBD + season, in high_season periods customers buy 2.01")


def test_an_optional_section_without_output_needs_no_reading():
    from analysis.report import check_logs

    def cell(ident, outputs, tags=()):
        return {
            "cell_type": "code",
            "id": ident,
            "source": "if given:\n    display(Markdown(x))",
            "metadata": {"tags": list(tags)},
            "outputs": outputs,
        }

    shown = [{"output_type": "display_data", "data": {"text/markdown": "x"}}]
    notebook = {
        "cells": [
            cell("skipped", [], [check_logs.OPTIONAL_TAG]),
            cell("shown", shown, [check_logs.OPTIONAL_TAG]),
            cell("plain", []),
        ]
    }
    assert list(check_logs.reading_cells(notebook)) == ["shown", "plain"]


def test_a_model_without_covariates_is_named_not_fitted():
    class Plain:
        n_params, loglik, aic = 4, -10.0, 28.0

    frame = pd.DataFrame({"x": [1.0]}, index=["a"])
    fits = covariate_study.fit_covariate_models({"Plain": Plain()}, frame, ["x"])
    assert list(fits.models) == ["Plain"]
    assert "takes no covariates" in fits.not_fitted["Plain + attributes"]


def test_no_variant_fitted_is_said_so():
    table = _comparison({"BG/NBD": (-100.0, 4, NAN, 1.2, 0.0)})
    text = rc.covariate_reading(
        table, valuation_model="BG/NBD", not_fitted={"BG/NBD + attributes": "no covariates"}
    )
    assert text.startswith("**No model with covariates could be fitted**")
    assert "BG/NBD + attributes could not be fitted (no covariates)." in text


def test_quarter_reading_names_each_models_average_and_worst_miss():
    by_quarter = pd.DataFrame(
        {"actual": [100.0, 124.0, 0.0], "plain": [90.0, 84.0, 3.0], "seasonal": [95.0, 120.0, 2.0]},
        index=pd.Index(["2008Q3", "2008Q4", "2009Q1"], name="quarter"),
    )
    text = rc.quarter_reading(by_quarter)
    # plain: -10% and -32.3% -> 21% on average; seasonal: -5% and -3.2% -> 4%
    assert "plain by 21% on average (most in 2008Q4: 84 expected against 124, -32%)" in text
    assert "seasonal by 4% on average (most in 2008Q3: 95 expected against 100, -5%)" in text
    assert text.startswith(
        "In the busiest quarter, 2008Q4 (124 purchases), the models expect plain 84 (-32%) "
        "and seasonal 120 (-3%)."
    )
    empty = by_quarter.assign(actual=0.0)
    assert rc.quarter_reading(empty).startswith("No calibration customer bought")


def _ratios(rows) -> pd.DataFrame:
    """rows: (process, covariate, ratio, lower, upper)."""
    return pd.DataFrame(rows, columns=["process", "covariate", "ratio", "lower", "upper"])


def test_the_finding_uses_the_sections_verdict_and_quotes_the_clearest_ratios():
    table = _comparison(
        {
            "Pareto/NBD": (-99.0, 4, NAN, 1.131, 0.005),
            "Pareto/NBD + attributes": (-97.0, 8, 0.02, 1.120, 0.0),
            "Pareto/NBD + season": (-95.0, 6, 0.01, 1.100, -0.03),
        }
    )
    ratios = {
        "Pareto/NBD + attributes": _ratios(
            [
                ("purchase", "channel", 1.82, 1.50, 2.20),
                ("purchase", "gender", 1.10, 0.90, 1.30),  # interval includes 1: not quoted
                # clear and the strongest, but purchase rates are quoted first
                ("dropout", "channel", 0.40, 0.30, 0.55),
            ]
        ),
        "Pareto/NBD + season": _ratios([("purchase", "high_season", 2.01, 1.70, 2.40)]),
    }
    f = rc.covariate_finding(
        table,
        ratios,
        valuation_model="Pareto/NBD",
        binary=("channel", "gender", "high_season"),
        calendar=("high_season",),
    )
    v = rc.covariate_verdict(table)
    assert f.topic == "covariates" and f.verdict == "helps" and v["beats"]
    assert f.numbers["best"] == v["best"] == "Pareto/NBD + season"
    assert (f.numbers["plain_mae"], f.numbers["best_mae"]) == (1.131, 1.100)
    assert list(f.numbers["ratios"].values()) == [2.01, 1.82]
    assert f.text == (
        "In high_season periods customers buy 2.01 times as often (1.70-2.40) and customers "
        "with channel 1 buy 1.82 times as often (1.50-2.20). On the holdout the error falls "
        "from 1.131 purchases per customer (the best plain model, Pareto/NBD) to 1.100 "
        "(Pareto/NBD + season), but the valuation stays on the plain Pareto/NBD, which takes "
        "no covariates."
    )


def test_the_finding_agrees_with_the_section_on_a_tie_as_shown():
    table = _comparison(
        {
            "BG/NBD": (-100.0, 4, NAN, 1.2314, 0.0),
            "BG/NBD + attributes": (-90.0, 6, 0.001, 1.2306, 0.0),
        }
    )
    ratios = {"BG/NBD + attributes": _ratios([("purchase", "channel", 1.05, 0.95, 1.15)])}
    f = rc.covariate_finding(table, ratios, valuation_model="BG/NBD", binary=("channel",))
    assert f.verdict == "does not help" and not rc.covariate_verdict(table)["beats"]
    assert f.numbers["ratios"] == {}
    assert f.text == (
        "On the holdout no model with covariates beats the plain BG/NBD (1.231 purchases per "
        "customer; the best with covariates, BG/NBD + attributes, 1.231): the valuation stays "
        "on the plain BG/NBD."
    )


def test_the_finding_says_when_no_variant_was_fitted():
    table = _comparison({"BG/NBD": (-100.0, 4, NAN, 1.2, 0.0)})
    f = rc.covariate_finding(table, {}, valuation_model="BG/NBD")
    assert f.verdict == "not fitted" and "plain BG/NBD" in f.text
