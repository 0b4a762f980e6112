"""Researchers' access: the public views and their dictionary, read-only SQL, Parquet export, citation."""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from crawlers.pipelines import pseudonymise
from tests.conftest import ROOT
from tests.helpers import T0, land_run, listing
from warehouse import db
from warehouse.dictionary import (
    DEFAULT_PATH,
    check_dictionary,
    fresh_catalog,
    methodology_anchors,
    methodology_problems,
    public_objects,
    render_dictionary,
    undocumented,
    write_dictionary,
)
from warehouse.export import export_parquet, verify_export
from warehouse.load import load_pending
from warehouse.publish import open_snapshot, publish
from warehouse.sql import QueryRefused, attach_snapshot, open_sandbox, run_readonly_sql

H = timedelta(hours=1)
# From the CFF 1.2.0 JSON schema (https://citation-file-format.github.io/1.2.0/schema.json): the only
# top-level keys it allows (additionalProperties: false) and the enum of reference types.
CFF_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi", "identifiers",
    "keywords", "license", "license-url", "message", "preferred-citation", "references", "repository",
    "repository-artifact", "repository-code", "title", "type", "url", "version",
}
CFF_REFERENCE_TYPES = {
    "art", "article", "audiovisual", "bill", "blog", "book", "catalogue", "conference-paper", "conference",
    "data", "database", "dictionary", "edited-work", "encyclopedia", "film-broadcast", "generic",
    "government-document", "grant", "hearing", "historical-work", "legal-case", "legal-rule",
    "magazine-article", "manual", "map", "multimedia", "music", "newspaper-article", "pamphlet", "patent",
    "personal-communication", "proceedings", "report", "serial", "slides", "software-code",
    "software-container", "software-executable", "software-virtual-machine", "software", "sound-recording",
    "standard", "statute", "thesis", "unpublished", "video", "website",
}
KEY = "test-key"
PSEUDONYM = pseudonymise("Jane Requester", KEY.encode())


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small published warehouse, built once: two months, a multi-country listing, a vanishing, a quarantine."""
    home = tmp_path_factory.mktemp("researchers") / "data"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OBSERVATORY_HOME", str(home))
        mp.setenv("OBSERVATORY_PSEUDONYM_KEY", KEY)
        named = listing("P", 4)
        named.update(requester_id="AREQ2", requester_name=PSEUDONYM)
        clear = listing("N", 2, expires=T0 + timedelta(days=60))
        clear.update(requester_id="AREQ3", requester_name="Jane Requester")  # never pseudonymised: must not leak
        bad = listing("NEG", 3)
        bad.update(reward_amount="-1", reward_currency="usd")
        land_run(T0, [listing("A", 10), listing("B", 5, countries=["US", "CA"], expires=T0 + 2 * H), named, clear])
        land_run(T0 + 20 * H, [listing("A", 14), listing("B", 5, countries=["US", "CA"], expires=T0 + 2 * H),
                               named, clear])
        later = T0 + timedelta(days=30)
        run = f"mturk-{later.strftime('%Y%m%dT%H%M%SZ')}-test"
        land_run(later, [listing("A", 6), named], run_id=run,
                 raw_items=[{**bad, "observed_at": "2026-10-01T00:00:00Z", "run_id": run, "raw_ref": "t#1"}])
        con = db.connect()
        try:
            from warehouse.marts import refresh_marts
            from warehouse.reference import load_reference

            load_reference(con)
            assert all(r.status == "loaded" for r in load_pending(con).results)
            refresh_marts(con)  # classifies the listings, as every pipeline load does
            from tests.conftest import FIXTURES
            from warehouse.oli import import_oli_series

            import_oli_series(con, FIXTURES / "oli" / "oli11data_2020-04-01_to_2020-05-11.csv", "oli11")
        finally:
            con.close()
        publish()
    return home / "published" / "warehouse.duckdb"


# --- the public views and their dictionary ---------------------------------------------------------


def test_checked_in_dictionary_is_current_and_every_public_column_is_documented() -> None:
    problems = check_dictionary(DEFAULT_PATH)
    assert problems == [], "\n".join(problems[:40]) + "\nrun `observatory dictionary` to regenerate"
    con = fresh_catalog()
    try:
        objects = public_objects(con)
        assert {o.name for o in objects} >= {
            "crawl_runs", "listings", "listing_changes", "daily_volume", "daily_volume_total", "crawl_volume",
            "source_freshness", "quarantine_summary"}
        assert all(o.comment and o.columns for o in objects)
        assert all((c.comment or "").strip() for o in objects for c in o.columns)
        assert undocumented(con) == []
        assert methodology_problems(con, ROOT / "docs" / "methodology.md") == []
    finally:
        con.close()


def test_dictionary_check_fails_on_a_stale_file_an_undocumented_column_and_a_broken_link(tmp_path: Path) -> None:
    path = tmp_path / "data-dictionary.md"
    assert check_dictionary(path)[0].endswith("does not exist: run `observatory dictionary`")
    write_dictionary(path)
    assert check_dictionary(path) == []
    path.write_text(path.read_text().replace("Platform key", "Platform name", 1))
    stale = check_dictionary(path)
    assert "is out of date" in stale[0] and any(line.startswith("-") and "Platform name" in line for line in stale)

    (tmp_path / "methodology.md").write_text("# Methodology\n\n## Definitions of the marts\n")
    con = fresh_catalog()
    try:
        con.execute("CREATE VIEW public.zz_new AS SELECT 1 AS a, 2 AS b, 3 AS c")
        con.execute("COMMENT ON COLUMN public.zz_new.a IS 'Derived: no link'")
        con.execute("COMMENT ON COLUMN public.zz_new.b IS 'Derived: see methodology.md#no-such-section'")
        assert {"public.zz_new has no comment", "public.zz_new.c has no comment"} <= set(undocumented(con))
        problems = methodology_problems(con, tmp_path / "methodology.md")
        assert "public.zz_new.a is derived but does not link its definition (methodology.md#<section>)" in problems
        assert any(p.startswith("public.zz_new.b links methodology.md#no-such-section") for p in problems)
        assert "## `public.zz_new`" in render_dictionary(con)  # later views are picked up with no change
    finally:
        con.close()


def test_public_views_select_explicit_columns() -> None:
    con = fresh_catalog()
    try:
        views = con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'public' AND NOT internal").fetchall()
    finally:
        con.close()
    assert views
    for name, sql in views:
        assert not re.search(r"(select|,)\s*(\w+\.)?\*", sql, re.IGNORECASE), f"public.{name} uses SELECT *"


def test_public_figures_equal_the_marts_they_publish(snapshot: Path) -> None:
    con = open_snapshot(snapshot)
    try:
        for view in ("daily_volume", "daily_volume_total", "crawl_volume", "source_freshness"):
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'public' AND table_name = ? "
                "ORDER BY column_index", [view]).fetchall()]
            listed = ", ".join(cols)
            public = con.execute(f"SELECT {listed} FROM public.{view} ORDER BY ALL").fetchall()
            mart = con.execute(f"SELECT {listed} FROM mart.{view} ORDER BY ALL").fetchall()
            assert public == mart and public, view
        totals = con.execute(
            "SELECT day, slots_arrived, slots_completed, slots_expired FROM public.daily_volume_total ORDER BY day"
        ).fetchall()
        # day 1: A rises 10->14; day 31: A falls 14->6, B (expired) and N vanish, P unchanged.
        assert totals == [(date(2026, 9, 1), 4, 0, 0), (date(2026, 10, 1), 0, 10, 5)]
    finally:
        con.close()


def test_listings_show_requester_pseudonyms_never_names(snapshot: Path) -> None:
    frame = run_readonly_sql("SELECT listing_id, requester_id, requester_pseudonym FROM public.listings "
                             "ORDER BY listing_id", snapshot)
    rows = {r.listing_id: (r.requester_id, r.requester_pseudonym) for r in frame.itertuples()}
    assert rows["P"] == ("AREQ2", PSEUDONYM)
    assert rows["N"][0] == "AREQ3" and pd.isna(rows["N"][1])
    everything = run_readonly_sql("SELECT * FROM public.listings", snapshot)
    assert "Jane Requester" not in everything.to_csv()


def test_quarantine_summary_counts_each_reason(snapshot: Path) -> None:
    frame = run_readonly_sql("SELECT stage, reason, records, run_started_at FROM public.quarantine_summary "
                             "ORDER BY reason", snapshot)
    assert list(frame.itertuples(index=False, name=None)) == [
        ("load", "reward_amount negative", 1, frame.run_started_at[0]),
        ("load", "reward_currency not an ISO 4217 code", 1, frame.run_started_at[0]),
    ]
    assert str(frame.run_started_at[0]) == "2026-10-01 00:00:00+00:00"


# --- read-only SQL ----------------------------------------------------------------------------------


def test_a_select_on_the_public_views_works_and_keeps_money_exact(snapshot: Path) -> None:
    frame = run_readonly_sql(
        "SELECT day, worker_country, slots_completed, reward_completed_usd FROM public.daily_volume "
        "WHERE day = DATE '2026-10-01' ORDER BY worker_country", snapshot)
    assert list(frame.worker_country) == ["ALL", "CA", "US"]
    assert list(frame.slots_completed) == [10, 0, 0]
    assert frame.reward_completed_usd[0] == Decimal("1.0") and isinstance(frame.reward_completed_usd[0], Decimal)
    assert frame.attrs["truncated"] is False


def test_rows_are_cut_at_max_rows(snapshot: Path) -> None:
    started = time.monotonic()  # streamed: a trillion-row result is not computed to show 25 rows
    frame = run_readonly_sql("SELECT * FROM range(1000000000000) AS t(i)", snapshot, max_rows=25, timeout_s=20)
    assert len(frame) == 25 and frame.attrs["truncated"] is True and list(frame.i[:3]) == [0, 1, 2]
    assert time.monotonic() - started < 10
    assert list(run_readonly_sql("DESCRIBE public.crawl_runs", snapshot).column_name)[:2] == ["run_id", "source"]


@pytest.mark.parametrize(("query", "message"), [
    ("CREATE TABLE public.x AS SELECT 1", "CREATE statement"),
    ("CREATE TEMP TABLE x AS SELECT 1", "CREATE statement"),
    ("INSERT INTO core.crawl_run SELECT * FROM core.crawl_run", "INSERT statement"),
    ("DELETE FROM core.listing", "DELETE statement"),
    ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH statement"),
    ("COPY (SELECT 1) TO '/tmp/researchers-copy.csv'", "COPY statement"),
    ("INSTALL httpfs", "LOAD statement"),
    ("LOAD httpfs", "LOAD statement"),
    ("SET enable_external_access = true", "SET statement"),
    ("SELECT 1; DROP VIEW public.listings", "one statement only: the query holds 2"),
    ("SELECT 1; SELECT 2", "one statement only"),
    ("SELECT * FROM read_csv('/etc/passwd')", "file, network and extension access are disabled"),
    ("SELECT * FROM glob('/etc/*')", "file, network and extension access are disabled"),
])
def test_anything_but_one_read_only_select_is_refused(snapshot: Path, query: str, message: str) -> None:
    with pytest.raises(QueryRefused, match=re.escape(message)):
        run_readonly_sql(query, snapshot)
    assert not Path("/tmp/researchers-copy.csv").exists()


@pytest.mark.parametrize(("statement", "message"), [
    ("CREATE TABLE public.x AS SELECT 1", "read-only mode"),
    ("INSERT INTO core.crawl_run SELECT * FROM core.crawl_run", "read-only mode"),
    ("ATTACH '/tmp/other.duckdb' AS other", "file system operations are disabled"),
    ("COPY (SELECT 1) TO '/tmp/researchers-copy.csv'", "file system operations are disabled"),
    ("INSTALL httpfs", "disabled"),
    ("LOAD httpfs", "disabled"),
    ("SET enable_external_access = true", "the configuration has been locked"),
    ("RESET enable_external_access", "the configuration has been locked"),
    ("SET lock_configuration = false", "the configuration has been locked"),
])
def test_the_sandbox_refuses_too_if_the_statement_check_were_bypassed(
        snapshot: Path, statement: str, message: str) -> None:
    con = open_sandbox(snapshot)
    try:
        with pytest.raises(duckdb.Error, match=re.escape(message)):
            con.execute(statement)
        assert con.execute("SELECT count(*) FROM public.crawl_runs").fetchone() == (3,)
    finally:
        con.close()
    assert not Path("/tmp/researchers-copy.csv").exists()


def test_the_sandbox_settings_do_not_leak_into_other_readers(snapshot: Path) -> None:
    sandbox = open_sandbox(snapshot)
    try:
        reader = open_snapshot(snapshot)  # sets its time zone: would fail on a locked, shared instance
        try:
            assert reader.execute("SELECT current_setting('enable_external_access')").fetchone() == (True,)
        finally:
            reader.close()
    finally:
        sandbox.close()


def test_a_long_query_is_stopped_with_a_timeout_error(snapshot: Path) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="longer than 0.3 s"):
        run_readonly_sql("SELECT count(*) FROM range(1000000000000) AS t(i) WHERE i % 7 = 3", snapshot,
                         timeout_s=0.3)
    assert time.monotonic() - started < 5
    assert len(run_readonly_sql("SELECT 1 AS one", snapshot)) == 1  # the next query runs normally


def test_no_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="observatory publish"):
        run_readonly_sql("SELECT 1", tmp_path / "published" / "warehouse.duckdb")


# --- Parquet export ---------------------------------------------------------------------------------


def test_export_round_trips_every_public_view_and_checksums_verify(snapshot: Path, tmp_path: Path) -> None:
    out = export_parquet(snapshot, tmp_path / "export")
    manifest = json.loads((out / "manifest.json").read_text())
    published = json.loads((snapshot.with_name("manifest.json")).read_text())
    assert manifest["snapshot"]["published_at"] == published["published_at"]
    assert manifest["exported_at"].endswith("Z")
    assert verify_export(out) == []

    con = attach_snapshot(snapshot)
    try:
        views = public_objects(con)
        assert sorted(v["view"] for v in manifest["views"]) == sorted(o.qualified for o in views)
        for obj in views:
            cols = ", ".join(f'"{c.name}"' for c in obj.columns)
            files = f"{out}/{obj.name}/**/*.parquet"
            expected = con.execute(f"SELECT {cols} FROM public.{obj.name} ORDER BY ALL").fetchall()
            got = con.execute(
                f"SELECT {cols} FROM read_parquet('{files}', hive_partitioning = true) ORDER BY ALL").fetchall()
            assert got == expected and expected, obj.name
            types = con.execute(f"DESCRIBE SELECT {cols} FROM read_parquet('{files}', hive_partitioning = true)")
            assert [r[1] for r in types.fetchall()] == [c.data_type for c in obj.columns], obj.name
            listed = [f for f in manifest["files"] if f["view"] == obj.qualified]
            assert sum(f["rows"] for f in listed) == len(expected)
    finally:
        con.close()

    parts = {f["path"] for f in manifest["files"]}
    assert {"crawl_runs/source=mturk/month=2026-09/data_0.parquet",
            "crawl_runs/source=mturk/month=2026-10/data_0.parquet",
            "source_freshness/source=mturk/data_0.parquet"} <= parts  # no time column: by source only
    sums = dict(reversed(line.split("  ", 1)) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == parts | {"manifest.json"}
    victim = out / "crawl_runs/source=mturk/month=2026-10/data_0.parquet"
    victim.write_bytes(victim.read_bytes()[:-1] + b"\0")
    assert verify_export(out) == ["crawl_runs/source=mturk/month=2026-10/data_0.parquet: checksum does not match"]


def test_export_refuses_a_directory_with_files_and_leaves_no_partial_output(snapshot: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "old.parquet").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        export_parquet(snapshot, busy)
    assert [p.name for p in tmp_path.iterdir()] == ["busy"]


# --- citation and researchers' guide -----------------------------------------------------------------


def test_citation_cff_is_valid_cff_1_2_0() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors"):  # required by the CFF 1.2.0 schema
        assert cff.get(key), key
    assert cff["cff-version"] == "1.2.0"
    assert set(cff) <= CFF_KEYS, set(cff) - CFF_KEYS
    assert cff["title"] == "Microwork observatory" and cff["type"] == "software"
    assert cff["authors"] == [{"name": "Microwork observatory contributors"}]
    assert cff["license"] == "MIT" and str(cff["version"]) == "0.1.0"
    assert str(cff["date-released"]) == "2026-11-28" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    assert cff["abstract"].strip() and all(isinstance(k, str) and k for k in cff["keywords"])
    for ref in cff["references"]:
        assert ref["type"] in CFF_REFERENCE_TYPES and ref["title"] and ref["authors"]
        assert all(a.get("family-names") or a.get("name") for a in ref["authors"])
    dois = {ref.get("doi") for ref in cff["references"]}
    assert "10.6084/m9.figshare.3761562" in dois
    assert next(r for r in cff["references"] if r["type"] == "data")["publisher"] == {"name": "figshare"}
    article = next(r for r in cff["references"] if r["type"] == "article")
    assert (article["journal"], article["volume"], article["start"], article["end"], article["year"]) == (
        "Technological Forecasting and Social Change", 137, 241, 248, 2018)


def test_researchers_guide_links_resolve() -> None:
    docs = ROOT / "docs"
    text = (docs / "researchers.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:\.\./)?[\w./-]+\.(?:md|cff))(?:#([\w-]+))?\)", text)
    assert {"methodology.md", "data-dictionary.md", "../CITATION.cff"} <= {target for target, _ in links}
    for target, anchor in links:
        path = (docs / target).resolve()
        assert path.is_file(), target
        if anchor:
            assert anchor in methodology_anchors(path), f"{target}#{anchor}"
    con = fresh_catalog()
    try:
        assert all(f"public.{o.name}" in text for o in public_objects(con))
    finally:
        con.close()
