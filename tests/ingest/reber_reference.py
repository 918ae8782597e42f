"""Independent answers for the Reber tests, written from the automaton's diagram.

A regular expression derived by hand from the automaton of Hochreiter & Schmidhuber (1997)
(not from the module's transition table), brute-force enumeration of grammatical strings,
and the definition of distinct walks (draw random walks, throw repeats away) done naively.
"""

from __future__ import annotations

import functools
import itertools
import random
import re

from ingest.reber import ALPHABET

__all__ = ["REBER_RE", "all_true_strings", "naive_distinct_walks", "one_edit_neighbours"]

# After "BT S* X" or "BP T* V" the walk is in the X/S state or the P/V state; from there
# "(X T* V P)*" loops back and "(X T* V V | S)" finishes.
_TAIL = r"(?:XT*VP)*(?:XT*VV|S)"
REBER_RE = re.compile(rf"B(?:TS*X{_TAIL}|PT*V(?:P{_TAIL}|V))E")


@functools.cache
def all_true_strings(max_length: int) -> frozenset[str]:
    """Every grammatical string up to ``max_length``, by brute force over B…E strings."""
    out = set()
    for k in range(max_length - 1):
        for middle in itertools.product("TPSXV", repeat=k):
            s = "B" + "".join(middle) + "E"
            if REBER_RE.fullmatch(s):
                out.add(s)
    return frozenset(out)


def naive_distinct_walks(count: int, seed: int, min_length: int = 5) -> list[str]:
    """The definition: random walks (each branch 1/2), repeats and short ones thrown away."""
    moves = {0: "B1", 1: "T2P3", 2: "S2X4", 3: "T3V5", 4: "X3S6", 5: "P4V6", 6: "E7"}
    rng, seen, out = random.Random(seed), set(), []
    while len(out) < count:
        state, symbols = 0, []
        while state != 7:
            options = moves[state]
            pick = 0 if len(options) == 2 else 2 * (rng.random() < 0.5)
            symbols.append(options[pick])
            state = int(options[pick + 1])
        s = "".join(symbols)
        if s not in seen and len(s) >= min_length:
            seen.add(s)
            out.append(s)
    return out


def one_edit_neighbours(s: str) -> set[str]:
    """Every string one substitution, insertion or deletion away from ``s``."""
    out = set()
    for i in range(len(s) + 1):
        for c in ALPHABET:
            out.add(s[:i] + c + s[i:])
            if i < len(s):
                out.add(s[:i] + c + s[i + 1 :])
        if i < len(s):
            out.add(s[:i] + s[i + 1 :])
    out.discard(s)
    return out
