"""The no-dropout check of a count model with purchase covariates: the NBD with the same covariates.

Customers who never drop out, with a 0/1 covariate that multiplies the
purchase rate by e (seed 5; each repeat buyer's last purchase at her
window's end, so every dropout term only lowers the likelihood). The count
models reduce to the NBD with alpha_i = alpha exp(-g z_i); the NBD without
covariates is 261 log-likelihood points below it on these data, so a check
against that NBD could not see the boundary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import BetaGeo, BoundaryFitWarning, ModifiedBetaGeo, ParetoNBD
from analysis.models.degenerate import NO_GAIN, nbd_max_loglik

SEED = 5


def no_dropout(n: int, seed: int = SEED, g: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 40.0, n)
    z = rng.integers(0, 2, n).astype(float)
    x = rng.poisson(rng.gamma(0.8, 1.0 / 6.0, n) * np.exp(g * z) * T)
    return pd.DataFrame({"frequency": x, "recency": np.where(x > 0, T, 0.0), "T": T, "z": z})


def nbd_by_brute_force(s: pd.DataFrame) -> float:
    """The NBD with a 0/1 covariate is two NBDs sharing r: maximise over r, each alpha on a grid."""
    from scipy import optimize
    from scipy.special import gammaln

    def ll(r, alpha, part):
        x, T = part["frequency"].to_numpy(), part["T"].to_numpy()
        return float(
            np.sum(gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T))
        )

    parts = [s[s["z"] == v] for v in (0.0, 1.0)]

    def profile(log_r):
        r = np.exp(log_r)
        return -sum(
            -optimize.minimize_scalar(
                lambda la, p=p: -ll(r, np.exp(la), p),
                bounds=(-10, 10),
                method="bounded",
                options={"xatol": 1e-10},
            ).fun
            for p in parts
        )

    return -float(
        optimize.minimize_scalar(
            profile, bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
        ).fun
    )


def test_the_nbd_with_covariates_is_maximised():
    s = no_dropout(3000)
    w = np.ones(len(s))
    with_z = nbd_max_loglik(s["frequency"], s["T"], w, covariates=s[["z"]].to_numpy())
    plain = nbd_max_loglik(s["frequency"], s["T"], w)
    assert with_z == pytest.approx(nbd_by_brute_force(s), abs=1e-5)
    assert with_z > plain + 100  # the plain NBD is no reference for a covariate model
    # the unit and origin of the covariate do not matter; neither do the row order and 1e-12
    shifted = nbd_max_loglik(s["frequency"], s["T"], w, covariates=1000 * s[["z"]].to_numpy() + 7)
    perm = np.random.default_rng(1).permutation(len(s))
    permuted = nbd_max_loglik(
        s["frequency"].to_numpy()[perm],
        s["T"].to_numpy()[perm] * (1 + 1e-12),
        w,
        covariates=s[["z"]].to_numpy()[perm],
    )
    assert shifted == pytest.approx(with_z, abs=1e-7)
    assert permuted == pytest.approx(with_z, abs=1e-7)


@pytest.mark.parametrize(
    ("cls", "n"),
    [(BetaGeo, 3000), (ModifiedBetaGeo, 3000), (ParetoNBD, 1000)],
    ids=["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"],
)
def test_no_dropout_is_detected_with_purchase_and_dropout_covariates(cls, n):
    s = no_dropout(n)
    nbd = nbd_max_loglik(s["frequency"], s["T"], np.ones(n), covariates=s[["z"]].to_numpy())
    with pytest.warns(BoundaryFitWarning, match="NBD with the same purchase covariates"):
        model = cls(purchase_covariates=["z"], dropout_covariates=["z"]).fit(s)
    assert set(model.boundary) == set(model.dropout_params) | {"dropout:z"}
    assert abs(model.loglik - nbd) < NO_GAIN
    assert model.loglik <= nbd + 1e-6  # the full model approaches its limit from below
    assert not model.convergence.success
    # the purchase coefficient is the NBD's and identified: e (the truth) within 3 SE
    g, se = float(model.params["purchase:z"]), float(model.standard_errors["purchase:z"])
    assert np.isfinite(se) and abs(g - 1.0) < 3 * se


def test_dropout_covariates_alone_compare_with_the_plain_nbd():
    s = no_dropout(3000, g=0.0)
    with pytest.warns(BoundaryFitWarning, match="than that of the NBD,"):
        model = BetaGeo(dropout_covariates=["z"]).fit(s)
    assert set(model.boundary) == {"a", "b", "dropout:z"}
