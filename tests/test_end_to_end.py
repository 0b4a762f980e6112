"""Simulator -> scrapy crawl over HTTP -> landing -> load -> mart, checked against the simulator's truth.

On a scenario whose crawls see every change (one crawl after every simulated minute, the simulator's
tick), the flows the warehouse infers from changes between crawls must equal what really happened.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from observatory import pipeline
from simulator.market import Market
from tests.conftest import serve_market
from warehouse import db

pytestmark = pytest.mark.e2e

FAST = pipeline.LOOPBACK_SETTINGS


@pytest.fixture
def simulator():
    market = Market(seed=11, scale=2.0)
    with serve_market(market) as httpd:
        yield httpd


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - loopback only
        return json.loads(r.read())


def _advance(url: str, minutes: int) -> None:
    req = urllib.request.Request(f"{url}/_sim/advance?minutes={minutes}", data=b"", method="POST")
    urllib.request.urlopen(req, timeout=30).close()  # noqa: S310 - loopback only


def test_mart_equals_truth_when_crawls_see_every_change(home: Path, simulator) -> None:
    url = simulator.url
    crawls = 12
    first = pipeline.crawl("mturk", url, clock="server", settings=FAST)
    assert first.manifest["coverage"] == 1.0 and first.manifest["items"] > 100
    for _ in range(crawls):
        _advance(url, 1)
        pipeline.crawl("mturk", url, clock="server", settings=FAST)
    report = pipeline.load("mturk")
    assert not report.failed and len(report.loaded) == crawls + 1
    assert all(r.used_for_flows for r in report.loaded)

    truth = _get(f"{url}/_sim/truth")
    expected: dict[str, Counter] = {}
    for hour in truth["hours"]:
        for key, figures in hour["by_eligibility"].items():
            c = expected.setdefault(key, Counter())
            c["arrived"] += figures["hits_arrived"]
            c["completed"] += figures["hits_completed"]
            c["expired"] += figures["hits_expired"]
            c["reward"] += Decimal(figures["reward_completed_usd"])
    totals = Counter()
    for hour in truth["hours"]:
        totals["arrived"] += hour["hits_arrived"]
        totals["completed"] += hour["hits_completed"]
        totals["expired"] += hour["hits_expired"]
        totals["reward"] += Decimal(hour["reward_completed_usd"])
    assert totals["completed"] > 50 and totals["arrived"] > 0, "the scenario must exercise the flows"

    con = db.connect()
    rows = con.execute(
        "SELECT worker_country, sum(slots_arrived), sum(slots_completed), sum(slots_expired), "
        "sum(reward_completed_usd) FROM mart.daily_volume GROUP BY 1"
    ).fetchall()
    got = {k: Counter(arrived=a, completed=c, expired=e, reward=Decimal(r)) for k, a, c, e, r in rows}
    tot = con.execute(
        "SELECT sum(slots_arrived), sum(slots_completed), sum(slots_expired), sum(reward_completed_usd) "
        "FROM mart.daily_volume_total").fetchone()
    con.close()

    nonzero = {k: +v for k, v in expected.items() if +v}
    assert {k: +v for k, v in got.items() if +v} == nonzero
    assert (tot[0], tot[1], tot[2], Decimal(tot[3])) == (
        totals["arrived"], totals["completed"], totals["expired"], totals["reward"])


def test_status_and_publish_after_a_crawl(home: Path, simulator) -> None:
    from observatory.status import collect
    from warehouse.publish import open_snapshot

    out = pipeline.crawl("mturk", simulator.url, clock="server", settings=FAST)
    pipeline.load()
    manifest = pipeline.publish()
    assert manifest["row_counts"]["core.crawl_run"] == 1
    con = open_snapshot()
    assert con.execute("SELECT count(*) FROM core.listing").fetchone()[0] == out.manifest["items"]
    con.close()
    status = collect()
    assert status["sources"]["mturk"]["runs"] == 1
    assert status["published"]["row_counts"]["core.listing"] == out.manifest["items"]
