"""Benchmark: one generation of the demo CNN search, and a measured slice of the paper preset.

* **Demo generation.** The demo preset's genetic step on digits: training the offspring it
  measures (one of its two) and refitting the predictor on the measured candidates so far.
* **Paper slice.** The paper preset trains 2,472 candidates per search run on CIFAR-10 (40,000
  training images after the 20% validation hold-out, ``epochs`` epochs each). CIFAR-10 is not
  on this machine, so the slice trains ``--genotypes`` random genotypes of the paper's depths
  (6–12) for one epoch on ``--images`` CIFAR-shaped images (3×32×32; the time does not depend
  on the pixel values) with one torch thread, as a study worker does, and extrapolates
  linearly in images, epochs and candidates. Read it as an order of magnitude: genotypes vary
  a lot in cost, and the machine is shared.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_nas_cnn_search.py [--genotypes 6]
        [--images 1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch

from ingest.nas_config import make_nas_config
from ingest.nas_predictor import GenotypePredictor
from ingest.nas_training import SearchData, load_search_data, train_candidate
from models.nas.genotype import SearchSpaceConfig
from models.nas.space import GenotypeSpace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genotypes", type=int, default=6)
    parser.add_argument("--images", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    demo, paper = make_nas_config("demo"), make_nas_config("paper")
    space = GenotypeSpace(SearchSpaceConfig(min_depth=demo.min_depth, max_depth=demo.max_depth))
    rng = random.Random(0)
    genotypes = [space.sample(rng) for _ in range(demo.budget)]

    data = load_search_data("digits", None, demo.validation_fraction, demo.data_seed)
    options = dict(epochs=demo.epochs, batch_size=demo.batch_size,
                   learning_rate=demo.learning_rate, seed=0)  # fmt: skip
    start = time.perf_counter()
    scores = [train_candidate(g, data, **options).validation_acc for g in genotypes[:20]]
    train = (time.perf_counter() - start) / 20
    predictor = GenotypePredictor(regressor=demo.predictor, in_channels=1, seed=0)
    start = time.perf_counter()
    predictor.fit(genotypes[:20], scores)
    predictor.predict(genotypes[20:22])
    fit = time.perf_counter() - start
    print(f"demo generation: train one candidate {train:.2f} s (digits, {demo.epochs} epochs), "
          f"predictor fit + predict on 20 {fit:.2f} s")  # fmt: skip

    train_images = round(50_000 * (1 - paper.validation_fraction))
    synthetic = _cifar_shaped(args.images)
    seconds = []
    for genotype in genotypes[: args.genotypes]:
        score = train_candidate(genotype, synthetic, epochs=1, batch_size=paper.batch_size,
                                learning_rate=paper.learning_rate, seed=0)  # fmt: skip
        seconds.append(score.seconds / args.images)  # per image and epoch
    per_candidate = statistics.mean(seconds) * train_images * paper.epochs
    runs = len(paper.strategies) * len(paper.seeds)
    total = per_candidate * paper.budget * runs
    print(f"paper slice: {args.genotypes} genotypes × {args.images} CIFAR-shaped images × 1 "
          f"epoch: {statistics.mean(seconds) * 1e3:.2f} ms per image-epoch "
          f"(min {min(seconds) * 1e3:.2f}, max {max(seconds) * 1e3:.2f})")  # fmt: skip
    days = total / 86400
    print(f"paper preset estimate: {per_candidate / 60:.0f} min per candidate "
          f"({train_images} images × {paper.epochs} epochs), {paper.budget} candidates × {runs} "
          f"search runs = {days:.0f} core-days, {days / 2:.0f} days on 2 cores")  # fmt: skip


def _cifar_shaped(images: int) -> SearchData:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(images, 3, 32, 32, generator=generator)
    y = torch.randint(0, 10, (images,), generator=generator)
    return SearchData(name="cifar-shaped", train_x=x, train_y=y, validation_x=x[:64],
                      validation_y=y[:64], test_x=x[:64], test_y=y[:64], channels=3,
                      num_classes=10)  # fmt: skip


if __name__ == "__main__":
    main()
