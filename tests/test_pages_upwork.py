"""Tests of the Upwork page objects.

``../shared/fixtures/upwork/rss_jobs_parsed_2022-06.json`` holds 75 jobs of 2022-06-17 as parsed from
Upwork's (discontinued) job RSS by ekkyarmandi/advance-upwork-rss-feed (data/jobs.db, commit 6385abee);
see the fixtures README. No raw feed is among the fixtures, so the raw-feed tests compose documents in the
item layout of real captured feeds (2021-2023) published in public repositories.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from crawlers.pages.common import RecordError
from crawlers.pages.upwork import (
    NO_BUDGET,
    PageFormatError,
    listing_id_from_link,
    parse_job_fields,
    parse_record,
    parse_records,
    parse_rss,
)
from observatory.contract import derived_listing_id, validate
from tests.conftest import FIXTURES

OBSERVED = datetime(2022, 6, 17, 18, 0, tzinfo=UTC)
ARCHIVE = "file:///archive/upwork/rss_jobs_parsed_2022-06.json"

# Every client country name in the fixture, with its ISO code (read by hand).
COUNTRIES = {
    "United States": "US", "United Kingdom": "GB", "India": "IN", "Germany": "DE", "United Arab Emirates": "AE",
    "Ukraine": "UA", "Netherlands": "NL", "Canada": "CA", "Norway": "NO", "Nigeria": "NG", "Thailand": "TH",
    "South Korea": "KR", "Japan": "JP", "Australia": "AU", "Poland": "PL", "Estonia": "EE", "Georgia": "GE",
    "France": "FR", "Pakistan": "PK", "Lithuania": "LT", "Finland": "FI", "Switzerland": "CH",
    "Belgium": "BE", "Kazakhstan": "KZ", "Egypt": "EG", "": None,
}


def records() -> list[dict]:
    path = FIXTURES / "upwork" / "rss_jobs_parsed_2022-06.json"
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return json.loads(path.read_text(encoding="utf-8"))


def _oracle(budget: str) -> tuple[str, str, str | None] | None:
    """The expected pay from the budget text, by plain string handling (independent of price_parser)."""
    if budget == "N/A":
        return None
    ends = [e.replace("$", "").replace(",", "") for e in budget.split("-")]
    norm = [e.rstrip("0").rstrip(".") if "." in e else e for e in ends]
    if len(ends) == 2:
        return "hourly", norm[0], norm[1]
    return "fixed_project", norm[0], None


def test_all_75_records() -> None:
    recs = records()
    assert len(recs) == 75
    page = parse_records(recs, ARCHIVE, OBSERVED)
    by_id = {i["listing_id"]: i for i in page.items}
    no_budget = [r for r in recs if r["budget"] == "N/A"]
    assert len(no_budget) == 24 and len(page.items) == 51 and len(by_id) == 51
    assert [p["reason"] for p in page.problems] == [NO_BUDGET] * 24
    # each problem keeps its record (cut at 2,000 characters; the hash comes first)
    assert {re.match(r'\{"hash": "([0-9a-f]{32})"', p["record"]).group(1) for p in page.problems} == \
        {r["hash"] for r in no_budget}
    for record in recs:
        expected = _oracle(record["budget"])
        if expected is None:
            continue
        job_id = "~" + re.search(r"%7E([0-9a-f]+)\?", record["link"]).group(1)
        item = by_id[job_id]
        assert (item["pay_basis"], item["reward_amount"], item["reward_amount_max"]) == expected, record["budget"]
        assert item["reward_currency"] == "USD"
        assert item["url"] == record["link"] and item["title"] == record["title"]
        assert item["category"] == record["category"]
        assert item["employer_country"] == COUNTRIES[record["country"]]
        assert item["posted_at"] == datetime.fromtimestamp(record["timestamp"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert item["observed_at"] == "2022-06-17T18:00:00Z" and item["listing_id_derived"] is False
        assert item["requester_id"] is None and item["worker_countries"] == []
        assert validate(dict(item, run_id="r1", raw_ref="x")) == []
    # the only warning: "$50.00", a single amount written the way Upwork writes hourly rates
    assert [(w["listing_id"], w["field"]) for w in page.warnings] == [("~01b9b441b9d124b84b", "pay_basis")]


def test_specific_budget_strings() -> None:
    by_budget = {}
    for record in records():
        by_budget.setdefault(record["budget"], record)
    fixed = parse_record(by_budget["$10,000"], OBSERVED)
    assert (fixed["pay_basis"], fixed["reward_amount"], fixed["reward_amount_max"]) == ("fixed_project", "10000", None)
    hourly = parse_record(by_budget["$10.00-$20.00"], OBSERVED)
    assert (hourly["pay_basis"], hourly["reward_amount"], hourly["reward_amount_max"]) == ("hourly", "10", "20")
    with pytest.raises(RecordError, match=NO_BUDGET):
        parse_record(by_budget["N/A"], OBSERVED)
    first = parse_record(by_budget["$20.00-$40.00"], OBSERVED)
    assert first["listing_id"] == "~01d7e66fa6ad63240d" and first["employer_country"] == "AE"
    assert first["posted_at"] == "2022-06-17T14:03:47Z"   # timestamp 1655474627


def test_record_without_job_id_gets_a_derived_id() -> None:
    record = dict(records()[1], link="https://www.upwork.com/jobs/no-id-here")
    item = parse_record(record, OBSERVED)
    assert item["listing_id_derived"] is True
    assert item["listing_id"] == derived_listing_id("upwork", record["title"], "2022-06-17T14:03:47Z",
                                                    record["category"])


def test_listing_id_from_link() -> None:
    assert listing_id_from_link("https://www.upwork.com/jobs/Foo_%7E0153de68ede74ffe94?source=rss") == "~0153de68ede74ffe94"
    assert listing_id_from_link("https://www.upwork.com/jobs/~01ABC1234567890") == "~01abc1234567890"
    assert listing_id_from_link("https://www.upwork.com/jobs/Foo") is None
    assert listing_id_from_link(None) is None


# --------------------------------------------------------------------------------------------------------
# raw feeds, in the item layout of real captures

FIXED_ITEM = """<item><title><![CDATA[Administrative Support Assistant. - Upwork]]></title>
<link>https://www.upwork.com/jobs/Administrative-Support-Assistant_%7E011bda52f9e81cc382?source=rss</link>
<description><![CDATA[We are looking for an Associate Project Coordinator<br /><br />
Trello, Excel or any project management tool<br /><br /><b>Budget</b>: $49,000
<br /><b>Posted On</b>: August 31, 2021 21:08 UTC<br /><b>Category</b>: Virtual/Administrative Assistance<br /><b>Skills</b>:Administrative Support,     Appointment Scheduling,     Email Handling
<br /><b>Location Requirement</b>: Only freelancers located in the United States may apply.
<br /><b>Country</b>: United States
<br /><a href="https://www.upwork.com/jobs/Administrative-Support-Assistant_%7E011bda52f9e81cc382?source=rss">click to apply</a>
]]></description><pubDate>Tue, 31 Aug 2021 21:08:37 +0000</pubDate>
<guid>https://www.upwork.com/jobs/Administrative-Support-Assistant_%7E011bda52f9e81cc382?source=rss</guid></item>"""

HOURLY_ITEM = """<item><title><![CDATA[Video demand aws workflow - Upwork]]></title>
<link>https://www.upwork.com/jobs/Video-demand-aws-workflow_%7E015a7d03edd653d40b?source=rss</link>
<description><![CDATA[Hello<br /><br />
this 5 days job if ur good with media on aws and lambda please apply<br /><br /><b>Hourly Range</b>: $13.00-$30.00

<br /><b>Posted On</b>: February 14, 2021 10:59 UTC<br /><b>Category</b>: Full Stack Development<br /><b>Skills</b>:Python,     AWS Lambda,     AWS Elemental
<br /><b>Country</b>: United Arab Emirates
<br /><a href="https://www.upwork.com/jobs/Video-demand-aws-workflow_%7E015a7d03edd653d40b?source=rss">click to apply</a>
]]></description></item>"""

# Hostile text: a fake labelled line inside the job text, markup and script, control characters, a
# javascript: link on a second item, SQL in the title, an unknown country.
HOSTILE_ITEM = """<item><title><![CDATA[Data entry'); DROP TABLE listing; -- \x01 - Upwork]]></title>
<link>https://www.upwork.com/jobs/Data-entry_%7E01f00000000000000a?source=rss</link>
<description><![CDATA[Copy rows <b>Budget</b>: $1<br /><script>alert(1)</script>{{ 7*7 }}<br /><br /><b>Budget</b>: $5
<br /><b>Posted On</b>: June 17, 2022 13:05 UTC<br /><b>Category</b>: Data Entry<br /><b>Country</b>: Atlantis
<br /><a href="x">click to apply</a>]]></description><pubDate>not a date</pubDate></item>
<item><title>Evil link - Upwork</title><link>javascript:alert(1)</link>
<description><![CDATA[x<br /><br /><b>Budget</b>: $5<br /><b>Country</b>: France]]></description></item>
<item><title>Region only - Upwork</title><link>https://www.upwork.com/jobs/R_%7E01f00000000000000c</link>
<description><![CDATA[x<br /><br /><b>Budget</b>: $5<br /><b>Location Requirement</b>: Only freelancers located in Europe may apply.
<br /><b>Country</b>: France]]></description></item>
<item><title>No pay - Upwork</title><link>https://www.upwork.com/jobs/No-pay_%7E01f00000000000000b</link>
<description><![CDATA[Just text<br /><br /><b>Posted On</b>: June 17, 2022 13:05 UTC<br /><b>Country</b>: France]]></description></item>"""


def feed(*items: str) -> bytes:
    return ("""<?xml version="1.0" encoding="UTF-8"?><rss xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0"><channel><title><![CDATA[All jobs | upwork.com]]></title><link>https://www.upwork.com/ab/feed/jobs/rss?q=data</link><description><![CDATA[All jobs as of June 17, 2022 13:06 UTC]]></description>"""
            + "".join(items) + "</channel></rss>").encode("utf-8")


FEED_URL = "https://www.upwork.com/ab/feed/jobs/rss?q=data+entry"


def test_raw_feed_fixed_and_hourly() -> None:
    page = parse_rss(feed(FIXED_ITEM, HOURLY_ITEM), FEED_URL, OBSERVED)
    assert page.problems == [] and page.warnings == []
    fixed, hourly = page.items
    assert fixed["listing_id"] == "~011bda52f9e81cc382"
    assert fixed["title"] == "Administrative Support Assistant."
    assert (fixed["pay_basis"], fixed["reward_amount"], fixed["reward_amount_max"], fixed["reward_currency"]) == \
        ("fixed_project", "49000", None, "USD")
    assert fixed["posted_at"] == "2021-08-31T21:08:37Z"          # pubDate, to the second
    assert fixed["category"] == "Virtual/Administrative Assistance"
    assert fixed["employer_country"] == "US" and fixed["worker_countries"] == ["US"]
    assert fixed["description"] == ("We are looking for an Associate Project Coordinator "
                                    "Trello, Excel or any project management tool")
    assert (hourly["pay_basis"], hourly["reward_amount"], hourly["reward_amount_max"]) == ("hourly", "13", "30")
    assert hourly["posted_at"] == "2021-02-14T10:59:00Z"         # no pubDate: "Posted On", to the minute
    assert hourly["employer_country"] == "AE" and hourly["worker_countries"] == []
    for item in page.items:
        assert validate(dict(item, run_id="r1", raw_ref="x")) == []


def test_raw_feed_hostile_text() -> None:
    page = parse_rss(feed(HOSTILE_ITEM), FEED_URL, OBSERVED)
    assert [p["reason"] for p in page.problems] == [
        "location requirement names a place that is not a country: 'Europe'", NO_BUDGET]
    (item,) = page.items[:1]
    assert item["reward_amount"] == "5"                            # the real block, not the fake "$1"
    assert item["title"] == "Data entry'); DROP TABLE listing; --"  # kept as inert text
    assert "alert" not in (item["description"] or "") and "{{ 7*7 }}" in item["description"]
    assert item["employer_country"] is None and item["posted_at"] == "2022-06-17T13:05:00Z"
    assert {w["field"] for w in page.warnings} >= {"employer_country"}
    evil = page.items[1]                                           # javascript: link -> no usable link
    assert evil["url"] == FEED_URL and evil["listing_id_derived"] is True
    assert len(page.items) == 2
    for item in page.items:
        assert validate(dict(item, run_id="r1", raw_ref="x")) == []


def test_parse_job_fields_reads_the_trailing_block_only() -> None:
    fields = parse_job_fields("T - Upwork", "<b>Country</b>: France<br />text<br /><br /><b>Hourly Range</b>: "
                              "$5.00-$8.00<br /><b>Skills</b>:A,   B<br /><b>Country</b>: Peru", "https://x")
    assert fields["title"] == "T" and fields["hourly_range"] == "$5.00-$8.00" and fields["budget"] is None
    assert fields["country"] == "Peru" and fields["skills"] == ["A", "B"]
    assert fields["description"] == "Country: France text"


@pytest.mark.parametrize("body", [b"", b"<html><body>not a feed</body></html>", b"{\"a\": 1}"])
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(PageFormatError):
        parse_rss(body, FEED_URL, OBSERVED)


def test_feed_body_is_never_a_url_or_path(tmp_path) -> None:
    # feedparser opens a str that names a file (and fetches one that looks like a URL): a body that
    # happens to be a path must be parsed as text, never opened
    path = tmp_path / "feed.xml"
    path.write_bytes(feed(FIXED_ITEM))
    assert len(parse_rss(path.read_bytes(), FEED_URL, OBSERVED).items) == 1
    with pytest.raises(PageFormatError):
        parse_rss(str(path), FEED_URL, OBSERVED)


def test_spider_stamps_items_and_quarantines_problems() -> None:
    from scrapy.http import Request, TextResponse

    from crawlers.base import Quarantined
    from crawlers.spiders.upwork import UpworkSpider

    spider = UpworkSpider(run_id="run-1", base_url="http://127.0.0.1:9")
    assert spider.feed_urls == ["http://127.0.0.1:9/ab/feed/jobs/rss?q=data+entry&paging=0%3B50"]
    url = spider.feed_urls[0]
    response = TextResponse(url=url, body=feed(FIXED_ITEM, HOSTILE_ITEM), encoding="utf-8", request=Request(url))
    out = list(spider.parse_feed(response))
    items = [o for o in out if isinstance(o, dict)]
    assert len(items) == 3 and {i["run_id"] for i in items} == {"run-1"}
    reasons = [q.reason for q in out if isinstance(q, Quarantined)]
    assert len(reasons) == 2 and reasons[1] == NO_BUDGET
    assert spider.figures.pages == 1
    assert UpworkSpider(feed_url="http://a/1 http://a/2").feed_urls == ["http://a/1", "http://a/2"]
