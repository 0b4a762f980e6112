"""Migration 004's marts on hand-built crawls: classification, the three regions, flows, hourly pay.

Every expected figure below is worked out by hand in the comments from the listings' rewards and times;
exchange rates and minimum wages are the real reference data (ECB, ref.minimum_wage), read once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from observatory import taxonomy
from tests.helpers import T0, land_run, listing
from warehouse import db, reference
from warehouse.load import load_pending
from warehouse.marts import refresh_marts, set_param

H = timedelta(hours=1)
DAY1 = date(2026, 9, 1)
MIGRATION_004 = Path(__file__).resolve().parents[1] / "warehouse" / "migrations" / "004_marts_regions_wages.sql"
_REF_INSERT = {
    "fx_rate": "INSERT INTO ref.fx_rate BY NAME SELECT * FROM _ref_copy",
    "minimum_wage": "INSERT INTO ref.minimum_wage BY NAME SELECT * FROM _ref_copy",
}


@pytest.fixture(scope="module")
def real_ref() -> dict[str, pd.DataFrame]:
    """The real ECB rates around the test days and every minimum wage row, loaded once per module."""
    con = db.utc_session(duckdb.connect(":memory:", config=db.NO_NETWORK))
    db.migrate(con)
    reference.load_reference(con, oli_path=None)
    frames = {
        "fx_rate": con.execute(
            "SELECT * FROM ref.fx_rate WHERE rate_date BETWEEN DATE '2026-08-20' AND DATE '2026-09-10'").df(),
        "minimum_wage": con.execute("SELECT * FROM ref.minimum_wage").df(),
    }
    con.close()
    return frames


def _item(listing_id: str, slots: int, *, title: str, reward: str = "0.10", currency: str = "USD",
          countries: list[str] | None = None, estimate: int | None = None, allotted: int | None = 600,
          employer: str | None = None, location_country: str | None = None,
          expires_in: timedelta | None = None) -> dict[str, Any]:
    item = listing(listing_id, slots, reward=reward, countries=countries, title=title,
                   expires=T0 + expires_in if expires_in else None)
    item.update(reward_currency=currency, time_estimate_s=estimate, time_allotted_s=allotted,
                employer_country=employer)
    if location_country:
        item["location"] = {"lat": 1.0, "lon": 2.0, "locality": "x", "region_code": None,
                            "country": location_country}
    return item


def _warehouse(real_ref: dict[str, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    con = db.connect()
    for table, frame in real_ref.items():
        con.register("_ref_copy", frame)
        con.execute(_REF_INSERT[table])
        con.unregister("_ref_copy")
    load_pending(con)
    refresh_marts(con)
    return con


def _usd_per_eur(con: duckdb.DuckDBPyConnection, day: date) -> Decimal:
    """The ECB USD rate of `day` or the nearest earlier rate date, read straight from ref.fx_rate."""
    (rate,) = con.execute(
        "SELECT arg_max(units_per_eur, rate_date) FROM ref.fx_rate WHERE currency = 'USD' AND rate_date <= ?",
        [day]).fetchone()
    return Decimal(rate)


# ---------------------------------------------------------------------------------------------------
# classification


def test_refresh_classifies_new_listings_only_and_matches_python(home: Path, real_ref) -> None:
    titles = {"S": "Answer a short survey about shopping", "T": "Transcribe 2 minutes of audio",
              "R": "Write a 5 star review on Amazon for our product", "O": "Zzz qqq"}
    land_run(T0, [_item(k, 1, title=t) for k, t in titles.items()])
    con = _warehouse(real_ref)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT listing_id, task_type, rule_id, oli_occupation, oli_microwork, astroturf, taxonomy_version "
        "FROM core.listing_class").fetchall()}
    for key, title in titles.items():
        c = taxonomy.classify(title, None, None, None)
        assert got[key] == (c.task_type, c.rule_id, c.oli_occupation, c.oli_microwork, c.astroturf,
                            taxonomy.taxonomy_version()), key
    assert got["R"][4] is True and got["O"][0] == "other"
    (first_at,) = con.execute("SELECT classified_at FROM core.listing_class WHERE listing_id = 'S'").fetchone()
    con.close()

    land_run(T0 + H, [_item(k, 1, title=t) for k, t in titles.items()] + [_item("N", 1, title="Fill a survey")])
    con = db.connect()
    load_pending(con)
    refresh_marts(con)
    rows = dict(con.execute("SELECT listing_id, classified_at FROM core.listing_class").fetchall())
    assert len(rows) == 5 and rows["S"] == first_at  # old rows untouched, the new one added
    con.close()


def test_refresh_finds_new_listings_without_the_full_anti_join_and_falls_back_when_counts_differ(
        home: Path, real_ref, monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse import marts
    land_run(T0, [_item("S", 1, title="Answer a short survey about shopping")])
    con = _warehouse(real_ref)
    con.close()
    land_run(T0 + H, [_item("S", 1, title="Answer a short survey about shopping"),
                      _item("T", 1, title="Transcribe 2 minutes of audio")])
    full = marts._PENDING_SQL
    monkeypatch.setattr(marts, "_PENDING_SQL", "SELECT error('the full anti-join ran')")
    con = db.connect()
    load_pending(con)
    refresh_marts(con)  # the new listing T comes from the runs loaded since the last classification
    assert dict(con.execute("SELECT listing_id, task_type FROM core.listing_class").fetchall()) == {
        "S": "survey", "T": "transcription"}
    # A listing the shortcut cannot see (its first run loaded before the last classification, as a row
    # written outside the loader or a clock set back would leave it): the row counts differ, so the full
    # anti-join runs and classifies it.
    con.execute("INSERT INTO core.listing SELECT * REPLACE ('U' AS listing_id, 'Fill a survey' AS title) "
                "FROM core.listing WHERE listing_id = 'S'")
    with pytest.raises(duckdb.Error, match="the full anti-join ran"):
        refresh_marts(con)
    monkeypatch.setattr(marts, "_PENDING_SQL", full)
    refresh_marts(con)
    assert con.execute("SELECT task_type FROM core.listing_class WHERE listing_id = 'U'").fetchall() == [
        ("survey",)]
    assert con.execute(marts._UNCLASSIFIED_COUNT_SQL).fetchone() == (0,)
    con.close()


# ---------------------------------------------------------------------------------------------------
# daily_region_task: three meanings of region, stock at the source's last crawl, flows, currencies


def test_daily_region_task_regions_stock_flows_and_currencies(home: Path, real_ref) -> None:
    a = dict(title="Answer a survey A", countries=["US"], employer="US")
    b = dict(title="Answer a survey B", countries=["FR"], reward="0.20", currency="EUR", expires_in=2 * H)
    c = dict(title="Answer a survey C")
    d = dict(title="Answer a survey D", countries=["US"], location_country="NL")
    land_run(T0, [_item("A", 10, **a), _item("B", 5, **b), _item("C", 3, **c)])       # baseline
    land_run(T0 + H, [_item("A", 6, **a), _item("B", 4, **b), _item("C", 3, **c)])   # A -4, B -1 done
    land_run(T0 + 3 * H, [_item("C", 3, **c)])        # A vanished before expiry: 6 done; B after: 4 expired
    land_run(T0 + 24 * H, [_item("C", 1, **c), _item("D", 7, **d)])                  # day 2: C -2, D new
    con = _warehouse(real_ref)
    cols = ("listings_new", "listings_open", "slots_available", "slots_arrived", "slots_completed",
            "slots_expired", "vanished_listings", "reward_completed", "crawls_used")
    # One row per currency too: key (day, kind, region, currency); B is the only EUR listing.
    rows = {r[:4]: dict(zip(cols, r[4:], strict=True)) for r in con.execute(
        f"SELECT day, region_kind, region, reward_currency, {', '.join(cols)} "  # noqa: S608 (constant names)
        "FROM mart.daily_region_task WHERE task_type = 'survey'").fetchall()}
    day2 = DAY1 + timedelta(days=1)
    # Day 1, US workers: A arrived before we looked (baseline), 4 + 6 completed at 0.10 USD = 1.00;
    # A is gone at the day's last crawl (03:00), so nothing is open, whatever earlier crawls saw.
    assert rows[(DAY1, "worker_eligibility", "US", "USD")] == dict(
        listings_new=1, listings_open=0, slots_available=0, slots_arrived=0, slots_completed=10,
        slots_expired=0, vanished_listings=1, reward_completed=Decimal("1.00"), crawls_used=3)
    # FR: 1 completed at 0.20 EUR, the 4 left expired (vanished after expiry): kept apart.
    fr = rows[(DAY1, "worker_eligibility", "FR", "EUR")]
    assert (fr["slots_completed"], fr["slots_expired"], fr["reward_completed"]) == (1, 4, Decimal("0.20"))
    assert rows[(DAY1, "worker_eligibility", "ALL", "USD")]["listings_open"] == 1
    assert rows[(DAY1, "worker_eligibility", "ALL", "USD")]["slots_available"] == 3
    # Employer country: A's employer is US; B and C publish none -> UNKNOWN. On-site: only D (NL).
    assert rows[(DAY1, "employer_country", "US", "USD")]["slots_completed"] == 10
    assert rows[(DAY1, "employer_country", "UNKNOWN", "EUR")]["slots_expired"] == 4
    assert [k for k in rows if k[1] == "onsite_location"] == [(day2, "onsite_location", "NL", "USD")]
    assert rows[(day2, "onsite_location", "NL", "USD")]["listings_open"] == 1
    # Day 2: D is new with 7 tasks (arrived), C fell 3 -> 1 (2 completed x 0.10 = 0.20 USD); one crawl.
    assert rows[(day2, "worker_eligibility", "US", "USD")] == dict(
        listings_new=1, listings_open=1, slots_available=7, slots_arrived=7, slots_completed=0,
        slots_expired=0, vanished_listings=0, reward_completed=Decimal("0"), crawls_used=1)
    assert rows[(day2, "worker_eligibility", "ALL", "USD")]["reward_completed"] == Decimal("0.20")
    # EUR -> USD at the ECB rate of 2026-09-01 (or the nearest earlier rate date): 0.20 EUR x USD/EUR.
    usd, eur = con.execute(
        "SELECT reward_completed_usd, reward_completed_eur FROM mart.daily_region_task "
        "WHERE day = ? AND region_kind = 'worker_eligibility' AND region = 'FR'", [DAY1]).fetchone()
    assert eur == Decimal("0.20")
    assert usd == (Decimal("0.20") * _usd_per_eur(con, DAY1)).quantize(Decimal("0.000001"))
    con.close()


# ---------------------------------------------------------------------------------------------------
# daily_volume: the stale-stock fix


def _fixed_daily_volume_sql() -> str:
    text = MIGRATION_004.read_text(encoding="utf-8")
    start = text.index("CREATE OR REPLACE VIEW mart.daily_volume AS")
    return text[start: text.index("SELECT * FROM final;", start) + len("SELECT * FROM final;")]


def _stale_stock_runs() -> None:
    land_run(T0, [listing("U", 10, countries=["US"]), listing("W", 2)])
    land_run(T0 + H, [listing("U", 7, countries=["US"]), listing("W", 2)])
    land_run(T0 + 2 * H, [listing("W", 1)])  # every US listing gone at the day's last crawl


def _us_row(con: duckdb.DuckDBPyConnection) -> tuple:
    return con.execute(
        "SELECT listings_open, slots_available, slots_available_mean, crawls_used FROM mart.daily_volume "
        "WHERE worker_country = 'US'").fetchone()


def test_daily_volume_fix_reads_stock_at_the_sources_last_crawl(home: Path, real_ref) -> None:
    _stale_stock_runs()
    con = _warehouse(real_ref)
    con.execute(_fixed_daily_volume_sql())
    # Stock at the source's last crawl (02:00) had no US listing: 0, not the 7 seen at 01:00. The mean
    # over the day's 3 crawls counts that crawl as 0: (10 + 7 + 0) / 3. Crawls used: the source's 3.
    assert _us_row(con) == (0, 0, pytest.approx(17 / 3), 3)
    assert con.execute("SELECT listings_open, slots_available, crawls_used FROM mart.daily_volume "
                       "WHERE worker_country = 'ALL'").fetchone() == (1, 1, 3)
    con.close()


def test_shipped_daily_volume_has_the_fix(home: Path, real_ref) -> None:
    _stale_stock_runs()
    con = _warehouse(real_ref)
    assert _us_row(con)[:2] == (0, 0)
    con.close()


# ---------------------------------------------------------------------------------------------------
# hourly pay and weighted quantiles, by hand


def _wage_runs() -> None:
    """Six per-task survey listings in USD, two crawls an hour apart on 2026-09-01.

    listing  workers  employer  reward  time                      hourly paid      done (slots)
    L1       US       DE        0.50    600 s stated              0.50*6   = 3.00   6 (10 -> 4)
    L2       US       DE        1.00    300 s stated              1.00*12  = 12.00  2 (5 -> 3)
    L3       US       DE        0.10    60 s allotted, x share 1  0.10*60  = 6.00   3 (8 -> 5)
    L4       US       DE        2.00    900 s stated              2.00*4   = 8.00   1 (2 -> 1)
    L5       anyone   -         0.05    30 s allotted, x share 1  0.05*120 = 6.00   1 (4 -> 3)
    L6       IT (on site IT) -  0.50    600 s stated              3.00              2 (3 -> 1)
    """
    spec = {
        "L1": (dict(reward="0.50", countries=["US"], employer="DE", estimate=600), 10, 4),
        "L2": (dict(reward="1.00", countries=["US"], employer="DE", estimate=300), 5, 3),
        "L3": (dict(reward="0.10", countries=["US"], employer="DE", allotted=60), 8, 5),
        "L4": (dict(reward="2.00", countries=["US"], employer="DE", estimate=900), 2, 1),
        "L5": (dict(reward="0.05", allotted=30), 4, 3),
        "L6": (dict(reward="0.50", countries=["IT"], location_country="IT", estimate=600), 3, 1),
    }
    land_run(T0, [_item(k, before, title=f"Answer a short survey {k}", **kw) for k, (kw, before, _) in spec.items()])
    land_run(T0 + H, [_item(k, after, title=f"Answer a short survey {k}", **kw) for k, (kw, _, after) in spec.items()])


def _wages(con: duckdb.DuckDBPyConnection, kind: str, region: str, basis: str = "tasks_completed") -> dict:
    cur = con.execute(
        "SELECT * FROM mart.daily_wages WHERE region_kind = ? AND region = ? AND weight_basis = ? "
        "AND task_type = 'survey'", [kind, region, basis])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0], strict=True))


def test_hourly_pay_rows_say_how_time_was_got(home: Path, real_ref) -> None:
    _wage_runs()
    con = _warehouse(real_ref)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT listing_id, weight, time_basis, time_per_task_s, share_of_allotted_worked, hourly_paid_usd, "
        "hourly_incl_unpaid_usd FROM mart.hourly_pay WHERE weight_basis = 'tasks_completed'").fetchall()}
    assert got["L1"][:5] == (6, "stated", 600.0, None, Decimal("3.000000"))
    assert got["L3"][:5] == (3, "modelled", 60.0, 1.0, Decimal("6.000000"))
    # Including unpaid time: 3.00 / (4.43 / 3.31) = 3.00 * 3.31 / 4.43 = 2.241535 (ILO 2018 ratio).
    assert got["L1"][5] == Decimal("2.241535")
    con.close()


def test_weighted_percentiles_and_below_minimum_by_hand(home: Path, real_ref) -> None:
    _wage_runs()
    con = _warehouse(real_ref)
    us = _wages(con, "worker_eligibility", "US")
    # US, weighted by tasks completed: 3.00 x6, 6.00 x3, 8.00 x1, 12.00 x2 -> total 12, cumulative 6, 9, 10, 12.
    # p10: cum >= 1.2 -> 3.00; p25: >= 3 -> 3.00; p50: >= 6 -> 3.00 (exactly 6/12 = 0.5 counts);
    # p75: >= 9 -> 6.00 (exactly); p90: >= 10.8 -> 12.00. (Unweighted, the median would be 6.00.)
    assert [us[f"hourly_paid_usd_p{p}"] for p in (10, 25, 50, 75, 90)] == [
        Decimal(v) for v in ("3", "3", "3", "6", "12")]
    assert (us["tasks_weight"], us["tasks_weight_timed"], us["tasks_weight_modelled"]) == (12, 12, 3)
    # US federal minimum 7.25 USD/h (FLSA). Paid time: 3.00 (6) and 6.00 (3) are below -> 9/12 = 0.75.
    # With unpaid time (/1.3384): 2.24, 4.48, 5.98 (L4 8.00) below, 8.97 (L2) not -> 10/12.
    assert (us["minimum_wage_basis"], us["minimum_wage_usd"]) == ("worker_country_national", Decimal("7.25"))
    assert us["share_below_minimum_paid"] == pytest.approx(0.75)
    assert us["share_below_minimum_incl_unpaid"] == pytest.approx(10 / 12)
    assert us["share_of_allotted_worked"] == 1.0

    # Same tasks by employer country DE: Germany's 13.90 EUR/h (MiLoG, from 2026-01-01) in USD at the
    # day's ECB rate is above every value, so all 12 tasks are below.
    de = _wages(con, "employer_country", "DE")
    assert de["minimum_wage_basis"] == "employer_country_national"
    assert de["minimum_wage_local"] == Decimal("13.9000") and de["minimum_wage_currency"] == "EUR"
    assert de["minimum_wage_usd"] == (Decimal("13.90") * _usd_per_eur(con, DAY1)).quantize(Decimal("0.000001"))
    assert de["share_below_minimum_paid"] == pytest.approx(1.0)

    # Worldwide task: compared with the US federal minimum, and says so.
    world = _wages(con, "worker_eligibility", "ALL")
    assert (world["minimum_wage_basis"], world["hourly_paid_usd_p50"]) == ("us_federal_for_worldwide", Decimal("6"))
    assert world["share_below_minimum_paid"] == pytest.approx(1.0)
    # Italy has no statutory minimum; an unknown employer country has none to compare: NULL, not 0.
    for kind, region, basis in (("worker_eligibility", "IT", "no_statutory_minimum"),
                                ("onsite_location", "IT", "no_statutory_minimum"),
                                ("employer_country", "UNKNOWN", "region_unknown")):
        row = _wages(con, kind, region)
        assert row["minimum_wage_basis"] == basis
        assert row["share_below_minimum_paid"] is None and row["minimum_wage_usd"] is None

    # Weighted by tasks available at the day's last crawl: 3.00 x4, 6.00 x5, 8.00 x1, 12.00 x3 -> total 13,
    # cumulative 4, 9, 10, 13: p50 needs >= 6.5 -> 6.00.
    assert _wages(con, "worker_eligibility", "US", "tasks_available")["hourly_paid_usd_p50"] == Decimal("6")
    con.close()


def test_modelled_time_share_is_a_visible_parameter(home: Path, real_ref) -> None:
    _wage_runs()
    con = _warehouse(real_ref)
    set_param(con, "share_of_allotted_worked", 0.5, basis="assumption", source="test",
              note="sensitivity: half the allotted time worked")
    # L3 now takes 30 s: 0.10 * 120 = 12.00. US: 3.00 x6, 8.00 x1, 12.00 x5 -> cumulative 6, 7, 12;
    # p75 (>= 9) = 12.00; below 7.25 only L1 -> 6/12.
    us = _wages(con, "worker_eligibility", "US")
    assert us["hourly_paid_usd_p75"] == Decimal("12") and us["share_of_allotted_worked"] == 0.5
    assert us["share_below_minimum_paid"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="cannot exceed"):
        set_param(con, "share_of_allotted_worked", 1.5, basis="assumption", source="t", note="t")
    with pytest.raises(KeyError):
        set_param(con, "no_such_param", 1.0, basis="assumption", source="t", note="t")
    con.close()

