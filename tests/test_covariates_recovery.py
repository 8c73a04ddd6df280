"""Recovery of known covariate coefficients from simulated logs (BG/NBD, MBG/NBD, Pareto/NBD).

Each log: 5,000 customers acquired over the first half of 2020, observed weekly
to the end of 2021, with a 0/1 covariate ``binary`` and a N(0, 1) covariate
``normal`` drawn by the simulator (seed ``SEED``). Every estimate, base
parameters and coefficients, must lie within 3 standard errors of the truth,
and the optimum must not move (to 1e-6) when T is scaled by 1 + 1e-12 and
the rows are permuted (seed ``PERMUTATION_SEED``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import BetaGeo, ModifiedBetaGeo, ParetoNBD
from analysis.simulate.btyd import simulate_bgnbd, simulate_mbgnbd, simulate_paretonbd

N_CUSTOMERS = 5_000
SEED = 1
PERMUTATION_SEED = 11
PURCHASE = {"binary": 0.4, "normal": -0.3}
DROPOUT = {"binary": -0.5, "normal": 0.2}
WINDOW = dict(
    acquisition_start="2020-01-01",
    acquisition_end="2020-06-30",
    observation_end="2021-12-31",
    time_unit="W",
    transactions=False,
)
CASES = {
    "BetaGeo": (simulate_bgnbd, BetaGeo, dict(r=0.5, alpha=8.0, a=0.6, b=3.0)),
    "ModifiedBetaGeo": (simulate_mbgnbd, ModifiedBetaGeo, dict(r=0.5, alpha=8.0, a=0.6, b=3.0)),
    "ParetoNBD": (simulate_paretonbd, ParetoNBD, dict(r=0.5, alpha=8.0, s=0.6, beta=12.0)),
}


def covariate_model(cls):
    return cls(purchase_covariates=list(PURCHASE), dropout_covariates=list(DROPOUT))


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request):
    simulate, cls, params = CASES[request.param]
    sim = simulate(
        N_CUSTOMERS,
        **params,
        purchase_coefficients=PURCHASE,
        dropout_coefficients=DROPOUT,
        seed=SEED,
        **WINDOW,
    )
    return sim, covariate_model(cls).fit(sim.summary)


def test_estimates_within_three_standard_errors_of_the_truth(fitted):
    sim, model = fitted
    assert model.convergence.success and not model.boundary
    truth = pd.Series({name: sim.params[name] for name in model.params.index})
    assert set(truth.index) >= {
        "purchase:binary",
        "purchase:normal",
        "dropout:binary",
        "dropout:normal",
    }
    z = (model.params - truth) / model.standard_errors
    assert np.all(np.isfinite(z))
    assert np.all(np.abs(z) < 3), z.round(2).to_dict()


def test_optimum_stable_under_perturbation_and_permutation(fitted):
    sim, model = fitted
    order = np.random.default_rng(PERMUTATION_SEED).permutation(len(sim.summary))
    moved = sim.summary.iloc[order].copy()
    moved["T"] = moved["T"] * (1 + 1e-12)
    again = covariate_model(type(model)).fit(moved)
    assert np.allclose(again.params, model.params, rtol=1e-6, atol=1e-8)
    assert again.loglik == pytest.approx(model.loglik, rel=1e-9)
