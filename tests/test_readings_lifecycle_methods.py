"""The methods report's opening findings, checked as verdicts (data), plus a few golden sentences."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import readings
from analysis.units import STAGES


def _by_rate(rules=(0.48, 0.58, 0.67, 0.75, 0.81), hindsight=(0.79, 0.82, 0.85, 0.87, 0.88)):
    rows = []
    for rate, r, h in zip((0.25, 0.5, 1.0, 2.0, 4.0), rules, hindsight, strict=True):
        rows.append({"rate": rate, "view": "realtime", "method": "rules", "macro_f1": r})
        rows.append({"rate": rate, "view": "hindsight", "method": "model", "macro_f1": h})
    return pd.DataFrame(rows)


def _by_setting():
    scores = {
        "default (tuning seeds)": 0.79,
        "default": 0.79,
        "shorter formation": 0.71,
        "longer stability": 0.80,
        "sparser buyers": 0.67,
    }
    rows = []
    for setting, f1 in scores.items():
        rows.append({"setting": setting, "view": "realtime", "method": "rules", "macro_f1": f1})
        rows.append(
            {"setting": setting, "view": "hindsight", "method": "model", "macro_f1": f1 + 0.1}
        )
    return pd.DataFrame(rows)


def _f1(hmm=0.75):
    return pd.DataFrame(
        {
            "rules": [0.81, 0.63, 0.82, 0.91, 0.79],
            "hindsight model": [0.83, 0.80, 0.91, 0.97, 0.88],
            "hmm": [0.81, 0.49, 0.74, 0.96, hmm],
        },
        index=[*STAGES, "macro"],
    )


def _tuning(gain=0.003):
    return pd.DataFrame(
        {
            "threshold": ["(defaults)", "gap_factor", "gap_factor", "formation_months"],
            "change": ["0%", "-25%", "+25%", "-25%"],
            "macro_f1": [0.788, 0.784, 0.788 + gain, 0.774],
        }
    )


def test_rate_finding_names_the_first_band_from_which_the_target_holds():
    f = readings.rate_finding(_by_rate())
    assert f.topic == "rate" and f.verdict == "4"
    assert f.numbers["macro_f1_at_0.25"] == 0.48
    # a band that reaches the target below a band that does not is no start
    dip = readings.rate_finding(_by_rate(rules=(0.5, 0.85, 0.7, 0.82, 0.9)))
    assert dip.verdict == "2"
    never = readings.rate_finding(_by_rate(rules=(0.5, 0.6, 0.7, 0.75, 0.79)))
    assert never.verdict == "never"
    assert "does not reach the target of 0.8 at any rate tried" in never.text


def test_view_finding_compares_the_views_band_by_band():
    f = readings.view_finding(_by_rate())
    assert f.verdict == "hindsight"
    assert f.numbers["gap_min"] == pytest.approx(0.07)
    assert f.numbers["gap_max"] == pytest.approx(0.31)
    mixed = readings.view_finding(_by_rate(hindsight=(0.79, 0.82, 0.85, 0.70, 0.70)))
    assert mixed.verdict == "depends on the rate"


def test_hmm_finding_picks_the_best_reading():
    f = readings.hmm_finding(_f1())
    assert f.verdict == "hindsight model"
    assert f.numbers == {"rules": 0.79, "hindsight model": 0.88, "hmm": 0.75}
    assert f.text.startswith(
        "**The Netzer hidden Markov model is not the best reading.** Macro-F1 on the evaluation "
        "log: the hindsight lifecycle model 0.88, the real-time rules 0.79 and the hidden Markov "
        "model of Netzer et al. 0.75"
    )
    assert readings.hmm_finding(_f1(hmm=0.95)).verdict == "hmm"


def test_threshold_finding_local_optimum_or_the_move_that_gains():
    f = readings.threshold_finding(_tuning())
    assert f.verdict == "local optimum"
    assert f.numbers["base"] == 0.788
    assert f.numbers["worst_loss"] == pytest.approx(0.014)
    assert "`formation_months` -25%" in f.text
    gains = readings.threshold_finding(_tuning(gain=0.02))
    assert gains.verdict == "gap_factor"
    assert gains.numbers["best_gain"] == pytest.approx(0.02)


def test_setting_finding_leaves_out_the_tuning_row():
    f = readings.setting_finding(_by_setting())
    assert f.verdict == "sparser buyers"
    assert "default (tuning seeds)" not in f.numbers
    assert f.numbers["shorter formation"] == 0.71


def test_methods_findings_in_order():
    found = readings.methods_findings(_by_rate(), _by_setting(), _f1(), _tuning())
    assert [f.topic for f in found] == ["rate", "views", "settings", "hmm", "thresholds"]
