"""Intervals for each customer's P(alive), expected purchases and CLV, and for segment totals.

Method: parametric draws of the fitted models' parameters from their
estimates' asymptotic distribution, on the log scale
(:func:`analysis.models.uncertainty.draw_models`); every prediction is
evaluated at each draw, and the interval at ``level`` is the equal-tailed
pair of quantiles of those values (``docs/intervals.md``). The count
model's draws and, when the spend per purchase comes from a fitted
Gamma-Gamma, that model's draws are taken independently (the two are fitted
separately, so their estimates have no joint covariance). A spend that is not
a fitted model (a fixed value per purchase, or each customer's observed mean
spend when Gamma-Gamma could not be fitted) is taken as known: it adds no
width, and the CLV interval then shows the count model's uncertainty alone.

What the intervals describe: how sure the model is of a customer's
*expected* purchases and value, given its form and the data. They do not
cover the Poisson noise of the purchases she will actually make, nor the
error of the model's form.

Speed: a summary has far fewer distinct (frequency, recency, T) rows than
customers (CDNOW: 11,104 of 23,570; 1,431 distinct (frequency, T) for the
horizon grid), so every draw is evaluated on the distinct rows and mapped
back. The CLV's discounting grid is the cost of a draw: the draws discount
in quarterly steps, corrected row by row to the point's monthly grid (see
:class:`_Draws`). 200 draws of BG/NBD on CDNOW take about 4 s.

The point values are exactly the customer table's: ``p_alive`` from the
count model and ``expected_purchases_horizon`` and ``clv`` from
:func:`analysis.clv.customer_lifetime_value` with the same arguments. Each
interval is widened, where needed, to contain its point (see
:func:`customer_intervals`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from ..models.pareto_nbd import ParetoNBD
from ..models.protocol import SpendModel
from ..models.rows import unique_rows
from ..models.uncertainty import DEFAULT_DRAWS, ParetoNBDDraws, draw_models, spend_draws
from ..threads import each_block
from ..units import continuous_rate, units_per_year
from .model import customer_lifetime_value

__all__ = ["DRAW_STEPS_PER_YEAR", "INTERVAL_LEVEL", "customer_intervals", "total_intervals"]

#: the default confidence level of the intervals
INTERVAL_LEVEL: float = 0.9
#: discounting steps a year of the draws' CLV grid (the point's grid, monthly by default,
#: is kept through a per-row correction; see _Draws)
DRAW_STEPS_PER_YEAR: int = 4
#: customers whose CLV draws are held in memory at once (draws x chunk floats)
_CHUNK: int = 20_000
#: distinct count rows whose P(alive) and purchase draws are held at once (rows x draws floats)
_BLOCK: int = 10_000

_COUNT_COLUMNS = ("frequency", "recency", "T")
_SPEND_COLUMNS = ("frequency", "monetary_value")


def _check_level(level) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be a probability in (0, 1), e.g. 0.9; got {level!r}")
    return level


def _check_spend_model(spend, spend_model):
    """The fitted spend model to draw from (or None), refusing one that is not fitted."""
    if spend_model is None and isinstance(spend, SpendModel):
        spend_model = spend
    if spend_model is None:
        return None
    if not isinstance(spend_model, SpendModel) or getattr(spend_model, "params", None) is None:
        raise TypeError(
            "spend_model must be a fitted spend model (analysis.models.GammaGamma after .fit) or "
            f"None; got {type(spend_model).__name__}"
            + (" that is not fitted" if isinstance(spend_model, SpendModel) else "")
        )
    return spend_model


def _seeds(seed: int) -> tuple[int, int]:
    """Two independent seeds from one: the count model's draws and the spend model's."""
    children = np.random.SeedSequence(int(seed)).spawn(2)
    return tuple(int(c.generate_state(1)[0]) for c in children)  # type: ignore[return-value]


class _Draws:
    """The point values and the draws of one set of models on one summary.

    Per draw, the count model's discounted purchases are held on the
    distinct rows of its data (``discounted``: rows x draws) and the spend
    per purchase on the distinct (frequency, monetary_value) rows (``spend``:
    rows x draws); ``row`` and ``spend_row`` map customers to them. With a
    ``level``, the bounds of P(alive) and of the horizon's purchases on the
    distinct rows are taken a block of rows at a time as the draws are made
    (``p_alive_bounds``, ``purchases_bounds``), so those draws are never
    held whole.
    """

    def __init__(
        self,
        count_model,
        spend,
        summary,
        spend_model,
        settings,
        n_draws,
        seed,
        points=None,
        level=None,
    ):
        if not isinstance(summary, pd.DataFrame):
            raise TypeError(f"summary must be a DataFrame, got {type(summary).__name__}")
        if int(n_draws) != n_draws or n_draws < 1:
            raise ValueError(f"n_draws must be a whole number >= 1, got {n_draws!r}")
        spend_model = _check_spend_model(spend, spend_model)
        self.index = summary.index
        self.margin = float(settings["margin"])
        if points is None:
            value = customer_lifetime_value(count_model, spend, summary, **settings)
            points = {
                "p_alive": count_model.p_alive(summary),
                "expected_purchases_horizon": value["expected_purchases"],
                "clv": value["discounted_margin"],
                "expected_spend": value["expected_spend"],
            }
        elif len(points) != len(summary):
            raise ValueError(f"points has {len(points):,} rows for {len(summary):,} customers")
        self.point_p_alive = np.asarray(points["p_alive"], dtype=float)
        self.point_purchases = np.asarray(points["expected_purchases_horizon"], dtype=float)
        self.point_clv = np.asarray(points["clv"], dtype=float)
        self.point_spend = np.asarray(points["expected_spend"], dtype=float)
        count_seed, spend_seed = _seeds(seed)
        # the spend is checked now and drawn when the CLV needs it (at a million customers
        # each set of draws is hundreds of MB)
        self._spend_rows(spend_model, summary)
        self._spend_draws = (spend_model, int(n_draws), spend_seed)
        self._draw_counts(count_model, summary, settings, int(n_draws), count_seed, level)

    def _draw_counts(self, count_model, summary, settings, n, seed, level):
        columns = list(getattr(count_model, "required_columns", _COUNT_COLUMNS))
        columns += [c for c in getattr(count_model, "covariate_columns", ()) if c not in columns]
        uniq, _, self.row = unique_rows(summary[columns].to_numpy(dtype=float), True)
        rows = pd.DataFrame(uniq, columns=columns)
        # The draws discount on a coarser grid (the grid is a draw's cost) and are rescaled
        # row by row by fine / coarse at the estimate: that ratio (within 1e-4 of 1 for
        # quarterly steps) hardly moves with the parameters, and the estimate itself is
        # reproduced. The horizon's expected purchases do not depend on the grid.
        fine = {**settings, "margin": 1.0}
        coarse = {**fine, "steps_per_year": min(int(fine["steps_per_year"]), DRAW_STEPS_PER_YEAR)}
        at_fine = customer_lifetime_value(count_model, 1.0, rows, **fine)["discounted_purchases"]
        at_coarse = customer_lifetime_value(count_model, 1.0, rows, **coarse)
        at_coarse = at_coarse["discounted_purchases"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(at_coarse > 0, at_fine.to_numpy() / at_coarse, 1.0)
        twins = draw_models(count_model, n, seed)
        if count_model.discrete_time:
            block = _discrete_draws(twins, rows, coarse)
        else:
            block = _continuous_draws(count_model, twins, rows, coarse)
        del twins
        self.discounted = np.empty((len(rows), n))
        if level is not None:
            self.p_alive_bounds = (np.empty(len(rows)), np.empty(len(rows)))
            self.purchases_bounds = (np.empty(len(rows)), np.empty(len(rows)))

        def work(sl):  # one block of rows: its slice of every output (threads.each_block)
            p_alive, purchases, discounted = block(sl)
            np.multiply(discounted, ratio[sl, None], out=self.discounted[sl])
            if level is not None:
                for bounds, draws in (
                    (self.p_alive_bounds, p_alive),
                    (self.purchases_bounds, purchases),
                ):
                    bounds[0][sl], bounds[1][sl] = _row_quantiles(draws, level)

        each_block(work, len(rows), _BLOCK)

    def _spend_rows(self, spend_model, summary):
        """The distinct spend rows and each customer's (a known spend: held as it is)."""
        if spend_model is None:
            # a known spend: the same in every draw, held once per distinct value
            uniq, _, self.spend_row = unique_rows(self.point_spend[:, None], True)
            self.spend = uniq
            return
        # a spend model with covariates reads each customer's covariate columns too
        cols = list(_SPEND_COLUMNS) + list(getattr(spend_model, "spend_covariates", ()))
        uniq, _, self.spend_row = unique_rows(summary[cols].to_numpy(dtype=float), True)
        self._spend_frame = pd.DataFrame(uniq, columns=cols)
        self._spend_at_fit = spend_model.expected_spend(self._spend_frame).to_numpy(dtype=float)
        at_fit = self._spend_at_fit[self.spend_row]
        if not np.allclose(at_fit, self.point_spend, rtol=1e-9, atol=0.0):
            raise ValueError(
                "spend is not spend_model.expected_spend(summary): pass the spend per purchase "
                "that the fitted spend model predicts (or spend_model=None for a known spend)."
            )

    def _draw_spend(self):
        """The spend model's draws on the distinct spend rows (once; nothing for a known spend)."""
        if hasattr(self, "spend"):
            return
        spend_model, n, seed = self._spend_draws
        self.spend = spend_draws(spend_model, self._spend_frame, n, seed, self._spend_at_fit)

    def _clv(self, rows, spend_rows) -> np.ndarray:
        """CLV draws (pairs x draws) of the count rows ``rows`` with the spend rows ``spend_rows``."""
        # the order of customer_lifetime_value: purchases x spend, then x margin
        clv = self.discounted[rows] * self.spend[spend_rows]
        clv *= self.margin
        return clv

    def clv_bounds(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's CLV interval: the draws' quantiles on the distinct (count row, spend row)
        pairs, a block of pairs at a time, widened to each customer's own point."""
        self._draw_spend()
        n_spend = self.spend.shape[0]
        key = self.row.astype(np.int64) * n_spend + self.spend_row
        pairs, pair = np.unique(key, return_inverse=True)
        pair_row, pair_spend = pairs // n_spend, pairs % n_spend
        low, high = np.empty(len(pairs)), np.empty(len(pairs))

        def work(sl):
            low[sl], high[sl] = _row_quantiles(self._clv(pair_row[sl], pair_spend[sl]), level)

        each_block(work, len(pairs), _CHUNK)
        return np.minimum(low[pair], self.point_clv), np.maximum(high[pair], self.point_clv)

    def clv_chunks(self):
        """(customer slice, CLV draws of those customers: customers x draws), chunk by chunk."""
        self._draw_spend()
        n = len(self.index)
        for start in range(0, n, _CHUNK):
            sl = slice(start, min(start + _CHUNK, n))
            yield sl, self._clv(self.row[sl], self.spend_row[sl])


def _step_grid(model, settings) -> tuple[np.ndarray, np.ndarray]:
    """The step ends and discount factors of :func:`customer_lifetime_value` (continuous time)."""
    unit = model.time_unit if settings["time_unit"] is None else settings["time_unit"]
    horizon_years = float(settings["horizon_years"])
    n_steps = max(1, int(np.ceil(horizon_years * settings["steps_per_year"] - 1e-9)))
    edges = np.linspace(0.0, horizon_years * units_per_year(unit), n_steps + 1)
    mids = 0.5 * (edges[:-1] + edges[1:])
    factors = np.exp(-continuous_rate(settings["annual_discount_rate"], unit) * mids)
    return edges[1:], factors


def _continuous_draws(model, twins, rows, settings):
    """The function giving (P(alive), horizon purchases, discounted purchases) of a slice of rows.

    Each is rows x draws, computed when asked for (a block of rows at a time).

    Per draw, the purchases of a customer alive at T are evaluated on the
    distinct (x, T) rows at the step ends (``expected_purchases_grid``, as
    :func:`customer_lifetime_value` does) and reduced at once to the horizon's
    total and the discounted sum. P(alive) is the model's, per draw; a plain
    Pareto/NBD (no covariates) is evaluated for all draws at once without
    gradients (:class:`analysis.models.uncertainty.ParetoNBDDraws`).
    """
    ts, factors = _step_grid(model, settings)
    n, n_rows = len(twins), len(rows)
    fast = type(model) is ParetoNBD and not getattr(model, "has_covariates", False)
    if fast:
        x, tx, t_end = (rows[c].to_numpy(dtype=float) for c in _COUNT_COLUMNS)
        params = np.array([tw.params[list(ParetoNBD.param_names)].to_numpy() for tw in twins])
        draws = ParetoNBDDraws(params, x, tx, t_end)
        ux, ut, inverse = draws.x_t[:, :1], draws.x_t[:, 1:], draws.xt_index
    else:
        p_alive = np.empty((n_rows, n))
    horizon, discounted = None, None
    for j, twin in enumerate(_released(twins)):
        if fast:
            values = draws.alive_purchases(j, ux, ut, ts[None, :])
        else:
            grid = twin.expected_purchases_grid(rows, ts=ts)
            p_alive[:, j] = grid.scale
            values, inverse = grid.values, grid.inverse
        if horizon is None:
            horizon, discounted = np.empty((len(values), n)), np.empty((len(values), n))
        horizon[:, j] = values[:, -1]
        discounted[:, j] = np.diff(values, axis=1, prepend=0.0) @ factors

    def block(sl):
        p = draws.p_alive(sl) if fast else p_alive[sl]
        at = inverse[sl]
        return p, p * horizon[at], p * discounted[at]

    return block


def _discrete_draws(twins, rows, settings):
    """The function giving (P(alive), horizon purchases, discounted purchases) of a slice of rows.

    Every draw is evaluated on all rows at once (rows x draws each); the
    function hands out slices of them.
    """
    n, n_rows = len(twins), len(rows)
    out = [np.empty((n_rows, n)) for _ in range(3)]
    for j, twin in enumerate(_released(twins)):
        drawn = customer_lifetime_value(twin, 1.0, rows, **settings)
        out[0][:, j] = twin.p_alive(rows).to_numpy(dtype=float)
        out[1][:, j] = drawn["expected_purchases"].to_numpy()
        out[2][:, j] = drawn["discounted_purchases"].to_numpy()
    return lambda sl: (out[0][sl], out[1][sl], out[2][sl])


def _released(models: list):
    """The models of a list one by one, each dropped from the list when handed out.

    A drawn model caches its predictions for the rows it was asked about (the
    distinct rows of the summary): kept in the list, the 200 caches added
    600 MB to the peak at a million customers.
    """
    for j in range(len(models)):
        model, models[j] = models[j], None
        yield model


def _bounds(draws: np.ndarray, point: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed quantiles of the draws (rows), widened to contain the point.

    The quantiles use the plotting position p (n + 1) (``method="weibull"``):
    the k-th smallest of n draws lies below a further draw with probability
    k / (n + 1), so the interval holds ``level`` of the draws' distribution on
    average. The default linear rule, p (n - 1) + 1, would give 88% for a 90%
    interval from 100 draws.
    """
    low, high = _quantiles(draws, level)
    return np.minimum(low, point), np.maximum(high, point)


def _quantiles(draws: np.ndarray, level: float, overwrite: bool = False):
    """The equal-tailed quantiles of the draws (rows) at ``level`` (see :func:`_bounds`).

    ``overwrite`` lets numpy partition ``draws`` in place (no copy; the draws are then lost).
    """
    tail = (1.0 - level) / 2.0
    return np.quantile(
        draws, [tail, 1.0 - tail], axis=0, method="weibull", overwrite_input=overwrite
    )


def _row_quantiles(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_quantiles` of each row's draws (customers x draws), partitioning ``draws`` in place.

    The same values as ``np.quantile(draws, ..., axis=1, method="weibull")``
    (same positions and interpolation); numpy's own call also partitions
    each row at its smallest and largest draw and copies the draws to put
    their axis first, which at a million customers costs seconds.
    """
    n = draws.shape[1]
    tail = (1.0 - level) / 2.0
    below, above, gamma = [], [], []
    for q in (tail, 1.0 - tail):
        virtual = n * q + q - 1.0  # numpy's weibull position (alpha = beta = 0), 0-based
        lo = float(np.floor(virtual))
        hi = lo + 1.0
        if virtual < 0:  # before the smallest draw: the smallest
            lo = hi = 0.0
        elif virtual >= n - 1:  # past the largest: the largest
            lo = hi = n - 1.0
        below.append(int(lo))
        above.append(int(hi))
        gamma.append(virtual - lo)
    draws.partition(sorted(set(below + above)), axis=1)
    out = []
    for lo, hi, t in zip(below, above, gamma, strict=True):
        a, b = draws[:, lo], draws[:, hi]
        diff = b - a
        # numpy's lerp: from the nearer end
        out.append(b - diff * (1.0 - t) if t >= 0.5 else a + diff * t)
    return out[0], out[1]


def _settings(horizon_years, annual_discount_rate, margin, time_unit, steps_per_year) -> dict:
    return {
        "horizon_years": horizon_years,
        "annual_discount_rate": annual_discount_rate,
        "margin": margin,
        "time_unit": time_unit,
        "steps_per_year": steps_per_year,
    }


def customer_intervals(
    count_model,
    spend,
    summary: pd.DataFrame,
    *,
    spend_model=None,
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    time_unit: str | None = None,
    steps_per_year: int = 12,
    level: float = INTERVAL_LEVEL,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    points: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each customer's P(alive), expected purchases and CLV with an interval at ``level``.

    The points are what :func:`analysis.customers.customer_table` computes
    (``count_model.p_alive(summary)``, and ``expected_purchases`` and
    ``discounted_margin`` of :func:`customer_lifetime_value` with the same
    arguments); the intervals are the equal-tailed quantiles of the same
    predictions over ``n_draws`` draws of the parameters (module docstring).

    A point can fall just outside the quantiles of its own draws (the
    prediction is not linear in the parameters, and the quantiles carry
    Monte Carlo error); the interval is then widened to reach the point, so
    ``low <= point <= high`` always holds. A model whose covariance is zero,
    or a customer whose prediction does not depend on the parameters (BG/NBD's
    P(alive) of a customer without repeat purchases is 1), gets an interval
    of width zero up to rounding.

    Parameters
    ----------
    count_model : CountModel
        The fitted count model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB).
    spend : GammaGamma, float or Series
        Spend per purchase, as :func:`customer_lifetime_value` takes it (the
        customer table passes a Series by customer).
    summary : DataFrame
        The per-customer summary the models predict for (``frequency``,
        ``recency``, ``T``, and ``monetary_value`` with a spend model).
    spend_model : GammaGamma, optional
        The fitted Gamma-Gamma behind ``spend``, whose parameter uncertainty
        then enters the CLV (``spend`` must be its ``expected_spend(summary)``).
        None (the default, unless ``spend`` is itself the model): the spend is
        known and adds no width.
    horizon_years, annual_discount_rate, margin, time_unit, steps_per_year
        As in :func:`customer_lifetime_value`.
    level : float
        Probability between the two bounds (0.9 by default).
    n_draws : int
        Parameter draws (200, :data:`analysis.models.uncertainty.DEFAULT_DRAWS`, by
        default: BG/NBD on the full CDNOW summary in about 4 s; the Monte Carlo
        error of a 5% or 95% quantile is then about 0.15 standard deviations
        of the draws, a tenth of the interval's half-width).
    seed : int
        Seed of the draws: the same seed gives the same intervals.
    points : DataFrame, optional
        The point values when already computed with the same models and
        settings, one row per customer of ``summary`` in its order:
        ``p_alive``, ``expected_purchases_horizon``, ``expected_spend`` and
        ``clv`` (as :func:`analysis.customers.model_columns` gives them);
        taken as they are.

    Returns
    -------
    DataFrame
        Indexed like ``summary``: ``p_alive``, ``p_alive_low``,
        ``p_alive_high``, ``expected_purchases_horizon`` (and ``_low``,
        ``_high``), ``clv``, ``clv_low``, ``clv_high``.
    """
    level = _check_level(level)
    settings = _settings(horizon_years, annual_discount_rate, margin, time_unit, steps_per_year)
    d = _Draws(
        count_model, spend, summary, spend_model, settings, n_draws, seed, points, level=level
    )
    out = {}
    for name, bounds, point in (
        ("p_alive", d.p_alive_bounds, d.point_p_alive),
        ("expected_purchases_horizon", d.purchases_bounds, d.point_purchases),
    ):
        # one value per distinct row, widened to its point and mapped back
        first = point[_first(d.row)]
        low, high = np.minimum(bounds[0], first), np.maximum(bounds[1], first)
        out[name] = point
        out[f"{name}_low"] = low[d.row]
        out[f"{name}_high"] = high[d.row]
    clv_low, clv_high = d.clv_bounds(level)
    out.update(clv=d.point_clv, clv_low=clv_low, clv_high=clv_high)
    return pd.DataFrame(out, index=d.index)


def _first(inverse: np.ndarray) -> np.ndarray:
    """For each distinct row, the position of one customer who has it."""
    first = np.zeros(int(inverse.max()) + 1 if inverse.size else 0, dtype=np.int64)
    first[inverse[::-1]] = np.arange(inverse.size)[::-1]
    return first


def total_intervals(
    count_model,
    spend,
    summary: pd.DataFrame,
    groups: pd.Series,
    *,
    spend_model=None,
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    time_unit: str | None = None,
    steps_per_year: int = 12,
    level: float = INTERVAL_LEVEL,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    total_label: str = "total",
) -> pd.DataFrame:
    """The CLV summed over each group of customers (a segment, a stage), with an interval at ``level``.

    Each draw of the parameters gives every customer's CLV at once, so the
    group sums of one draw are a joint draw of the totals; the interval is
    the equal-tailed quantiles of those sums (widened to contain the point,
    as in :func:`customer_intervals`). Summing averages away only part of
    the uncertainty, not all of it as it would independent errors: one draw
    of the parameters moves most customers the same way (CDNOW, 3 years,
    90%: the bounds of the total CLV are 4.5% of it apart with BG/NBD, 3.9%
    with Pareto/NBD, against 4.9% and 7.5% for the median customer).

    Parameters
    ----------
    count_model, spend, summary, spend_model, horizon_years, annual_discount_rate, margin,
    time_unit, steps_per_year, level, n_draws, seed
        As in :func:`customer_intervals` (the same seed gives the same draws).
    groups : Series
        One label per customer, indexed like ``summary`` (e.g. a CLV tier or
        the stage); customers with a missing label count in the overall total only.
    total_label : str
        Label of the last row, all customers together.

    Returns
    -------
    DataFrame
        One row per group (in the order of a categorical's categories, else
        sorted), then ``total_label``: ``customers``, ``clv_total``,
        ``clv_total_low``, ``clv_total_high``.
    """
    level = _check_level(level)
    if not isinstance(groups, pd.Series):
        raise TypeError(f"groups must be a Series of labels, got {type(groups).__name__}")
    if not groups.index.equals(summary.index):
        missing = summary.index.difference(groups.index)
        if len(missing) or groups.index.has_duplicates:
            raise ValueError(
                f"groups must have one label per customer of summary; {len(missing):,} customer(s) "
                f"have none (e.g. {list(missing[:5])})"
                + (" and its index has duplicates" if groups.index.has_duplicates else "")
            )
        groups = groups.reindex(summary.index)
    codes, labels = pd.factorize(groups, sort=True)
    if isinstance(groups.dtype, pd.CategoricalDtype):
        labels = pd.Index(groups.cat.categories, name=groups.name)
        codes = groups.cat.codes.to_numpy()
    settings = _settings(horizon_years, annual_discount_rate, margin, time_unit, steps_per_year)
    d = _Draws(count_model, spend, summary, spend_model, settings, n_draws, seed)
    n_groups = len(labels)
    # customers x (groups + the overall total): 1 in her group's column (if any) and the last
    member = np.flatnonzero(codes >= 0)
    rows = np.r_[member, np.arange(len(codes))]
    cols = np.r_[codes[member], np.full(len(codes), n_groups)]
    onehot = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(codes), n_groups + 1))
    sums = np.zeros((int(n_draws), n_groups + 1))
    for sl, draws in d.clv_chunks():
        sums += (onehot[sl].T @ draws).T
    point = onehot.T @ d.point_clv
    counts = np.asarray(onehot.sum(axis=0)).ravel().astype(np.int64)
    low, high = _bounds(sums, point, level)
    index = pd.Index([*labels, total_label], name=groups.name or "group", dtype=object)
    return pd.DataFrame(
        {"customers": counts, "clv_total": point, "clv_total_low": low, "clv_total_high": high},
        index=index,
    )
