"""Checks shared by the tests of the continuous-time count models (BG/NBD, MBG/NBD, Pareto/NBD)."""

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
    purchases = cdnow_fit.expected_purchases_grid(ts, data)
    alive = cdnow_fit.p_alive_grid(ts, data)
    for j, t in enumerate(ts):
        np.testing.assert_allclose(
            purchases.at(j), cdnow_fit.expected_purchases(t, data), rtol=1e-12, atol=0
        )
        np.testing.assert_allclose(alive.at(j), cdnow_fit.p_alive(data, t), rtol=1e-12, atol=0)
    table = purchases.to_frame()
    assert table.index.equals(data.index) and table.shape == (len(data), ts.size)
    np.testing.assert_array_equal(table.iloc[:, 3], purchases.at(3))
    weights = np.linspace(1.0, 0.5, ts.size)
    np.testing.assert_allclose(purchases.combine(weights), table.to_numpy() @ weights, rtol=1e-12)
    steps = purchases.increments()
    np.testing.assert_allclose(steps.at(2), purchases.at(2) - purchases.at(1), rtol=1e-12)
    with pytest.raises(ValueError, match="non-negative"):
        cdnow_fit.expected_purchases_grid([1.0, -1.0], data)
    with pytest.raises(ValueError, match="1-d"):
        cdnow_fit.p_alive_grid(2.0, data)
    with pytest.raises(RuntimeError, match="not fitted"):
        type(cdnow_fit)().expected_purchases_grid(ts, data)
