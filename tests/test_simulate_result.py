"""Every simulator returns one :class:`analysis.simulate.Simulation` with its documented fields filled."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import analysis.simulate as simulate
from analysis.simulate import Simulation

N = 60
WINDOW = dict(
    acquisition_start="2024-01-01", acquisition_end="2024-02-29", observation_end="2024-06-30"
)
LOG_COLUMNS = ["customer_id", "date", "amount", "quantity"]

#: simulator name -> (arguments, builds a transaction log, draws a summary, has stages)
CASES = {
    "simulate_bgbb": ((N, 1.2, 0.75, 0.66, 2.78), {"seed": 1}, False, True, False),
    "simulate_sbg": ((N, 0.7, 1.2), {"seed": 1}, False, True, False),
    "simulate_gamma_gamma": ((N, 6.0, 4.0, 15.0), {"seed": 1}, False, True, False),
    "simulate_bgnbd": ((N, 0.4, 20.0, 0.8, 2.5), {"seed": 1, **WINDOW}, True, True, False),
    "simulate_mbgnbd": ((N, 0.4, 20.0, 0.8, 2.5), {"seed": 1, **WINDOW}, True, True, False),
    "simulate_paretonbd": ((N, 0.5, 10.0, 0.6, 12.0), {"seed": 1, **WINDOW}, True, True, False),
    "simulate_lifecycle": ((N, 6), {"seed": 1}, True, False, True),
    "simulate_poisson_hmm": (
        (N, 5, [0.5, 3.0], [0.6, 0.4], [[0.9, 0.1], [0.2, 0.8]]),
        {"seed": 1, "max_start": 2},
        False,
        True,
        False,
    ),
}


def exported_simulators() -> list[str]:
    return [name for name in simulate.__all__ if name.startswith("simulate_")]


def test_every_exported_simulator_is_checked_here():
    assert set(exported_simulators()) <= set(CASES)
    assert "Simulation" in simulate.__all__
    # the old per-module result types are gone
    for old in ("BTYDSimulation", "SimulatedLifecycle"):
        assert not hasattr(simulate, old)


@pytest.mark.parametrize("name", sorted(CASES))
def test_simulator_returns_a_filled_simulation(name):
    if name not in exported_simulators():
        pytest.skip(f"{name} is not exported by analysis.simulate")
    args, kwargs, builds_log, has_summary, has_stages = CASES[name]
    sim = getattr(simulate, name)(*args, **kwargs)

    assert isinstance(sim, Simulation)
    assert isinstance(sim.params, dict) and sim.params

    truth = sim.truth
    assert isinstance(truth, pd.DataFrame)
    assert truth.index.name == "customer_id"
    assert truth.index.is_unique and len(truth) == N  # one row per customer

    if builds_log:
        log = sim.transactions
        assert isinstance(log, pd.DataFrame)
        assert list(log.columns) == LOG_COLUMNS
        assert set(log["customer_id"]) == set(truth.index)
    else:
        assert sim.transactions is None

    if has_summary:
        assert isinstance(sim.summary, pd.DataFrame)
        assert sim.summary.index.name == "customer_id"
        assert sim.summary.index.equals(truth.index)
    else:
        assert sim.summary is None

    if has_stages:
        stages = sim.stages
        assert isinstance(stages, pd.DataFrame)
        assert {"customer_id", "period", "stage"} <= set(stages.columns)
        assert set(stages["customer_id"]) == set(truth.index)
    else:
        assert sim.stages is None

    with pytest.raises(dataclasses.FrozenInstanceError):
        sim.truth = truth  # type: ignore[misc]
