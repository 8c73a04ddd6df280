"""Pareto/NBD model of Schmittlein, Morrison & Colombo (1987).

A customer buys at Poisson rate lambda ~ Gamma(r, alpha) while alive and
lives an exponential lifetime with rate mu ~ Gamma(s, beta) (rates alpha and
beta). The likelihood (Fader & Hardie 2005, "A note on deriving the
Pareto/NBD model and related expressions") is

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s + s (F(t_x) - F(T)) ],

    F(tau) = int_tau^inf (alpha+v)^-(r+x) (beta+v)^-(s+1) dv
           = (c+tau)^-(r+s+x) J(r+s+x, e, |alpha-beta|/(c+tau)),

with c = max(alpha, beta) and e = s+1 when alpha >= beta, e = r+x otherwise:
the published choice of the hypergeometric argument by whether alpha >= beta,
which keeps it in [0, 1). J = 2F1(k, e; k+1; u)/k is evaluated in logs with
its gradient (:func:`._special.pnbd_log_j`): a positive series after Euler's
transformation for u <= 0.9 and a tanh-sinh quadrature beyond, where
``scipy.special.hyp2f1`` returns NaN or loses digits. F depends on the data
only through (x, tau), so it is evaluated once per distinct (x, t_x) and
(x, T) pair: with daily or weekly summaries that is a small fraction of the
customers.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, exprel, gammaln

from ._special import log1mexp, pnbd_dert_factor, pnbd_log_dropout_integral, pnbd_log_j
from .count import ContinuousCountModel
from .rows import unique_rows

__all__ = ["ParetoNBD"]


class ParetoNBD(ContinuousCountModel):
    """Pareto/NBD: Poisson purchases while alive, exponential lifetimes.

    Parameters (after ``fit``): ``r``, ``alpha`` (purchase rate ~ Gamma(r,
    rate alpha)) and ``s``, ``beta`` (dropout rate ~ Gamma(s, rate beta)).

    Covariates (``purchase_covariates``, ``dropout_covariates``: columns of
    the summary) make alpha_i = alpha exp(-g_p' z_i) and beta_i = beta
    exp(-g_d' z_i), as in CLVTools: exp(g_p) is a purchase-rate ratio and
    exp(g_d) a dropout-rate ratio per unit of z. See :mod:`.covariates`.
    """

    param_names = ("r", "alpha", "s", "beta")
    _cache_alive_now = False  # its log P(alive) is cached by content (_log_p_alive)
    dropout_params = ("s", "beta")
    dropout_scale = "beta"
    dropout_sign = -1.0
    shape_pairs = (
        ("r", "alpha", "gamma", "purchase rate"),
        ("s", "beta", "gamma", "dropout rate"),
    )
    _precomputed_marker = "_pair_tx"

    def _precompute(self, arrays, per_row: bool | None = None):
        per_row = self.has_covariates if per_row is None else per_row
        arrays = super()._precompute(arrays, per_row)
        x, tx, T = arrays["frequency"], arrays["recency"], arrays["T"]
        n = x.shape[0]
        if per_row:  # every row has its own (alpha, beta): F per row, at t_x and at T
            arrays["_pair_x"] = np.r_[x, x]
            arrays["_pair_tau"] = np.r_[tx, T]
            arrays["_pair_tx"] = np.arange(n)
            arrays["_pair_T"] = np.arange(n, 2 * n)
            return arrays
        pairs = np.column_stack([np.r_[x, x], np.r_[tx, T]])
        uniq, _, inv = unique_rows(pairs, return_inverse=True)
        arrays["_pair_x"] = uniq[:, 0]
        arrays["_pair_tau"] = uniq[:, 1]
        arrays["_pair_tx"] = inv[:n]
        arrays["_pair_T"] = inv[n:]
        return arrays

    def _start(self, initial_params, arrays):
        start = super()._start(initial_params, arrays)
        if initial_params is None:
            w = arrays["weight"]
            start[2] = 1.0
            start[3] = max(float(np.dot(w, arrays["T"]) / w.sum()), 1e-6)
        return start

    # ----- F(x, tau) on the distinct pairs -----------------------------------------------------
    @staticmethod
    def _log_f(params, px, ptau):
        """log F(x, tau) and its gradient in (r, alpha, s, beta), shape (n_pairs, 4).

        alpha and beta are floats or one value per pair; the hypergeometric
        argument is chosen per pair by whether alpha >= beta.
        """
        r, alpha, s, beta = params
        if np.ndim(alpha) == 0 and np.ndim(beta) == 0:
            return _log_f_branch(r, float(alpha), s, float(beta), px, ptau, alpha >= beta)
        alpha, beta = np.broadcast_arrays(alpha, beta, px)[:2]
        out = np.empty(px.shape[0])
        grad = np.empty((px.shape[0], 4))
        first = alpha >= beta
        for mask, branch in ((first, True), (~first, False)):
            if mask.any():
                out[mask], grad[mask] = _log_f_branch(
                    r, alpha[mask], s, beta[mask], px[mask], ptau[mask], branch
                )
        return out, grad

    def _row_pieces(self, prm, arrays):
        """Log-likelihood per row, its gradient, and log P(alive) per row, in one pass.

        ``prm`` holds floats, or (with covariates) arrays with one value per
        row, the rows then not grouped (see ``_precompute``).
        """
        r, alpha, s, beta = prm
        x, T = arrays["frequency"], arrays["T"]
        ux, xi = arrays["_x_unique"], arrays["_x_index"]
        pair = (r, alpha if np.ndim(alpha) == 0 else np.r_[alpha, alpha])
        pair += (s, beta if np.ndim(beta) == 0 else np.r_[beta, beta])
        log_f, g_f = self._log_f(pair, arrays["_pair_x"], arrays["_pair_tau"])
        i1, i2 = arrays["_pair_tx"], arrays["_pair_T"]
        lf1, lf2 = log_f[i1], log_f[i2]
        diff = np.minimum(lf2 - lf1, 0.0)  # F decreases in tau and T >= t_x
        with np.errstate(divide="ignore"):
            log_i = lf1 + log1mexp(diff)
        lT_a = np.log(alpha + T)
        lT_b = np.log(beta + T)
        u1 = -(r + x) * lT_a - s * lT_b
        u2 = np.log(s) + log_i
        m = np.logaddexp(u1, u2)
        const_x = gammaln(r + ux) - gammaln(r)
        ll = const_x[xi] + r * np.log(alpha) + s * np.log(beta) + m
        w1 = np.exp(u1 - m)
        w2 = np.exp(u2 - m)
        # d log I = (dF1 - q dF2) / (1 - q), q = F(T)/F(t_x); zero where I = 0 (w2 = 0)
        q = np.exp(diff)
        with np.errstate(divide="ignore", invalid="ignore"):
            one_m_q = -np.expm1(diff)
            d_log_i = (g_f[i1] - q[:, None] * g_f[i2]) / one_m_q[:, None]
        d_log_i = np.where((w2 > 0)[:, None] & np.isfinite(d_log_i), d_log_i, 0.0)
        grad = w2[:, None] * d_log_i
        psi_x = digamma(r + ux) - digamma(r)
        grad[:, 0] += psi_x[xi] + np.log(alpha) - w1 * lT_a
        grad[:, 1] += r / alpha - w1 * (r + x) / (alpha + T)
        grad[:, 2] += np.log(beta) - w1 * lT_b + w2 / s
        grad[:, 3] += s / beta - w1 * s / (beta + T)
        return ll, grad, u1 - m

    # ----- predictions ------------------------------------------------------------------------
    def _log_p_alive(self, x, tx, T, prm):
        varying = self._varying(prm)

        def compute():
            rows = {"frequency": x, "recency": tx, "T": T}
            arrays = self._precompute(rows, per_row=bool(varying))
            return self._row_pieces(prm, arrays)[2]

        return self._memo("log_p_alive", (x, tx, T, *(prm[i] for i in varying)), compute)

    def _p_alive_now(self, x, tx, T, prm):
        """P(alive at T | x, t_x, T) (Schmittlein, Morrison & Colombo 1987)."""
        return np.exp(self._log_p_alive(x, tx, T, prm))

    def _alive_purchases(self, x, T, t, prm):
        """(r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)], s = 1 exactly."""
        r, alpha, s, beta = prm
        L1 = np.log1p(t / (beta + T))
        return (r + x) / (alpha + T) * (beta + T) * L1 * exprel(-(s - 1.0) * L1)

    def _alive_survival(self, x, T, t, prm):
        """P(alive at T+t | alive at T) = ((beta+T)/(beta+T+t))^s.

        Given lambda and mu, the history together with survival to T has
        likelihood lambda^x e^(-lambda T) e^(-mu T), which factorises, so
        given alive at T the dropout rate mu ~ Gamma(s, rate beta+T) whatever
        the purchases (x, t_x); the exponential lifetime is memoryless, so
        P(alive at T+t | alive at T, mu) = e^(-mu t), and its average over
        that Gamma is ((beta+T)/(beta+T+t))^s.
        """
        s, beta = prm[2:]
        return np.exp(-s * np.log1p(t / (beta + T)))

    def _alive_pmf(self, x, T, n, t, prm):
        r, alpha, s, beta = prm
        return _pnbd_pmf(n, t, r + x, alpha + T, s, beta + T)

    def _new_customer_purchases(self, t, prm):
        """r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)], the s = 1 limit handled exactly."""
        r, alpha, s, beta = prm
        L0 = np.log1p(np.asarray(t, dtype=float) / beta)
        return r / alpha * beta * L0 * exprel(-(s - 1.0) * L0)

    def _new_customer_pmf(self, n, t, prm):
        r, alpha, s, beta = prm
        return _pnbd_pmf(n, t, r, alpha, s, beta)

    def _dert_continuous(self, x, tx, T, delta, prm):
        """Fader, Hardie & Lee (2005, "RFM and CLV"), with U the confluent hypergeometric function:

        DERT = P(alive) (r+x)/(alpha+T) * (beta+T)^s delta^(s-1) U(s, s; delta (beta+T))

        (``scipy.special.hyperu``, with a quadrature fallback where it fails).
        """
        r, alpha, s, beta = prm
        # the factor depends on beta + T alone: evaluated on its distinct values
        uniq, _, inv = unique_rows(beta + T, return_inverse=True)
        g = pnbd_dert_factor(s, delta * uniq[:, 0])[inv]
        return np.exp(self._log_p_alive(x, tx, T, prm)) * (r + x) / (alpha + T) * g / delta


def _pnbd_pmf(n, t, r, alpha, s, beta):
    """P(X(t) = n) of a Pareto/NBD customer alive at time 0, vectorised (arrays broadcast).

    Alive through t with n purchases, or dropped out at tau < t after n
    purchases in (0, tau]; the second part is a one-dimensional integral over
    tau evaluated by tanh-sinh quadrature in logs
    (:func:`._special.pnbd_log_dropout_integral`).
    """
    n, t, r, alpha, s, beta = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (n, t, r, alpha, s, beta))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        lgam = gammaln(r + n) - gammaln(r) - gammaln(n + 1)
        log_1mq = np.where(t > 0, np.log(t) - np.log(alpha + t), -np.inf)
        term1 = (
            lgam
            + r * (np.log(alpha) - np.log(alpha + t))
            + np.where(n > 0, n * log_1mq, 0.0)
            + s * (np.log(beta) - np.log(beta + t))
        )
        term2 = (
            lgam
            + r * np.log(alpha)
            + np.log(s)
            + s * np.log(beta)
            + pnbd_log_dropout_integral(n, t, r, alpha, s, beta)
        )
        return np.exp(np.logaddexp(term1, term2))


def _log_f_branch(r, alpha, s, beta, px, ptau, alpha_first: bool):
    """log F(x, tau) and its gradient with the argument for alpha >= beta (or not), all pairs one way."""
    k = r + s + px
    grad = np.empty((px.shape[0], 4))
    if alpha_first:
        lc = np.log(alpha + ptau)
        lj, jk, je, ju = pnbd_log_j(
            k, s + 1.0, (alpha - beta) / (alpha + ptau), np.log(beta + ptau) - lc
        )
        grad[:, 0] = -lc + jk
        grad[:, 2] = -lc + jk + je
        grad[:, 1] = -k / (alpha + ptau) + ju * (beta + ptau) / (alpha + ptau) ** 2
        grad[:, 3] = -ju / (alpha + ptau)
    else:
        lc = np.log(beta + ptau)
        lj, jk, je, ju = pnbd_log_j(
            k, r + px, (beta - alpha) / (beta + ptau), np.log(alpha + ptau) - lc
        )
        grad[:, 0] = -lc + jk + je
        grad[:, 2] = -lc + jk
        grad[:, 1] = -ju / (beta + ptau)
        grad[:, 3] = -k / (beta + ptau) + ju * (alpha + ptau) / (beta + ptau) ** 2
    return -k * lc + lj, grad
