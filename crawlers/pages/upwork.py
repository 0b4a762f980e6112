"""Upwork page objects: the job RSS feed (discontinued by Upwork in 2024) and archived parsed records.

Upwork's public job feed (``/ab/feed/jobs/rss?q=...``) is gone, so these functions serve archives: raw
feed captures (WARC) and the parsed records that third-party tools kept. Both end in the same item builder.

Formats read:

* the raw RSS feed: :func:`parse_rss`. Each ``<item>`` has ``<title>`` ("<job title> - Upwork"), ``<link>``
  (``https://www.upwork.com/jobs/<slug>_%7E<ciphertext>?source=rss``), ``<pubDate>`` (RFC 822) and a
  ``<description>`` whose HTML is the job text followed by a block of labelled lines::

      ...job text<br /><br /><b>Hourly Range</b>: $10.00-$20.00
      <br /><b>Posted On</b>: June 17, 2022 13:05 UTC<br /><b>Category</b>: Web Development<br />
      <b>Skills</b>:PHP,     HTML
      <br /><b>Location Requirement</b>: Only freelancers located in the United States may apply.
      <br /><b>Country</b>: United States
      <br /><a href="...">click to apply</a>

  (fixed-price jobs carry ``<b>Budget</b>: $10,000`` instead of the hourly range). This layout is taken
  from real captured feeds published in public repositories (2021-2023); no raw feed is among the saved
  fixtures, so the tests compose documents in it. The labelled block is found by walking back from the
  end of the description over consecutive ``<b>Label</b>:`` lines, so a job text that itself contains
  "<b>Budget</b>: $1" earlier on cannot pose as the real block. :func:`parse_job_fields` does this for
  one item.
* the archived parsed-record layout of ekkyarmandi/advance-upwork-rss-feed (``hash, title, description,
  link, budget, timestamp, category, tags, country``): :func:`parse_record` / :func:`parse_records`. That
  tool wrote ``budget`` as the text after "Budget" or "Hourly Range" without its label, ``title`` with
  everything but letters, digits and spaces removed, ``hash`` as the MD5 of that cleaned title, and
  ``timestamp`` as ``time.mktime(published_parsed) + 7 h``, which is the true UTC epoch only on a machine
  at UTC+7 (the tool's author's zone); it is read as UTC epoch seconds, and this is an assumption.

Field mapping:

* ``listing_id``: the job's ciphertext from the link ("~01f4a39583493a90f5"), Upwork's own job id. The
  record ``hash`` is not used: it is a hash of the cleaned title, so two jobs with one title share it.
  Without a ciphertext, a derived id of (title, posted time, category) with ``listing_id_derived``.
* ``pay_basis``/``reward_*``: "Hourly Range" -> ``hourly`` (min, max); "Budget" -> ``fixed_project``.
  In parsed records the label is lost: a range is hourly (Upwork shows ranges only for hourly jobs), a
  single amount is taken as fixed (the archiving tool's own reading); a single amount written with cents
  ("$50.00"), as Upwork writes hourly rates and not budgets, gets a warning. Upwork posts and pays in
  US dollars (its terms of service), so its "$" is read as USD through an explicit hint.
* A job with no budget or hourly range ("N/A" in the records) is a problem "no budget published": an
  observation without any pay cannot enter pay statistics, and the contract requires a reward. These are
  counted in ``ListingPage.problems``, not dropped silently.
* ``employer_country``: "Country" (the client's country) through ``country_code``.
* ``worker_countries``: "Location Requirement: Only freelancers located in X may apply."; a requirement
  naming a place that is not a country ("Europe") makes the record a problem, since an empty list would
  say the job is open to everyone.
* ``posted_at``: ``pubDate`` (to the second), else "Posted On" (to the minute, UTC); records: ``timestamp``.
* ``category``: "Category". Skills are not in the contract and are dropped.
* Null: ``requester_id``/``requester_name`` (the feed names no client), ``expires_at``, ``slots_*``,
  ``time_*`` (not published).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

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
from observatory.contract import derived_listing_id, empty_item, utc_iso
from observatory.normalize import country_code, parse_price_range, to_utc_checked

SOURCE = "upwork"

#: Upwork's currency: jobs are posted and paid in US dollars, so its "$" is USD.
UPWORK_CURRENCY = "USD"

NO_BUDGET = "no budget published"

_CIPHERTEXT_RE = re.compile(r"(?:~|%7E)(0[0-9a-f]{10,40})(?![0-9a-f])", re.IGNORECASE)
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LABEL_RE = re.compile(r"^\s*<b>\s*([A-Za-z][A-Za-z ]{0,40}?)\s*</b>\s*:?(.*)$", re.DOTALL)
_APPLY_RE = re.compile(r"^\s*<a\b[^>]*>\s*click to apply\s*</a>\s*$", re.IGNORECASE | re.DOTALL)
_LOCATION_RE = re.compile(r"located in\s+(.+?)\s+may apply\s*[.:]?\s*(.*)$", re.IGNORECASE | re.DOTALL)
_TITLE_SUFFIX_RE = re.compile(r"\s+-\s+Upwork\s*$")


def listing_id_from_link(link: str | None) -> str | None:
    """Upwork's job ciphertext ("~01f4a39583493a90f5") from a job link, or ``None``."""
    if not isinstance(link, str):
        return None
    m = _CIPHERTEXT_RE.search(link)
    return "~" + m.group(1).lower() if m else None


def parse_job_fields(title: str | None, description_html: str | None, link: str | None,
                     published: str | None = None) -> dict[str, Any]:
    """The fields of one raw feed item, as text, before any normalisation.

    Returns ``title`` (without Upwork's " - Upwork" suffix), ``description`` (the job text before the
    labelled block, as plain text), ``link``, ``published`` (the pubDate text), and from the labelled
    block ``budget`` ("$10,000"), ``hourly_range`` ("$10.00-$20.00"), ``posted_on``, ``category``,
    ``skills`` (list), ``location_requirement`` and ``country``: ``None`` (or ``[]``) when absent.
    """
    labels: dict[str, str] = {}
    body_html = description_html or ""
    segments = _BR_RE.split(body_html)
    end = len(segments)
    while end > 0 and (not segments[end - 1].strip() or _APPLY_RE.match(segments[end - 1])):
        end -= 1
    start = end
    while start > 0:
        m = _LABEL_RE.match(segments[start - 1])
        if not m:
            break
        start -= 1
    for segment in segments[start:end]:
        m = _LABEL_RE.match(segment)
        if m:
            labels.setdefault(" ".join(m.group(1).lower().split()), html_to_text(m.group(2)) or "")
    description = html_to_text("<br />".join(segments[:start])) if start < end else html_to_text(body_html)
    clean_title = clean_text(title, "title")
    if clean_title:
        clean_title = _TITLE_SUFFIX_RE.sub("", clean_title) or clean_title
    skills = [s for s in (clean_text(x) for x in (labels.get("skills") or "").split(",")) if s]
    return {
        "title": clean_title, "description": clean_text(description, "description"), "link": link,
        "published": published, "budget": clean_text(labels.get("budget")),
        "hourly_range": clean_text(labels.get("hourly range")), "posted_on": clean_text(labels.get("posted on")),
        "category": clean_text(labels.get("category"), "category"), "skills": skills,
        "location_requirement": clean_text(labels.get("location requirement")),
        "country": clean_text(labels.get("country")),
    }


def parse_rss(body: bytes | str, url: str, observed_at: datetime) -> ListingPage:
    """Parse one raw Upwork job feed into contract items (see the module docstring).

    The feed is read by ``feedparser`` from memory (never from a URL or a path; external entities are
    off), with its HTML sanitiser on. Raises :class:`PageFormatError` when the body is not an RSS/Atom
    feed at all.
    """
    observed = check_observed_at(observed_at)
    feed = _parse_feed(body)
    items: list[dict] = []
    problems: list[dict] = []
    warnings: list[dict] = []
    for entry in feed.entries:
        html = entry.get("summary")
        if not html and entry.get("content"):
            html = entry["content"][0].get("value")
        fields = parse_job_fields(entry.get("title"), html, entry.get("link"), entry.get("published"))
        try:
            items.append(_item_from_fields(fields, url, observed, warnings))
        except RecordError as exc:
            problems.append(problem(str(exc), {k: entry.get(k) for k in ("title", "link", "published")}
                                    | {"description": (html or "")[:1500]}))
    return ListingPage(items=items, total_results=None, hits_available=None, page_number=None,
                       problems=problems, warnings=warnings)


def _parse_feed(body: bytes | str) -> Any:
    data = to_text(body).encode("utf-8") if isinstance(body, str) else bytes(body)
    feed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=True)
    if not feed.get("version") and not feed.entries:
        reason = feed.get("bozo_exception")
        raise PageFormatError(f"not an RSS/Atom feed{': ' + str(reason)[:200] if reason else ''}")
    return feed


def parse_record(record: dict, observed_at: datetime, warnings: list[dict] | None = None,
                 url: str | None = None) -> dict:
    """One archived parsed record (``hash, title, description, link, budget, timestamp, category,
    tags, country``) -> a contract item (``run_id``/``raw_ref`` ``None``).

    ``url`` is where the archive was read; the item's own ``url`` is the job link. Raises
    :class:`~crawlers.pages.common.RecordError` when the record cannot be an item (the reason says why,
    e.g. "no budget published" for ``budget`` "N/A"). Field notes go to ``warnings`` when given.
    """
    observed = check_observed_at(observed_at)
    if not isinstance(record, dict):
        raise RecordError("record is not an object")
    budget = clean_text(record.get("budget"))
    fields = {
        "title": clean_text(record.get("title"), "title"),
        "description": clean_text(record.get("description"), "description"),
        "link": record.get("link"), "published": record.get("timestamp"),
        "budget": None, "hourly_range": None, "budget_unlabelled": budget, "posted_on": None,
        "category": clean_text(record.get("category"), "category"),
        "location_requirement": None, "country": clean_text(record.get("country")),
    }
    return _item_from_fields(fields, url, observed, warnings if warnings is not None else [])


def parse_records(records: Any, url: str, observed_at: datetime) -> ListingPage:
    """A list of archived parsed records (the fixture file's layout) -> items and problems."""
    if not isinstance(records, list):
        raise PageFormatError("archived Upwork records must be a JSON list")
    items: list[dict] = []
    problems: list[dict] = []
    warnings: list[dict] = []
    for record in records:
        try:
            items.append(parse_record(record, observed_at, warnings, url))
        except RecordError as exc:
            problems.append(problem(str(exc), record))
    return ListingPage(items=items, total_results=None, hits_available=None, page_number=None,
                       problems=problems, warnings=warnings)


def _pay(fields: dict, listing_hint: str | None, warnings: list[dict]) -> tuple[str, str, str | None, str]:
    """(pay_basis, reward_amount, reward_amount_max, currency) or a RecordError."""
    if fields.get("hourly_range"):
        text, basis = fields["hourly_range"], "hourly"
    elif fields.get("budget"):
        text, basis = fields["budget"], "fixed_project"
    elif fields.get("budget_unlabelled") and fields["budget_unlabelled"].strip().upper() != "N/A":
        text = fields["budget_unlabelled"]
        basis = "hourly" if re.search(r"\d\s*(?:-|–)\s*\$?\s*\d", text) else "fixed_project"
        if basis == "fixed_project" and re.fullmatch(r"\$?\s*[\d,]+\.\d\d", text.strip()):
            warn(warnings, listing_hint, "pay_basis",
                 f"single amount {text!r} written with cents, as Upwork writes hourly rates: "
                 "taken as a fixed budget (the archive lost the label)")
    else:
        raise RecordError(NO_BUDGET)
    low, high, currency = parse_price_range(text, UPWORK_CURRENCY)
    if low is None or currency is None:
        raise RecordError(f"unreadable pay {text!r}"[:300])
    return basis, money(low), (money(high, "maximum") if high is not None else None), currency


def _posted(fields: dict, listing_hint: str | None, warnings: list[dict]) -> str | None:
    when, reason = to_utc_checked(fields.get("published"))
    if when is None and fields.get("posted_on"):
        try:
            naive = datetime.strptime(fields["posted_on"].strip(), "%B %d, %Y %H:%M UTC")
            when, reason = naive.replace(tzinfo=UTC), None
        except ValueError:
            reason = f"unreadable Posted On {fields['posted_on']!r}"
    if when is None:
        if reason:
            warn(warnings, listing_hint, "posted_at", reason)
        return None
    return utc_iso(when)


def _worker_countries(text: str | None) -> list[str]:
    """Countries of "Only freelancers located in X may apply." A requirement that is there but cannot be
    read fully makes the record a problem: an empty or shortened list would state that the job is open
    to workers it shuts out (the same rule as the declarative spiders' ``countries`` transform)."""
    if not text:
        return []
    m = _LOCATION_RE.search(text)
    if not m:
        raise RecordError(f"location requirement not understood: {text!r}"[:300])
    place = m.group(2) if m.group(2).strip() else m.group(1)
    countries: list[str] = []
    for part in re.split(r"\s*,\s*|\s+and\s+|\s+or\s+|\s*;\s*", place.strip().rstrip(".")):
        part = re.sub(r"^the\s+", "", part.strip(), flags=re.IGNORECASE)
        if not part:
            continue
        code = country_code(part)
        if code is None:
            raise RecordError(f"location requirement names a place that is not a country: {part!r}"[:300])
        if code not in countries:
            countries.append(code)
    return countries


def _item_from_fields(fields: dict, url: str | None, observed: str, warnings: list[dict]) -> dict:
    title = fields.get("title")
    if not title:
        raise RecordError("empty or missing title")
    link = fields.get("link")
    link = safe_http_url(link.strip()) if isinstance(link, str) else None
    listing_id = listing_id_from_link(link)
    basis, low, high, currency = _pay(fields, listing_id, warnings)
    posted = _posted(fields, listing_id, warnings)

    item = empty_item(SOURCE)
    if listing_id is None:
        listing_id = derived_listing_id(SOURCE, title, posted, fields.get("category"))
        item["listing_id_derived"] = True
    target_url = link or (safe_http_url(url) if url else None)
    if target_url is None:
        raise RecordError("no http(s) link and no page URL")
    item.update(listing_id=listing_id, observed_at=observed, url=target_url, title=title,
                description=fields.get("description"), category=fields.get("category"), pay_basis=basis,
                reward_amount=low, reward_amount_max=high, reward_currency=currency, posted_at=posted)
    country = fields.get("country")
    if country:
        item["employer_country"] = country_code(country)
        if item["employer_country"] is None:
            warn(warnings, listing_id, "employer_country", f"country {country!r} is not an ISO country"[:300])
    item["worker_countries"] = _worker_countries(fields.get("location_requirement"))
    return item


__all__ = [
    "NO_BUDGET", "SOURCE", "UPWORK_CURRENCY", "ListingPage", "PageFormatError", "listing_id_from_link",
    "parse_job_fields", "parse_record", "parse_records", "parse_rss",
]
