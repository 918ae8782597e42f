import numpy as np
import torch

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
