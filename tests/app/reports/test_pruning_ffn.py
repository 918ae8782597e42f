"""The pruning-ffn report: accuracy at 80% compression, the paper's findings, the files."""

import polars as pl
import pytest

from app.reports import create_report, list_reports
from app.reports.pruning_ffn import accuracy_at, paper_findings
from ingest.feature_landing import land_missing_features
from tests.app.pruning_warehouse import STUDY, store_hand_run


def _steps() -> pl.DataFrame:
    rows = []
    # (method, seed, [(sparsity, acc_after)]) of one setting and scheme; base acc 0.90
    runs = [("random", 0, [(0.5, 0.6), (0.78, 0.4)]), ("random", 1, [(0.5, 0.7), (0.81, 0.5)]),
            ("magnitude_class_blinded", 0, [(0.5, 0.92), (0.79, 0.91)]),
            ("obd", 0, [(0.5, 0.9), (0.8, 0.88)])]  # fmt: skip
    for method, seed, path in runs:
        run = f"{method}/{seed}"
        rows.append((run, f"b{seed}", method, "percentage", seed, 0, 0.0, 0.9))
        rows += [(run, f"b{seed}", method, "percentage", seed, i, s, a)
                 for i, (s, a) in enumerate(path, start=1)]  # fmt: skip
    frame = pl.DataFrame(
        rows, orient="row",
        schema=["run_id", "base_network_id", "method", "scheme", "seed", "step", "sparsity",
                "acc_after"],
    )  # fmt: skip
    return frame.with_columns(pl.lit("h[2] lr0.01").alias("setting"))


def test_accuracy_at_takes_each_runs_step_closest_to_the_compression():
    at = accuracy_at(_steps(), 0.8)
    by = {row["method"]: row for row in at.iter_rows(named=True)}
    assert by["random"]["mean"] == pytest.approx(0.45)  # 0.4 (0.78) and 0.5 (0.81)
    assert by["random"]["std"] == pytest.approx(0.0707107, rel=1e-5)
    assert by["random"]["n"] == 2
    assert by["obd"]["mean"] == pytest.approx(0.88)
    assert by["magnitude_class_blinded"]["unpruned"] == pytest.approx(0.9)


def test_paper_findings_say_what_holds_and_what_does_not():
    (line,) = paper_findings(accuracy_at(_steps(), 0.8))
    assert "best magnitude_class_blinded (0.910)" in line
    assert "class-blinded is at or above the others" in line
    assert "class-blinded at ~80% 0.910 >= unpruned 0.900" in line
    assert "random is worst" in line


def test_the_report_writes_its_figures_and_summary(tmp_path):
    db = tmp_path / "w.duckdb"
    store_hand_run(db, "random", 0, [0.6, 0.4])
    store_hand_run(db, "magnitude_class_blinded", 0, [0.9, 0.85])
    land_missing_features(db, n_jobs=1)
    assert "pruning-ffn" in list_reports()
    output = create_report("pruning-ffn", db, out=tmp_path / "docs")
    names = sorted(p.name for p in output.files)
    assert names == ["accuracy_vs_compression.png", "features_vs_sparsity.png", "summary.md"]
    assert all(p.stat().st_size > 0 for p in output.files)
    text = (tmp_path / "docs" / "figures" / "pruning-ffn" / "summary.md").read_text()
    assert f"Study `{STUDY.id}`: 2 pruning runs, 4 step networks, seeds [0]" in text
    assert "| h[2] lr0.01 | percentage | random | 0.50 | 0.400 | 1 | 0.900 |" in text


def test_without_a_prune_ffn_study_the_report_says_what_to_run(tmp_path):
    from warehouse.connection import open_connection

    open_connection(tmp_path / "w.duckdb", read_only=False).close()
    with pytest.raises(LookupError, match="sparsescope study prune-ffn"):
        create_report("pruning-ffn", tmp_path / "w.duckdb", out=tmp_path)
