"""The signals the stage rules read: the pace tests on a hand-built customer, and P(alive) from BG/NBD."""

from __future__ import annotations

import numpy as np

from analysis import lifecycle as lc
from analysis.lifecycle.signals import bgnbd_p_alive, pace_signals
from analysis.panel import build_panel
from lifecycle_cases import log

MONTH = 365.25 / 12


def test_pace_signals_of_one_customer_exact():
    # first purchase on 1 January, two repeats in February, nothing in March
    one = log("a", ["2020-01-01", "2020-02-10", "2020-02-20"])
    sig = pace_signals(
        build_panel(one, "M", "2020-03-31"), window=1, growth_ratio=2.0, decline_ratio=0.5
    )
    np.testing.assert_array_equal(sig["age"], [[0, 1, 2]])
    np.testing.assert_array_equal(sig["repeat_purchases"], [[0, 2, 2]])
    np.testing.assert_array_equal(sig["window_purchases"], [[0, 2, 0]])
    # rates per period; an exposure under a full period counts as one (no inflated rates)
    np.testing.assert_allclose(sig["window_rate"], [[0.0, 2.0, 0.0]])
    np.testing.assert_allclose(sig["reference_rate"], [[np.nan, 0.0, 2.0]])
    np.testing.assert_allclose(sig["rate_ratio"], [[np.nan, np.inf, 0.0]])
    # February rises from nothing, March falls from February: both tested, neither the other way
    assert sig["p_rising"][0, 1] < 1 and sig["p_falling"][0, 1] == 1
    assert sig["p_falling"][0, 2] < 1 and sig["p_rising"][0, 2] == 1
    np.testing.assert_allclose(sig["periods_since_purchase"], [[30 / MONTH, 9 / MONTH, 40 / MONTH]])
    np.testing.assert_allclose(sig["mean_cycle_periods"], [[np.nan, 25 / MONTH, 25 / MONTH]])


def test_bgnbd_p_alive_covers_every_customer_period(cdnow_sample):
    p_alive = bgnbd_p_alive(cdnow_sample)
    assert p_alive.name == "p_alive"
    assert list(p_alive.index.names) == ["customer_id", "period"]
    assert p_alive.between(0, 1).all()
    stages = lc.assign_stages(cdnow_sample, p_alive=p_alive)
    # one value per row of the stages frame, in the same order, and carried over unchanged
    np.testing.assert_array_equal(stages["p_alive"].to_numpy(), p_alive.to_numpy())
    assert stages["customer_id"].tolist() == p_alive.index.get_level_values(0).tolist()


def test_p_alive_from_bgnbd_runs_on_cdnow_sample(cdnow_sample):
    stages = lc.assign_stages(cdnow_sample, p_alive=lc.bgnbd_p_alive(cdnow_sample))
    assert stages["p_alive"].between(0, 1).all()
    # BG/NBD puts customers without repeat purchases at P(alive) = 1
    no_repeat = stages["repeat_purchases"] == 0
    assert np.allclose(stages.loc[no_repeat, "p_alive"], 1.0)
    # below p_alive_min (0.3) a customer is in decline
    gone = stages["p_alive"] < 0.3
    assert gone.any() and (stages.loc[gone, "stage"] == "decline").all()


def test_bgnbd_p_alive_falls_with_silence(cdnow_sample):
    # a repeat buyer's P(alive) falls in every period without a purchase (x, t_x fixed, T grows)
    stages = lc.assign_stages(cdnow_sample, p_alive=bgnbd_p_alive(cdnow_sample))
    previous = stages["p_alive"].shift()
    same = stages["customer_id"].eq(stages["customer_id"].shift())
    quiet = same & (stages["purchases"] == 0) & (stages["repeat_purchases"] > 0)
    assert quiet.sum() > 1000
    assert (stages.loc[quiet, "p_alive"] < previous[quiet]).all()
