"""The sentence that says which log a report was run on, true for the default log and any other."""

from __future__ import annotations

import pandas as pd

__all__ = ["BUILTIN_DESCRIPTIONS", "run_intro"]

#: what the built-in datasets are, in words (a user's file is described from its data)
BUILTIN_DESCRIPTIONS: dict[str, str] = {
    "cdnow": (
        "the full CDNOW log: the customers who made their first purchase at the online music "
        "retailer CDNOW in the first quarter of 1997, followed to the end of June 1998"
    ),
    "cdnow_sample": (
        "the CDNOW one-tenth sample: a tenth of the customers who made their first purchase at "
        "the online music retailer CDNOW in the first quarter of 1997, followed to the end of "
        "June 1998"
    ),
}


def run_intro(dataset: str, transactions: pd.DataFrame) -> str:
    """Which log this run studies, with its size and dates taken from the data.

    Parameters
    ----------
    dataset : str
        The notebook's ``dataset`` parameter: a built-in name or a path.
    transactions : DataFrame
        The loaded log (``customer_id``, ``date``).

    Returns
    -------
    str
        Markdown: the log's description, then its customers, purchase rows and first and
        last dates, counted from ``transactions``. For a file, its name replaces the
        description; no sentence about CDNOW appears unless the dataset is CDNOW.
    """
    what = BUILTIN_DESCRIPTIONS.get(dataset, f"the log `{dataset}`")
    dates = pd.to_datetime(transactions["date"])
    return (
        f"This run studies {what}: {transactions['customer_id'].nunique():,} customers and "
        f"{len(transactions):,} purchase rows from {dates.min():%Y-%m-%d} to "
        f"{dates.max():%Y-%m-%d}. Every number below is computed from it; the parameters at "
        "the top of the notebook choose another log."
    )
