"""Tests of the PeoplePerHour page objects on composed documents.

There is no saved PeoplePerHour page among the fixtures: these documents follow the layout the page
module assumes (see its docstring), so they test the parsing rules, not that the rules match the site.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy.http import Request, TextResponse

from crawlers.pages.peopleperhour import (
    NO_BUDGET,
    PageFormatError,
    budget_from_text,
    listing_id_from_link,
    merge_job_page,
    parse_job_page,
    parse_rss,
)
from observatory.contract import derived_listing_id, validate

OBSERVED = datetime(2024, 9, 2, 12, 0, tzinfo=UTC)
FEED_URL = "https://www.peopleperhour.com/rss/jobs"
JOB = "https://www.peopleperhour.com/freelance-jobs/admin-support/data-entry/copy-500-rows-4123457"

FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>PeoplePerHour jobs</title>
<item><title>Logo design for a bakery - £25</title>
<link>https://www.peopleperhour.com/freelance-jobs/design/logo-design/logo-design-for-a-bakery-4123456</link>
<description>Need a simple logo &lt;script&gt;alert(1)&lt;/script&gt; for our shop.</description>
<pubDate>Mon, 02 Sep 2024 10:00:00 +0100</pubDate><category>Design</category></item>
<item><title>Copy 500 rows into a sheet</title><link>{job}</link>
<description>Hourly rate: $10 - $15/hr &lt;br/&gt; Copy rows from PDFs.</description>
<pubDate>Mon, 02 Sep 2024 11:00:00 +0000</pubDate><category>Admin Support</category></item>
<item><title>Translate a menu</title><link>https://www.peopleperhour.com/freelance-jobs/translation/translate-a-menu</link>
<description>Budget: €40</description><pubDate>yesterday</pubDate></item>
<item><title>Someone to chat</title><link>https://www.peopleperhour.com/freelance-jobs/x/chat-4123459</link>
<description>No price here</description></item>
<item><title>Evil - £5</title><link>javascript:alert(1)</link><description>x</description></item>
<item><title>Hire me ¥100</title><link>https://www.peopleperhour.com/freelance-jobs/x/yen-4123460</link></item>
</channel></rss>""".replace("{job}", JOB).encode("utf-8")


def test_feed_items_and_problems() -> None:
    page = parse_rss(FEED, FEED_URL, OBSERVED)
    logo, rows, menu = page.items
    assert (logo["listing_id"], logo["pay_basis"], logo["reward_amount"], logo["reward_currency"]) == \
        ("4123456", "fixed_project", "25", "GBP")
    assert logo["posted_at"] == "2024-09-02T09:00:00Z" and logo["category"] == "Design"
    assert logo["description"] == "Need a simple logo for our shop."     # script dropped
    assert (rows["listing_id"], rows["pay_basis"], rows["reward_amount"], rows["reward_amount_max"],
            rows["reward_currency"]) == ("4123457", "hourly", "10", "15", "USD")
    assert menu["listing_id_derived"] is True and menu["posted_at"] is None
    assert menu["listing_id"] == derived_listing_id("peopleperhour", "Translate a menu", None)
    assert (menu["reward_amount"], menu["reward_currency"]) == ("40", "EUR")
    assert [w["field"] for w in page.warnings] == ["posted_at"]
    reasons = [p["reason"] for p in page.problems]
    assert reasons == [NO_BUDGET, "no http(s) job link", NO_BUDGET]   # "¥" is not a PPH currency
    for item in page.items:
        assert item["employer_country"] is None and item["requester_id"] is None
        assert validate(dict(item, run_id="r1", raw_ref="x")) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Logo - £25", ("fixed_project", "25", None, "GBP")),
    ("Budget: $100", ("fixed_project", "100", None, "USD")),
    ("£10/hr", ("hourly", "10", None, "GBP")),
    ("€15 per hour", ("hourly", "15", None, "EUR")),
    ("Hourly rate: £8 - £12", ("hourly", "8", "12", "GBP")),
    ("Fixed price: GBP 1,250", ("fixed_project", "1250", None, "GBP")),
    ("100 pounds", None), ("", None), (None, None),
])
def test_budget_from_text(text: str | None, expected: tuple | None) -> None:
    got = budget_from_text(text)
    assert (got if got is None else (got[0], str(got[1]), None if got[2] is None else str(got[2]), got[3])) == expected


def test_listing_id_from_link() -> None:
    assert listing_id_from_link(JOB) == "4123457"
    assert listing_id_from_link("https://www.peopleperhour.com/freelance-jobs/x/slug-12/") == "12"
    assert listing_id_from_link("https://www.peopleperhour.com/freelance-jobs/x/no-number") is None


JOB_PAGE_LD = """<html><head><title>Copy 500 rows</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting",
 "title": "Copy 500 rows into a sheet", "datePosted": "2024-09-02T11:00:00+00:00",
 "description": "Copy rows <b>from</b> PDFs",
 "baseSalary": {"@type": "MonetaryAmount", "currency": "USD",
   "value": {"@type": "QuantitativeValue", "minValue": 10, "maxValue": 15, "unitText": "HOUR"}},
 "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressCountry": "GB"}}}</script>
</head><body><h1>Copy 500 rows into a sheet</h1>
<dl><dt>Proposals</dt><dd> 12 </dd><dt>Location</dt><dd>Leeds, United Kingdom</dd></dl></body></html>"""

JOB_PAGE_LABELS = """<html><body><h1>Translate a menu</h1><table>
<tr><th>Budget</th><td>£40</td></tr><tr><th>Posted</th><td>2024-09-01T08:00:00Z</td></tr>
<tr><th>Proposals</th><td>many</td></tr><tr><th>Location</th><td>Lyon, France</td></tr></table></body></html>"""


def test_job_page_json_ld() -> None:
    details = parse_job_page(JOB_PAGE_LD, JOB, OBSERVED)
    assert details["listing_id"] == "4123457" and details["title"] == "Copy 500 rows into a sheet"
    assert (details["pay_basis"], details["reward_amount"], details["reward_amount_max"],
            details["reward_currency"]) == ("hourly", "10", "15", "USD")
    assert details["posted_at"] == "2024-09-02T11:00:00Z" and details["employer_country"] == "GB"
    assert details["proposals"] == 12 and details["description"] == "Copy rows from PDFs"
    assert details["warnings"] == []


def test_job_page_labels() -> None:
    details = parse_job_page(JOB_PAGE_LABELS.encode(), "https://www.peopleperhour.com/freelance-jobs/t/menu-99",
                             OBSERVED)
    assert (details["pay_basis"], details["reward_amount"], details["reward_currency"]) == \
        ("fixed_project", "40", "GBP")
    assert details["posted_at"] == "2024-09-01T08:00:00Z" and details["employer_country"] == "FR"
    assert details["proposals"] is None and [w["field"] for w in details["warnings"]] == ["proposals"]


def test_not_a_job_page() -> None:
    with pytest.raises(PageFormatError):
        parse_job_page(b"<html><body></body></html>", JOB, OBSERVED)
    with pytest.raises(PageFormatError):
        parse_rss(b"<html><body>maintenance</body></html>", FEED_URL, OBSERVED)


def test_merge_fills_only_nulls_and_never_pay() -> None:
    item = parse_rss(FEED, FEED_URL, OBSERVED).items[1]
    details = parse_job_page(JOB_PAGE_LD, JOB, OBSERVED)
    details["reward_amount"], details["category"] = "999", "Other"
    merged = merge_job_page(item, details)
    assert merged["employer_country"] == "GB"                    # the page adds what the feed lacks
    assert merged["reward_amount"] == "10" and merged["category"] == "Admin Support"  # the feed's stay
    assert item["employer_country"] is None                      # a new dict
    assert validate(dict(merged, run_id="r1", raw_ref="x")) == []


# --------------------------------------------------------------------------------------------------------
# the spider, on responses built in memory (no network)


def _response(url: str, body: str | bytes, **kwargs: Any) -> TextResponse:
    request = Request(url, **kwargs)
    return TextResponse(url=url, body=body if isinstance(body, bytes) else body.encode(), encoding="utf-8",
                        request=request)


def test_spider_follows_job_pages() -> None:
    from crawlers.spiders.peopleperhour import PeoplePerHourSpider

    spider = PeoplePerHourSpider(follow_jobs="1", run_id="run-1", base_url="http://127.0.0.1:9")
    assert spider.feed_url == "http://127.0.0.1:9/rss/jobs"
    out = list(spider.parse_feed(_response(spider.feed_url, FEED)))
    requests = [o for o in out if isinstance(o, Request)]
    assert [r.url for r in requests][1] == JOB and len(requests) == 3
    assert sum(1 for o in out if type(o).__name__ == "Quarantined") == 3
    job_request = requests[1]
    merged = list(spider.parse_job(_response(JOB, JOB_PAGE_LD), **job_request.cb_kwargs))
    assert merged[0]["employer_country"] == "GB" and merged[0]["run_id"] == "run-1"
    kept = list(spider.parse_job(_response(JOB, "<html></html>"), **job_request.cb_kwargs))
    assert kept[0]["employer_country"] is None and spider.figures.page_errors == 1


def test_spider_without_following_yields_feed_items() -> None:
    from crawlers.spiders.peopleperhour import PeoplePerHourSpider

    spider = PeoplePerHourSpider(run_id="run-1", base_url="http://127.0.0.1:9")
    out = list(spider.parse_feed(_response(spider.feed_url, FEED)))
    items = [o for o in out if isinstance(o, dict)]
    assert len(items) == 3 and all(i["raw_ref"] == spider.feed_url for i in items)


def test_job_page_list_items() -> None:
    page = """<html><body><h1>Type forms</h1><ul>
    <li>Posted <time datetime="2026-08-31T23:56:00Z">4 minutes ago</time></li>
    <li>Proposals <span class="value">3</span></li><li>Location: <span>Australia</span></li></ul></body></html>"""
    details = parse_job_page(page, "https://www.peopleperhour.com/freelance-jobs/a/b/type-forms-4514203", OBSERVED)
    assert (details["posted_at"], details["proposals"], details["employer_country"]) == \
        ("2026-08-31T23:56:00Z", 3, "AU")
    assert details["reward_amount"] is None        # no budget shown: left null, not guessed
