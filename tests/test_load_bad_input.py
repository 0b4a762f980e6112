"""Bad input at load time: refused with a reason in raw.quarantine, never half-applied, and the
published snapshot stays readable while a load runs and after one fails."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import T0, land_run, listing
from warehouse import db, load, publish
from warehouse.load import load_pending

RUN0 = "mturk-20260901T000000Z-test"


def _load():
    con = db.connect()
    try:
        return load_pending(con)
    finally:
        con.close()


def _reasons(run_id: str) -> list[str]:
    con = db.connect()
    try:
        return [r[0] for r in con.execute(
            "SELECT reason FROM raw.quarantine WHERE run_id = ? ORDER BY reason", [run_id]).fetchall()]
    finally:
        con.close()


def _raw(item: dict, **changes) -> dict:
    return {**item, "observed_at": "2026-09-01T00:00:00Z", "run_id": RUN0, "raw_ref": "t#1", **changes}


def test_missing_items_file_is_quarantined_and_nothing_loads(home: Path) -> None:
    run = land_run(T0, [listing("A", 10)])
    (home / "landing" / "mturk" / f"{run}.jsonl.gz").unlink()
    report = _load()
    assert [r.status for r in report.results] == ["failed"]
    assert "missing" in report.failed[0].error
    _load()  # retried: still one quarantine row, not one per attempt
    assert _reasons(run) == ["items file missing"]
    con = db.connect()
    assert con.execute("SELECT count(*) FROM core.crawl_run").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM raw.landing_run").fetchone() == (0,)
    con.close()


def test_corrupt_items_file_is_quarantined(home: Path) -> None:
    run = land_run(T0, [listing("A", 10)])
    (home / "landing" / "mturk" / f"{run}.jsonl.gz").write_bytes(b"not gzip")
    report = _load()
    assert "checksum" in report.failed[0].error
    assert _reasons(run) == ["items file does not match its manifest checksum"]


@pytest.mark.parametrize(("changes", "reason"), [
    ({"reward_amount": "-0.5"}, "reward_amount negative"),
    ({"reward_amount": "10000.01"}, "reward_amount absurd: above the per_task threshold"),
    ({"pay_basis": "hourly", "reward_amount": "25000"}, "reward_amount absurd: above the hourly threshold"),
    ({"reward_currency": "XYZ"}, "reward_currency XYZ is not an ISO 4217 currency"),
    ({"observed_at": "2026-09-01T00:05:01Z"}, "observed_at in the future: after the run finished"),
    ({"posted_at": "2026-09-02T00:00:01Z"}, "posted_at in the future: more than a day after it was observed"),
])
def test_bad_item_is_quarantined_with_its_reason(home: Path, changes: dict, reason: str) -> None:
    run = land_run(T0, [listing("A", 10)], raw_items=[_raw(listing("BAD", 3), **changes)])
    report = _load()
    assert report.results[0].status == "loaded"
    assert report.results[0].items == 1 and report.results[0].quarantined == 1
    assert _reasons(run) == [reason]
    con = db.connect()
    assert con.execute("SELECT listing_id FROM core.listing").fetchall() == [("A",)]
    con.close()


def test_tolerances_accept_what_is_only_a_little_off(home: Path) -> None:
    ok = _raw(listing("OK", 3), observed_at="2026-09-01T00:04:59Z", posted_at="2026-09-01T23:59:59Z",
              reward_amount="10000", reward_currency="EUR")
    run = land_run(T0, [listing("A", 10)], raw_items=[ok])
    assert _load().results[0].items == 2
    assert _reasons(run) == []


def test_absurd_threshold_is_configurable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_MAX_REWARD_PER_TASK", "5")
    run = land_run(T0, [listing("A", 10)], raw_items=[_raw(listing("B", 1), reward_amount="6")])
    _load()
    assert _reasons(run) == ["reward_amount absurd: above the per_task threshold"]


def _snapshot_counts() -> tuple:
    con = publish.open_snapshot()
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM core.crawl_run), (SELECT count(*) FROM core.listing_state), "
            "(SELECT count(*) FROM mart.daily_volume)").fetchone()
    finally:
        con.close()


def test_crash_mid_load_leaves_the_previous_state_and_snapshot(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = timedelta(hours=1)
    land_run(T0, [listing("A", 10), listing("B", 4)])
    _load()
    publish.publish()
    published = _snapshot_counts()

    con = db.connect()
    tables = ("raw.landing_run", "raw.quarantine", "core.crawl_run", "core.listing", "core.listing_state",
              "core.listing_current", "core.listing_recent", "core.requester", "core.run_stock")
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    con.close()

    land_run(T0 + h, [listing("A", 7), listing("C", 2)],
             raw_items=[_raw(listing("NEG", 1), reward_amount="-1", run_id="mturk-20260901T010000Z-test",
                             observed_at="2026-09-01T01:00:00Z")])
    seen_during: list[tuple] = []
    real_apply = load._apply_flows

    def crash_after_flows(*args, **kwargs):
        real_apply(*args, **kwargs)  # listings, quarantine and flows are written by now ...
        seen_during.append(_snapshot_counts())  # ... and the snapshot is readable while the load runs
        raise RuntimeError("disk full")  # ... then the last statements never happen

    monkeypatch.setattr(load, "_apply_flows", crash_after_flows)
    con = db.connect()
    with pytest.raises(RuntimeError, match="disk full"):
        load_pending(con)
    after = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    con.close()
    assert after == before  # nothing of the failed run is visible
    assert seen_during == [published]
    assert _snapshot_counts() == published

    monkeypatch.setattr(load, "_apply_flows", real_apply)
    report = _load()  # the run loads cleanly once the fault is gone
    assert [r.status for r in report.results] == ["loaded"]
    con = db.connect()
    assert con.execute("SELECT count(*) FROM core.crawl_run").fetchone() == (2,)
    assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone() == (1,)
    con.close()


# ------------------------------------------------------------------------------------------------------
# The marts are materialised per day at load time (migration 006): they must equal what the original
# views of migration 002, which aggregated all of core on every query, give on the same warehouse.

def _legacy_view_sql(name: str) -> str:
    import re
    from importlib import resources

    text = resources.files("warehouse").joinpath("migrations/002_marts.sql").read_text()
    m = re.search(rf"CREATE VIEW mart\.{name} AS\n(.*?);", text, re.S)
    assert m, name
    return m.group(1)


def _rows(con, sql: str) -> list[tuple]:
    out = []
    for row in con.execute(f"SELECT * FROM ({sql}) ORDER BY ALL").fetchall():
        out.append(tuple(round(v, 9) if isinstance(v, float) else v for v in row))
    return out


# What the stores must hold: the aggregates of 002's views, computed from core on the spot.
_LEGACY_STORES = {
    "flow_day_store": """
        SELECT CAST(timezone('UTC', s.observed_at) AS DATE) AS day, s.source, r.worker_country,
               sum(s.slots_arrived), sum(s.slots_completed), sum(s.slots_expired),
               coalesce(sum(CASE WHEN l.reward_currency = 'USD' THEN s.slots_completed * s.reward_amount END), 0),
               count(*) FILTER (WHERE s.flow_basis LIKE 'vanished%')
        FROM core.listing_state AS s JOIN core.listing AS l USING (source, listing_id)
        JOIN core.listing_worker_region AS r USING (source, listing_id) GROUP BY ALL""",
    "new_day_store": """
        SELECT CAST(timezone('UTC', l.first_seen_at) AS DATE), l.source, r.worker_country, count(*)
        FROM core.listing AS l JOIN core.listing_worker_region AS r USING (source, listing_id) GROUP BY ALL""",
}


def _assert_marts_match_views() -> None:
    con = db.connect()
    try:
        legacy = _rows(con, _legacy_view_sql("daily_volume_total"))
        assert legacy
        assert _rows(con, "SELECT * FROM mart.daily_volume_total") == legacy
        stored = _rows(con, "SELECT day, source, worker_country, slots_arrived, slots_completed, slots_expired, "
                            "coalesce(reward_completed_usd, 0), vanished_listings FROM mart.flow_day_store")
        assert stored == _rows(con, _LEGACY_STORES["flow_day_store"])
        assert _rows(con, "SELECT * FROM mart.new_day_store") == _rows(con, _LEGACY_STORES["new_day_store"])
    finally:
        con.close()


def test_materialised_marts_equal_the_views_on_a_mixed_sequence(home: Path) -> None:
    h = timedelta(hours=1)
    exp = T0 + 5 * h
    land_run(T0, [listing("A", 10, countries=["US"]), listing("B", 5, expires=exp), listing("C", 3, reward="0.5")])
    land_run(T0 + h, [listing("A", 14, countries=["US"]), listing("B", 5, expires=exp), listing("C", 1, reward="0.5"),
                      listing("D", 7, countries=["US", "CA"])])
    land_run(T0 + 2 * h, [listing("A", 9, countries=["US"])], reported=50)  # low coverage
    land_run(T0 + 6 * h, [listing("A", 6, countries=["US"]), listing("D", 2, countries=["US", "CA"])])
    land_run(T0 + 26 * h, [listing("A", 6, countries=["US"]), listing("C", 4, reward="0.5"),
                           listing("E", 1, countries=["IN"])])
    land_run(T0 + 27 * h, [listing("E", 1, countries=["IN"])], status="failed")
    assert all(r.status == "loaded" for r in _load().results)
    _assert_marts_match_views()


def test_marts_are_rebuilt_when_a_listing_changes_countries(home: Path) -> None:
    h = timedelta(hours=1)
    land_run(T0, [listing("A", 10), listing("B", 4)])
    land_run(T0 + h, [listing("A", 7), listing("B", 3)])
    _load()
    land_run(T0 + 2 * h, [listing("A", 5, countries=["DE"]), listing("B", 1)])  # A's past moves to DE
    _load()
    _assert_marts_match_views()
    con = db.connect()
    assert con.execute("SELECT count(*) FROM mart.flow_day_store WHERE worker_country = 'DE'").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM mart.flow_day_store WHERE worker_country = 'ALL' "
                       "AND slots_completed > 0").fetchone() == (1,)  # B only: A's past moved to DE
    con.close()


def test_marts_follow_an_out_of_order_run(home: Path) -> None:
    h = timedelta(hours=1)
    land_run(T0 + 25 * h, [listing("A", 10), listing("B", 4)])
    _load()
    land_run(T0, [listing("A", 12), listing("Z", 4)])  # an older crawl, landed late: A was first seen a day earlier
    report = _load()
    assert report.results[0].excluded_reason.startswith("out of order")
    _assert_marts_match_views()
