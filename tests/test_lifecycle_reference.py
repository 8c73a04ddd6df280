"""The stage views against the stored outputs of the dense implementation they replaced.

``tests/data/lifecycle_reference.npz`` holds what ``assign_stages`` (both views,
rules and model), ``current_stage``/``stage_durations`` and ``fit_stage_hmm``
returned at commit ``d072160`` (before the customer-block engine and the
shared HMM core): on the CDNOW master log (monthly and weekly) and on two
simulated logs. Stage, reason and integer columns must be equal; float
signals, stage probabilities and the Netzer model's numbers to a stated
tolerance. Float columns that are not stored in full are checked by their NaN
count, sum and sum of square roots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import data
from analysis import lifecycle as lc
from analysis.customers import stage_durations
from analysis.lifecycle import hmm
from analysis.simulate import simulate_lifecycle

REFERENCE = Path(__file__).parent / "data" / "lifecycle_reference.npz"
#: float signals (p-values, rates): the same formulas on the same numbers, up to rounding
SIGNAL_RTOL = 1e-12
#: the model's stage probabilities are stored as float32, as assign_stages returns them
PROBABILITY_ATOL = 1e-6
FLOATS = {
    "spend": "spend",
    "window_rate": "window_rate",
    "reference_rate": "reference_rate",
    "rate_ratio": "rate_ratio",
    "p_rising": "p_rising",
    "p_falling": "p_falling",
    "p_rising_last": "p_rising_last",
    "periods_since_purchase": "periods_since_purchase",
    "purchase_cycle": "mean_cycle_periods",  # renamed since the reference was stored
}
INTS = ("age", "purchases", "repeat_purchases", "window_purchases")
VIEWS = {
    "rules": {"view": "realtime"},
    "rtmodel": {"view": "realtime", "method": "model"},
    "hind": {"view": "hindsight"},
}


@pytest.fixture(scope="module")
def ref():
    with np.load(REFERENCE) as z:
        return dict(z)


@pytest.fixture(scope="module")
def logs():
    cdnow = data.load_cdnow()
    return {
        "cdnow": (cdnow, {"period": "M"}),
        "cdnow_w": (cdnow, {"period": "W", "observation_end": "1998-06-30"}),
        "sim": (simulate_lifecycle(3000, 24, seed=7).transactions, {"period": "M"}),
        "simsparse": (
            simulate_lifecycle(800, 30, seed=8, peak_rate_mean=1.0).transactions,
            {"period": "M"},
        ),
    }


CASES = [
    (log, view)
    for log in ("cdnow", "cdnow_w", "sim", "simsparse")
    for view in VIEWS
    if log != "cdnow_w" or view == "rules"
]


def _check(values: np.ndarray) -> np.ndarray:
    v = values.astype(float)
    return np.array([np.isnan(v).sum(), np.nansum(v), np.nansum(np.abs(v) ** 0.5)])


@pytest.mark.parametrize(("log", "view"), CASES)
def test_assign_stages_equals_the_dense_implementation(ref, logs, log, view):
    transactions, kw = logs[log]
    stages = lc.assign_stages(transactions, **kw, **VIEWS[view])
    key = f"{log}_{view}"
    assert len(stages) == int(ref[key + "_n"])
    customer = pd.factorize(stages["customer_id"], sort=True)[0]
    np.testing.assert_array_equal(customer, ref[key + "_customer"])
    np.testing.assert_array_equal(pd.PeriodIndex(stages["period"]).asi8, ref[key + "_period"])
    np.testing.assert_array_equal(stages["stage"].cat.codes.to_numpy(), ref[key + "_stage"])
    np.testing.assert_array_equal(stages["reason"].cat.codes.to_numpy(), ref[key + "_reason"])
    for name in INTS:
        if key + "_" + name in ref:
            np.testing.assert_array_equal(stages[name].to_numpy(), ref[key + "_" + name])
        else:
            np.testing.assert_allclose(
                _check(stages[name].to_numpy()), ref[key + "_" + name + "_check"], rtol=1e-12
            )
    for stored, name in FLOATS.items():
        values = stages[name].to_numpy(dtype=float)
        if key + "_" + stored in ref:
            np.testing.assert_allclose(values, ref[key + "_" + stored], rtol=SIGNAL_RTOL, atol=0)
        else:
            np.testing.assert_allclose(
                _check(values), ref[key + "_" + stored + "_check"], rtol=1e-10
            )
    if view != "rules":
        np.testing.assert_allclose(
            stages["stage_probability"].to_numpy(dtype=float),
            ref[key + "_stage_probability"],
            atol=PROBABILITY_ATOL,
            rtol=0,
        )
    current = lc.current_stage(stages)
    np.testing.assert_array_equal(current["stage"].cat.codes.to_numpy(), ref[key + "_current"])
    np.testing.assert_array_equal(
        stage_durations(stages).reindex(current.index).to_numpy(), ref[key + "_in_stage"]
    )


@pytest.mark.parametrize(("log", "view"), CASES)
def test_current_stages_equal_the_last_period_of_the_dense_implementation(ref, logs, log, view):
    transactions, kw = logs[log]
    now = lc.current_stages(transactions, **kw, **VIEWS[view])
    key = f"{log}_{view}"
    assert now.index.is_monotonic_increasing and now.index.name == "customer_id"
    assert list(now["stage"].cat.categories) == list(lc.STAGES) and now["stage"].cat.ordered
    np.testing.assert_array_equal(now["stage"].cat.codes.to_numpy(), ref[key + "_current"])
    np.testing.assert_array_equal(now["periods_in_stage"].to_numpy(), ref[key + "_in_stage"])
    assert now["periods_in_stage"].dtype == np.int64


@pytest.mark.parametrize("k", [3, 4])
def test_netzer_hmm_equals_the_reference(ref, k):
    sim = simulate_lifecycle(1500, 18, seed=5).transactions
    counts, exposure = hmm.purchase_counts(sim, "M")
    fit = hmm.fit_stage_hmm(counts, n_states=k, exposure=exposure, n_starts=3, seed=1)
    p = f"netzer{k}"
    assert fit.log_likelihood == pytest.approx(float(ref[p + "_loglik"]), abs=1e-9, rel=0)
    np.testing.assert_allclose(fit.history, ref[p + "_history"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(fit.start_log_likelihoods, ref[p + "_starts"], atol=1e-9, rtol=0)
    for name in ("means", "transition", "initial"):
        np.testing.assert_allclose(getattr(fit, name), ref[f"{p}_{name}"], atol=1e-9, rtol=0)
    np.testing.assert_array_equal(fit.path, ref[p + "_path"])
    np.testing.assert_allclose(fit.posterior, ref[p + "_posterior"], atol=1e-6, equal_nan=True)
    stages = hmm.hmm_stages(sim, "M", model=fit)
    np.testing.assert_array_equal(stages["stage"].cat.codes.to_numpy(), ref[p + "_stage"])
