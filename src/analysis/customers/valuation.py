"""The customer table's models: the count model chosen by the study's rule, and the spend per purchase.

Glue between the log and :mod:`analysis.clv.choice`: the calibration cut of
``model="auto"``'s holdout step (:func:`calibration_summary`), the choice of
the count model on the summaries, and the spend per purchase
(:func:`analysis.customers.spend.spend_per_purchase`), held together in
:class:`TableModels`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from .. import rfm
from ..clv.choice import ModelChoice, choose_count_model
from ..dates import frame_rule
from ..models.rows import unique_rows
from .spend import spend_per_purchase

__all__ = ["TableModels", "calibration_summary", "fit_table_models"]


def calibration_summary(transactions, time_unit, end, calibration_end):
    """The log summarised to ``calibration_end`` (from the data by default), or (None, None).

    ``calibration_end`` None (or "") places the cut by
    :data:`analysis.dates.FRAME_RULE`; False skips the holdout step; a date
    must fall between the first purchase and the day before ``end``.

    Returns
    -------
    (summary, calibration_end)
        The calibration summary (with the holdout columns) and the cut
        (Timestamp), or (None, None) when there is none.
    """
    if calibration_end is False:
        return None, None
    first = transactions["date"].min()
    if calibration_end is None or (isinstance(calibration_end, str) and not calibration_end):
        try:
            cal, _ = frame_rule(first, end)
        except ValueError:  # too short a log to split: the rule skips its holdout step
            return None, None
    else:
        cal = pd.Timestamp(calibration_end).normalize()
        if not pd.Timestamp(first).normalize() <= cal < end:
            raise ValueError(
                f"calibration_end {cal.date()} must fall between the first purchase "
                f"({pd.Timestamp(first).date()}) and the day before observation_end ({end.date()})"
            )
    with warnings.catch_warnings():  # customers who start after it are simply not in the test
        warnings.simplefilter("ignore", UserWarning)
        summary = rfm.summarize(transactions, time_unit, observation_end=end, calibration_end=cal)
    return summary, cal


@dataclass
class TableModels:
    """The fitted models of a customer table and the notes that say how they were chosen.

    Attributes
    ----------
    choice : ModelChoice
        The count model (``choice.model``), its name, note and the candidates' table.
    spend : Series
        Spend per purchase of every customer (indexed like the summary).
    spend_model : GammaGamma or None
        The fitted Gamma-Gamma behind ``spend`` (None on the fallback or without amounts).
    spend_note : str
        Which spend was used.
    calibration_end : Timestamp or None
        The cut of the holdout step (None when skipped).
    """

    choice: ModelChoice
    spend: pd.Series
    spend_model: object
    spend_note: str
    calibration_end: pd.Timestamp | None

    @property
    def count_model(self):
        return self.choice.model

    @property
    def note(self) -> str:
        return f"{self.choice.note} {self.spend_note}"


_COUNT_COLUMNS = ("frequency", "recency", "T")
#: the calibration summary's columns that the holdout step reads
_HOLDOUT_COLUMNS = (*_COUNT_COLUMNS, "frequency_holdout", "duration_holdout")


def _weighted_rows(summary: pd.DataFrame, columns) -> pd.DataFrame:
    """The distinct rows of ``summary[columns]`` (sorted) with ``weight``, their number of customers.

    The summary's time unit (``attrs["time_unit"]``, which the models read) is kept.
    """
    uniq, counts = unique_rows(summary[list(columns)].to_numpy(dtype=float))
    out = pd.DataFrame(uniq, columns=list(columns))
    out["weight"] = counts.astype(float)
    if "time_unit" in summary.attrs:
        out.attrs["time_unit"] = summary.attrs["time_unit"]
    return out


def fit_table_models(
    transactions: pd.DataFrame,
    summary: pd.DataFrame,
    history: pd.DataFrame,
    *,
    model: str,
    calibration_end,
    observation_end: pd.Timestamp,
    time_unit: str,
    min_spend_buyers: int,
    value_per_purchase: float | None,
    currency: str,
    calibration: tuple | None = None,
) -> TableModels:
    """Choose and fit the count model (:func:`analysis.clv.choice.choose_count_model`) and the spend.

    ``summary`` is :func:`analysis.rfm.summarize` of ``transactions`` to
    ``observation_end`` and ``history`` its
    :func:`analysis.customers.history.purchase_history` (same index).
    ``calibration``: the pair :func:`calibration_summary` returns for these
    arguments when it was computed already (by default it is computed here).
    """
    if calibration is None:
        calibration = calibration_summary(transactions, time_unit, observation_end, calibration_end)
    calibration, cal_end = calibration
    # The count models are fitted on the distinct rows with their number of customers: each
    # model compresses its data so before fitting, so the fits are the same, and the rows are
    # found once rather than once per fit (six fits of a million customers).
    if calibration is not None:
        calibration = _weighted_rows(calibration, _HOLDOUT_COLUMNS)
    choice = choose_count_model(_weighted_rows(summary, _COUNT_COLUMNS), model, calibration)
    del calibration
    spend, spend_model, spend_note = spend_per_purchase(
        summary, history, min_spend_buyers, value_per_purchase, currency
    )
    return TableModels(choice, spend, spend_model, spend_note, cal_end)
