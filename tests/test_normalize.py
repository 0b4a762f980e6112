"""Tests of the shared normalisation (observatory.normalize): money, currencies, countries, timestamps.

Country names include every spelling of the Online Labour Index's own country list
(../shared/fixtures/oli/countries_regions.txt, from the OLI figshare deposit, DOI 10.6084/m9.figshare.3761562,
CC BY 4.0), which keeps its quirks: variants, duplicates and names cut at 30 characters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from observatory.normalize import (
    country_code,
    currency_code,
    parse_price,
    parse_price_range,
    to_utc,
    to_utc_checked,
)
from tests.conftest import FIXTURES


@pytest.mark.parametrize(("text", "hint", "expected"), [
    ("$10,000", "USD", (Decimal("10000"), "USD")),
    ("$10,000", None, (Decimal("10000"), None)),        # "$" alone is never guessed
    ("$5", "GBP", (Decimal("5"), None)),                # a hint that is not a dollar does not apply
    ("$5", "CAD", (Decimal("5"), "CAD")),
    ("£25", None, (Decimal("25"), "GBP")),
    ("€1.234,50", "USD", (Decimal("1234.50"), "EUR")),  # the text's own currency beats the hint
    ("1 234,50 €", None, (Decimal("1234.50"), "EUR")),
    ("USD 12", None, (Decimal("12"), "USD")),
    ("₹400", None, (Decimal("400"), "INR")),
    ("R$ 20", None, (Decimal("20"), "BRL")),
    ("US$ 5", None, (Decimal("5"), "USD")),
    ("¥100", None, (Decimal("100"), None)),
    ("¥100", "JPY", (Decimal("100"), "JPY")),
    ("12", "USD", (Decimal("12"), "USD")),
    ("$0.05", "USD", (Decimal("0.05"), "USD")),
    ("N/A", "USD", (None, None)),
    ("-$5", "USD", (None, None)),
    ("", "USD", (None, None)),
    (None, "USD", (None, None)),
    ("$" + "9" * 300, "USD", (None, None)),             # not a price field
])
def test_parse_price(text: str | None, hint: str | None, expected: tuple) -> None:
    assert parse_price(text, hint) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("$10.00-$20.00", (Decimal("10.00"), Decimal("20.00"), "USD")),
    ("$10 - $20", (Decimal("10"), Decimal("20"), "USD")),
    ("$10-20", (Decimal("10"), Decimal("20"), "USD")),
    ("£10 to £20", (Decimal("10"), Decimal("20"), "GBP")),
    ("$10,000", (Decimal("10000"), None, "USD")),
    ("N/A", (None, None, None)),
    ("$20-$10", (None, None, None)),      # reversed: refused, not reordered
    ("$10-€20", (None, None, None)),      # two currencies
    ("-$5", (None, None, None)),
])
def test_parse_price_range(text: str, expected: tuple) -> None:
    assert parse_price_range(text, "USD") == expected


def test_price_amounts_are_exact_decimals() -> None:
    amount, _ = parse_price("$0.10", "USD")
    assert isinstance(amount, Decimal) and amount == Decimal("0.1") and str(amount) == "0.10"


@pytest.mark.parametrize(("value", "expected"), [
    ("usd", "USD"), ("EUR", "EUR"), ("€", "EUR"), ("£", "GBP"), ("₹", "INR"), ("zł", "PLN"),
    ("US Dollar", "USD"), ("$", None), ("kr", None), ("XYZ", None), ("", None), (None, None), ("dollar", None),
])
def test_currency_code(value: str | None, expected: str | None) -> None:
    assert currency_code(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("us", "US"), ("za", "ZA"), ("GB", "GB"), ("gbr", "GB"), ("UK", "GB"), ("United States", "US"),
    ("United Kingdom", "GB"), ("Russia", "RU"), ("South Korea", "KR"), ("Vietnam", "VN"), ("Turkey", "TR"),
    ("Türkiye", "TR"), ("Turkiye", "TR"), ("Czech Republic", "CZ"), ("Czechia", "CZ"),
    ("United Arab Emirates", "AE"), ("  united   states ", "US"), ("Niger", "NE"), ("Nigeria", "NG"),
    ("Georgia", "GE"), ("Curaçao", "CW"), ("Curacao", "CW"), ("Sint Maarten", "SX"),
    # ambiguous or not an ISO 3166-1 country: never guessed
    ("Korea", None), ("Virgin Islands", None), ("Kosovo", None), ("EU", None), ("XX", None),
    ("United", None), ("", None), (None, None), ("12", None),
])
def test_country_code(value: str | None, expected: str | None) -> None:
    assert country_code(value) == expected


# Every OLI spelling whose answer is not obvious from its text, with the country it names.
OLI_TRICKY = {
    "Congo, the Democratic Republic": "CD",      # cut at 30 characters
    "Lao People's Democratic Republ": "LA",      # cut at 30 characters
    "Saint Vincent and the Grenadin": "VC",      # cut at 30 characters
    "Saint Vincent and Grenadin": "VC", "Congo": "CG", "CW": "CW", "Kazakstan": "KZ", "Swaziland": "SZ",
    "Macedonia": "MK", "North Macedonia": "MK", "Cape Verde": "CV", "Palestinian Territories": "PS",
    "Tanzania, United Republic of": "TZ", "Iran, Islamic Republic of": "IR", "Syrian Arab Republic": "SY",
    "Cote D'Ivoire": "CI", "Cote d'Ivoire": "CI", "St. Kitts": "KN", "St. Lucia": "LC", "Lao PDR": "LA",
    "Reunion": "RE", "Brunei": "BN", "Bolivia": "BO", "Moldova": "MD", "Taiwan": "TW",
}


def test_oli_country_list() -> None:
    path = FIXTURES / "oli" / "countries_regions.txt"
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    names = [line.split(";")[0] for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    assert len(names) > 190
    unresolved = sorted(n for n in names if country_code(n) is None)
    assert unresolved == ["Kosovo", "Northern Cyprus"]  # documented: no ISO 3166-1 code
    for name, code in OLI_TRICKY.items():
        assert name in names
        assert country_code(name) == code, name
    # plain names resolve to themselves in pycountry terms
    assert country_code("Germany") == "DE" and country_code("Hong Kong") == "HK"


def test_to_utc_formats() -> None:
    expected = datetime(2021, 9, 20, 8, 48, 8, tzinfo=UTC)
    assert to_utc(1632127688) == expected
    assert to_utc("1632127688") == expected
    assert to_utc(Decimal("1632127688.5")) == expected + timedelta(microseconds=500000)
    assert to_utc("2021-09-20T08:48:08Z") == expected
    assert to_utc("2021-09-20T10:48:08+02:00") == expected
    assert to_utc("Mon, 20 Sep 2021 08:48:08 +0000") == expected
    assert to_utc("Mon, 20 Sep 2021 09:48:08 +0100") == expected
    assert to_utc("Mon, 20 Sep 2021 08:48:08 -0000") == expected   # RFC 5322: UTC, zone unknown
    assert to_utc("Mon, 20 Sep 2021 08:48:08 GMT") == expected
    assert to_utc(datetime(2021, 9, 20, 4, 48, 8, tzinfo=timezone(timedelta(hours=-4)))) == expected
    assert to_utc(expected).tzinfo == UTC


def test_to_utc_naive_needs_a_zone() -> None:
    when, reason = to_utc_checked("2021-09-20 08:48:08")
    assert when is None and "naive" in reason
    assert to_utc(datetime(2021, 9, 20, 8, 48, 8)) is None
    assert to_utc("2021-09-20 09:48:08", "Europe/London") == datetime(2021, 9, 20, 8, 48, 8, tzinfo=UTC)
    assert to_utc("2021-09-20 08:48:08", "UTC") == datetime(2021, 9, 20, 8, 48, 8, tzinfo=UTC)
    assert to_utc_checked("2021-09-20 08:48:08", "Mars/Olympus")[1].startswith("unknown time zone")


@pytest.mark.parametrize("value", [1632127688000, -1, "garbage", True, "1e9999", float("nan"), "  "])
def test_to_utc_refuses(value: object) -> None:
    assert to_utc(value) is None  # type: ignore[arg-type]


def test_to_utc_reasons() -> None:
    assert to_utc_checked(None) == (None, None)
    assert "milliseconds" in to_utc_checked(1632127688000)[1]
    assert "RFC 822" in to_utc_checked("yesterday")[1]
