"""The ``sparsescope`` command line: thin commands over the library.

Every command takes ``--db`` (default ``$SPARSESCOPE_DB`` or ``./sparsescope.duckdb``). Errors
print one clear line and exit with status 1; ``sparsescope --debug COMMAND`` shows the traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from app.cli_analytics import correlate, regress
from app.cli_common import (
    DbOption,
    console,
    error_console,
    progress_bar,
)
from app.cli_nas import study_nas
from app.cli_prune_ffn import prune_ffn
from app.cli_prune_rnn import prune_rnn
from app.cli_reber import reber_app
from app.cli_report import report
from app.cli_sql_output import SqlFormat, print_result
from app.cli_studies import demo, studies, studies_delete, study_priors
from app.process_exit import end_process, keep_teardown

__all__ = ["app", "console_main", "main"]

app = typer.Typer(
    name="sparsescope",
    help="Study the structure of sparse neural networks: import, measure, correlate, predict.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(reber_app, name="reber", help="Generate and check Reber grammar datasets.")
study_app = typer.Typer(help="Run the studies that train networks into the warehouse.")
app.add_typer(study_app, name="study")
study_app.command("priors")(study_priors)
study_app.command("prune-ffn")(prune_ffn)
study_app.command("prune-rnn")(prune_rnn)

study_app.command("nas")(study_nas)
studies_app = typer.Typer(
    help="List studies (kind, status, networks done of planned) or delete one.",
    invoke_without_command=True,
)
app.add_typer(studies_app, name="studies")
studies_app.callback()(studies)
studies_app.command("delete")(studies_delete)
app.command()(demo)
app.command("report")(report)

LOOPBACK = "127.0.0.1"  # the dashboard's default address: this machine only

_state = {"debug": False}


class ExportFormat(StrEnum):
    """File format of an exported meta-dataset."""

    csv = "csv"
    parquet = "parquet"


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def init(db: DbOption = None) -> None:
    """Create the warehouse file, or upgrade its schema (no data is dropped)."""
    from warehouse.connection import open_connection, resolve_db_path
    from warehouse.migrations import current_version

    con = open_connection(db, read_only=False)
    try:
        version = current_version(con)
    finally:
        con.close()
    console.print(f"Warehouse {resolve_db_path(db)} is at schema version {version}.")


@app.command("import-graphs")
def import_graphs(
    paths: Annotated[
        list[Path], typer.Argument(help="Graph files: GraphML, GML, edge list, JSON.")
    ],
    study: Annotated[
        str, typer.Option(help="Study to file the networks under.")
    ] = "imported-graphs",
    directed: Annotated[bool, typer.Option(help="Read edge lists as directed.")] = False,
    trust_pickle: Annotated[
        bool, typer.Option("--trust-pickle", help="Allow networkx pickles (they can run code).")
    ] = False,
    replace: Annotated[bool, typer.Option(help="Overwrite networks of the same name.")] = False,
    db: DbOption = None,
) -> None:
    """Import one network per graph file (all files in one transaction)."""
    from ingest.graph_files import import_graph_files

    report, imports = import_graph_files(
        db, paths, study=study, trust_pickle=trust_pickle, directed=directed, replace=replace
    )
    loops = sum(i.self_loops_removed for i in imports)
    merged = sum(i.duplicate_edges_merged for i in imports)
    console.print(
        f"Imported {report.inserted} network(s) into study {study!r} "
        f"({report.already_stored} already stored, {report.replaced} replaced)."
    )
    if loops or merged:
        console.print(
            f"Cleaned up: {loops} self-loop(s) removed, {merged} duplicate edge(s) merged."
        )


@app.command("import-metadataset")
def import_metadataset_command(
    csv: Annotated[Path, typer.Argument(help="CSV with one row per trained network.")],
    target: Annotated[str, typer.Option(help="Performance column, e.g. test_acc.")],
    group: Annotated[str | None, typer.Option(help="Categorical column to group by.")] = None,
    name_cols: Annotated[
        list[str] | None, typer.Option("--name-cols", help="Columns that name a row (repeat).")
    ] = None,
    metric_cols: Annotated[
        list[str] | None,
        typer.Option("--metric-cols", help="Columns stored as metrics, not features (repeat)."),
    ] = None,
    study: Annotated[str | None, typer.Option(help="Study id (default: the file name).")] = None,
    replace: Annotated[bool, typer.Option(help="Overwrite rows of the same name.")] = False,
    db: DbOption = None,
) -> None:
    """Import a meta-dataset CSV: numeric columns become features, --target a metric."""
    from ingest.metadataset_csv import import_metadataset

    report = import_metadataset(
        db, csv, target=target, group=group, name_cols=name_cols or (),
        metric_cols=metric_cols or (), study=study, replace=replace,
    )  # fmt: skip
    console.print(
        f"Imported {report.inserted} row(s) from {csv} "
        f"({report.already_stored} already stored, {report.replaced} replaced)."
    )


@app.command("import-nas-bench-graph")
def import_nas_bench_graph_command(
    dataset: Annotated[
        str, typer.Option(help="Data set (cora, citeseer, …, proteins) or 'all'.")
    ] = "cora",
    bench_file: Annotated[
        Path | None, typer.Option(help="A .bench pickle to read instead of the package's.")
    ] = None,
    trust_pickle: Annotated[
        bool, typer.Option("--trust-pickle", help="Allow --bench-file (pickles can run code).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Import NAS-Bench-Graph's measured architectures with their features (one transaction per
    data set; run it again after a failure to store the rest)."""
    import time

    from ingest.nas_bench_graph import import_nas_bench_graph

    start = time.perf_counter()
    with console.status("reading NAS-Bench-Graph and computing features"):
        results = import_nas_bench_graph(
            db, dataset, path=bench_file, trust_pickle=trust_pickle,
            on_dataset=lambda name: console.print(f"prepared {name}"),
        )  # fmt: skip
    for item in results:
        console.print(
            f"{item.study}: {item.architectures} architectures, {item.inserted} inserted, "
            f"{item.already_stored} already stored."
        )
    console.print(f"Done in {time.perf_counter() - start:.1f} s.")


@app.command()
def features(
    n_jobs: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    orientation: Annotated[
        str, typer.Option(help="Rule orienting undirected edges for layer features.")
    ] = "smaller_to_larger",
    db: DbOption = None,
) -> None:
    """Compute the graph features of every stored network that lacks them."""
    from ingest.feature_landing import land_missing_features

    with progress_bar() as progress:
        task = progress.add_task("features", total=None)

        def on_batch(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        count = land_missing_features(db, orientation=orientation, n_jobs=n_jobs, on_batch=on_batch)
    console.print(f"Computed features for {count} network(s).")


app.command()(correlate)
app.command()(regress)


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.csv,  # noqa: A002
    out: Annotated[
        Path | None,
        typer.Option(help="Output file, or a directory to write meta_dataset.EXT into."),
    ] = None,
    study: Annotated[str | None, typer.Option(help="Only this study.")] = None,
    db: DbOption = None,
) -> None:
    """Export the meta-dataset (features + final metrics, one row per network)."""
    from warehouse.export import export_meta_dataset

    target = out or Path(f"meta_dataset.{format.value}")
    if target.is_dir():
        target = target / f"meta_dataset.{format.value}"
    rows = export_meta_dataset(db, target, format=format.value, study=study)
    console.print(f"Wrote {rows} row(s) to {target}.")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One SELECT statement.")],
    max_rows: Annotated[int, typer.Option(help="Row cap.")] = 1000,
    timeout: Annotated[float, typer.Option(help="Seconds before the query is stopped.")] = 10.0,
    format: Annotated[  # noqa: A002
        SqlFormat,
        typer.Option("--format", help="table (records when too wide), records, csv or json."),
    ] = SqlFormat.table,
    db: DbOption = None,
) -> None:
    """Run one read-only SELECT on the warehouse (no files, no extensions, no writes)."""
    from warehouse.sql_box import run_sql

    result = run_sql(db, query, max_rows=max_rows, timeout=timeout)
    print_result(result.frame, format, console=console, notes=error_console)
    if result.truncated:
        error_console.print(f"(showing the first {max_rows} rows)")


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    address: Annotated[
        str,
        typer.Option(
            help="Interface to listen on. The SQL page is unauthenticated: only bind beyond "
            "127.0.0.1 on a network you trust."
        ),
    ] = LOOPBACK,
    headless: Annotated[bool, typer.Option(help="Do not open a browser.")] = False,
    db: DbOption = None,
) -> None:
    """Open the Streamlit dashboard on the warehouse (on 127.0.0.1 unless --address says else)."""
    from warehouse.connection import resolve_db_path

    if address not in (LOOPBACK, "localhost", "::1"):
        error_console.print(
            f"[yellow]warning:[/] the dashboard listens on {address}:{port}; its SQL page is "
            "unauthenticated, so anyone who can reach that address can read the whole warehouse.",
            highlight=False,
            soft_wrap=True,
        )
    script = Path(__file__).parent / "dashboard" / "main.py"
    env = dict(os.environ, SPARSESCOPE_DB=str(resolve_db_path(db).resolve()))
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", str(headless).lower(),
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",  # no "Deploy" button
    ]  # fmt: skip
    code = subprocess.call(command, env=env)
    if code:  # e.g. the port is taken: Streamlit said why on stderr
        error_console.print(f"[bold red]error:[/] the dashboard stopped with exit status {code}.")
    raise typer.Exit(code)


def main() -> None:
    """Entry point: run the app, turning known errors into one line on stderr."""
    try:
        # Typer returns the exit code instead of exiting (typer.Exit(n), and 130 for a Ctrl-C it
        # caught as KeyboardInterrupt); dropping it would make every failure exit 0.
        code = app(standalone_mode=False)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:  # noqa: BLE001 - the whole point is one clear line
        _fail(exc)
    else:
        if code == _INTERRUPTED:
            _interrupted()
        raise SystemExit(code if isinstance(code, int) else 0)


def console_main() -> NoReturn:
    """The ``sparsescope`` console script: :func:`main`, ended by :func:`end_process`.

    A read-only command that asked for it ends without the interpreter's teardown (0.4-0.8 s
    after a ``regress``); every other outcome exits exactly as :func:`main` does.
    """
    keep_teardown()
    try:
        main()
    except SystemExit as exc:
        end_process(exc.code)
    end_process(0)


_INTERRUPTED = 130  # the shell's code for a process stopped by SIGINT


def _interrupted() -> NoReturn:
    error_console.print("Interrupted: finished work is kept; run the command again to resume.")
    raise SystemExit(_INTERRUPTED) from None


def _fail(exc: Exception) -> NoReturn:
    """One clear line for ``exc`` and exit status 1 (``--debug`` re-raises it)."""
    if isinstance(exc, _usage_errors()):  # usage shown, status 2
        exc.show()
        raise SystemExit(exc.exit_code) from None
    if isinstance(exc, typer.Abort):
        _interrupted()
    if _state["debug"]:
        raise exc
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    error_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise SystemExit(1) from None


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's exception for a malformed command line, and the copy newer Typers vendor."""
    import click

    try:
        from typer._click.exceptions import ClickException as VendoredClickException
    except ImportError:  # a Typer that uses click itself
        return (click.ClickException,)
    return (click.ClickException, VendoredClickException)


if __name__ == "__main__":
    console_main()
