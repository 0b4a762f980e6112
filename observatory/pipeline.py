"""The steps of the flow, as plain functions: the CLI and the Airflow DAG both call these, so nothing
is implemented twice (DESIGN.md)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from observatory import config
from observatory.landing import new_run_id

log = logging.getLogger(__name__)

#: Sources with a spider, and what their live crawl does by default.
SOURCES: dict[str, dict[str, Any]] = {
    "mturk": {
        "spider": "mturk",
        "title": "Amazon Mechanical Turk",
        "live": False,  # closed 2026-09-30: crawls the simulator or an explicit --base-url
    },
    "freelancer": {"spider": "freelancer", "title": "Freelancer.com", "live": True},
    "peopleperhour": {"spider": "peopleperhour", "title": "PeoplePerHour", "live": True},
    "upwork": {
        "spider": "upwork",
        "title": "Upwork",
        "live": False,  # job RSS discontinued in 2024: archived feeds and the simulator
    },
    # Login-only platforms are crawled by the generic spider from a declarative spec; the simulator's
    # task board is the one enabled here. A real platform's spec is crawled with `crawl --spec FILE`.
    "taskboard_sim": {
        "spider": "spec",
        "spec": "crawlers/specs/taskboard_sim.yaml",
        "title": "Simulated login-only task board",
        "live": False,
    },
}

ROOT = Path(__file__).resolve().parents[1]


def spec_path(source: str) -> Path | None:
    """The spec file of a spec-driven source, resolved against the project root."""
    spec = SOURCES.get(source, {}).get("spec")
    return (ROOT / spec) if spec else None


#: Scrapy settings for crawling the local simulator: politeness delays protect real sites, and on loopback
#: there is nobody to be polite to (AutoThrottle stays on).
LOOPBACK_SETTINGS: dict[str, str] = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_START_DELAY": "0.01"}


class CrawlFailed(RuntimeError):
    """The crawl process failed or its run was judged failed (e.g. zero items); the manifest says why."""

    def __init__(self, message: str, manifest: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.manifest = manifest


@dataclass
class CrawlOutcome:
    run_id: str
    manifest_path: Path
    manifest: dict[str, Any]
    log_path: Path


def crawl(source: str, base_url: str | None = None, *, clock: str = "local", run_id: str | None = None,
          settings: dict[str, str] | None = None, timeout_s: float = 1800,
          spec_file: str | Path | None = None) -> CrawlOutcome:
    """Run one spider as its own ``scrapy crawl`` process and return its sealed manifest.

    A separate process per run because Twisted's reactor cannot be restarted inside one process.
    Raises CrawlFailed when the process fails, leaves no manifest, or the run's verdict is 'failed'.
    ``spec_file`` crawls any declarative source spec with the generic spider (``source`` = its key).
    """
    spec = Path(spec_file) if spec_file else spec_path(source)
    if spec is None and source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; known: {', '.join(sorted(SOURCES))}")
    paths = config.paths()
    run_id = run_id or new_run_id(source)
    log_path = paths.logs / "crawl" / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    spider = "spec" if spec else SOURCES[source]["spider"]
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"run_id={run_id}", "-a", f"clock={clock}"]
    if spec:
        cmd += ["-a", f"spec={spec.resolve()}"]
    if base_url:
        cmd += ["-a", f"base_url={base_url}"]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawlers.settings",
           "OBSERVATORY_HOME": str(paths.home)}
    with open(log_path, "w", encoding="utf-8") as logf:
        proc = subprocess.run(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, timeout=timeout_s,
                              check=False)
    manifest_path = paths.landing_for(source) / f"{run_id}.manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if proc.returncode != 0 or manifest is None:
        raise CrawlFailed(f"crawl {run_id} exited {proc.returncode}"
                          f"{'' if manifest else ' without sealing a manifest'}; log: {log_path}", manifest)
    outcome = CrawlOutcome(run_id, manifest_path, manifest, log_path)
    if manifest.get("status") != "ok":
        raise CrawlFailed(f"crawl {run_id} failed: {'; '.join(manifest.get('failures', []))}; log: {log_path}",
                          manifest)
    return outcome


def load(source: str | None = None) -> Any:
    """Load every sealed, not yet loaded run into the warehouse (one transaction per run)."""
    from warehouse import db
    from warehouse.load import load_pending
    from warehouse.marts import refresh_marts

    con = db.connect()
    try:
        ensure_reference(con)
        report = load_pending(con, source)
        if report.loaded:
            refresh_marts(con)  # classify new listings; cheap when nothing is new
        return report
    finally:
        con.close()


def ensure_reference(con: Any) -> None:
    """Load the reference tables (rates, countries, minimum wages) into a warehouse that has none yet."""
    from warehouse.reference import load_reference

    (countries,) = con.execute("SELECT count(*) FROM ref.country").fetchone()
    if countries == 0:
        load_reference(con)


def load_reference_data() -> dict[str, int]:
    """(Re)load every reference table from the data shipped with the package."""
    from warehouse import db
    from warehouse.reference import load_reference

    con = db.connect()
    try:
        return load_reference(con)
    finally:
        con.close()


def refresh_fx(url: str | None = None) -> int:
    """Merge the ECB's newest euro reference rates (online) into ref.fx_rate."""
    from warehouse import db
    from warehouse.reference import ECB_HIST_URL, refresh_fx_from_ecb

    con = db.connect()
    try:
        return refresh_fx_from_ecb(con, url or ECB_HIST_URL)
    finally:
        con.close()


def publish() -> dict[str, Any]:
    """Publish the read-only snapshot that the dashboard and researchers read."""
    from warehouse.publish import publish as _publish

    return _publish()
