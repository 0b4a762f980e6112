"""Batch loading (many runs of a source in one pass) must give exactly what loading the same runs one at a
time gives: every table of the warehouse, row for row, and the same per-run report."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import T0, land_run, listing
from warehouse import db, load

H = timedelta(hours=1)

# Every table a load writes, with the columns that record when it was written left out.
TABLES = {
    "raw.landing_run": "* EXCLUDE (registered_at)",
    "raw.quarantine": "*",
    "core.crawl_run": "* EXCLUDE (loaded_at)",
    "core.listing": "*",
    "core.listing_state": "*",
    "core.listing_current": "*",
    "core.listing_recent": "*",
    "core.requester": "*",
    "core.run_stock": "*",
    "mart.flow_day_store": "*",
    "mart.flow_day_total_store": "*",
    "mart.new_day_store": "*",
}


def _load_into(home: Path, name: str, batch: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list, dict]:
    monkeypatch.setenv("OBSERVATORY_LOAD_BATCH_RUNS", str(batch))
    con = db.connect(home / name)
    try:
        report = load.load_pending(con)
        results = [(r.run_id, r.status, r.items, r.quarantined, r.state_changes, r.used_for_flows,
                    r.excluded_reason) for r in report.results]
        tables = {t: con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall()  # noqa: S608 (constants)
                  for t, cols in TABLES.items()}
    finally:
        con.close()
    return sorted(results), tables


class BatchSpy:
    """Counts the batches that loaded and the ones that had to fall back to one run at a time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loaded: list[int] = []
        self.refused: list[str] = []
        real = load._load_batch

        def spy(con: Any, runs: list) -> list:
            try:
                out = real(con, runs)
            except load._NotBatchable as exc:
                self.refused.append(str(exc))
                raise
            self.loaded.append(len(runs))
            return out

        monkeypatch.setattr(load, "_load_batch", spy)


def _assert_same(home: Path, monkeypatch: pytest.MonkeyPatch, *, expect_batches: bool = True) -> BatchSpy:
    one = _load_into(home, "one_at_a_time.duckdb", 1, monkeypatch)
    spy = BatchSpy(monkeypatch)
    batched = _load_into(home, "batched.duckdb", 96, monkeypatch)
    assert batched[0] == one[0]
    for table in TABLES:
        assert batched[1][table] == one[1][table], table
    assert any(one[1]["core.listing_state"]), "the sequence must produce flows"
    if expect_batches:
        assert spy.loaded and not spy.refused, spy.refused
    return spy


def _random_market(seed: int, runs: int = 40, pool: int = 30) -> list[tuple[datetime, list[dict], dict]]:
    """A market with every kind of movement: arrivals, rises, falls, reward changes, vanishing before and
    after expiry, reappearances, expiry extensions, country changes, unpublished slots, bad items, and runs
    kept out of flows (low coverage, failed)."""
    rng = random.Random(seed)
    state: dict[str, dict[str, Any]] = {}
    out = []
    for r in range(runs):
        at = T0 + r * H
        for n in range(pool):
            lid = f"L{n:02d}"
            s = state.get(lid)
            if s is None or not s["open"]:
                if rng.random() < (0.25 if s is None else 0.05):  # arrival or reappearance
                    state[lid] = s = s or {
                        "slots": None if n % 7 == 0 else rng.randint(1, 20),
                        "reward": rng.choice(["0.05", "0.10", "0.25"]),
                        "countries": rng.choice([[], ["US"], ["US", "CA"], ["IN"]]),
                        "expires": at + rng.randint(2, 30) * H,
                    }
                    s["open"] = True
                continue
            move = rng.random()
            if move < 0.15 and s["slots"] is not None:
                s["slots"] = max(0, s["slots"] - rng.randint(1, 5))
            elif move < 0.22 and s["slots"] is not None:
                s["slots"] += rng.randint(1, 5)
            elif move < 0.27:
                s["reward"] = rng.choice(["0.05", "0.10", "0.25", "0.50"])
            elif move < 0.30:
                s["expires"] += rng.randint(1, 10) * H
            elif move < 0.32:
                s["countries"] = rng.choice([[], ["US"], ["GB"]])
            if at >= s["expires"] or rng.random() < 0.08:
                s["open"] = False
        seen = [listing(lid, s["slots"], reward=s["reward"], countries=s["countries"], expires=s["expires"])
                for lid, s in sorted(state.items()) if s["open"]]
        extra: dict[str, Any] = {}
        kind = rng.random()
        if kind < 0.08:
            extra["reported"] = len(seen) * 2 + 5  # low coverage
        elif kind < 0.12:
            extra["status"] = "failed"
        elif kind < 0.2 and seen:
            bad = dict(listing("BAD", 1), reward_amount="-3", observed_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       run_id=f"mturk-{at.strftime('%Y%m%dT%H%M%SZ')}-test", raw_ref="test#BAD")
            extra["raw_items"] = [bad]
        out.append((at, seen, extra))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_batch_equals_one_run_at_a_time_on_a_random_market(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                             seed: int) -> None:
    for at, seen, extra in _random_market(seed):
        land_run(at, seen, **extra)
    _assert_same(home, monkeypatch)


def test_a_batch_equals_one_run_at_a_time_across_loads_and_out_of_order(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    market = _random_market(7, runs=30)
    for at, seen, extra in market[:20]:
        land_run(at, seen, **extra)
    one = _load_into(home, "one_at_a_time.duckdb", 1, monkeypatch)
    batched = _load_into(home, "batched.duckdb", 96, monkeypatch)
    assert batched == one
    # a late run from the past (kept out of flows) and the rest of the market
    land_run(market[5][0] + timedelta(minutes=30), market[5][1], run_id="mturk-late-test")
    for at, seen, extra in market[20:]:
        land_run(at, seen, **extra)
    _assert_same(home, monkeypatch)
    con = db.connect(home / "batched.duckdb")
    (reason,) = con.execute("SELECT excluded_reason FROM core.crawl_run WHERE run_id = 'mturk-late-test'").fetchone()
    con.close()
    assert reason.startswith("out of order")


def test_slots_published_in_some_runs_only_fall_back_to_one_run_at_a_time(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    land_run(T0, [listing("A", 5), listing("B", 3)])
    land_run(T0 + H, [listing("A", 5), listing("B", None)])
    land_run(T0 + 2 * H, [listing("A", 2), listing("B", 1)])  # B: compared with 3, its last published count
    land_run(T0 + 3 * H, [listing("A", 2)])
    spy = _assert_same(home, monkeypatch, expect_batches=False)
    assert spy.refused and "slots published in some runs only" in spy.refused[0]


def test_a_bad_file_fails_its_run_and_the_rest_still_load_as_a_batch(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    land_run(T0, [listing("A", 5)])
    land_run(T0 + H, [listing("A", 4)])
    bad = land_run(T0 + 2 * H, [listing("A", 3)])
    land_run(T0 + 3 * H, [listing("A", 1)])
    (home / "landing" / "mturk" / f"{bad}.jsonl.gz").write_bytes(b"not what the manifest says")
    spy = BatchSpy(monkeypatch)
    con = db.connect()
    report = load.load_pending(con)
    falls = con.execute("SELECT slots_completed FROM core.listing_state WHERE flow_basis = 'fall' "
                        "ORDER BY observed_at").fetchall()
    con.close()
    assert [r.status for r in report.results] == ["loaded", "loaded", "failed", "loaded"]
    assert "checksum" in report.results[2].error
    assert spy.loaded == [2]
    assert falls == [(1,), (3,)]  # 5 -> 4, then 4 -> 1: the bad run is not there to compare with


def test_a_crash_inside_a_batch_applies_none_of_its_runs(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    land_run(T0, [listing("A", 5)])
    con = db.connect()
    load.load_pending(con)
    before = {t: con.execute(f"SELECT {c} FROM {t} ORDER BY ALL").fetchall()  # noqa: S608 (constants)
              for t, c in TABLES.items()}
    con.close()
    land_run(T0 + H, [listing("A", 4), listing("B", 2)])
    land_run(T0 + 2 * H, [listing("B", 2)])
    real = load._apply_batch_flows

    def crash(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(load, "_apply_batch_flows", crash)
    con = db.connect()
    with pytest.raises(RuntimeError, match="disk full"):
        load.load_pending(con)
    after = {t: con.execute(f"SELECT {c} FROM {t} ORDER BY ALL").fetchall()  # noqa: S608 (constants)
             for t, c in TABLES.items()}
    con.close()
    assert after == before
    monkeypatch.setattr(load, "_apply_batch_flows", real)
    con = db.connect()
    report = load.load_pending(con)
    con.close()
    assert [r.status for r in report.results] == ["loaded", "loaded"]
