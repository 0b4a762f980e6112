"""Declarative source specs: validation on load, field extraction (JSON and HTML), and the generic
``spec`` spider as a real ``scrapy crawl`` process against the simulated login-only task board."""

from __future__ import annotations

import copy
import gzip
import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawlers import spec as specs
from observatory.landing import read_items
from simulator.taskboard import DEFAULT_PASSWORD, DEFAULT_USER, TaskBoard, TaskBoardServer, serve_taskboard
from tests.conftest import ROOT

SPECS = ROOT / "crawlers" / "specs"
SIM_SPEC = SPECS / "taskboard_sim.yaml"
START = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()) // 60
NOW = START + 6 * 60


def _sim_spec() -> dict[str, Any]:
    return yaml.safe_load(SIM_SPEC.read_text())


def _errors(data: Any) -> str:
    with pytest.raises(specs.SpecError) as err:
        specs.spec_from_dict(data)
    return str(err.value)


# ------------------------------------------------------------------------------------------ validation


def test_every_shipped_spec_loads_and_only_the_simulator_is_enabled() -> None:
    loaded = {p.stem: specs.load_spec(p) for p in SPECS.glob("*.yaml")}
    assert set(loaded) == {
        "taskboard_sim",
        "rapidworkers",
        "microworkers",
        "clickworker",
        "toloka",
        "prolific",
        "roamler",
        "mobeye",
    }
    for name, spec in loaded.items():
        assert spec.key == name
        if name == "taskboard_sim":
            assert spec.enabled and spec.kind == "listing"
        else:
            assert not spec.enabled
            reason = spec.data["disabled_reason"].lower()
            if spec.kind == "listing":
                assert "consent" in reason and "account" in reason
                assert "illustrative" in spec.data["platform"]["notes"].lower()
            else:
                assert "agreement" in reason and spec.data["feed"]["doc"] == "docs/partner-feed.md"
    assert {n for n, s in loaded.items() if s.kind == "partner_feed"} == {"roamler", "mobeye"}


@pytest.mark.parametrize(
    "where, mutate",
    [
        ("auth.password", lambda d: d["auth"].update(password="hunter2")),
        ("auth.api_token", lambda d: d["auth"].update(api_token="abc123")),
        ("listing.params.api_key", lambda d: d["listing"]["params"].update(api_key="abc")),
        ("listing.url", lambda d: d["listing"].update(url="/taskboard/api/tasks?token=abc")),
        ("base_url", lambda d: d.update(base_url="http://observer:pw@127.0.0.1:8765")),
    ],
)
def test_a_literal_secret_is_refused(where: str, mutate: Any) -> None:
    data = _sim_spec()
    mutate(data)
    message = _errors(data)
    assert where in message
    assert "secret" in message or "credentials" in message


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d.pop("title"), "'title' is a required property"),
        (lambda d: d["fields"].pop("listing_id"), "fields.listing_id: required"),
        (lambda d: d["fields"].pop("reward_amount"), "fields.reward_amount: required"),
        (lambda d: d["fields"].update(rewrd={"path": "x"}), "'rewrd'"),
        (lambda d: d["fields"]["title"].update(path="title..x"), "fields.title: bad JMESPath"),
        (lambda d: d["fields"]["title"].update(transform="uppercase"), "fields.title.transform"),
        (
            lambda d: d["fields"].update(title={"css": "h3::text"}),
            "fields.title: a JSON listing is read with 'path'",
        ),
        (lambda d: d["auth"].update(password_env="AWS_SECRET_ACCESS_KEY"), "auth"),
        (lambda d: d.pop("consent"), "'consent' is a required property"),
        (lambda d: d.update(enabled=False), "'disabled_reason' is a required property"),
        (lambda d: d["listing"].update(url="/tasks/{pge}"), "listing.url: unknown placeholder"),
        (
            lambda d: d["fields"]["title"].update(transform="price"),
            "fields.title.transform: 'price' is only for",
        ),
        (lambda d: d["fields"].pop("location.lon"), "location.lon"),
        (lambda d: d.update(key="Bad Key"), "key: 'Bad Key' does not match"),
    ],
)
def test_schema_errors_name_the_bad_key(mutate: Any, expected: str) -> None:
    data = _sim_spec()
    mutate(data)
    assert expected in _errors(data)


def test_a_bad_yaml_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: [unclosed\n")
    with pytest.raises(specs.SpecError, match="bad.yaml"):
        specs.load_spec(bad)


def test_a_disabled_or_feed_spec_is_never_crawled() -> None:
    from crawlers.spiders.spec import SpecSpider

    with pytest.raises(specs.SpecError, match="disabled"):
        SpecSpider(spec=str(SPECS / "microworkers.yaml"))
    with pytest.raises(specs.SpecError, match="partner_feed"):
        SpecSpider(spec=str(SPECS / "roamler.yaml"))


def test_base_url_env_override_and_page_urls() -> None:
    spec = specs.load_spec(SIM_SPEC)
    assert spec.base_url(environ={}) == "http://127.0.0.1:8765"
    assert (
        spec.base_url(environ={"OBSERVATORY_TASKBOARD_SIM_BASE_URL": "http://127.0.0.1:9/"})
        == "http://127.0.0.1:9"
    )
    assert (
        spec.base_url("http://127.0.0.1:7", environ={"OBSERVATORY_TASKBOARD_SIM_BASE_URL": "http://x"})
        == "http://127.0.0.1:7"
    )
    assert spec.page_url("http://h:1", 2) == "http://h:1/taskboard/api/tasks?per_page=50&page=3"
    data = _sim_spec()
    data["listing"]["pagination"] = {
        "type": "offset",
        "offset_param": "offset",
        "limit_param": "limit",
        "limit": 25,
    }
    assert (
        specs.spec_from_dict(data).page_url("http://h:1", 2)
        == "http://h:1/taskboard/api/tasks?per_page=50&offset=50&limit=25"
    )


# ------------------------------------------------------------------------------------------ extraction


def _truth(board: TaskBoard, minute: int) -> dict[str, dict]:
    return {t["id"]: t for t in board.truth(minute)["tasks"]}


def _check_against_truth(items: list[dict], truth: dict[str, dict]) -> None:
    for item in items:
        t = truth[item["listing_id"]]
        assert t["reward_published"]
        assert item["title"] == t["title"]
        assert (
            item["reward_amount"] == specs.decimal_str(t["reward"])
            and item["reward_currency"] == t["currency"]
        )
        assert item["slots_available"] == t["slots_available"] and item["slots_total"] == t["slots_total"]
        assert item["posted_at"] == t["posted_at"] and item["expires_at"] == t["expires_at"]
        assert item["worker_countries"] == t["countries"]
        assert item["time_estimate_s"] == t["duration_minutes"] * 60
        if t["mission"]:
            loc = item["location"]
            assert (loc["lat"], loc["lon"]) == (t["mission"]["lat"], t["mission"]["lon"])
            assert loc["country"] == t["mission"]["country"] and loc["locality"] == t["mission"]["locality"]
        else:
            assert item["location"] is None


def test_json_extraction_matches_the_boards_truth() -> None:
    board = TaskBoard(seed=3, start_minute=START)
    spec = specs.load_spec(SIM_SPEC)
    body = json.dumps(board.api_tasks(NOW, {"per_page": ["100"]})).encode()
    page = specs.parse_page(spec, body, "http://127.0.0.1/taskboard/api/tasks", datetime.now(UTC))
    truth = _truth(board, NOW)
    assert page.total_results == len(truth) == page.records
    assert {i["listing_id"] for i in page.items} == {k for k, t in truth.items() if t["reward_published"]}
    assert len(page.problems) == sum(not t["reward_published"] for t in truth.values()) > 0
    assert all("reward_amount" in p["reason"] for p in page.problems)
    _check_against_truth(page.items, truth)


HTML_SPEC = {
    "key": "taskboard_html",
    "title": "Task board, HTML pages",
    "kind": "listing",
    "enabled": True,
    "platform": {"status": "simulator", "notes": "test"},
    "consent": {"reference": "simulator"},
    "base_url": "http://127.0.0.1:8765",
    "auth": {
        "type": "form",
        "login_url": "/taskboard/login",
        "username_field": "user",
        "password_field": "password",
        "username_env": "OBSERVATORY_TASKBOARD_SIM_USER",
        "password_env": "OBSERVATORY_TASKBOARD_SIM_PASSWORD",
    },
    "listing": {
        "url": "/taskboard/tasks",
        "format": "html",
        "max_pages": 50,
        "pagination": {"type": "next_link", "next": {"css": "a[rel=next]::attr(href)"}},
        "items": {"css": "li.task"},
        "total_results": {"css": "p.count::text"},
        "expect": {"css": "ul.tasks"},
    },
    "fields": {
        "listing_id": {"css": "::attr(data-id)"},
        "title": {"css": "h3.title"},
        "category": {"css": "::attr(data-type)"},
        "requester_id": {"css": "span.requester::text"},
        "pay_basis": {"const": "per_task"},
        "reward_amount": {"css": "span.reward::text", "transform": "price", "currency_hint": "USD"},
        "slots_available": {"css": "span.slots b::text", "transform": "int"},
        "slots_total": {"xpath": ".//span[@class='slots']/text()", "transform": "int"},
        "time_estimate_s": {"css": "span.duration::text", "transform": "seconds_from_minutes"},
        "posted_at": {"css": "time.posted::attr(datetime)", "transform": "utc"},
        "expires_at": {"css": "time.expires::attr(datetime)", "transform": "utc"},
        "worker_countries": {"css": "span.countries::text", "transform": "countries"},
        "location.lat": {"css": "span.geo::attr(data-lat)", "transform": "float"},
        "location.lon": {"css": "span.geo::attr(data-lon)", "transform": "float"},
        "location.locality": {"xpath": "substring-before(.//span[@class='geo'], ',')"},
        "location.country": {"xpath": "substring-after(.//span[@class='geo'], ', ')", "transform": "country"},
    },
    "field_thresholds": {"reward_amount": 0.85, "slots_available": 0.85},
}


def test_html_extraction_matches_the_boards_truth() -> None:
    board = TaskBoard(seed=3, start_minute=START)
    spec = specs.spec_from_dict(copy.deepcopy(HTML_SPEC))
    truth = _truth(board, NOW)
    seen: list[dict] = []
    problems = 0
    url = "http://127.0.0.1:1/taskboard/tasks"
    for _ in range(20):
        query = {k: [v] for k, v in (p.split("=") for p in url.partition("?")[2].split("&") if p)}
        body = board.html_tasks(NOW, query).encode()
        page = specs.parse_page(spec, body, url, datetime.now(UTC))
        assert page.total_results == len(truth)
        seen += page.items
        problems += len(page.problems)
        if page.next_url is None:
            break
        url = page.next_url
    assert {i["listing_id"] for i in seen} == {k for k, t in truth.items() if t["reward_published"]}
    assert problems == sum(not t["reward_published"] for t in truth.values())
    _check_against_truth(seen, truth)
    # "Draw boxes around <cars> & bikes" is escaped in the HTML and comes back as the plain text
    assert "Draw boxes around <cars> & bikes" in {i["title"] for i in seen}
    assert all("&amp;" not in i["title"] and "&lt;" not in i["title"] for i in seen)


def test_hostile_records_are_quarantined_not_guessed() -> None:
    spec = specs.spec_from_dict(copy.deepcopy(HTML_SPEC))
    page_html = """<p class="count">3 tasks</p><ul class="tasks">
      <li class="task" data-id="a1" data-type="online"><h3 class="title">Tag\x07 images</h3>
        <span class="reward">$0.05</span><span class="countries">Atlantis, France</span></li>
      <li class="task" data-id="a2" data-type="online"><h3 class="title">OK task</h3>
        <span class="reward">0,20 €</span><span class="countries">Worldwide</span></li>
      <li class="task" data-id="a3" data-type="online"><h3 class="title">Lat only</h3>
        <span class="reward">$1</span><span class="geo" data-lat="91" data-lon="3">Nowhere, France</span></li>
    </ul><a rel="next" href="http://evil.example/steal">next</a>"""
    page = specs.parse_page(spec, page_html, "http://127.0.0.1/taskboard/tasks", datetime.now(UTC))
    assert [i["listing_id"] for i in page.items] == ["a2"]
    assert page.items[0]["reward_amount"] == "0.2" and page.items[0]["reward_currency"] == "EUR"
    assert page.items[0]["worker_countries"] == []
    reasons = sorted(p["reason"] for p in page.problems)
    assert reasons[0].startswith("location.lat: latitude 91.0 out of range")
    assert reasons[1].startswith("worker_countries: unknown country 'Atlantis'")
    assert page.next_url is None, "a next link to another origin must never be followed"


def test_a_page_in_the_wrong_format_is_a_page_error() -> None:
    spec = specs.load_spec(SIM_SPEC)
    for body in (
        b"<html>login</html>",
        b'{"data": {"tasks": 3}, "meta": {}}',
        b'{"error": "login required"}',
    ):
        with pytest.raises(specs.PageFormatError):
            specs.parse_page(spec, body, "http://127.0.0.1/x", datetime.now(UTC))


# ------------------------------------------------------------------------------------------ the spider


@pytest.fixture
def board_server() -> Iterator[TaskBoardServer]:
    httpd = serve_taskboard(0, seed=11, start_minute=START)
    httpd.now_minute = NOW
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def _crawl(
    home: Path, spec_path: Path, base_url: str, run_id: str, password: str
) -> tuple[int, dict | None, str]:
    env = {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "crawlers.settings",
        "OBSERVATORY_HOME": str(home),
        "OBSERVATORY_TASKBOARD_SIM_USER": DEFAULT_USER,
        "OBSERVATORY_TASKBOARD_SIM_PASSWORD": password,
        "OBSERVATORY_DOWNLOAD_DELAY": "0",
    }
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "spec",
        "-a",
        f"spec={spec_path}",
        "-a",
        f"run_id={run_id}",
        "-a",
        "clock=server",
        "-a",
        f"base_url={base_url}",
        "-s",
        "AUTOTHROTTLE_START_DELAY=0.01",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    key = yaml.safe_load(spec_path.read_text())["key"]
    manifest_path = home / "landing" / key / f"{run_id}.manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    return proc.returncode, manifest, proc.stderr


def _http_truth(httpd: TaskBoardServer) -> dict[str, dict]:
    with urllib.request.urlopen(f"{httpd.url}/taskboard/_truth", timeout=10) as resp:
        return {t["id"]: t for t in json.load(resp)["tasks"]}


@pytest.mark.e2e
def test_spec_spider_logs_in_and_lands_the_board(home: Path, board_server: TaskBoardServer) -> None:
    rc, manifest, log = _crawl(home, SIM_SPEC, board_server.url, "taskboard_sim-e2e-1", DEFAULT_PASSWORD)
    assert rc == 0, log[-3000:]
    assert manifest is not None and manifest["status"] == "ok", manifest
    assert manifest["source"] == "taskboard_sim" and manifest["spider"] == "spec"
    truth = _http_truth(board_server)
    published = {k for k, t in truth.items() if t["reward_published"]}
    assert manifest["pages"] == -(-len(truth) // 50) >= 2  # the board's paging was followed to the end
    assert manifest["results_reported"] == len(truth)
    assert manifest["items"] == len(published) and manifest["quarantined"] == len(truth) - len(published)
    items = list(read_items(home / "landing" / "taskboard_sim" / manifest["items_file"]))
    assert {i["listing_id"] for i in items} == published
    _check_against_truth(items, truth)
    # observation time is the board's simulated clock, and every item points into the WARC archive
    assert {i["observed_at"] for i in items} == {"2026-09-01T06:00:00Z"}
    assert all(i["raw_ref"].startswith("archive/taskboard_sim/taskboard_sim-e2e-1.warc.gz#") for i in items)
    warc = gzip.open(home / "archive" / "taskboard_sim" / "taskboard_sim-e2e-1.warc.gz").read()
    assert b"tb_session" not in warc and DEFAULT_PASSWORD.encode() not in warc
    assert DEFAULT_PASSWORD not in log


@pytest.mark.e2e
def test_spec_spider_follows_next_links_on_html_pages(
    home: Path, board_server: TaskBoardServer, tmp_path: Path
) -> None:
    spec_path = tmp_path / "taskboard_html.yaml"
    data = copy.deepcopy(HTML_SPEC)
    data["listing"]["url"] = "/taskboard/tasks?per_page=30"
    spec_path.write_text(yaml.safe_dump(data, allow_unicode=True))
    rc, manifest, log = _crawl(home, spec_path, board_server.url, "taskboard_html-e2e-1", DEFAULT_PASSWORD)
    assert rc == 0, log[-3000:]
    assert manifest is not None and manifest["status"] == "ok", manifest
    truth = _http_truth(board_server)
    assert manifest["pages"] == -(-len(truth) // 30) >= 2
    items = list(read_items(home / "landing" / "taskboard_html" / manifest["items_file"]))
    assert {i["listing_id"] for i in items} == {k for k, t in truth.items() if t["reward_published"]}


@pytest.mark.e2e
def test_a_failed_login_seals_a_failed_run_without_crashing(
    home: Path, board_server: TaskBoardServer
) -> None:
    before = board_server.board.requests
    rc, manifest, log = _crawl(home, SIM_SPEC, board_server.url, "taskboard_sim-e2e-bad", "wrong-password")
    assert rc == 0, log[-3000:]
    assert "Traceback" not in log
    assert manifest is not None and manifest["status"] == "failed"
    assert "finish reason login_failed" in manifest["failures"] and "zero items" in manifest["failures"]
    assert manifest["items"] == 0 and manifest["pages"] == 0
    assert board_server.board.requests - before == 1, "only the login was tried"
    assert "wrong-password" not in log
