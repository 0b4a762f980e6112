"""What the page objects of every source share: the page result, the errors, and safe text handling.

``ListingPage`` and ``PageFormatError`` are defined here and shared by every page module, so that every
spider catches one exception type and reads one result type whatever the source. The helpers below follow
the conventions documented in ``crawlers.pages.mturk`` (problems as ``{"reason", "record"}`` cut at 2,000
characters, warnings as ``{"listing_id", "field", "reason"}``, text without control characters and cut to
the contract's maximum, money only as ``Decimal``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector
from w3lib.encoding import html_to_unicode

from observatory.contract import decimal_str, utc_iso

__all__ = [
    "ListingPage", "PageFormatError", "RecordError", "check_observed_at", "clean_text", "html_to_text",
    "load_json", "money", "problem", "safe_http_url", "to_text", "warn",
]

#: Cut of the raw record kept in a problem entry.
PROBLEM_RECORD_MAX = 2000

#: Contract maximum lengths (schema/listing_observation.schema.json).
MAX_LEN = {"title": 2000, "description": 20000, "requester_name": 500, "requester_id": 200,
           "category": 500, "listing_id": 200, "url": 4000}

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MONEY_RE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,6})?$")
_BLOCK_END_RE = re.compile(r"</(?:p|div|li|h[1-6]|tr|td|th|ul|ol|dd|dt|section|article|blockquote)\s*>",
                           re.IGNORECASE)


class RecordError(Exception):
    """One record cannot become a valid item; the page object turns it into a problem entry."""



class PageFormatError(ValueError):
    """The whole page is not in the expected format (truncated JSON, no results, not a listing page)."""


@dataclass
class ListingPage:
    """What one listing page yields."""

    items: list[dict]
    """Contract-shaped dicts; ``run_id`` and ``raw_ref`` are ``None`` for the spider to fill."""
    total_results: int | None
    """Results the site says exist for this listing (JSON ``total_num_results``; HTML pager)."""
    hits_available: int | None
    """Marketplace-wide "N HITs available" banner, where the page shows it."""
    page_number: int | None
    problems: list[dict]
    """Records that could not be parsed: ``{"reason": str, "record": str}``."""
    warnings: list[dict] = field(default_factory=list)


def check_observed_at(observed_at: datetime) -> str:
    """The contract's UTC text for ``observed_at``; a naive or non-datetime value is a caller bug."""
    if not isinstance(observed_at, datetime):
        raise TypeError(f"observed_at must be a datetime, not {type(observed_at).__name__}")
    if observed_at.tzinfo is None or observed_at.utcoffset() is None:
        raise ValueError(f"observed_at {observed_at!r} is naive: give it a time zone")
    return utc_iso(observed_at)


def clean_text(value: Any, field_name: str | None = None) -> str | None:
    """Untrusted text -> plain text: no control characters, whitespace collapsed, cut to the contract's
    maximum for ``field_name``; ``None`` for missing, empty or non-text values (numbers are kept as text,
    so an id of 31556945 becomes "31556945")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = " ".join(_CONTROL_RE.sub(" ", value).split())
    if not text:
        return None
    limit = MAX_LEN.get(field_name or "")
    return text[:limit] if limit is not None and len(text) > limit else text


def html_to_text(fragment: str | None) -> str | None:
    """The visible text of an untrusted HTML fragment (entities decoded, ``<br>`` as line breaks, script
    and style content dropped), for fields that platforms publish as HTML. The markup is parsed by lxml
    (through parsel) and only its text nodes are read: nothing is rendered, fetched or executed."""
    if not fragment or not fragment.strip():
        return None
    # A line break after each closing block element, so "<p>a</p><p>b</p>" reads "a\nb", not "ab".
    fragment = _BLOCK_END_RE.sub(lambda m: m.group(0) + "\n", fragment)
    sel = Selector(text=f"<div>{fragment}</div>", type="html")
    nodes = sel.xpath("//text()[not(ancestor::script) and not(ancestor::style)] | //br")
    text = "".join(node.root if isinstance(node.root, str) else "\n" for node in nodes)
    return text.strip() or None


def problem(reason: str, record: Any) -> dict:
    """A problem entry: why the record was not used, and the record as text (cut)."""
    if isinstance(record, str):
        text = record
    else:
        try:
            text = json.dumps(record, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(record)
    return {"reason": reason[:500], "record": text[:PROBLEM_RECORD_MAX]}


def warn(warnings: list[dict], listing_id: str | None, field_name: str, reason: str) -> None:
    """Note a field left null (or a doubt) on an otherwise good item."""
    warnings.append({"listing_id": listing_id, "field": field_name, "reason": reason[:500]})


def to_text(body: bytes | str) -> str:
    """Response body as text (encoding from the BOM or the document's own declaration)."""
    if isinstance(body, str):
        return body
    if isinstance(body, bytes | bytearray):
        return html_to_unicode(None, bytes(body))[1]
    raise TypeError(f"body must be bytes or str, not {type(body).__name__}")


def load_json(body: bytes | str) -> Any:
    """Parse a JSON body with every non-integer number as ``Decimal`` (money never passes through float)."""
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PageFormatError(f"body is not UTF-8 JSON: {exc}") from exc
    elif not isinstance(body, str):
        raise TypeError(f"body must be bytes or str, not {type(body).__name__}")
    try:
        return json.loads(body, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise PageFormatError(f"body is not valid JSON: {exc}") from exc


def money(amount: Decimal | int, what: str = "reward") -> str:
    """The contract's decimal string; a record error when the amount is negative, not finite or outside
    what the contract holds (12 integer digits, 6 decimals), so the record is quarantined with a reason
    rather than failing validation later."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise RecordError(f"{what} {amount!r} is not a number")
    try:
        text = decimal_str(amount)
    except ValueError as exc:
        raise RecordError(f"{what}: {exc}") from exc
    if not _MONEY_RE.match(text):
        raise RecordError(f"{what} {text} is outside the contract's range (12 digits, 6 decimals)")
    return text


def safe_http_url(candidate: str | None) -> str | None:
    """The URL if it is http(s) and fits the contract, else ``None`` (no javascript:, data:, file:)."""
    if not candidate or len(candidate) > MAX_LEN["url"] or _CONTROL_RE.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    return candidate if parts.scheme in ("http", "https") and parts.netloc else None
