"""The command line, driven through its real entry point (errors are one line, no traceback)."""

import json
import sys

import networkx as nx
import numpy as np
import polars as pl
import pytest

from analytics.correlation import correlation_table
from app.cli import main


def run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["sparsescope", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def metadataset(tmp_path):
    rng = np.random.default_rng(2)
    n = 40
    nodes = rng.integers(10, 50, size=n)
    frame = pl.DataFrame(
        {
            "cell": ["gru", "tanh"] * (n // 2),
            "graph": [f"g{i}" for i in range(n)],
            "nodes": nodes,
            "closeness_var": rng.uniform(size=n),
            "test_acc": 0.5 + nodes / 100 + rng.normal(scale=0.02, size=n),
            "test_loss": rng.uniform(size=n),
        }
    )
    path = tmp_path / "results.csv"
    frame.write_csv(path)
    return path, frame


def test_import_correlate_regress_export(monkeypatch, capsys, tmp_path, metadataset):
    path, frame = metadataset
    db = tmp_path / "w.duckdb"
    code, out, _ = run(
        monkeypatch, capsys, "import-metadataset", path, "--target", "test_acc", "--group", "cell",
        "--name-cols", "graph", "--metric-cols", "test_loss", "--db", db,
    )  # fmt: skip
    assert code == 0 and "Imported 40 row(s)" in out
    code, out, _ = run(
        monkeypatch, capsys, "correlate", "--target", "test_acc", "--by", "label_cell",
        "--format", "json", "--db", db,
    )  # fmt: skip
    assert code == 0
    rows = {(r["group"], r["feature"]): r for r in json.loads(out)}
    expected = correlation_table(
        frame, target="test_acc", features=["nodes", "closeness_var"], by="cell"
    )
    for row in expected.rows(named=True):
        assert rows[(row["group"], row["feature"])]["pearson_r"] == pytest.approx(row["pearson_r"])
    assert ("gru", "test_loss") not in rows  # metrics are not features

    code, out, _ = run(
        monkeypatch, capsys, "regress", "--target", "test_acc", "--regressor", "bayesian_ridge",
        "--repeats", "1", "--format", "csv", "--db", db,
    )  # fmt: skip
    scores = pl.read_csv(out.encode())
    assert code == 0 and scores["regressor"].to_list() == ["bayesian_ridge"]
    assert scores["cv_r2_mean"][0] > 0.5

    out_file = tmp_path / "meta.parquet"
    code, out, _ = run(
        monkeypatch, capsys, "export", "--format", "parquet", "--out", out_file, "--db", db
    )
    assert code == 0 and pl.read_parquet(out_file).height == 40


def test_regress_train_size_scores_the_rows_left_out(monkeypatch, capsys, tmp_path, metadataset):
    from analytics.regressors.train_size import train_size_scores

    path, frame = metadataset
    db = tmp_path / "w.duckdb"
    run(monkeypatch, capsys, "import-metadataset", path, "--target", "test_acc", "--db", db)
    code, out, _ = run(
        monkeypatch, capsys, "regress", "--target", "test_acc", "--regressor", "bayesian_ridge",
        "--train-size", "25", "--repeats", "2", "--seed", "3", "--format", "json", "--db", db,
    )  # fmt: skip
    (row,) = json.loads(out)
    assert code == 0 and (row["train_size"], row["test_rows"]) == (25, 15)
    direct = train_size_scores(
        frame, target="test_acc", features=["nodes", "closeness_var"], train_size=25,
        regressors=["bayesian_ridge"], repeats=2, seed=3,
    ).row(0, named=True)  # fmt: skip
    for key in ("r2_mean", "kendall_tau", "spearman_pred", "precision_at_10pct"):
        assert row[key] == pytest.approx(direct[key])


def test_sql_refuses_writes_in_one_line(monkeypatch, capsys, tmp_path, metadataset):
    db = tmp_path / "w.duckdb"
    run(
        monkeypatch,
        capsys,
        "import-metadataset",
        metadataset[0],
        "--target",
        "test_acc",
        "--db",
        db,
    )
    code, _, err = run(monkeypatch, capsys, "sql", "DELETE FROM networks", "--db", db)
    assert code == 1
    assert "Only SELECT" in err and "Traceback" not in err
    code, out, _ = run(
        monkeypatch, capsys, "sql", "SELECT count(*) AS n FROM networks", "--format", "csv",
        "--db", db,
    )  # fmt: skip
    assert code == 0 and out.split() == ["n", "40"]


def test_errors_are_one_clear_line(monkeypatch, capsys, tmp_path, metadataset):
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("hello")
    code, _, err = run(monkeypatch, capsys, "correlate", "--target", "x", "--db", not_db)
    assert code == 1 and "not a DuckDB warehouse" in err and "Traceback" not in err
    db = tmp_path / "w.duckdb"
    code, _, err = run(
        monkeypatch, capsys, "import-metadataset", metadataset[0], "--target", "nope", "--db", db
    )
    assert code == 1 and "'nope'" in err and "--target" in err
    code, _, err = run(monkeypatch, capsys, "correlate", "--target", "x", "--db", db)
    assert code == 1 and "No warehouse" in err


def test_every_command_has_help(monkeypatch, capsys):
    commands = ["init", "import-graphs", "import-metadataset", "features", "correlate", "regress",
                "export", "sql", "dashboard", "reber"]  # fmt: skip
    for command in commands:
        code, out, _ = run(monkeypatch, capsys, command, "--help")
        assert code == 0 and "Usage" in out, command


def test_import_graphs_then_features(monkeypatch, capsys, tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"ba{i}.graphml"
        nx.write_graphml(nx.barabasi_albert_graph(20, 2, seed=i), path)
        paths.append(path)
    db = tmp_path / "w.duckdb"
    code, out, _ = run(monkeypatch, capsys, "import-graphs", *paths, "--db", db)
    assert code == 0 and "Imported 3 network(s)" in out
    code, out, _ = run(monkeypatch, capsys, "features", "--n-jobs", "1", "--db", db)
    assert code == 0 and "for 3 network(s)" in out
    code, out, _ = run(
        monkeypatch, capsys, "sql",
        "SELECT name, edges FROM meta_dataset ORDER BY name", "--format", "json", "--db", db,
    )  # fmt: skip
    assert [r["edges"] for r in json.loads(out)] == [36.0, 36.0, 36.0]
    code, out, _ = run(monkeypatch, capsys, "features", "--db", db)
    assert "for 0 network(s)" in out  # nothing left to compute


def _dashboard_command(monkeypatch, capsys, tmp_path, *extra):
    import subprocess

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda command, env: calls.append(command) or 0)
    code, _, err = run(monkeypatch, capsys, "dashboard", "--db", tmp_path / "w.duckdb", *extra)
    assert code == 0
    (command,) = calls
    options = dict(zip(command[5::2], command[6::2], strict=False))
    return options, err


def test_the_dashboard_listens_on_localhost_without_a_deploy_button(monkeypatch, capsys, tmp_path):
    options, err = _dashboard_command(monkeypatch, capsys, tmp_path)
    assert options["--server.address"] == "127.0.0.1"
    assert options["--client.toolbarMode"] == "minimal"
    assert "unauthenticated" not in err


def test_another_dashboard_address_warns_that_sql_is_open(monkeypatch, capsys, tmp_path):
    options, err = _dashboard_command(monkeypatch, capsys, tmp_path, "--address", "0.0.0.0")
    assert options["--server.address"] == "0.0.0.0"
    assert "warning" in err and "unauthenticated" in err and "0.0.0.0:8501" in err


def test_a_malformed_command_line_shows_usage_and_exits_2(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, "import-metadataset", tmp_path / "x.csv")
    assert code == 2
    assert "Usage:" in err and "--target" in err


def test_ctrl_c_during_a_study_prints_interrupted_and_exits_130(monkeypatch, capsys, tmp_path):
    """Typer turns the KeyboardInterrupt into a returned 130; main() must not drop it."""
    import app.cli_studies

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(app.cli_studies, "run_priors", interrupted)
    code, _, err = run(monkeypatch, capsys, "study", "priors", "--db", tmp_path / "w.duckdb")
    assert code == 130
    assert "Interrupted: finished work is kept" in err


def test_sql_prints_infinite_timestamps_and_intervals(monkeypatch, capsys, tmp_path):
    db = tmp_path / "w.duckdb"
    code, _, err = run(monkeypatch, capsys, "init", "--db", db)
    assert code == 0, err
    query = "SELECT 'infinity'::TIMESTAMP AS t, INTERVAL 2 DAY AS i"
    code, out, err = run(monkeypatch, capsys, "sql", query, "--format", "csv", "--db", db)
    assert code == 0, err
    assert out.splitlines() == ["t,i", "infinity,2 days"]


def _paper_csv(tmp_path, rows=37):
    """A CSV with default row names row-1..row-37 (text order: row-1, row-10, row-11, ...)."""
    rng = np.random.default_rng(11)
    frame = pl.DataFrame(
        {
            "edges": rng.integers(20, 200, size=rows).astype(float),
            "nodes": rng.uniform(10, 50, size=rows),
            "closeness_var": rng.uniform(size=rows) / 100,
        }
    )
    frame = frame.with_columns(
        test_acc=0.5 + pl.col("nodes") / 200 - pl.col("edges") / 2000
        + pl.Series(rng.normal(scale=0.02, size=rows))
    )  # fmt: skip
    path = tmp_path / "paper.csv"
    frame.write_csv(path)
    return path


def test_paper_r2_is_the_papers_script_on_the_file_in_its_order(monkeypatch, capsys, tmp_path):
    from sklearn.linear_model import BayesianRidge
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    path = _paper_csv(tmp_path)
    csv = pl.read_csv(path)
    features = ["closeness_var", "edges", "nodes"]
    x, y = csv.select(features).to_numpy(), csv["test_acc"].to_numpy()

    def papers_script(x, y):
        scaled = MinMaxScaler().fit_transform(x)  # on all rows, as the paper's script did
        x_tr, x_te, y_tr, y_te = train_test_split(scaled, y, test_size=0.1, random_state=7)
        return BayesianRidge().fit(x_tr, y_tr).score(x_te, y_te)

    db = tmp_path / "w.duckdb"
    code, _, _ = run(monkeypatch, capsys, "import-metadataset", path, "--target", "test_acc",
                     "--db", db)  # fmt: skip
    assert code == 0
    code, out, err = run(
        monkeypatch, capsys, "regress", "--target", "test_acc", "--regressor", "bayesian_ridge",
        "--repeats", "1", "--format", "json", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["paper_r2"] == pytest.approx(papers_script(x, y), abs=1e-9)
    assert row["note"] == "paper split tests only 4 rows"
    text_order = sorted(range(len(y)), key=lambda i: f"row-{i + 1}")  # the old read-back order
    assert abs(row["paper_r2"] - papers_script(x[text_order], y[text_order])) > 1e-6


def test_features_are_chosen_and_metric_like_columns_left_out(monkeypatch, capsys, tmp_path):
    rng = np.random.default_rng(5)
    n = 30
    nodes = rng.uniform(10, 50, size=n)
    frame = pl.DataFrame(
        {
            "nodes": nodes,
            "density": rng.uniform(size=n),
            "time": nodes * 3 + rng.normal(size=n),  # wall time, forgotten as --metric-cols
            "test_acc": 0.5 + nodes / 100 + rng.normal(scale=0.01, size=n),
        }
    )
    path = tmp_path / "timed.csv"
    frame.write_csv(path)
    db = tmp_path / "w.duckdb"
    run(monkeypatch, capsys, "import-metadataset", path, "--target", "test_acc", "--db", db)

    def features_used(*options):
        code, out, err = run(
            monkeypatch, capsys, "correlate", "--target", "test_acc", "--format", "json",
            "--db", db, *options,
        )  # fmt: skip
        assert code == 0, err
        return [r["feature"] for r in json.loads(out)], err

    used, err = features_used()
    assert used == ["density", "nodes"]
    (warning,) = [line for line in err.splitlines() if line.startswith("warning:")]
    assert "time" in warning and "--feature" in warning
    used, err = features_used("--feature", "time", "--feature", "nodes")
    assert used == ["time", "nodes"] and "warning" not in err
    used, _ = features_used("--exclude", "density")
    assert used == ["nodes"]

    code, _, err = run(monkeypatch, capsys, "regress", "--target", "test_acc", "--feature",
                       "nope", "--db", db)  # fmt: skip
    assert code == 1 and "Unknown feature(s) ['nope']" in err and "'density'" in err
    code, out, err = run(
        monkeypatch, capsys, "regress", "--target", "test_acc", "--regressor", "bayesian_ridge",
        "--exclude", "nodes", "--repeats", "1", "--bootstrap", "50", "--format", "csv",
        "--db", db,
    )  # fmt: skip
    scores = pl.read_csv(out.encode())
    assert code == 0 and scores["cv_r2_mean"][0] < 0.5  # only density is left, which is noise
    assert {"kendall_tau_low", "kendall_tau_high", "cv_r2_low"} <= set(scores.columns)


def test_read_only_commands_do_not_import_torch(monkeypatch, capsys, tmp_path, metadataset):
    import subprocess

    db = tmp_path / "w.duckdb"
    run(monkeypatch, capsys, "import-metadataset", metadataset[0], "--target", "test_acc",
        "--group", "cell", "--db", db)  # fmt: skip
    commands = [
        ["regress", "--target", "test_acc", "--regressor", "bayesian_ridge", "--repeats", "1"],
        ["correlate", "--target", "test_acc"],
        ["sql", "SELECT count(*) FROM networks"],
        ["export", "--out", str(tmp_path / "out.csv")],
    ]
    script = (
        "import sys\n"
        "import app.cli\n"
        f"for command in {commands!r}:\n"
        f"    sys.argv = ['sparsescope', *command, '--db', {str(db)!r}]\n"
        "    try:\n        app.cli.main()\n"
        "    except SystemExit as exc:\n        assert not exc.code, (command, exc)\n"
        "    print('torch loaded:', command[0], 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    verdicts = [line for line in done.stdout.splitlines() if line.startswith("torch loaded:")]
    assert verdicts == [f"torch loaded: {c[0]} False" for c in commands]
