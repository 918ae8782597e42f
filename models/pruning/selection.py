"""Choose the lowest-saliency elements to remove: globally or the same fraction per class.

Scores and alive flags come as one flat tensor per *element set* (a weight matrix, or a layer
of neurons), each set belonging to a class (its group). Dead elements are never chosen.

* :func:`select_global` — the ``count`` lowest scores over all sets (one global threshold);
* :func:`select_per_class` — the same fraction from every class: class ``g`` with ``a_g``
  alive elements loses ``count · a_g / A`` of them, rounded by largest remainders so that the
  quotas add up to ``count`` exactly.

Ties are broken by position (a stable sort), so a selection is reproducible.

Example
-------
>>> import torch
>>> scores = [torch.tensor([3.0, 1.0, 2.0]), torch.tensor([0.5, 4.0])]
>>> alive = [torch.tensor([True, True, True]), torch.tensor([False, True])]
>>> [r.tolist() for r in select_global(scores, alive, 2)]
[[False, True, True], [False, False]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from models.pruning.errors import PruningError

__all__ = ["alive_scores", "choose", "select_global", "select_per_class"]

ALLOCATIONS = ("global", "per_class")


def choose(
    scores: Sequence[torch.Tensor],
    alive: Sequence[torch.Tensor],
    groups: Sequence[str],
    count: int,
    allocation: str,
) -> list[torch.Tensor]:
    """Dispatch to :func:`select_global` or :func:`select_per_class` by ``allocation``."""
    if allocation == "global":
        return select_global(scores, alive, count)
    if allocation == "per_class":
        return select_per_class(scores, alive, groups, count)
    raise PruningError(f"Unknown allocation {allocation!r}; valid: {list(ALLOCATIONS)}.")


def select_global(
    scores: Sequence[torch.Tensor], alive: Sequence[torch.Tensor], count: int
) -> list[torch.Tensor]:
    """Flags (one flat bool tensor per set) of the ``count`` lowest-scoring alive elements."""
    flat_scores, flat_alive = _concat(scores, alive)
    remove = torch.zeros_like(flat_alive)
    if count > 0:
        remove[_lowest(flat_scores, flat_alive, count)] = True
    return _split(remove, scores)


def select_per_class(
    scores: Sequence[torch.Tensor],
    alive: Sequence[torch.Tensor],
    groups: Sequence[str],
    count: int,
) -> list[torch.Tensor]:
    """Flags removing the same fraction of alive elements from every class (group)."""
    names = list(dict.fromkeys(groups))
    members = {name: [i for i, g in enumerate(groups) if g == name] for name in names}
    alive_per_class = {name: sum(int(alive[i].sum()) for i in members[name]) for name in names}
    quotas = _largest_remainder(alive_per_class, count)
    remove = [torch.zeros_like(a) for a in alive]
    for name in names:
        if quotas[name] == 0:
            continue
        picked = select_global(
            [scores[i] for i in members[name]], [alive[i] for i in members[name]], quotas[name]
        )
        for i, flags in zip(members[name], picked, strict=True):
            remove[i] = flags
    return remove


def alive_scores(scores: Sequence[torch.Tensor], alive: Sequence[torch.Tensor]) -> torch.Tensor:
    """The scores of all alive elements, ascending (what a bucket fills up with)."""
    flat_scores, flat_alive = _concat(scores, alive)
    return torch.sort(flat_scores[flat_alive], stable=True).values


def _lowest(flat_scores: torch.Tensor, flat_alive: torch.Tensor, count: int) -> torch.Tensor:
    candidates = torch.nonzero(flat_alive).reshape(-1)
    if count > candidates.numel():
        raise PruningError(
            f"Cannot remove {count} elements: only {candidates.numel()} remain unpruned."
        )
    values = flat_scores[candidates]
    if bool(torch.isnan(values).any()):
        raise PruningError("The pruning method produced NaN saliencies for unpruned elements.")
    order = torch.argsort(values, stable=True)
    return candidates[order[:count]]


def _largest_remainder(sizes: dict[str, int], count: int) -> dict[str, int]:
    total = sum(sizes.values())
    if count > total:
        raise PruningError(f"Cannot remove {count} elements: only {total} remain unpruned.")
    if total == 0:
        return dict.fromkeys(sizes, 0)
    exact = {name: count * size / total for name, size in sizes.items()}
    quotas = {name: math.floor(value) for name, value in exact.items()}
    left = count - sum(quotas.values())
    by_remainder = sorted(sizes, key=lambda name: -(exact[name] - quotas[name]))  # stable
    for name in by_remainder:
        if left == 0:
            break
        if quotas[name] < sizes[name]:
            quotas[name] += 1
            left -= 1
    return quotas


def _concat(
    scores: Sequence[torch.Tensor], alive: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    flat_scores = torch.cat([s.reshape(-1).to(torch.float64) for s in scores])
    flat_alive = torch.cat([a.reshape(-1) for a in alive]).to(device=flat_scores.device)
    return flat_scores, flat_alive


def _split(flat: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    sizes = [t.numel() for t in like]
    return list(torch.split(flat, sizes))
