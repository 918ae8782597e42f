"""The nas report on a search warehouse built by hand: its numbers and the paper's finding."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np

from app.reports import create_report
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

STUDY = StudyRecord(id="nas-hand", kind="nas", config={})


def test_report_writes_the_speedup_table_and_feature_ranking(tmp_path):
    rng = np.random.default_rng(0)
    records = []
    for strategy, accs in (("regularized_evolution", [0.5, 0.6, 0.8, 0.7] * 10),
                           ("genetic_predictor", [0.5, 0.8, 0.6, 0.7] * 10)):  # fmt: skip
        for q, acc in enumerate(accs):
            spread = float(acc + rng.normal(0, 0.01))
            records.append(NetworkRecord(
                name=f"{strategy}/seed0/{q:04d}", graph=nx.DiGraph([(0, 1), (1, 2)]),
                family="nas_cnn", seed=0, generator=strategy,
                metrics=[Metric(1, "validation", "acc", acc), Metric(1, "test", "acc", acc)],
                features={"path_longest_conv3x3_std": spread, "noise": float(rng.uniform())},
                labels={"strategy": strategy, "scored_by": "measured"},
                attributes={"generation": q, "query": q + 1},
            ))  # fmt: skip
    store_records(tmp_path / "w.duckdb", STUDY, records)
    result = create_report("nas", tmp_path / "w.duckdb", out=tmp_path / "docs")
    text = (tmp_path / "docs" / "figures" / "nas" / "search.md").read_text()
    # target 0.8: regularized evolution reaches it after 3 trainings, the predictor run after 2
    assert "Target: validation accuracy 0.8000" in text
    assert "| genetic_predictor | 1 | 40 | 0.8000 | 0.8000 | 2.0 | 100% | 1.50×" in text
    assert "| 1 | path_longest_conv3x3_std |" in text
    assert "here: 1 of ten (1 positively correlated)" in text
    assert (tmp_path / "docs" / "figures" / "nas" / "search_curves.png").stat().st_size > 0
    assert (tmp_path / "docs" / "figures" / "nas" / "learning_curve.png").stat().st_size > 0
    # 80 trained candidates: sizes 25 and 50 (20 must stay to score), every metric inside its CI
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()
            if re.match(r"^\| (25|50) \| ", line)]  # fmt: skip
    assert [r[:2] for r in rows] == [["25", "55"], ["50", "30"]]
    for row in rows:  # R², τ, ρ, P@10%: "mean [low, high]" with low <= mean <= high
        for cell in row[2:]:
            mean, low, high = map(float, re.findall(r"-?\d+\.\d+", cell))
            assert low <= mean <= high, cell
    assert any("80 candidates (80 measured)" in line for line in result.summary)
