"""Archive, replay and reparse: items rebuilt from WARC records equal what the parsers give live."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawlers.archive import read_record
from crawlers.pages import mturk
from crawlers.replay import reparse, replay_warc
from observatory import pipeline
from observatory.landing import read_items
from simulator.market import Market
from tests.conftest import FIXTURES, serve_market

FAST = pipeline.LOOPBACK_SETTINGS


def _items(manifest_dir: Path, manifest: dict) -> list[dict]:
    return sorted(read_items(manifest_dir / manifest["items_file"]), key=lambda i: i["listing_id"])


@pytest.mark.e2e
@pytest.mark.parametrize("clock", ["local", "server"])
def test_reparse_of_the_archive_gives_the_live_items(home: Path, clock: str) -> None:
    with serve_market(Market(seed=9)) as httpd:
        out = pipeline.crawl("mturk", httpd.url, clock=clock, settings=FAST)
    live = _items(out.manifest_path.parent, out.manifest)
    # every raw_ref points at the archived response the item came from
    url, body = read_record(live[0]["raw_ref"], home)
    assert "format=json" in url and live[0]["listing_id"].encode() in body

    (manifest,) = reparse("mturk")
    again = _items(home / "reparse" / "mturk", manifest)
    assert again == live
    assert manifest["coverage"] == out.manifest["coverage"] == 1.0
    assert manifest["results_reported"] == out.manifest["results_reported"]


def _canon(item: dict) -> str:
    return json.dumps(item, sort_keys=True)


def _capture(path: Path, url: str, body: bytes, when: str, content_type: str = "text/html") -> None:
    with open(path, "ab") as f:
        writer = WARCWriter(f, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                      http_headers=headers,
                                                      warc_headers_dict={"WARC-Date": when}))


def test_replay_of_third_party_captures_uses_capture_time(home: Path, tmp_path: Path) -> None:
    page = (FIXTURES / "mturk" / "findhits_2010-11-12.html").read_bytes()
    welcome = (FIXTURES / "mturk" / "welcome_2010-11-12.html").read_bytes()
    url = "https://www.mturk.com/mturk/findhits?match=false&sortType=NumHITs%3A1&pageSize=10"
    warc = tmp_path / "ia-capture.warc.gz"
    _capture(warc, "https://www.mturk.com/mturk/welcome", welcome, "2010-11-12T03:10:00Z")
    _capture(warc, url, page, "2010-11-12T03:12:00Z")

    manifest = replay_warc("mturk", [warc])
    items = _items(home / "landing" / "mturk", manifest)
    expected = mturk.parse_findhits_html(page, url, datetime(2010, 11, 12, 3, 12, tzinfo=UTC)).items
    assert len(items) == len(expected) == 10
    assert all(i["observed_at"] == "2010-11-12T03:12:00Z" for i in items)
    strip = ("run_id", "raw_ref", "requester_name")
    assert sorted(({k: v for k, v in i.items() if k not in strip} for i in items), key=_canon) == \
        sorted(({k: v for k, v in i.items() if k not in strip} for i in expected), key=_canon)
    assert manifest["clock"] == "capture" and manifest["status"] == "ok"
    assert manifest["results_reported"] == 2076 and manifest["hits_available_reported"] == 99367
    assert manifest["started_at"] == "2010-11-12T03:10:00Z"
    assert items[0]["raw_ref"].startswith(str(warc))


def test_replay_quarantines_a_broken_capture_and_keeps_the_rest(home: Path, tmp_path: Path) -> None:
    page = (FIXTURES / "mturk" / "findhits_2011-06-24.html").read_bytes()
    warc = tmp_path / "mixed.warc.gz"
    _capture(warc, "https://worker.mturk.com/?format=json&page_number=1", b'{"results": [{"hit_set_', "2020-01-01T00:00:00Z",
             "application/json")
    _capture(warc, "https://www.mturk.com/mturk/findhits?pageNumber=1", page, "2011-06-24T03:41:00Z")
    manifest = replay_warc("mturk", [warc])
    assert manifest["items"] == 10 and manifest["page_errors"] == 1 and manifest["quarantined"] == 1
