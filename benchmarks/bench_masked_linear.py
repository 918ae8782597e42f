"""Benchmark: training step of a MaskedLinear network against plain nn.Linear.

LeNet-300-100 shape (784 -> 300 -> 100 -> 10), batch 64, SGD with momentum; both networks start
from the same weights, the masked one with a 90 % random mask (the mask does not change the
dense kernels' cost). Runs are interleaved; the best round is reported (timeit's advice: the
minimum is least disturbed by other processes on a shared machine).

    /work/venv/bin/python benchmarks/bench_masked_linear.py [--threads N] [--rounds R]

Target: masked / plain <= 1.2.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from models.masked_linear import MaskedLinear

WIDTHS = [784, 300, 100, 10]
BATCH = 64
TARGET = 1.2


def build(masked: bool) -> nn.Sequential:
    torch.manual_seed(0)
    modules: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:], strict=True)):
        linear = nn.Linear(fan_in, fan_out)
        if masked:
            linear = MaskedLinear.from_linear(linear, mask=torch.rand(fan_out, fan_in) < 0.1)
        modules.append(linear)
        if index < len(WIDTHS) - 2:
            modules.append(nn.ReLU())
    return nn.Sequential(*modules)


def step_function(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20, help="steps per round")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = torch.randn(BATCH, WIDTHS[0]), torch.randint(0, WIDTHS[-1], (BATCH,))
    candidates = {"nn.Linear": build(False), "MaskedLinear": build(True)}
    steps = {name: step_function(model, x, y) for name, model in candidates.items()}
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for step in steps.values():
        for _ in range(5):
            step()
    for _ in range(args.rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            times[name].append((time.perf_counter() - start) / args.steps * 1e3)
    base = min(times["nn.Linear"])
    print(f"training step {' -> '.join(map(str, WIDTHS))}, batch {BATCH}, threads {args.threads}")
    print(f"{'model':<14}{'ms/step':>10}{'ratio':>8}")
    for name, values in times.items():
        median = min(values)
        print(f"{name:<14}{median:>10.3f}{median / base:>8.2f}")
    ratio = min(times["MaskedLinear"]) / base
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"overhead {ratio:.2f}x {verdict} the target <= {TARGET}x")


if __name__ == "__main__":
    main()
