"""Checks shared by the tests of the count models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def check_grids_equal_one_horizon_at_a_time(cdnow_fit, cdnow_sample_summary):
    """The horizon grids equal one-horizon calls, for CDNOW customers and heavy buyers."""
    # the CDNOW customers plus heavy buyers and long T (the quadrature paths)
    heavy = pd.DataFrame(
        {
            "frequency": [0, 1, 5, 300, 450, 1000],
            "recency": [0.0, 2.0, 30.0, 520.0, 9000.0, 9999.0],
            "T": [39.0, 39.0, 39.0, 520.0, 1e4, 1e4],
        },
        index=pd.Index([f"heavy{i}" for i in range(6)], name=cdnow_sample_summary.index.name),
    )
    data = pd.concat([cdnow_sample_summary[["frequency", "recency", "T"]], heavy])
    ts = np.array([0.0, 0.5, 4.3, 39.0, 156.5, 2e4])
    purchases = cdnow_fit.expected_purchases_grid(data, ts=ts)
    alive = cdnow_fit.p_alive_grid(data, ts=ts)
    for j, t in enumerate(ts):
        np.testing.assert_allclose(
            purchases.at(j), cdnow_fit.expected_purchases(data, t=t), rtol=1e-12, atol=0
        )
        np.testing.assert_allclose(alive.at(j), cdnow_fit.p_alive(data, t=t), rtol=1e-12, atol=0)
    table = purchases.to_frame()
    assert table.index.equals(data.index) and table.shape == (len(data), ts.size)
    np.testing.assert_array_equal(table.iloc[:, 3], purchases.at(3))
    weights = np.linspace(1.0, 0.5, ts.size)
    np.testing.assert_allclose(purchases.combine(weights), table.to_numpy() @ weights, rtol=1e-12)
    steps = purchases.increments()
    np.testing.assert_allclose(steps.at(2), purchases.at(2) - purchases.at(1), rtol=1e-12)
    with pytest.raises(ValueError, match="non-negative"):
        cdnow_fit.expected_purchases_grid(data, ts=[1.0, -1.0])
    with pytest.raises(ValueError, match="1-d"):
        cdnow_fit.p_alive_grid(data, ts=2.0)
    with pytest.raises(RuntimeError, match="not fitted"):
        type(cdnow_fit)().expected_purchases_grid(data, ts=ts)


def check_conditional_distribution(model, data, t, n_max):
    """P(n purchases in the next t | history) sums to 1 over n and its mean is expected_purchases.

    ``n_max`` must cover the distribution's mass (checked: the tail left out is below 1e-10).
    """
    ns = np.arange(n_max + 1)
    probs = np.column_stack([model.probability_of_purchases(data, n=n, t=t).to_numpy() for n in ns])
    assert np.all(probs >= 0) and np.all(probs <= 1 + 1e-12)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-10)
    mean = model.expected_purchases(data, t=t).to_numpy()
    np.testing.assert_allclose(probs @ ns, mean, rtol=1e-9, atol=1e-12)
    # one value of n (or t) per customer gives the same numbers as a scalar
    picked = model.probability_of_purchases(data, n=ns[np.arange(len(data)) % len(ns)], t=t)
    np.testing.assert_allclose(picked, probs[np.arange(len(data)), np.arange(len(data)) % len(ns)])
    assert picked.index.equals(data.index)
    with pytest.raises(ValueError, match="whole numbers"):
        model.probability_of_purchases(data, n=1.5, t=t)
    return probs


def check_against_monte_carlo(probs, simulated_counts, weights, n_max):
    """The model's P(n) against an importance-weighted Monte Carlo of the same customer.

    ``simulated_counts`` are the future purchase counts of prior draws that
    continue the customer's process, ``weights`` the likelihood of her history
    under each draw (so the weighted draws follow the posterior). Each P(n) must
    agree within 5 standard errors of the weighted estimate (plus 1e-3).
    """
    w = weights / weights.sum()
    ess = 1.0 / np.sum(w**2)  # effective sample size
    assert ess > 2000, ess
    for n in range(n_max + 1):
        hit = (simulated_counts == n).astype(float)
        estimate = float(np.dot(w, hit))
        se = float(np.sqrt(np.dot(w**2, (hit - estimate) ** 2)))
        assert abs(probs[n] - estimate) <= 5 * se + 1e-3, (n, probs[n], estimate, se)


def bg_monte_carlo(params, x, tx, T, t, extra_dropout=0, n_draws=400_000, seed=0):
    """Future purchase counts in (T, T+t] of a BG/NBD (MBG/NBD: ``extra_dropout=1``) customer.

    Draws (lambda, p) from the prior and simulates the process itself: after
    each purchase (and at time 0 for the MBG/NBD) she drops out with
    probability p, so the purchases after T are min(Poisson(lambda t), K) with
    K ~ Geometric(p) on 1, 2, ... Each draw is weighted by the likelihood of
    the history (x, t_x, T): alive at T, or dropped out right after the purchase
    at t_x. Returns the counts and weights of :func:`check_against_monte_carlo`.
    """
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n_draws)
    p = rng.beta(a, b, n_draws)
    chances = x + extra_dropout  # dropout chances survived by a customer alive at T
    with np.errstate(divide="ignore"):
        log_alive = x * np.log(lam) - lam * T + chances * np.log1p(-p)
        log_dead = (
            x * np.log(lam) - lam * tx + np.log(p) + (chances - 1) * np.log1p(-p)
            if chances > 0
            else np.full(n_draws, -np.inf)
        )
    top = max(log_alive.max(), log_dead.max())
    future = np.minimum(rng.poisson(lam * t), rng.geometric(p))
    counts = np.r_[future, np.zeros(n_draws)]
    weights = np.exp(np.r_[log_alive, log_dead] - top)
    return counts, weights
