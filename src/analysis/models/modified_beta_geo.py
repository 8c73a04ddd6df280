"""MBG/NBD model of Batislam, Denizel & Filiztekin (2007).

As the BG/NBD (:mod:`.beta_geo`), but a customer may also drop out right
after her first purchase (time 0), so customers without repeat purchases are
not certainly alive. With dropout probability p ~ Beta(a, b) at time 0 and
after every repeat purchase:

    L = B(a, b+x+1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + B(a+1, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x)),

    P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)),

    E[X(t)] = b/(a+b) h(a, b+1, r, t/alpha),
    E[Y(t) | x, t_x, T] = P(alive) h(a, b+x+1, r+x, t/(alpha+T)),

with h(A, B, R, z) = E[(1 - (1+pz)^-R)/p], p ~ Beta(A, B) (the published
closed forms with 2F1 are the same expressions).

Survival beyond T (``p_alive(data, t=t)``): the history with survival to T has
likelihood lambda^x e^(-lambda T) (1-p)^(x+1) (x+1 dropout chances survived,
the one at time 0 included), so given alive at T, lambda ~ Gamma(r+x,
alpha+T) and p ~ Beta(a, b+x+1), and

    P(alive at T+t | x, t_x, T) = P(alive | x, t_x, T) E[(1 + p t/(alpha+T))^-(r+x)],

the expectation over p ~ Beta(a, b+x+1) (BG/NBD: Beta(a, b+x)).
"""

from __future__ import annotations

import numpy as np

from ._special import bg_h
from .beta_geo import BetaGeo

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(BetaGeo):
    """MBG/NBD: BG/NBD with a dropout opportunity at the first purchase as well.

    Parameters (after ``fit``): ``r``, ``alpha``, ``a``, ``b`` as in
    :class:`~analysis.models.BetaGeo`. ``p_alive`` is below 1 also for
    customers without repeat purchases.
    """

    _extra_dropout = 1

    def _new_customer_purchases(self, t, prm):
        r, alpha, a, b = prm
        return b / (a + b) * bg_h(a, b + 1.0, r, np.asarray(t, dtype=float) / alpha)
