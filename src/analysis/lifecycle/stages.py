"""The four lifecycle stages per customer and period: the thresholds and the rule classifier.

The stages are those of the Dwyer-Schurr-Oh / Chen Mingliang model
(``docs/domain.md#stages``): exploration (考察期), formation (形成期), stability
(稳定期) and decline (退化期). :func:`assign_stages` gives every customer a stage in
every period from the first purchase to the end of observation, by transparent
rules on the customer's own history; :data:`THRESHOLDS` lists every threshold
with its default and the reason for it.

The rules, applied period by period (a customer's stage in a period depends on
its stage in the previous one, so the order of
``docs/domain.md#order-and-transitions`` holds by construction), and using
nothing after the period: a stage is what the firm could have known then. The
*pace* is the number of repeat purchases per period; the pace of the last
period, the last third, two thirds and the whole of ``window_months`` is
compared with the pace before by one-sided Poisson rate tests
(:func:`analysis.lifecycle.signals.pace_signals`), so a frequent buyer's
change shows within a month while a sparse buyer needs the whole window.

- the first period is **exploration**;
- **decline** can follow any stage, when the customer is *silent* (no
  purchase for longer than ``gap_factor`` times its own mean time between
  purchases, or, while it has fewer than ``formation_repeats`` repeat
  purchases and so no cycle of its own, for longer than ``trial_months``),
  or its pace is *falling* (below ``decline_ratio`` times its own pace in
  the window before, significant at ``alpha_fall``), or it is probably no
  longer active (``p_alive`` below ``p_alive_min``, when P(alive) values are
  given, e.g. from :func:`analysis.lifecycle.signals.bgnbd_p_alive`);
- exploration turns into **formation** when the customer has
  ``formation_repeats`` repeat purchases and its pace is *rising* (at least
  ``growth_ratio`` times the periods just before, significant at
  ``alpha_rise``), or when it has ``past_trial_repeats`` repeat purchases
  and is older than ``exploration_months`` without being silent (a repeat
  buyer past the trial: in the simulator a trial's end shows in its length
  more than in any jump of the pace, which climbs gradually in formation);
- formation turns into **stability** once the customer has spent
  ``formation_months`` in formation *in all* (a return from a decline does
  not start formation again) and the last period's pace is no significant
  rise over the period before (``p_rising_last``: a plateau; a climb that
  has ended still shows in the longer scales of ``p_rising`` for a while);
- a customer in decline returns to **formation** (never straight to
  stability) when it buys again at a rising pace and is neither silent nor
  falling.

So exploration never jumps to stability, and stability is entered only from
formation. Every rule compares the customer with itself (its own purchase
cycle, its own previous pace), not with population quantiles.

All computations are vectorised over customers; only the stage recursion loops
over periods. They run on a block of customers at a time, built from the log's
purchase days (:func:`analysis.panel.purchase_days`), so the panel of the whole
log is never held; :func:`current_stages` reads each distinct purchase history
once and keeps only the last period (what the customer table needs). With the
model (the hindsight view), the model's blocks and the long frame's customer
blocks run in threads (:mod:`analysis.threads`, ``ANALYSIS_THREADS``); each
block's values are computed as they would be alone, so the output is the same
bit for bit whatever the number of threads (``tests/test_lifecycle_hindsight_speed.py``).
At 1,000,000 customers (the bench's log, monthly periods) the hindsight view
took 9.0 s with two threads and 12.9 s with one (15.8 s before issue 21's
changes; medians of 3, 2,002 MiB peak with the log read before the call).

Accuracy, measured against :func:`analysis.simulate.simulate_lifecycle`
(customers at about four purchases a month at their peak; defaults tuned on
seeds 1-5, measured on the fresh seeds 11-13, 2,000 customers x 24 months
each, pooled): macro-F1 0.794 (0.793 on the tuning seeds), formation the
weakest stage (0.636). It falls for sparser buyers (0.672 at one purchase a
month, 0.578 at half of one) -- see :mod:`analysis.lifecycle.accuracy`. The
rules before issue #13 (formation counted from the last entry into it and
at least four months, a plateau read on every scale, three repeat purchases
and four months for the trial's end, a trial lapsed after two silent
months) scored 0.768, 0.636 and 0.548.

These rules are the default, *real-time* view of :func:`assign_stages`. The
*hindsight* view (``view="hindsight"``) and a model-based real-time view
(``method="model"``) read the stages from the lifecycle model of
:mod:`analysis.lifecycle.stage_model`; on fresh seeds 11-13 they score
macro-F1 about 0.87 and 0.81 against the rules' 0.794, and about 0.82 and
0.69 against 0.578 at half a purchase a month (:mod:`analysis.lifecycle.accuracy`).
"""

from __future__ import annotations

import queue

import numpy as np
import pandas as pd

from ..panel import Panel, distinct_sequences, purchase_days
from ..threads import each_block, release_freed_memory, workers
from ..units import DAYS_PER_MONTH, STAGES, unit_days
from ._common import require_stages
from .rules import REASONS, run_rules
from .signals import pace_signals
from .stage_model import StageModel, model_stage_codes
from .thresholds import THRESHOLDS, Threshold, resolve_thresholds, thresholds_table

__all__ = [
    "Threshold",
    "THRESHOLDS",
    "REASONS",
    "MODEL_REASONS",
    "thresholds_table",
    "resolve_thresholds",
    "assign_stages",
    "current_stage",
    "current_stages",
    "stage_mix",
]


def _p_alive_cells(p_alive, panel: Panel) -> np.ndarray | None:
    """The P(alive) values as a customer x period array (NaN where not given), or None."""
    if p_alive is None:
        return None
    if isinstance(p_alive, str):
        raise TypeError(
            f"p_alive takes P(alive) values, not a model name ({p_alive!r}); for the BG/NBD "
            "signal pass p_alive=analysis.lifecycle.bgnbd_p_alive(transactions, period)"
        )
    if not isinstance(p_alive, pd.Series):
        raise TypeError(
            "p_alive must be a pandas Series (by customer_id, or by customer_id and period) "
            f"or None, got {type(p_alive).__name__}"
        )
    n, m = panel.shape
    out = np.full((n, m), np.nan)
    values = p_alive.astype(float)
    rows_of = pd.Index(panel.customer_ids)
    if isinstance(values.index, pd.MultiIndex):
        cust = values.index.get_level_values(0)
        per = pd.PeriodIndex(values.index.get_level_values(1), freq=panel.period)
        r = rows_of.get_indexer(cust)
        c = per.asi8 - panel.periods.asi8[0]
        ok = (r >= 0) & (c >= 0) & (c < m)
        out[r[ok], c[ok]] = values.to_numpy()[ok]
    else:
        r = rows_of.get_indexer(values.index)
        ok = r >= 0
        out[r[ok], m - 1] = values.to_numpy()[ok]
    given = out[np.isfinite(out)]
    if (given < 0).any() or (given > 1).any():
        raise ValueError("p_alive holds values outside [0, 1]; it must be a probability.")
    return out


#: The ``reason`` of a stage read by the lifecycle model, by view.
MODEL_REASONS: tuple[str, ...] = ("realtime", "hindsight")


def _check_view(view, method, p_alive, model) -> str:
    """The method to use, after checking the view and what goes with it."""
    if view not in MODEL_REASONS:
        raise ValueError(f"view must be 'realtime' or 'hindsight', got {view!r}")
    if method is None:
        method = "rules" if view == "realtime" else "model"
    if method not in ("rules", "model"):
        raise ValueError(f"method must be 'rules' or 'model', got {method!r}")
    if method == "rules" and view == "hindsight":
        raise ValueError(
            "the rules read each period with what was known then; the hindsight view "
            "uses the lifecycle model (method='model', its default)"
        )
    if method == "rules" and model is not None:
        raise TypeError("model= sets the lifecycle model; pass it with method='model'")
    if method == "model" and p_alive is not None:
        raise TypeError(
            "p_alive is a signal of the rules; the lifecycle model reads the purchase counts "
            "alone (leave p_alive out, or use method='rules')"
        )
    return method


#: Customers (or distinct histories) per block: bounds the memory of the signal arrays.
_BLOCK = 16_384
_SIGNAL_COLUMNS = (
    "repeat_purchases", "window_purchases", "window_rate", "reference_rate", "rate_ratio",
    "p_rising", "p_falling", "p_rising_last", "periods_since_purchase", "mean_cycle_periods",
)  # fmt: skip


def _window_periods(window_months: float, period: str) -> int:
    return max(1, int(round(window_months * DAYS_PER_MONTH / unit_days(period))))


def assign_stages(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
    p_alive: pd.Series | None = None,
    view: str = "realtime",
    method: str | None = None,
    model: StageModel | None = None,
    **thresholds: float,
) -> pd.DataFrame:
    """Assign a lifecycle stage to every customer in every period from its first purchase on.

    Two views of the same four stages answer two questions:

    - ``view="realtime"`` (default): *which stage is the customer in now,
      with what we know today?* Each period's stage uses nothing after the
      period (early warning, the current stage mix, the strategy). By default
      (``method="rules"``) it is the rule classifier of this module, with a
      ``reason`` for every stage: macro-F1 0.794 on the fresh seeds 11-13 of
      :func:`analysis.simulate.simulate_lifecycle` (thresholds tuned on seeds
      1-5). ``method="model"`` reads it from the lifecycle model of
      :mod:`analysis.lifecycle.stage_model` filtered up to each period (about
      0.81, and better for sparse buyers, but a model rather than rules, whose
      population weights are pooled over the whole log).
    - ``view="hindsight"``: *which stage was the customer in then, with all we
      have seen since?* Each period is labelled with the whole observed
      history (the stage history, the transition matrix, the lifecycle
      curve, stage-based CLV): the lifecycle model's forward-backward
      posteriors with each customer's own rate (a grid mixture pooled over
      customers), decoded into the path with the most expected correct periods
      that keeps the order. It is closed-form and deterministic. The rules
      lag a period at every boundary; hindsight removes the lag.

    Both views keep the seeds' order: no upward skip (exploration reaches
    stability only through formation), decline from any stage.

    Parameters
    ----------
    transactions : DataFrame
        The log: ``customer_id``, ``date`` (datetime64), ``amount``; see
        :func:`analysis.data.load_transactions`. Purchases on the same day are
        one purchase.
    period : {"D", "W", "M", "Q", "Y"}
        Length of a period (pandas period alias). Thresholds are in months and
        converted to periods, so the defaults mean the same in any period.
    observation_end : date-like, optional
        Last day observed; defaults to the last purchase. A last period cut
        short by it is measured over the days observed.
    p_alive : Series, optional
        An extra decline signal, the probability that the customer is still
        active: a Series indexed by (``customer_id``, ``period``), e.g.
        :func:`analysis.lifecycle.signals.bgnbd_p_alive`, or a Series indexed
        by ``customer_id`` (then it applies to the last period only). The
        classifier takes the values and fits no model. None (default) leaves
        it out.
    **thresholds
        Any of :data:`THRESHOLDS` (see :func:`thresholds_table` for defaults
        and reasons): ``window_months`` (3), ``trial_months`` (2.5),
        ``formation_repeats`` (4), ``past_trial_repeats`` (1),
        ``exploration_months`` (3), ``formation_months`` (5),
        ``growth_ratio`` (2), ``alpha_rise`` (0.10), ``decline_ratio`` (0.5),
        ``alpha_fall`` (0.01), ``gap_factor`` (3), ``p_alive_min`` (0.3).
        The defaults were tuned for macro-F1 on
        :func:`analysis.simulate.simulate_lifecycle` (default settings, seeds
        1-5, :data:`analysis.lifecycle.accuracy.TUNING_SEEDS`) and measured on
        the fresh seeds 11-13: macro-F1 0.794 (exploration 0.808, formation
        0.636, stability 0.819, decline 0.911; 0.793 on the tuning seeds);
        see ``tests/test_lifecycle_accuracy.py``. With ``method="model"``
        they only shape the signal columns.
    view : {"realtime", "hindsight"}
        What each period's stage may use: the history to the period's end, or
        the whole observed history.
    method : {"rules", "model"}, optional
        The classifier: the rules (the default of the real-time view; the
        rules read causally, so they have no hindsight view) or the lifecycle
        model (the default, and only method, of the hindsight view).
    model : StageModel, optional
        Settings of the lifecycle model (:class:`analysis.lifecycle.StageModel`).

    Returns
    -------
    DataFrame
        One row per customer and period, sorted: ``customer_id``, ``period``,
        ``age`` (periods since the first purchase), ``purchases`` (purchase
        days in the period; ``age``, ``purchases``, ``repeat_purchases`` and
        ``window_purchases`` are int32, to keep a large log's frame small), ``spend``, ``repeat_purchases`` (cumulative),
        ``window_purchases`` and ``window_rate`` (repeat purchases in the
        trailing window, and per period), ``reference_rate`` (the rate in the
        window before), ``rate_ratio`` (their ratio), ``p_rising`` and
        ``p_falling`` (the smallest one-sided Poisson test p-value of a rise or
        a fall over the window's scales; 1 when none clears its ratio),
        ``p_rising_last`` (the same test of a rise of the last period alone
        over the period before, which the plateau reads),
        ``periods_since_purchase`` (at the period's end),
        ``mean_cycle_periods`` (mean periods between purchase days so far),
        ``p_alive`` (when given), ``stage`` (ordered categorical) and
        ``reason`` (the rule that decided it; with the model, the view). With
        the model, also ``stage_probability`` (the model's probability of the
        stage given, filtered or smoothed).
    """
    method = _check_view(view, method, p_alive, model)
    th = resolve_thresholds(thresholds)
    days = purchase_days(transactions, period, observation_end)
    window = _window_periods(th["window_months"], period)
    n, m = days.n_customers, len(days.periods)
    if method == "model":
        codes, probability, model_history = model_stage_codes(days, view, model)
    # the long frame's columns, filled a block of customers at a time (the panel of the
    # whole log is never held): customer i holds rows start[i]:start[i + 1]; whole numbers
    # are int32, which holds every count and age a log can have and keeps the frame small
    start = np.r_[0, np.cumsum(m - days.first_column)]
    total = int(start[-1])
    ordinals = np.empty(total, dtype=np.int64)
    out = {
        "customer_id": np.empty(total, dtype=days.customer_ids.dtype),
        "period": None,
        "age": np.empty(total, dtype=np.int32),
        "purchases": np.empty(total, dtype=np.int32),
        "spend": np.empty(total),
    }
    for name in _SIGNAL_COLUMNS:
        whole = name in ("repeat_purchases", "window_purchases")
        out[name] = np.empty(total, dtype=np.int32 if whole else float)
    if p_alive is not None:
        out["p_alive"] = np.empty(total)
    stage_codes = np.empty(total, dtype=np.int8)
    reason_codes = np.empty(total, dtype=np.int8)
    chosen = np.empty(total, dtype=np.float32) if method == "model" else None
    # the columns read from the histories' signals (and the rules'), each filled by one take
    targets = {name: out[name] for name in _SIGNAL_COLUMNS}
    rules = method == "rules"
    if rules:
        targets |= {"stage": stage_codes, "reason": reason_codes}
        if p_alive is not None:
            targets["p_alive"] = out["p_alive"]
    # the signals (and the rules) depend on the purchase days alone: a history that several
    # customers share is read once, up front, into the first rows of `store`; the others as
    # their block comes, into a region of rows after them (in the column's type: the
    # values are cast as an assignment into the column would cast them)
    if p_alive is None:
        index, history = distinct_sequences(days.offsets, days.day)
        size = np.bincount(history)
        shared = np.flatnonzero(size > 1)
        slot = np.full(len(index), -1, dtype=np.int64)
        slot[shared] = np.arange(len(shared))
        slot = slot[history]
    else:  # P(alive) is a customer's own
        shared = np.zeros(0, dtype=np.int64)
        slot = np.full(n, -1, dtype=np.int64)
    n_shared = len(shared)
    # with the model, blocks run in threads (analysis.threads; the rules' many small steps
    # gained nothing measurable): each thread's own histories take one of the regions after
    # the shared rows, and the blocks are smaller, so that their temporaries together take
    # less than one's
    threads = 1 if rules else workers()
    block = _BLOCK if threads == 1 else -(-_BLOCK // (2 * threads))
    regions = queue.SimpleQueue()
    for k in range(threads):
        regions.put(n_shared + k * block)
    store = {
        name: np.empty((n_shared + threads * block, m), dtype=column.dtype)
        for name, column in targets.items()
    }

    def shared_block(part: slice) -> None:
        cells = _history_cells(days, index[shared[part]], window, th, None, rules)
        for name in targets:
            store[name][part] = cells[name]

    def customer_block(part: slice) -> None:
        rows = np.arange(part.start, part.stop)
        panel = days.panel(rows)
        r, c = np.nonzero(panel.active)
        cells = slice(int(start[part.start]), int(start[part.stop]))
        out["customer_id"][cells] = panel.customer_ids[r]
        ordinals[cells] = days.periods.asi8[c]
        out["age"][cells] = c - panel.first_column[r]
        out["purchases"][cells] = panel.purchases[r, c]
        out["spend"][cells] = panel.spend[r, c]
        if not rules:
            # each cell's flat position in the (histories, periods) codes
            flat = model_history[rows][r] * m + c
            np.take(codes.ravel(), flat, out=stage_codes[cells], mode="clip")
            np.take(probability.ravel(), flat, out=chosen[cells], mode="clip")
            del flat
        # the block's own histories go to a free region; each cell's flat position
        own = slot[rows] < 0
        region = regions.get()
        try:
            if own.any():
                local = _history_cells(days, rows[own], window, th, p_alive, rules)
                for name in targets:
                    store[name][region : region + len(local[name])] = local[name]
                del local
            at = np.where(own, region + np.cumsum(own) - 1, slot[rows])[r] * m + c
            for name, column in targets.items():  # indices are in range: "clip" is unbuffered
                np.take(store[name].ravel(), at, out=column[cells], mode="clip")
        finally:
            regions.put(region)
            if threads > 1:  # each thread's arena keeps what it freed: 30 MiB of peak at 1M
                release_freed_memory()

    each_block(shared_block, n_shared, block, threads)
    each_block(customer_block, n, block, threads)
    if threads > 1:
        release_freed_memory()
    if method == "model":
        reasons = list(MODEL_REASONS)
        reason_codes[:] = MODEL_REASONS.index(view)
    else:
        reasons = list(REASONS)
    out["period"] = pd.arrays.PeriodArray(ordinals, dtype=pd.PeriodDtype(days.periods.freq))
    # what the frame does not need goes before the frame is built (its codes are copied)
    days = slot = start = store = index = None  # the blocks' closures hold them: drop, not del
    if p_alive is None:
        del history
    if method == "model":
        del codes, probability, model_history
    out["stage"] = pd.Categorical.from_codes(stage_codes, categories=list(STAGES), ordered=True)
    out["reason"] = pd.Categorical.from_codes(reason_codes, categories=reasons)
    if chosen is not None:
        out["stage_probability"] = chosen
    # copy=False keeps every column its own block: no second copy of the frame while building
    frame = pd.DataFrame(out, copy=False)
    frame.attrs["view"] = view
    frame.attrs["period"] = period
    return frame


def _history_cells(days, rows, window, th, p_alive, rules: bool) -> dict[str, np.ndarray]:
    """The signal columns (and the rules' stage and reason codes) of customers ``rows``, (k, m) each."""
    panel = days.panel(rows)
    sig = pace_signals(panel, window, th["growth_ratio"], th["decline_ratio"])
    out = {name: sig[name] for name in _SIGNAL_COLUMNS}
    if rules:
        alive = _p_alive_cells(p_alive, panel)
        out["stage"], out["reason"] = run_rules(panel, sig, th, alive)
        if alive is not None:
            out["p_alive"] = alive
    return out


def _last_runs(stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's last stage code and how many periods it has lasted (the last run of equal codes)."""
    m = stage.shape[1]
    last = stage[:, -1]
    other = (stage != last[:, None])[:, ::-1]
    return last, np.where(other.any(axis=1), other.argmax(axis=1), m).astype(np.int64)


def current_stages(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
    p_alive: pd.Series | None = None,
    view: str = "realtime",
    method: str | None = None,
    model: StageModel | None = None,
    **thresholds: float,
) -> pd.DataFrame:
    """Every customer's stage in the last period and how long it has been in it, without the long frame.

    The same stages as ``current_stage(assign_stages(...))["stage"]`` (same
    arguments, see :func:`assign_stages`), at a fraction of the memory: the
    classifier runs on each distinct purchase history once (customers who
    bought on the same days get the same stages), a block of histories at a
    time, and keeps only the last period.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted): ``stage`` (ordered categorical of
        :data:`analysis.units.STAGES`) and ``periods_in_stage`` (int >= 1, the
        periods of the last run of that stage, the last period included).
    """
    method = _check_view(view, method, p_alive, model)
    th = resolve_thresholds(thresholds)
    days = purchase_days(transactions, period, observation_end)
    if method == "model":
        codes, _, history = model_stage_codes(days, view, model)
        last, run = _last_runs(codes)
    else:
        window = _window_periods(th["window_months"], period)
        if p_alive is None:
            index, history = distinct_sequences(days.offsets, days.day)
        else:  # P(alive) is a customer's own: no two histories are the same
            index = history = np.arange(days.n_customers)
        last = np.empty(len(index), dtype=np.int8)
        run = np.empty(len(index), dtype=np.int64)
        for lo in range(0, len(index), _BLOCK):
            panel = days.panel(index[lo : lo + _BLOCK])
            sig = pace_signals(panel, window, th["growth_ratio"], th["decline_ratio"])
            stage, _ = run_rules(panel, sig, th, _p_alive_cells(p_alive, panel))
            last[lo : lo + _BLOCK], run[lo : lo + _BLOCK] = _last_runs(stage)
    return pd.DataFrame(
        {
            "stage": pd.Categorical.from_codes(
                last[history], categories=list(STAGES), ordered=True
            ),
            "periods_in_stage": run[history],
        },
        index=pd.Index(days.customer_ids, name="customer_id"),
    )


def current_stage(
    stages: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    **kwargs,
) -> pd.DataFrame:
    """The latest stage of every customer.

    Parameters
    ----------
    stages : DataFrame, optional
        Output of :func:`assign_stages`.
    transactions : DataFrame, optional
        A log to classify first (with ``**kwargs`` passed to :func:`assign_stages`)
        when ``stages`` is not given.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``: the last period's row of ``stages``
        (``period``, ``age``, signals, ``stage``, ``reason``).
    """
    if stages is None:
        if transactions is None:
            raise TypeError("current_stage needs stages (from assign_stages) or transactions")
        stages = assign_stages(transactions, **kwargs)
    require_stages(stages)
    last = stages.groupby("customer_id", sort=True)["period"].transform("max")
    return stages.loc[stages["period"] == last].set_index("customer_id").sort_index()


def stage_mix(stages: pd.DataFrame, by: str = "period", normalize: bool = True) -> pd.DataFrame:
    """Customers per stage in each period (or by ``age``): shares (default) or counts.

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`assign_stages` (or any frame with ``customer_id``,
        ``period``, ``stage`` and the ``by`` column).
    by : str
        The column to tabulate by: ``"period"`` (calendar) or ``"age"``.
    normalize : bool
        Shares of the row (True) or counts.

    Returns
    -------
    DataFrame
        Indexed by ``by`` (sorted), one column per stage in lifecycle order.
    """
    require_stages(stages)
    stage = pd.Categorical(stages["stage"], categories=list(STAGES))
    table = pd.crosstab(stages[by], stage, dropna=False)
    table = table.reindex(columns=list(STAGES), fill_value=0)
    table.columns = pd.Index(list(STAGES), name="stage")
    if normalize:
        table = table.div(table.sum(axis=1), axis=0)
    return table.sort_index()
