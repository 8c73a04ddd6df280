"""Covariates on any scale: a covariate x, 1,000 x and x + 5,000 give the same fit.

The coefficients are searched centred and in units of their covariate's
spread (analysis.models.coordinates), and reported on the user's scale. The
covariate is a random number of days (uniform on 0-7,000, spread about 2,000;
seed 5) on CDNOW's sample summary: searched as it is, it stopped L-BFGS-B at
its start (|gradient| 1.3e6, success False).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD

COLS = ["frequency", "recency", "T"]
#: seed of the covariate in days
SEED = 5


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.fixture(scope="module")
def summary(cdnow_sample_summary) -> pd.DataFrame:
    s = cdnow_sample_summary[COLS].copy()
    days = np.random.default_rng(SEED).uniform(0.0, 7000.0, len(s))
    s["x"] = days
    s["x1000"] = 1000.0 * days
    s["x5000"] = days + 5000.0
    return s


def fit(cls, summary, col):
    return cls(purchase_covariates=[col], dropout_covariates=[col]).fit(summary)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD], ids=lambda c: c.__name__)
def test_count_model_fit_does_not_depend_on_the_covariates_unit_or_origin(cls, summary):
    base = fit(cls, summary, "x")
    assert base.convergence.success
    assert abs(float(base.params["purchase:x"])) > 1e-6  # not stuck at the start (0)
    scaled = fit(cls, summary, "x1000")
    shifted = fit(cls, summary, "x5000")
    for other in (scaled, shifted):
        assert other.convergence.success
        assert abs(other.loglik - base.loglik) < 1e-9 * abs(base.loglik)
    names = list(base.base_param_names)
    gp, gd = (float(base.params[f"{p}:x"]) for p in ("purchase", "dropout"))
    # 1,000 x: coefficients / 1,000, base parameters unchanged
    assert rel(scaled.params[names], base.params[names]) < 1e-6
    assert rel(scaled.params["purchase:x1000"] * 1000, gp) < 1e-6
    assert rel(scaled.params["dropout:x1000"] * 1000, gd) < 1e-6
    # x + 5,000: coefficients unchanged, the scales move by exp(sign g 5,000) back
    assert rel(shifted.params["purchase:x5000"], gp) < 1e-6
    assert rel(shifted.params["dropout:x5000"], gd) < 1e-6
    expected = base.params[names].copy()
    expected["alpha"] *= np.exp(gp * 5000.0)  # alpha_i = alpha exp(-g x)
    expected[base.dropout_scale] *= np.exp(-base.dropout_sign * gd * 5000.0)
    assert rel(shifted.params[names], expected) < 1e-6
    # the same customers' predictions
    p_base = base.p_alive(summary)
    assert rel(shifted.p_alive(summary), p_base) < 1e-6
    assert rel(scaled.p_alive(summary), p_base) < 1e-6
    # standard errors scale with the unit too (the coefficient's; the base ones unchanged)
    se, se_scaled = base.standard_errors, scaled.standard_errors
    assert rel(se_scaled["purchase:x1000"] * 1000, se["purchase:x"]) < 1e-4
    assert rel(se_scaled[names], se[names]) < 1e-4
    assert rel(shifted.standard_errors["purchase:x5000"], se["purchase:x"]) < 1e-4


def test_gamma_gamma_fit_does_not_depend_on_the_covariates_unit_or_origin(cdnow_sample_summary):
    repeat = cdnow_sample_summary[cdnow_sample_summary["frequency"] > 0].copy()
    days = np.random.default_rng(SEED).uniform(0.0, 7000.0, len(repeat))
    repeat["x"], repeat["y"] = days, 1000.0 * days + 5000.0
    base = GammaGamma(spend_covariates=["x"]).fit(repeat)
    other = GammaGamma(spend_covariates=["y"]).fit(repeat)
    assert base.convergence.success and other.convergence.success
    assert abs(other.loglik - base.loglik) < 1e-9 * abs(base.loglik)
    d = float(base.params["spend:x"])
    assert rel(other.params["spend:y"] * 1000, d) < 1e-6
    # gamma_i = gamma exp(d x) = gamma' exp(d / 1000 (1000 x + 5000))
    assert rel(other.params["gamma"], base.params["gamma"] * np.exp(-d / 1000 * 5000)) < 1e-6
    assert rel(other.params[["p", "q"]], base.params[["p", "q"]]) < 1e-6
