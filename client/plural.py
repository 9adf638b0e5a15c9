"""Counts with words that agree with them, for everything the client prints, shows or sends.

One place, so that no message says "wrote 1 rows", "1 new transactions" or "they sync" of a
single connection again: every count goes through `counted`, every word that follows a count
(a pronoun, a verb) through `plural`.
"""

from __future__ import annotations


def plural(n: int, one: str, other: str = "") -> str:
    """`one` when `n` is exactly 1, else `other` (by default `one` + "s"): a noun, a pronoun
    or a verb (`plural(n, "it syncs", "they sync")`); 0 takes the plural, as in "0 rows"."""
    if n == 1:
        return one
    return other or one + "s"


def counted(n: int, one: str, other: str = "") -> str:
    """The number and its noun: "1 row", "2 rows", "0 rows"."""
    return f"{n} {plural(n, one, other)}"
