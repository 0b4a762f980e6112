"""Tests of the MTurk marketplace simulator, over real HTTP on 127.0.0.1.

Why these tests matter: the simulator is the ground truth the warehouse and the estimators are checked
against, so it must be deterministic, page like the real site, stamp responses with the simulated clock, and
its truth must be exactly what a crawl after every tick can infer from listing diffs.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from simulator.market import HOSTILE_DESCRIPTIONS, HOSTILE_TITLES, Market
from simulator.server import make_server

START = datetime(2026, 9, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
RESULT_KEYS = {
    "hit_set_id", "requester_id", "requester_name", "title", "description", "assignment_duration_in_seconds",
    "creation_time", "assignable_hits_count", "latest_expiration_time", "caller_meets_requirements",
    "caller_meets_preview_requirements", "last_updated_time", "monetary_reward", "accept_project_task_url",
    "requester_url", "project_tasks_url", "project_requirements",
}
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")


@contextlib.contextmanager
def running(market: Market, faults: dict | None = None):
    """Serve ``market`` on a free port in a background thread; yield the base URL."""
    server = make_server(market, "127.0.0.1", 0, faults)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def request(url: str, method: str = "GET", body: dict | None = None):
    """(status, headers, raw body) without raising on HTTP errors."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def get_json(url: str):
    status, _, raw = request(url)
    assert status == 200, raw
    return json.loads(raw)


def advance(base: str, minutes: int) -> dict:
    status, _, raw = request(f"{base}_sim/advance?minutes={minutes}", "POST")
    assert status == 200, raw
    return json.loads(raw)


def full_listing(base: str, sort: str = "updated_desc", page_size: int = 100) -> list[dict]:
    results, page = [], 1
    while True:
        data = get_json(f"{base}?format=json&page_size={page_size}&page_number={page}&sort={sort}")
        results += data["results"]
        if page * page_size >= data["total_num_results"]:
            assert len(results) == data["total_num_results"]
            return results
        page += 1


@pytest.fixture(scope="module")
def market42() -> Market:
    return Market(seed=42, start=START)


def test_construction_and_two_days_are_fast():
    t0 = time.perf_counter()
    market = Market(seed=3, start=START)
    market.advance(2 * 24 * 60)
    assert time.perf_counter() - t0 < 3.0
    state = market.state()
    assert state["now"] == "2026-09-03T00:00:00Z"
    assert 100 <= state["open_groups"] <= 500


def test_market_is_warm_at_start_and_truth_starts_there(market42):
    state = market42.state()
    assert state["now"] == "2026-09-01T00:00:00Z"
    assert state["open_groups"] >= 100 and state["open_hits"] > 1000
    assert market42.truth()["hours"] == []  # nothing after start yet


def test_determinism_independent_of_chunking_and_requests():
    a, b, c = Market(seed=7, start=START), Market(seed=7, start=START), Market(seed=8, start=START)
    with running(a) as ua, running(b) as ub, running(c) as uc:
        advance(ua, 95)
        for chunk in (1, 1, 3, 30, 60):
            full_listing(ub)  # reading must not disturb the market
            advance(ub, chunk)
        advance(uc, 95)
        la, lb, lc = full_listing(ua), full_listing(ub), full_listing(uc)
        assert json.dumps(la) == json.dumps(lb)
        assert get_json(f"{ua}_sim/truth") == get_json(f"{ub}_sim/truth")
        assert json.dumps(la) != json.dumps(lc)


def test_result_layout(market42):
    with running(market42) as base:
        results = full_listing(base)
    assert results
    locale_seen = notin_seen = False
    for r in results:
        assert set(r) == RESULT_KEYS
        assert re.fullmatch(r"[0-9A-Z]{30}", r["hit_set_id"])
        assert re.fullmatch(r"A[0-9A-Z]{12,13}", r["requester_id"])
        for key in ("creation_time", "last_updated_time", "latest_expiration_time"):
            assert TS.match(r[key]), r[key]
        assert isinstance(r["assignment_duration_in_seconds"], int)
        assert 300 <= r["assignment_duration_in_seconds"] <= 7200
        assert isinstance(r["assignable_hits_count"], int) and r["assignable_hits_count"] > 0
        reward = r["monetary_reward"]
        assert reward["currency_code"] == "USD" and 0.01 <= reward["amount_in_dollars"] <= 2.50
        assert r["caller_meets_requirements"] is True and r["caller_meets_preview_requirements"] is True
        assert r["accept_project_task_url"] == f"/projects/{r['hit_set_id']}/tasks/accept_random?ref=w_pl_prvw"
        assert r["requester_url"] == f"/requesters/{r['requester_id']}/projects"
        assert r["project_tasks_url"] == f"/projects/{r['hit_set_id']}/tasks"
        for q in r["project_requirements"]:
            assert q["qualification_type"]["qualification_type_id"] == q["qualification_type_id"]
            if q["qualification_type_id"] == "00000000000000000071":
                assert q["comparator"] in ("In", "NotIn")
                assert q["qualification_values"] and all(re.fullmatch("[A-Z]{2}", v) for v in q["qualification_values"])
                locale_seen = True
                notin_seen |= q["comparator"] == "NotIn"
    assert locale_seen and notin_seen
    worldwide = sum(not any(q["qualification_type_id"] == "00000000000000000071" for q in r["project_requirements"])
                    for r in results)
    assert 0.4 < worldwide / len(results) < 0.8


def test_hostile_text_is_served_verbatim():
    market = Market(seed=42, start=START)
    market.advance(24 * 60)
    with running(market) as base:
        results = full_listing(base)
    texts = {r["title"] for r in results} | {r["description"] for r in results}
    assert texts & (set(HOSTILE_TITLES) | set(HOSTILE_DESCRIPTIONS))


def test_paging_covers_every_group_once_in_stable_order(market42):
    with running(market42) as base:
        total = get_json(f"{base}?format=json")["total_num_results"]
        reference = {r["hit_set_id"] for r in full_listing(base)}
        assert len(reference) == total
        keys = {
            "updated_desc": lambda r: (-datetime.fromisoformat(r["last_updated_time"]).timestamp(), r["hit_set_id"]),
            "updated_asc": lambda r: (datetime.fromisoformat(r["last_updated_time"]).timestamp(), r["hit_set_id"]),
            "reward_desc": lambda r: (-r["monetary_reward"]["amount_in_dollars"], r["hit_set_id"]),
            "reward_asc": lambda r: (r["monetary_reward"]["amount_in_dollars"], r["hit_set_id"]),
            "num_hits_desc": lambda r: (-r["assignable_hits_count"], r["hit_set_id"]),
            "num_hits_asc": lambda r: (r["assignable_hits_count"], r["hit_set_id"]),
        }
        for sort, key in keys.items():
            results = full_listing(base, sort, page_size=7)
            ids = [r["hit_set_id"] for r in results]
            assert len(ids) == len(set(ids)) == total
            assert set(ids) == reference
            assert results == sorted(results, key=key), sort
        beyond = get_json(f"{base}?format=json&page_size=100&page_number=99")
        assert beyond["num_results"] == 0 and beyond["results"] == [] and beyond["page_number"] == 99


def test_page_size_cap_and_default(market42):
    with running(market42) as base:
        big = get_json(f"{base}?format=json&page_size=1000")
        assert big["total_num_results"] > 100
        assert big["num_results"] == len(big["results"]) == 100
        default = get_json(f"{base}projects?format=json")
        assert default["num_results"] == 20 and default["page_number"] == 1
        assert request(f"{base}?format=json&sort=bogus")[0] == 400
        assert request(f"{base}?format=json&page_size=x")[0] == 400


def test_date_header_is_the_simulated_clock():
    market = Market(seed=1, start=START)
    with running(market) as base:
        _, headers, _ = request(f"{base}?format=json")
        assert parsedate_to_datetime(headers["Date"]) == START
        assert headers["Date"] == "Tue, 01 Sep 2026 00:00:00 GMT"
        assert advance(base, 17) == {"now": "2026-09-01T00:17:00Z", "minutes": 17}
        for path in ("?format=json", "robots.txt", "_sim/state", "nope"):
            _, headers, _ = request(base + path)
            assert parsedate_to_datetime(headers["Date"]) == START + timedelta(minutes=17), path
        assert get_json(f"{base}_sim/state")["now"] == "2026-09-01T00:17:00Z"


def _locale_keys(result: dict) -> tuple[str, ...]:
    """The warehouse's eligibility key rule: 'In' -> each listed country; worldwide or 'NotIn' -> ALL."""
    for q in result["project_requirements"]:
        if q["qualification_type_id"] == "00000000000000000071" and q["comparator"] == "In":
            return tuple(q["qualification_values"])
    return ("ALL",)


def test_truth_matches_what_a_crawl_after_every_tick_infers():
    market = Market(seed=11, start=START)
    minutes = 180
    inferred: dict[str, Counter] = defaultdict(Counter)
    reward: dict[str, Decimal] = defaultdict(Decimal)
    new_groups = rises = 0
    with running(market) as base:
        prev = {r["hit_set_id"]: r for r in full_listing(base)}
        for _ in range(minutes):
            now = datetime.fromisoformat(advance(base, 1)["now"])
            cur = {r["hit_set_id"]: r for r in full_listing(base)}
            for hid, r in cur.items():
                before = prev.get(hid)
                count = r["assignable_hits_count"]
                diff = count - (before["assignable_hits_count"] if before else 0)
                new_groups += before is None
                rises += before is not None and diff > 0
                for key in _locale_keys(r):
                    if diff > 0:
                        inferred[key]["hits_arrived"] += diff
                    elif diff < 0:
                        inferred[key]["hits_completed"] -= diff
                        reward[key] += -diff * Decimal(str(r["monetary_reward"]["amount_in_dollars"]))
            for hid, r in prev.items():
                if hid in cur:
                    continue
                count = r["assignable_hits_count"]
                expired = now >= datetime.fromisoformat(r["latest_expiration_time"])
                for key in _locale_keys(r):
                    inferred[key]["hits_expired" if expired else "hits_completed"] += count
                    if not expired:
                        reward[key] += count * Decimal(str(r["monetary_reward"]["amount_in_dollars"]))
            prev = cur
        truth = get_json(f"{base}_sim/truth")
        one_hour = get_json(f"{base}_sim/truth?from=2026-09-01T01:00:00Z&to=2026-09-01T02:00:00Z")

    assert [h["hour"] for h in truth["hours"]] == [f"2026-09-01T0{i}:00:00Z" for i in range(4)]
    assert [h["hour"] for h in one_hour["hours"]] == ["2026-09-01T01:00:00Z"]
    true: dict[str, Counter] = defaultdict(Counter)
    true_reward: dict[str, Decimal] = defaultdict(Decimal)
    totals = Counter()
    for h in truth["hours"]:
        for field in ("hits_arrived", "hits_completed", "hits_expired", "groups_posted"):
            totals[field] += h[field]
        totals["reward"] += Decimal(h["reward_completed_usd"])
        assert sum(h["completions_by_worker_country"].values()) == h["hits_completed"]
        assert sum(h["active_workers_by_country"].values()) <= h["hits_completed"]
        for key, row in h["by_eligibility"].items():
            for field in ("hits_arrived", "hits_completed", "hits_expired"):
                true[key][field] += row[field]
            true_reward[key] += Decimal(row["reward_completed_usd"])
    # the scenario must actually exercise every kind of event
    assert totals["hits_arrived"] > 0 and totals["hits_completed"] > 0 and totals["hits_expired"] > 0
    assert totals["groups_posted"] == new_groups
    assert rises > 0  # extensions of open groups happened
    for key in set(true) | set(inferred):
        for field in ("hits_arrived", "hits_completed", "hits_expired"):
            assert inferred[key][field] == true[key][field], (key, field)
        assert reward[key] == true_reward[key], key
    all_row = true["ALL"]
    assert all_row["hits_completed"] <= totals["hits_completed"]


def test_faults_statuses_and_market_untouched():
    market = Market(seed=5, start=START)
    with running(market) as base:
        listing = f"{base}?format=json&page_size=100"
        state = get_json(f"{base}_sim/state")
        clean = request(listing)[2]

        assert request(f"{base}_sim/faults", "POST", {"status_500_every": 2})[0] == 200
        statuses = [request(listing)[0] for _ in range(4)]
        assert statuses == [200, 500, 200, 500]

        request(f"{base}_sim/faults", "POST", {"status_429_every": 1, "retry_after": 7})
        status, headers, _ = request(listing)
        assert status == 429 and headers["Retry-After"] == "7"

        request(f"{base}_sim/faults", "POST", {"slow_ms": 300})
        t0 = time.perf_counter()
        assert request(listing)[0] == 200
        assert time.perf_counter() - t0 >= 0.3

        request(f"{base}_sim/faults", "POST", {"truncate_every": 1})
        status, headers, raw = request(listing)
        assert status == 200 and int(headers["Content-Length"]) == len(raw) == len(clean) // 2
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw)

        request(f"{base}_sim/faults", "POST", {"robots_disallow": "/"})
        assert request(f"{base}robots.txt")[2].decode() == "User-agent: *\nDisallow: /_sim/\nDisallow: /taskboard/_truth\nDisallow: /\n"

        assert request(f"{base}_sim/faults", "POST", {"bogus": 1})[0] == 400
        assert request(f"{base}_sim/faults", "POST", {})[0] == 200
        assert request(listing)[2] == clean
        assert get_json(f"{base}_sim/state") == state


def test_robots_and_unknown_paths():
    market = Market(seed=2, start=START, scale=0.2)
    with running(market) as base:
        status, headers, raw = request(f"{base}robots.txt")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        assert raw.decode() == "User-agent: *\nDisallow: /_sim/\nDisallow: /taskboard/_truth\n"
        status, headers, raw = request(f"{base}no/such/page")
        assert status == 404 and headers["Content-Type"].startswith("application/json")
        assert json.loads(raw)["status"] == 404
        assert request(f"{base}_sim/advance?minutes=-1", "POST")[0] == 400


def test_module_entry_point_serves_and_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "--port", "0", "--scale", "0.2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        assert request(f"{url}robots.txt")[0] == 200
        proc.terminate()
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
