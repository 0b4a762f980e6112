"""Load sealed landing runs into the warehouse: raw -> staging -> core, one transaction per run.

Why it is built this way:
- idempotent: a run is keyed by its run id and the checksum of its items file; loading it again is a
  no-op, and a different file under the same run id is an error, never a silent overwrite;
- transactional: everything a run changes is committed together or not at all;
- incremental: a run is compared with ``core.listing_current`` (open listings only), so a load costs
  what the new run costs, not what history costs;
- honest flows: only runs that succeeded, saw enough of the listing (coverage threshold) and come after
  the last run used for flows are compared; others still update what is known about listings. The
  first run used for flows is a baseline: it observes a stock whose arrivals happened before we looked,
  so its listings are recorded (flow_basis 'baseline') but counted as neither arrived nor completed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from observatory import config
from observatory.contract import parse_utc
from observatory.landing import iter_manifests, sha256_file

log = logging.getLogger(__name__)

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
_STAGE_SQL = """
CREATE OR REPLACE TEMP TABLE stg_typed AS
SELECT
    source, listing_id, coalesce(listing_id_derived, false) AS listing_id_derived,
    TRY_CAST(observed_at AS TIMESTAMPTZ) AS observed_at, run_id, url, title, description,
    requester_id, requester_name, category, pay_basis,
    TRY_CAST(reward_amount AS DECIMAL(18, 6)) AS reward_amount,
    TRY_CAST(reward_amount_max AS DECIMAL(18, 6)) AS reward_amount_max,
    reward_currency,
    TRY_CAST(time_allotted_s AS INTEGER) AS time_allotted_s,
    TRY_CAST(time_estimate_s AS INTEGER) AS time_estimate_s,
    TRY_CAST(slots_available AS INTEGER) AS slots_available,
    TRY_CAST(slots_total AS INTEGER) AS slots_total,
    TRY_CAST(posted_at AS TIMESTAMPTZ) AS posted_at,
    TRY_CAST(expires_at AS TIMESTAMPTZ) AS expires_at,
    coalesce(worker_countries, []) AS worker_countries,
    coalesce(worker_countries_excluded, []) AS worker_countries_excluded,
    employer_country, location, raw_ref,
    concat_ws('; ',
        CASE WHEN source IS DISTINCT FROM $source THEN 'source does not match the run' END,
        CASE WHEN run_id IS DISTINCT FROM $run_id THEN 'run_id does not match the run' END,
        CASE WHEN listing_id IS NULL OR listing_id = '' THEN 'listing_id missing' END,
        CASE WHEN title IS NULL OR title = '' THEN 'title missing' END,
        CASE WHEN url IS NULL THEN 'url missing' END,
        CASE WHEN raw_ref IS NULL THEN 'raw_ref missing' END,
        CASE WHEN TRY_CAST(observed_at AS TIMESTAMPTZ) IS NULL THEN 'observed_at not a timestamp' END,
        CASE WHEN pay_basis IS NULL OR pay_basis NOT IN ('per_task', 'hourly', 'fixed_project')
             THEN 'pay_basis not one of per_task, hourly, fixed_project' END,
        CASE WHEN TRY_CAST(reward_amount AS DECIMAL(18, 6)) IS NULL THEN 'reward_amount not a decimal'
             WHEN TRY_CAST(reward_amount AS DECIMAL(18, 6)) < 0 THEN 'reward_amount negative' END,
        CASE WHEN reward_currency IS NULL OR NOT regexp_full_match(reward_currency, '[A-Z]{3}')
             THEN 'reward_currency not an ISO 4217 code' END,
        CASE WHEN slots_available IS NOT NULL AND (TRY_CAST(slots_available AS INTEGER) IS NULL
             OR TRY_CAST(slots_available AS INTEGER) < 0) THEN 'slots_available not a count' END
    ) AS problem
FROM read_json($path, format = 'newline_delimited', columns = @COLUMNS@)
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
    LEFT JOIN core.listing AS l ON l.source = $source AND l.listing_id = j.listing_id
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


def _flow_exclusion(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], started: datetime) -> str | None:
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
    (last,) = con.execute(
        "SELECT max(started_at) FROM core.crawl_run WHERE source = ? AND used_for_flows",
        [manifest["source"]],
    ).fetchone()
    if last is not None and started <= last:
        return f"out of order: a later run ({last.isoformat()}) is already used for flows"
    return None


def load_run(con: duckdb.DuckDBPyConnection, manifest_path: Path, manifest: dict[str, Any]) -> LoadResult:
    """Load one sealed run in one transaction (see the module docstring for the guarantees)."""
    if "_error" in manifest:
        raise LoadError(f"{manifest_path}: {manifest['_error']}")
    for key in ("run_id", "source", "items_file", "items_sha256", "started_at", "finished_at"):
        if not manifest.get(key):
            raise LoadError(f"{manifest_path}: manifest lacks {key!r}")
    run_id = manifest["run_id"]
    known = con.execute("SELECT items_sha256 FROM raw.landing_run WHERE run_id = ?", [run_id]).fetchone()
    if known:
        if known[0] != manifest["items_sha256"]:
            raise LoadError(f"run {run_id} was loaded before from a different items file")
        return LoadResult(run_id, "skipped")
    items_path = manifest_path.parent / manifest["items_file"]
    if not items_path.is_file():
        raise LoadError(f"run {run_id}: items file {items_path} is missing")
    if sha256_file(items_path) != manifest["items_sha256"]:
        raise LoadError(f"run {run_id}: items file {items_path} does not match its manifest checksum")
    started, finished = _ts(manifest["started_at"]), _ts(manifest["finished_at"])
    assert started is not None and finished is not None

    result = LoadResult(run_id, "loaded")
    con.execute("BEGIN TRANSACTION")
    try:
        _load_in_transaction(con, manifest_path, manifest, items_path, started, finished, result)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection,
    manifest_path: Path,
    manifest: dict[str, Any],
    items_path: Path,
    started: datetime,
    finished: datetime,
    result: LoadResult,
) -> None:
    run_id, source = manifest["run_id"], manifest["source"]
    params = {"source": source, "run_id": run_id}
    con.execute(_STAGE_SQL, {**params, "path": str(items_path)})
    con.execute(
        "INSERT INTO raw.quarantine SELECT $run_id, $source, 'load', problem, url, raw_ref, "
        "to_json(t) FROM stg_typed AS t WHERE problem <> ''",
        params,
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE stg AS SELECT * EXCLUDE (problem) FROM stg_typed WHERE problem = '' "
        "QUALIFY row_number() OVER (PARTITION BY listing_id ORDER BY observed_at DESC) = 1"
    )
    if manifest.get("quarantined", 0) > 0:
        qpath = manifest_path.parent / manifest["quarantine_file"]
        if qpath.is_file():
            con.execute(
                _QUARANTINE_SQL,
                {"path": str(qpath)},
            )
        else:
            log.warning("run %s: quarantine file %s is missing", run_id, qpath)
    (result.items,) = con.execute("SELECT count(*) FROM stg").fetchone()
    (result.quarantined,) = con.execute(
        "SELECT count(*) FROM raw.quarantine WHERE run_id = ?", [run_id]).fetchone()

    if result.items:
        _upsert_listings(con)
        con.execute(
            """
            INSERT INTO core.requester
            SELECT source, requester_id, arg_max(requester_name, observed_at), min(observed_at), max(observed_at)
            FROM stg WHERE requester_id IS NOT NULL GROUP BY source, requester_id
            ON CONFLICT (source, requester_id) DO UPDATE SET
                requester_name = CASE WHEN EXCLUDED.last_seen_at >= last_seen_at
                                      THEN EXCLUDED.requester_name ELSE requester_name END,
                first_seen_at = least(first_seen_at, EXCLUDED.first_seen_at),
                last_seen_at = greatest(last_seen_at, EXCLUDED.last_seen_at)
            """
        )

    excluded = _flow_exclusion(con, manifest, started)
    result.used_for_flows = excluded is None
    result.excluded_reason = excluded
    if result.used_for_flows:
        result.state_changes = _apply_flows(con, source, run_id, started)

    con.execute(
        "INSERT INTO core.crawl_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id, source, manifest.get("base_url"), manifest.get("clock", "local"), started, finished,
            int(manifest.get("pages", 0)), result.items, result.quarantined,
            int(manifest.get("errors", 0)), int(manifest.get("retries", 0)),
            manifest.get("finish_reason", "unknown"), manifest.get("status", "failed"),
            manifest.get("results_reported"), int(manifest.get("results_seen", result.items)),
            manifest.get("coverage"), manifest.get("hits_available_reported"),
            result.used_for_flows, excluded, datetime.now(UTC),
        ],
    )
    con.execute(
        "INSERT INTO raw.landing_run VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, source, str(manifest_path), manifest["items_file"], manifest["items_sha256"],
         json.dumps(manifest), datetime.now(UTC)],
    )


def _upsert_listings(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_UPSERT_LISTING_SQL)


# The SET list is built from the module's own column names, never from data.
_UPSERT_LISTING_SQL = """
        INSERT INTO core.listing BY NAME
        SELECT * EXCLUDE (observed_at, run_id, requester_name, slots_available),
               observed_at AS first_seen_at, observed_at AS last_seen_at,
               run_id AS first_run_id, run_id AS last_run_id
        FROM stg
        ON CONFLICT (source, listing_id) DO UPDATE SET
            @SETS@,
            first_seen_at = least(first_seen_at, EXCLUDED.first_seen_at),
            last_seen_at = greatest(last_seen_at, EXCLUDED.last_seen_at)
""".replace("@SETS@", ",\n            ".join(
    f"{c} = CASE WHEN EXCLUDED.last_seen_at >= last_seen_at THEN EXCLUDED.{c} ELSE {c} END"
    for c in _LISTING_ATTRIBUTES))


def _apply_flows(con: duckdb.DuckDBPyConnection, source: str, run_id: str, run_at: datetime) -> int:
    """Compare the run with the current open listings; record changes, update current, record stock."""
    params = {"source": source, "run_id": run_id, "run_at": run_at}
    (prior,) = con.execute(
        "SELECT count(*) FROM core.crawl_run WHERE source = ? AND used_for_flows", [source]).fetchone()
    con.execute(_DIFF_SQL, {**params, "has_baseline": prior > 0})
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
            JOIN core.listing AS l USING (source, listing_id)
            WHERE c.source = $source
        )
        SELECT $run_id, $source, $run_at, worker_country, count(*), sum(slots_available),
               sum(CASE WHEN reward_currency = 'USD' THEN slots_available * reward_amount END)
        FROM open_now GROUP BY worker_country
        """,
        params,
    )
    (n,) = con.execute("SELECT count(*) FROM stg_changes").fetchone()
    return int(n)


def pending_manifests(con: duckdb.DuckDBPyConnection, source: str | None = None) -> list[tuple[Path, dict]]:
    """Sealed runs not yet loaded, in observation order (so flows compare each run with the one before)."""
    loaded = {r[0] for r in con.execute("SELECT run_id FROM raw.landing_run").fetchall()}
    pending = [(p, m) for p, m in iter_manifests(source) if m.get("run_id") not in loaded]
    return sorted(pending, key=lambda pm: (pm[1].get("started_at") or "", pm[1].get("run_id") or ""))


def load_pending(con: duckdb.DuckDBPyConnection, source: str | None = None) -> LoadReport:
    """Load every pending run; a run that fails is reported and rolled back, the others still load."""
    report = LoadReport()
    for path, manifest in pending_manifests(con, source):
        try:
            report.results.append(load_run(con, path, manifest))
        except (LoadError, duckdb.Error) as exc:
            log.error("could not load %s: %s", path, exc)
            report.results.append(LoadResult(manifest.get("run_id") or path.name, "failed", error=str(exc)))
    return report
