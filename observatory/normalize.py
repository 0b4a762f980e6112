"""Shared normalisation of scraped values: money, currencies, countries and timestamps.

Every source publishes these four things in its own way ("$10.00-$20.00", "£25", "us", "United States",
"Russia", epoch seconds, RFC 822 dates...). The contract wants one form (decimal strings, ISO 4217,
ISO 3166-1 alpha-2, UTC), so every page object and the declarative (YAML-spec) spiders call the functions
here, and one source cannot quietly normalise differently from another.

The rule throughout: an unknown or ambiguous value becomes ``None``, never a guess. Where a platform's own
terms settle an ambiguity (Upwork pays in US dollars, so its "$" is USD), the caller says so explicitly
through a hint; this module never assumes a platform.

Libraries used rather than hand-written code: ``price_parser`` finds the number and the currency text in a
price string, ``pycountry`` holds ISO 3166-1 and ISO 4217, ``zoneinfo`` resolves time zone names and
``email.utils`` reads RFC 822 dates. What is written here is the glue and the two small documented tables
(currency symbols, country-name variants), because no library decides what "$" or "UK" means for us.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from price_parser import Price

__all__ = [
    "AMBIGUOUS_SYMBOLS", "COUNTRY_ALIASES", "CURRENCY_SYMBOLS", "country_code", "currency_code",
    "parse_price", "parse_price_range", "to_utc", "to_utc_checked",
]

#: Longest price text looked at: a budget is a few characters; a longer value is not a price field.
MAX_PRICE_TEXT = 200

# --------------------------------------------------------------------------------------------------------
# currencies

#: Symbols and prefixes that name exactly one ISO 4217 currency in the marketplaces we read. "£" alone is
#: taken as GBP (Egypt's and Lebanon's pounds are written "E£"/"LE" and "L£"/"LL" on these sites).
CURRENCY_SYMBOLS: dict[str, str] = {
    "€": "EUR", "£": "GBP", "₹": "INR", "rs": "INR", "rs.": "INR", "₱": "PHP", "₫": "VND", "₩": "KRW",
    "₪": "ILS", "₺": "TRY", "₴": "UAH", "₦": "NGN", "₽": "RUB", "zł": "PLN", "r$": "BRL", "rm": "MYR",
    "rp": "IDR", "us$": "USD", "us $": "USD", "u$s": "USD", "c$": "CAD", "ca$": "CAD", "a$": "AUD",
    "au$": "AUD", "nz$": "NZD", "hk$": "HKD", "s$": "SGD", "mx$": "MXN", "chf": "CHF", "฿": "THB",
}

#: Symbols shared by several currencies: they resolve only through a caller's hint, and only to one of
#: the currencies that really use the symbol (a "$" with a GBP hint stays unknown).
AMBIGUOUS_SYMBOLS: dict[str, frozenset[str]] = {
    "$": frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "ARS", "CLP", "COP", "JMD", "TWD",
                    "BSD", "BBD", "BZD", "BMD", "BND", "KYD", "FJD", "GYD", "LRD", "NAD", "SBD", "SRD",
                    "TTD", "XCD", "UYU", "DOP", "CUP", "ZWL"}),
    "¥": frozenset({"JPY", "CNY"}),
    "￥": frozenset({"JPY", "CNY"}),
    "kr": frozenset({"SEK", "NOK", "DKK", "ISK"}),
    "kr.": frozenset({"SEK", "NOK", "DKK", "ISK"}),
}


def _fold(text: str) -> str:
    """Case- and accent-insensitive key: "Curaçao" and "curacao" match, "Türkiye" and "turkiye" match."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.replace("’", "'").casefold().split())


def currency_code(value: str | None) -> str | None:
    """ISO 4217 code for a currency code ("usd", "EUR"), an unambiguous symbol ("€", "£", "₹", "R$",
    "US$"; see :data:`CURRENCY_SYMBOLS`) or a currency's English name as pycountry spells it ("US Dollar").

    Ambiguous symbols ("$", "¥", "kr") and anything unknown give ``None``: use :func:`parse_price` with a
    ``currency_hint`` when a platform's terms settle which dollar it means.
    """
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text or len(text) > 60:
        return None
    if re.fullmatch(r"[A-Za-z]{3}", text):
        found = pycountry.currencies.get(alpha_3=text.upper())
        if found is not None:
            return found.alpha_3
    symbol = CURRENCY_SYMBOLS.get(text.casefold())
    if symbol is not None:
        return symbol
    try:
        return pycountry.currencies.lookup(text).alpha_3
    except LookupError:
        return None


def _resolve_currency(found: str | None, hint: str | None) -> str | None:
    """The currency of a price: the text's own unambiguous currency wins; an ambiguous symbol takes the
    hint only if the hint is one of the currencies that symbol can mean; no currency at all takes the
    hint (the caller knows the platform's currency)."""
    hint_code = currency_code(hint) if hint else None
    if found is None or not found.strip():
        return hint_code
    key = " ".join(found.split()).casefold()
    if key in AMBIGUOUS_SYMBOLS:
        return hint_code if hint_code in AMBIGUOUS_SYMBOLS[key] else None
    return currency_code(found)


def parse_price(text: str | None, currency_hint: str | None = None) -> tuple[Decimal | None, str | None]:
    """One amount and its currency from a price text: "$10,000" -> (10000, hint-resolved), "£25" ->
    (25, "GBP"), "EUR 1.234,50" -> (1234.50, "EUR"), "N/A" -> (None, None).

    ``price_parser`` finds the number (thousands and decimal separators of either convention) and the
    currency text. "$" alone is ambiguous (some twenty currencies): it becomes ``currency_hint`` when the
    hint is a dollar currency, else ``None`` -- callers pass the platform's currency only when the
    platform's terms fix it (Upwork: USD). A text with no currency at all also takes the hint. An explicit
    unambiguous currency in the text always beats the hint.

    Negative amounts, amounts that are not finite and texts longer than :data:`MAX_PRICE_TEXT` give
    ``(None, None)``. For a range ("$10-$20") only the first amount is read: use
    :func:`parse_price_range`.
    """
    if not isinstance(text, str):
        return None, None
    text = " ".join(text.split())
    if not text or len(text) > MAX_PRICE_TEXT:
        return None, None
    price = Price.fromstring(text)
    amount = price.amount
    if amount is None or not amount.is_finite() or amount < 0:
        return None, None
    if text.startswith(("-", "\u2212")):
        return None, None  # "-$5": a negative amount, not a price
    return amount, _resolve_currency(price.currency, currency_hint)


_RANGE_SPLIT = re.compile(r"\s*(?:-|–|—|\bto\b)\s*(?=\D{0,6}\d)", re.IGNORECASE)


def parse_price_range(text: str | None, currency_hint: str | None = None,
                      ) -> tuple[Decimal | None, Decimal | None, str | None]:
    """(minimum, maximum, currency) from "$10.00-$20.00", "£10 to £20", "$10,000" (maximum ``None``) or
    "N/A" (all ``None``).

    The two ends must agree on the currency (one may omit it: "$10-20"); ends in different currencies,
    a maximum below the minimum, or an unreadable end make the whole range ``(None, None, None)``, since
    half a range would misstate the offer.
    """
    if not isinstance(text, str):
        return None, None, None
    text = " ".join(text.split())
    if not text or len(text) > MAX_PRICE_TEXT:
        return None, None, None
    if text.startswith(("-", "\u2212")):
        return None, None, None
    parts = [p for p in _RANGE_SPLIT.split(text, maxsplit=1) if p.strip()]
    if len(parts) == 1:
        amount, currency = parse_price(parts[0], currency_hint)
        return (amount, None, currency) if amount is not None else (None, None, None)
    low_text, high_text = parts
    low_price, high_price = Price.fromstring(low_text), Price.fromstring(high_text)
    low, high = low_price.amount, high_price.amount
    if low is None or high is None or not (low.is_finite() and high.is_finite()) or low < 0 or high < low:
        return None, None, None
    low_cur = low_price.currency if low_price.currency and low_price.currency.strip() else None
    high_cur = high_price.currency if high_price.currency and high_price.currency.strip() else None
    if low_cur and high_cur and " ".join(low_cur.split()).casefold() != " ".join(high_cur.split()).casefold():
        return None, None, None
    return low, high, _resolve_currency(low_cur or high_cur, currency_hint)


# --------------------------------------------------------------------------------------------------------
# countries

#: Country spellings seen on platforms and in the OLI country list that ISO/pycountry does not carry,
#: each to its ISO 3166-1 alpha-2 code. "UK" is not an ISO code but is what Freelancer's currency list
#: and many forms write for the United Kingdom; England/Scotland/Wales/Northern Ireland are parts of GB.
#: Deliberately absent (stay ``None``): "Kosovo" (no ISO 3166-1 code; "XK" is user-assigned),
#: "Northern Cyprus" (not recognised), "Korea" and "Virgin Islands" (two countries each).
COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "russia": "RU", "turkey": "TR", "swaziland": "SZ", "cape verde": "CV",
    "macedonia": "MK", "kazakstan": "KZ", "lao pdr": "LA", "laos": "LA", "brunei": "BN",
    "palestine": "PS", "palestinian territories": "PS", "palestinian territory": "PS",
    "st. kitts": "KN", "st kitts": "KN", "st. kitts and nevis": "KN", "st. lucia": "LC",
    "st lucia": "LC", "st. vincent and the grenadines": "VC", "saint vincent and grenadin": "VC",
    "saint vincent and grenadines": "VC", "sint maarten": "SX", "vatican": "VA", "vatican city": "VA",
    "ivory coast": "CI", "burma": "MM", "east timor": "TL", "holland": "NL", "the netherlands": "NL",
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states of america": "US", "the gambia": "GM",
    "the bahamas": "BS", "republic of korea": "KR", "south korea": "KR", "north korea": "KP",
    "micronesia": "FM", "moldova": "MD", "syria": "SY", "tanzania": "TZ", "iran": "IR",
    "venezuela": "VE", "bolivia": "BO", "vietnam": "VN", "taiwan": "TW", "hong kong": "HK",
    "macau": "MO", "macao": "MO", "czech republic": "CZ", "democratic republic of the congo": "CD",
    "dr congo": "CD", "republic of the congo": "CG", "reunion": "RE", "curacao": "CW",
}

#: Shortest cut-off name that may be completed by prefix (OLI's country list cuts names at 30
#: characters: "Lao People's Democratic Republ"); shorter prefixes ("United") match too much.
MIN_PREFIX_LEN = 12


@lru_cache(maxsize=1)
def _country_index() -> tuple[dict[str, str], dict[str, str], tuple[tuple[str, str], ...]]:
    """(exact names -> code, derived names -> code, (full name, code) pairs for prefix completion).

    Exact: alpha-2, alpha-3, name, official name and common name. Derived: the name without a
    parenthesised part ("Sint Maarten (Dutch part)") or a leading "the ". A key that two countries share
    is dropped from its tier, so it can never resolve to one of them by chance.
    """
    def add(index: dict[str, set[str]], key: str | None, code: str) -> None:
        if key:
            index.setdefault(_fold(key), set()).add(code)

    exact: dict[str, set[str]] = {}
    derived: dict[str, set[str]] = {}
    names: list[tuple[str, str]] = []
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            add(exact, value, code)
            if value and attr not in ("alpha_2", "alpha_3"):
                names.append((_fold(value), code))
                stripped = re.sub(r"\s*\([^)]*\)\s*", " ", value).strip()
                if stripped != value:
                    add(derived, stripped, code)
                if _fold(value).startswith("the "):
                    add(derived, value[4:], code)
    unique_exact = {k: next(iter(v)) for k, v in exact.items() if len(v) == 1}
    unique_derived = {k: next(iter(v)) for k, v in derived.items() if len(v) == 1}
    return unique_exact, unique_derived, tuple(names)


def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code for a country as platforms write it.

    Accepted: alpha-2 in any case (Freelancer's "us"), alpha-3 ("GBR"), ISO names, official and common
    names as pycountry has them ("United States", "South Korea", "Türkiye", "Czechia", "Viet Nam"),
    accents optional ("Curacao", "Reunion"), the documented variants of :data:`COUNTRY_ALIASES` ("UK",
    "Russia", "Turkey", "Macedonia", ...), and names cut short as in the OLI country list ("Lao People's
    Democratic Republ", at least :data:`MIN_PREFIX_LEN` characters, completed only when exactly one
    country's name starts with it).

    pycountry's ``search_fuzzy`` is not used: it also matches subdivisions and answers with their
    parent country ("Kosovo" -> RS, "Curacao" -> NL first), which would misplace employers. Anything
    not matched this way, or matched by two countries, is ``None``.
    """
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text or len(text) > 100:
        return None
    key = _fold(text)
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key]
    exact, derived, names = _country_index()
    if len(text) in (2, 3) and not text.isalpha():
        return None
    if key in exact:
        return exact[key]
    if key in derived:
        return derived[key]
    if len(key) >= MIN_PREFIX_LEN:
        matches = {code for name, code in names if name.startswith(key)}
        if len(matches) == 1:
            return matches.pop()
    return None


# --------------------------------------------------------------------------------------------------------
# timestamps

#: Epoch values beyond this (year 5138) are refused: they are milliseconds or garbage, and guessing
#: which would move a listing by decades.
_MAX_EPOCH = 10**11


def to_utc_checked(value: str | int | float | Decimal | datetime | None, default_tz: str | None = None,
                   ) -> tuple[datetime | None, str | None]:
    """Like :func:`to_utc`, but says why a value was refused: ``(datetime, None)``, ``(None, None)`` for
    an empty value, or ``(None, reason)``. Page objects put the reason in their warnings."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a timestamp"
    if isinstance(value, datetime):
        return _aware(value, default_tz)
    if isinstance(value, int | float | Decimal):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None, f"{type(value).__name__} is not a timestamp"
    text = value.strip()
    if len(text) > 100:
        return None, "timestamp text longer than 100 characters"
    if re.fullmatch(r"\d{1,12}(\.\d{1,9})?", text):
        return _from_epoch(Decimal(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None, f"{text!r} is neither epoch seconds, ISO 8601 nor RFC 822"
        if parsed.tzinfo is None and re.search(r"-0000\s*$", text):
            # RFC 5322: "-0000" is a UTC time from a sender that does not say its local zone.
            parsed = parsed.replace(tzinfo=UTC)
    return _aware(parsed, default_tz)


def _aware(value: datetime, default_tz: str | None) -> tuple[datetime | None, str | None]:
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC), None
    if not default_tz:
        return None, f"naive time {value.isoformat()} and no default time zone: refused, not guessed"
    try:
        zone = ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        return None, f"unknown time zone {default_tz!r}: {exc}"
    return value.replace(tzinfo=zone).astimezone(UTC), None


def _from_epoch(value: int | float | Decimal) -> tuple[datetime | None, str | None]:
    try:
        seconds = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None, f"{value!r} is not a number of seconds"
    if not seconds.is_finite() or seconds < 0 or seconds >= _MAX_EPOCH:
        return None, f"epoch {value!r} is out of range (negative, milliseconds or not finite)"
    whole = int(seconds)
    micro = int((seconds - whole) * 1_000_000)
    return datetime.fromtimestamp(whole, UTC).replace(microsecond=micro), None


def to_utc(value: str | int | float | Decimal | datetime | None, default_tz: str | None = None,
           ) -> datetime | None:
    """An aware UTC datetime from what platforms publish, or ``None``.

    Read: epoch seconds (int, float, Decimal or a digit string: Freelancer's ``time_submitted``), ISO 8601
    with an offset or "Z", RFC 822 / RFC 5322 (RSS ``pubDate``: "Fri, 17 Jun 2022 13:05:21 +0000"), and
    datetimes. A time without a zone is read in ``default_tz`` (an IANA name such as "UTC" or
    "Europe/London") when the caller knows the platform's zone, and refused (``None``) otherwise, since
    a guessed zone silently moves every observation by hours. Epoch values of 10^11 or more (milliseconds)
    and negative ones are refused too. :func:`to_utc_checked` gives the reason for a refusal.
    """
    return to_utc_checked(value, default_tz)[0]
