"""Freelancer, Upwork and PeoplePerHour: real scrapy crawls of the simulator's formats, loaded into the
warehouse; and the layout-change and malformed-markup faults caught by the monitors and retries."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory import pipeline
from observatory.landing import read_items
from simulator.market import Market
from tests.conftest import serve_market
from warehouse import db

pytestmark = pytest.mark.e2e

FAST = pipeline.LOOPBACK_SETTINGS


@pytest.fixture(scope="module")
def sim():
    with serve_market(Market(seed=21)) as httpd:
        yield httpd


def _items(out: pipeline.CrawlOutcome) -> list[dict]:
    return list(read_items(out.manifest_path.parent / out.manifest["items_file"]))


def test_freelancer_crawl_sees_every_active_project(home: Path, sim) -> None:
    sim.set_faults({})
    out = pipeline.crawl("freelancer", sim.url, clock="server", settings=FAST)
    items = _items(out)
    truth = {str(p.id) for p in sim.market.freelance.open_projects("freelancer")}
    assert {i["listing_id"] for i in items} == truth
    assert out.manifest["coverage"] == 1.0 and out.manifest["status"] == "ok"
    assert all(i["employer_country"] and len(i["employer_country"]) == 2 for i in items)
    assert {i["pay_basis"] for i in items} == {"fixed_project", "hourly"}
    assert len({i["reward_currency"] for i in items}) > 1  # original currencies kept


@pytest.mark.parametrize("source", ["upwork", "peopleperhour"])
def test_rss_sources_land_items_but_never_feed_flows(home: Path, sim, source: str) -> None:
    sim.set_faults({})
    out = pipeline.crawl(source, sim.url, clock="server", settings=FAST)
    items = _items(out)
    assert items and out.manifest["status"] == "ok"
    open_ids = {str(p.id) for p in sim.market.freelance.open_projects(source)}
    assert {i["listing_id"] for i in items} <= open_ids | {i["listing_id"] for i in items if "~" in i["listing_id"]}
    report = pipeline.load(source)
    (result,) = report.loaded
    # a feed shows only the newest jobs: a job leaving it has not closed, so no flows are inferred
    assert not result.used_for_flows and "coverage unknown" in result.excluded_reason
    con = db.connect()
    (n,) = con.execute("SELECT count(*) FROM core.listing WHERE source = ?", [source]).fetchone()
    con.close()
    assert n == len({i["listing_id"] for i in items})


def test_layout_change_fails_the_run_through_the_monitors(home: Path, sim) -> None:
    sim.set_faults({"layout_change": True})
    try:
        with pytest.raises(pipeline.CrawlFailed) as err:
            pipeline.crawl("mturk", sim.url, clock="server", settings=FAST)
    finally:
        sim.set_faults({})
    manifest = err.value.manifest
    assert manifest["status"] == "failed"
    assert any("present on" in f or f == "zero items" for f in manifest["failures"])
    assert manifest["quarantined"] > 0  # nothing silently dropped: every unusable record is kept with why


def test_malformed_feed_pages_are_fetched_again(home: Path, sim) -> None:
    sim.set_faults({"malformed_html_every": 2})
    try:
        out = pipeline.crawl("peopleperhour", sim.url, clock="server", settings=FAST)
    finally:
        sim.set_faults({})
    assert out.manifest["status"] == "ok" and out.manifest["items"] > 0


def test_login_only_board_through_the_main_simulator(home: Path, sim, monkeypatch: pytest.MonkeyPatch) -> None:
    from crawlers.replay import reparse

    monkeypatch.setenv("OBSERVATORY_TASKBOARD_SIM_USER", "observer")
    monkeypatch.setenv("OBSERVATORY_TASKBOARD_SIM_PASSWORD", "taskboard-sim-only")
    sim.set_faults({})
    out = pipeline.crawl("taskboard_sim", sim.url, clock="server", settings=FAST)
    assert out.manifest["status"] == "ok" and out.manifest["items"] > 0
    archive = home / out.manifest["archive"]
    assert archive.parent.name == "taskboard_sim"
    import gzip

    raw = gzip.decompress(archive.read_bytes())
    assert b"Set-Cookie" not in raw and b"taskboard-sim-only" not in raw  # no session, no password archived
    (again,) = reparse("taskboard_sim")
    assert sorted(map(str, read_items(home / "reparse" / "taskboard_sim" / again["items_file"]))) == \
        sorted(map(str, _items(out)))


def test_wrong_credentials_fail_the_run_cleanly(home: Path, sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_TASKBOARD_SIM_USER", "observer")
    monkeypatch.setenv("OBSERVATORY_TASKBOARD_SIM_PASSWORD", "wrong")
    with pytest.raises(pipeline.CrawlFailed) as err:
        pipeline.crawl("taskboard_sim", sim.url, clock="server", settings=FAST)
    assert err.value.manifest["finish_reason"] == "login_failed"
