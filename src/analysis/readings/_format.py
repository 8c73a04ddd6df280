"""How the readings write words around numbers: shares in prose, counts with their noun, capitals.

Money and lists follow the one rule of :mod:`analysis.tables.format`
(:func:`~analysis.tables.format.money`, :func:`~analysis.tables.format.join_and`),
re-exported here for the readings.
"""

from __future__ import annotations

import numpy as np

from ..tables.format import join_and, money

__all__ = ["money", "pct", "join_and", "cap", "word_for", "count"]


def pct(x: float) -> str:
    """A share as a percentage: one decimal under 10%, none above; ``<0.1%`` for a sliver."""
    if not np.isfinite(x):
        return "n/a"
    if 0 < abs(x) < 0.0005:
        return "<0.1%" if x > 0 else "-<0.1%"
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def cap(text: str) -> str:
    """The text with its first letter upper-cased (the rest unchanged)."""
    return text[:1].upper() + text[1:]


def word_for(value: float, words, above: bool = True) -> str:
    """The word of the first ``(cut, word)`` pair that ``value`` passes.

    ``above=True``: the first cut that ``value`` exceeds (cuts falling);
    ``above=False``: the first cut that ``value`` does not exceed (cuts
    rising). The last pair's word when none does.
    """
    for cut, word in words:
        if (value > cut) if above else (value <= cut):
            return word
    return words[-1][1]


def count(n: float, noun: str = "customer") -> str:
    """``1 customer``, ``2,345 customers``: the number with separators and the noun agreeing."""
    n = int(n)
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
