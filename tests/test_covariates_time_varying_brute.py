"""Pareto/NBD with time-varying covariates against brute-force numerical integration (small cases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from test_covariates_time_varying import TRUTH, model_at_truth, small_case


def _brute(calendar, log, frame, params, t_ahead=None):
    """log L, E[purchases in (T, T+t]] and P(alive) per customer by quadrature.

    Nothing is shared with the implementation: the rate multipliers are looked up in the
    calendar at each time, their integrals over whole periods are quadratures, and lambda and
    mu are integrated against their Gamma densities numerically, as is the dropout time.
    """
    covs = ["season", "promo"]
    gp = np.array([params[f"purchase:{c}"] for c in covs])
    gd = np.array([params[f"dropout:{c}"] for c in covs])
    starts = calendar.index
    start_days = np.array([(t - starts[0]).days for t in starts], dtype=float)
    out_ll, out_e, out_alive = [], [], []
    for cid, row in frame.iterrows():
        d0 = pd.Timestamp(row["first_purchase"])
        alpha = params["alpha"] * np.exp(-params["purchase:channel"] * row["channel"])
        beta = params["beta"] * np.exp(-params["dropout:channel"] * row["channel"])
        r, s = params["r"], params["s"]

        def x_at(u, d0=d0):
            day = (d0 - starts[0]).days + 7 * u  # days since the calendar's first period start
            return calendar[covs].to_numpy(float)[
                np.searchsorted(start_days, day, side="right") - 1
            ]

        bounds = [(t - d0).days / 7 for t in starts if t > d0]

        def a(u, x_at=x_at):
            return float(np.exp(gp @ x_at(u)))

        def b(u, x_at=x_at):
            return float(np.exp(gd @ x_at(u)))

        knots = [0.0] + bounds
        done = {}  # integrals of each multiplier up to each period boundary, by quadrature

        def cum(f, t, knots=knots, done=done):
            k = max(i for i, p in enumerate(knots) if p <= t)
            if (f, k) not in done:
                done[(f, k)] = sum(
                    integrate.quad(f, lo, hi)[0]
                    for lo, hi in zip(knots[:k], knots[1 : k + 1], strict=True)
                )
            return done[(f, k)] + f(t) * (t - knots[k])  # constant since the last boundary

        days = sorted(set(log.loc[log["customer_id"] == cid, "date"].dt.normalize()))
        t_rep = [(d - d0).days / 7 for d in days[1:]]
        x, tx, T = len(t_rep), (t_rep[-1] if t_rep else 0.0), row["T"]

        def density(shape, rate):
            const = shape * np.log(rate) - special.gammaln(shape)
            return lambda v: np.exp(const + (shape - 1) * np.log(v) - rate * v) if v > 0 else 0.0

        g_lam, g_mu = density(r, alpha), density(s, beta)

        def e_lam(power, A):
            return integrate.quad(
                lambda v: v**power * np.exp(-v * A) * g_lam(v),
                0,
                np.inf,
                epsabs=0,
                epsrel=1e-10,
                limit=200,
            )[0]

        def e_mu(power, B):
            return integrate.quad(
                lambda v: v**power * np.exp(-v * B) * g_mu(v),
                0,
                np.inf,
                epsabs=0,
                epsrel=1e-10,
                limit=200,
            )[0]

        A_T, B_T = cum(a, T), cum(b, T)
        prod_a = np.prod([a(u) for u in t_rep])
        alive = e_lam(x, A_T) * e_mu(0, B_T)
        pts = [tx] + [p for p in bounds if tx < p < T] + [T]
        dead = sum(
            integrate.quad(
                lambda tau: b(tau) * e_lam(x, cum(a, tau)) * e_mu(1, cum(b, tau)),
                lo,
                hi,
                epsabs=0,
                epsrel=1e-9,
            )[0]
            for lo, hi in zip(pts[:-1], pts[1:], strict=True)
        )
        lik = prod_a * (alive + dead)
        out_ll.append(np.log(lik))
        out_alive.append(alive / (alive + dead))
        if t_ahead is not None:
            pts = [T] + [p for p in bounds if T < p < T + t_ahead] + [T + t_ahead]
            lam_part = e_lam(x + 1, A_T)
            num = lam_part * sum(
                integrate.quad(lambda u: a(u) * e_mu(0, cum(b, u)), lo, hi, epsabs=0, epsrel=1e-9)[
                    0
                ]
                for lo, hi in zip(pts[:-1], pts[1:], strict=True)
            )
            out_e.append(prod_a * num / lik)
    return np.array(out_ll), np.array(out_e), np.array(out_alive)


@pytest.fixture(scope="module")
def small():
    return small_case()


@pytest.fixture(scope="module")
def brute(small):
    calendar, log, frame = small
    return _brute(calendar, log, frame, TRUTH, t_ahead=10.5)


def test_likelihood_matches_brute_force_integration(small, brute):
    calendar, log, frame = small
    ll = model_at_truth(calendar).loglik_per_customer(frame).to_numpy()
    np.testing.assert_allclose(ll, brute[0], rtol=1e-6)


def test_expected_purchases_and_p_alive_match_brute_force(small, brute):
    calendar, log, frame = small
    model = model_at_truth(calendar)
    got = model.expected_purchases(frame, t=0.0)
    assert np.all(got == 0)
    got = model.expected_purchases(frame, t=10.5).to_numpy()
    np.testing.assert_allclose(got, brute[1], rtol=1e-6)
    p = model.p_alive(frame).to_numpy()
    np.testing.assert_allclose(p, brute[2], rtol=1e-6)
