"""The CLV report's sections when their precondition fails on a log: a sentence, not a stop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import clv, readings, tables
from analysis.errors import NotComputable
from analysis.models import BetaGeo, DegenerateDataError

SUMMARY = pd.DataFrame(
    {
        "frequency": [0, 1, 2, 3, 0, 5],
        "recency": [0.0, 10.0, 20.0, 30.0, 0.0, 35.0],
        "T": [40.0] * 6,
        "monetary_value": [0.0, 10.0, 12.0, 30.0, 0.0, 20.0],
    },
    index=pd.Index(list("abcdef"), name="customer_id"),
)


class _Refuses:
    """A model whose data are degenerate for it, as a model reports it."""

    def fit(self, summary):
        raise DegenerateDataError("Refuses: the purchase rate cannot be told apart from dropout.")


class _Fitted:
    def fit(self, summary):
        self.fitted_on = len(summary)
        return self


def test_a_model_that_cannot_be_fitted_is_named_and_the_others_go_on():
    fitted, not_fitted = clv.fit_models({"A": _Fitted, "B": _Refuses, "C": _Fitted}, SUMMARY)
    assert list(fitted) == ["A", "C"]
    assert not_fitted == {"B": "Refuses: the purchase rate cannot be told apart from dropout"}
    note = clv.not_fitted_note(not_fitted, fitted)
    assert note.startswith("**Not fitted on this log: B.** The report goes on with A, C.")
    assert "- B: Refuses: the purchase rate" in note
    assert clv.not_fitted_note({}, fitted) == ""


def test_no_model_fitted_is_not_computable_with_every_reason():
    with pytest.raises(NotComputable, match=r"none of the models could be fitted.*B: Refuses"):
        clv.fit_models({"B": _Refuses}, SUMMARY)
    result = readings.attempt("the count models", clv.fit_models, {"B": _Refuses}, SUMMARY)
    assert readings.skipped(result) and "Not computed on this log: the count models" in str(result)


def test_a_bug_is_not_swallowed():
    class _Bug:
        def fit(self, summary):
            raise KeyError("frequency")

    with pytest.raises(KeyError):
        clv.fit_models({"A": _Fitted, "X": _Bug}, SUMMARY)


def test_spend_is_not_modelled_without_amounts():
    buyers = SUMMARY[SUMMARY["frequency"] > 0]
    with pytest.raises(NotComputable, match="the log has no amounts"):
        clv.fit_spend_model(buyers, value_per_purchase=1.0)
    with pytest.raises(NotComputable, match="the log has no amounts"):
        clv.spend_correlation(buyers, value_per_purchase=1.0)
    assert clv.observed_spend(SUMMARY, 4.0) == 4.0


def test_identical_spend_has_no_correlation_and_no_gamma_gamma():
    buyers = SUMMARY[SUMMARY["frequency"] > 0].assign(monetary_value=10.0)
    with pytest.raises(NotComputable, match=r"every repeat buyer has the same mean spend \(10\)"):
        clv.spend_correlation(buyers)
    with pytest.raises(NotComputable, match="only 2 customer"):
        clv.spend_correlation(buyers.iloc[:2])
    with pytest.raises(NotComputable, match="no customer made a repeat purchase"):
        clv.fit_spend_model(buyers.iloc[:0])


@pytest.mark.filterwarnings("ignore::analysis.models.BoundaryFitWarning")
def test_observed_spend_replaces_the_model_and_values_everyone():
    spend = clv.observed_spend(SUMMARY)
    repeat = SUMMARY["frequency"] > 0
    np.testing.assert_array_equal(spend[repeat], SUMMARY.loc[repeat, "monetary_value"])
    overall = np.average(
        SUMMARY.loc[repeat, "monetary_value"], weights=SUMMARY.loc[repeat, "frequency"]
    )
    assert (spend[~repeat] == overall).all()
    model = BetaGeo().fit(SUMMARY.assign(T=60.0))
    value = clv.customer_lifetime_value(model, spend, SUMMARY.assign(T=60.0), time_unit="W")
    assert np.isfinite(value["clv"]).all() and (value["clv"] >= 0).all()


def test_the_spend_reading_says_when_the_correlation_is_undefined():
    buyers = SUMMARY[SUMMARY["frequency"] > 0].assign(frequency=2)

    class _Spend:
        population_mean_spend = 15.0
        boundary_note = ""

    text = readings.spend_reading(_Spend(), buyers)
    assert "not defined" in text and "nan" not in text
    assert "Each repeat buyer is valued at her own" in readings.spend_fallback_note()
    assert "1.00 purchases" in readings.spend_fallback_note(1.0, currency="purchases")


def test_a_table_never_shows_nan_text():
    levels = pd.DataFrame({"customers": [3, 0], "relationship_level": ["basic", np.nan]})
    shown = tables.format_table(levels, na_rep="n/a")
    assert list(shown["relationship_level"]) == ["basic", "n/a"]
    assert "nan" not in tables.format_table(levels).to_html()
