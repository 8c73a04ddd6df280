"""The hidden Markov core the lifecycle model and the Netzer HMM share: Viterbi, shared prefixes and suffixes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

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
