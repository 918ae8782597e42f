"""A study writes while the dashboard reads: two real processes, no error, no lost row."""

import subprocess
import sys
import textwrap

WRITER = textwrap.dedent("""
    import sys
    from tests.warehouse.conftest import make_records
    from warehouse.records import StudyRecord
    from warehouse.store import store_records

    db, rounds = sys.argv[1], int(sys.argv[2])
    study = StudyRecord(id="concurrent", kind="test")
    for i in range(rounds):
        store_records(db, study, make_records(3, offset=3 * i))
    print("writer done", flush=True)
""")

READER = textwrap.dedent("""
    import os, sys, time
    from warehouse import queries

    db, stop_file = sys.argv[1], sys.argv[2]
    seen = []
    while not os.path.exists(stop_file):
        seen.append(queries.counts(db)["networks"])
        queries.meta_dataset(db)
    seen.append(queries.counts(db)["networks"])
    assert seen == sorted(seen), "a reader saw rows disappear"
    print("reader", len(seen), seen[-1], flush=True)
""")


def test_a_writer_and_a_reader_process_work_side_by_side(tmp_path):
    from warehouse.records import StudyRecord
    from warehouse.store import store_records

    db = tmp_path / "shared.duckdb"
    store_records(db, StudyRecord(id="seed", kind="test"), [])  # create the file
    stop = tmp_path / "stop"
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": root, "PATH": "/usr/bin:/bin"}
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    rounds = 15
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(db), str(rounds)],
        capture_output=True, text=True, env=env, timeout=240,
    )  # fmt: skip
    stop.touch()
    out, err = reader.communicate(timeout=120)
    assert writer.returncode == 0, writer.stderr
    assert reader.returncode == 0, err
    reads, last_count = map(int, out.split()[1:3])
    assert reads > 1, "the reader never got to read while the writer ran"
    assert last_count == 3 * rounds
