"""Published parameter estimates that the models must reproduce, each with its source.

The one copy of these numbers: the tests (``tests/test_<model>.py``) check
our fits against them and the reproduction page (:func:`analysis.tables.reproduction_table`,
``notebooks/00_reproduction``) puts them next to our estimates. ``values`` holds the
parameters in the model's order and, when the paper reports it, the
log-likelihood under ``"loglik"``; numbers are as printed (3 decimals for the
parameters, 1 for the log-likelihood).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

__all__ = [
    "PublishedFit",
    "BGNBD_CDNOW",
    "PARETO_NBD_CDNOW",
    "GAMMA_GAMMA_CDNOW",
    "BGBB_DONATIONS",
    "SBG_REGULAR",
    "SBG_HIGH_END",
    "PUBLISHED",
    "PUBLISHED_CDNOW",
    "published_table",
]

_CDNOW = (
    "CDNOW 1/10 sample: 2,357 customers, weekly, calibration 1997-01-01 to 1997-09-30 (39 weeks)"
)
_FHL_2005 = (
    "Fader, Hardie & Lee (2005), \"'Counting your customers' the easy way: an alternative to "
    'the Pareto/NBD model", Marketing Science 24(2), 275-284'
)


@dataclass(frozen=True)
class PublishedFit:
    """One published fit: the model, the data it was fitted to, the source and the values."""

    model: str
    data: str
    source: str
    values: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @property
    def params(self) -> dict[str, float]:
        """The parameter estimates (``values`` without the log-likelihood)."""
        return {k: v for k, v in self.values.items() if k != "loglik"}


BGNBD_CDNOW = PublishedFit(
    model="BG/NBD",
    data=_CDNOW,
    source=_FHL_2005 + ": the BG/NBD estimates on the CDNOW sample",
    values={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik": -9582.4},
)

PARETO_NBD_CDNOW = PublishedFit(
    model="Pareto/NBD",
    data=_CDNOW,
    source=(
        _FHL_2005 + ": the Pareto/NBD benchmark on the same data; also Fader & Hardie (2005), "
        '"A note on implementing the Pareto/NBD model in MATLAB"'
    ),
    values={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669, "loglik": -9595.0},
)

GAMMA_GAMMA_CDNOW = PublishedFit(
    model="Gamma-Gamma",
    data="the 946 repeat buyers of the CDNOW sample's calibration period (mean spend per repeat purchase)",
    source=(
        'Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (note); the model '
        'of Fader, Hardie & Lee (2005), "RFM and CLV", Journal of Marketing Research 42(4)'
    ),
    values={"p": 6.25, "q": 3.74, "gamma": 15.44},
)

BGBB_DONATIONS = PublishedFit(
    model="BG/BB",
    data="donations: 11,104 donors of the 1995 cohort, 6 yearly opportunities (1996-2001)",
    source=(
        'Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual '
        'setting", Marketing Science 29(6), Table 2'
    ),
    values={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783, "loglik": -33225.6},
)

_FH_2007 = (
    'Fader & Hardie (2007), "How to project customer retention", Journal of Interactive '
    "Marketing 21(1): the sBG fitted to years 1-7"
)

SBG_REGULAR = PublishedFit(
    model="sBG",
    data="'regular' cohort of 1,000 customers, survivors at years 0-7 (RETENTION_EXAMPLE)",
    source=_FH_2007,
    values={"alpha": 0.704, "beta": 1.182},
)

SBG_HIGH_END = PublishedFit(
    model="sBG",
    data="'high end' cohort of 1,000 customers, survivors at years 0-7 (RETENTION_EXAMPLE)",
    source=_FH_2007,
    values={"alpha": 0.668, "beta": 3.806},
)

#: every published fit, by a short key
PUBLISHED: dict[str, PublishedFit] = {
    "BG/NBD CDNOW": BGNBD_CDNOW,
    "Pareto/NBD CDNOW": PARETO_NBD_CDNOW,
    "Gamma-Gamma CDNOW": GAMMA_GAMMA_CDNOW,
    "BG/BB donations": BGBB_DONATIONS,
    "sBG regular": SBG_REGULAR,
    "sBG high end": SBG_HIGH_END,
}

#: the CDNOW values by model name, the form that analysis.tables.compare_published takes
PUBLISHED_CDNOW: dict[str, dict[str, float]] = {
    fit.model: dict(fit.values) for fit in (BGNBD_CDNOW, PARETO_NBD_CDNOW, GAMMA_GAMMA_CDNOW)
}


def published_table() -> pd.DataFrame:
    """Every published value in one long table, with its data and source.

    Returns
    -------
    DataFrame
        Columns ``fit`` (the key of :data:`PUBLISHED`), ``model``,
        ``parameter``, ``value``, ``data`` and ``source``.
    """
    rows = [
        (key, fit.model, name, float(value), fit.data, fit.source)
        for key, fit in PUBLISHED.items()
        for name, value in fit.values.items()
    ]
    return pd.DataFrame(rows, columns=["fit", "model", "parameter", "value", "data", "source"])
