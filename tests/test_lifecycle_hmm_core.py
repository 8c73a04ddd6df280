"""The hidden Markov core the lifecycle model and the Netzer HMM share: Viterbi, shared prefixes and suffixes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import poisson

from analysis import lifecycle as lc
from analysis.lifecycle import hmm_core


def _brute_best(score, log_a, log_init, begin, end):
    k = score.shape[2]
    out = []
    for i in range(score.shape[1]):
        best, path = -np.inf, None
        for states in itertools.product(range(k), repeat=end[i] - begin[i] + 1):
            total = log_init[states[0]] + sum(
                score[begin[i] + j, i, s] for j, s in enumerate(states)
            )
            total += sum(log_a[a, b] for a, b in zip(states[:-1], states[1:], strict=True))
            if total > best:
                best, path = total, states
        out.append(path)
    return out


def test_viterbi_path_matches_enumeration_with_ragged_rows():
    rng = np.random.default_rng(4)
    m, n, k = 5, 6, 3
    score = np.log(rng.uniform(0.05, 1.0, (m, n, k)))
    log_a = np.log(rng.dirichlet(np.ones(k), size=k))
    log_a[0, 2] = -np.inf  # a forbidden move
    log_init = np.log(rng.dirichlet(np.ones(k)))
    begin = np.array([0, 1, 2, 0, 3, 4])
    end = np.array([4, 4, 4, 2, 4, 4])
    path = hmm_core.viterbi_path(score, log_a, log_init, begin, end)
    for i, best in enumerate(_brute_best(score, log_a, log_init, begin, end)):
        assert path[i, begin[i] : end[i] + 1].tolist() == list(best)
        assert (path[i, : begin[i]] == -1).all() and (path[i, end[i] + 1 :] == -1).all()


def test_shared_prefixes_and_suffixes_identify_equal_histories():
    nan = np.nan
    y = np.array([[nan, 0, 1, 0], [nan, 0, 1, 2], [0, 0, 1, 0], [nan, 0, 1, 0]])
    e = np.where(np.isnan(y), nan, 1.0)
    prefixes = hmm_core.shared_prefixes(y, e, np.array([0, 0, 0, 1]))
    rows, parent, ids = prefixes[2]
    assert ids[0] == ids[1]  # the same up to period 2
    assert ids[0] != ids[2]  # began a period earlier
    assert ids[0] != ids[3]  # another start
    suffixes = hmm_core.shared_suffixes(y, e)
    assert suffixes[1][2][0] == suffixes[1][2][2] == suffixes[1][2][3] != suffixes[1][2][1]
    assert len(suffixes[3][0]) == 1  # after the last period every suffix is empty


def _log(cid, dates):
    return pd.DataFrame(
        {
            "customer_id": cid,
            "date": pd.to_datetime(dates),
            "amount": 10.0 * np.arange(1, len(dates) + 1),
        }
    )


def test_current_stages_with_p_alive_and_thresholds_equal_the_long_frame():
    log = pd.concat(
        [
            _log("a", ["2020-01-05", "2020-02-03", "2020-02-20", "2020-03-09", "2020-05-01"]),
            _log("b", ["2020-01-05", "2020-02-03", "2020-02-20", "2020-03-09", "2020-05-01"]),
            _log("c", ["2020-02-11"]),
            _log("d", ["2020-01-02", "2020-01-20", "2020-02-02", "2020-02-25", "2020-03-03"]),
        ]
    )
    p_alive = pd.Series({"a": 0.9, "b": 0.1, "c": 0.8, "d": 0.5})
    kwargs = {"observation_end": "2020-08-31", "p_alive": p_alive, "trial_months": 2.0}
    stages = lc.assign_stages(log, **kwargs)
    now = lc.current_stages(log, **kwargs)
    last = lc.current_stage(stages)
    pd.testing.assert_series_equal(now["stage"], last["stage"])
    assert now.loc["b", "stage"] == "decline"  # p_alive low
    run = stages.groupby("customer_id")["stage"].apply(
        lambda s: int((s.iloc[::-1] == s.iloc[-1]).cummin().sum())
    )
    assert now["periods_in_stage"].to_dict() == run.to_dict()


def _brute_posteriors(b, initial, transition):
    """Log-likelihood and P(state at t | all) of one sequence, by summing over every state path."""
    m, k = b.shape
    total, post = 0.0, np.zeros((m, k))
    for states in itertools.product(range(k), repeat=m):
        p = initial[states[0]] * b[0, states[0]]
        for t in range(1, m):
            p *= transition[states[t - 1], states[t]] * b[t, states[t]]
        total += p
        post[np.arange(m), states] += p
    return np.log(total), post / total


def test_forward_backward_passes_match_enumeration_of_all_paths():
    rng = np.random.default_rng(7)
    k = 3
    transition = rng.dirichlet(np.ones(k), size=k)
    transition[2, 0] = 0.0  # a forbidden move
    transition /= transition.sum(axis=1, keepdims=True)
    initial = rng.dirichlet(np.ones(k))
    lengths = np.array([5, 4, 4, 2, 1])  # sequences left-aligned, longest first
    u, m = len(lengths), int(lengths.max())
    b = rng.uniform(0.01, 2.0, (m, u, k))
    running = [int((lengths > t).sum()) for t in range(m)]
    steps = hmm_core.forward_pass(
        [(slice(0, running[t]), slice(None) if t == 0 else None) for t in range(m)],
        transition,
        lambda t: b[t, : running[t]],
        lambda t, rows: initial,
    )
    alpha, scale = np.zeros((m, u, k)), np.ones((m, u))
    for t, (a, c) in enumerate(steps):
        alpha[t, : running[t]], scale[t, : running[t]] = a, c
    beta = np.ones((m, u, k))
    xi = np.zeros((k, k))
    weight = np.arange(1.0, u + 1)
    back = hmm_core.backward_pass(
        [(t, slice(None), running[t]) for t in range(m - 2, -1, -1)],
        transition,
        lambda t: b[t + 1, : running[t + 1]],
        np.ones((running[-1], k)),
        scales=lambda t: scale[t + 1, : running[t + 1]],
    )
    for t, bt, nxt in back:
        beta[t, : running[t]] = bt
        xi += hmm_core.expected_transitions(
            alpha[t, : len(nxt)], nxt, transition, weight[: len(nxt)]
        )
    # the same backward pass normalised per node (no scales) gives the same posteriors
    beta_free = np.ones((m, u, k))
    free = hmm_core.backward_pass(
        [(t, slice(None), running[t]) for t in range(m - 2, -1, -1)],
        transition,
        lambda t: b[t + 1, : running[t + 1]],
        np.ones((running[-1], k)),
    )
    for t, bt, _ in free:
        beta_free[t, : running[t]] = bt
    expected_xi = np.zeros((k, k))
    for i in range(u):
        n_i = lengths[i]
        loglik, post = _brute_posteriors(b[:n_i, i], initial, transition)
        np.testing.assert_allclose(np.log(scale[:n_i, i]).sum(), loglik, rtol=0, atol=1e-10)
        for beta_used in (beta, beta_free):
            gamma = hmm_core.posteriors(alpha[:n_i, i], beta_used[:n_i, i])
            np.testing.assert_allclose(gamma, post, rtol=0, atol=1e-10)
        # expected moves by enumeration: P(s_t = a, s_t+1 = c | all), weighted
        for states in itertools.product(range(k), repeat=n_i):
            p = initial[states[0]] * b[0, i, states[0]]
            for t in range(1, n_i):
                p *= transition[states[t - 1], states[t]] * b[t, i, states[t]]
            for t in range(n_i - 1):
                expected_xi[states[t], states[t + 1]] += weight[i] * p / np.exp(loglik)
    np.testing.assert_allclose(xi, expected_xi, rtol=0, atol=1e-10)
    assert xi[2, 0] == 0.0


def test_forward_pass_over_shared_prefixes_matches_one_pass_per_row():
    # rows with the same beginning share a node; a row beginning later starts from zero
    transition = np.array([[0.9, 0.1], [0.2, 0.8]])
    initial = np.array([0.6, 0.4])
    nan = np.nan
    y = np.array([[0, 1, 2, 0], [0, 1, 0, 0], [nan, 3, 2, 0], [0, 1, 2, 1]])
    e = np.where(np.isnan(y), nan, 1.0)
    rates = np.array([[0.5, 2.0]])
    emit = hmm_core.PoissonTable(rates)
    first = (~np.isnan(y)).argmax(axis=1)
    prefixes = hmm_core.shared_prefixes(y, e, np.zeros(len(y), dtype=np.int64))
    assert len(prefixes[1][0]) == 2  # rows 0, 1 and 3 share their first two periods
    steps = hmm_core.forward_pass(
        [(parent, first[rows] == t) for t, (rows, parent, _) in enumerate(prefixes)],
        transition,
        lambda t: emit(y[prefixes[t][0], t], e[prefixes[t][0], t]),
        lambda t, begins: initial,
    )
    for t, ((_, _, ids), (alpha, _)) in enumerate(zip(prefixes, steps, strict=True)):
        for i in range(len(y)):
            if first[i] > t:
                assert (alpha[ids[i]] == 0).all()
                continue
            path = np.arange(first[i], t + 1)
            b = np.stack([poisson.pmf(y[i, s], rates[0]) for s in path])
            _, post = _brute_posteriors(b, initial, transition)
            # the filter at t is the smoother of the history up to t at its last period
            np.testing.assert_allclose(alpha[ids[i], 0], post[-1], rtol=0, atol=1e-10)
