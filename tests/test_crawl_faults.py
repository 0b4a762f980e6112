"""Each fault the simulator can inject, against a real scrapy crawl: the run survives, retries or fails
as it should, and loses no good item."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory import pipeline
from observatory.landing import read_items
from simulator.market import Market
from tests.conftest import serve_market

pytestmark = pytest.mark.e2e

FAST = pipeline.LOOPBACK_SETTINGS


@pytest.fixture
def sim():
    with serve_market(Market(seed=5)) as httpd:
        yield httpd


def _truth_ids(httpd) -> set[str]:
    """Every open HIT group, straight from the market (no HTTP, so no fault)."""
    market = httpd.market
    ids, page = set(), 1
    while True:
        listing = market.listing(page_size=100, page_number=page)
        ids |= {r["hit_set_id"] for r in listing["results"]}
        if not listing["results"] or len(ids) >= listing["total_num_results"]:
            return ids
        page += 1


def _crawl(httpd, **settings: str) -> pipeline.CrawlOutcome:
    return pipeline.crawl("mturk", httpd.url, clock="server", settings={**FAST, **settings})


def _landed_ids(out: pipeline.CrawlOutcome) -> set[str]:
    return {i["listing_id"] for i in read_items(out.manifest_path.parent / out.manifest["items_file"])}


def test_server_errors_are_retried_and_no_item_is_lost(home: Path, sim) -> None:
    sim.set_faults({"status_500_every": 2})
    out = _crawl(sim)
    assert out.manifest["status"] == "ok" and out.manifest["coverage"] == 1.0
    assert out.manifest["retries"] >= 1
    assert _landed_ids(out) == _truth_ids(sim)


def test_rate_limit_with_retry_after_is_honoured(home: Path, sim) -> None:
    sim.set_faults({"status_429_every": 2, "retry_after": 1})
    out = _crawl(sim)
    assert out.manifest["status"] == "ok" and out.manifest["coverage"] == 1.0
    assert out.manifest["retries"] >= 1
    assert _landed_ids(out) == _truth_ids(sim)
    log = out.log_path.read_text()
    assert "waiting 1.0 s as asked (Retry-After)" in log


def test_truncated_json_page_is_fetched_again(home: Path, sim) -> None:
    sim.set_faults({"truncate_every": 2})
    out = _crawl(sim)
    assert out.manifest["status"] == "ok" and out.manifest["coverage"] == 1.0
    assert out.manifest["page_errors"] == 0 and out.manifest["retries"] >= 1
    assert _landed_ids(out) == _truth_ids(sim)


def test_a_page_broken_every_time_is_quarantined_and_the_rest_kept(home: Path, sim) -> None:
    sim.set_faults({"truncate_every": 1})  # every listing response cut in half
    with pytest.raises(pipeline.CrawlFailed) as err:
        _crawl(sim)
    manifest = err.value.manifest
    assert manifest is not None and manifest["status"] == "failed" and "zero items" in manifest["failures"]
    assert manifest["page_errors"] == 1 and manifest["quarantined"] == 1  # page 1, tried 3 times


def test_slow_pages_within_the_timeout_survive(home: Path, sim) -> None:
    sim.set_faults({"slow_ms": 300})
    out = _crawl(sim, DOWNLOAD_TIMEOUT="10")
    assert out.manifest["status"] == "ok" and _landed_ids(out) == _truth_ids(sim)


def test_pages_slower_than_the_timeout_fail_the_run_cleanly(home: Path, sim) -> None:
    sim.set_faults({"slow_ms": 3000})
    with pytest.raises(pipeline.CrawlFailed) as err:
        _crawl(sim, DOWNLOAD_TIMEOUT="0.5", RETRY_TIMES="1")
    manifest = err.value.manifest
    assert manifest["status"] == "failed" and manifest["request_failures"] == 1
    assert manifest["items"] == 0


def test_robots_txt_disallowing_the_listing_is_obeyed(home: Path, sim) -> None:
    sim.set_faults({"robots_disallow": "/"})
    with pytest.raises(pipeline.CrawlFailed) as err:
        _crawl(sim)
    manifest = err.value.manifest
    assert manifest["robots_forbidden"] >= 1 and manifest["pages"] == 0 and manifest["items"] == 0


def test_failed_runs_load_but_never_feed_flows(home: Path, sim) -> None:
    _crawl(sim)
    sim.set_faults({"robots_disallow": "/"})
    with pytest.raises(pipeline.CrawlFailed):
        _crawl(sim)
    report = pipeline.load()
    assert [r.used_for_flows for r in report.loaded] == [True, False]
    from warehouse import db

    con = db.connect()
    # the failed (empty) run must not make every listing look vanished
    assert con.execute("SELECT count(*) FROM core.listing_state WHERE status = 'gone'").fetchone() == (0,)
    con.close()
