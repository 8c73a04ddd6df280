"""Predictive checks: the calibration histogram and the tracking band, their figures and readings.

Exact values on hand-built frames with a Poisson fake model; simulated BG/NBD
logs (seeds named below) for the statistics: at the true parameters the
expected histogram matches the observed one within sampling error, and the
new-customer variance matches the simulated spread.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import chi2, poisson  # noqa: E402

from analysis import plots, readings, rfm  # noqa: E402
from analysis.models import (  # noqa: E402
    BetaGeo,
    period_chi_square,
    period_transactions,
    tracking_band,
    variance_new_customer,
)
from analysis.models.validation import tracking_table  # noqa: E402
from analysis.simulate import simulate_bgnbd  # noqa: E402
from analysis.validate import DataValidationError  # noqa: E402

TRUE = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}  # weekly BG/NBD
SEED_HISTOGRAM = 11
SEED_LOG = 7
SEED_VARIANCE = 2
CAL_END, OBS_END = "2024-12-31", "2025-06-30"
WINDOW = {"acquisition_start": "2024-01-01", "acquisition_end": "2024-03-31"}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


class PoissonFake:
    """A fake count model: a new customer makes Poisson(rate * t) repeat purchases."""

    def __init__(self, rate=0.5):
        self.rate = rate

    def probability_of_purchases_new_customer(self, *, n, t):
        return poisson.pmf(n, self.rate * np.asarray(t, dtype=float))

    def expected_purchases_new_customer(self, *, t):
        return self.rate * np.asarray(t, dtype=float)


@pytest.fixture(scope="module")
def simulated_log():
    sim = simulate_bgnbd(
        1500, **TRUE, time_unit="W", observation_end=CAL_END, holdout_end=OBS_END,
        seed=SEED_LOG, **WINDOW,
    )  # fmt: skip
    calibration = rfm.summarize(sim.transactions, "W", observation_end=OBS_END, calibration_end=CAL_END)  # fmt: skip
    return sim.transactions, calibration, BetaGeo().fit(calibration)


# ----- the histogram ------------------------------------------------------------------------------
def test_period_transactions_exact_with_a_poisson_model():
    summary = pd.DataFrame({"frequency": [0, 1, 3, 5], "T": [1.0, 1.0, 2.0, 2.0]})
    table = period_transactions({"fake": PoissonFake(0.5)}, summary, max_frequency=2)
    assert list(table.index) == ["0", "1", "2+"]
    assert table["actual"].tolist() == [1, 1, 2]
    p1, p2 = poisson.pmf([0, 1], 0.5), poisson.pmf([0, 1], 1.0)
    expected = [2 * p1[0] + 2 * p2[0], 2 * p1[1] + 2 * p2[1]]
    expected.append(4 - sum(expected))
    np.testing.assert_allclose(table["fake"], expected, rtol=1e-12)


def test_period_transactions_weights_and_single_model():
    summary = pd.DataFrame({"frequency": [0, 2], "T": [1.0, 2.0], "weight": [3.0, 2.0]})
    table = period_transactions(PoissonFake(0.5), summary, max_frequency=1)
    assert table["actual"].tolist() == [3, 2]
    first = 3 * poisson.pmf(0, 0.5) + 2 * poisson.pmf(0, 1.0)
    np.testing.assert_allclose(table["predicted"], [first, 5 - first], rtol=1e-12)


def test_period_transactions_errors_name_the_problem():
    with pytest.raises(DataValidationError, match="'T'"):
        period_transactions(PoissonFake(), pd.DataFrame({"frequency": [0]}))
    with pytest.raises(ValueError, match="max_frequency"):
        period_transactions(PoissonFake(), pd.DataFrame({"frequency": [0], "T": [1.0]}), 0)


def test_expected_histogram_at_the_true_parameters_matches_a_simulated_one():
    sim = simulate_bgnbd(
        5000, **TRUE, time_unit="W", observation_end=CAL_END, transactions=False,
        seed=SEED_HISTOGRAM, **WINDOW,
    )  # fmt: skip
    truth = BetaGeo.from_params(TRUE, time_unit="W")
    table = period_transactions({"truth": truth}, sim.summary)
    assert table["actual"].sum() == 5000
    np.testing.assert_allclose(table["truth"].sum(), 5000, rtol=1e-12)
    assert (table["truth"] > 0).all()
    stats = period_chi_square(table, n_params=0)  # nothing estimated: the truth
    assert stats.loc["truth", "dof"] == len(table) - 1
    assert stats.loc["truth", "p_value"] > 0.001
    # and a wrong model is rejected by the same statistic
    wrong = BetaGeo.from_params({**TRUE, "alpha": 2.0}, time_unit="W")
    worse = period_chi_square(period_transactions({"wrong": wrong}, sim.summary), n_params=0)
    assert worse.loc["wrong", "p_value"] < 1e-6


def test_chi_square_by_hand():
    table = pd.DataFrame(
        {"actual": [50, 30, 20], "A": [52.0, 29.0, 19.0], "B": [40.0, 35.0, 25.0]},
        index=pd.Index(["0", "1", "2+"], name="frequency"),
    )
    stats = period_chi_square(table, n_params={"A": 0, "B": 4})
    stat_a = 4 / 52 + 1 / 29 + 1 / 19
    assert stats.loc["A", "chi_square"] == pytest.approx(stat_a)
    assert stats.loc["A", "dof"] == 2
    assert stats.loc["A", "p_value"] == pytest.approx(chi2.sf(stat_a, 2))
    assert stats.loc["B", "dof"] == -2 and np.isnan(stats.loc["B", "p_value"])


# ----- the tracking band ------------------------------------------------------------------------
def test_variance_new_customer_matches_the_simulated_spread():
    one_day = {"acquisition_start": "2024-01-01", "acquisition_end": "2024-01-01"}
    sim = simulate_bgnbd(
        20000, **TRUE, time_unit="W", observation_end=CAL_END, transactions=False,
        seed=SEED_VARIANCE, **one_day,
    )  # fmt: skip
    truth = BetaGeo.from_params(TRUE, time_unit="W")
    T = float(sim.summary["T"].mean())
    var = variance_new_customer(truth, T)
    assert isinstance(var, float)
    assert var == pytest.approx(sim.summary["frequency"].var(), rel=0.1)
    assert var > truth.expected_purchases_new_customer(t=T)  # over-dispersed against Poisson
    np.testing.assert_allclose(variance_new_customer(PoissonFake(0.5), [0.0, 2.0]), [0.0, 1.0])


def test_band_without_covariance_is_the_tracking_curve(simulated_log):
    log, _, _ = simulated_log
    truth = BetaGeo.from_params(TRUE, time_unit="W")  # no covariance: every draw is the truth
    band = tracking_band(truth, log, CAL_END, OBS_END, n_draws=20, name="truth")
    point = tracking_table({"truth": truth}, log, CAL_END, OBS_END)["truth"]
    np.testing.assert_allclose(band["truth"], point, rtol=1e-12)
    np.testing.assert_allclose(band["low"], point, rtol=1e-9)
    np.testing.assert_allclose(band["high"], point, rtol=1e-9)
    np.testing.assert_allclose(band["low_period"], point.diff().fillna(point.iloc[0]), rtol=1e-8)
    # the count simulated from the truth lies in its predictive range
    end = band.iloc[-1]
    assert end["predictive_low"] < end["actual"] < end["predictive_high"]
    assert end["predictive_low"] < end["truth"] < end["predictive_high"]


def test_band_contains_the_curve_and_widens_with_level(simulated_log):
    log, _, fitted = simulated_log
    narrow = tracking_band(fitted, log, CAL_END, OBS_END, level=0.5, n_draws=50, name="BG/NBD")
    wide = tracking_band(fitted, log, CAL_END, OBS_END, level=0.95, n_draws=50, name="BG/NBD")
    late = wide["time"] > 5  # once the cohort has bought, the bands have width
    tol = 1e-9 * wide["BG/NBD"].abs().max()
    assert (wide["low"] <= narrow["low"] + tol).all() and (
        narrow["high"] <= wide["high"] + tol
    ).all()
    assert (narrow["low"] <= narrow["BG/NBD"] + tol).all()
    assert (narrow["BG/NBD"] <= narrow["high"] + tol).all()
    assert ((wide["high"] - wide["low"])[late] > (narrow["high"] - narrow["low"])[late]).all()
    assert (wide["predictive_low"] <= wide["low"] + tol).all()
    assert (wide["high"] <= wide["predictive_high"] + tol).all()
    assert (wide["level"] == 0.95).all()
    assert list(wide.columns[:5]) == ["date", "time", "calibration", "actual", "BG/NBD"]
    assert "predictive_low" not in tracking_band(fitted, log, CAL_END, OBS_END, n_draws=10, noise=False)  # fmt: skip


def test_band_is_reproducible_with_a_seed(simulated_log):
    log, _, fitted = simulated_log
    a = tracking_band(fitted, log, CAL_END, OBS_END, n_draws=30, seed=3)
    b = tracking_band(fitted, log, CAL_END, OBS_END, n_draws=30, seed=3)
    c = tracking_band(fitted, log, CAL_END, OBS_END, n_draws=30, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["high"], c["high"])


def test_band_arguments_are_checked(simulated_log):
    log, _, fitted = simulated_log
    with pytest.raises(ValueError, match="level"):
        tracking_band(fitted, log, CAL_END, OBS_END, level=1.0)
    with pytest.raises(ValueError, match="clash"):
        tracking_band(fitted, log, CAL_END, OBS_END, name="low")


# ----- figures ----------------------------------------------------------------------------------
def test_plots_return_axes_and_band_takes_the_model_colour(simulated_log):
    log, calibration, fitted = simulated_log
    table = period_transactions({"BG/NBD": fitted}, calibration)
    ax = plots.plot_period_transactions(table)
    assert ax.get_xticklabels()[-1].get_text() == "7+"
    assert len(ax.patches) == 2 * len(table)
    tracking = tracking_table({"BG/NBD": fitted}, log, CAL_END, OBS_END)
    band = tracking_band(fitted, log, CAL_END, OBS_END, n_draws=20, name="BG/NBD")
    ax = plots.plot_tracking_band(tracking, band)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "BG/NBD")
    assert len(ax.collections) == 2  # the predictive range and the parameter interval
    np.testing.assert_allclose(
        ax.collections[-1].get_facecolor()[0][:3], matplotlib.colors.to_rgb(line.get_color())
    )
    _, given = plt.subplots()
    assert plots.plot_tracking_band(tracking, band, cumulative=False, ax=given) is given
    assert len(given.collections) == 1


# ----- readings ---------------------------------------------------------------------------------
def test_period_check_reading_names_the_misses():
    table = pd.DataFrame(
        {"actual": [50, 30, 20], "A": [52.0, 29.0, 19.0], "B": [35.0, 38.0, 27.0]},
        index=pd.Index(["0", "1", "2+"], name="frequency"),
    )
    stats = period_chi_square(table, n_params=0)
    verdict = readings.period_check_verdict(table, stats)
    assert list(verdict.index) == ["A", "B"]
    assert verdict.loc["B", "worst_row"] == "0" and verdict.loc["B", "miss"] == -15
    assert verdict.loc["A", "fits"] and not verdict.loc["B", "fits"]
    text = readings.period_check_reading(table, stats)
    assert "Of the 100 customers, 50 (50%) made no repeat purchase" in text
    assert "A reproduces the distribution of repeat purchases best" in text
    assert "only A within sampling error" in text
    assert "The largest miss is B's: 15 fewer" in text and "(30% of the row)" in text


def _hand_band():
    dates = pd.date_range("2024-01-07", periods=6, freq="7D")
    return pd.DataFrame(
        {
            "date": dates,
            "time": np.arange(1.0, 7.0),
            "calibration": [True, True, True, False, False, False],
            "actual": [10, 20, 30, 40, 55, 70],
            "M": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "low": [9.0, 19.0, 29.0, 38.0, 47.0, 56.0],
            "high": [11.0, 21.0, 31.0, 42.0, 53.0, 64.0],
            "low_period": 0.0,
            "high_period": 0.0,
            "predictive_low": [8.0, 18.0, 28.0, 36.0, 45.0, 54.0],
            "high_period_": 0.0,
            "predictive_high": [12.0, 22.0, 32.0, 44.0, 54.0, 66.0],
            "level": 0.9,
        }
    ).drop(columns="high_period_")


def test_tracking_band_reading_judges_the_holdout():
    band = _hand_band()
    tracking = band[["date", "time", "calibration", "actual", "M"]].assign(
        N=[10, 20, 30, 40, 52, 66]
    )
    v = readings.tracking_band_verdict(tracking, band)
    assert (v["periods"], v["inside"], v["above"], v["below"]) == (3, 1, 2, 0)
    assert v["first_out"] == pd.Timestamp("2024-01-28") + pd.Timedelta(days=7)
    assert v["stays_out"] and v["unit"] == "week"
    assert v["others"] == {"N": ("above", 66.0)}
    text = readings.tracking_band_reading(tracking, band)
    assert "in 1 of the 3 holdout weeks; the count lies above it in 2, from 2024-02-04 on" in text
    assert "had made 70 repeat purchases, above the range of 54 to 66 (M expects 60" in text
    assert "In the holdout alone it made 40, 33% more than the 30 expected." in text
    assert "The forecast of N (66) lies above M's interval" in text
