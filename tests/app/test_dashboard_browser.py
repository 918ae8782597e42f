"""Smoke test in a real browser: ``streamlit run`` the dashboard and drive Debian's chromium.

Marked ``browser``: it needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the
``playwright`` package (never ``playwright install``: the system browser is used). Without them
the test is skipped, except on CI (``$CI`` set) where it fails saying what is missing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset

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


@pytest.fixture
def browser_launcher():
    """Playwright's entry point, if playwright and the system chromium are there."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing; `pip install -e .[test]`.")
    return sync_playwright


@pytest.fixture
def dashboard_url(dashboard_db, tmp_path) -> Iterator[str]:
    """Serve the dashboard on ``dashboard_db`` at a free port; always stop the server."""
    port = _free_port()
    log_path = tmp_path / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(MAIN),
        "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = dict(os.environ, SPARSESCOPE_DB=str(dashboard_db.path))
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


def test_correlations_page_renders_real_values(browser_launcher, dashboard_url, dashboard_db):
    meta = load_meta_dataset(dashboard_db.path)
    table = correlation_table(meta.frame, target="test_acc", features=meta.features_for("test_acc"))
    expected = table.row(by_predicate=pl.col("feature") == "density", named=True)
    with browser_launcher() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
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
            cells = row.locator("td[role=gridcell]").evaluate_all(
                "tds => tds.map(c => c.textContent)"
            )
            assert cells[:3] == ["all", "density", str(expected["n"])]
            assert (
                f"{float(cells[3]):.3f}" == f"{expected['pearson_r']:.3f}"
            )  # shown with 3 decimals
            assert page.locator("[data-testid=stVegaLiteChart]").count() >= 1
            assert page.locator("[data-testid=stException]").count() == 0

            page.get_by_role("link", name="Network viewer").click()
            page.locator("h1", has_text="Network viewer").wait_for(timeout=60_000)
            page.wait_for_selector(IDLE, timeout=60_000)
            page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=60_000)
            assert page.locator("[data-testid=stException]").count() == 0
        finally:
            browser.close()


def test_the_new_pages_render_real_values(browser_launcher, dashboard_url, dashboard_db):
    full = load_meta_dataset(dashboard_db.path)
    meta = full.frame
    axes = [*full.features_for("test_acc")[:5], "test_acc"]  # the page's default axes
    complete = (
        meta.select(axes)
        .cast(pl.Float64)
        .filter(pl.all_horizontal(pl.col(a).is_finite() for a in axes))
    )
    with browser_launcher() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
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
        finally:
            browser.close()


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
