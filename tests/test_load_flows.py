"""The loader's flow inference on hand-built sequences, and its idempotency and failure guarantees."""

from __future__ import annotations

import gzip
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import T0, land_run, listing
from warehouse import db
from warehouse.load import load_pending


def _load(home: Path):
    con = db.connect()
    try:
        return load_pending(con)
    finally:
        con.close()


def _states(listing_id: str) -> list[tuple]:
    con = db.connect()
    rows = con.execute(
        "SELECT flow_basis, slots_available, slots_arrived, slots_completed, slots_expired FROM core.listing_state "
        "WHERE listing_id = ? ORDER BY observed_at", [listing_id]).fetchall()
    con.close()
    return rows


def test_rise_fall_vanish_and_expiry(home: Path) -> None:
    h = timedelta(hours=1)
    land_run(T0, [listing("A", 10), listing("B", 5, expires=T0 + 2 * h), listing("C", 3)])
    land_run(T0 + h, [listing("A", 14), listing("B", 5, expires=T0 + 2 * h), listing("C", 1)])
    land_run(T0 + 2 * h, [listing("A", 6)])  # B expired, C vanished before expiry
    land_run(T0 + 3 * h, [listing("A", 6)])  # nothing moves: no state rows
    report = _load(home)
    assert [r.status for r in report.results] == ["loaded"] * 4
    assert _states("A") == [("baseline", 10, 0, 0, 0), ("rise", 14, 4, 0, 0), ("fall", 6, 0, 8, 0)]
    assert _states("B") == [("baseline", 5, 0, 0, 0), ("vanished_after_expiry", 0, 0, 0, 5)]
    assert _states("C") == [("baseline", 3, 0, 0, 0), ("fall", 1, 0, 2, 0), ("vanished_before_expiry", 0, 0, 1, 0)]

    con = db.connect()
    day = con.execute(
        "SELECT slots_arrived, slots_completed, slots_expired, reward_completed_usd, listings_new, "
        "listings_open, slots_available, crawls_used FROM mart.daily_volume WHERE worker_country = 'ALL'"
    ).fetchall()
    assert day == [(4, 11, 5, Decimal("1.1"), 3, 1, 6, 4)]
    current = con.execute("SELECT listing_id, slots_available FROM core.listing_current").fetchall()
    assert current == [("A", 6)]
    con.close()


def test_reappearing_listing_is_counted_again_from_its_new_stock(home: Path) -> None:
    h = timedelta(hours=1)
    land_run(T0, [listing("A", 4)])
    land_run(T0 + h, [listing("Z", 1)])
    land_run(T0 + 2 * h, [listing("A", 3), listing("Z", 1)])
    _load(home)
    assert [s[0] for s in _states("A")] == ["baseline", "vanished_before_expiry", "first_seen"]
    assert _states("Z") == [("first_seen", 1, 1, 0, 0)]


def test_low_coverage_and_failed_runs_are_kept_out_of_flows(home: Path) -> None:
    h = timedelta(hours=1)
    land_run(T0, [listing("A", 10), listing("B", 5)])
    land_run(T0 + h, [listing("A", 9)], reported=2000)  # saw 1 of 2000: a vanished B would be a lie
    land_run(T0 + 2 * h, [listing("A", 8)], status="failed")
    land_run(T0 + 3 * h, [listing("A", 7), listing("B", 5)])
    report = _load(home)
    used = [(r.used_for_flows, (r.excluded_reason or "")[:8]) for r in report.results]
    assert used == [(True, ""), (False, "coverage"), (False, "run stat"), (True, "")]
    assert _states("B") == [("baseline", 5, 0, 0, 0)]
    assert _states("A")[-1] == ("fall", 7, 0, 3, 0)
    con = db.connect()
    (last_seen,) = con.execute("SELECT last_seen_at FROM core.listing WHERE listing_id = 'A'").fetchone()
    assert last_seen == T0 + 3 * h
    con.close()


def test_worker_country_rows_and_multi_country_listings(home: Path) -> None:
    h = timedelta(hours=1)
    land_run(T0, [listing("U", 10, countries=["US"]), listing("UC", 4, countries=["US", "CA"]), listing("W", 2)])
    land_run(T0 + h, [listing("U", 7, countries=["US"]), listing("UC", 2, countries=["US", "CA"]), listing("W", 2)])
    _load(home)
    con = db.connect()
    rows = dict(con.execute(
        "SELECT worker_country, slots_completed FROM mart.daily_volume ORDER BY 1").fetchall())
    assert rows == {"ALL": 0, "CA": 2, "US": 5}
    (total,) = con.execute("SELECT slots_completed FROM mart.daily_volume_total").fetchone()
    assert total == 5  # each listing once
    con.close()


def test_loading_twice_changes_nothing(home: Path) -> None:
    land_run(T0, [listing("A", 10)])
    first = _load(home)
    con = db.connect()
    before = con.execute("SELECT count(*) FROM core.listing_state").fetchone()
    con.close()
    second = _load(home)
    assert [r.status for r in first.results] == ["loaded"]
    assert second.results == []  # nothing pending
    from observatory.landing import iter_manifests
    from warehouse.load import load_run

    con = db.connect()
    (path, manifest), = list(iter_manifests("mturk"))
    assert load_run(con, path, manifest).status == "skipped"
    assert con.execute("SELECT count(*) FROM core.listing_state").fetchone() == before
    con.close()


def test_corrupt_landing_file_fails_that_run_only_and_applies_nothing(home: Path) -> None:
    h = timedelta(hours=1)
    good = land_run(T0, [listing("A", 10)])
    bad = land_run(T0 + h, [listing("A", 5)])
    path = home / "landing" / "mturk" / f"{bad}.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"source": "mturk", "listing_id": "A", "slots_av'))
    report = _load(home)
    assert {r.run_id: r.status for r in report.results} == {good: "loaded", bad: "failed"}
    assert "checksum" in report.failed[0].error
    con = db.connect()
    assert con.execute("SELECT count(*) FROM core.crawl_run").fetchone() == (1,)
    assert con.execute("SELECT slots_available FROM core.listing_current").fetchall() == [(10,)]
    con.close()


def test_bad_rows_are_quarantined_with_reasons(home: Path) -> None:
    bad = listing("NEG", 3, reward="0.10")
    bad.update(reward_amount="-1", reward_currency="usd")
    run = land_run(T0, [listing("A", 10)], raw_items=[
        {**bad, "observed_at": "2026-09-01T00:00:00Z", "run_id": "mturk-20260901T000000Z-test", "raw_ref": "t#1"},
    ])
    report = _load(home)
    assert report.results[0].items == 1 and report.results[0].quarantined == 1
    con = db.connect()
    (reason,) = con.execute("SELECT reason FROM raw.quarantine WHERE run_id = ?", [run]).fetchone()
    assert "reward_amount negative" in reason and "ISO 4217" in reason
    con.close()


@pytest.mark.parametrize("hostile", ["'; DROP TABLE core.listing; --", "<script>alert(1)</script>"])
def test_hostile_text_is_stored_as_text(home: Path, hostile: str) -> None:
    land_run(T0, [listing("X", 1, title=hostile)])
    _load(home)
    con = db.connect()
    assert con.execute("SELECT title FROM core.listing").fetchone() == (hostile,)
    con.close()
