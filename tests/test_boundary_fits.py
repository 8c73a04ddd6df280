"""Degenerate data and boundary fits: said plainly, and the same on every machine.

The verdicts come from the data (no repeat buyer, no spread, a reduced model
that fits as well), never from where the optimiser happened to stop, so
these tests do not depend on the last bits of an optimiser's path.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    BoundaryFitWarning,
    ConvergenceError,
    DegenerateDataError,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)
from analysis.models.degenerate import NBDRows, beta_binomial_max_loglik, nbd_max_loglik


def nbd_summary(n: int = 3000, r: float = 0.8, alpha: float = 6.0, seed: int = 5) -> pd.DataFrame:
    """Purchases of customers who never drop out: Poisson with gamma-distributed rates."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 40.0, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    x = rng.poisson(lam * T)
    # given x purchases in (0, T], their times are uniform; the last is T * U^(1/x)
    with np.errstate(divide="ignore"):
        tx = np.where(x > 0, T * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


@pytest.fixture(scope="module")
def no_dropout():
    # Every repeat buyer bought at the very end of her window: each dropout term of the
    # likelihood then only lowers it (for BG/NBD, B(a, b + x - 1) / B(a, b) <= 1), so the
    # maximum is the NBD limit for all three models, whatever the optimiser's path.
    data = nbd_summary()
    return data.assign(recency=np.where(data["frequency"] > 0, data["T"], 0.0))


@pytest.mark.parametrize(
    ("model_cls", "dropout"),
    [(BetaGeo, ("a", "b")), (ParetoNBD, ("s", "beta")), (ModifiedBetaGeo, ("a", "b"))],
)
def test_no_dropout_is_flagged_and_explained(no_dropout, model_cls, dropout):
    model = model_cls()
    with pytest.warns(BoundaryFitWarning, match="no dropout detected.*reduces to the NBD") as rec:
        model.fit(no_dropout)
    assert "P(alive) is 1 for everyone" in str(rec[0].message)
    assert set(dropout) <= set(model.boundary)
    assert set(dropout) <= set(model.convergence.not_identified)
    assert not model.convergence.success
    summary = model.summary()
    assert "note" in summary.columns
    assert all(summary.loc[name, "note"] for name in dropout)
    # the purchase process itself is identified: r and alpha carry no note
    assert summary.loc["r", "note"] == "" and summary.loc["alpha", "note"] == ""
    # and it is the NBD's: the likelihood equals the reduced model's
    nbd = nbd_max_loglik(no_dropout["frequency"], no_dropout["T"], np.ones(len(no_dropout)))
    assert model.loglik == pytest.approx(nbd, abs=0.05)
    assert model.p_alive(no_dropout).min() > 0.999


def test_interior_fit_has_no_note(cdnow_sample_summary):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundaryFitWarning)
        model = BetaGeo().fit(cdnow_sample_summary)
    assert model.boundary == {}
    assert model.boundary_note == ""
    assert "note" not in model.summary().columns
    assert model.convergence.success and model.convergence.not_identified == ()
    # CDNOW shows dropout: far better than the NBD
    w = np.ones(len(cdnow_sample_summary))
    nbd = nbd_max_loglik(cdnow_sample_summary["frequency"], cdnow_sample_summary["T"], w)
    assert model.loglik - nbd > 100


def test_nbd_max_loglik_recovers_known_optimum():
    # one customer type: the NBD likelihood of x over T at (r, alpha) has its maximum where the
    # mean r / alpha matches x / T; check against a brute-force grid
    data = nbd_summary(n=500, seed=9)
    w = np.ones(len(data))
    best = nbd_max_loglik(data["frequency"], data["T"], w)
    from scipy.special import gammaln

    x, t = data["frequency"].to_numpy(float), data["T"].to_numpy(float)
    grid = [
        float(np.sum(gammaln(r + x) - gammaln(r) + r * np.log(a) - (r + x) * np.log(a + t)))
        for r in np.linspace(0.3, 2.0, 60)
        for a in np.linspace(1.0, 15.0, 60)
    ]
    assert best >= max(grid) - 1e-6
    assert best - max(grid) < 1.0


def _nbd_uncompressed_max(x, t) -> float:
    """The NBD's maximum the direct way: every customer's row, numerical derivatives."""
    from scipy import optimize
    from scipy.special import gammaln

    def neg(z):
        r, a = np.exp(z)
        return -float(np.sum(gammaln(r + x) - gammaln(r) + r * np.log(a) - (r + x) * np.log(a + t)))

    res = optimize.minimize(
        neg,
        np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 4000},
    )
    return -float(res.fun)


def test_nbd_check_on_distinct_rows_equals_the_direct_fit(cdnow_sample_summary):
    """The check fits the NBD on the distinct (x, T) rows with its analytic gradient."""
    data = cdnow_sample_summary
    x, t = data["frequency"].to_numpy(float), data["T"].to_numpy(float)
    nbd_rows = NBDRows(x, t, np.ones(len(x)))
    assert len(nbd_rows.x) < len(x) and nbd_rows.weight.sum() == len(x)
    assert nbd_max_loglik(x, t, np.ones(len(x))) == pytest.approx(
        _nbd_uncompressed_max(x, t), abs=1e-6
    )
    # the analytic gradient against central differences
    r, a = 0.6, 3.0
    _, grad = nbd_rows.loglik(r, a, gradient=True)
    h = 1e-6
    num = [
        (nbd_rows.loglik(r + h, a) - nbd_rows.loglik(r - h, a)) / (2 * h),
        (nbd_rows.loglik(r, a + h) - nbd_rows.loglik(r, a - h)) / (2 * h),
    ]
    np.testing.assert_allclose(grad, num, rtol=1e-6)


@pytest.mark.parametrize("how", ["up", "down", "permuted"])
def test_nbd_check_does_not_move_with_the_last_bits_of_the_input(
    no_dropout, cdnow_sample_summary, how
):
    """The check's value moves by far less than NO_GAIN under a 1e-12 scaling or a permutation."""
    from fit_outcomes import perturbed

    for data in (no_dropout, cdnow_sample_summary[["frequency", "recency", "T"]]):
        base = nbd_max_loglik(data["frequency"], data["T"], np.ones(len(data)))
        moved = perturbed(data, ("recency", "T"), how)
        again = nbd_max_loglik(moved["frequency"], moved["T"], np.ones(len(moved)))
        assert again == pytest.approx(base, abs=1e-6)


@pytest.mark.parametrize("model_cls", [BetaGeo, ParetoNBD, ModifiedBetaGeo])
def test_no_repeat_buyer_is_degenerate_data(model_cls):
    data = pd.DataFrame(
        {"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(10, 40, 50)}
    )
    with pytest.raises(DegenerateDataError, match="no customer made a repeat purchase"):
        model_cls().fit(data)
    assert issubclass(DegenerateDataError, ConvergenceError)


def test_identical_spend_is_degenerate_data():
    data = pd.DataFrame({"frequency": [1, 2, 3, 4] * 50, "monetary_value": 20.0})
    with pytest.raises(DegenerateDataError, match=r"identical \(20\)"):
        GammaGamma().fit(data)
    # one different value is enough spread to try
    varied = data.assign(monetary_value=[20.0] * 199 + [25.0])
    assert GammaGamma._degenerate_data(GammaGamma(), GammaGamma()._prepare(varied)) is None


def test_bgbb_without_any_dropout_is_degenerate_data():
    data = pd.DataFrame({"frequency": [6] * 50 + [5, 3], "recency": 6, "n_periods": 6})
    with pytest.raises(DegenerateDataError, match="every customer transacted at the last"):
        BetaGeoBetaBinom().fit(data)


def test_bgbb_reduced_model_likelihood():
    # beta-binomial log-likelihood at its maximum is at least the value at any point
    x = np.array([0, 1, 2, 3, 6, 6, 4])
    n = np.full(7, 6.0)
    w = np.array([10.0, 5, 3, 2, 4, 1, 2])
    from scipy.special import betaln

    best = beta_binomial_max_loglik(x, n, w)
    for a, b in [(0.5, 0.5), (1.0, 2.0), (0.3, 0.8)]:
        assert best >= float(np.dot(w, betaln(a + x, b + n - x) - betaln(a, b)))


def test_sbg_nobody_or_everybody_churning_is_degenerate_data():
    with pytest.raises(DegenerateDataError, match="nobody churned"):
        ShiftedBetaGeo().fit(pd.DataFrame({"T": [5] * 100, "churned": False}))
    with pytest.raises(DegenerateDataError, match="first period"):
        ShiftedBetaGeo().fit(pd.DataFrame({"T": [1] * 100, "churned": True}))
