"""The dashboard served by `streamlit run`, driven by a real headless Chromium (Debian's package)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_dashboard import SCRIPT_TITLE, build_published_warehouse

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer {url}/_stcore/health within {timeout} s")


@pytest.fixture
def dashboard_url(home: Path, tmp_path: Path) -> Iterator[str]:
    build_published_warehouse()
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    env = {**os.environ, "OBSERVATORY_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def browser(tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver, or `make browser`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,2400", f"--user-data-dir={tmp_path / 'chromium'}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def test_overview_in_chromium(dashboard_url: str, browser, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(dashboard_url)
    # Streamlit re-renders freely: read the page through JavaScript (no stale element references).
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: "Overview" in _texts(d, "h1"))
    wait.until(lambda d: "113" in _texts(d, '[data-testid="stMetricValue"]'))
    # Let the charts and tables finish rendering.
    wait.until(lambda d: _texts(d, '[data-testid="stDataFrame"]'))
    wait.until(lambda d: len(_texts(d, '[data-testid="stVegaLiteChart"] canvas, '
                                       '[data-testid="stVegaLiteChart"] svg')) >= 3)
    time.sleep(1.5)

    assert "Traceback" not in " ".join(_texts(browser, "body"))
    # The page says which period it shows, and the sidebar lets the reader pick another one.
    assert any("Period shown: 2026-09-01 to 2026-09-02 (2 UTC days)" in t for t in _texts(browser, "p")), \
        _texts(browser, "p")
    assert _texts(browser, '[data-testid="stSidebar"] [data-testid="stDateInput"]')
    assert not _texts(browser, '[data-testid="stException"]')
    # The scraped title never became markup: no alert, no injected script element carrying it.
    try:
        alert = browser.switch_to.alert
        pytest.fail(f"an alert was raised: {alert.text!r}")
    except NoAlertPresentException:
        pass
    injected = browser.execute_script(
        "return Array.from(document.scripts).filter(s => (s.textContent || '').includes('alert(1)')).length")
    assert injected == 0
    # The grid keeps an accessible copy of its cells in the DOM: the title is there as text.
    cells = _texts(browser, '[data-testid="stDataFrame"] td, [data-testid="stDataFrame"] [role="gridcell"]')
    assert SCRIPT_TITLE in cells, cells[:20]

    shot = tmp_path / "overview.png"
    assert browser.save_screenshot(str(shot))
    png = shot.read_bytes()
    assert len(png) > 1000 and png[:8] == b"\x89PNG\r\n\x1a\n"
    _keep(shot)

    # The other pages, through the sidebar navigation.
    for title, path in (("Sources & runs", "/sources"), ("Method", "/about")):
        wait.until(lambda d, p=path: d.execute_script(
            "const a = Array.from(document.querySelectorAll('a[data-testid=\"stSidebarNavLink\"]'))"
            "  .find(a => new URL(a.href).pathname === arguments[0]);"
            "if (a) { a.click(); return true; } return false;", p))
        wait.until(lambda d, t=title: t in _texts(d, "h1"))
        if title == "Sources & runs":
            wait.until(lambda d: len(_texts(d, '[data-testid="stDataFrame"]')) >= 2)
        time.sleep(1)
        assert not _texts(browser, '[data-testid="stException"]')
        page_shot = tmp_path / f"{title.split()[0].lower()}.png"
        assert browser.save_screenshot(str(page_shot))
        assert page_shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        _keep(page_shot)


def _texts(driver, selector: str) -> list[str]:
    """The trimmed text content of every element matching a CSS selector, read in one script call."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => (e.textContent || '').trim())",
        selector)


def _keep(shot: Path) -> None:
    """Copy a screenshot to OBSERVATORY_SCREENSHOT_DIR, when set, for a human to look at."""
    keep = os.environ.get("OBSERVATORY_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / shot.name).write_bytes(shot.read_bytes())
