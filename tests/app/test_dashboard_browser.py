"""Smoke tests in a real browser: ``streamlit run`` the dashboard and drive Debian's chromium.

Every page listed in ``main.py``'s ``PAGES`` is opened (the list is read from the source, so a
new page is covered when it is added) and must render its heading without an exception; a few
pages are checked for real values; a page opened before the warehouse exists must show it
once it appears. One server and one browser serve the whole module.

Marked ``browser``: it needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the
``playwright`` package (never ``playwright install``: the system browser is used). Without them
the test is skipped, except on CI (``$CI`` set) where it fails saying what is missing.
"""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset
from tests.app.conftest import RANDOM_STUDY, random_graph_records
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


def test_correlations_page_renders_real_values(browser_page, served, dashboard_db):
    meta = load_meta_dataset(dashboard_db.path)
    table = correlation_table(meta.frame, target="test_acc", features=meta.features_for("test_acc"))
    expected = table.row(by_predicate=pl.col("feature") == "density", named=True)
    page, dashboard_url = browser_page, served
    page.goto(f"{dashboard_url}/correlations", timeout=60_000)
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    assert page.locator("h1", has_text="Correlations").count() == 1
    # The data grid draws on a canvas; its accessible table holds the cell values.
    row = grid.locator("tr[role=row]").filter(
        has=page.locator("td", has_text=re.compile(r"^density$"))
    )
    row.wait_for(state="attached", timeout=30_000)
    cells = row.locator("td[role=gridcell]").evaluate_all("tds => tds.map(c => c.textContent)")
    assert cells[:3] == ["all", "density", str(expected["n"])]
    assert f"{float(cells[3]):.3f}" == f"{expected['pearson_r']:.3f}"  # shown with 3 decimals
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= 1
    assert page.locator("[data-testid=stException]").count() == 0

    page.get_by_role("link", name="Network viewer").click()
    page.locator("h1", has_text="Network viewer").wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=60_000)
    assert page.locator("[data-testid=stException]").count() == 0


def test_the_new_pages_render_real_values(browser_page, served, dashboard_db):
    full = load_meta_dataset(dashboard_db.path)
    meta = full.frame
    axes = [*full.features_for("test_acc")[:5], "test_acc"]  # the page's default axes
    complete = (
        meta.select(axes)
        .cast(pl.Float64)
        .filter(pl.all_horizontal(pl.col(a).is_finite() for a in axes))
    )
    page, dashboard_url = browser_page, served
    _visit(page, f"{dashboard_url}/runs", "Runs")
    grid = page.locator("[data-testid=stDataFrame]").first
    cell = grid.locator("td[role=gridcell]", has_text=re.compile(r"^dag-0$"))
    cell.first.wait_for(state="attached", timeout=30_000)  # sorted by study, name
    assert page.get_by_text("Rows 1–30 of 30 runs").count() == 1

    _visit(page, f"{dashboard_url}/compare", "Compare studies")
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.locator("td[role=gridcell]", has_text=re.compile(r"^layers$")).first.wait_for(
        state="attached", timeout=30_000
    )
    assert page.locator("[data-testid=stVegaLiteChart]").count() >= 1

    _visit(page, f"{dashboard_url}/parallel", "Parallel coordinates")
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=60_000)
    assert complete.height > 0
    shown = f"{complete.height} networks with every value"
    assert page.get_by_text(shown).count() == 1

    page.goto(f"{dashboard_url}/scatter?target=test_acc", timeout=60_000)
    page.locator("h1", has_text="Feature vs performance").wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    # The trend line's r for a chosen feature is checked against numpy by AppTest
    # (test_dashboard.py); picking an option in the virtualised list raced here.
    page.get_by_text(re.compile(r"Pearson r = -?\d\.\d{3}")).first.wait_for(timeout=60_000)
    assert page.locator("[data-testid=stException]").count() == 0


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


@pytest.fixture(scope="module")
def served(dashboard_db, tmp_path_factory) -> Iterator[str]:
    """One dashboard server on ``dashboard_db`` for every page test of this module."""
    with _serve(dashboard_db.path, tmp_path_factory.mktemp("served")) as url:
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
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


@pytest.mark.parametrize(
    ("script", "title", "url"), dashboard_pages(), ids=[p[0] for p in dashboard_pages()]
)
def test_every_page_renders_without_an_exception(browser_page, served, script, title, url):
    page = browser_page
    page.goto(f"{served}/{url}", timeout=60_000)
    page.locator("[data-testid=stMain] h1").first.wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    # The page's own element: the navigation marks it current, and it drew its heading.
    current = page.locator("[data-testid=stSidebarNavLink][aria-current=page]")
    assert current.count() == 1 and current.inner_text().strip().endswith(title), script
    assert page.locator("[data-testid=stMain] h1").first.inner_text().strip()
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


def _visit(page, url: str, title: str) -> None:
    """Open ``url``, wait until the script is idle, check its title and that nothing failed."""
    page.goto(url, timeout=60_000)
    page.locator("h1", has_text=title).wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    assert page.locator("[data-testid=stException]").count() == 0


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
