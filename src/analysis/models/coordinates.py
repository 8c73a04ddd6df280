"""Where the optimiser searches: log parameters, and heterogeneity pairs as (mean, kappa).

Each parameter is positive and is searched on the log scale, except the
pairs that describe one heterogeneous quantity (``shape_pairs``): a gamma distribution's shape and rate (r, alpha of the
purchase rate; s, beta of the Pareto/NBD dropout rate; q, gamma of the
Gamma-Gamma spend scale) or a beta distribution's two shapes (a, b of the
BG/NBD dropout probability). A pair is searched as (log of its mean,
log kappa), kappa = 1/shape for a gamma and 1/(a + b) for a beta: the squared
coefficient of variation up to a constant. When the data show no
heterogeneity the likelihood rises along a ridge on which both parameters
run off to infinity with their mean fixed; in these coordinates the ridge is
the edge kappa = ``KAPPA_MIN``, a point the optimiser reaches and stops at on
every machine, instead of a walk towards infinity whose end (and whose exit
status) depends on the last bits of the arithmetic. A fit that ends there is
the limit model (every customer has the same rate), flagged as not
identifying the pair's two parameters separately; its mean is identified.

Covariate coefficients (``free_params``, e.g. ``purchase:channel``) may take
any sign. The parameter vector the optimiser's coordinates map to is "log of
each positive parameter, the coefficient itself" (:meth:`PairCoordinates._natural`).
A coefficient g multiplies a base scale parameter by exp(sign g z) per customer
(alpha_i = alpha exp(-g z), gamma_i = gamma exp(d z), ...). It is searched
centred and in units of its covariate's spread: the coordinate is g sd(z), and
the scale parameter's log is that of a customer with the mean covariates,
log alpha + sign g mean(z). A covariate in days (spread ~2,000) otherwise has a
gradient 2,000 times the others' and L-BFGS-B's first step sends its
coefficient to the bound; a covariate far from 0 ties its coefficient to the
scale parameter. The map is linear (:meth:`PairCoordinates._centring`), so the
fit is reported on the user's scale exactly: a covariate x and 1,000 x + 5,000
give the same likelihood and coefficients in the ratio 1,000. The bound of a
coefficient, +-``COEF_BOUND`` / max|z - mean(z)|, keeps each customer's factor
exp(sign g (z - mean z)) within exp(+-25), whatever the covariate's unit.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "COEF_BOUND",
    "KAPPA_MAX_BETA",
    "KAPPA_MIN",
    "LOG_BOUND",
    "MEAN_BOUND",
    "PairCoordinates",
    "inverse_information",
    "negligible_gradient",
    "newton_polish",
    "numerical_hessian",
]

LOG_BOUND = 25.0  # parameters are kept within exp(+-25) ~ [1.4e-11, 7.2e10]
#: the smallest heterogeneity searched: kappa = 1/shape (gamma) or 1/(a + b) (beta), i.e. a
#: shape of at most 10,000; the coefficient of variation there is 1% (gamma), which no
#: customer base can tell from none (on the synthetic study log, Pareto/NBD's
#: log-likelihood there is about 0.004 below the limit's, against 0.05 for NO_GAIN)
KAPPA_MIN = 1e-4
#: the largest kappa of a beta pair: a + b >= 1e-4. As a + b -> 0 the beta distribution
#: becomes two point masses (probability 0 for some customers, 1 for the others), a limit
#: whose likelihood the optimiser approaches without end; it stops at this edge instead
KAPPA_MAX_BETA = 1e4
#: how close (in the optimiser's coordinates) a coordinate pushed towards a bound must be
#: for the final polish to try it on the bound (kept only if the objective does not rise).
#: On a ridge L-BFGS-B's line search may give up anywhere on the last flat stretch: 0.16
#: short of kappa's edge on the two_months log with one summation order, on it with another
SNAP = 0.5
#: the bound of a covariate coefficient (a rate ratio of exp(25) per unit of the covariate)
COEF_BOUND = LOG_BOUND
#: the bound of the log of a pair's mean (gamma) or of log(a / b) (beta)
MEAN_BOUND = 2 * LOG_BOUND


class PairCoordinates:
    """The optimiser's coordinates of a model with ``param_names`` and ``shape_pairs``."""

    param_names: tuple[str, ...] = ()
    #: pairs searched as (mean, heterogeneity): (shape, rate or second shape, "gamma" or
    #: "beta", what the pair describes); see the module docstring
    shape_pairs: tuple[tuple[str, str, str, str], ...] = ()
    #: parameters of any sign (covariate coefficients), searched on their own scale
    free_params: tuple[str, ...] = ()

    # ----- covariate coefficients: centred and scaled (see the module docstring) --------------
    def _coef_targets(self) -> tuple[tuple[int, float], ...]:
        """Per free parameter: (position of the scale parameter it moves, sign of its exponent).

        Empty (the default): the coefficients are searched as they are.
        """
        return ()

    def _set_coef_scaling(self, z: np.ndarray, weight=None) -> None:
        """Record each coefficient's covariate mean, spread and reach from the fitted rows.

        ``z`` has one column per free parameter (a column twice when a covariate
        enters two processes); ``weight`` the rows' weights (default 1).
        """
        z = np.asarray(z, dtype=float)
        w = np.ones(z.shape[0]) if weight is None else np.asarray(weight, dtype=float)
        center = np.average(z, axis=0, weights=w)
        spread = np.sqrt(np.average((z - center) ** 2, axis=0, weights=w))
        reach = np.max(np.abs(z - center), axis=0)
        self._coef_center, self._coef_spread, self._coef_reach = center, spread, reach

    def _coef_scaling(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, spread, reach = max |z - mean|) per coefficient; (0, 1, 1) when not recorded."""
        k = len(self.free_params)
        center = getattr(self, "_coef_center", None)
        if center is None or len(center) != k or not self._coef_targets():
            return np.zeros(k), np.ones(k), np.ones(k)
        spread, reach = self._coef_spread, self._coef_reach
        return center, np.where(spread > 0, spread, 1.0), np.where(reach > 0, reach, 1.0)

    def _centring(self) -> np.ndarray | None:
        """The matrix M with centred coordinates = M @ (log parameters, coefficients); None if none.

        Row of a coefficient: its spread on the diagonal. Row of a scale
        parameter: 1 on the diagonal, sign x mean in each column of a
        coefficient that moves it.
        """
        targets = self._coef_targets()
        if not targets:
            return None
        center, spread, _ = self._coef_scaling()
        mat = np.eye(len(self.param_names))
        for k, (j, sign), c, s in zip(
            np.flatnonzero(self._free_mask()), targets, center, spread, strict=True
        ):
            mat[k, k] = s
            mat[j, k] = sign * c
        return mat

    def _centre(self, u: np.ndarray) -> np.ndarray:
        mat = self._centring()
        return np.asarray(u, dtype=float) if mat is None else mat @ np.asarray(u, dtype=float)

    def _uncentre(self, v: np.ndarray) -> np.ndarray:
        mat = self._centring()
        return np.asarray(v, dtype=float) if mat is None else np.linalg.solve(mat, v)

    def _centre_grad(self, grad_u: np.ndarray) -> np.ndarray:
        """The gradient in the centred coordinates from the gradient in (log parameters, coefficients)."""
        mat = self._centring()
        g = np.asarray(grad_u, dtype=float)
        return g if mat is None else np.linalg.solve(mat.T, g)

    def _coef_z_bounds(self) -> list[tuple[float, float]]:
        """Bounds of the coefficients' searched coordinates, g sd(z): |g| max|z - mean| <= COEF_BOUND."""
        _, spread, reach = self._coef_scaling()
        return [
            (-COEF_BOUND * s / r, COEF_BOUND * s / r) for s, r in zip(spread, reach, strict=True)
        ]

    def _free_mask(self) -> np.ndarray:
        free = set(self.free_params)
        return np.array([name in free for name in self.param_names], dtype=bool)

    def _natural(self, u: np.ndarray) -> np.ndarray:
        """Parameters from the searched vector: exp of the log of a positive one, a coefficient as is."""
        u = np.asarray(u, dtype=float)
        if not self.free_params:
            return np.exp(u)
        free = self._free_mask()
        return np.where(free, u, np.exp(np.where(free, 0.0, u)))

    def _searched(self, params: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`_natural`: log of the positive parameters, coefficients as is."""
        params = np.asarray(params, dtype=float)
        if not self.free_params:
            return np.log(params)
        free = self._free_mask()
        return np.where(free, params, np.log(np.where(free, 1.0, params)))

    def _natural_jacobian(self, params: np.ndarray) -> np.ndarray:
        """d parameter / d searched value: the parameter itself (log scale), 1 for a coefficient."""
        params = np.asarray(params, dtype=float)
        return np.where(self._free_mask(), 1.0, params) if self.free_params else params

    def _pair_index(self) -> list[tuple[int, int, str]]:
        names = list(self.param_names)
        return [(names.index(a), names.index(b), kind) for a, b, kind, _ in self.shape_pairs]

    def _to_z(self, log_params: np.ndarray) -> np.ndarray:
        """The optimiser's coordinates of log parameters (pairs as log mean, log kappa)."""
        log_params = self._centre(log_params)
        z = np.array(log_params, dtype=float)
        for i, j, kind in self._pair_index():
            li, lj = log_params[i], log_params[j]
            z[i] = li - lj  # gamma: log(shape / rate), the mean; beta: log(a / b)
            z[j] = -li if kind == "gamma" else -np.logaddexp(li, lj)
        return z

    def _from_z(self, z: np.ndarray) -> np.ndarray:
        """Log parameters of the optimiser's coordinates (the inverse of :meth:`_to_z`)."""
        log_params = np.array(z, dtype=float)
        for i, j, kind in self._pair_index():
            u, v = z[i], z[j]
            if kind == "gamma":
                log_params[i], log_params[j] = -v, -v - u
            else:
                log_params[i] = -v - np.logaddexp(0.0, -u)
                log_params[j] = -v - np.logaddexp(0.0, u)
        return self._uncentre(log_params)

    def _grad_z(self, z: np.ndarray, grad_log: np.ndarray) -> np.ndarray:
        """The gradient in the optimiser's coordinates from the gradient in the log parameters."""
        grad_log = self._centre_grad(grad_log)
        g = np.array(grad_log, dtype=float)
        for i, j, kind in self._pair_index():
            gi, gj = grad_log[i], grad_log[j]
            if kind == "gamma":
                g[i] = -gj
            else:
                sig = 0.5 * (1.0 + np.tanh(0.5 * z[i]))  # a / (a + b), overflow-free
                g[i] = gi * (1.0 - sig) - gj * sig
            g[j] = -(gi + gj)
        return g

    def _z_bounds(self) -> list[tuple[float, float]]:
        bounds = [(-LOG_BOUND, LOG_BOUND)] * len(self.param_names)
        for k, bound in zip(np.flatnonzero(self._free_mask()), self._coef_z_bounds(), strict=True):
            bounds[k] = bound
        for i, j, kind in self._pair_index():
            bounds[i] = (-MEAN_BOUND, MEAN_BOUND)
            top = np.log(KAPPA_MAX_BETA) if kind == "beta" else LOG_BOUND
            bounds[j] = (float(np.log(KAPPA_MIN)), float(top))
        return bounds

    def _z_at_bound(self, z: np.ndarray) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]]:
        """Parameters whose coordinates end at a bound, and the pairs at an edge of kappa.

        Returns the flagged parameter names and ``(pair, "low" or "high")`` for
        each pair whose kappa ends at its smallest or largest value. A
        coordinate is at its bound only when it equals the bound (L-BFGS-B
        projects onto the box, so a run that ends there ends exactly there).
        """
        bounds = self._z_bounds()
        names = list(self.param_names)
        hit = {k for k, (lo, hi) in enumerate(bounds) if z[k] <= lo + 1e-9 or z[k] >= hi - 1e-9}
        flagged: set[int] = set()
        edges: list[tuple[int, str]] = []
        paired: set[int] = set()
        for p, (i, j, _) in enumerate(self._pair_index()):
            paired |= {i, j}
            if i in hit or j in hit:
                flagged |= {i, j}
            if z[j] <= bounds[j][0] + 1e-9:
                edges.append((p, "low"))
            elif z[j] >= bounds[j][1] - 1e-9:
                edges.append((p, "high"))
        flagged |= hit - paired
        return tuple(names[k] for k in sorted(flagged)), tuple(edges)

    def _ridge_explanation(
        self, edges: tuple[tuple[int, str], ...]
    ) -> tuple[tuple[str, ...], str] | None:
        """What a fit at an edge of kappa means, in the pair's terms (None when none is at one)."""
        if not edges:
            return None
        names: list[str] = []
        parts = []
        params = self.params
        #: the means a ridge leaves identified, by pair ("mean(s,beta)"), for the fit to keep
        self._edge_means = {}
        for p, side in edges:
            a, b, kind, what = self.shape_pairs[p]
            names += [a, b]
            value = (
                params[a] / params[b] if kind == "gamma" else params[a] / (params[a] + params[b])
            )
            mean = f"{a}/{b}" if kind == "gamma" else f"{a}/({a}+{b})"
            mean = f"{mean} = {value:.4g}"
            if side == "low":
                self._edge_means[f"mean({a},{b})"] = float(value)
                cap = (
                    f"{a} = {1 / KAPPA_MIN:,.0f}"
                    if kind == "gamma"
                    else f"{a} + {b} = {1 / KAPPA_MIN:,.0f}"
                )
                parts.append(
                    f"the data show no heterogeneity in the {what}: {a} and {b} grow without "
                    f"bound together (stopped at {cap}), so only their mean ({mean}) is "
                    f"identified: every customer has the same {what}"
                )
            elif kind == "beta":
                parts.append(
                    f"the {what} is 0 for some customers and 1 for the others: {a} and {b} run "
                    f"to zero together (stopped at {a} + {b} = {1 / KAPPA_MAX_BETA:g}), so only "
                    f"the share at 1 ({mean}) is identified"
                )
            else:
                parts.append(
                    f"the {what} is spread over many orders of magnitude: {a} runs to zero "
                    f"(stopped at {a} = {params[a]:.3g}); only the mean ({mean}) is identified"
                )
        return tuple(names), (
            "; ".join(parts)
            + ". The fit is the limit model's, the same on every machine; the pair's two "
            "parameters are not identified separately, only the predictions of the limit are."
        )


def newton_polish(fun, z, bounds, steps: int = 3, h: float = 1e-5):
    """A few Newton steps from an optimiser's end, on the coordinates not held at a bound.

    L-BFGS-B stops when the objective no longer falls measurably, which on a
    flat likelihood leaves the estimates wherever its path happened to be (the
    4th significant figure of a weakly identified mean then differs between a
    log and the same log scaled by 1 + 1e-12). Newton's method converges
    quadratically to the stationary point itself, whatever the path. The
    Hessian is the central difference of the analytic gradient; a step is
    kept only when the objective does not rise, and coordinates at a bound
    whose gradient pushes outward stay there.

    Parameters
    ----------
    fun : callable
        ``fun(z) -> (value, gradient)`` to be minimised.
    z : ndarray
        The optimiser's end.
    bounds : list of (low, high)

    Returns
    -------
    (z, value, evaluations)
    """
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    z = np.array(z, dtype=float)
    f, g = fun(z)
    evaluations = 1
    hess, hess_free = None, None  # the last Hessian and the coordinates it is on
    for _ in range(steps):
        if g is None or not np.all(np.isfinite(g)):
            break
        # a coordinate within SNAP of a bound, pushed towards it, goes onto it when that does
        # not raise the objective: a ridge's edge is then reached exactly on every machine,
        # not at 9,997 on one and 10,000 on another
        down = (z - lo < SNAP) & (z > lo) & (g > 0)
        up = (hi - z < SNAP) & (z < hi) & (g < 0)
        if down.any() or up.any():
            trial = np.where(down, lo, np.where(up, hi, z))
            f_snap, g_snap = fun(trial)
            evaluations += 1
            if np.isfinite(f_snap) and f_snap <= f + 1e-12 * max(1.0, abs(f)):
                z, f, g = trial, f_snap, g_snap
                hess = None
        held = ((z <= lo + 1e-9) & (g > 0)) | ((z >= hi - 1e-9) & (g < 0))
        free = np.flatnonzero(~held)
        if free.size == 0 or np.max(np.abs(g[free])) < 1e-12:
            break
        # after a first step the Hessian barely changes: the later steps reuse it (each new one
        # costs 2 gradients per coordinate), converging as fast from so close to the optimum
        fresh = hess is None or not np.array_equal(free, hess_free)
        if fresh:
            hess, hess_free = np.empty((free.size, free.size)), free
            for col, k in enumerate(free):
                step = np.zeros_like(z)
                step[k] = h
                gp = fun(z + step)[1]
                gm = fun(z - step)[1]
                evaluations += 2
                hess[:, col] = (gp[free] - gm[free]) / (2 * h)
            hess = 0.5 * (hess + hess.T)
        try:
            if fresh and np.min(np.linalg.eigvalsh(hess)) <= 0:
                break  # not a minimum in these coordinates: leave it to the optimiser's end
            delta = np.linalg.solve(hess, -g[free])
        except np.linalg.LinAlgError:
            break
        trial = z.copy()
        trial[free] = np.clip(z[free] + delta, lo[free], hi[free])
        f_new, g_new = fun(trial)
        evaluations += 1
        # at the optimum a step that only shrinks the gradient may raise f by its rounding
        # (4.320489944032271 against ...27 on a Gamma-Gamma fit): kept when the gradient falls
        level = f_new <= f + 4 * np.spacing(abs(f)) and np.max(np.abs(g_new[free])) < np.max(
            np.abs(g[free])
        )
        if not (np.isfinite(f_new) and (f_new <= f or level)):
            break
        z, f, g = trial, f_new, g_new
    return z, f, evaluations


def numerical_hessian(total, gradient, params: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Hessian of ``total`` at ``params`` by central differences with steps ``h``.

    With ``gradient`` (a function returning the analytic gradient) it is the
    symmetrised central difference of the gradient (2k evaluations);
    otherwise the second differences of ``total`` itself.
    """
    k = len(params)
    hess = np.empty((k, k))
    if gradient is not None:
        for i in range(k):
            step = np.zeros(k)
            step[i] = h[i]
            hess[:, i] = (gradient(params + step) - gradient(params - step)) / (2 * h[i])
        return 0.5 * (hess + hess.T)
    f0 = total(params)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hess[i, i] = (total(params + ei) - 2 * f0 + total(params - ei)) / h[i] ** 2
        for j in range(i + 1, k):
            ej = np.zeros(k)
            ej[j] = h[j]
            val = (
                total(params + ei + ej)
                - total(params + ei - ej)
                - total(params - ei + ej)
                + total(params - ei - ej)
            ) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    return hess


def inverse_information(hess: np.ndarray, keep=None) -> np.ndarray:
    """The covariance: the inverse of minus the Hessian, on the parameters ``keep`` (NaN elsewhere).

    Parameters
    ----------
    hess : ndarray
        Hessian of the log-likelihood in the natural parameters.
    keep : sequence of bool, optional
        Which parameters to keep (all by default); the others' rows and
        columns are NaN, and they do not enter the inverse.
    """
    k = hess.shape[0]
    keep = np.ones(k, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    cov = np.full((k, k), np.nan)
    idx = np.flatnonzero(keep)
    if idx.size:
        try:
            cov[np.ix_(idx, idx)] = np.linalg.inv(-hess[np.ix_(idx, idx)])
        except np.linalg.LinAlgError:
            pass
    return cov


def negligible_gradient(objective, z, bounds, eps: float = 1e-5) -> bool:
    """True when the gradient of ``objective`` at ``z``, projected on the box, is negligible.

    L-BFGS-B sometimes reports "ABNORMAL" line-search ends at a true optimum.
    The gradient is taken by central differences in the optimiser's
    coordinates; a coordinate at its bound whose gradient pushes outward
    counts as zero. Negligible: every component below 1e-6 of the objective.
    """
    f0 = objective(z)
    grads = []
    for i, (lo, hi) in enumerate(bounds):
        step = np.zeros_like(z)
        step[i] = eps
        g = (objective(z + step) - objective(z - step)) / (2 * eps)
        if (z[i] <= lo + 1e-9 and g > 0) or (z[i] >= hi - 1e-9 and g < 0):
            g = 0.0  # at the bound, pushing outward: stationary for the box
        grads.append(g)
    return bool(np.all(np.isfinite(grads)) and np.max(np.abs(grads)) <= 1e-6 * max(1.0, abs(f0)))
