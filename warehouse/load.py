"""Load sealed landing runs into the warehouse: raw -> staging -> core, all of a run or nothing.

Why it is built this way:
- idempotent: a run is keyed by its run id and the checksum of its items file; loading it again is a
  no-op, and a different file under the same run id is an error, never a silent overwrite;
- transactional: everything a run changes is committed together or not at all;
- incremental: a run is compared with ``core.listing_current`` (open listings only), so a load costs
  what the new run costs, not what history costs;
- honest flows: only runs that succeeded, saw enough of the listing (coverage threshold) and come after
  the last run used for flows are compared; others still update what is known about listings. The
  first run used for flows is a baseline: it observes a stock whose arrivals happened before we looked,
  so its listings are recorded (flow_basis 'baseline') but counted as neither arrived nor completed;
- bad input is refused, never half-applied: a run whose file is missing or does not match its checksum
  is not loaded (a quarantine row says why); an item with a negative or absurd reward (thresholds per
  pay basis, ``max_reward``), a currency that is not ISO 4217, or a time in the future (observed after
  the run finished + 5 minutes, posted more than a day after it was observed) is quarantined;
- fast at a year's scale (docs/performance.md): nothing a run does scans ``core.listing``, which grows
  with history. A run's listings are compared with ``core.listing_recent`` (migration 006), a mirror of
  the recently seen and open listings with a fingerprint of their attributes: listings whose attributes
  did not change (nearly all of them) only get their last-seen columns updated, through a scan pruned
  by ``first_seen_at`` to the recent part of the table; new listings are inserted, changed ones go
  through the primary key (``ON CONFLICT``), and the mirror is refreshed from what they return;
- batched: a backlog of a source's runs (up to ``batch_runs()``, a day of 15-minute crawls) loads in one
  transaction with one ``read_json`` and every run's flows inferred at once by window functions over
  each listing's presences, because DuckDB's cost per statement, not per row, dominated a 2,000-row
  run. The result equals loading the runs one at a time (tests/test_load_batch.py); a batch that could
  not be equal (see ``_NotBatchable``) or hits a database error loads its runs one at a time instead.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pycountry

from observatory import config
from observatory.contract import parse_utc
from observatory.landing import sha256_file

log = logging.getLogger(__name__)

# An amount above these (in the listing's own currency) is taken for a parsing or publishing error, not a
# wage: no micro-task pays 10,000 per task or per hour. Fixed projects can be large contracts, hence more
# room. Override with OBSERVATORY_MAX_REWARD_PER_TASK / _HOURLY / _FIXED_PROJECT.
MAX_REWARD_DEFAULTS: dict[str, Decimal] = {
    "per_task": Decimal("10000"), "hourly": Decimal("10000"), "fixed_project": Decimal("1000000"),
}
# Clocks drift and pages take time: an observation up to this long after its run finished is accepted.
OBSERVED_AFTER_FINISH_TOLERANCE = timedelta(minutes=5)
# A listing may say it was posted a little after we saw it (time zones, rounding); a day later is a bug.
POSTED_AFTER_OBSERVED_TOLERANCE = timedelta(days=1)
# Listings not seen for this long leave core.listing_recent (unless open): they are rarely seen again.
RECENT_WINDOW = timedelta(days=7)


def max_reward() -> dict[str, Decimal]:
    """The absurd-reward thresholds per pay basis, read from the environment at call time."""
    return {basis: Decimal(os.environ.get(f"OBSERVATORY_MAX_REWARD_{basis.upper()}", str(default)))
            for basis, default in MAX_REWARD_DEFAULTS.items()}


@lru_cache(maxsize=1)
def iso_currencies() -> list[str]:
    """ISO 4217 alphabetic codes (pycountry's copy of the standard): a 3-letter code not here is unknown."""
    return sorted(c.alpha_3 for c in pycountry.currencies)

# The landing file's columns as read by DuckDB: everything textual is read as text and cast in
# staging with TRY_CAST, so one malformed value becomes a quarantine row instead of a failed load.
_LOCATION = "STRUCT(lat DOUBLE, lon DOUBLE, locality VARCHAR, region_code VARCHAR, country VARCHAR)"
ITEM_COLUMNS: dict[str, str] = {
    "source": "VARCHAR", "listing_id": "VARCHAR", "listing_id_derived": "BOOLEAN",
    "observed_at": "VARCHAR", "run_id": "VARCHAR", "url": "VARCHAR", "title": "VARCHAR",
    "description": "VARCHAR", "requester_id": "VARCHAR", "requester_name": "VARCHAR",
    "category": "VARCHAR", "pay_basis": "VARCHAR", "reward_amount": "VARCHAR",
    "reward_amount_max": "VARCHAR", "reward_currency": "VARCHAR", "time_allotted_s": "VARCHAR",
    "time_estimate_s": "VARCHAR", "slots_available": "VARCHAR", "slots_total": "VARCHAR",
    "posted_at": "VARCHAR", "expires_at": "VARCHAR", "worker_countries": "VARCHAR[]",
    "worker_countries_excluded": "VARCHAR[]", "employer_country": "VARCHAR", "location": _LOCATION,
    "raw_ref": "VARCHAR",
}
_COLUMNS_SQL = "{" + ", ".join(f"'{k}': '{v}'" for k, v in ITEM_COLUMNS.items()) + "}"
_QUARANTINE_SQL = (
    "INSERT INTO raw.quarantine SELECT run_id, source, 'crawl', reason, url, raw_ref, record "
    "FROM read_json($path, format = 'newline_delimited', columns = {'run_id': 'VARCHAR', "
    "'source': 'VARCHAR', 'reason': 'VARCHAR', 'url': 'VARCHAR', 'raw_ref': 'VARCHAR', 'record': 'JSON'})"
)

# Attributes of core.listing that the latest observation overwrites.
_LISTING_ATTRIBUTES = (
    "listing_id_derived", "title", "description", "requester_id", "category", "pay_basis",
    "reward_amount", "reward_amount_max", "reward_currency", "time_allotted_s", "time_estimate_s",
    "slots_total", "posted_at", "expires_at", "worker_countries", "worker_countries_excluded",
    "employer_country", "location", "url", "raw_ref", "last_run_id",
)

# Staging: types every field, and names what is wrong with a row that cannot be used.
# (Built from module constants only; every value from a landing file is a bound parameter.)
# One statement stages every run of a batch (one run or many): the files are read together and each row
# is tied to its run by file name (stg_run, built from the manifests), so the checks that need the run
# (its source, id and finish time) are per row.
_STAGE_SQL = """
CREATE OR REPLACE TEMP TABLE stg_typed AS
WITH src AS (
    SELECT
        j.* EXCLUDE (filename),
        r.ord, r.source AS run_source, r.run_id AS run_run_id, r.observed_limit,
        TRY_CAST(j.observed_at AS TIMESTAMPTZ) AS t_observed_at,
        TRY_CAST(j.posted_at AS TIMESTAMPTZ) AS t_posted_at,
        TRY_CAST(j.reward_amount AS DECIMAL(18, 6)) AS t_reward_amount,
        TRY_CAST(j.slots_available AS INTEGER) AS t_slots_available
    FROM read_json($paths, format = 'newline_delimited', columns = @COLUMNS@, filename = true) AS j
    JOIN stg_run AS r ON r.items_path = j.filename
)
SELECT
    ord, source, listing_id, coalesce(listing_id_derived, false) AS listing_id_derived,
    t_observed_at AS observed_at, run_id, url, title, description,
    requester_id, requester_name, category, pay_basis,
    t_reward_amount AS reward_amount,
    TRY_CAST(reward_amount_max AS DECIMAL(18, 6)) AS reward_amount_max,
    reward_currency,
    TRY_CAST(time_allotted_s AS INTEGER) AS time_allotted_s,
    TRY_CAST(time_estimate_s AS INTEGER) AS time_estimate_s,
    t_slots_available AS slots_available,
    TRY_CAST(slots_total AS INTEGER) AS slots_total,
    t_posted_at AS posted_at,
    TRY_CAST(expires_at AS TIMESTAMPTZ) AS expires_at,
    coalesce(worker_countries, []) AS worker_countries,
    coalesce(worker_countries_excluded, []) AS worker_countries_excluded,
    employer_country, location, raw_ref,
    concat_ws('; ',
        CASE WHEN source IS DISTINCT FROM run_source THEN 'source does not match the run' END,
        CASE WHEN run_id IS DISTINCT FROM run_run_id THEN 'run_id does not match the run' END,
        CASE WHEN listing_id IS NULL OR listing_id = '' THEN 'listing_id missing' END,
        CASE WHEN title IS NULL OR title = '' THEN 'title missing' END,
        CASE WHEN url IS NULL THEN 'url missing' END,
        CASE WHEN raw_ref IS NULL THEN 'raw_ref missing' END,
        CASE WHEN t_observed_at IS NULL THEN 'observed_at not a timestamp' END,
        CASE WHEN pay_basis IS NULL OR pay_basis NOT IN ('per_task', 'hourly', 'fixed_project')
             THEN 'pay_basis not one of per_task, hourly, fixed_project' END,
        CASE WHEN t_reward_amount IS NULL THEN 'reward_amount not a decimal'
             WHEN t_reward_amount < 0 THEN 'reward_amount negative'
             WHEN t_reward_amount > CASE pay_basis
                 WHEN 'per_task' THEN $max_per_task WHEN 'hourly' THEN $max_hourly
                 WHEN 'fixed_project' THEN $max_fixed_project END
             THEN 'reward_amount absurd: above the ' || pay_basis || ' threshold' END,
        CASE WHEN reward_currency IS NULL OR NOT regexp_full_match(reward_currency, '[A-Z]{3}')
             THEN 'reward_currency not an ISO 4217 code'
             WHEN NOT list_contains($currencies, reward_currency)
             THEN 'reward_currency ' || reward_currency || ' is not an ISO 4217 currency' END,
        CASE WHEN t_observed_at > observed_limit
             THEN 'observed_at in the future: after the run finished' END,
        CASE WHEN t_posted_at > t_observed_at + $posted_tolerance
             THEN 'posted_at in the future: more than a day after it was observed' END,
        CASE WHEN slots_available IS NOT NULL AND (t_slots_available IS NULL OR t_slots_available < 0)
             THEN 'slots_available not a count' END
    ) AS problem
FROM src
""".replace("@COLUMNS@", _COLUMNS_SQL)

_DIFF_SQL = """
CREATE OR REPLACE TEMP TABLE stg_changes AS
WITH seen AS (SELECT * FROM stg),
cur AS (SELECT * FROM core.listing_current WHERE source = $source),
joined AS (
    SELECT
        coalesce(s.listing_id, c.listing_id) AS listing_id,
        s.listing_id IS NOT NULL AS is_seen,
        c.listing_id IS NOT NULL AS was_open,
        s.observed_at AS seen_at,
        s.slots_available AS slots_now,
        c.slots_available AS slots_before,
        coalesce(s.reward_amount, c.reward_amount) AS reward_amount,
        c.reward_amount AS reward_before
    FROM seen AS s FULL JOIN cur AS c USING (listing_id)
),
classified AS (
    SELECT
        j.*,
        CASE
            WHEN j.is_seen AND NOT j.was_open AND NOT $has_baseline THEN 'baseline'
            WHEN j.is_seen AND NOT j.was_open THEN 'first_seen'
            WHEN j.is_seen AND j.slots_now > j.slots_before THEN 'rise'
            WHEN j.is_seen AND j.slots_now < j.slots_before THEN 'fall'
            WHEN j.is_seen AND j.reward_amount <> j.reward_before THEN 'reward_change'
            WHEN j.is_seen THEN NULL
            WHEN l.expires_at IS NOT NULL AND l.expires_at <= $run_at THEN 'vanished_after_expiry'
            ELSE 'vanished_before_expiry'
        END AS flow_basis
    FROM joined AS j
    LEFT JOIN @LISTING@ AS l ON l.source = $source AND l.listing_id = j.listing_id
),
final AS (
    SELECT
        $source AS source,
        listing_id,
        $run_id AS run_id,
        coalesce(seen_at, $run_at) AS observed_at,
        CASE WHEN is_seen THEN 'open' ELSE 'gone' END AS status,
        CASE WHEN is_seen THEN slots_now ELSE 0 END AS slots_available,
        reward_amount,
        CASE flow_basis
            WHEN 'first_seen' THEN slots_now
            WHEN 'rise' THEN slots_now - slots_before
            ELSE 0 END AS slots_arrived,
        CASE flow_basis
            WHEN 'fall' THEN slots_before - slots_now
            WHEN 'vanished_before_expiry' THEN slots_before
            ELSE 0 END AS slots_completed,
        CASE flow_basis WHEN 'vanished_after_expiry' THEN slots_before ELSE 0 END AS slots_expired,
        flow_basis
    FROM classified
    WHERE flow_basis IS NOT NULL
)
SELECT * FROM final
"""
# Exact because every open listing is in core.listing_recent (checked before use; see _apply_flows).
_DIFF_RECENT_SQL = _DIFF_SQL.replace("@LISTING@", "core.listing_recent")
_DIFF_FULL_SQL = _DIFF_SQL.replace("@LISTING@", "core.listing")


class LoadError(RuntimeError):
    """A run that cannot be loaded at all (missing or corrupt landing file, conflicting reload)."""


@dataclass
class LoadResult:
    run_id: str
    status: str  # 'loaded', 'skipped' (already loaded), 'failed'
    items: int = 0
    quarantined: int = 0
    state_changes: int = 0
    used_for_flows: bool = False
    excluded_reason: str | None = None
    error: str | None = None


@dataclass
class LoadReport:
    results: list[LoadResult] = field(default_factory=list)

    @property
    def failed(self) -> list[LoadResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def loaded(self) -> list[LoadResult]:
        return [r for r in self.results if r.status == "loaded"]


def _ts(value: str | None) -> datetime | None:
    return parse_utc(value) if value else None


@dataclass
class _Run:
    """A sealed run whose files were checked (present, matching their checksum) and which is not loaded."""

    manifest_path: Path
    manifest: dict[str, Any]
    items_path: Path
    started: datetime
    finished: datetime

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    @property
    def source(self) -> str:
        return self.manifest["source"]


def _last_used_start(con: duckdb.DuckDBPyConnection, source: str) -> datetime | None:
    """Start of the source's latest run used for flows (None: no run used yet, the next one is a baseline)."""
    (last,) = con.execute(
        "SELECT max(started_at) FROM core.crawl_run WHERE source = ? AND used_for_flows", [source]).fetchone()
    return last


def _flow_exclusion(manifest: dict[str, Any], started: datetime, last_used: datetime | None) -> str | None:
    """Why this run must not be compared with the previous one (None = it may)."""
    if manifest.get("status") != "ok":
        return f"run status {manifest.get('status')!r}: {'; '.join(manifest.get('failures') or [])}"
    if manifest.get("finish_reason") != "finished":
        return f"finish reason {manifest.get('finish_reason')!r}"
    coverage = manifest.get("coverage")
    threshold = config.coverage_threshold()
    if coverage is None:
        return "coverage unknown: the site reported no total"
    if coverage < threshold:
        return f"coverage {coverage:.3f} below threshold {threshold:.3f}"
    if last_used is not None and started <= last_used:
        return f"out of order: a later run ({last_used.isoformat()}) is already used for flows"
    return None


def _check_run(con: duckdb.DuckDBPyConnection, manifest_path: Path, manifest: dict[str, Any],
               loaded: dict[str, str] | None = None) -> _Run | None:
    """The checks made before anything of a run is written: None if it is loaded already, LoadError
    (with a quarantine row for a bad file) if it cannot be loaded at all. ``loaded`` (run id -> items
    checksum of the runs already loaded, when the caller looked them up for many runs at once) saves a
    query per run."""
    if "_error" in manifest:
        raise LoadError(f"{manifest_path}: {manifest['_error']}")
    for key in ("run_id", "source", "items_file", "items_sha256", "started_at", "finished_at"):
        if not manifest.get(key):
            raise LoadError(f"{manifest_path}: manifest lacks {key!r}")
    run_id = manifest["run_id"]
    if loaded is None:
        known = con.execute("SELECT items_sha256 FROM raw.landing_run WHERE run_id = ?", [run_id]).fetchone()
    else:
        known = (loaded[run_id],) if run_id in loaded else None
    if known:
        if known[0] != manifest["items_sha256"]:
            raise LoadError(f"run {run_id} was loaded before from a different items file")
        return None
    items_path = manifest_path.parent / manifest["items_file"]
    if not items_path.is_file():
        _quarantine_run(con, manifest, items_path, "items file missing")
        raise LoadError(f"run {run_id}: items file {items_path} is missing")
    if sha256_file(items_path) != manifest["items_sha256"]:
        _quarantine_run(con, manifest, items_path, "items file does not match its manifest checksum")
        raise LoadError(f"run {run_id}: items file {items_path} does not match its manifest checksum")
    started, finished = _ts(manifest["started_at"]), _ts(manifest["finished_at"])
    assert started is not None and finished is not None
    return _Run(manifest_path, manifest, items_path, started, finished)


def load_run(con: duckdb.DuckDBPyConnection, manifest_path: Path, manifest: dict[str, Any]) -> LoadResult:
    """Load one sealed run in one transaction (see the module docstring for the guarantees)."""
    run = _check_run(con, manifest_path, manifest)
    if run is None:
        return LoadResult(manifest["run_id"], "skipped")
    return _load_checked(con, run)


def _load_checked(con: duckdb.DuckDBPyConnection, run: _Run) -> LoadResult:
    excluded = _flow_exclusion(run.manifest, run.started, _last_used_start(con, run.source))
    result = LoadResult(run.run_id, "loaded", used_for_flows=excluded is None, excluded_reason=excluded)
    con.execute("BEGIN TRANSACTION")
    try:
        _load_in_transaction(con, run, result)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _quarantine_run(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], items_path: Path,
                    reason: str) -> None:
    """Record why a whole run was refused, once (a retried load does not pile up rows).

    The run itself stays unregistered, so once its file is repaired the next load takes it.
    """
    con.execute(
        "INSERT INTO raw.quarantine SELECT $run_id, $source, 'load', $reason, NULL, $ref, $record "
        "WHERE NOT EXISTS (SELECT 1 FROM raw.quarantine WHERE run_id = $run_id AND stage = 'load' "
        "AND reason = $reason AND url IS NULL)",
        {"run_id": manifest["run_id"], "source": manifest["source"], "reason": reason,
         "ref": str(items_path), "record": json.dumps(manifest)},
    )


def _stage(con: duckdb.DuckDBPyConnection, runs: list[_Run], used: list[bool]) -> None:
    """Stage the items of ``runs`` (one or many, same source, in load order) into ``stg``: typed, checked,
    bad rows quarantined with their reasons, one row per run and listing. ``stg_run`` lists the runs
    (``ord`` = position in the batch, ``k`` = position among the runs used for flows)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg_run (ord INTEGER, k INTEGER, run_id VARCHAR, source VARCHAR, "
        "items_path VARCHAR, started_at TIMESTAMPTZ, observed_limit TIMESTAMPTZ)"
    )
    k = 0
    rows = []
    for ord_, (run, is_used) in enumerate(zip(runs, used, strict=True), start=1):
        k += is_used
        rows.append([ord_, k if is_used else None, run.run_id, run.source, str(run.items_path), run.started,
                     run.finished + OBSERVED_AFTER_FINISH_TOLERANCE])
    con.executemany("INSERT INTO stg_run VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    limits = max_reward()
    con.execute(_STAGE_SQL, {
        "paths": [str(run.items_path) for run in runs], "currencies": iso_currencies(),
        "max_per_task": limits["per_task"], "max_hourly": limits["hourly"],
        "max_fixed_project": limits["fixed_project"], "posted_tolerance": POSTED_AFTER_OBSERVED_TOLERANCE,
    })
    con.execute(
        "INSERT INTO raw.quarantine SELECT r.run_id, r.source, 'load', t.problem, t.url, t.raw_ref, to_json(q) "
        "FROM stg_typed AS t JOIN stg_run AS r USING (ord), LATERAL (SELECT t.* EXCLUDE (ord)) AS q "
        "WHERE t.problem <> ''"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg AS SELECT * EXCLUDE (problem), @FINGERPRINT@ AS fingerprint "
        "FROM stg_typed WHERE problem = '' "
        "QUALIFY row_number() OVER (PARTITION BY ord, listing_id ORDER BY observed_at DESC) = 1"
        .replace("@FINGERPRINT@", _FINGERPRINT)
    )
    crawl_quarantine = []
    for run in runs:
        if run.manifest.get("quarantined", 0) > 0:
            qpath = run.manifest_path.parent / run.manifest["quarantine_file"]
            if qpath.is_file():
                crawl_quarantine.append(str(qpath))
            else:
                log.warning("run %s: quarantine file %s is missing", run.run_id, qpath)
    if crawl_quarantine:
        con.execute(_QUARANTINE_SQL, {"path": crawl_quarantine})


def _register_runs(con: duckdb.DuckDBPyConnection, runs: list[_Run], results: list[LoadResult]) -> None:
    """The runs' rows in core.crawl_run and raw.landing_run: written last, in the runs' transaction, one
    statement per table whatever the number of runs (each value a bound parameter)."""
    now = datetime.now(UTC)
    crawl_run = [
        [run.run_id, run.source, m.get("base_url"), m.get("clock", "local"), run.started, run.finished,
         int(m.get("pages", 0)), result.items, result.quarantined, int(m.get("errors", 0)),
         int(m.get("retries", 0)), m.get("finish_reason", "unknown"), m.get("status", "failed"),
         m.get("results_reported"), int(m.get("results_seen", result.items)), m.get("coverage"),
         m.get("hits_available_reported"), result.used_for_flows, result.excluded_reason, now]
        for run, result in zip(runs, results, strict=True) for m in [run.manifest]
    ]
    landing_run = [
        [run.run_id, run.source, str(run.manifest_path), run.manifest["items_file"],
         run.manifest["items_sha256"], json.dumps(run.manifest), now]
        for run in runs
    ]
    for table, rows, types in (("core.crawl_run", crawl_run, _CRAWL_RUN_TYPES),
                               ("raw.landing_run", landing_run, _LANDING_RUN_TYPES)):
        columns = list(zip(*rows, strict=True))
        select = ", ".join(f"unnest(${i}::{t}[])" for i, t in enumerate(types, start=1))
        con.execute(f"INSERT INTO {table} SELECT {select}", [list(c) for c in columns])  # noqa: S608 (constants)


_CRAWL_RUN_TYPES = (
    "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMPTZ", "TIMESTAMPTZ", "INTEGER", "INTEGER", "INTEGER",
    "INTEGER", "INTEGER", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "DOUBLE", "BIGINT", "BOOLEAN", "VARCHAR",
    "TIMESTAMPTZ",
)
_LANDING_RUN_TYPES = ("VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "JSON", "TIMESTAMPTZ")


def _count_per_run(con: duckdb.DuckDBPyConnection, results: list[LoadResult]) -> None:
    """Items kept and records quarantined (by the crawl and by this load) per run of the batch."""
    items = dict(con.execute("SELECT r.run_id, count(*) FROM stg JOIN stg_run AS r USING (ord) "
                             "GROUP BY ALL").fetchall())
    quarantined = dict(con.execute(
        "SELECT run_id, count(*) FROM raw.quarantine WHERE run_id IN (SELECT run_id FROM stg_run) "
        "GROUP BY ALL").fetchall())
    for result in results:
        result.items = int(items.get(result.run_id, 0))
        result.quarantined = int(quarantined.get(result.run_id, 0))


def _load_in_transaction(con: duckdb.DuckDBPyConnection, run: _Run, result: LoadResult) -> None:
    _stage(con, [run], [result.used_for_flows])
    _count_per_run(con, [result])
    rebuild = False
    if result.items:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE stg_latest AS SELECT * EXCLUDE (ord), observed_at AS first_observed_at, "
            "run_id AS first_run_id, fingerprint AS fingerprint_min, fingerprint AS fingerprint_max FROM stg"
        )
        rebuild = _upsert_listings(con, run.source, [run.run_id], run.finished)
        _upsert_requesters(con)
    if result.used_for_flows:
        result.state_changes = _apply_flows(con, run.source, run.run_id, run.started)
    if rebuild:
        log.info("run %s: rebuilding the marts of %s from core", run.run_id, run.source)
        for statement in _REBUILD_MARTS_SQL:
            con.execute(statement, {"source": run.source})
    _register_runs(con, [run], [result])


def _upsert_listings(con: duckdb.DuckDBPyConnection, source: str, run_ids: list[str], run_at: datetime) -> bool:
    """Bring core.listing up to date with ``stg_latest`` (the latest observation of each listing in the
    runs ``run_ids``, with its first observation there and the range of its fingerprints), as the
    primary-key upsert of every observation in order would, without scanning core.listing (see the
    module docstring), and keep core.listing_recent its exact mirror.

    Counts the new listings into mart.new_day_store. Returns True when the marts of the source must be
    rebuilt from core: an existing listing changed what the marts group it by (worker countries,
    currency, first-seen time) or reappeared after leaving the mirror, so its past contributions are not
    known here. That takes an out-of-order run or a listing unseen for a week.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg_hit AS "
        "SELECT s.source, s.listing_id, s.observed_at, s.first_observed_at, s.run_id, s.raw_ref, "
        "r.first_seen_at AS known_first "
        "FROM stg_latest AS s JOIN core.listing_recent AS r USING (source, listing_id) "
        "WHERE r.fingerprint = s.fingerprint_min AND s.fingerprint_min = s.fingerprint_max"
    )
    # New or changed listings (few): through the primary key; what that leaves in core.listing comes
    # back through RETURNING and replaces their mirror rows. The new ones take a plain INSERT and only
    # those core.listing already holds the ON CONFLICT upsert: DuckDB's ON CONFLICT path costs ~10x a
    # plain insert once the key holds hundreds of thousands of random ids (at a year, 230 ms a day
    # against ~20 ms; docs/performance.md). Which exist: a semi-join built on the few.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg_upsert AS SELECT * EXCLUDE (fingerprint_min, fingerprint_max) "
        "FROM stg_latest ANTI JOIN stg_hit USING (source, listing_id)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg_premirror AS SELECT r.* FROM core.listing_recent AS r "
        "SEMI JOIN stg_upsert USING (source, listing_id)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg_known AS SELECT source, listing_id FROM stg_upsert "
        "SEMI JOIN core.listing USING (source, listing_id)"
    )
    inserted = con.execute(_INSERT_LISTING_SQL.replace(
        "@FROM@", "(SELECT * FROM stg_upsert ANTI JOIN stg_known USING (source, listing_id))")).fetch_df()
    upserted = con.execute(_UPSERT_LISTING_SQL.replace(
        "@FROM@", "(SELECT * FROM stg_upsert SEMI JOIN stg_known USING (source, listing_id))")).fetch_df()
    changed = pd.concat([inserted, upserted], ignore_index=True) if len(upserted) else inserted
    rebuild = False
    con.execute(
        "DELETE FROM core.listing_recent WHERE source = $source AND listing_id IN "
        "(SELECT listing_id FROM stg_upsert)",
        {"source": source},
    )
    if len(changed):
        con.register("stg_changed_listing", changed)
        try:
            con.execute("INSERT INTO core.listing_recent BY NAME "
                        "SELECT * EXCLUDE (first_run_id) FROM stg_changed_listing")
            con.execute(_NEW_DAY_DELTA_SQL, {"run_ids": run_ids})
            [(moved,)] = con.execute(
                "SELECT count(*) FROM stg_changed_listing AS c LEFT JOIN stg_premirror AS p "
                "USING (source, listing_id) WHERE NOT list_contains($run_ids, c.first_run_id) "
                "AND (p.listing_id IS NULL "
                "OR p.worker_countries IS DISTINCT FROM c.worker_countries "
                "OR p.reward_currency IS DISTINCT FROM c.reward_currency "
                "OR p.first_seen_at IS DISTINCT FROM c.first_seen_at)",
                {"run_ids": run_ids},
            ).fetchall()  # fully: a result still open on the registered frame blocks unregister
            rebuild = moved > 0
        finally:
            con.unregister("stg_changed_listing")
    # Unchanged listings (nearly all): same attributes, so only what each observation moves. The
    # first_seen_at bound is redundant with the key match but lets the scan skip old row groups.
    (oldest, earlier) = con.execute(
        "SELECT min(known_first), count(*) FILTER (WHERE first_observed_at < known_first) FROM stg_hit"
    ).fetchone()
    rebuild = rebuild or earlier > 0
    if oldest is not None:
        con.execute(
            """
            UPDATE core.listing AS l SET
                last_run_id = CASE WHEN h.observed_at >= l.last_seen_at THEN h.run_id ELSE l.last_run_id END,
                raw_ref = CASE WHEN h.observed_at >= l.last_seen_at THEN h.raw_ref ELSE l.raw_ref END,
                first_seen_at = least(l.first_seen_at, h.first_observed_at),
                last_seen_at = greatest(l.last_seen_at, h.observed_at)
            FROM stg_hit AS h
            WHERE l.first_seen_at >= $oldest AND l.source = h.source AND l.listing_id = h.listing_id
            """,
            {"oldest": oldest},
        )
        con.execute(
            "UPDATE core.listing_recent AS r SET first_seen_at = least(r.first_seen_at, h.first_observed_at), "
            "last_seen_at = greatest(r.last_seen_at, h.observed_at) "
            "FROM stg_hit AS h WHERE r.source = h.source AND r.listing_id = h.listing_id"
        )
    con.execute(
        "DELETE FROM core.listing_recent AS r WHERE r.source = $source AND r.last_seen_at < $horizon "
        "AND NOT EXISTS (SELECT 1 FROM core.listing_current AS c "
        "WHERE c.source = r.source AND c.listing_id = r.listing_id)",
        {"source": source, "horizon": run_at - RECENT_WINDOW},
    )
    return rebuild


def _upsert_requesters(con: duckdb.DuckDBPyConnection) -> None:
    """Requesters of the run: an update of the known ones and an insert of the new, as the former
    ON CONFLICT did, but without a primary-key probe per requester per run (core.requester is small)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg_requester AS "
        "SELECT source, requester_id, arg_max(requester_name, observed_at) AS requester_name, "
        "min(observed_at) AS first_seen_at, max(observed_at) AS last_seen_at "
        "FROM stg WHERE requester_id IS NOT NULL GROUP BY source, requester_id"
    )
    con.execute(
        """
        UPDATE core.requester AS r SET
            requester_name = CASE WHEN s.last_seen_at >= r.last_seen_at THEN s.requester_name
                                  ELSE r.requester_name END,
            first_seen_at = least(r.first_seen_at, s.first_seen_at),
            last_seen_at = greatest(r.last_seen_at, s.last_seen_at)
        FROM stg_requester AS s
        WHERE r.source = s.source AND r.requester_id = s.requester_id
        """
    )
    con.execute(
        "INSERT INTO core.requester SELECT * FROM stg_requester AS s WHERE NOT EXISTS "
        "(SELECT 1 FROM core.requester AS r WHERE r.source = s.source AND r.requester_id = s.requester_id)"
    )


# What a listing's fingerprint covers: every attribute the latest observation overwrites, except
# last_run_id and raw_ref, which change with every observation. Migration 006 uses the same expression.
_FINGERPRINT = (
    "hash(listing_id_derived, title, description, requester_id, category, pay_basis, reward_amount, "
    "reward_amount_max, reward_currency, time_allotted_s, time_estimate_s, slots_total, posted_at, "
    "expires_at, worker_countries, worker_countries_excluded, employer_country, location, url)"
)


# The SET list is built from the module's own column names, never from data. The plain INSERT is the
# same statement for listings known to be new (the primary key still refuses a duplicate).
_INSERT_LISTING_SQL = """
        INSERT INTO core.listing BY NAME
        SELECT * EXCLUDE (observed_at, first_observed_at, run_id, requester_name, slots_available, fingerprint),
               first_observed_at AS first_seen_at, observed_at AS last_seen_at, run_id AS last_run_id
        FROM @FROM@
        RETURNING source, listing_id, @FINGERPRINT@ AS fingerprint, first_seen_at, last_seen_at,
                  expires_at, worker_countries, reward_currency, first_run_id
""".replace("@FINGERPRINT@", _FINGERPRINT)
_UPSERT_LISTING_SQL = _INSERT_LISTING_SQL.replace("        RETURNING", """        ON CONFLICT (source, listing_id) DO UPDATE SET
            @SETS@,
            first_seen_at = least(first_seen_at, EXCLUDED.first_seen_at),
            last_seen_at = greatest(last_seen_at, EXCLUDED.last_seen_at)
        RETURNING""").replace("@SETS@", ",\n            ".join(
    f"{c} = CASE WHEN EXCLUDED.last_seen_at >= last_seen_at THEN EXCLUDED.{c} ELSE {c} END"
    for c in _LISTING_ATTRIBUTES))


def _apply_flows(con: duckdb.DuckDBPyConnection, source: str, run_id: str, run_at: datetime) -> int:
    """Compare the run with the current open listings; record changes, update current, record stock."""
    params = {"source": source, "run_id": run_id, "run_at": run_at}
    (prior,) = con.execute(
        "SELECT count(*) FROM core.crawl_run WHERE source = ? AND used_for_flows", [source]).fetchone()
    # Every open listing is mirrored in core.listing_recent (the loader never prunes open ones); if that
    # ever fails to hold (a warehouse edited by hand), compare with core.listing itself, slower but exact.
    (unmirrored,) = con.execute(
        "SELECT count(*) FROM core.listing_current AS c WHERE c.source = $source AND NOT EXISTS "
        "(SELECT 1 FROM core.listing_recent AS r WHERE r.source = c.source AND r.listing_id = c.listing_id)",
        {"source": source},
    ).fetchone()
    listing = "core.listing_recent" if unmirrored == 0 else "core.listing"
    diff = _DIFF_RECENT_SQL if unmirrored == 0 else _DIFF_FULL_SQL
    con.execute(diff, {**params, "has_baseline": prior > 0})
    con.execute("INSERT INTO core.listing_state BY NAME SELECT * FROM stg_changes")
    con.execute(
        "DELETE FROM core.listing_current WHERE source = $source AND listing_id IN "
        "(SELECT listing_id FROM stg_changes)",
        {"source": source},
    )
    con.execute(
        "INSERT INTO core.listing_current "
        "SELECT source, listing_id, run_id, observed_at, slots_available, reward_amount "
        "FROM stg_changes WHERE status = 'open'"
    )
    con.execute(
        """
        INSERT INTO core.run_stock
        WITH open_now AS (
            SELECT c.slots_available, c.reward_amount, l.reward_currency,
                   unnest(CASE WHEN len(l.worker_countries) = 0 THEN ['ALL'] ELSE l.worker_countries END)
                       AS worker_country
            FROM core.listing_current AS c
            JOIN @LISTING@ AS l USING (source, listing_id)
            WHERE c.source = $source
        )
        SELECT $run_id, $source, $run_at, worker_country, count(*), sum(slots_available),
               sum(CASE WHEN reward_currency = 'USD' THEN slots_available * reward_amount END)
        FROM open_now GROUP BY worker_country
        """.replace("@LISTING@", listing),
        params,
    )
    con.execute(_FLOW_DAY_DELTA_SQL.replace("@LISTING@", listing))
    con.execute(_FLOW_DAY_TOTAL_DELTA_SQL.replace("@LISTING@", listing))
    (n,) = con.execute("SELECT count(*) FROM stg_changes").fetchone()
    return int(n)


# Each run adds what it changed to the day it changed it (mart.*_store, migration 006). Attributes come
# from the same place the run's comparison took them (the mirror of core.listing). Rewards completed are
# converted to USD at the ECB rate of the change's day, via EUR, as mart.daily_region_task converts
# (migration 004): NULL when the rate is unknown (migration 010 converted the stores' history).
_FLOWS_USD_CTES = """
flows AS (
    SELECT CAST(timezone('UTC', c.observed_at) AS DATE) AS day, c.source, l.reward_currency,
           l.worker_countries, c.slots_arrived, c.slots_completed, c.slots_expired,
           c.slots_completed * c.reward_amount AS reward_completed,
           c.flow_basis LIKE 'vanished%' AS vanished
    FROM @CHANGES@ AS c JOIN @LISTING@ AS l USING (source, listing_id)
    @WHERE@
),
rates AS (
    SELECT day, reward_currency,
           CAST(ref.units_per_eur(reward_currency, day) AS DOUBLE) AS ccy_per_eur,
           CAST(ref.units_per_eur('USD', day) AS DOUBLE) AS usd_per_eur
    FROM (SELECT DISTINCT day, reward_currency FROM flows WHERE reward_currency <> 'USD')
),
flows_usd AS (
    SELECT f.*,
           CASE WHEN f.reward_currency = 'USD' THEN f.reward_completed
                ELSE CAST(CAST(f.reward_completed AS DOUBLE) / r.ccy_per_eur * r.usd_per_eur AS DECIMAL(18, 6))
           END AS reward_completed_usd
    FROM flows AS f LEFT JOIN rates AS r USING (day, reward_currency)
)
"""
_FLOW_DAY_SELECT = """
SELECT day, source, worker_country, coalesce(sum(slots_arrived), 0), coalesce(sum(slots_completed), 0),
       coalesce(sum(slots_expired), 0), sum(reward_completed_usd), count(*) FILTER (WHERE vanished)
FROM (SELECT *, unnest(CASE WHEN len(worker_countries) = 0 THEN ['ALL'] ELSE worker_countries END)
                    AS worker_country
      FROM flows_usd)
GROUP BY day, source, worker_country
"""
_FLOW_DAY_TOTAL_SELECT = """
SELECT day, source, coalesce(sum(slots_arrived), 0), coalesce(sum(slots_completed), 0),
       coalesce(sum(slots_expired), 0), sum(reward_completed_usd)
FROM flows_usd GROUP BY day, source
"""
_ADD_REWARD = (
    "reward_completed_usd = CASE WHEN reward_completed_usd IS NULL AND EXCLUDED.reward_completed_usd IS NULL "
    "THEN NULL ELSE coalesce(reward_completed_usd, 0) + coalesce(EXCLUDED.reward_completed_usd, 0) END"
)
_RUN_CTES = _FLOWS_USD_CTES.replace("@CHANGES@", "stg_changes").replace("@WHERE@", "")
_FLOW_DAY_DELTA_SQL = "INSERT INTO mart.flow_day_store WITH" + _RUN_CTES + _FLOW_DAY_SELECT + """
ON CONFLICT (day, source, worker_country) DO UPDATE SET
    slots_arrived = slots_arrived + EXCLUDED.slots_arrived,
    slots_completed = slots_completed + EXCLUDED.slots_completed,
    slots_expired = slots_expired + EXCLUDED.slots_expired,
    @ADD_REWARD@,
    vanished_listings = vanished_listings + EXCLUDED.vanished_listings
""".replace("@ADD_REWARD@", _ADD_REWARD)
_FLOW_DAY_TOTAL_DELTA_SQL = "INSERT INTO mart.flow_day_total_store WITH" + _RUN_CTES + _FLOW_DAY_TOTAL_SELECT + """
ON CONFLICT (day, source) DO UPDATE SET
    slots_arrived = slots_arrived + EXCLUDED.slots_arrived,
    slots_completed = slots_completed + EXCLUDED.slots_completed,
    slots_expired = slots_expired + EXCLUDED.slots_expired,
    @ADD_REWARD@
""".replace("@ADD_REWARD@", _ADD_REWARD)
_NEW_DAY_DELTA_SQL = """
INSERT INTO mart.new_day_store
SELECT CAST(timezone('UTC', first_seen_at) AS DATE), source, worker_country, count(*)
FROM (SELECT first_seen_at, source,
             unnest(CASE WHEN len(worker_countries) = 0 THEN ['ALL'] ELSE worker_countries END) AS worker_country
      FROM stg_changed_listing WHERE list_contains($run_ids, first_run_id))
GROUP BY ALL
ON CONFLICT (day, source, worker_country) DO UPDATE SET listings_new = listings_new + EXCLUDED.listings_new
"""
# The marts of one source recomputed from core, as migration 006 backfilled them (with 010's conversion).
_REBUILD_CTES = (_FLOWS_USD_CTES.replace("@CHANGES@", "core.listing_state").replace("@LISTING@", "core.listing")
                 .replace("@WHERE@", "WHERE c.source = $source"))
_REBUILD_MARTS_SQL = (
    "DELETE FROM mart.flow_day_store WHERE source = $source",
    "DELETE FROM mart.flow_day_total_store WHERE source = $source",
    "DELETE FROM mart.new_day_store WHERE source = $source",
    "INSERT INTO mart.flow_day_store WITH" + _REBUILD_CTES + _FLOW_DAY_SELECT,
    "INSERT INTO mart.flow_day_total_store WITH" + _REBUILD_CTES + _FLOW_DAY_TOTAL_SELECT,
    """INSERT INTO mart.new_day_store
    SELECT CAST(timezone('UTC', l.first_seen_at) AS DATE), l.source, r.worker_country, count(*)
    FROM core.listing AS l
    JOIN core.listing_worker_region AS r USING (source, listing_id)
    WHERE l.source = $source
    GROUP BY ALL""",
)


# ------------------------------------------------------------------------------------------------------
# Batches: many runs of one source in one pass (docs/performance.md). A run costs ~30 statements whatever
# its size, so loading a day of 15-minute crawls one run at a time spends most of its time on statement
# overhead. A batch stages all its runs with one read_json, infers every run's flows at once with window
# functions over each listing's presences (the open listings before the batch are run 0), and writes each
# table once. It gives what loading the same runs one at a time gives (tests/test_load_batch.py compares
# both on hand-built sequences); where it could not, it refuses (_NotBatchable) and the runs are loaded
# one at a time. A batch is one transaction: all of its runs or none.

def batch_runs() -> int:
    """Most runs of one source loaded in one batch (OBSERVATORY_LOAD_BATCH_RUNS; 1 = one run at a time).
    The default is a day of 15-minute crawls."""
    return max(1, int(os.environ.get("OBSERVATORY_LOAD_BATCH_RUNS", "96")))


class _NotBatchable(Exception):
    """These runs must be loaded one at a time to get the one-at-a-time result (the message says why)."""


# Every used run's comparison with the one before, at once. A presence is a listing seen in a run used
# for flows (k = its rank among them; run 0 = core.listing_current). A presence whose previous presence is
# not in the previous run is a (re)appearance; a presence whose next one is not in the next run vanished
# in that next run, classified with the expiry it had then (as-of join on the batch's observations).
_BATCH_DIFF_SQL = """
CREATE OR REPLACE TEMP TABLE stg_changes AS
WITH presence AS (
    SELECT listing_id, 0 AS k, observed_at, slots_available, reward_amount
    FROM core.listing_current WHERE source = $source
    UNION ALL
    SELECT s.listing_id, r.k, s.observed_at, s.slots_available, s.reward_amount
    FROM stg AS s JOIN stg_run AS r USING (ord) WHERE r.k IS NOT NULL
),
seq AS (
    SELECT *,
           lag(k) OVER w AS prev_k, lag(slots_available) OVER w AS slots_before,
           lag(reward_amount) OVER w AS reward_before, lead(k) OVER w AS next_k
    FROM presence
    WINDOW w AS (PARTITION BY listing_id ORDER BY k)
),
seen AS (
    SELECT listing_id, k, observed_at, 'open' AS status, slots_available, reward_amount, slots_before,
           CASE WHEN prev_k IS NULL OR prev_k < k - 1 THEN 'first_seen'
                WHEN slots_available > slots_before THEN 'rise'
                WHEN slots_available < slots_before THEN 'fall'
                WHEN reward_amount <> reward_before THEN 'reward_change' END AS flow_basis
    FROM seq WHERE k > 0
),
gone AS (
    SELECT q.listing_id, r.k, r.ord, r.started_at AS observed_at, q.reward_amount,
           q.slots_available AS slots_before
    FROM seq AS q JOIN stg_run AS r ON r.k = q.k + 1
    WHERE q.next_k IS NULL OR q.next_k > q.k + 1
),
gone_classified AS (
    SELECT g.listing_id, g.k, g.observed_at, 'gone' AS status, 0 AS slots_available, g.reward_amount,
           g.slots_before,
           CASE WHEN e.expires_at IS NOT NULL AND e.expires_at <= g.observed_at THEN 'vanished_after_expiry'
                ELSE 'vanished_before_expiry' END AS flow_basis
    FROM gone AS g ASOF LEFT JOIN stg_expiry AS e ON g.listing_id = e.listing_id AND g.ord >= e.ord
),
changes AS (
    SELECT * FROM seen WHERE flow_basis IS NOT NULL
    UNION ALL BY NAME
    SELECT * FROM gone_classified
),
final AS (
    SELECT $source AS source, c.listing_id, r.run_id, c.observed_at, c.status, c.slots_available,
           c.reward_amount,
           CASE c.flow_basis
               WHEN 'first_seen' THEN c.slots_available
               WHEN 'rise' THEN c.slots_available - c.slots_before
               ELSE 0 END AS slots_arrived,
           CASE c.flow_basis
               WHEN 'fall' THEN c.slots_before - c.slots_available
               WHEN 'vanished_before_expiry' THEN c.slots_before
               ELSE 0 END AS slots_completed,
           CASE c.flow_basis WHEN 'vanished_after_expiry' THEN c.slots_before ELSE 0 END AS slots_expired,
           c.flow_basis, c.k
    FROM changes AS c JOIN stg_run AS r USING (k)
)
SELECT * FROM final
"""


def _load_batch(con: duckdb.DuckDBPyConnection, runs: list[_Run]) -> list[LoadResult]:
    """Load runs of one source (in load order, files checked) as one batch, in one transaction."""
    source = runs[0].source
    last_used = _last_used_start(con, source)
    if last_used is None:
        raise _NotBatchable(f"{source} has no baseline run yet")
    results, used = [], []
    for run in runs:
        excluded = _flow_exclusion(run.manifest, run.started, last_used)
        if excluded is None:
            last_used = run.started
        used.append(excluded is None)
        results.append(LoadResult(run.run_id, "loaded", used_for_flows=excluded is None,
                                  excluded_reason=excluded))
    con.execute("BEGIN TRANSACTION")
    try:
        _load_batch_in_transaction(con, source, runs, used, results)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return results


def _load_batch_in_transaction(con: duckdb.DuckDBPyConnection, source: str, runs: list[_Run],
                               used: list[bool], results: list[LoadResult]) -> None:
    params = {"source": source}
    (unmirrored,) = con.execute(
        "SELECT count(*) FROM core.listing_current AS c WHERE c.source = $source AND NOT EXISTS "
        "(SELECT 1 FROM core.listing_recent AS r WHERE r.source = c.source AND r.listing_id = c.listing_id)",
        params,
    ).fetchone()
    if unmirrored:
        raise _NotBatchable(f"{unmirrored} open listings are not mirrored in core.listing_recent")
    _stage(con, runs, used)
    # One at a time, a listing whose slots are sometimes unpublished is compared with its last published
    # count, which the presences here do not carry; rare enough to leave to the one-at-a-time path.
    (mixed,) = con.execute(
        "SELECT count(*) FROM (SELECT listing_id FROM ("
        "  SELECT listing_id, slots_available FROM core.listing_current WHERE source = $source"
        "  UNION ALL SELECT s.listing_id, s.slots_available FROM stg AS s JOIN stg_run AS r USING (ord) "
        "  WHERE r.k IS NOT NULL) GROUP BY listing_id "
        "  HAVING count(slots_available) > 0 AND count(slots_available) < count(*))",
        params,
    ).fetchone()
    if mixed:
        raise _NotBatchable(f"{mixed} listings have their slots published in some runs only")
    _count_per_run(con, results)
    # The expiry each listing had after each run, before the mirror moves on to the batch's latest.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg_expiry AS "
        "SELECT r.listing_id, 0 AS ord, r.expires_at FROM core.listing_recent AS r "
        "SEMI JOIN core.listing_current AS c USING (source, listing_id) WHERE r.source = $source "
        "UNION ALL SELECT listing_id, ord, expires_at FROM stg",
        params,
    )
    rebuild = False
    if any(r.items for r in results):
        # Each listing's latest observation (ties: the later run), found on narrow columns first so the
        # wide ones (titles, descriptions) are read once, for the one row kept.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE stg_latest AS "
            "WITH per_listing AS (SELECT source, listing_id, arg_max(ord, (observed_at, ord)) AS ord, "
            "min(observed_at) AS first_observed_at, arg_min(run_id, ord) AS first_run_id, "
            "min(fingerprint) AS fingerprint_min, max(fingerprint) AS fingerprint_max "
            "FROM stg GROUP BY source, listing_id) "
            "SELECT s.* EXCLUDE (ord), p.first_observed_at, p.first_run_id, p.fingerprint_min, p.fingerprint_max "
            "FROM stg AS s JOIN per_listing AS p USING (source, listing_id, ord)"
        )
        rebuild = _upsert_listings(con, source, [r.run_id for r in runs], runs[0].finished)
        _upsert_requesters(con)
    if any(used):
        _apply_batch_flows(con, source, results)
    if rebuild:
        log.info("batch of %d runs: rebuilding the marts of %s from core", len(runs), source)
        for statement in _REBUILD_MARTS_SQL:
            con.execute(statement, params)
    _register_runs(con, runs, results)


def _apply_batch_flows(con: duckdb.DuckDBPyConnection, source: str, results: list[LoadResult]) -> None:
    """_apply_flows for every used run of the batch at once."""
    params = {"source": source}
    con.execute(_BATCH_DIFF_SQL, params)
    con.execute("INSERT INTO core.listing_state BY NAME SELECT * EXCLUDE (k) FROM stg_changes")
    con.execute(
        "DELETE FROM core.listing_current WHERE source = $source AND listing_id IN "
        "(SELECT listing_id FROM stg_changes)",
        params,
    )
    con.execute(
        "INSERT INTO core.listing_current "
        "SELECT source, listing_id, run_id, observed_at, slots_available, reward_amount FROM stg_changes "
        "QUALIFY row_number() OVER (PARTITION BY listing_id ORDER BY k DESC) = 1 AND status = 'open'"
    )
    # After a used run the open listings are the ones it saw, with the attributes it saw.
    con.execute(
        """
        INSERT INTO core.run_stock
        WITH open_now AS (
            SELECT r.run_id, r.started_at, s.slots_available, s.reward_amount, s.reward_currency,
                   unnest(CASE WHEN len(s.worker_countries) = 0 THEN ['ALL'] ELSE s.worker_countries END)
                       AS worker_country
            FROM stg AS s JOIN stg_run AS r USING (ord)
            WHERE r.k IS NOT NULL
        )
        SELECT run_id, $source, started_at, worker_country, count(*), sum(slots_available),
               sum(CASE WHEN reward_currency = 'USD' THEN slots_available * reward_amount END)
        FROM open_now GROUP BY run_id, started_at, worker_country
        """,
        params,
    )
    con.execute(_FLOW_DAY_DELTA_SQL.replace("@LISTING@", "core.listing_recent"))
    con.execute(_FLOW_DAY_TOTAL_DELTA_SQL.replace("@LISTING@", "core.listing_recent"))
    counts = dict(con.execute("SELECT run_id, count(*) FROM stg_changes GROUP BY ALL").fetchall())
    for result in results:
        result.state_changes = int(counts.get(result.run_id, 0))


def _scandir(folder: Path | os.DirEntry) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except FileNotFoundError:
        return []


def pending_manifests(con: duckdb.DuckDBPyConnection, source: str | None = None) -> list[tuple[Path, dict]]:
    """Sealed runs not yet loaded, in observation order (so flows compare each run with the one before).

    A manifest is named after its run (``<run_id>.manifest.json``), so one whose run is already loaded is
    skipped by name without being read: after a year of 15-minute crawls that is 35,000 files a load
    would otherwise parse to find the few new ones. A manifest whose content names another run is still
    read and judged by its content.
    """
    loaded = {r[0] for r in con.execute("SELECT run_id FROM raw.landing_run").fetchall()}
    root = config.paths().landing
    suffix = ".manifest.json"
    folders = [root / source] if source else [e for e in _scandir(root) if e.is_dir()]
    names = []  # (file name, folder): names only, since nearly all are skipped (os.scandir, no stat)
    for folder in folders:
        names.extend((e.name, folder) for e in _scandir(folder)
                     if e.name.endswith(suffix) and e.name[: -len(suffix)] not in loaded)
    pending: list[tuple[Path, dict]] = []
    for name, folder in sorted(names, key=lambda nf: nf[0]):
        path = Path(folder) / name
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            manifest = {"_error": f"unreadable manifest: {exc}"}
        if manifest.get("run_id") not in loaded:
            pending.append((path, manifest))
    return sorted(pending, key=lambda pm: (pm[1].get("started_at") or "", pm[1].get("run_id") or ""))


def load_pending(con: duckdb.DuckDBPyConnection, source: str | None = None) -> LoadReport:
    """Load every pending run; a run that fails is reported and rolled back, the others still load.

    Each source's pending runs are taken in load order, up to ``batch_runs()`` at a time, as a batch when
    they can be (see _load_batch) and one at a time otherwise.
    """
    report = LoadReport()
    by_source: dict[str, list[tuple[Path, dict]]] = {}
    for path, manifest in pending_manifests(con, source):
        by_source.setdefault(str(manifest.get("source")), []).append((path, manifest))
    size = batch_runs()
    for runs in by_source.values():
        for start in range(0, len(runs), size):
            report.results.extend(_load_chunk(con, runs[start:start + size]))
    return report


def _failed(path: Path, manifest: dict[str, Any], exc: Exception) -> LoadResult:
    log.error("could not load %s: %s", path, exc)
    return LoadResult(manifest.get("run_id") or path.name, "failed", error=str(exc))


def _load_chunk(con: duckdb.DuckDBPyConnection, chunk: list[tuple[Path, dict]]) -> list[LoadResult]:
    """Load consecutive pending runs of one source: checked one by one, then as a batch if possible."""
    results: dict[int, LoadResult] = {}
    checked: list[tuple[int, _Run]] = []
    loaded = dict(con.execute(
        "SELECT run_id, items_sha256 FROM raw.landing_run WHERE list_contains($ids, run_id)",
        {"ids": [str(m.get("run_id")) for _, m in chunk]},
    ).fetchall())
    for i, (path, manifest) in enumerate(chunk):
        try:
            run = _check_run(con, path, manifest, loaded)
        except (LoadError, duckdb.Error) as exc:
            results[i] = _failed(path, manifest, exc)
            continue
        if run is None:
            results[i] = LoadResult(manifest["run_id"], "skipped")
        else:
            checked.append((i, run))
    # A source's first run used for flows is a baseline, compared with nothing: one at a time until then.
    while checked and _last_used_start(con, checked[0][1].source) is None:
        i, run = checked.pop(0)
        results[i] = _load_or_fail(con, run)
    if len(checked) > 1:
        try:
            batch = _load_batch(con, [run for _, run in checked])
        except (_NotBatchable, duckdb.Error) as exc:
            log.info("loading %d runs one at a time: %s", len(checked), exc)
        else:
            results.update((i, result) for (i, _), result in zip(checked, batch, strict=True))
            checked = []
    for i, run in checked:
        results[i] = _load_or_fail(con, run)
    return [results[i] for i in sorted(results)]


def _load_or_fail(con: duckdb.DuckDBPyConnection, run: _Run) -> LoadResult:
    try:
        return _load_checked(con, run)
    except (LoadError, duckdb.Error) as exc:
        return _failed(run.manifest_path, run.manifest, exc)
