"""Smoke tests in a real browser: ``streamlit run`` the dashboard and drive Debian's chromium.

Every page listed in ``main.py``'s ``PAGES`` is opened (the list is read from the source, so a
new page is covered when it is added) and must render its heading without an exception and
show one real value of the warehouse the test builds — a count, a study, a coefficient —
checked against an answer computed here (:data:`EXPECTATIONS`; a page without an entry fails,
so a new page must add one). The warehouse holds the dashboard tests' two studies plus a small
feed-forward pruning study, a recurrent pruning study and an architecture search, built by the
helpers those pages' own tests use. A page opened before the warehouse exists must show it once
it appears. One server and one browser serve the whole module.

Marked ``browser``: it needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the
``playwright`` package (never ``playwright install``: the system browser is used). Without them
the test is skipped, except on CI (``$CI`` set) where it fails saying what is missing.
"""

from __future__ import annotations

import ast
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import polars as pl
import pytest
import scipy.stats

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset
from ingest.feature_landing import land_missing_features
from tests.app import pruning_warehouse, rnn_pruning_db, search_warehouse
from tests.app.conftest import (
    DAG_STUDY,
    RANDOM_STUDY,
    STUDY_RECORDS,
    Warehouse,
    build_warehouse,
    random_graph_records,
)
from warehouse.records import NetworkRecord, StudyRecord
from warehouse.store import store_records

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "app" / "dashboard" / "main.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
SERVER_START_TIMEOUT = 60.0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"The browser smoke test cannot run on CI: {reason}")
    pytest.skip(reason)


@contextmanager
def _serve(db: Path, log_dir: Path) -> Iterator[str]:
    """Serve the dashboard on ``db`` at a free port; always stop the server."""
    port = _free_port()
    log_path = log_dir / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(MAIN),
        "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = dict(os.environ, SPARSESCOPE_DB=str(db))
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(server, port, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def dashboard_pages() -> list[tuple[str, str, str]]:
    """``(script, title, url path)`` of every page in ``main.py``'s ``PAGES``, read from its
    source (importing it would run Streamlit), so a page added there is visited here too."""
    tree = ast.parse(MAIN.read_text())
    (listing,) = [
        node.value for node in tree.body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["PAGES"]
    ]  # fmt: skip
    pages = []
    for call in listing.elts:
        options = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        script = ast.literal_eval(call.args[0])
        url = "" if options.get("default") else options.get("url_path", Path(script).stem)
        pages.append((script, options["title"], url))
    return pages


@dataclass(frozen=True)
class BrowserWarehouse:
    """The warehouse the pages are opened on and what was stored in it.

    ``base`` is the dashboard tests' warehouse (random graphs and layered DAGs, their records
    kept); ``networks`` counts the stored networks of every study, worked out from what the
    builders store; ``studies`` are the study records by id; ``search`` the search candidates.
    """

    base: Warehouse
    networks: dict[str, int]
    studies: dict[str, StudyRecord]
    search: list[NetworkRecord]

    @property
    def path(self) -> Path:
        return self.base.path

    @property
    def records(self) -> dict[str, list[NetworkRecord]]:
        return self.base.records

    def network_id(self, study: str, index: int) -> str:
        return self.base.network_id(study, index)


def _rnn_pruning_networks() -> int:
    """One base per (cell, seed), one step per target, percent and re-training budget."""
    steps = len(rnn_pruning_db.TARGETS) * len(rnn_pruning_db.PERCENTS) * len(rnn_pruning_db.BUDGETS)
    return len(rnn_pruning_db.CELLS) * len(rnn_pruning_db.SEEDS) * (1 + steps)


def _ffn_pruning_networks() -> int:
    """One base per seed (shared by the methods), one network per step of every run."""
    runs = pruning_warehouse.HAND_RUNS
    return len({seed for _, seed, _ in runs}) + sum(len(accuracies) for _, _, accuracies in runs)


@pytest.fixture(scope="module")
def browser_db(tmp_path_factory) -> BrowserWarehouse:
    """The three newer pages' studies first, then the dashboard tests' two (so these stay the
    two newest, which the Compare page picks by default); features landed for every network."""
    path = tmp_path_factory.mktemp("browser") / "warehouse.duckdb"
    pruning_warehouse.store_hand_runs(path)
    rnn_pruning_db.build_rnn_pruning_db(path)
    search = search_warehouse.best_so_far_records()
    store_records(path, search_warehouse.STUDY, search)
    base = build_warehouse(path)  # lands the features of every network stored so far
    land_missing_features(path, n_jobs=1)  # stores nothing more if all are landed
    extra = (pruning_warehouse.STUDY, rnn_pruning_db.STUDY, search_warehouse.STUDY)
    networks = {study: len(records) for study, records in base.records.items()}
    networks |= dict(zip([s.id for s in extra],
                         [_ffn_pruning_networks(), _rnn_pruning_networks(), len(search)],
                         strict=True))  # fmt: skip
    studies = {**STUDY_RECORDS, **{s.id: s for s in extra}}
    return BrowserWarehouse(base=base, networks=networks, studies=studies, search=search)


@pytest.fixture(scope="module")
def served(browser_db, tmp_path_factory) -> Iterator[str]:
    """One dashboard server on ``browser_db`` for every page test of this module."""
    with _serve(browser_db.path, tmp_path_factory.mktemp("served")) as url:
        yield url


@pytest.fixture(scope="module")
def sync_api():
    """Playwright's entry point, if playwright and the system chromium are there."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing; `pip install -e .[test]`.")
    return sync_playwright


@pytest.fixture(scope="module")
def browser_page(sync_api, served):
    """One browser tab for every test of this module (one chromium, one server)."""
    with sync_api() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # Past a dozen pages the sidebar lists the first ones and "View N more"; the
            # expanded state it keeps in localStorage makes it list every page, this one too.
            page.add_init_script("window.localStorage.setItem('sidebarNavState', 'expanded')")
            yield page
        finally:
            browser.close()


# --- what each page must show: one real value from the warehouse the test builds ----------
#
# Every page in main.py's PAGES needs an entry (the test fails naming a page without one). An
# entry waits for its element (Playwright's auto-waiting locators and expect) rather than
# reading the page once, and reads grid cells from the data grid's accessible table, near its
# top, so a virtualised list does not race it.


def _grid_row(page, cell: str, *, grid: int = 0) -> list[str]:
    """The cell texts of the first row of the ``grid``-th data grid with a cell ``cell``."""
    table = page.locator("[data-testid=stDataFrame]").nth(grid)
    row = table.locator("tr[role=row]").filter(
        has=page.locator("td", has_text=re.compile(f"^{re.escape(cell)}$"))
    )
    row.first.wait_for(state="attached", timeout=30_000)
    cells = row.first.locator("td[role=gridcell]")
    return cells.evaluate_all("tds => tds.map(c => c.textContent)")


def _main_shows(page, text: str) -> None:
    from playwright.sync_api import expect  # imported here: the module loads without it

    expect(page.locator("[data-testid=stMain]")).to_contain_text(text, timeout=30_000)


def _overview(page, db) -> None:
    networks = page.locator("[data-testid=stMetric]", has_text="Networks").first
    networks.wait_for(timeout=30_000)
    stored = sum(db.networks.values())
    assert networks.inner_text().split() == ["Networks", str(stored)]


def _runs(page, db) -> None:
    stored = sum(db.networks.values())
    per_page = 100  # the page's default "Rows per page"
    pages = -(-stored // per_page)
    assert pages > 1  # more runs than one page: the count is of all, the rows of the first page
    _main_shows(page, f"Rows 1–{per_page} of {stored} runs (page 1 of {pages}).")
    first = _grid_row(page, "dag-0")  # sorted by study, then name
    assert first[:3] == [db.network_id(DAG_STUDY.id, 0), DAG_STUDY.id, "dag-0"]


def _correlations(page, db) -> None:
    meta = load_meta_dataset(db.path)
    table = correlation_table(meta.frame, target="test_acc", features=meta.features_for("test_acc"))
    expected = table.row(by_predicate=pl.col("feature") == "density", named=True)
    cells = _grid_row(page, "density")  # ungrouped: group "all", then the feature, n, r
    assert cells[:3] == ["all", "density", str(expected["n"])]
    assert f"{float(cells[3]):.3f}" == f"{expected['pearson_r']:.3f}"  # drawn with 3 decimals


def _regressors(page, db) -> None:
    configs = [study.config for study in db.studies.values()]
    keys = sorted(
        {k for c in configs for k in c if len({json.dumps(x.get(k)) for x in configs}) > 1}
    )
    _main_shows(page, f"configurations differ in {', '.join(keys)}")  # the pooling warning


def _scatter(page, db) -> None:
    meta = load_meta_dataset(db.path)
    feature = meta.features[0]  # the page's default feature and target
    pairs = meta.frame.select(pl.col(feature), pl.col("test_acc")).cast(pl.Float64)
    pairs = pairs.filter(pl.all_horizontal(pl.all().is_finite()))
    r = scipy.stats.pearsonr(pairs[feature], pairs["test_acc"]).statistic
    _main_shows(page, f"{pairs.height} networks with both values; dashed: least-squares line, "
                      f"Pearson r = {r:.3f}")  # fmt: skip


def _compare(page, db) -> None:
    expected = {study: STUDY_RECORDS[study].config.get("layers") for study in sorted(db.records)}
    row = _grid_row(page, "layers")  # studies as columns, sorted by id
    assert row == ["layers", *("–" if v is None else json.dumps(v) for v in expected.values())]


def _parallel(page, db) -> None:
    full = load_meta_dataset(db.path)
    axes = [*full.features_for("test_acc")[:5], "test_acc"]  # the page's default axes
    values = full.frame.select(axes).cast(pl.Float64)
    complete = values.filter(pl.all_horizontal(pl.col(a).is_finite() for a in axes))
    assert complete.height > 0
    _main_shows(page, f"{complete.height} networks with every value")


def _priors(page, db) -> None:
    dags = db.records[DAG_STUDY.id]  # the only study of kind "priors" here
    cells = sorted({r.cell for r in dags})
    sizes = ", ".join(f"{c} {sum(r.cell == c for r in dags)}" for c in cells)
    _main_shows(page, f"{len(dags)} networks of study {DAG_STUDY.id}, n per cell type: {sizes}")


def _network(page, db) -> None:
    first = db.records[DAG_STUDY.id][0].graph  # the first network by study and name: dag-0
    _main_shows(page, f"{first.number_of_nodes()} vertices, {first.number_of_edges()} edges")


def _pruning(page, db) -> None:
    # The default step network: the last run by method and seed ("random" seed 1), last step.
    step = len(max(pruning_warehouse.HAND_RUNS, key=lambda run: run[:2])[2])
    base = pruning_warehouse.base_graph()
    layer = dict(base.nodes(data="layer"))
    pair = [(u, v) for u, v in base.edges if (layer[u], layer[v]) == (0, 1)]
    kept = [e for e in pair if pruning_warehouse.PRUNED_AT.get(e, step + 1) > step]
    seeds = {seed for _, seed, _ in pruning_warehouse.HAND_RUNS}  # one setting, one scheme
    _main_shows(page, f"band: min–max over {len(seeds)} seed(s).")
    assert _grid_row(page, "0 → 1")[:3] == ["0 → 1", str(len(pair)), str(len(kept))]


def _pruning_rnn(page, db) -> None:
    # The first cell type; its safe p per seed is SAFE (the accuracy drops right after it).
    cell = sorted(rnn_pruning_db.CELLS)[0]
    safe = [rnn_pruning_db.SAFE[cell, seed] for seed in rnn_pruning_db.SEEDS]
    cells = _grid_row(page, "h2h")  # target, mean, std, min, max, n
    assert [float(cells[i]) for i in (1, 3, 4)] == [mean(safe), min(safe), max(safe)]
    assert cells[5] == str(len(safe))


def _search(page, db) -> None:
    measured = [r for r in db.search if r.labels["scored_by"] == "measured"]
    strategy = sorted({r.labels["strategy"] for r in db.search})[-1]  # the predictor's run
    ours = [r for r in measured if r.labels["strategy"] == strategy]
    best = max(m.value for r in ours for m in r.metrics if m[1:3] == ("validation", "acc"))
    predicted = sum(r.labels["strategy"] == strategy for r in db.search) - len(ours)
    cells = _grid_row(page, strategy)  # strategy, seed, trainings, predicted, best valid., test
    assert cells[:4] == [strategy, "0", str(len(ours)), str(predicted)]
    assert float(cells[4]) == pytest.approx(best)


def _sql(page, db) -> None:
    page.get_by_role("button", name="Run query").click()  # the example counts per study
    _main_shows(page, f"{len(db.networks)} rows")
    for study, count in db.networks.items():
        assert _grid_row(page, study) == [study, str(count)]


EXPECTATIONS = {
    "views/overview.py": _overview,
    "views/runs.py": _runs,
    "views/correlations.py": _correlations,
    "views/regressors.py": _regressors,
    "views/scatter.py": _scatter,
    "views/compare.py": _compare,
    "views/parallel.py": _parallel,
    "views/priors.py": _priors,
    "views/pruning.py": _pruning,
    "views/pruning_rnn.py": _pruning_rnn,
    "views/search.py": _search,
    "views/network.py": _network,
    "views/sql.py": _sql,
}


@pytest.mark.parametrize(
    ("script", "title", "url"), dashboard_pages(), ids=[p[0] for p in dashboard_pages()]
)
def test_every_page_shows_a_real_value_without_an_exception(
    browser_page, served, browser_db, script, title, url
):
    assert script in EXPECTATIONS, (
        f"{script} is in main.py's PAGES but not in EXPECTATIONS: add what it must show"
    )
    page = browser_page
    page.goto(f"{served}/{url}", timeout=60_000)
    page.locator("[data-testid=stMain] h1").first.wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    # The page's own element: the navigation marks it current, and it drew its heading.
    current = page.locator("[data-testid=stSidebarNavLink][aria-current=page]")
    assert current.count() == 1 and current.inner_text().strip().endswith(title), script
    assert page.locator("[data-testid=stMain] h1").first.inner_text().strip()
    EXPECTATIONS[script](page, browser_db)
    assert page.locator("[data-testid=stException]").count() == 0, script
    assert "Traceback" not in page.locator("[data-testid=stMain]").inner_text(), script


def test_a_page_open_before_the_warehouse_exists_shows_it_when_it_appears(browser_page, tmp_path):
    db = tmp_path / "later.duckdb"
    with _serve(db, tmp_path) as url:
        page = browser_page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(url, timeout=60_000)
            page.get_by_text("No warehouse at").first.wait_for(timeout=60_000)
            started = time.monotonic()
            store_records(db, RANDOM_STUDY, random_graph_records(4))  # a first import lands
            networks = page.locator("[data-testid=stMetric]", has_text="Networks")
            networks.first.wait_for(timeout=60_000)  # the page polls every 5 s: no reload
            assert networks.first.inner_text().split() == ["Networks", "4"]
            print(f"shown {time.monotonic() - started:.1f} s after the warehouse appeared")
            assert page.locator("[data-testid=stException]").count() == 0
        finally:
            page.close()


def test_a_page_with_auto_refresh_on_shows_networks_landing_while_a_study_runs(
    browser_page, tmp_path
):
    from tests.app.test_dashboard_live import write_running

    db = tmp_path / "running.duckdb"
    store_records(db, RANDOM_STUDY, random_graph_records(4))
    with _serve(db, tmp_path) as url, write_running(db, done=4, planned=7, started=time.time()):
        page = browser_page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/runs", timeout=60_000)
            page.wait_for_selector(IDLE, timeout=60_000)
            _main_shows(page, "Rows 1–4 of 4 runs")
            page.get_by_text("Auto-refresh while a study runs").click()
            _main_shows(page, "Refreshing every 5 s.")
            store_records(db, RANDOM_STUDY, random_graph_records(7))  # 3 more land
            _main_shows(page, "Rows 1–7 of 7 runs")  # within a check or two: no reload
            assert page.locator("[data-testid=stException]").count() == 0
        finally:
            page.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"streamlit did not start in {SERVER_START_TIMEOUT:g} s:\n{log_path.read_text()}")
