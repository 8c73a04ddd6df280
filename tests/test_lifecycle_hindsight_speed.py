"""The hindsight view after its speed-up (issue 21) against the code before it, bit for bit.

``tests/data/hindsight_reference.npz`` holds what commit ``6ab0c15`` (before the
speed-up: the model's blocks in one thread, every filtered period computed in
hindsight, the posteriors summed from a product array) returned on CDNOW's
sample (monthly and weekly periods) and on a simulated log of 3,000 customers
(seed 21): the hindsight stages and stage probabilities of ``assign_stages``,
``current_stages``' stage and run length, and ``stage_probabilities``'
filtered and smoothed arrays on the monthly panel (these two as the SHA-256
digest of their float64 bytes, to keep the file small). It was written by
:func:`_outputs` run on that commit's ``src``::

    PYTHONPATH=<6ab0c15's src> python -c "import tests.test_lifecycle_hindsight_speed as t; t._write()"

The speed-up reorders no sum and keeps every array's type, so the tolerance
is zero: the arrays must be equal, NaN where the reference has NaN. The
model's blocks run in threads (``ANALYSIS_THREADS``); the result must not
depend on their number nor on the block size.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import data
from analysis import lifecycle as lc
from analysis.lifecycle import stages as stages_module
from analysis.lifecycle.stage_model import model_stage_codes, stage_probabilities
from analysis.panel import build_panel, purchase_days, repeat_counts
from analysis.simulate import simulate_lifecycle

REFERENCE = Path(__file__).parent / "data" / "hindsight_reference.npz"
LOGS = {
    "cdnow_m": {"period": "M"},
    "cdnow_w": {"period": "W", "observation_end": "1998-06-30"},
    "sim_m": {"period": "M"},
}


def _log(name: str):
    if name.startswith("cdnow"):
        return data.load_cdnow(sample=True)
    return simulate_lifecycle(3000, 24, seed=21).transactions


def _outputs(name: str) -> dict[str, np.ndarray]:
    """The arrays the reference stores for one log (works on the code before the speed-up too)."""
    log, kw = _log(name), LOGS[name]
    stages = lc.assign_stages(log, view="hindsight", **kw)
    current = lc.current_stages(log, view="hindsight", **kw)
    out = {
        "customer_id": stages["customer_id"].to_numpy(),
        "stage": stages["stage"].cat.codes.to_numpy(),
        "stage_probability": stages["stage_probability"].to_numpy(),
        "current_stage": current["stage"].cat.codes.to_numpy(),
        "periods_in_stage": current["periods_in_stage"].to_numpy(),
    }
    if kw["period"] == "M":
        counts, exposure = repeat_counts(build_panel(log, **kw))
        res = stage_probabilities(counts, exposure)
        # (n, m, 4) float64 arrays: stored as the digest of their bytes (and their shape)
        for key in ("filtered", "smoothed"):
            out[key + "_shape"] = np.array(res[key].shape)
            out[key + "_sha256"] = np.array(_digest(res[key]))
    return out


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


def _write() -> None:  # pragma: no cover - how the reference was made, on the old code
    arrays = {f"{name}_{k}": v for name in LOGS for k, v in _outputs(name).items()}
    np.savez_compressed(REFERENCE, **arrays)


@pytest.fixture(scope="module")
def ref():
    with np.load(REFERENCE) as z:
        return dict(z)


@pytest.mark.parametrize("name", list(LOGS))
@pytest.mark.parametrize("threads", ["1", "2"])
def test_hindsight_equals_the_code_before_the_speed_up(ref, name, threads, monkeypatch):
    monkeypatch.setenv("ANALYSIS_THREADS", threads)
    got = _outputs(name)
    stored = sorted(k[len(name) + 1 :] for k in ref if k.startswith(name + "_"))
    assert sorted(got) == stored
    for key, value in got.items():
        expected = ref[f"{name}_{key}"]
        assert value.dtype == expected.dtype, key
        np.testing.assert_array_equal(value, expected, err_msg=key, strict=True)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_long_frame_in_small_blocks_equals_the_reference(ref, threads, monkeypatch):
    # customer blocks of 128 (64 with two threads): the frame fills from ~25-50 blocks
    log = _log("sim_m")
    monkeypatch.setenv("ANALYSIS_THREADS", "1")
    whole = lc.assign_stages(log, view="hindsight", period="M")  # one block, one thread
    monkeypatch.setattr(stages_module, "_BLOCK", 128)
    monkeypatch.setenv("ANALYSIS_THREADS", threads)
    stages = lc.assign_stages(log, view="hindsight", period="M")
    pd.testing.assert_frame_equal(stages, whole, check_exact=True)  # every column
    np.testing.assert_array_equal(stages["stage"].cat.codes.to_numpy(), ref["sim_m_stage"])
    np.testing.assert_array_equal(
        stages["stage_probability"].to_numpy(), ref["sim_m_stage_probability"], strict=True
    )
    np.testing.assert_array_equal(stages["customer_id"].to_numpy(), ref["sim_m_customer_id"])


@pytest.mark.parametrize("threads", ["1", "2"])
def test_model_codes_do_not_depend_on_blocks_or_threads(threads, monkeypatch):
    log = simulate_lifecycle(3000, 24, seed=21).transactions
    days = purchase_days(log, "M")
    monkeypatch.setenv("ANALYSIS_THREADS", "1")
    codes, probability, history = model_stage_codes(days, "hindsight")
    monkeypatch.setenv("ANALYSIS_THREADS", threads)
    small = model_stage_codes(days, "hindsight", step=97)  # 30-odd blocks, an uneven last one
    np.testing.assert_array_equal(small[0], codes, strict=True)
    np.testing.assert_array_equal(small[1], probability, strict=True)
    np.testing.assert_array_equal(small[2], history, strict=True)
    assert (codes >= 0).sum() > 10_000  # a log with stages to compare
