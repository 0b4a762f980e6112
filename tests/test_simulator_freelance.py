"""Tests of the simulator's freelance marketplaces (Freelancer.com, PeoplePerHour, Upwork), over real HTTP.

Why these tests matter: the freelance parsers and the warehouse will be checked against this simulator's
truth, so it must be deterministic, must not disturb the MTurk market, must page like the real API, must
write the real layouts (compared key by key with a saved Freelancer API page), must produce well-formed
RSS even from hostile text, and its truth must be exactly what a crawl after every tick can see.
"""

from __future__ import annotations

import json
import os
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from simulator.freelance import COUNTRY_NAME, FreelanceMarket
from simulator.freelance_formats import freelancer_active, pph_path, pph_rss, upwork_rss
from simulator.market import Market
from tests.test_simulator import advance, get_json, request, running

START = datetime(2026, 9, 1, tzinfo=UTC)
FIXTURES = Path(
    os.environ.get("OBSERVATORY_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures")
)
API = "api/projects/0.1/projects/active/"
DETAILS = "job_details=true&user_details=true&user_location_details=true"
NAME_TO_CODE = {v: k for k, v in COUNTRY_NAME.items()}
UPWORK_BUDGET = re.compile(r"<b>Budget</b>: \$([\d,]+)\n")
UPWORK_HOURLY = re.compile(r"<b>Hourly Range</b>: \$([\d,]+)\.00(?:-\$([\d,]+)\.00)?\n\n")


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def freelancer_all(
    base: str, limit: int = 100, users_first_page_only: bool = False
) -> tuple[list[dict], dict[str, dict]]:
    """Every active project (and its employers) by paging with limit/offset. A crawl after every tick only
    needs the employers of the first page (new projects are the newest), which makes later pages cheaper."""
    projects, users, offset = [], {}, 0
    while True:
        details = "job_details=true" if users_first_page_only and offset else DETAILS
        data = get_json(f"{base}{API}?limit={limit}&offset={offset}&{details}")
        assert data["status"] == "success"
        result = data["result"]
        projects += result["projects"]
        users |= result["users"] or {}
        offset += limit
        if offset >= result["total_count"]:
            assert len(projects) == result["total_count"]
            return projects, users


def rss_items(base: str, path: str) -> list[ET.Element]:
    status, headers, raw = request(base + path)
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    return ET.fromstring(raw).findall("channel/item")


def upwork_fields(item: ET.Element) -> dict:
    """What an Upwork parser would read from one item."""
    desc = item.findtext("description")
    out: dict = {"link": item.findtext("link"), "desc": desc}
    cat = re.search(r"<b>Category</b>: (.*?)(?:<br />|\n)", desc)
    out["category"] = cat.group(1).replace("&amp;", "&") if cat else None
    country = re.search(r"<b>Country</b>: (.*?)\n", desc)
    out["country"] = NAME_TO_CODE[country.group(1)] if country else "unknown"
    fixed, hourly = UPWORK_BUDGET.search(desc), UPWORK_HOURLY.search(desc)
    if fixed:
        amount = int(fixed.group(1).replace(",", ""))
        out["budget"] = ("fixed", amount, amount)
    elif hourly:
        lo = int(hourly.group(1).replace(",", ""))
        hi = int(hourly.group(2).replace(",", "")) if hourly.group(2) else lo
        out["budget"] = ("hourly", lo, hi)
    else:
        out["budget"] = None
    return out


def pph_fields(item: ET.Element) -> dict:
    """What a PeoplePerHour parser would read from one RSS item."""
    desc = item.findtext("description")
    link = item.findtext("link")
    out: dict = {
        "id": int(re.search(r"-(\d+)$", link).group(1)),
        "link": link,
        "desc": desc,
        "category": item.findtext("category"),
    }
    out["country"] = NAME_TO_CODE[re.search(r"Posted by [^,<]+, ([^<]+)</p>", desc).group(1)]
    budget = re.search(r"<p>Budget: ([£$€])([\d,]+)(/hr)?</p>", desc)
    if budget:
        cur = {"£": "GBP", "$": "USD", "€": "EUR"}[budget.group(1)]
        amount = int(budget.group(2).replace(",", ""))
        out["budget"] = ("hourly" if budget.group(3) else "fixed", cur, amount)
    else:
        out["budget"] = None
    return out


class ClassText(HTMLParser):
    """Text and attributes of elements by class (enough to read the modelled PeoplePerHour page)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = defaultdict(str)
        self.attrs: dict[str, dict] = {}
        self.stack: list[list[str]] = []
        self.raw = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        for c in classes:
            self.attrs[c] = a
        if tag not in ("meta", "link", "br"):
            self.stack.append(classes)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        for classes in self.stack:
            for c in classes:
                self.text[c] += data


def read_page(url: str) -> ClassText:
    status, headers, raw = request(url)
    assert status == 200 and headers["Content-Type"].startswith("text/html"), (status, url)
    parser = ClassText()
    parser.raw = raw.decode("utf-8")
    parser.feed(parser.raw)
    parser.close()
    return parser


# ---------------------------------------------------------------------------------------------- determinism
def test_determinism_chunking_warmup_split_and_mturk_untouched(monkeypatch):
    a, b, c = (
        Market(seed=7, start=START, scale=0.3),
        Market(seed=7, start=START, scale=0.3),
        Market(seed=8, start=START, scale=0.3),
    )
    standalone = FreelanceMarket(seed=7, start=START, scale=0.3)
    with running(a) as ua, running(b) as ub, running(c) as uc:
        advance(ua, 95)
        for chunk in (1, 1, 3, 30, 60):
            freelancer_all(ub)  # reading must not disturb the market
            rss_items(ub, "rss/jobs")
            advance(ub, chunk)
        advance(uc, 95)
        standalone.advance(95)
        for path in (f"{API}?limit=100&{DETAILS}", "ab/feed/jobs/rss?paging=0;100", "_sim/truth/freelance"):
            assert request(ua + path)[2] == request(ub + path)[2], path
            assert request(ua + path)[2] != request(uc + path)[2], path
        pa = request(f"{ua}rss/jobs")[2].decode().replace(ua.rstrip("/"), "")
        pb = request(f"{ub}rss/jobs")[2].decode().replace(ub.rstrip("/"), "")
        assert pa == pb
        # the freelance market inside Market is the standalone one: its warm-up may be split anywhere
        assert get_json(f"{ua}_sim/truth/freelance") == standalone.truth()
        assert (
            json.loads(request(f"{ua}{API}?limit=100&{DETAILS}")[2])["result"]
            == freelancer_active(standalone, 100, 0, True, True, True)["result"]
        )
        mturk_with = request(f"{ua}?format=json&page_size=100")[2]
        mturk_truth_with = get_json(f"{ua}_sim/truth")

    # The MTurk market is exactly what it was before the freelance markets existed: with their ticks turned
    # into no-ops, the MTurk listing and truth do not change by one byte.
    monkeypatch.setattr(FreelanceMarket, "tick", lambda self, t: setattr(self, "now_minute", t))
    alone = Market(seed=7, start=START, scale=0.3)
    assert alone.freelance.state()["open_projects"] == {"freelancer": 0, "peopleperhour": 0, "upwork": 0}
    with running(alone) as u:
        advance(u, 95)
        assert request(f"{u}?format=json&page_size=100")[2] == mturk_with
        assert get_json(f"{u}_sim/truth") == mturk_truth_with


def test_construction_is_fast_and_the_market_is_warm():
    t0 = time.perf_counter()
    m = FreelanceMarket(seed=3, start=START)
    assert time.perf_counter() - t0 < 2.0
    state = m.state()
    assert state["now"] == "2026-09-01T00:00:00Z"
    assert all(n >= 500 for n in state["open_projects"].values()), state
    assert m.truth()["platforms"] == {"freelancer": [], "peopleperhour": [], "upwork": []}
    with pytest.raises(ValueError):
        m.truth("fiverr")


# ---------------------------------------------------------------------------------------------- Freelancer
def test_freelancer_paging_covers_every_active_project_once_newest_first():
    market = Market(seed=4, start=START, scale=0.3)
    market.advance(45)
    with running(market) as base:
        open_count = get_json(f"{base}_sim/state/freelance")["open_projects"]["freelancer"]
        reference, _ = freelancer_all(base)
        assert len(reference) == open_count > 100
        ids = [p["id"] for p in reference]
        assert len(set(ids)) == len(ids)
        assert reference == sorted(reference, key=lambda p: (-p["time_submitted"], -p["id"]))
        odd, _ = freelancer_all(base, limit=37)
        assert [p["id"] for p in odd] == ids
        assert len(get_json(f"{base}{API}?limit=1000")["result"]["projects"]) == 100
        default = get_json(f"{base}{API}")["result"]
        assert len(default["projects"]) == 10 and default["total_count"] == open_count
        assert default["users"] is None and all(p["jobs"] is None for p in default["projects"])
        beyond = get_json(f"{base}{API}?limit=50&offset={open_count}")["result"]
        assert beyond["projects"] == [] and beyond["total_count"] == open_count
        for bad in ("limit=x", "offset=-1", "limit=0"):
            assert request(f"{base}{API}?{bad}")[0] == 400, bad


def test_freelancer_layout_matches_the_saved_real_page():
    real = fixture_json("freelancer/projects_active_2021-09-20.json")
    categories = {
        c["id"]: c["name"] for c in fixture_json("freelancer/categories_2018.json")["result"]["categories"]
    }
    currencies = fixture_json("freelancer/budgets_2018.json")["result"]["currencies"]
    real_projects = real["result"]["projects"]
    real_fixed = next(p for p in real_projects if p["type"] == "fixed")
    real_hourly = next(p for p in real_projects if p["type"] == "hourly")
    real_users = list(real["result"]["users"].values())
    user_common = set.intersection(*(set(u) for u in real_users))
    user_union = set.union(*(set(u) for u in real_users))
    real_user = real_users[0]

    market = Market(seed=12, start=START, scale=0.3)
    with running(market) as base:
        page = get_json(f"{base}{API}?limit=100&{DETAILS}")
    assert set(page) == set(real)
    assert set(real["result"]) <= set(page["result"]) and page["result"]["selected_bids"] is None
    projects, users = page["result"]["projects"], page["result"]["users"]
    assert set(users) == {str(p["owner_id"]) for p in projects}
    seen = Counter()
    for p in projects:
        ref = real_fixed if p["type"] == "fixed" else real_hourly
        seen[p["type"]] += 1
        assert set(p) == set(ref), p["id"]
        assert list(p) == [k for k in ref if k in p]  # and in the same order
        for key in ("currency", "budget", "bid_stats", "upgrades", "location"):
            assert set(p[key]) == set(ref[key]), key
        if p["type"] == "hourly":
            assert set(p["hourly_project_info"]) == set(ref["hourly_project_info"])
        for job in p["jobs"]:
            assert set(job) == set(ref["jobs"][0]) and set(job["category"]) == {"id", "name"}
            assert categories[job["category"]["id"]] == job["category"]["name"]
        cur = currencies[str(p["currency"]["id"])]
        assert (cur["code"], cur["exchange_rate"], cur["sign"]) == (
            p["currency"]["code"],
            p["currency"]["exchange_rate"],
            p["currency"]["sign"],
        )
        assert p["budget"]["minimum"] < p["budget"]["maximum"]
        assert p["submitdate"] == p["time_submitted"] and p["status"] == "active"
        assert p["bid_stats"]["bid_count"] >= 0 and p["seo_url"].split("/")[0] == p["jobs"][0]["seo_url"]
    assert seen["fixed"] and seen["hourly"]
    assert {p["currency"]["code"] for p in projects} >= {"USD", "GBP", "INR"}
    assert any(p["jobs"][0]["category"]["name"] == "Data Entry & Admin" for p in projects)
    for u in users.values():
        assert user_common <= set(u) <= user_union, set(u) ^ user_common
        for key in ("reputation", "status", "timezone", "primary_currency", "cover_image"):
            assert set(u[key]) == set(real_user[key]), key
        country = u["location"]["country"]
        assert set(country) == set(real_user["location"]["country"])
        assert country["code"] == country["code"].lower() and len(country["code"]) == 2  # as the real API
        assert COUNTRY_NAME[country["code"].upper()] == country["name"]
        assert set(u["location"]) <= {"country", "city"}


def test_freelancer_user_location_only_on_request():
    market = Market(seed=12, start=START, scale=0.2)
    with running(market) as base:
        page = get_json(f"{base}{API}?limit=5&job_details=true&user_details=true")["result"]
    assert page["users"] and all(u["location"] == {} for u in page["users"].values())


# ---------------------------------------------------------------------------------------------- RSS and pages
def test_upwork_rss_is_well_formed_and_speaks_the_archived_format():
    real = fixture_json("upwork/rss_jobs_parsed_2022-06.json")
    market = Market(seed=21, start=START, scale=0.5)
    market.advance(60)
    real_budget = re.compile(r"^\$[\d,]+$|^\$[\d,]+\.00(-\$[\d,]+\.00)?$")
    assert all(real_budget.match(r["budget"]) for r in real if r["budget"] != "N/A")
    with running(market) as base:
        items = rss_items(base, "ab/feed/jobs/rss?paging=0;100")
        assert len(items) == 100
        second = rss_items(base, "ab/feed/jobs/rss?paging=50;50")
        assert [i.findtext("guid") for i in second] == [i.findtext("guid") for i in items[50:]]
        dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
        assert dates == sorted(dates, reverse=True) and dates[0] <= START + timedelta(minutes=60)
        kinds = Counter()
        for item in items:
            f = upwork_fields(item)
            assert item.findtext("title").endswith(" - Upwork")
            assert re.fullmatch(
                r"https://www\.upwork\.com/jobs/[A-Za-z0-9-]+_%7E01[0-9a-f]{16}\?source=rss", f["link"]
            )
            assert item.findtext("guid") == f["link"]
            assert item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") == f["desc"]
            assert f'<br /><a href="{f["link"]}">click to apply</a>' in f["desc"]
            posted = re.search(r"<b>Posted On</b>: (\w+ \d\d, \d{4} \d\d:\d\d) UTC<br />", f["desc"]).group(1)
            assert datetime.strptime(posted, "%B %d, %Y %H:%M").replace(tzinfo=UTC) == parsedate_to_datetime(
                item.findtext("pubDate")
            )
            budget = re.search(r"<b>(?:Budget|Hourly Range)</b>: (\S+)", f["desc"])
            if budget:
                assert real_budget.match(budget.group(1)), budget.group(1)
            kinds[f["budget"][0] if f["budget"] else None] += 1
            assert f["category"] and "<b>Skills</b>:" in f["desc"]
        assert kinds["fixed"] and kinds["hourly"] and kinds[None]
        real_categories = {r["category"] for r in real}
        assert {"Data Entry"} <= {upwork_fields(i)["category"] for i in items} & real_categories
        assert {upwork_fields(i)["country"] for i in items} & {"US", "GB", "IN"}
        data_entry = rss_items(base, "ab/feed/jobs/rss?q=data+entry&paging=0;100")
        assert data_entry and all(
            "data entry" in (i.findtext("description") + i.findtext("title")).lower() for i in data_entry
        )
        assert request(f"{base}ab/feed/jobs/rss?paging=x;y")[0] == 400


def test_hostile_text_round_trips_through_rss_and_pages():
    market = Market(seed=2, start=START, scale=0.2)
    fm = market.freelance
    hostile = "Copy paste ]]> job & <b>more</b> 'now' \"quoted\" — ½ 日本語 🔥"
    up, pph = fm.open_projects("upwork")[0], fm.open_projects("peopleperhour")[0]
    up.title = pph.title = hostile
    up.description = pph.description = hostile + " ]]]]> <script>alert(1)</script>"
    top = ET.fromstring(upwork_rss(fm, count=5)).find("channel/item")
    assert top.findtext("title") == hostile + " - Upwork"
    assert top.findtext("description").startswith(
        "Copy paste ]]&gt; job &amp; &lt;b&gt;more&lt;/b&gt; &#039;now&#039; &quot;quoted&quot;"
    )
    first = ET.fromstring(pph_rss(fm, "http://127.0.0.1:1")).find("channel/item")
    assert first.findtext("title") == hostile
    with running(market) as base:
        page = read_page(first.findtext("link").replace("http://127.0.0.1:1/", base))
    assert page.text["job-title"] == hostile
    assert "<script>alert(1)</script>" in page.text["job-description"]


def test_peopleperhour_feed_and_job_pages_agree():
    market = Market(seed=5, start=START, scale=0.5)
    market.advance(30)
    with running(market) as base:
        items = rss_items(base, "rss/jobs")
        assert len(items) == 50
        page2 = rss_items(base, "rss/jobs?page=2")
        assert {i.findtext("guid") for i in page2}.isdisjoint({i.findtext("guid") for i in items})
        currencies = Counter(pph_fields(i)["budget"][1] for i in items)
        assert currencies["GBP"] > currencies["USD"] > 0, currencies
        for item in items[:12]:
            f = pph_fields(item)
            link = f["link"]
            assert link.startswith(base.rstrip("/") + "/freelance-jobs/")  # links lead back to this server
            assert re.fullmatch(r".*/freelance-jobs/[a-z0-9-]+/[a-z0-9-]+/[a-z0-9-]+-\d+", link)
            page = read_page(link)
            assert page.attrs["job-page"]["data-job-id"] == str(f["id"])
            assert page.text["job-title"] == item.findtext("title")
            assert page.text["job-location"].strip() == f"Location: {COUNTRY_NAME[f['country']]}"
            assert page.text["job-category"] == f["category"]
            assert int(page.text["job-proposals"].split()[-1]) >= 0
            posted = re.search(r'<li class="job-posted">Posted <time datetime="([^"]+)">', page.raw).group(1)
            assert datetime.fromisoformat(posted) == parsedate_to_datetime(item.findtext("pubDate"))
            amount = page.attrs["budget-amount"]
            ptype, cur, value = f["budget"]
            assert (amount["data-type"], amount["data-currency"], int(amount["data-amount"])) == (
                ptype,
                cur,
                value,
            )
            assert page.text["job-status"].strip() == "Status: Open"
        status, headers, raw = request(f"{base}freelance-jobs/business/data-entry/no-such-job-1")
        assert status == 404 and headers["Content-Type"].startswith("text/html")


def test_bid_counts_grow_and_freeze_when_a_project_closes():
    market = Market(seed=8, start=START, scale=0.3)
    fm = market.freelance
    # the open PeoplePerHour job that closes first among those with some proposals already
    job = min((p for p in fm.open_projects("peopleperhour") if p.bids_at(fm.now_minute) > 0),
              key=lambda p: p.closes)
    with running(market) as base:
        link = base.rstrip("/") + pph_path(job)
        counts = []
        advance(base, job.closes - fm.now_minute - 1)
        for _ in range(2):
            page = read_page(link)
            counts.append((page.text["job-status"].strip(), int(page.text["job-proposals"].split()[-1])))
            advance(base, 1)
        advance(base, 600)
        page = read_page(link)
        counts.append((page.text["job-status"].strip(), int(page.text["job-proposals"].split()[-1])))
    assert counts[0][0] == "Status: Open" and counts[0][1] > 0
    assert counts[1] == counts[2] == ("Status: Closed", counts[0][1]), counts
    # Freelancer counts only ever grow while projects are open
    before = {p.id: p.bids_at(fm.now_minute) for p in fm.open_projects("freelancer")}
    market.advance(240)
    after = {p.id: p.bids_at(fm.now_minute) for p in fm.open_projects("freelancer")}
    assert all(after[i] >= before[i] for i in after if i in before)
    assert sum(after[i] - before[i] for i in after if i in before) > 0


# ---------------------------------------------------------------------------------------------- truth
def test_truth_matches_what_a_crawl_after_every_tick_sees():
    """Crawl every format after every tick; what is seen to appear and vanish must be the truth, exactly."""
    market = Market(seed=11, start=START + timedelta(hours=13), scale=0.2)  # afternoon in Europe: busy
    fm = market.freelance
    minutes = 100
    seen: dict[str, dict[str, Counter]] = {
        p: defaultdict(Counter) for p in ("freelancer", "peopleperhour", "upwork")
    }
    budget: dict[str, Counter] = defaultdict(Counter)
    with running(market) as base:
        prev_list, prev_users = freelancer_all(base)
        prev_fl = {p["id"]: p for p in prev_list}
        # Every job already listed, on every feed page: a closure near the top lets an older job slide onto
        # the first page, and that is not a posting.
        prev_up, prev_pph = set(), set()
        for k in range(100):
            page = [i.findtext("guid") for i in rss_items(base, f"ab/feed/jobs/rss?paging={k * 100};100")]
            page += [i.findtext("guid") for i in rss_items(base, f"rss/jobs?page={k + 1}")]
            if not page:
                break
            prev_up |= set(page)
            prev_pph |= set(page)
        prev_open = {p: {x.id: x for x in fm.open_projects(p)} for p in ("peopleperhour", "upwork")}
        for _ in range(minutes):
            _, headers, _ = request(f"{base}_sim/advance?minutes=1", "POST")
            hour = parsedate_to_datetime(headers["Date"]).strftime("%Y-%m-%dT%H:00:00Z")
            now = parsedate_to_datetime(headers["Date"]).timestamp()
            # Freelancer: the API shows everything
            cur, users = freelancer_all(base, users_first_page_only=True)
            cur = {p["id"]: p for p in cur}
            prev_users |= users
            for pid, p in cur.items():
                if pid not in prev_fl:
                    country = users[str(p["owner_id"])]["location"]["country"]["code"].upper()
                    row = seen["freelancer"][hour]
                    row["posted"] += 1
                    row["posted:" + country] += 1
                    row["posted_cat:" + p["jobs"][0]["category"]["name"]] += 1
                    key = ("freelancer", hour, p["type"], p["currency"]["code"])
                    budget[str(key)] += Counter(n=1, lo=p["budget"]["minimum"], hi=p["budget"]["maximum"])
            for pid, p in prev_fl.items():
                if pid not in cur:
                    row = seen["freelancer"][hour]
                    row["closed"] += 1
                    row["expired" if now >= p["time_submitted"] + p["bidperiod"] * 86400 else "awarded"] += 1
                    row[
                        "closed:" + prev_users[str(p["owner_id"])]["location"]["country"]["code"].upper()
                    ] += 1
                    row["closed_cat:" + p["jobs"][0]["category"]["name"]] += 1
            prev_fl = cur
            # Upwork and PeoplePerHour: postings from the feeds (newest first; a tick posts far fewer jobs
            # than a page holds)
            for item in rss_items(base, "ab/feed/jobs/rss?paging=0;100"):
                if item.findtext("guid") not in prev_up:
                    prev_up.add(item.findtext("guid"))
                    f = upwork_fields(item)
                    row = seen["upwork"][hour]
                    row["posted"] += 1
                    row["posted:" + f["country"]] += 1
                    row["posted_cat:" + f["category"]] += 1
                    if f["budget"]:
                        key = ("upwork", hour, f["budget"][0], "USD")
                        budget[str(key)] += Counter(n=1, lo=f["budget"][1], hi=f["budget"][2])
                    else:
                        row["no_budget"] += 1
            for item in rss_items(base, "rss/jobs"):
                if item.findtext("guid") not in prev_pph:
                    prev_pph.add(item.findtext("guid"))
                    f = pph_fields(item)
                    row = seen["peopleperhour"][hour]
                    row["posted"] += 1
                    row["posted:" + f["country"]] += 1
                    row["posted_cat:" + f["category"]] += 1
                    ptype, cur_code, amount = f["budget"]
                    key = ("peopleperhour", hour, ptype, cur_code)
                    budget[str(key)] += Counter(n=1, lo=amount, hi=amount)
            # closures of the feed platforms: the feeds show only the newest jobs, so the open set is read
            # from the market, and each closure is checked on the PeoplePerHour job page
            for platform in ("peopleperhour", "upwork"):
                now_open = {x.id: x for x in fm.open_projects(platform)}
                for pid, p in prev_open[platform].items():
                    if pid not in now_open:
                        row = seen[platform][hour]
                        row["closed"] += 1
                        row["awarded" if p.awarded else "expired"] += 1
                        row["closed:" + (fm.employer(p).country or "unknown")] += 1
                        row["closed_cat:" + p.category] += 1
                        if platform == "peopleperhour":
                            page = read_page(base.rstrip("/") + pph_path(p))
                            assert page.text["job-status"].strip() == "Status: Closed"
                prev_open[platform] = now_open
        truth = get_json(f"{base}_sim/truth/freelance")
        one = get_json(
            f"{base}_sim/truth/freelance?platform=upwork&from=2026-09-01T14:00:00Z&to=2026-09-01T15:00:00Z"
        )
        assert request(f"{base}_sim/truth/freelance?platform=fiverr")[0] == 400

    assert [h["hour"] for h in one["hours"]] == ["2026-09-01T14:00:00Z"] and one["platform"] == "upwork"
    totals = Counter()
    for platform, hours in truth["platforms"].items():
        assert [h["hour"] for h in hours] == ["2026-09-01T13:00:00Z", "2026-09-01T14:00:00Z"]
        for h in hours:
            row = seen[platform][h["hour"]]
            assert h["projects_posted"] == row["posted"], (platform, h["hour"])
            assert h["projects_closed"] == row["closed"] == h["projects_awarded"] + h["projects_expired"]
            assert (h["projects_awarded"], h["projects_expired"]) == (row["awarded"], row["expired"])
            for field, prefix in (
                ("posted_by_employer_country", "posted:"),
                ("closed_by_employer_country", "closed:"),
                ("posted_by_category", "posted_cat:"),
                ("closed_by_category", "closed_cat:"),
            ):
                inferred = {k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)}
                assert h[field] == inferred, (platform, h["hour"], field)
            assert h["posted_without_budget"] == row["no_budget"]
            for ptype, by_currency in h["budget_posted"].items():
                for code, b in by_currency.items():
                    got = budget.pop(str((platform, h["hour"], ptype, code)))
                    assert (b["projects"], b["minimum_sum"], b["maximum_sum"]) == (
                        got["n"],
                        f"{got['lo']}.00",
                        f"{got['hi']}.00",
                    ), (platform, h["hour"], ptype, code)
            totals[platform + ":posted"] += h["projects_posted"]
            totals[platform + ":closed"] += h["projects_closed"]
            totals["awarded"] += h["projects_awarded"]
            totals["expired"] += h["projects_expired"]
    assert not budget  # every budget seen is in the truth
    # the scenario exercised every kind of event on every platform
    assert all(
        totals[f"{p}:{e}"] > 0
        for p in ("freelancer", "peopleperhour", "upwork")
        for e in ("posted", "closed")
    ), totals
    assert totals["awarded"] > 0 and totals["expired"] > 0, totals


# ---------------------------------------------------------------------------------------------- faults
def test_faults_on_the_freelance_formats_and_layout_change():
    market = Market(seed=6, start=START, scale=0.2)
    with running(market) as base:
        fl = f"{base}{API}?limit=20&{DETAILS}"
        up = f"{base}ab/feed/jobs/rss?paging=0;20"
        pph = f"{base}rss/jobs"
        page_link = rss_items(base, "rss/jobs")[0].findtext("link")
        state = get_json(f"{base}_sim/state/freelance")
        clean = {u: request(u)[2] for u in (fl, up, pph, page_link)}
        mturk = f"{base}?format=json&page_size=5"

        def faults(body: dict) -> None:
            status, _, raw = request(f"{base}_sim/faults", "POST", body)
            assert status == 200, raw

        faults({"status_500_every": 2})
        results = [request(u) for u in (fl, up, pph, page_link)]
        assert [r[0] for r in results] == [200, 500, 200, 500]
        for _status, headers, raw in results[1::2]:
            assert headers["Content-Type"].startswith("text/plain") and "Retry-After" not in headers
            assert raw == b"Internal Server Error\n"

        faults({"status_429_every": 1, "retry_after": 9})
        for u in (fl, up, pph, page_link):
            status, headers, _ = request(u)
            assert status == 429 and headers["Retry-After"] == "9"

        faults({"malformed_html_every": 1})
        for u in (up, pph):
            with pytest.raises(ET.ParseError):
                ET.fromstring(request(u)[2])
        broken = request(page_link)[2].decode()
        assert "</html>" not in broken and "</h1>" not in broken and len(broken) < len(clean[page_link])
        assert request(fl)[2] == clean[fl]  # JSON is not markup: untouched

        faults({"truncate_every": 1})
        status, headers, raw = request(up)
        assert status == 200 and int(headers["Content-Length"]) == len(raw) == len(clean[up]) // 2

        faults({"slow_ms": 250})
        t0 = time.perf_counter()
        assert request(pph)[0] == 200
        assert time.perf_counter() - t0 >= 0.25

        faults({"layout_change": True})
        results = json.loads(request(mturk)[2])["results"]
        assert results and all("reward" in r and "hits_available" in r for r in results)
        assert not any("monetary_reward" in r or "assignable_hits_count" in r for r in results)
        projects = json.loads(request(fl)[2])["result"]["projects"]
        assert projects and not any("budget" in p for p in projects)
        for u in (up,):
            text = request(u)[2].decode()
            assert "<b>Budget</b>" not in text and "<b>Hourly Range</b>" not in text and "<item>" in text
        assert "Budget:" not in request(pph)[2].decode()
        assert "budget-amount" not in request(page_link)[2].decode()

        faults({"robots_disallow": "/api/"})
        assert (
            request(f"{base}robots.txt")[2].decode() == "User-agent: *\nDisallow: /_sim/\nDisallow: /taskboard/_truth\nDisallow: /api/\n"
        )
        for bad in ({"layout_change": 1}, {"malformed_html_every": -1}, {"malformed_html_every": "2"}):
            assert request(f"{base}_sim/faults", "POST", bad)[0] == 400, bad
        faults({})
        assert {u: request(u)[2] for u in clean} == clean
        assert get_json(f"{base}_sim/state/freelance") == state


def test_date_header_is_the_simulated_clock_on_every_format():
    market = Market(seed=1, start=START, scale=0.2)
    with running(market) as base:
        advance(base, 17)
        link = rss_items(base, "rss/jobs")[0].findtext("link")
        for url in (
            f"{base}{API}",
            f"{base}ab/feed/jobs/rss",
            f"{base}rss/jobs",
            link,
            f"{base}_sim/truth/freelance",
            f"{base}_sim/state/freelance",
        ):
            _, headers, _ = request(url)
            assert parsedate_to_datetime(headers["Date"]) == START + timedelta(minutes=17), url
