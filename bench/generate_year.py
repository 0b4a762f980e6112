"""Generate a year of a busy MTurk-like market as real landing runs (items + quarantine + manifest).

Why DuckDB writes the files: a year at 2,000 open listings crawled every 15 minutes is ~70 million
observations in 35,040 runs; Python's json + gzip would take hours, one ``COPY ... PARTITION_BY`` per day
takes seconds. The runs are byte-for-byte what ``observatory.landing.LandingWriter`` would seal as far as
the loader can tell: the same file names, the same manifest keys, the sha256 of the items file, the
manifest written last and atomically, run ids that sort by time.

The market: listings arrive at a constant rate, each with an expiry; about half are single-task groups,
the rest lose tasks in a few steps as workers take them (some get tasks added by their requester); 60 %
vanish before their expiry (completed), the rest at it (expired). The stock stays near ``--listings``.

    python -m bench.generate_year --days 365 --listings 2000 --home /tmp/observatory-bench
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from observatory.contract import SCHEMA_VERSION, utc_iso, validate
from observatory.landing import MANIFEST_VERSION, read_items, sha256_file
from warehouse.db import NO_NETWORK

SOURCE = "mturk"
START = datetime(2025, 10, 1, tzinfo=UTC)  # the last year of MTurk before it closed on 2026-09-30
MEAN_OPEN_HOURS = 29.0  # mean time a listing stays open in this model (see _LISTINGS_SQL)
EMPTY_GZIP = gzip.compress(b"", mtime=0)

# Every listing of the year, one row each; all values derive from the listing number and the seed.
_LISTINGS_SQL = """
CREATE OR REPLACE TABLE listings AS
WITH base AS (
    SELECT i,
           $t0::TIMESTAMPTZ + to_microseconds(CAST(i * $gap_us AS BIGINT)) AS posted_at,
           CAST(hash(i, $seed, 'exp') % 68 AS BIGINT) + 4 AS exp_hours,
           CAST(hash(i, $seed, 'done') % 100 AS BIGINT) AS done_pct,
           CAST(hash(i, $seed, 'slots') % 1000 AS BIGINT) AS slots_draw,
           CAST(hash(i, $seed, 'cty') % 100 AS BIGINT) AS cty,
           CAST(hash(i, $seed, 'req') % 5000 AS BIGINT) AS req,
           CAST(hash(i, $seed, 'rew') % 200 AS BIGINT) + 1 AS reward_cents
    FROM range($n) AS t(i)
)
SELECT
    upper(substr(md5(i::VARCHAR || '-' || $seed::VARCHAR), 1, 30)) AS listing_id,
    posted_at,
    posted_at + to_hours(exp_hours) AS expires_at,
    CASE WHEN done_pct < 60
         THEN posted_at + to_microseconds(CAST(exp_hours * 3600e6 * (0.2 + done_pct / 75.0) AS BIGINT))
         ELSE posted_at + to_hours(exp_hours) END AS ends_at,
    CASE WHEN slots_draw < 500 THEN 1 ELSE 2 + slots_draw - 500 END AS slots0,
    slots_draw % 10 = 0 AS refilled,
    CASE WHEN cty < 70 THEN []::VARCHAR[] WHEN cty < 85 THEN ['US'] WHEN cty < 95 THEN ['US', 'CA']
         ELSE ['IN'] END AS worker_countries,
    'AR' || lpad(req::VARCHAR, 12, '0') AS requester_id,
    'p_' || substr(md5(req::VARCHAR || $seed::VARCHAR), 1, 12) AS requester_name,
    ['Survey', 'Image tagging', 'Transcription', 'Data collection', 'Content moderation'][req % 5 + 1]
        AS category,
    printf('%d.%02d', reward_cents // 100, reward_cents % 100) AS reward_amount,
    (CAST(hash(i, $seed, 'time') % 60 AS BIGINT) + 1) * 60 AS time_allotted_s
FROM base
"""

# One day of observations: every listing open at each crawl of the day, with its tasks available then.
_DAY_SQL = """
CREATE OR REPLACE TEMP TABLE day_obs AS
WITH ticks AS (
    SELECT $day_start::TIMESTAMPTZ + to_minutes(CAST(k * $interval AS BIGINT)) AS tick
    FROM range(CAST(1440 // $interval AS BIGINT)) AS t(k)
),
live AS (SELECT * FROM listings WHERE posted_at < $day_end AND ends_at > $day_start),
obs AS (
    SELECT t.tick, l.*,
           floor(8 * epoch(t.tick - l.posted_at) / epoch(l.ends_at - l.posted_at)) / 8 AS progress
    FROM ticks AS t JOIN live AS l ON l.posted_at <= t.tick AND l.ends_at > t.tick
)
SELECT
    'mturk-' || strftime(tick, '%Y%m%dT%H%M%SZ') || '-' || substr(md5(tick::VARCHAR || $seed::VARCHAR), 1, 6)
        AS _run,
    tick,
    'mturk' AS source,
    listing_id,
    false AS listing_id_derived,
    strftime(tick, '%Y-%m-%dT%H:%M:%SZ') AS observed_at,
    'mturk-' || strftime(tick, '%Y%m%dT%H%M%SZ') || '-' || substr(md5(tick::VARCHAR || $seed::VARCHAR), 1, 6)
        AS run_id,
    'https://worker.mturk.com/projects/' || listing_id || '/tasks' AS url,
    category || ' task from ' || requester_name AS title,
    'Please read the instructions carefully. ' || category || ' of a short item.' AS description,
    requester_id, requester_name, category,
    'per_task' AS pay_basis,
    reward_amount,
    NULL::VARCHAR AS reward_amount_max,
    'USD' AS reward_currency,
    CAST(time_allotted_s AS INTEGER) AS time_allotted_s,
    NULL::INTEGER AS time_estimate_s,
    CAST(greatest(1, slots0 - floor(slots0 * 0.9 * progress)
         + CASE WHEN refilled AND progress >= 0.5 THEN slots0 // 2 ELSE 0 END) AS INTEGER) AS slots_available,
    NULL::INTEGER AS slots_total,
    strftime(posted_at, '%Y-%m-%dT%H:%M:%SZ') AS posted_at,
    strftime(expires_at, '%Y-%m-%dT%H:%M:%SZ') AS expires_at,
    worker_countries,
    []::VARCHAR[] AS worker_countries_excluded,
    NULL::VARCHAR AS employer_country,
    NULL::STRUCT(lat DOUBLE, lon DOUBLE, locality VARCHAR, region_code VARCHAR, country VARCHAR) AS location,
    'archive/mturk/' || strftime(tick, '%Y%m%dT%H%M%SZ') || '.warc.gz#'
        || (row_number() OVER (PARTITION BY tick ORDER BY listing_id) * 2113)::VARCHAR AS raw_ref
FROM obs
"""


def _escape(path: Path) -> str:
    return str(path).replace("'", "''")


def generate_day(con: duckdb.DuckDBPyConnection, day: datetime, landing: Path, interval: int, seed: int) -> int:
    """Write one day's runs; return the observations written."""
    con.execute(_DAY_SQL, {"day_start": day, "day_end": day + timedelta(days=1), "interval": interval,
                           "seed": seed})
    runs = con.execute(
        "SELECT _run, min(tick), count(*) FROM day_obs GROUP BY _run ORDER BY _run").fetchall()
    tmp = landing / f".day-{day:%Y%m%d}"
    shutil.rmtree(tmp, ignore_errors=True)
    # COPY takes no bound target: the path is the bench's own directory (quoted), never data.
    con.execute(
        "COPY (SELECT * EXCLUDE (tick) FROM day_obs ORDER BY _run, listing_id) TO '"  # noqa: S608
        + _escape(tmp)
        + "' (FORMAT JSON, COMPRESSION GZIP, PARTITION_BY (_run), FILENAME_PATTERN 'items')"
    )
    total = 0
    for run_id, tick, n in runs:
        produced = next((tmp / f"_run={run_id}").glob("items*"))
        items = landing / f"{run_id}.jsonl.gz"
        os.replace(produced, items)
        quarantine = landing / f"{run_id}.quarantine.jsonl.gz"
        quarantine.write_bytes(EMPTY_GZIP)
        seal(landing, run_id, tick, n, items, quarantine)
        total += n
    shutil.rmtree(tmp, ignore_errors=True)
    return total


def seal(landing: Path, run_id: str, tick: datetime, n: int, items: Path, quarantine: Path) -> Path:
    """Write the manifest last and atomically, with LandingWriter.close's keys."""
    pages = -(-n // 100)
    now = utc_iso(datetime.now(UTC).replace(microsecond=0))
    manifest = {
        "manifest_version": MANIFEST_VERSION, "contract_version": SCHEMA_VERSION,
        "run_id": run_id, "source": SOURCE, "spider": SOURCE, "base_url": "https://worker.mturk.com",
        "user_agent": "microwork-observatory-bench", "clock": "server",
        "started_at": utc_iso(tick), "finished_at": utc_iso(tick + timedelta(seconds=2 * pages)),
        "wall_started_at": now, "wall_finished_at": now,
        "pages": pages, "page_errors": 0, "request_failures": 0, "errors": 0, "retries": 0,
        "finish_reason": "finished", "status": "ok", "failures": [],
        "results_reported": n, "results_seen": n, "coverage": 1.0, "hits_available_reported": None,
        "items": n, "quarantined": 0,
        "items_file": items.name, "items_sha256": sha256_file(items), "items_bytes": items.stat().st_size,
        "quarantine_file": quarantine.name, "quarantine_sha256": sha256_file(quarantine),
        "sealed_at": now,
    }
    path = landing / f"{run_id}.manifest.json"
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def validate_sample(landing: Path, runs: int = 3, per_run: int = 200) -> int:
    """Check items of a few runs against the data contract; raise on the first invalid one."""
    checked = 0
    for items in sorted(landing.glob("*.jsonl.gz"))[:: max(1, len(list(landing.glob("*.manifest.json"))) // runs)]:
        if items.name.endswith(".quarantine.jsonl.gz"):
            continue
        for k, item in enumerate(read_items(items)):
            if k >= per_run:
                break
            errors = validate(item)
            if errors:
                raise ValueError(f"{items.name}: invalid item {item}: {errors}")
            checked += 1
    return checked


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=Path("/tmp/observatory-bench"))
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--first-day", type=int, default=0, help="skip this many days (to generate in parts)")
    ap.add_argument("--listings", type=int, default=2000, help="open listings at any time (about)")
    ap.add_argument("--interval-minutes", type=int, default=15)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    landing = args.home / "landing" / SOURCE
    landing.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={**NO_NETWORK, "threads": args.threads})
    con.execute("SET TimeZone = 'UTC'")
    per_hour = args.listings / MEAN_OPEN_HOURS
    lead = timedelta(days=4)  # listings posted before the first day, so day 1 already has its stock
    span_hours = (args.days + args.first_day) * 24 + lead.total_seconds() / 3600
    con.execute(_LISTINGS_SQL, {"t0": START - lead, "gap_us": 3600e6 / per_hour,
                                "n": int(span_hours * per_hour) + 1, "seed": args.seed})
    t = time.perf_counter()
    total = 0
    for d in range(args.first_day, args.first_day + args.days):
        total += generate_day(con, START + timedelta(days=d), landing, args.interval_minutes, args.seed)
        if d % 10 == 0:
            el = time.perf_counter() - t
            print(f"day {d + 1}: {total:,} observations in {el:.0f}s ({total / el:,.0f}/s)", flush=True)
    el = time.perf_counter() - t
    print(f"generated {total:,} observations over {args.days} days in {el:.1f}s into {landing}")
    print(f"validated {validate_sample(landing)} sampled items against the contract")


if __name__ == "__main__":
    main()
