"""The tail integral of the Pareto/NBD's dropout term, used per run by :mod:`.pareto_nbd_dynamic`."""

from __future__ import annotations

import numpy as np

from ._special import pnbd_log_j

__all__ = ["log_g"]


def log_g(w, wd, m, s):
    """log int_w^inf (v+d)^-m v^-(s+1) dv with wd = w + d > 0 (d of either sign).

    Returns the value and its partial derivatives in w, wd, m and s (d held as wd - w).
    """
    k = m + s
    out = [np.empty(w.shape) for _ in range(5)]
    pos = wd >= w
    for mask, sign in ((pos, True), (~pos, False)):
        if not mask.any():
            continue
        w1, wd1, k1, m1, s1 = w[mask], wd[mask], k[mask], m[mask], s[mask]
        if sign:  # c = w + d, u = d / (w + d), e = s + 1
            lc = np.log(wd1)
            lj, jk, je, ju = pnbd_log_j(k1, s1 + 1.0, (wd1 - w1) / wd1, np.log(w1 / wd1))
            parts = (
                -k1 * lc + lj,
                -ju / wd1,
                -k1 / wd1 + ju * w1 / wd1**2,
                -lc + jk,
                -lc + jk + je,
            )
        else:  # c = w, u = -d / w, e = m
            lc = np.log(w1)
            lj, jk, je, ju = pnbd_log_j(k1, m1, (w1 - wd1) / w1, np.log(wd1 / w1))
            parts = (
                -k1 * lc + lj,
                -k1 / w1 + ju * wd1 / w1**2,
                -ju / w1,
                -lc + jk + je,
                -lc + jk,
            )
        for o, v in zip(out, parts, strict=True):
            o[mask] = v
    return out
