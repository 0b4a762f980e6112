"""PeoplePerHour page objects: the public job RSS feed and a job page.

UNPROVEN LAYOUT. No saved PeoplePerHour page or feed is among the fixtures, so the layout read here is
taken from public descriptions of the site, not from a captured response, and the tests run on documents
composed for them. Treat every PeoplePerHour figure as unverified until a real capture has been added to
``shared/fixtures`` and these parsers have been run against it.

What is assumed:

* Feed (:func:`parse_rss`): RSS 2.0 ``<item>`` with ``<title>``, ``<link>``
  (``https://www.peopleperhour.com/freelance-jobs/<category path>/<slug>-<numeric id>``), ``<description>``
  (HTML or text), ``<pubDate>`` (RFC 822) and optionally ``<category>``. The budget is either a labelled
  line in the description ("Budget: £25", "Hourly rate: $10/hr") or a price in the title ("Logo design
  - £25"); the description wins. "/hr", "per hour", "an hour" or an "hourly" label mean ``hourly``; any
  other price is ``fixed_project``. Currency symbols: PeoplePerHour shows prices in pounds, US dollars or
  euros, so its "$" is read as USD through an explicit hint.
* Job page (:func:`parse_job_page`): a schema.org ``JobPosting`` in ``application/ld+json`` when present
  (``title``, ``datePosted``, ``baseSalary``, ``jobLocation.address.addressCountry``), and labelled
  values in ``<dt>/<dd>`` or ``<th>/<td>`` pairs or list items "Label: <span>value</span>" ("Budget",
  "Proposals", "Posted" with a ``<time datetime>``, "Location"). Relative
  times ("2 hours ago") are not converted: only absolute dates are read.

Field mapping (feed): ``listing_id`` = the link's trailing number (a derived id from title + pubDate
otherwise), ``url`` = link, ``title``, ``description`` (the text), ``category`` = the first ``<category>``,
``pay_basis``/``reward_*`` from the budget, ``posted_at`` = pubDate. Null from the feed:
``requester_*`` (not in the feed), ``employer_country`` (job page only), ``expires_at``, ``slots_*``,
``time_*``. Items with no readable budget are problems ("no budget published").
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import feedparser
from parsel import Selector

from crawlers.pages.common import (
    ListingPage,
    PageFormatError,
    RecordError,
    check_observed_at,
    clean_text,
    html_to_text,
    money,
    problem,
    safe_http_url,
    to_text,
    warn,
)
from observatory.contract import FIELDS, derived_listing_id, empty_item, utc_iso
from observatory.normalize import country_code, currency_code, parse_price_range, to_utc_checked

SOURCE = "peopleperhour"

#: PeoplePerHour's dollar: the site offers pounds, US dollars and euros, so "$" is USD there.
PPH_DOLLAR = "USD"

NO_BUDGET = "no budget published"

_ID_RE = re.compile(r"-(\d{1,18})/?$")
_MONEY = r"(?:[£$€]|GBP|USD|EUR)\s?\d[\d,]*(?:\.\d{1,2})?"
_PRICE_RE = re.compile(
    rf"(?P<price>{_MONEY}(?:\s*(?:-|–|to)\s*(?:[£$€]|GBP|USD|EUR)?\s?\d[\d,]*(?:\.\d{{1,2}})?)?)"
    r"(?P<unit>\s*(?:/\s*(?:hr|hour|h)\b|per\s+hour\b|an\s+hour\b))?",
    re.IGNORECASE,
)
_BUDGET_LINE_RE = re.compile(r"(?P<label>budget|hourly rate|fixed price|price)\s*:\s*(?P<value>[^\n]{1,80})",
                             re.IGNORECASE)


def budget_from_text(text: str | None) -> tuple[str, Decimal, Decimal | None, str] | None:
    """(pay_basis, minimum, maximum, currency) from the first price in a text ("£25", "$10-$20/hr",
    "Hourly rate: €15 per hour"), or ``None`` when there is no price or its currency is unknown."""
    if not text:
        return None
    label = None
    lines = list(_BUDGET_LINE_RE.finditer(text))
    line = lines[-1] if lines else None  # the platform's line follows the buyer's text
    if line:
        label, text = line.group("label").lower(), line.group("value")
    m = _PRICE_RE.search(text)
    if not m:
        return None
    low, high, currency = parse_price_range(m.group("price"), PPH_DOLLAR)
    if low is None or currency is None:
        return None
    hourly = bool(m.group("unit")) or label == "hourly rate"
    return ("hourly" if hourly else "fixed_project"), low, high, currency


def listing_id_from_link(link: str | None) -> str | None:
    """The job's number from its link (``.../freelance-jobs/.../<slug>-4123456`` -> "4123456")."""
    if not isinstance(link, str):
        return None
    try:
        path = urlsplit(link).path
    except ValueError:
        return None
    m = _ID_RE.search(path)
    return m.group(1) if m else None


def parse_rss(body: bytes | str, url: str, observed_at: datetime) -> ListingPage:
    """Parse PeoplePerHour's job feed into contract items (assumed layout: see the module docstring).

    Read by ``feedparser`` from memory (never from a URL or path). Raises :class:`PageFormatError` when
    the body is not an RSS/Atom feed.
    """
    observed = check_observed_at(observed_at)
    data = to_text(body).encode("utf-8") if isinstance(body, str) else bytes(body)
    feed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=True)
    if not feed.get("version") and not feed.entries:
        raise PageFormatError("not an RSS/Atom feed")
    items: list[dict] = []
    problems: list[dict] = []
    warnings: list[dict] = []
    for entry in feed.entries:
        try:
            items.append(_entry_item(entry, observed, warnings))
        except RecordError as exc:
            problems.append(problem(str(exc), {k: entry.get(k) for k in ("title", "link", "published",
                                                                         "summary")}))
    return ListingPage(items=items, total_results=None, hits_available=None, page_number=None,
                       problems=problems, warnings=warnings)


def _entry_item(entry: Any, observed: str, warnings: list[dict]) -> dict:
    title = clean_text(entry.get("title"), "title")
    if title is None:
        raise RecordError("empty or missing title")
    link = entry.get("link")
    link = safe_http_url(link.strip()) if isinstance(link, str) else None
    if link is None:
        raise RecordError("no http(s) job link")
    description = clean_text(html_to_text(entry.get("summary")), "description")
    pay = budget_from_text(description) or budget_from_text(title)
    if pay is None:
        raise RecordError(NO_BUDGET)
    basis, low, high, currency = pay
    item = empty_item(SOURCE)
    listing_id = listing_id_from_link(link)
    when, reason = to_utc_checked(entry.get("published"))
    if listing_id is None:
        listing_id = derived_listing_id(SOURCE, title, utc_iso(when) if when else None)
        item["listing_id_derived"] = True
    if reason:
        warn(warnings, listing_id, "posted_at", reason)
    tags = entry.get("tags") or []
    category = clean_text(tags[0].get("term"), "category") if tags and isinstance(tags[0], dict) else None
    item.update(listing_id=listing_id, observed_at=observed, url=link, title=title, description=description,
                category=category, pay_basis=basis, reward_amount=money(low),
                reward_amount_max=money(high, "maximum") if high is not None else None,
                reward_currency=currency, posted_at=utc_iso(when) if when else None)
    return item


def _labelled_values(sel: Selector) -> dict[str, str]:
    """Label -> value from ``<dt>/<dd>``, ``<th>/<td>`` and list items written "Label: <span>value</span>"
    (the value being the first child element's ``datetime`` attribute or its text)."""
    values: dict[str, str] = {}
    for node in sel.xpath("//li[*]"):
        label = " ".join("".join(node.xpath("./*[1]/preceding-sibling::text()").getall()).split())
        label = label.rstrip(":").strip().lower()
        child = node.xpath("./*[1]")
        value = child.xpath("@datetime").get() or " ".join(child.xpath("string()").get("").split())
        if label and value and label not in values:
            values[label] = value
    for label_xpath, value_xpath in (("//dt", "following-sibling::dd[1]"), ("//th", "following-sibling::td[1]")):
        for node in sel.xpath(label_xpath):
            label = " ".join(node.xpath("string()").get("").split()).rstrip(":").strip().lower()
            value = node.xpath(value_xpath)
            if label and value and label not in values:
                values[label] = " ".join(value[0].xpath("string()").get("").split())
    return values


def _job_posting(sel: Selector) -> dict:
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            doc = json.loads(raw, parse_float=Decimal)
        except (json.JSONDecodeError, RecursionError):
            continue
        for candidate in doc if isinstance(doc, list) else [doc]:
            if isinstance(candidate, dict) and candidate.get("@type") == "JobPosting":
                return candidate
    return {}


def _salary(posting: dict) -> tuple[str, Decimal, Decimal | None, str] | None:
    salary = posting.get("baseSalary")
    if not isinstance(salary, dict):
        return None
    currency = currency_code(salary.get("currency"))
    value = salary.get("value")
    if isinstance(value, dict):
        unit = str(value.get("unitText", "")).upper()
        low = value.get("minValue", value.get("value"))
        high = value.get("maxValue")
    else:
        unit, low, high = str(salary.get("unitText", "")).upper(), value, None
    low_d = low if isinstance(low, Decimal) or (isinstance(low, int) and not isinstance(low, bool)) else None
    high_d = high if isinstance(high, Decimal) or (isinstance(high, int) and not isinstance(high, bool)) else None
    if currency is None or low_d is None or low_d < 0:
        return None
    if high_d is not None and high_d < low_d:
        high_d = None
    return ("hourly" if unit == "HOUR" else "fixed_project"), Decimal(low_d), \
        (Decimal(high_d) if high_d is not None else None), currency


def parse_job_page(body: bytes | str, url: str, observed_at: datetime) -> dict[str, Any]:
    """What one job page adds to a feed item (assumed layout: see the module docstring).

    Returns a dict with the contract fields it could read (``listing_id``, ``url``, ``title``,
    ``description``, ``pay_basis``, ``reward_amount``, ``reward_amount_max``, ``reward_currency``,
    ``posted_at``, ``employer_country``; ``None`` when not shown), ``proposals`` (an int, not a contract
    field), ``observed_at`` and ``warnings``. Raises :class:`PageFormatError` when the page shows neither
    a JobPosting nor any labelled value nor a title.
    """
    observed = check_observed_at(observed_at)
    sel = Selector(text=to_text(body), type="html")
    posting = _job_posting(sel)
    labels = _labelled_values(sel)
    heading = sel.xpath("string(//h1)").get()
    if not posting and not labels and not (heading or "").strip():
        raise PageFormatError("no JobPosting, no labelled values and no heading: not a job page")
    warnings: list[dict] = []
    listing_id = listing_id_from_link(url)
    details: dict[str, Any] = dict.fromkeys(
        ("title", "description", "pay_basis", "reward_amount", "reward_amount_max", "reward_currency",
         "posted_at", "employer_country", "proposals"))
    details.update(listing_id=listing_id, url=safe_http_url(url), observed_at=observed, warnings=warnings)
    details["title"] = clean_text(posting.get("title"), "title") or clean_text(heading, "title")
    details["description"] = clean_text(html_to_text(posting.get("description"))
                                        if isinstance(posting.get("description"), str) else None,
                                        "description")
    pay = _salary(posting) or budget_from_text(
        " ".join(f"{k}: {v}" for k, v in labels.items() if k in ("budget", "hourly rate", "fixed price")))
    if pay is not None:
        basis, low, high, currency = pay
        try:
            details.update(pay_basis=basis, reward_amount=money(low), reward_currency=currency,
                           reward_amount_max=money(high, "maximum") if high is not None else None)
        except RecordError as exc:
            warn(warnings, listing_id, "reward_amount", str(exc))
    posted_text = posting.get("datePosted") or labels.get("posted")
    when, reason = to_utc_checked(posted_text if isinstance(posted_text, str) else None)
    if when is not None:
        details["posted_at"] = utc_iso(when)
    elif reason:
        warn(warnings, listing_id, "posted_at", reason)
    country = _posting_country(posting) or labels.get("location") or labels.get("buyer location")
    if country:
        details["employer_country"] = country_code(country) or country_code(country.split(",")[-1])
        if details["employer_country"] is None:
            warn(warnings, listing_id, "employer_country", f"{country!r} is not an ISO country"[:300])
    proposals = labels.get("proposals")
    if proposals is not None:
        digits = re.fullmatch(r"\s*(\d{1,7})\s*", proposals)
        details["proposals"] = int(digits.group(1)) if digits else None
        if not digits:
            warn(warnings, listing_id, "proposals", f"unreadable proposals {proposals!r}"[:300])
    return details


def _posting_country(posting: dict) -> str | None:
    location = posting.get("jobLocation")
    if isinstance(location, list):
        location = location[0] if location else None
    address = location.get("address") if isinstance(location, dict) else None
    value = address.get("addressCountry") if isinstance(address, dict) else None
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


#: What a job page may add to a feed item. Pay is not among them: the feed item's budget is one
#: published offer, and mixing its amount with the page's range would state an offer nobody made.
MERGE_FIELDS = ("description", "category", "posted_at", "employer_country")


def merge_job_page(item: dict, details: dict) -> dict:
    """A feed item completed by its job page: only :data:`MERGE_FIELDS` that the item left null are
    filled (the page adds what the feed does not show, such as the buyer's country). Returns a new
    dict; the item's observation time, id, URL and pay stay the feed's."""
    merged = dict(item)
    for key in MERGE_FIELDS:
        if key in FIELDS and merged.get(key) is None and details.get(key) is not None:
            merged[key] = details[key]
    return merged


__all__ = [
    "MERGE_FIELDS", "NO_BUDGET", "PPH_DOLLAR", "SOURCE", "ListingPage", "PageFormatError", "budget_from_text",
    "listing_id_from_link", "merge_job_page", "parse_job_page", "parse_rss",
]
