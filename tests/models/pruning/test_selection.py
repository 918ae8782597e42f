import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from models.pruning.selection import select_global, select_per_class


def test_select_global_takes_lowest_alive_scores_like_numpy():
    rng = np.random.default_rng(0)
    scores = [rng.random(7), rng.random(5)]
    alive = [rng.random(7) > 0.3, rng.random(5) > 0.3]
    flags = select_global([torch.tensor(s) for s in scores], [torch.tensor(a) for a in alive], 4)
    flat, flat_alive = np.concatenate(scores), np.concatenate(alive)
    candidates = np.flatnonzero(flat_alive)
    expected = set(candidates[np.argsort(flat[candidates])[:4]])
    assert set(np.flatnonzero(torch.cat(flags).numpy())) == expected


def test_select_per_class_splits_the_count_by_largest_remainder():
    # classes with 6 and 3 alive elements, remove 4: exact shares 8/3 and 4/3 -> 3 and 1
    scores = [torch.arange(6.0), torch.arange(3.0), torch.arange(2.0)]
    alive = [torch.ones(6, dtype=torch.bool), torch.ones(3, dtype=torch.bool)]
    alive.append(torch.zeros(2, dtype=torch.bool))
    flags = select_per_class(scores, alive, ["a", "b", "b"], 4)
    assert flags[0].tolist() == [True, True, True, False, False, False]
    assert flags[1].tolist() == [True, False, False]
    assert not flags[2].any()


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    data=st.data(),
)
def test_selections_remove_exactly_count_alive_lowest_elements(sizes, data):
    scores = [
        torch.tensor(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))) for n in sizes
    ]
    alive = [
        torch.tensor(data.draw(st.lists(st.booleans(), min_size=n, max_size=n))) for n in sizes
    ]
    groups = [data.draw(st.sampled_from(["a", "b"])) for _ in sizes]
    total_alive = sum(int(a.sum()) for a in alive)
    count = data.draw(st.integers(0, total_alive))
    for flags in (
        select_global(scores, alive, count),
        select_per_class(scores, alive, groups, count),
    ):
        assert sum(int(f.sum()) for f in flags) == count
        assert all(not bool((f & ~a).any()) for f, a in zip(flags, alive, strict=True))
    flags = select_global(scores, alive, count)
    removed = torch.cat([s[f] for s, f in zip(scores, flags, strict=True)])
    kept = torch.cat([s[a & ~f] for s, a, f in zip(scores, alive, flags, strict=True)])
    if removed.numel() and kept.numel():
        assert float(removed.max()) <= float(kept.min())
