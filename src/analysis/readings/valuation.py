"""The one line every report shows where it values customers: which cut, which model, how many, what total.

The study values each customer once per cut of the log (the customer table,
:func:`analysis.customers.customer_table`). Wherever a report uses a table, it
says which one with :func:`valuation_line`: the cut (the last day of the log
used), the customers and repeat buyers in it, the count model and the total
CLV. The same facts ride in the output's metadata (key :data:`METADATA_KEY`),
so a test can read every executed report and check that two reports at the
same cut agree (:func:`valuation_facts`, :func:`check_valuations`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from ._format import count, money

__all__ = [
    "METADATA_KEY",
    "check_valuations",
    "cut_line",
    "read_valuations",
    "valuation_facts",
    "valuation_line",
]

#: the key of the facts in a displayed line's metadata
METADATA_KEY = "analysis.valuation"
#: relative difference of two CLV totals that still counts as the same value
TOTAL_RTOL = 1e-9


def valuation_facts(table: pd.DataFrame, *, info) -> dict:
    """The cut, customers, repeat buyers, model and CLV total of a customer table (JSON-safe).

    ``info`` is the table's :class:`analysis.customers.TableInfo` (its cut and model).
    """
    end = pd.Timestamp(info.observation_end).strftime("%Y-%m-%d")
    return {
        "cut": end,
        "customers": int(len(table)),
        "repeat_buyers": int((table["frequency"] > 0).sum()),
        "model": str(info.model),
        "clv_total": float(table["clv"].sum()),
    }


def valuation_line(table: pd.DataFrame, what: str = "", *, info, currency: str = "$") -> Markdown:
    """Markdown: "**Valued at** the log to DATE: N customers (R repeat buyers), MODEL, total CLV X".

    Parameters
    ----------
    table : DataFrame
        A customer table (:func:`analysis.customers.customer_table`).
    what : str
        What the section uses it for, e.g. "the early-warning test"; written first.
    info : TableInfo
        The table's provenance (:func:`analysis.customers.value_customers`).
    currency : str
        Written before money (a unit word for a log without amounts).

    Returns
    -------
    Markdown
        The line, with :func:`valuation_facts` in its metadata under :data:`METADATA_KEY`.
    """
    facts = valuation_facts(table, info=info)
    lead = f"**{what}: valued at**" if what else "**Valued at**"
    text = (
        f"{lead} the log up to {facts['cut']}: {count(facts['customers'])} "
        f"({count(facts['repeat_buyers'], 'repeat buyer')}), count model {facts['model']}, "
        f"total CLV over {info.horizon_years:g} years "
        f"{money(facts['clv_total'], currency)}."
    )
    return Markdown(text, metadata={METADATA_KEY: facts})


def cut_line(calibration: pd.DataFrame, what: str, calibration_end, observation_end) -> str:
    """Markdown: which cut a section's models are fitted on and tested after, with its customers.

    ``calibration`` is :func:`analysis.rfm.summarize` with a calibration end
    (one row per customer who bought by then).
    """
    repeat = int((calibration["frequency"] > 0).sum())
    return (
        f"**{what}: fitted on** the log up to {pd.Timestamp(calibration_end).date()}: "
        f"{count(len(calibration))} ({count(repeat, 'repeat buyer')}); tested on their purchases "
        f"after it, to {pd.Timestamp(observation_end).date()}. The valuation (section 5) uses "
        "the whole log."
    )


def _outputs(notebook: dict) -> Iterable[dict]:
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("text/markdown", {})
            if METADATA_KEY in meta:
                yield meta[METADATA_KEY]


def read_valuations(paths: Iterable[str | Path]) -> list[tuple[str, dict]]:
    """(notebook name, facts) for every valuation line stored in the executed notebooks."""
    found = []
    for path in paths:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        found += [(Path(path).stem, facts) for facts in _outputs(notebook)]
    return found


def check_valuations(paths: Iterable[str | Path]) -> list[str]:
    """Disagreements between the reports' valuation lines at the same cut (empty: all agree).

    Two lines at the same cut must name the same customers, repeat buyers and
    model, and CLV totals equal to :data:`TOTAL_RTOL`.
    """
    by_cut: dict[str, list[tuple[str, dict]]] = {}
    for name, facts in read_valuations(paths):
        by_cut.setdefault(facts["cut"], []).append((name, facts))
    problems = []
    for cut, lines in sorted(by_cut.items()):
        first_name, first = lines[0]
        for name, facts in lines[1:]:
            for key in ("customers", "repeat_buyers", "model"):
                if facts[key] != first[key]:
                    problems.append(
                        f"cut {cut}: {key} {facts[key]!r} in {name}, {first[key]!r} in {first_name}"
                    )
            if not math.isclose(facts["clv_total"], first["clv_total"], rel_tol=TOTAL_RTOL):
                problems.append(
                    f"cut {cut}: CLV total {facts['clv_total']:,.2f} in {name}, "
                    f"{first['clv_total']:,.2f} in {first_name}"
                )
    return problems
