"""How the readings write numbers: money, shares and lists, alike in every report's prose."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tables.format import with_currency

__all__ = ["money", "pct", "join_and", "cap", "word_for", "count"]


def money(x: float, currency: str = "$") -> str:
    """``$1,234`` from 100 up, ``$12.34`` below; the sign before the currency.

    A unit word (``purchases``, for a log without amounts) follows the number:
    ``12.34 purchases``.
    """
    sign = "-" if x < 0 else ""
    digits = 0 if abs(x) >= 100 else 2
    return with_currency(f"{abs(x):,.{digits}f}", currency, sign)


def pct(x: float) -> str:
    """A share as a percentage: one decimal under 10%, none above; ``<0.1%`` for a sliver."""
    if not np.isfinite(x):
        return "n/a"
    if 0 < abs(x) < 0.0005:
        return "<0.1%" if x > 0 else "-<0.1%"
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def join_and(items: Iterable) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
