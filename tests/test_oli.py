"""OLI back-series import on the real fixture files, and our OLI-comparable series with its gaps."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import FIXTURES
from tests.helpers import T0, land_run, listing
from warehouse import db
from warehouse.load import load_pending
from warehouse.marts import refresh_marts, set_param
from warehouse.oli import OLI_DOI, OliFileError, import_oli_levels_monthly, import_oli_series

DAILY = FIXTURES / "oli" / "oli11data_2020-04-01_to_2020-05-11.csv"
LEVELS = FIXTURES / "oli" / "oli_levels_monthly.csv"
LABEL = "oli11_2020"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = db.utc_session(duckdb.connect(":memory:", config=db.NO_NETWORK))
    db.migrate(c)
    yield c
    c.close()


def _total(con: duckdb.DuckDBPyConnection, day: str) -> tuple:
    return con.execute(
        "SELECT listings_new, ma28, index_value FROM mart.oli_index WHERE series = ? AND day = ? "
        "AND oli_occupation = 'Total'", [f"oli:{LABEL}", date.fromisoformat(day)]).fetchone()


def test_daily_file_imports_with_provenance_and_is_idempotent(con) -> None:
    assert import_oli_series(con, DAILY, LABEL) == 663
    assert import_oli_series(con, DAILY, LABEL) == 0  # same file, same label: nothing changes
    assert con.execute("SELECT count(*) FROM core.oli_backseries").fetchone() == (663,)
    sha = hashlib.sha256(DAILY.read_bytes()).hexdigest()
    assert con.execute(
        "SELECT file_name, file_sha256, doi, licence, first_day, last_day FROM core.oli_import").fetchone() == (
        DAILY.name, sha, OLI_DOI, "CC BY 4.0", date(2020, 4, 1), date(2020, 5, 11))


def test_real_gaps_stay_gaps_and_zero_counts_are_zero(con) -> None:
    import_oli_series(con, DAILY, LABEL)
    raw = pd.read_csv(DAILY)
    # 2020-04-01 Clerical and data entry: es 5 + ph 63 + ru 8 = 76 (first three data lines of the file).
    (clerical,) = con.execute(
        "SELECT listings_new FROM mart.oli_index WHERE day = DATE '2020-04-01' "
        "AND oli_occupation = 'Clerical and data entry'").fetchone()
    assert clerical == 76
    # The deposit has no es rows on 2020-05-09 and no es/ru rows on 2020-05-10: those totals are gaps.
    assert _total(con, "2020-05-09")[0] is None and _total(con, "2020-05-10")[0] is None
    gaps = con.execute(
        "SELECT day, domain FROM mart.oli_backseries_daily WHERE NOT observed GROUP BY ALL ORDER BY ALL").fetchall()
    assert gaps == [(date(2020, 5, 9), "es"), (date(2020, 5, 10), "es"), (date(2020, 5, 10), "ru")]
    # ph, present on 2020-05-09, still has its count there (the gap is per domain).
    (ph,) = con.execute("SELECT sum(vacancies_new) FROM mart.oli_backseries_daily "
                        "WHERE day = DATE '2020-05-09' AND domain = 'ph'").fetchone()
    assert ph == raw[(raw.timestamp == "2020-05-09") & (raw.domain == "ph")]["count"].sum() == 453
    # An occupation absent on an observed (day, domain) is 0: Professional services, es, 2020-05-08.
    assert con.execute(
        "SELECT vacancies_new FROM mart.oli_backseries_daily WHERE day = DATE '2020-05-08' AND domain = 'es' "
        "AND occupation = 'Professional services'").fetchone() == (0,)


def test_moving_average_and_index_respect_gaps(con) -> None:
    import_oli_series(con, DAILY, LABEL)
    raw = pd.read_csv(DAILY)
    daily = raw.groupby("timestamp")["count"].sum()
    first28 = daily.loc["2020-04-01":"2020-04-28"]
    assert len(first28) == 28
    # 28th day: the first full window; it is also the default base period, so the index is exactly 100.
    n, ma, index = _total(con, "2020-04-28")
    assert ma == pytest.approx(first28.mean()) and index == pytest.approx(100.0)
    assert _total(con, "2020-04-27")[1] is None  # window not yet full
    # 2020-05-08: window 04-11..05-08, all observed.
    assert _total(con, "2020-05-08")[1] == pytest.approx(daily.loc["2020-04-11":"2020-05-08"].mean())
    # Strict default (28 of 28 days): every window holding 05-09 or 05-10 has no average.
    assert _total(con, "2020-05-09")[1] is None and _total(con, "2020-05-11")[1] is None
    # Relaxed to 26 days: 05-11's window 04-14..05-11 has 26 observed days; their mean, gaps left out.
    set_param(con, "oli_ma_min_days", 26, basis="convention", source="test", note="relaxed")
    observed = daily.loc["2020-04-14":"2020-05-11"].drop(["2020-05-09", "2020-05-10"])
    assert len(observed) == 26
    _, ma, index = _total(con, "2020-05-11")
    assert ma == pytest.approx(observed.mean())
    assert index == pytest.approx(observed.mean() / first28.mean() * 100)


def test_configured_base_period_and_occupations_scaled_by_total(con) -> None:
    import_oli_series(con, DAILY, LABEL)
    set_param(con, "oli_base_start", date(2020, 4, 6), basis="convention", source="test", note="week base")
    set_param(con, "oli_base_end", date(2020, 4, 12), basis="convention", source="test", note="week base")
    raw = pd.read_csv(DAILY)
    base = raw[(raw.timestamp >= "2020-04-06") & (raw.timestamp <= "2020-04-12")].groupby("timestamp")["count"].sum()
    window = raw[(raw.timestamp >= "2020-04-11") & (raw.timestamp <= "2020-05-08")]
    creative = window[window.occupation == "Creative and multimedia"].groupby("timestamp")["count"].sum()
    (index,) = con.execute(
        "SELECT index_value FROM mart.oli_index WHERE day = DATE '2020-05-08' "
        "AND oli_occupation = 'Creative and multimedia'").fetchone()
    # As in the OLI, an occupation's index is its average over the TOTAL base (occupations add up to Total).
    assert index == pytest.approx(creative.sum() / 28 / base.mean() * 100)


def test_levels_table_is_flagged_as_derived_third_party(con) -> None:
    assert import_oli_levels_monthly(con, LEVELS, "wakuma_levels", derived_by="a third party") == 100 * 8
    row = con.execute(
        "SELECT level, definition, doi FROM mart.oli_levels_monthly WHERE month = DATE '2016-05-01' "
        "AND occupation = 'Total'").fetchone()
    assert row[0] == pytest.approx(100.0) and "third party" in row[1] and "not the official" in row[1]
    (note,) = con.execute("SELECT note FROM core.oli_import WHERE kind = 'monthly_levels_third_party'").fetchone()
    assert note.startswith("DERIVED THIRD-PARTY TABLE")


@pytest.mark.parametrize(("content", "error"), [
    ("date,occupation,status,domain,count\n", "header"),
    ("timestamp,occupation,status,domain,count\n2020-04-01,Clerical and data entry,new,es,-1\n", "whole"),
    ("timestamp,occupation,status,domain,count\n2020-04-01,Cooking,new,es,1\n", "not an OLI occupation"),
    ("timestamp,occupation,status,domain,count\n2020-04-01,Writing and translation,new,es,1\n"
     "2020-04-01,Writing and translation,new,es,2\n", "duplicate"),
])
def test_malformed_daily_files_import_nothing(con, tmp_path: Path, content: str, error: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(OliFileError, match=error):
        import_oli_series(con, bad, "bad")
    assert con.execute("SELECT count(*) FROM core.oli_backseries").fetchone() == (0,)


def test_our_series_days_without_crawls_are_null_not_zero(home: Path) -> None:
    day = timedelta(days=1)
    land_run(T0, [listing("A", 1, title="Answer a survey A")])
    land_run(T0 + 2 * day, [listing("A", 1, title="Answer a survey A"), listing("B", 1, title="Answer a survey B"),
                            listing("T", 1, title="Transcribe audio clip")])
    c = db.connect()
    load_pending(c)
    refresh_marts(c)
    got = c.execute(
        "SELECT day, listings_new, observed FROM mart.oli_daily WHERE oli_occupation = 'Clerical and data entry' "
        "ORDER BY day").fetchall()
    # Day 1: A new; day 2: no crawl -> NULL (a gap); day 3: B and T new (survey, transcription: both
    # Clerical and data entry in the crosswalk).
    d0 = T0.date()
    assert got == [(d0, 1, True), (d0 + day, None, False), (d0 + 2 * day, 2, True)]
    c.close()
