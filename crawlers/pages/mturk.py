"""Amazon Mechanical Turk page objects: pure functions of a saved response.

Every function here takes the body of one response (``bytes`` or ``str``), the URL it came from and the
moment it was observed, and returns contract-shaped items (``observatory.contract``). Nothing here touches
the network, the crawl loop, the clock or the file system, so the same code parses a live page, a WARC
record from the archive and a saved fixture (the web-poet "page object" idea).

Formats read:

* the worker site's JSON listing (``https://worker.mturk.com/?format=json``): :func:`parse_listing_json`;
* the old HTML ``findhits`` listing (2010-2011 layouts, 10 HIT groups a page): :func:`parse_findhits_html`;
* the marketplace-wide "N HITs available" banner (findhits and welcome pages):
  :func:`parse_hits_available_banner`;
* an mturk-tracker API dump (``mturk/v1/hitgroup/search``, ``{"items": [...]}``): :func:`parse_tracker_api`.

Conventions shared by all of them:

* ``run_id`` and ``raw_ref`` are left ``None``: the spider fills them in.
* A record that cannot become a valid item (no id, no title, no reward, no currency...) goes to
  ``ListingPage.problems`` as ``{"reason", "record"}`` (the record as text, cut at 2,000 characters); the
  other records are still parsed. A field that cannot be read on an otherwise good record is left
  ``None`` (unknown stays null) and noted in ``ListingPage.warnings``.
* A page that is not the expected format at all raises :class:`PageFormatError`.
* Text is untrusted: it is kept as plain text (never evaluated as HTML, SQL or a template), control
  characters are dropped, whitespace is collapsed, and it is cut to the contract's maximum length.
* Money goes through :class:`~decimal.Decimal` only, never through ``float``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

from parsel import Selector

from crawlers.pages.common import ListingPage, PageFormatError, load_json, to_text
from observatory.contract import decimal_str, derived_listing_id, empty_item, parse_utc, utc_iso

SOURCE = "mturk"

#: The worker locale qualification: restricts a HIT group by the worker's country.
LOCALE_QUALIFICATION_ID = "00000000000000000071"

#: Cut of the raw record kept in a problem entry.
PROBLEM_RECORD_MAX = 2000

# Contract maximum lengths (schema/listing_observation.schema.json).
_MAX_LEN = {"title": 2000, "description": 20000, "requester_name": 500, "requester_id": 200}
_MAX_ID_LEN = 200

_COUNT_MAX = 100_000_000

_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

# C0/C1 control characters other than whitespace (whitespace is collapsed separately).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


class _RecordError(Exception):
    """One record cannot become a valid item (becomes a problem entry, never escapes this module)."""


    """Fields left null on otherwise good items: ``{"listing_id", "field", "reason"}``."""


# --------------------------------------------------------------------------------------------------------
# shared helpers


def _check_observed_at(observed_at: datetime) -> str:
    if not isinstance(observed_at, datetime):
        raise TypeError(f"observed_at must be a datetime, not {type(observed_at).__name__}")
    if observed_at.tzinfo is None or observed_at.utcoffset() is None:
        raise ValueError(f"observed_at {observed_at!r} is naive: give it a time zone")
    return utc_iso(observed_at)


def _clean_text(value: Any, field_name: str | None = None) -> str | None:
    """Untrusted text -> plain text: no control characters, whitespace collapsed, cut to the contract's
    maximum; ``None`` for missing or empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            return None
        value = str(value)
    text = " ".join(_CONTROL_RE.sub(" ", value).split())
    if not text:
        return None
    limit = _MAX_LEN.get(field_name or "")
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def _problem(reason: str, record: Any) -> dict:
    if isinstance(record, str):
        text = record
    else:
        try:
            text = json.dumps(record, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(record)
    return {"reason": reason, "record": text[:PROBLEM_RECORD_MAX]}


def _as_count(value: Any) -> int | None:
    """A non-negative integer count from an int, an integral Decimal or a digit string; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", "")
        if not value.isascii() or not value.isdigit():
            return None
        value = int(value)
    elif isinstance(value, Decimal | float):
        try:
            if value != int(value):
                return None
        except (OverflowError, ValueError, InvalidOperation):
            return None
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= _COUNT_MAX:
        return None
    return value


def _as_amount(value: Any) -> Decimal | None:
    """A finite, non-negative Decimal from a Decimal, int or numeric string (never from a float's repr
    silently: floats go through ``str`` so 0.1 stays 0.1); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", "")
    try:
        dec = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return None
    if not dec.is_finite() or dec < 0:
        return None
    return dec


_MONEY_RE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,6})?$")


def _money(amount: Decimal) -> str:
    """The contract's decimal string, or a record error when the amount is outside what the contract holds
    (12 integer digits, 6 decimals): such a record is quarantined here rather than failing validation."""
    text = decimal_str(amount)
    if not _MONEY_RE.match(text):
        raise _RecordError(f"reward {text} is outside the contract's range (12 digits, 6 decimals)")
    return text


def _country_code(value: Any) -> tuple[str | None, bool]:
    """(ISO alpha-2 code, has_subdivision) from "US", {"Country": "US"}, {"country": "us"} or
    {"Country": "US", "Subdivision": "NY"}; (None, False) when it is not a country."""
    subdivision = False
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        subdivision = bool(lowered.get("subdivision"))
        value = lowered.get("country")
    if not isinstance(value, str):
        return None, False
    code = value.strip().upper()
    if "-" in code:  # "US-NY": an ISO 3166-2 subdivision
        code, _, sub = code.partition("-")
        subdivision = subdivision or bool(sub)
    return (code, subdivision) if _COUNTRY_RE.match(code) else (None, False)


def _add_countries(target: list[str], values: list[Any], *, exclude: bool) -> list[Any]:
    """Append the country codes of ``values`` to ``target`` (deduplicated, in order); return the values
    that were not used. A subdivision counts as its country for an inclusion (the worker must be in
    that country) but is skipped for an exclusion (shutting out New York does not shut out the US)."""
    unused = []
    for value in values:
        code, subdivision = _country_code(value)
        if code is None or (exclude and subdivision):
            unused.append(value)
        elif code not in target:
            target.append(code)
    return unused


def _duration_seconds(text: str | None) -> tuple[int, int] | None:
    """MTurk's spelled-out durations ("30 minutes", "1 hour 1 minute", "1 week 2 days") -> (total seconds,
    seconds of the smallest unit shown); None if the text is anything else."""
    if not text:
        return None
    text = text.strip().lower()
    pos, total, smallest = 0, 0, None
    for m in re.finditer(r"\s*(\d+)\s*(week|day|hour|minute|min|second|sec)s?\b,?", text):
        if m.start() != pos:
            return None
        unit = {"min": "minute", "sec": "second"}.get(m.group(2), m.group(2))
        total += int(m.group(1)) * _UNIT_SECONDS[unit]
        smallest = _UNIT_SECONDS[unit] if smallest is None else min(smallest, _UNIT_SECONDS[unit])
        pos = m.end()
    if smallest is None or text[pos:].strip():
        return None
    return total, smallest


def _warn(page_warnings: list[dict], listing_id: str | None, field_name: str, reason: str) -> None:
    page_warnings.append({"listing_id": listing_id, "field": field_name, "reason": reason})


def _safe_http_url(candidate: str | None) -> str | None:
    if not candidate:
        return None
    return candidate if urlsplit(candidate).scheme in ("http", "https") else None


# --------------------------------------------------------------------------------------------------------
# the worker site's JSON listing


def parse_listing_json(body: bytes | str, url: str, observed_at: datetime) -> ListingPage:
    """Parse one page of the worker site's JSON listing (``?format=json``).

    Raises :class:`PageFormatError` if the body is not JSON, not an object, or has no ``results`` list.
    """
    observed = _check_observed_at(observed_at)
    doc = load_json(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise PageFormatError("JSON listing has no 'results' list")
    items, problems, warnings = [], [], []
    for record in doc["results"]:
        try:
            item = _json_record_item(record, url, observed, warnings)
        except _RecordError as exc:
            problems.append(_problem(str(exc), record))
            continue
        items.append(item)
    return ListingPage(
        items=items,
        total_results=_as_count(doc.get("total_num_results")),
        hits_available=None,
        page_number=_as_count(doc.get("page_number")),
        problems=problems,
        warnings=warnings,
    )


def _parse_listing_id(value: Any) -> str:
    listing_id = _clean_text(value)
    if listing_id is None:
        raise _RecordError("missing listing id")
    if len(listing_id) > _MAX_ID_LEN:
        raise _RecordError("listing id longer than 200 characters")
    return listing_id


def _parse_title(value: Any) -> str:
    title = _clean_text(value, "title")
    if title is None:
        raise _RecordError("empty or missing title")
    return title


def _parse_json_reward(record: dict) -> tuple[str, str]:
    reward = record.get("monetary_reward")
    if not isinstance(reward, dict) or reward.get("amount_in_dollars") is None:
        raise _RecordError("missing monetary_reward.amount_in_dollars")
    amount = _as_amount(reward["amount_in_dollars"])
    if amount is None:
        raise _RecordError(f"reward amount {reward['amount_in_dollars']!r} is not a non-negative number")
    currency = reward.get("currency_code")
    if not isinstance(currency, str) or not currency.strip():
        raise _RecordError("missing monetary_reward.currency_code")
    currency = currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise _RecordError(f"currency_code {currency!r} is not an ISO 4217 code")
    return _money(amount), currency


def _parse_json_time(record: dict, key: str, listing_id: str, warnings: list[dict]) -> str | None:
    value = record.get(key)
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return utc_iso(parse_utc(value.strip()))
    except ValueError as exc:
        _warn(warnings, listing_id, key, f"unreadable timestamp {value!r}: {exc}")
        return None


def _parse_json_countries(record: dict, listing_id: str, warnings: list[dict]) -> tuple[list[str], list[str]]:
    """worker_countries / worker_countries_excluded from the locale qualification (other qualification
    types, e.g. Masters or approval rate, say nothing about place and are ignored)."""
    included: list[str] = []
    excluded: list[str] = []
    requirements = record.get("project_requirements") or []
    if not isinstance(requirements, list):
        _warn(warnings, listing_id, "worker_countries", "project_requirements is not a list")
        return included, excluded
    for req in requirements:
        if not isinstance(req, dict) or str(req.get("qualification_type_id")) != LOCALE_QUALIFICATION_ID:
            continue
        comparator = re.sub(r"[^a-z]", "", str(req.get("comparator", "")).lower())
        values = req.get("qualification_values")
        if values is None:
            values = []
        elif not isinstance(values, list):
            values = [values]
        if comparator in ("in", "equalto"):
            unused = _add_countries(included, values, exclude=False)
        elif comparator in ("notin", "notequalto"):
            unused = _add_countries(excluded, values, exclude=True)
        else:
            _warn(warnings, listing_id, "worker_countries", f"locale comparator {comparator!r} not understood")
            continue
        if unused:
            _warn(warnings, listing_id, "worker_countries", f"locale values not used: {unused!r}"[:500])
    return included, excluded


def _json_record_item(record: Any, url: str, observed: str, warnings: list[dict]) -> dict:
    if not isinstance(record, dict):
        raise _RecordError("result is not an object")
    listing_id = _parse_listing_id(record.get("hit_set_id"))
    item = empty_item(SOURCE)
    item.update(listing_id=listing_id, observed_at=observed, pay_basis="per_task")
    item["title"] = _parse_title(record.get("title"))
    item["reward_amount"], item["reward_currency"] = _parse_json_reward(record)
    item["url"] = _parse_json_url(record, url, listing_id, warnings)
    item["description"] = _clean_text(record.get("description"), "description")
    item["requester_id"] = _clean_text(record.get("requester_id"), "requester_id")
    item["requester_name"] = _clean_text(record.get("requester_name"), "requester_name")
    for key, target in (("assignment_duration_in_seconds", "time_allotted_s"),
                        ("assignable_hits_count", "slots_available")):
        if record.get(key) is not None:
            item[target] = _as_count(record[key])
            if item[target] is None:
                _warn(warnings, listing_id, target, f"{key} {record[key]!r} is not a count")
    item["posted_at"] = _parse_json_time(record, "creation_time", listing_id, warnings)
    item["expires_at"] = _parse_json_time(record, "latest_expiration_time", listing_id, warnings)
    item["worker_countries"], item["worker_countries_excluded"] = _parse_json_countries(
        record, listing_id, warnings)
    return item


def _parse_json_url(record: dict, url: str, listing_id: str, warnings: list[dict]) -> str:
    fallback = urljoin(url, f"/projects/{quote(listing_id, safe='')}/tasks")
    tasks_url = record.get("project_tasks_url")
    if not isinstance(tasks_url, str) or not tasks_url.strip():
        return fallback
    absolute = _safe_http_url(urljoin(url, tasks_url.strip()))
    if absolute is None:
        _warn(warnings, listing_id, "url", f"project_tasks_url {tasks_url!r} is not http(s)"[:500])
        return fallback
    return absolute


# --------------------------------------------------------------------------------------------------------
# the old HTML findhits listing


_BANNER_RE = re.compile(r"(?<![\S])(\d{1,3}(?:,\d{3})+|\d+)\s+HITs\s+available\b(?!\s*:)", re.IGNORECASE)
_PAGER_RE = re.compile(r"(\d[\d,]*)\s*-\s*(\d[\d,]*)\s+of\s+(\d[\d,]*)\s+Results\b", re.IGNORECASE)
_REWARD_RE = re.compile(r"^\$\s*(\d[\d,]*(?:\.\d+)?)$")
_EXPIRY_RE = re.compile(r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})\s*(?:\((?P<rel>[^)]*)\))?")
_LOCATION_RE = re.compile(
    r"^Location\s+(?P<op>is\s+not\s+one\s+of|is\s+one\s+of|is\s+not|is|not\s+in|in)\s*:?\s*(?P<vals>.+)$",
    re.IGNORECASE,
)

#: MTurk shows HIT groups 10 to a page; used for the page number when the URL does not carry it.
FINDHITS_PAGE_SIZE = 10


def _visible_text(sel: Selector) -> str:
    return " ".join(" ".join(sel.xpath("//text()[not(ancestor::script) and not(ancestor::style)]").getall())
                    .split())


def parse_hits_available_banner(body: bytes | str) -> int | None:
    """The marketplace-wide count: "99,367 HITs available now" (findhits) or "94,273 HITs available."
    (welcome page) -> 99367 / 94273; ``None`` when the page shows no banner."""
    return _banner_from_text(_visible_text(Selector(text=to_text(body), type="html")))


def _banner_from_text(text: str) -> int | None:
    m = _BANNER_RE.search(text)
    return int(m.group(1).replace(",", "")) if m else None


def parse_findhits_html(body: bytes | str, url: str, observed_at: datetime) -> ListingPage:
    """Parse an old HTML ``findhits`` / ``viewhits`` / ``sorthits`` page (2010 and 2011 layouts).

    Per HIT group: title, requester id (``requesterId=`` of the requester link) and name, reward
    ("$0.05", USD), HITs available, time allotted, expiry, description and the location qualifications
    ("Location is US" -> ``worker_countries``; "Location is not IN" -> ``worker_countries_excluded``;
    other qualifications are not in the contract).

    listing_id is the group id of the "View a HIT in this group" link. Groups the visitor is not
    qualified for show no link and no id: they get ``derived_listing_id('mturk', requester_id, title,
    reward, time_allotted_s)`` with ``listing_id_derived`` true, and the page URL as ``url``.

    Expiry: the page shows "Nov 22, 2010 (1 week 2 days)", a date (day precision, in Amazon's time zone,
    which the page does not state) and the time left, which MTurk truncates to its two largest units.
    ``expires_at`` is observed_at + the time left, which is to the minute when the time left is short;
    when that falls before the shown date (the truncation cut up to one unit, e.g. a day), it is raised to
    the shown date at 00:00 UTC. Both are lower bounds of the true expiry (for a page time zone at or west
    of UTC, as Amazon's US pages are), so the later of the two is the tighter one. When the time left is
    missing or unreadable, the shown date at 00:00 UTC is used. A date that disagrees with the time left by
    more than a day and the time-zone slack is reported in ``warnings`` (the time left is kept).

    Raises :class:`PageFormatError` when the page has neither HIT groups nor the "HITs available" banner.
    """
    observed = _check_observed_at(observed_at)
    sel = Selector(text=to_text(body), type="html")
    text = _visible_text(sel)
    hits_available = _banner_from_text(text)
    anchors = sel.xpath('//a[contains(concat(" ", normalize-space(@class), " "), " capsulelink ")]'
                        '[re:test(@id, "^capsule[0-9]+-0$")]')
    if not anchors and hits_available is None:
        raise PageFormatError("no HIT group table and no 'HITs available' banner: not a findhits page")
    total_results, page_number = _parse_pager(text, url)
    items, problems, warnings = [], [], []
    for anchor in anchors:
        group = anchor.xpath('ancestor::table[.//div[contains(@class, "capsuletarget")]][1]')
        snippet = (group or anchor).get()
        if not group:
            problems.append(_problem("HIT group has no details table", snippet))
            continue
        try:
            items.append(_html_group_item(anchor, group[0], url, observed_at, observed, warnings))
        except _RecordError as exc:
            problems.append(_problem(str(exc), snippet))
    return ListingPage(items=items, total_results=total_results, hits_available=hits_available,
                       page_number=page_number, problems=problems, warnings=warnings)


def _parse_pager(text: str, url: str) -> tuple[int | None, int | None]:
    """("1-10 of 2076 Results", url) -> (2076, page number). The page number comes from the URL's
    ``pageNumber`` when present, else from the pager's first result and MTurk's 10 groups a page."""
    m = _PAGER_RE.search(text)
    total = int(m.group(3).replace(",", "")) if m else None
    page = None
    numbers = parse_qs(urlsplit(url).query).get("pageNumber")
    if numbers:
        page = _as_count(numbers[0])
    if page is None and m:
        first = int(m.group(1).replace(",", ""))
        page = (first - 1) // FINDHITS_PAGE_SIZE + 1 if first >= 1 else None
    return total, page


def _group_fields(group: Selector) -> dict[str, Selector]:
    """Label ("requester", "reward", "hits available", ...) -> the value cell beside it."""
    fields: dict[str, Selector] = {}
    for label_cell in group.xpath('.//td[contains(@class, "capsule_field_title")]'):
        label = " ".join(label_cell.xpath("string()").get("").split()).rstrip(":").strip().lower()
        value = label_cell.xpath("following-sibling::td[1]")
        if label and label not in fields and value:
            fields[label] = value[0]
    return fields


def _cell_text(cell: Selector | None) -> str | None:
    return None if cell is None else _clean_text(cell.xpath("string()").get())


def _parse_group_id(group: Selector) -> str | None:
    for href in group.xpath('.//a[contains(@href, "groupId=")]/@href').getall():
        ids = parse_qs(urlsplit(href).query).get("groupId")
        if ids and ids[0].strip():
            return ids[0].strip()
    return None


def _parse_requester(cell: Selector | None) -> tuple[str | None, str | None]:
    if cell is None:
        return None, None
    requester_id = None
    for href in cell.xpath(".//a/@href").getall():
        ids = parse_qs(urlsplit(href).query).get("requesterId")
        if ids:
            requester_id = _clean_text(ids[0], "requester_id")
            break
    return requester_id, _clean_text(cell.xpath("string()").get(), "requester_name")


def _parse_html_reward(text: str | None) -> str:
    if text is None:
        raise _RecordError("missing reward")
    m = _REWARD_RE.match(text)
    if not m:
        raise _RecordError(f"reward {text!r} is not a dollar amount")
    return _money(Decimal(m.group(1).replace(",", "")))


def _parse_expiry(text: str | None, observed_at: datetime) -> tuple[datetime | None, str | None]:
    """("Nov 22, 2010 (1 week 2 days)", observed_at) -> (expiry, warning); see parse_findhits_html."""
    if not text:
        return None, None
    m = _EXPIRY_RE.match(text)
    if not m:
        return None, f"unreadable expiration date {text!r}"
    month = _MONTHS.get(m.group("mon")[:3].lower())
    try:
        shown = datetime(int(m.group("year")), month or 0, int(m.group("day")), tzinfo=UTC)
    except ValueError:
        return None, f"unreadable expiration date {text!r}"
    left = _duration_seconds(m.group("rel"))
    if left is None:
        warning = None if m.group("rel") is None else f"unreadable time left in {text!r}; date used"
        return shown, warning
    seconds, smallest_unit = left
    from_left = observed_at.astimezone(UTC) + timedelta(seconds=seconds)
    if shown - timedelta(seconds=smallest_unit) <= from_left < shown:
        return shown, None
    if not shown - timedelta(seconds=smallest_unit) <= from_left < shown + timedelta(days=1, hours=14):
        return from_left, f"time left in {text!r} disagrees with the date from observed_at; time left used"
    return from_left, None


def _parse_locations(group: Selector) -> tuple[list[str], list[str]]:
    included: list[str] = []
    excluded: list[str] = []
    rows = group.xpath('.//a[starts-with(@id, "qualificationsRequired")]/ancestor::table[1]//td')
    for cell in rows:
        m = _LOCATION_RE.match(_cell_text(cell) or "")
        if not m:
            continue
        values = [v for v in re.split(r"\s*(?:,|\bor\b)\s*", m.group("vals").strip()) if v]
        _add_countries(excluded if "not" in m.group("op").lower() else included, values,
                       exclude="not" in m.group("op").lower())
    return included, excluded


def _html_group_item(anchor: Selector, group: Selector, url: str, observed_at: datetime, observed: str,
                     warnings: list[dict]) -> dict:
    title = _parse_title(anchor.xpath("string()").get())
    fields = _group_fields(group)
    reward = _parse_html_reward(_cell_text(fields.get("reward")))
    requester_id, requester_name = _parse_requester(fields.get("requester"))
    allotted_text = _cell_text(fields.get("time allotted"))
    allotted = _duration_seconds(allotted_text)
    time_allotted_s = allotted[0] if allotted else None

    item = empty_item(SOURCE)
    group_id = _parse_group_id(group)
    if group_id is not None and len(group_id) <= _MAX_ID_LEN:
        item["listing_id"] = group_id
        item["url"] = urljoin(url, "/mturk/preview?groupId=" + quote(group_id, safe=""))
    else:
        item["listing_id"] = derived_listing_id(
            SOURCE, requester_id, title, reward, None if time_allotted_s is None else str(time_allotted_s))
        item["listing_id_derived"] = True
        item["url"] = url
    listing_id = item["listing_id"]
    if allotted_text and allotted is None:
        _warn(warnings, listing_id, "time_allotted_s", f"unreadable time allotted {allotted_text!r}")

    hits_text = _cell_text(fields.get("hits available"))
    slots = _as_count(hits_text)
    if hits_text and slots is None:
        _warn(warnings, listing_id, "slots_available", f"unreadable HITs available {hits_text!r}")

    expiry, warning = _parse_expiry(_cell_text(fields.get("hit expiration date")), observed_at)
    if warning:
        _warn(warnings, listing_id, "expires_at", warning)

    item.update(
        observed_at=observed, title=title, pay_basis="per_task", reward_amount=reward, reward_currency="USD",
        requester_id=requester_id, requester_name=requester_name, time_allotted_s=time_allotted_s,
        slots_available=slots, expires_at=None if expiry is None else utc_iso(expiry),
        description=_clean_text(_cell_text(fields.get("description")), "description"),
    )
    item["worker_countries"], item["worker_countries_excluded"] = _parse_locations(group)
    return item


# --------------------------------------------------------------------------------------------------------
# mturk-tracker API dump


def parse_tracker_api(body: bytes | str, url: str, observed_at: datetime) -> ListingPage:
    """Parse an mturk-tracker API dump (``mturk/v1/hitgroup/search``: ``{"items": [...]}``).

    Per item: id, title, description, requesterId, requesterName, reward (a string in US cents: "25" ->
    "0.25" USD) and timeAllotted (a string in seconds). Keywords are not in the contract and are dropped;
    the dump carries no HITs available, dates or qualifications, so those stay null/empty. ``url`` is the
    dump's URL (where the listing was seen).

    Raises :class:`PageFormatError` if the body is not JSON or has no ``items`` list.
    """
    observed = _check_observed_at(observed_at)
    doc = load_json(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise PageFormatError("tracker dump has no 'items' list")
    items, problems, warnings = [], [], []
    for record in doc["items"]:
        try:
            items.append(_tracker_item(record, url, observed, warnings))
        except _RecordError as exc:
            problems.append(_problem(str(exc), record))
    return ListingPage(items=items, total_results=None, hits_available=None, page_number=None,
                       problems=problems, warnings=warnings)


def _parse_cents(value: Any) -> str:
    if value is None or value == "":
        raise _RecordError("missing reward")
    cents = _as_amount(value)
    if cents is None:
        raise _RecordError(f"reward {value!r} is not a non-negative number of cents")
    return _money(cents.scaleb(-2))


def _tracker_item(record: Any, url: str, observed: str, warnings: list[dict]) -> dict:
    if not isinstance(record, dict):
        raise _RecordError("item is not an object")
    kind = record.get("kind")
    if kind is not None and kind != "mturk#hitgroupItem":
        raise _RecordError(f"unexpected kind {kind!r}")
    item = empty_item(SOURCE)
    listing_id = _parse_listing_id(record.get("id"))
    item.update(listing_id=listing_id, observed_at=observed, url=url, pay_basis="per_task",
                reward_currency="USD")
    item["title"] = _parse_title(record.get("title"))
    item["reward_amount"] = _parse_cents(record.get("reward"))
    item["description"] = _clean_text(record.get("description"), "description")
    item["requester_id"] = _clean_text(record.get("requesterId"), "requester_id")
    item["requester_name"] = _clean_text(record.get("requesterName"), "requester_name")
    if record.get("timeAllotted") not in (None, ""):
        item["time_allotted_s"] = _as_count(record["timeAllotted"])
        if item["time_allotted_s"] is None:
            _warn(warnings, listing_id, "time_allotted_s", f"timeAllotted {record['timeAllotted']!r}")
    return item


__all__ = [
    "FINDHITS_PAGE_SIZE", "LOCALE_QUALIFICATION_ID", "ListingPage", "PageFormatError", "SOURCE",
    "parse_findhits_html", "parse_hits_available_banner", "parse_listing_json", "parse_tracker_api",
]
