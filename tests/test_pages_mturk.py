"""Tests of the MTurk page objects against real saved pages (../shared/fixtures/mturk, never copied here).

Fixtures (see shared/fixtures/README.md for attribution): the findhits and welcome pages come from
ipeirotis/Mturk-Tracker (commit 13398b27), the tracker API dump from crowdresearch/daemo (commit 0e3dd3de).

The findhits pages carry their own capture time in the session ``state`` token
("...=201011120312User.turkSecure..." -> 2010-11-12 03:12); the tests take that as observed_at, in UTC,
so the expected expiry timestamps below are that time plus the page's "time left".
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from crawlers.pages.mturk import (
    LOCALE_QUALIFICATION_ID,
    ListingPage,
    PageFormatError,
    parse_findhits_html,
    parse_hits_available_banner,
    parse_listing_json,
    parse_tracker_api,
)
from observatory.contract import derived_listing_id, validate


def fixtures_dir() -> Path:
    """``$OBSERVATORY_FIXTURES`` or ``<checkout>/../shared/fixtures`` (the repo is checked out as
    ``<x>/main`` with ``shared/`` beside it)."""
    override = os.environ.get("OBSERVATORY_FIXTURES")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def fixture_bytes(name: str) -> bytes:
    path = fixtures_dir() / "mturk" / name
    if not path.exists():
        pytest.skip(f"fixture {path} not found (set OBSERVATORY_FIXTURES)")
    return path.read_bytes()


FINDHITS_URL = "https://www.mturk.com/mturk/findhits?match=false"
TRACKER_URL = "https://mturk-tracker.appspot.com/_ah/api/mturk/v1/hitgroup/search"
OBSERVED_2010 = datetime(2010, 11, 12, 3, 12, tzinfo=UTC)
OBSERVED_2011 = datetime(2011, 6, 24, 3, 41, tzinfo=UTC)
OBSERVED_2015 = datetime(2015, 5, 28, tzinfo=UTC)


def assert_contract_valid(page: ListingPage) -> None:
    for item in page.items:
        assert item["run_id"] is None and item["raw_ref"] is None  # the spider fills these
        filled = dict(item, run_id="r1", raw_ref="x")
        assert validate(filled) == [], (item["listing_id"], validate(filled))


# --------------------------------------------------------------------------------------------------------
# findhits HTML, 2010 layout

# (group id or None when the page hides it, title, requester id, requester name, reward, HITs available,
#  time allotted s, expires_at, worker_countries, worker_countries_excluded), as shown on the page.
FINDHITS_2010 = [
    ("1HGJYY1GNL0AO2FW8D5C1A6146R87X", "Find the email address for the company and website",
     "A3AFJ33Q00UN6W", "Sam GONZALES", "0.01", 27894, 1800,
     # "Nov 22, 2010 (1 week 2 days)": +9 days is Nov 21 03:12, before the shown date -> the date
     "2010-11-22T00:00:00Z", [], []),
    (None, "Tag One Photo", "A1Q45SAOJDSUMG", "Roger Gutman", "0.01", 6166, 600,
     "2010-11-18T10:12:00Z", ["US"], []),  # Nov 18, 2010 (6 days 7 hours)
    ("1S2VCFXY6ZTQO557BKWT4MND24J593", "Questions on Fishing Reels", "A2SBG16L92F7S4",
     "Amazon Requester Inc.", "0.03", 4584, 4 * 3600, "2010-11-14T14:12:00Z", [], []),  # 2 days 11 hours
    ("1HGW0JKGG8O4QSH6PFWXL0JQWUM71X", "上場企業の採用情報ページの確認", "A13R4S52DQGIMJ", "GoodJob",
     "0.05", 3650, 1800, "2010-11-18T08:12:00Z", ["JP", "US"], []),  # "Location is JP" and "Location is US"
    ("1KLXYMNLMXYWMPKZNT6YUS1DY2P69Y", "Correct Business Names", "A2IR7ETVOIULZU", "Dolores Labs",
     "0.04", 3640, 3600, "2010-11-19T02:12:00Z", [], []),  # 6 days 23 hours; "Qualifications: None"
    ("10NEXJ4MO9D77IVMJWY4N79LVYB426", "Rate Images for Quality and Relevance (may contain mature content)",
     "A2IR7ETVOIULZU", "Dolores Labs", "0.1", 2954, 3600, "2010-11-18T16:12:00Z", [], ["IN"]),
    (None, "Web Search Quality (rtgg22). (WARNING: This HIT may contain adult or offensive content. "
     "Worker discretion is advised.)", "A8RMEN71ICE57", "RelevanceQuest", "0.02", 2580, 300,
     "2010-11-16T20:12:00Z", ["US"], []),
    (None, "Rewrite, and answer a cooking related question", "AVTCBILNVTV8H", "Mturk Foodista", "0.05",
     2328, 3660, "2010-11-24T03:12:00Z", [], []),  # "1 hour 1 minute"; "Nov 24, 2010 (1 week 5 days)"
    ("1WSQRQDI8IBS86W68W8EGWA744Z766", "Rate Images for Quality and Relevance", "A2IR7ETVOIULZU",
     "Dolores Labs", "0.11", 1993, 3600, "2010-11-19T02:12:00Z", [], ["IN"]),
    (None, "Consumption and Personality Survey", "A3AFD0B1CJ7YFS", "Researchers", "0.5", 1993, 3000,
     "2010-11-12T09:02:00Z", ["US"], []),  # "Nov 12, 2010 (5 hours 50 minutes)"
]

FINDHITS_2011 = [
    (None, "Compare Product Listings (Premium). (14 Questions)", "AKXKJVRBZBQ0V", "Product Listings",
     "0.15", 439, 1800, "2011-07-24T03:41:00Z", [], []),  # Jul 24, 2011 (4 weeks 2 days)
    ("2QPDNVP3TVOKQ2B21UP7WEO0L4X30N", "Flag offensive content images (WARNING: This HIT may contain "
     "offensive content. Worker discretion is advised.)", "A2P2MT8IK72CVZ", "ProBoards, Inc.", "0.01", 4,
     420, "2011-07-08T00:00:00Z", [], []),  # Jul 8, 2011 (1 week 6 days): +13 days is Jul 7 -> the date
    ("3W6ZS4WMTA7GNNYEZZ6Z", "Image Filtering for Nightlife Social Networking site (Warning: may contain "
     "adult content)", "A56DWCEH28UX7", "Shana Darling", "0.02", 1, 3600, "2011-06-26T14:41:00Z", [], []),
    ("2IUC1QP6AUC2N8RG50SX9V0GK0F07W", "Copy Text from Business Card", "A2V6GCHMZ3W89V", "Oscar Smith",
     "0.02", 1, 600, "2011-06-24T05:40:00Z", [], []),  # Jun 24, 2011 (1 hour 59 minutes)
    (None, "Find email address and phone number from website", "A29POUYWV324R4", "Delify", "0.03", 40,
     2400, "2011-06-28T06:41:00Z", [], []),
    (None, "Tell me what foods are in this picture - (WARNING: This HIT may contain offensive content. "
     "Worker discretion is advised.)", "A24Z2YNEXGN5BM", "DailyBurn", "0.06", 1, 300,
     "2011-06-24T04:09:10Z", [], []),  # (28 minutes 10 seconds)
    ("2YEAJIA0RYNJ9RWDJCR5GMJUYQ6167", "WHERE ARE YOU? A 5-second HIT from techlist. Instant automatic "
     "approval.", "A2A5SB7NENZHLK", "techlist", "0.01", 171, 300, "2011-06-24T06:25:00Z", ["US"], []),
    ("2YEAJIA0RYNJKA6PD4R5HMJVWK616L", "Draw bounding boxes around objects in images (large scale)",
     "ADLB46N5J8NCP", "ImageNet AMT", "0.05", 3, 3600, "2011-10-02T00:00:00Z", [], []),  # (14 weeks 1 day)
    (None, "Tell me what foods are in this picture - (WARNING: This HIT may contain offensive content. "
     "Worker discretion is advised.)", "A24Z2YNEXGN5BM", "DailyBurn", "0.03", 1, 300,
     "2011-06-24T04:08:46Z", [], []),  # same requester and title as above, another reward
    ("2ZSQUQIHPCGJUBBG7EN52H0LSRW06S", "Just Click a Button (Instant Qualification)", "AUMIA1Z3E2AKY",
     "Paul H", "0.01", 1, 120, "2011-06-24T03:53:34Z", [], []),
]

FINDHITS_CASES = [
    ("findhits_2010-11-12.html", OBSERVED_2010, FINDHITS_2010, 2076, 99367),
    ("findhits_2011-06-24.html", OBSERVED_2011, FINDHITS_2011, 13889, 180436),
]


@pytest.fixture(scope="module", params=FINDHITS_CASES, ids=lambda case: case[0])
def findhits_case(request):
    name, observed, expected, total, banner = request.param
    page = parse_findhits_html(fixture_bytes(name), FINDHITS_URL, observed)
    return page, expected, total, banner


def test_findhits_page_level(findhits_case):
    page, expected, total, banner = findhits_case
    assert page.total_results == total
    assert page.hits_available == banner
    assert page.page_number == 1
    assert page.problems == [] and page.warnings == []
    assert len(page.items) == len(expected) == 10


@pytest.mark.parametrize("index", range(10))
def test_findhits_group_fields(findhits_case, index):
    page, expected, _, _ = findhits_case
    item = page.items[index]
    (group_id, title, requester_id, requester_name, reward, slots, allotted, expires,
     countries, excluded) = expected[index]
    assert item["source"] == "mturk"
    assert item["title"] == title
    assert item["requester_id"] == requester_id
    assert item["requester_name"] == requester_name
    assert item["reward_amount"] == reward
    assert item["reward_currency"] == "USD"
    assert item["pay_basis"] == "per_task"
    assert item["slots_available"] == slots
    assert item["time_allotted_s"] == allotted
    assert item["expires_at"] == expires
    assert item["worker_countries"] == countries
    assert item["worker_countries_excluded"] == excluded
    for unknown in ("slots_total", "time_estimate_s", "category", "employer_country", "location",
                    "posted_at", "reward_amount_max"):
        assert item[unknown] is None
    if group_id is not None:
        assert item["listing_id"] == group_id and item["listing_id_derived"] is False
        assert item["url"] == f"https://www.mturk.com/mturk/preview?groupId={group_id}"
    else:
        assert item["listing_id_derived"] is True
        assert item["listing_id"] == derived_listing_id("mturk", requester_id, title, reward, str(allotted))
        assert item["url"] == FINDHITS_URL


def test_findhits_items_pass_the_contract(findhits_case):
    assert_contract_valid(findhits_case[0])


def test_findhits_hidden_groups_and_derived_ids(findhits_case):
    page = findhits_case[0]
    derived = [item["listing_id"] for item in page.items if item["listing_id_derived"]]
    assert len(derived) == 4  # both pages hide the id of 4 of their 10 groups
    assert all(d.startswith("h:") for d in derived)
    assert len({item["listing_id"] for item in page.items}) == 10  # the two DailyBurn groups stay apart


def test_findhits_derived_ids_are_stable_across_crawls():
    body = fixture_bytes("findhits_2011-06-24.html")
    first = parse_findhits_html(body, FINDHITS_URL, OBSERVED_2011)
    later = parse_findhits_html(body, FINDHITS_URL + "&pageNumber=1", datetime(2011, 6, 25, tzinfo=UTC))
    assert [i["listing_id"] for i in first.items] == [i["listing_id"] for i in later.items]


def test_findhits_descriptions_and_text():
    page = parse_findhits_html(fixture_bytes("findhits_2010-11-12.html"), FINDHITS_URL, OBSERVED_2010)
    assert page.items[0]["description"] == (
        "Given a company name and postal adress try to find an email adress for the company and company website")
    assert page.items[3]["description"].startswith("スプレッドシートに上場企業の会社名")
    assert page.items[9]["description"].startswith("The survey takes most workers 10 - 20 minutes to complete.")
    for item in page.items:
        for key in ("title", "description", "requester_name"):
            assert item[key] == " ".join(item[key].split())


def test_findhits_str_and_bytes_agree():
    body = fixture_bytes("findhits_2010-11-12.html")
    as_bytes = parse_findhits_html(body, FINDHITS_URL, OBSERVED_2010)
    as_str = parse_findhits_html(body.decode("utf-8"), FINDHITS_URL, OBSERVED_2010)
    assert as_bytes == as_str


def test_findhits_page_number_from_url():
    page = parse_findhits_html(fixture_bytes("findhits_2010-11-12.html"),
                               "https://www.mturk.com/mturk/viewhits?pageNumber=7", OBSERVED_2010)
    assert page.page_number == 7


def test_findhits_bad_group_does_not_stop_the_others():
    html = fixture_bytes("findhits_2010-11-12.html").decode("utf-8")
    broken = html.replace('capsule_field_text">$0.04</td>', 'capsule_field_text">free!</td>', 1)
    assert broken != html
    page = parse_findhits_html(broken, FINDHITS_URL, OBSERVED_2010)
    assert len(page.items) == 9
    assert [p["reason"] for p in page.problems] == ["reward 'free!' is not a dollar amount"]
    assert "Correct Business Names" in page.problems[0]["record"]
    assert len(page.problems[0]["record"]) <= 2000
    assert "Correct Business Names" not in [i["title"] for i in page.items]


def test_findhits_shifted_date_is_reported_not_fatal():
    # an observed_at a month off: the time left is kept, the disagreement with the date is a warning
    page = parse_findhits_html(fixture_bytes("findhits_2010-11-12.html"), FINDHITS_URL,
                               datetime(2010, 12, 12, 3, 12, tzinfo=UTC))
    assert len(page.items) == 10
    assert {w["field"] for w in page.warnings} == {"expires_at"}
    assert page.items[1]["expires_at"] == "2010-12-18T10:12:00Z"


def test_findhits_banner_only_page_is_empty_not_an_error():
    page = parse_findhits_html("<html><body><b>12 HITs</b> available now</body></html>", FINDHITS_URL,
                               OBSERVED_2010)
    assert page.items == [] and page.hits_available == 12 and page.total_results is None


@pytest.mark.parametrize("body", [
    b"", b"<html><body><h1>Service Unavailable</h1></body></html>", b'{"results": []}',
    "just some text, no HTML at all",
])
def test_findhits_not_a_listing_page(body):
    with pytest.raises(PageFormatError):
        parse_findhits_html(body, FINDHITS_URL, OBSERVED_2010)


def test_findhits_qualification_variants():
    group = """
    <table><tr><td>
      <table><tr><td><a class="capsulelink" href="#" id="capsule0-0">  Label   <b>these</b>
        images </a></td></tr></table>
      <table><tr><td class="capsule_field_title">Requester:</td>
        <td class="capsule_field_text"><a href="/mturk/searchbar?requesterId=AAA">Lab &amp; Co</a></td></tr>
      <tr><td class="capsule_field_title">Reward:</td><td class="capsule_field_text">$1,000.50</td></tr>
      <tr><td class="capsule_field_title">Time Allotted:</td><td class="capsule_field_text">2 days 3 hours</td></tr>
      <tr><td class="capsule_field_title">HITs Available:</td><td class="capsule_field_text">1,234</td></tr>
      <tr><td class="capsule_field_title">HIT Expiration Date:</td><td class="capsule_field_text">Nov 20, 2010</td></tr>
      </table>
      <div class="capsuletarget"><table>
        <tr><td class="capsule_field_title"><a id="qualificationsRequired.tooltip--0">Qualifications Required:</a></td></tr>
        <tr><td>Location is one of: US, CA, GB</td></tr>
        <tr><td>Location is not one of: IN, PK</td></tr>
        <tr><td>Location is US-NY</td></tr>
        <tr><td>Location is not US-CA</td></tr>
        <tr><td>Location is Mars</td></tr>
      </table></div>
    </td></tr></table>
    """
    page = parse_findhits_html(group, FINDHITS_URL, OBSERVED_2010)
    (item,) = page.items
    assert item["title"] == "Label these images"
    assert item["requester_name"] == "Lab & Co" and item["requester_id"] == "AAA"
    assert item["reward_amount"] == "1000.5"
    assert item["time_allotted_s"] == 2 * 86400 + 3 * 3600
    assert item["slots_available"] == 1234
    assert item["expires_at"] == "2010-11-20T00:00:00Z"  # no time left shown: the date at 00:00 UTC
    assert item["worker_countries"] == ["US", "CA", "GB"]
    assert item["worker_countries_excluded"] == ["IN", "PK"]  # "not US-CA" does not shut out all the US
    assert_contract_valid(page)


# --------------------------------------------------------------------------------------------------------
# banners


@pytest.mark.parametrize(("name", "expected"), [
    ("findhits_2010-11-12.html", 99367),
    ("findhits_2011-06-24.html", 180436),
    ("welcome_2010-11-12.html", 94273),
])
def test_hits_available_banner(name, expected):
    body = fixture_bytes(name)
    assert parse_hits_available_banner(body) == expected
    assert parse_hits_available_banner(body.decode("utf-8")) == expected


@pytest.mark.parametrize("text", [
    "<html><body>No banner here. HITs Available: 27894</body></html>",
    "<p>$0.01 HITs Available: 3</p>",
    "<script>var s = '5 HITs available';</script>",
    "",
])
def test_hits_available_banner_absent(text):
    assert parse_hits_available_banner(text) is None


def test_welcome_page_is_not_a_findhits_listing_but_has_a_banner():
    page = parse_findhits_html(fixture_bytes("welcome_2010-11-12.html"), "https://www.mturk.com/mturk/welcome",
                               OBSERVED_2010)
    assert page.items == [] and page.hits_available == 94273


# --------------------------------------------------------------------------------------------------------
# mturk-tracker API dump


@pytest.fixture(scope="module")
def tracker():
    body = fixture_bytes("tracker_api_hitgroups_2015-05-28.json")
    return parse_tracker_api(body, TRACKER_URL, OBSERVED_2015), json.loads(body)["items"]


def test_tracker_counts(tracker):
    page, raw = tracker
    assert len(page.items) == 1000 and page.problems == [] and page.warnings == []
    assert len({i["requester_id"] for i in page.items}) == 103
    assert len({i["listing_id"] for i in page.items}) == 1000
    assert (page.total_results, page.hits_available, page.page_number) == (None, None, None)
    assert_contract_valid(page)


@pytest.mark.parametrize(("listing_id", "reward", "allotted"), [
    ("3M35MA94IX9CPBZG22FZB4H0U4XNO3", "0.25", 3600),   # first item, "25" cents
    ("3PN7FLVWM45QX1WVIPCVXJETXI1SY0", "0.16", 3600),
    ("3P6UG6V2572DJHQ6LM72I00GFJWN42", "0.19", 12600),
    ("3P7ZSNMXH0S7A492W7DYSHJCPM4OW8", "3.19", 19800),
    ("379R4POZ46QPWH68Y4QOOV2O9AXRXE", "0.1", 3600),     # "10" cents
    ("3HL3WX653BX4WTF8EEPC8N87P5EQP7", "1", 3600),       # "100" cents
    ("3KAXSJ4SD4S1ARDZODPB8W56RTPQ51", "50.15", 48120),
    ("3XK9KLIAO4CM9CME3NCJM2BGJABQC9", "72.4", 57900),
    ("36HGGQAXL6ZD47ZKRVJA686RH3BVBP", "0", 3600),       # a zero reward is a value, not a gap
    ("3V6FYJLHFQJCYO8617986AMXR8L50H", "20", 0),         # timeAllotted "0" in the dump, kept as is
])
def test_tracker_rewards_in_dollars(tracker, listing_id, reward, allotted):
    page, _ = tracker
    item = next(i for i in page.items if i["listing_id"] == listing_id)
    assert item["reward_amount"] == reward and item["reward_currency"] == "USD"
    assert item["time_allotted_s"] == allotted


def test_tracker_fields_match_the_dump(tracker):
    page, raw = tracker
    first = page.items[0]
    assert first["title"] == "Answer a 1-2 minute survey about your perception of a customer experience"
    assert first["requester_id"] == "A1UWGJFMSA75XB" and first["requester_name"] == "Dominique Braxton"
    assert first["description"] == "Please indicate your opinion of factors that influence a customer experience"
    assert first["url"] == TRACKER_URL and first["observed_at"] == "2015-05-28T00:00:00Z"
    for item, record in zip(page.items, raw, strict=True):
        assert item["listing_id"] == record["id"]
        assert Decimal(item["reward_amount"]) * 100 == Decimal(record["reward"])
        assert item["category"] is None and item["slots_available"] is None
        assert "keywords" not in item


def test_tracker_bad_items_are_problems():
    doc = {"items": [
        {"id": "G1", "title": "ok", "reward": "5", "requesterId": "R", "timeAllotted": "60"},
        {"id": "G2", "title": "  ", "reward": "5"},
        {"id": "G3", "title": "no reward"},
        {"id": "G4", "title": "bad reward", "reward": "-3"},
        {"title": "no id", "reward": "1"},
        "not an object",
        {"id": "G5", "title": "odd time", "reward": "1", "timeAllotted": "soon"},
    ]}
    page = parse_tracker_api(json.dumps(doc), TRACKER_URL, OBSERVED_2015)
    assert [i["listing_id"] for i in page.items] == ["G1", "G5"]
    assert page.items[0]["reward_amount"] == "0.05"
    assert page.items[1]["time_allotted_s"] is None
    assert [w["field"] for w in page.warnings] == ["time_allotted_s"]
    assert len(page.problems) == 5
    assert_contract_valid(page)


@pytest.mark.parametrize("body", ['{"items": [{"id": "G1"', '{"kind": "x"}', "[]", b"\xff\xfe\x00garbage"])
def test_tracker_not_a_dump(body):
    with pytest.raises(PageFormatError):
        parse_tracker_api(body, TRACKER_URL, OBSERVED_2015)


# --------------------------------------------------------------------------------------------------------
# the worker site's JSON listing

JSON_URL = "https://worker.mturk.com/?page_size=20&page_number=2&format=json"
OBSERVED_JSON = datetime(2020, 3, 1, 12, 0, tzinfo=UTC)
MASTERS_ID = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"


def result(hit_set_id: str, **overrides) -> dict:
    """One ``results[]`` record in the worker site's layout."""
    record = {
        "hit_set_id": hit_set_id,
        "requester_id": "A2XYZ0REQUESTER",
        "requester_name": "Some Lab",
        "title": "Transcribe a receipt",
        "description": "Type the items and totals of one shop receipt.",
        "assignment_duration_in_seconds": 1800,
        "creation_time": "2020-03-01T10:15:30.000Z",
        "assignable_hits_count": 120,
        "latest_expiration_time": "2020-03-08T10:15:30.000Z",
        "last_updated_time": "2020-03-01T11:00:00.000Z",
        "monetary_reward": {"currency_code": "USD", "amount_in_dollars": 0.5},
        "project_requirements": [],
        "project_tasks_url": f"/projects/{hit_set_id}/tasks",
        "requester_url": "/requesters/A2XYZ0REQUESTER/projects",
        "accept_project_task_url": f"/projects/{hit_set_id}/tasks/accept_random",
    }
    record.update(overrides)
    return record


def requirement(type_id: str, comparator: str, values: list) -> dict:
    return {"qualification_type_id": type_id, "comparator": comparator, "worker_action": "PreviewAndAccept",
            "qualification_values": values, "caller_meets_requirement": True,
            "qualification_type": {"qualification_type_id": type_id, "name": "x", "visibility": True}}


def listing(*results: dict, **top) -> str:
    doc = {"results": list(results), "page_number": 2, "num_results": len(results), "total_num_results": 2345}
    doc.update(top)
    return json.dumps(doc)


@pytest.fixture(scope="module")
def json_page() -> ListingPage:
    body = listing(
        result("3AAA", project_requirements=[
            requirement(LOCALE_QUALIFICATION_ID, "In", ["US", {"Country": "ca"}, {"country": "GB"}, "US"]),
            requirement(MASTERS_ID, "Exists", []),
            requirement("000000000000000000L0", "GreaterThanOrEqualTo", [95]),
        ]),
        result("3BBB", project_requirements=[
            requirement(LOCALE_QUALIFICATION_ID, "NotIn", ["IN", {"Country": "PK"}]),
        ], monetary_reward={"currency_code": "USD", "amount_in_dollars": 0.1}),
        result("3CCC", monetary_reward={"currency_code": "USD"}),  # reward missing -> problem
        result("3DDD", title="   "),  # empty title -> problem
        {"hit_set_id": None, "title": 5},  # garbage -> problem
        result("3EEE", project_requirements=[
            requirement(LOCALE_QUALIFICATION_ID, "EqualTo", [{"Country": "US", "Subdivision": "NY"}]),
            requirement(LOCALE_QUALIFICATION_ID, "NotEqualTo", [{"Country": "US", "Subdivision": "CA"}, "DE"]),
        ], monetary_reward={"currency_code": "USD", "amount_in_dollars": 12}, project_tasks_url=None),
        result("3FFF", monetary_reward={"amount_in_dollars": 0.25}),  # currency missing -> problem
    )
    return parse_listing_json(body, JSON_URL, OBSERVED_JSON)


def test_json_listing_page_level(json_page):
    assert [i["listing_id"] for i in json_page.items] == ["3AAA", "3BBB", "3EEE"]
    assert (json_page.total_results, json_page.page_number, json_page.hits_available) == (2345, 2, None)
    reasons = [p["reason"] for p in json_page.problems]
    assert reasons == ["missing monetary_reward.amount_in_dollars", "empty or missing title",
                       "missing listing id", "missing monetary_reward.currency_code"]
    assert '"hit_set_id": "3CCC"' in json_page.problems[0]["record"]
    assert_contract_valid(json_page)


def test_json_listing_fields(json_page):
    item = json_page.items[0]
    assert item == dict(item, source="mturk", listing_id_derived=False, observed_at="2020-03-01T12:00:00Z",
                        url="https://worker.mturk.com/projects/3AAA/tasks", title="Transcribe a receipt",
                        description="Type the items and totals of one shop receipt.",
                        requester_id="A2XYZ0REQUESTER", requester_name="Some Lab", pay_basis="per_task",
                        reward_amount="0.5", reward_currency="USD", time_allotted_s=1800,
                        slots_available=120, posted_at="2020-03-01T10:15:30Z",
                        expires_at="2020-03-08T10:15:30Z", category=None, slots_total=None,
                        time_estimate_s=None, employer_country=None, location=None, reward_amount_max=None)


def test_json_listing_countries(json_page):
    locale_in, locale_not_in, subdivisions = json_page.items
    assert locale_in["worker_countries"] == ["US", "CA", "GB"]  # Masters and approval rate ignored
    assert locale_in["worker_countries_excluded"] == []
    assert locale_not_in["worker_countries"] == []
    assert locale_not_in["worker_countries_excluded"] == ["IN", "PK"]
    # a required subdivision still requires its country; an excluded one does not exclude the country
    assert subdivisions["worker_countries"] == ["US"]
    assert subdivisions["worker_countries_excluded"] == ["DE"]


def test_json_listing_exact_money(json_page):
    assert json_page.items[1]["reward_amount"] == "0.1"  # the JSON float 0.1, exactly
    assert json_page.items[2]["reward_amount"] == "12"
    assert json_page.items[2]["url"] == "https://worker.mturk.com/projects/3EEE/tasks"  # built from the id


@pytest.mark.parametrize(("amount", "expected"), [
    ("0.1", "0.1"), ("0.10", "0.1"), ("1.005", "1.005"), ("0.07", "0.07"), ("3", "3"), ('"0.30"', "0.3"),
])
def test_json_listing_amounts_never_touch_float(amount, expected):
    body = listing(result("3X")).replace('"amount_in_dollars": 0.5', f'"amount_in_dollars": {amount}')
    page = parse_listing_json(body.encode(), JSON_URL, OBSERVED_JSON)
    assert page.items[0]["reward_amount"] == expected


@pytest.mark.parametrize("amount", ["1e20", "0.0000001", "-0.5", '"NaN"', '"free"', "true"])
def test_json_listing_amounts_the_contract_cannot_hold_are_problems(amount):
    body = listing(result("3X"), result("3Y")).replace('"amount_in_dollars": 0.5', f'"amount_in_dollars": {amount}', 1)
    page = parse_listing_json(body, JSON_URL, OBSERVED_JSON)
    assert [i["listing_id"] for i in page.items] == ["3Y"]
    assert len(page.problems) == 1 and "reward" in page.problems[0]["reason"]


def test_json_listing_untrusted_text_stays_text():
    title = "  <script>alert('x')</script>\n\t'; DROP TABLE listing; --\x00  "
    page = parse_listing_json(listing(result("3X", title=title, requester_name=" Bob\u00a0 Smith ",
                                             project_tasks_url="javascript:alert(1)")),
                              JSON_URL, OBSERVED_JSON)
    item = page.items[0]
    assert item["title"] == "<script>alert('x')</script> '; DROP TABLE listing; --"
    assert item["requester_name"] == "Bob Smith"
    assert item["url"] == "https://worker.mturk.com/projects/3X/tasks"
    assert [w["field"] for w in page.warnings] == ["url"]


def test_json_listing_unreadable_fields_are_null_with_warnings():
    page = parse_listing_json(listing(result("3X", assignable_hits_count=-1, creation_time="yesterday",
                                             assignment_duration_in_seconds="1 hour")),
                              JSON_URL, OBSERVED_JSON)
    item = page.items[0]
    assert (item["slots_available"], item["posted_at"], item["time_allotted_s"]) == (None, None, None)
    assert sorted(w["field"] for w in page.warnings) == ["creation_time", "slots_available", "time_allotted_s"]
    assert_contract_valid(page)


def test_json_listing_long_problem_record_is_cut():
    page = parse_listing_json(listing(result("3X", title="", description="d" * 5000)), JSON_URL, OBSERVED_JSON)
    assert page.items == [] and len(page.problems[0]["record"]) == 2000


@pytest.mark.parametrize("body", [
    listing(result("3AAA"))[:-40],  # truncated mid-record
    "",
    "<html>Service Unavailable</html>",
    '{"page_number": 1, "num_results": 0}',  # no results key
    '{"results": {"3AAA": {}}}',
    "[1, 2]",
])
def test_json_listing_not_a_listing(body):
    with pytest.raises(PageFormatError):
        parse_listing_json(body, JSON_URL, OBSERVED_JSON)


def test_page_format_error_is_a_value_error():
    assert issubclass(PageFormatError, ValueError)


# --------------------------------------------------------------------------------------------------------
# observed_at


@pytest.mark.parametrize("parse", [parse_listing_json, parse_findhits_html, parse_tracker_api])
def test_naive_observed_at_is_refused(parse):
    with pytest.raises(ValueError, match="naive"):
        parse(listing(), JSON_URL, datetime(2020, 3, 1, 12, 0))


def test_observed_at_is_converted_to_utc():
    from datetime import timedelta

    cet = timezone(timedelta(hours=1))
    page = parse_listing_json(listing(result("3X")), JSON_URL, datetime(2020, 3, 1, 13, 0, tzinfo=cet))
    assert page.items[0]["observed_at"] == "2020-03-01T12:00:00Z"
