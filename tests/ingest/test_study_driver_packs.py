"""The study driver with packs as units of work (fake study, no torch): a pack lands whole or
not at all, a failed or interrupted pack is retried whole, and a resume packs only what is
missing."""

from __future__ import annotations

import dataclasses

import pytest

from ingest import study_driver
from ingest.study_driver import JobPack, StudyDefinition, run_study
from tests.ingest.fake_study import fake_study, run_fake_job
from warehouse import queries
from warehouse.staging import complete_bundles

INTERRUPT_AT: set[str] = set()  # a pack holding one of these names is interrupted mid-way


def pairs(jobs):
    """Packs of two jobs, in order."""
    return [jobs[i : i + 2] for i in range(0, len(jobs), 2)]


def run_fake_pack(pack: JobPack):
    results = []
    for job in pack.jobs:
        if job.name in INTERRUPT_AT:
            raise KeyboardInterrupt  # the pack's first network is trained, not returned
        if job.seed == 3:
            raise RuntimeError("pack exploded")
        results.append(run_fake_job(job))
    return results


def packed_fake_study(count: int) -> StudyDefinition:
    plain = fake_study(count)
    return dataclasses.replace(plain, plan_packs=pairs, run_pack=run_fake_pack)


def _run_units(monkeypatch) -> list[list[int]]:
    """Record the sizes of the units the driver sends to the executor, per run."""
    seen: list[list[int]] = []
    real = study_driver.run_jobs

    def recording(fn, units, **kwargs):
        seen.append([len(unit.jobs) for unit in units])
        return real(fn, units, **kwargs)

    monkeypatch.setattr(study_driver, "run_jobs", recording)
    return seen


def test_a_failed_pack_fails_all_its_networks_and_stores_none_of_them(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    units = _run_units(monkeypatch)
    summary = run_study(packed_fake_study(6), db=db, workers=1)
    assert units == [[2, 2, 2]]
    # net-002 and net-003 share a pack; net-003 raises, so net-002 is not stored either
    assert sorted(summary.failed) == ["net-002", "net-003"]
    assert "pack exploded" in summary.failed["net-002"]
    assert summary.trained == 4
    assert sorted(queries.networks(db)["name"]) == ["net-000", "net-001", "net-004", "net-005"]


def test_an_interrupted_pack_is_trained_again_whole_and_a_resume_packs_only_the_rest(
    tmp_path, monkeypatch
):
    db = tmp_path / "w.duckdb"
    units = _run_units(monkeypatch)
    definition = packed_fake_study(7)
    definition = dataclasses.replace(
        definition, jobs=[dataclasses.replace(j, seed=j.seed + 10) for j in definition.jobs]
    )  # no seed 3: no pack explodes
    INTERRUPT_AT.add("net-003")
    try:
        with pytest.raises(KeyboardInterrupt):
            run_study(definition, db=db, workers=1)
    finally:
        INTERRUPT_AT.clear()
    # the packs before it landed; of the interrupted pack (net-002, net-003) nothing did
    assert sorted(queries.networks(db)["name"]) == ["net-000", "net-001"]
    assert complete_bundles(tmp_path / "w.duckdb.staging" / definition.study.id) == []
    again = run_study(definition, db=db, workers=1)
    assert (again.already_done, again.trained, again.failed) == (2, 5, {})
    assert units[-1] == [2, 2, 1]  # net-002..net-006 re-planned into packs
    assert sorted(queries.networks(db)["name"]) == [f"net-{i:03d}" for i in range(7)]


def test_packing_needs_both_a_planner_and_a_runner():
    with pytest.raises(ValueError, match="'plan_packs' and 'run_pack'.*go together"):
        dataclasses.replace(fake_study(2), plan_packs=pairs)


def test_a_planner_that_loses_a_job_is_refused(tmp_path):
    lossy = dataclasses.replace(
        fake_study(3), plan_packs=lambda jobs: [jobs[:1]], run_pack=run_fake_pack
    )
    with pytest.raises(ValueError, match="exactly one pack; it planned 1 jobs for 3"):
        run_study(lossy, db=tmp_path / "w.duckdb", workers=1)
