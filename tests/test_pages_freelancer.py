"""Tests of the Freelancer.com page objects and spider paging on a real API response.

Fixtures (../shared/fixtures/freelancer, see its README for attribution): ``projects_active_2021-09-20.json``
(dream-well/freelancer-autobid-nextjs, reassembled into the API's shape, employers pseudonymised),
``budgets_2018.json`` and ``categories_2018.json`` (freelancer/freelancer-sdk-android test resources).
The expectations below were read off the fixture by hand.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from scrapy.http import Request, TextResponse

from crawlers.base import Quarantined
from crawlers.pages.freelancer import (
    DEFAULT_SMALLEST_TIERS,
    BudgetTier,
    PageFormatError,
    budget_tiers,
    microwork_like,
    parse_projects_active,
)
from observatory.contract import validate
from tests.conftest import FIXTURES

API = "https://www.freelancer.com/api/projects/0.1/projects/active/?limit=10&offset=0"
OBSERVED = datetime(2021, 9, 20, 9, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    path = FIXTURES / "freelancer" / name
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return path.read_bytes()


# id, seo_url, type, min, max, currency, first category, employer country, owner id, time_submitted
PROJECTS = [
    (31556945, "magento/Magento-Infinite-Scroll-Category-pages", "fixed_project", "250", "750", "USD",
     "Websites, IT & Software", "ZA", 1411374, 1632127688),
    (31555987, "javascript/Dynamic-Game-Development", "fixed_project", "37500", "75000", "INR",
     "Websites, IT & Software", "IN", 57986495, 1632127637),
    (31556928, "php/customize-laraclassified-script", "fixed_project", "30", "250", "USD",
     "Websites, IT & Software", "US", 283215, 1632127598),
    (31556917, "html/employee-login-signup", "fixed_project", "12500", "37500", "INR",
     "Websites, IT & Software", "IN", 58050019, 1632127534),
    (31556918, "php/Radio-Meteor-Detection", "hourly", "10", "15", "GBP",
     "Websites, IT & Software", "GB", 45554877, 1632127450),
    (31556903, "python/looking-for-python-expert-fix-31556903", "fixed_project", "30", "250", "USD",
     "Websites, IT & Software", "PT", 6329897, 1632127304),
    (31556868, "python/python-django-backend-apis-work", "hourly", "2", "8", "USD",
     "Websites, IT & Software", "PK", 1717888, 1632127021),
    (31556849, "angular-js/NET-Angular-Developer-31556849", "fixed_project", "75000", "150000", "INR",
     "Websites, IT & Software", "IN", 58049827, 1632126865),
    (31556826, "web-scraping/Looking-for-web-scraping-developers", "hourly", "400", "750", "INR",
     "Websites, IT & Software", "IN", 50008922, 1632126644),
    (31556824, "javascript/Advance-Spoof-Webgl-Canvas-Puppeteer-31556824", "fixed_project", "250", "750",
     "USD", "Websites, IT & Software", "VN", 32878154, 1632126586),
]


def test_all_projects_field_by_field() -> None:
    body = fixture("projects_active_2021-09-20.json")
    raw = json.loads(body)["result"]
    page = parse_projects_active(body, API, OBSERVED)
    assert page.problems == [] and page.warnings == []
    assert page.total_results == 10 and page.page_number == 1
    assert [i["listing_id"] for i in page.items] == [str(p[0]) for p in PROJECTS]
    for item, expected, record in zip(page.items, PROJECTS, raw["projects"], strict=True):
        pid, seo, basis, low, high, cur, category, country, owner, submitted = expected
        assert item["source"] == "freelancer" and item["listing_id_derived"] is False
        assert item["url"] == f"https://www.freelancer.com/projects/{seo}"
        assert item["pay_basis"] == basis
        assert (item["reward_amount"], item["reward_amount_max"], item["reward_currency"]) == (low, high, cur)
        assert item["category"] == category
        assert item["employer_country"] == country
        assert item["requester_id"] == str(owner)
        assert item["requester_name"] == raw["users"][str(owner)]["username"]
        assert item["posted_at"] == datetime.fromtimestamp(submitted, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert item["title"] == " ".join(record["title"].split())  # whitespace collapsed
        assert item["description"] == " ".join(record["description"].split())
        assert item["observed_at"] == "2021-09-20T09:00:00Z"
        assert item["expires_at"] is None and item["slots_available"] is None and item["location"] is None
        assert item["worker_countries"] == [] and item["run_id"] is None
        assert validate(dict(item, run_id="r1", raw_ref="x")) == []
    assert page.items[0]["posted_at"] == "2021-09-20T08:48:08Z"


def test_url_origin_follows_the_page() -> None:
    page = parse_projects_active(fixture("projects_active_2021-09-20.json"),
                                 "http://127.0.0.1:8765/api/projects/0.1/projects/active/?limit=100&offset=200",
                                 OBSERVED)
    assert page.items[0]["url"] == "http://127.0.0.1:8765/projects/magento/Magento-Infinite-Scroll-Category-pages"
    assert page.page_number == 3


def test_budget_tiers_from_the_budgets_api() -> None:
    tiers = budget_tiers(fixture("budgets_2018.json"))
    assert tiers[("USD", "fixed")] == BudgetTier("Micro Project", Decimal(10), Decimal(30))
    assert tiers[("USD", "hourly")] == BudgetTier("Basic", Decimal(2), Decimal(8))
    assert tiers[("GBP", "fixed")] == BudgetTier("Micro Project", Decimal(20), Decimal(100))
    assert tiers[("INR", "hourly")] == BudgetTier("Basic", Decimal(100), Decimal(400))
    for key, tier in DEFAULT_SMALLEST_TIERS.items():  # the built-in default is what the API published
        assert tiers[key] == tier
    with pytest.raises(PageFormatError):
        budget_tiers(fixture("categories_2018.json"))


def test_microwork_flag() -> None:
    projects = {p["id"]: p for p in json.loads(fixture("projects_active_2021-09-20.json"))["result"]["projects"]}
    categories = json.loads(fixture("categories_2018.json"))["result"]["categories"]
    assert {"id": 4, "name": "Data Entry & Admin"} in categories
    tiers = budget_tiers(fixture("budgets_2018.json"))
    flagged = {pid for pid, p in projects.items() if microwork_like(p, tiers)[0]}
    assert flagged == {31556868, 31556826}
    assert "Data Entry & Admin" in microwork_like(projects[31556826])[1]   # a skill in category 4
    assert "Basic" in microwork_like(projects[31556868])[1]                # hourly USD 2-8
    # a USD 30-250 budget straddles the Micro tier's top: not inside it
    assert microwork_like(projects[31556928])[0] is False
    # without fresher tiers, non-USD budgets are judged by category only
    assert "no budget tier known" in microwork_like(projects[31556918])[1]


def test_bad_records_become_problems_not_crashes() -> None:
    doc = json.loads(fixture("projects_active_2021-09-20.json"))
    projects = doc["result"]["projects"]
    projects[0]["budget"] = {}
    projects[1]["type"] = "contest"
    projects[2]["currency"] = {"code": "$$$"}
    projects[3]["title"] = "\x00 \x07"
    projects[4]["id"] = "31556918; DROP TABLE listing"
    projects[5]["budget"] = {"minimum": 5, "maximum": 1}                  # reversed: max dropped, warned
    projects[6]["seo_url"] = "javascript:alert(1)"
    projects[7]["time_submitted"] = "not a time"
    projects[7].pop("submitdate")
    projects.append("not an object")
    page = parse_projects_active(json.dumps(doc), API, OBSERVED)
    reasons = [p["reason"] for p in page.problems]
    assert len(reasons) == 6
    assert reasons[0] == "no budget.minimum" and "contest" in reasons[1] and "currency" in reasons[2]
    assert "title" in reasons[3] and "positive integer" in reasons[4] and "not an object" in reasons[5]
    items = {i["listing_id"]: i for i in page.items}
    assert set(items) == {"31556903", "31556868", "31556849", "31556826", "31556824"}
    assert items["31556903"]["reward_amount"] == "5" and items["31556903"]["reward_amount_max"] is None
    assert items["31556868"]["url"] == "https://www.freelancer.com/projects/javascript%3Aalert%281%29"
    assert items["31556849"]["posted_at"] is None
    fields = {(w["listing_id"], w["field"]) for w in page.warnings}
    assert {("31556903", "reward_amount_max"), ("31556849", "posted_at")} <= fields
    for item in page.items:
        assert validate(dict(item, run_id="r1", raw_ref="x")) == []


def test_local_project_location() -> None:
    doc = json.loads(fixture("projects_active_2021-09-20.json"))
    project = doc["result"]["projects"][0]
    project["local"] = True
    project["location"] = {"country": {"name": "Australia", "code": "au"}, "city": "Perth",
                           "latitude": -31.95, "longitude": 115.86}
    page = parse_projects_active(json.dumps(doc), API, OBSERVED)
    assert page.items[0]["location"] == {"lat": -31.95, "lon": 115.86, "locality": "Perth",
                                         "region_code": None, "country": "AU"}
    assert validate(dict(page.items[0], run_id="r1", raw_ref="x")) == []


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"status": "error", "message": "rate limited"}',
                                  b'{"status": "success", "result": {}}'])
def test_not_a_projects_page(body: bytes) -> None:
    with pytest.raises(PageFormatError):
        parse_projects_active(body, API, OBSERVED)


# --------------------------------------------------------------------------------------------------------
# the spider's paging, on responses built in memory (no network)


def _response(url: str, body: bytes) -> TextResponse:
    return TextResponse(url=url, body=body, encoding="utf-8", request=Request(url))


def _page_body(n: int, total: int, start_id: int) -> bytes:
    doc = json.loads(fixture("projects_active_2021-09-20.json"))
    template = doc["result"]["projects"][0]
    doc["result"]["projects"] = [dict(template, id=start_id + i) for i in range(n)]
    doc["result"]["total_count"] = total
    return json.dumps(doc).encode()


def _run(spider: Any, offset: int, page_number: int, body: bytes) -> tuple[list, list, list]:
    out = list(spider.parse_page(_response(spider.page_url(offset), body), offset, page_number))
    items = [o for o in out if isinstance(o, dict)]
    quarantined = [o for o in out if isinstance(o, Quarantined)]
    requests = [o for o in out if isinstance(o, Request)]
    return items, quarantined, requests


def test_spider_pages_until_total(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawlers.spiders.freelancer import FreelancerSpider

    monkeypatch.setenv("OBSERVATORY_FREELANCER_BASE_URL", "http://127.0.0.1:9")
    spider = FreelancerSpider(limit=3, run_id="run-1")
    url = spider.page_url(0)
    assert url.startswith("http://127.0.0.1:9/api/projects/0.1/projects/active/?limit=3&offset=0")
    for flag in ("job_details=true", "user_details=true", "user_location_details=true"):
        assert flag in url
    items, quarantined, requests = _run(spider, 0, 1, _page_body(3, 7, 1))
    assert len(items) == 3 and quarantined == [] and all(i["run_id"] == "run-1" for i in items)
    assert [r.cb_kwargs for r in requests] == [{"offset": 3, "page_number": 2}]
    assert spider.figures.results_reported == 7 and spider.figures.pages == 1
    _, _, requests = _run(spider, 3, 2, _page_body(3, 7, 4))
    assert [r.cb_kwargs["offset"] for r in requests] == [6]
    _, _, requests = _run(spider, 6, 3, _page_body(1, 7, 7))   # short page: the end
    assert requests == []
    _, _, requests = _run(spider, 3, 2, _page_body(3, 6, 4))   # offset reaches total_count
    assert requests == []
    spider.max_pages = 2
    _, _, requests = _run(spider, 3, 2, _page_body(3, 100, 4))  # max_pages
    assert requests == []


def test_spider_quarantines_problems_and_broken_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawlers.spiders.freelancer import FreelancerSpider

    spider = FreelancerSpider(limit=3, run_id="run-1")
    spider.page_retry_times = 0
    doc = json.loads(_page_body(3, 3, 1))
    doc["result"]["projects"][1]["budget"] = None
    items, quarantined, _ = _run(spider, 0, 1, json.dumps(doc).encode())
    assert len(items) == 2 and [q.reason for q in quarantined] == ["no budget.minimum"]
    items, quarantined, requests = _run(spider, 0, 1, b'{"status": "success"')
    assert items == [] and requests == [] and len(quarantined) == 1
    assert quarantined[0].reason.startswith("page format:") and spider.figures.page_errors == 1
