from warehouse import queries
from warehouse.staging import complete_bundles, load_staged, stage_records


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
