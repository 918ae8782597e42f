import warnings

import pytest

from warehouse import queries
from warehouse.records import Metric
from warehouse.staging import (
    QUARANTINE,
    StagingWarning,
    complete_bundles,
    load_staged,
    remove_unfinished,
    stage_records,
)


def test_staged_bundles_load_in_one_go_and_are_removed(db, study, tmp_path, make_records):
    staging = tmp_path / "staging"
    stage_records(staging, study, make_records(2))
    stage_records(staging, study, make_records(3, offset=2))
    (staging / ".tmp-unfinished").mkdir()  # a job killed mid-write
    assert len(complete_bundles(staging)) == 2
    report = load_staged(db, staging)
    assert report.inserted == 5
    assert complete_bundles(staging) == []
    assert queries.counts(db)["networks"] == 5


def test_a_kill_while_a_stored_bundle_is_deleted_never_quarantines_it(
    db, study, tmp_path, make_records, monkeypatch
):
    """rmtree goes file by file; killed half-way it must not leave a half bundle to be
    quarantined as unreadable at the next load (its networks are stored already)."""
    import shutil

    import warehouse.staging as staging_module

    staging = tmp_path / "staging"
    stage_records(staging, study, make_records(2))
    real_rmtree = shutil.rmtree

    def killed_half_way(path, ignore_errors=False):
        next(p for p in sorted(path.iterdir()) if p.suffix == ".parquet").unlink()
        raise KeyboardInterrupt  # the kill, after one of its files is gone

    monkeypatch.setattr(staging_module.shutil, "rmtree", killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        load_staged(db, staging)
    monkeypatch.setattr(staging_module.shutil, "rmtree", real_rmtree)
    assert queries.counts(db)["networks"] == 2
    assert complete_bundles(staging) == []  # what is left of it is hidden
    with warnings.catch_warnings():
        warnings.simplefilter("error", StagingWarning)
        report = load_staged(db, staging)
    assert (report.inserted, report.quarantined) == (0, ())
    assert not (staging / QUARANTINE).exists()
    assert remove_unfinished(staging) == 1 and list(staging.iterdir()) == []


def test_loading_a_bundle_twice_never_duplicates(db, study, tmp_path, make_records):
    staging = tmp_path / "staging"
    stage_records(staging, study, make_records(2))
    stage_records(staging, study, make_records(2))  # the same networks staged again
    report = load_staged(db, staging)
    assert (report.inserted, queries.counts(db)["networks"]) == (2, 2)
    stage_records(staging, study, make_records(2))
    report = load_staged(db, staging)
    assert (report.inserted, report.already_stored) == (0, 2)
    assert queries.counts(db)["metrics"] == 4


def test_two_results_for_one_network_land_once_never_a_crash(db, study, tmp_path, make_records):
    staging = tmp_path / "staging"
    again = make_records(2)
    for record in again:
        record.metrics = [Metric(1, "", "wall_time", 9.5)]  # the job ran a second time
    stage_records(staging, study, make_records(2))
    stage_records(staging, study, again)
    report = load_staged(db, staging, keep_stored=True)
    assert (report.inserted, queries.counts(db)["networks"]) == (2, 2)
    assert queries.counts(db)["metrics"] == 4  # the first bundle's two metrics per network
    stage_records(staging, study, again)  # and once more after the first landed
    report = load_staged(db, staging, keep_stored=True)
    assert (report.inserted, report.skipped, complete_bundles(staging)) == (0, 2, [])


def test_corrupt_and_stray_entries_are_quarantined_and_the_rest_loads(
    db, study, tmp_path, make_records
):
    staging = tmp_path / "staging"
    stage_records(staging, study, make_records(1))
    corrupt = stage_records(staging, study, make_records(1, offset=1))
    (corrupt / "metrics.parquet").write_bytes(b"PAR1 this is not parquet")
    (staging / "stray-folder").mkdir()
    (staging / "notes.txt").write_text("left here by hand")
    with pytest.warns(StagingWarning) as caught:
        report = load_staged(db, staging)
    assert report.inserted == 1 and queries.counts(db)["networks"] == 1
    quarantine = staging / QUARANTINE
    assert sorted(p.name for p in quarantine.iterdir()) == sorted(
        [corrupt.name, "stray-folder", "notes.txt"]
    )
    assert len(report.quarantined) == 3 and all(str(quarantine) in m for m in report.quarantined)
    assert any("unreadable" in str(w.message) and corrupt.name in str(w.message) for w in caught)
    assert complete_bundles(staging) == []
    assert load_staged(db, staging).inserted == 0  # nothing left to stop the next run


def test_a_bundle_the_warehouse_refuses_is_quarantined_and_the_others_load(
    db, study, tmp_path, make_records
):
    staging = tmp_path / "staging"
    bad = make_records(1, offset=5)[0]
    bad.metrics = [Metric(1, "test", "acc", 0.5)] * 2  # refused by the metrics primary key
    stage_records(staging, study, make_records(2))
    stage_records(staging, study, [bad])
    with pytest.warns(StagingWarning, match="refused"):
        report = load_staged(db, staging)
    assert report.inserted == 2 and len(list((staging / QUARANTINE).iterdir())) == 1
    assert complete_bundles(staging) == []
