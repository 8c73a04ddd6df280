"""What the segment studies run on: the customer table, the segments holding customers, their entries.

Shared by the report runner (:mod:`analysis.report.runner`, which runs the
studies after ``04_segments`` in ``make report``) and the segment studies'
own command line (:mod:`analysis.report.segment_studies`, ``make
segments``). :func:`customer_table_from` is also what the segment study
notebook calls to read the table ``04_segments`` wrote instead of building it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from . import schema

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RECORDED",
    "SEGMENTS_DIR",
    "SEGMENT_NOTEBOOK",
    "SET_BY_HOOK",
    "TABLE_FILE",
    "TABLE_NOTEBOOK",
    "TABLE_PARAMETER",
    "customer_table_from",
    "held_segments",
    "segment_entry",
    "segment_file_name",
    "segment_table",
]

#: the notebook run once per segment (not numbered: the main report loop skips it)
SEGMENT_NOTEBOOK: Path = config.NOTEBOOKS_DIR / "segment_study.ipynb"
#: the folder of the output directory holding the segment studies
SEGMENTS_DIR = "segments"
#: the parameters the hook sets itself, one run per segment
SET_BY_HOOK = ("segment",)
#: the study notebook that writes the customer table for the reader (and the segment studies)
TABLE_NOTEBOOK = "04_segments"
#: the file it writes in its export folder, read back by the segment studies
TABLE_FILE = "customers.parquet"
#: the segment study's parameter naming that file (empty: the study builds the table itself)
TABLE_PARAMETER = "customers_path"
#: the fields of the table's ``TableInfo`` that record a parameter, checked when read back
RECORDED = ("period", "time_unit", "horizon_years", "annual_discount_rate", "margin")


def segment_file_name(label: str) -> str:
    """A file stem for a label: lower case, runs of other characters than letters and digits as ``_``.

    >>> segment_file_name("can't lose them")
    'can_t_lose_them'
    """
    stem = re.sub(r"[^0-9a-z]+", "_", str(label).lower()).strip("_")
    return stem or "segment"


def segment_table(values: dict[str, Any]) -> pd.DataFrame:
    """The customer table the notebook studies: read from ``customers_path``, else built from the log."""
    import pandas as pd

    from .. import customers, data

    if values.get(TABLE_PARAMETER):
        return pd.read_parquet(values[TABLE_PARAMETER])
    transactions = data.load_dataset(values["dataset"], **schema.loading_options(values))
    return customers.customer_table(
        transactions,
        observation_end=values["observation_end"] or None,
        period=values["period"],
        time_unit=values["time_unit"],
        horizon_years=values["horizon_years"],
        annual_discount_rate=values["annual_discount_rate"],
        margin=values["margin"],
        cost_per_purchase=values["cost_per_purchase"],
        model=values.get("clv_model") or "auto",
        calibration_end=values.get("calibration_end") or None,
    )


def customer_table_from(
    path: str | Path | None,
    transactions: pd.DataFrame,
    *,
    observation_end=None,
    period: str = "M",
    time_unit: str = "W",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.10,
    margin: float = 0.30,
    cost_per_purchase: float = 0.0,
    model: str = "auto",
    calibration_end=None,
):
    """The customer table of ``transactions`` with its provenance: read from ``path``, else built.

    The report runner passes the table ``04_segments`` wrote in the same run
    (``customers.parquet``, the same log and parameters), so each segment
    study skips the model fits. A table read back is checked against the log
    (the same customers) and against the parameters its provenance records
    (:class:`analysis.customers.TableInfo`: observation end, period, time
    unit, horizon, discount rate, margin), so that ``make segments`` refuses
    a table of another run.

    Parameters
    ----------
    path : str or Path, optional
        A customer table written by :func:`analysis.customers_io.export`
        (Parquet); empty or None: build it with :func:`analysis.customers.value_customers`.
    transactions : DataFrame
        The loaded log.
    observation_end, period, time_unit, horizon_years, annual_discount_rate, margin
    cost_per_purchase, model, calibration_end
        As for :func:`analysis.customers.customer_table` (``model`` is the
        ``clv_model`` parameter; a table read back must have used the model it names).

    Returns
    -------
    Valuation
        ``table`` and ``info`` (:func:`analysis.customers_io.read_customers`
        or :func:`analysis.customers.value_customers`).

    Raises
    ------
    FileNotFoundError
        When ``path`` names no file.
    ValueError
        When the table read was not built from this log with these parameters
        (each difference named).
    """
    import math

    import pandas as pd

    from .. import customers, customers_io

    settings = {
        "period": period,
        "time_unit": time_unit,
        "horizon_years": horizon_years,
        "annual_discount_rate": annual_discount_rate,
        "margin": margin,
    }
    if not path:
        return customers.value_customers(
            transactions,
            observation_end=observation_end,
            cost_per_purchase=cost_per_purchase,
            model=model,
            calibration_end=calibration_end,
            **settings,
        )
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"customers_path: no file {str(path)!r}; leave it empty to build the customer "
            f"table here, or run the segments report first (it writes {TABLE_FILE})"
        )
    valued = customers_io.read_customers(path)
    table, info = valued
    last = transactions["date"].max() if observation_end is None else observation_end
    end = pd.Timestamp(last).normalize()
    problems = []
    if info.observation_end != end:
        problems.append(f"observation_end {info.observation_end} in the table, {end.date()} here")
    for name in RECORDED:
        value = getattr(info, name)
        same = (
            value == settings[name]
            if isinstance(settings[name], str) or value is None
            else math.isclose(float(value), float(settings[name]))
        )
        if not same:
            problems.append(f"{name} {value!r} in the table, {settings[name]!r} here")
    forced = customers.resolve_model(model)
    if forced is not None and info.model != forced:
        problems.append(f"model {info.model!r} in the table, {forced!r} here")
    ids = pd.Index(transactions["customer_id"].unique())
    if len(ids) != len(table) or not ids.isin(table.index).all():
        problems.append(f"{len(table):,} customers in the table, {len(ids):,} in the log")
    if problems:
        raise ValueError(
            f"customers_path: the customer table {str(path)!r} was not built from this log "
            f"with these parameters ({'; '.join(problems)}); leave customers_path empty to "
            "build the table here"
        )
    return valued


def held_segments(
    table: pd.DataFrame, segmentation: str, only: list[str] | None = None
) -> pd.Series:
    """Customers of each label of ``segmentation`` to study: those holding customers, or ``only``.

    Returns
    -------
    Series
        Label to customers, in the segmentation's order; ``attrs["customers"]``
        is the size of the base.

    Raises
    ------
    ValueError
        When a label of ``only`` holds no customer (the labels that do are listed).
    """
    from .. import segments

    counts = segments.segment_counts(table, segmentation)
    held = counts[counts > 0]
    if only:
        empty = [label for label in only if label not in held.index]
        if empty:
            listed = ", ".join(f"{label!r} ({n:,})" for label, n in held.items())
            raise ValueError(
                f"segment(s) {empty} of {segmentation} hold no customer; "
                f"the labels holding customers are {listed}"
            )
        held = held[held.index.isin(only)]
    held = held.astype(int)
    held.attrs = {"customers": int(counts.sum())}
    return held


def segment_entry(
    label: str, segmentation: str, held: pd.Series, page: Path, executed: Path, summary: str = ""
) -> dict[str, str]:
    """The index entry of one segment study: title, size and share, pages, one-line summary."""
    share = held[label] / held.attrs["customers"]
    return {
        "title": f"Segment study: {label} ({segmentation})",
        "lead": f"{held[label]:,} customers, {share:.1%} of the base.",
        "html": page.name,
        "notebook": executed.name,
        "summary": summary,
    }
