"""The pruning-rnn report on a warehouse with known accuracies (tests/app/rnn_pruning_db.py)."""

from __future__ import annotations

import matplotlib.image
import pytest

from app.reports import create_report
from tests.app.rnn_pruning_db import STUDY, build_rnn_pruning_db


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pruning-rnn")
    db = build_rnn_pruning_db(folder / "w.duckdb")
    return create_report("pruning-rnn", db, out=folder / "docs"), folder / "docs"


def test_writes_the_figure_and_tables(report):
    result, out = report
    assert sorted(p.name for p in result.files) == [
        "accuracy.md", "accuracy_vs_percent.png", "safe_compression.md"
    ]  # fmt: skip
    image = matplotlib.image.imread(out / "figures" / "pruning-rnn" / "accuracy_vs_percent.png")
    assert image.shape[0] > 300 and image[..., :3].std() > 0.05
    assert result.summary[0] == f"study {STUDY.id}: 80 step networks, seeds [0, 1]"


def test_safe_compression_is_ours_over_seeds_beside_the_papers(report):
    _, out = report
    lines = (out / "figures" / "pruning-rnn" / "safe_compression.md").read_text().splitlines()
    # lstm: safe p 20 (seed 0) and 40 (seed 1) -> 30 ± 14 [20, 40]; paper: both ~60, h2h ~70
    assert "| lstm (1.000) | both | 30 ± 14 [20, 40] | ~60 |" in "\n".join(lines)
    assert "| lstm (1.000) | h2h | 30 ± 14 [20, 40] | ~70 |" in "\n".join(lines)
    assert "| tanh (1.000) | h2h | 30 ± 0 [30, 30] | ~80 |" in "\n".join(lines)


def test_the_curves_table_has_mean_std_and_n(report):
    _, out = report
    text = (out / "figures" / "pruning-rnn" / "accuracy.md").read_text()
    # lstm at p = 30 without re-training: seed 0 0.8, seed 1 1.0 -> 0.9 ± 0.141 (2)
    assert "| lstm | h2h | 30 | 0.900 ± 0.141 (2) | 1.000 ± 0.000 (2) |" in text


def test_an_unknown_study_is_refused_listing_the_known_ones(tmp_path, report):
    db = tmp_path / "w.duckdb"
    build_rnn_pruning_db(db)
    with pytest.raises(LookupError, match=f"recurrent pruning studies: {STUDY.id}"):
        create_report("pruning-rnn", db, out=tmp_path, study="nope")
