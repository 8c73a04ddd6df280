"""The Gaussian hypergeometric function 2F1(1, b; c; z) of the discounted-value formulas.

The BG/BB DERT (Fader, Hardie & Shang 2010, eq. 14) and the sBG DERL (Fader
& Hardie 2010) are ratios of Beta functions times 2F1(1, b; c; 1/(1+d)), a
series with positive terms whose ratio tends to z. :func:`hyp2f1_one` uses
scipy's ``hyp2f1`` where its value passes checks and sums the series where it
does not.
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1

__all__ = ["hyp2f1_one"]


def hyp2f1_one(b, c, z: float) -> np.ndarray:
    """2F1(1, b; c; z) = sum_k (b)_k/(c)_k z^k for 0 <= z < 1 and c > b > 0 (DERT, DERL).

    scipy's ``hyp2f1`` is fast but returns nan or inf for large b or c (long
    histories, near-deterministic parameters). Its value is kept only when it
    is finite, within the bounds 1 <= F <= 1/(1-z) that the positive,
    decreasing-ratio series implies, and satisfies the contiguous relation
    F(b, c) = 1 + (b/c) z F(b+1, c+1); otherwise the series is summed directly
    (:func:`_hyp2f1_one_series`).

    Parameters
    ----------
    b, c : array-like
        Parameters, broadcast together.
    z : float
        Argument in [0, 1).

    Returns
    -------
    ndarray
        The function values, in the broadcast shape of ``b`` and ``c``.
    """
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    b, c = np.broadcast_arrays(b, c)
    if not (0 <= z < 1):
        raise ValueError(f"z must lie in [0, 1), got {z!r}")
    with np.errstate(all="ignore"):
        fast = hyp2f1(1.0, b, c, z)
        shifted = hyp2f1(1.0, b + 1, c + 1, z)
        relation = 1.0 + b / c * z * shifted
    upper = 1.0 / (1.0 - z)
    ok = np.isfinite(fast) & np.isfinite(relation)
    ok &= (fast >= 1.0 - 1e-12) & (fast <= upper * (1 + 1e-12))
    with np.errstate(all="ignore"):
        ok &= np.abs(relation - fast) <= 1e-10 * np.abs(fast)
    out = np.where(ok, fast, np.nan)
    if not ok.all():
        bad = ~ok
        out[bad] = _hyp2f1_one_series(b[bad], c[bad], z)
    return out


_SERIES_BLOCK = 1 << 16
_SERIES_MAX_TERMS = 200_000_000


def _hyp2f1_one_series(b: np.ndarray, c: np.ndarray, z: float) -> np.ndarray:
    """Direct series of 2F1(1, b; c; z), summed in blocks of terms for each distinct (b, c).

    Term k is exp(sum_{j<k} -log1p((c-b)/(b+j)) + k log z) <= z^k, so the terms
    never overflow and the tail after K terms is at most term_K / (1 - z);
    summation stops when that bound falls below 1e-17 of the total. The number
    of terms grows like 40 / -log(z) (about 40/d for z = 1/(1+d)).
    """
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    out = np.empty(b.shape)
    if b.size == 0:
        return out
    if z == 0:
        out[...] = 1.0
        return out
    log_z = np.log(z)
    pairs, inverse = np.unique(np.column_stack([b.ravel(), c.ravel()]), axis=0, return_inverse=True)
    values = np.empty(len(pairs))
    for idx, (bb, cc) in enumerate(pairs):
        alpha = cc - bb
        total = 0.0
        log_r = 0.0  # log (b)_k/(c)_k at the block's first k
        start = 0
        while True:
            j = start + np.arange(_SERIES_BLOCK, dtype=float)
            steps = -np.log1p(alpha / (bb + j))
            log_terms = log_r + np.concatenate([[0.0], np.cumsum(steps[:-1])]) + j * log_z
            total += float(np.sum(np.exp(log_terms)))
            log_r += float(np.sum(steps))
            start += _SERIES_BLOCK
            log_next = log_r + start * log_z
            if np.exp(log_next) / (1.0 - z) <= 1e-17 * total:
                break
            if start >= _SERIES_MAX_TERMS:
                raise ValueError(
                    f"2F1(1, {bb:g}; {cc:g}; {z:g}) did not converge in {start} terms: the discount "
                    "rate per period is too small; use a larger rate or a coarser period."
                )
        values[idx] = total
    out[...] = values[inverse.ravel()].reshape(b.shape)
    return out
