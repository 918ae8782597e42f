"""Docstring examples are tests: every one is collected, none is skipped.

pytest runs them through ``--doctest-modules`` over the packages (``pyproject.toml``). These checks
make sure that stays true: a module whose examples stopped being collected (configuration
dropped, package left out of the test paths, an example turned into plain text) or an example
switched off with ``+SKIP`` would otherwise pass silently.
"""

from __future__ import annotations

import doctest
import importlib
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "ingest", "analytics", "warehouse", "app")
_CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
_IGNORED = [
    ROOT / option.split("=", 1)[1]
    for option in _CONFIG["addopts"].split()
    if option.startswith("--ignore=")
]


def _modules_with_examples() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if any(path.is_relative_to(ignored) for ignored in _IGNORED):
                continue
            if ">>> " in path.read_text(encoding="utf-8"):
                names.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return names


def test_pytest_runs_the_doctests_of_every_package():
    assert "--doctest-modules" in _CONFIG["addopts"].split()
    assert set(PACKAGES) <= set(_CONFIG["testpaths"])


def test_there_are_examples_to_run():
    assert len(_modules_with_examples()) >= 20


@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_every_example_is_collected_and_none_is_skipped(module_name):
    module = importlib.import_module(module_name.removesuffix(".__init__"))
    tests = doctest.DocTestFinder().find(module)
    examples = [example for test in tests for example in test.examples]
    assert examples, f"{module_name} contains '>>> ' but doctest finds no example in it"
    skipped = [e.source for e in examples if e.options.get(doctest.SKIP)]
    assert not skipped, f"{module_name} skips examples: {skipped}"
