"""Publish a finished, read-only snapshot of the warehouse for the dashboard and researchers.

DuckDB lets one process write a file or many processes read it, never both. So readers never open the
writer's file: the writer checkpoints, copies its file while it still holds the write lock (no write can
be under way), checks that the copy opens, and swaps it in with an atomic rename. A reader that has the
old snapshot open keeps reading it; the next query opens the new one.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from observatory import config
from observatory.contract import utc_iso
from warehouse import db
from warehouse.db import NO_NETWORK, utc_session

# Marts that are views over all of history in the writer's warehouse and too slow to compute at every
# dashboard query once history is long (a year: 11-35 s each; the OLI index's 28-day windows 0.2-0.3 s;
# docs/performance.md). The snapshot holds them as tables computed once at publish, under the same names,
# so readers (and the public views over them) query a table; the writer keeps the views, the single
# definition.
MATERIALISED_IN_SNAPSHOT = ("mart.daily_region_task", "mart.daily_wages", "mart.oli_index")

# Row counts recorded in the snapshot's manifest, so a reader can tell what it is looking at.
COUNTED_TABLES = ("core.crawl_run", "core.listing", "core.listing_state", "core.requester", "raw.quarantine")


def publish(warehouse: Path | None = None, target: Path | None = None) -> dict[str, Any]:
    """Write the snapshot and its manifest; return the manifest."""
    p = config.paths()
    warehouse = warehouse or p.warehouse
    target = target or p.published
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con = db.connect(warehouse)
    try:
        con.execute("CHECKPOINT")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES}  # noqa: S608
        (last_crawl,) = con.execute("SELECT max(started_at) FROM core.crawl_run").fetchone()
        shutil.copyfile(warehouse, tmp)
    finally:
        con.close()
    try:
        _materialise(tmp)
        check = duckdb.connect(str(tmp), read_only=True, config=NO_NETWORK)
        try:
            check.execute("SELECT count(*) FROM core.crawl_run").fetchone()
        finally:
            check.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    manifest = {
        "published_at": utc_iso(datetime.now(UTC).replace(microsecond=0)),
        "snapshot": str(target),
        "bytes": target.stat().st_size,
        "row_counts": counts,
        "last_crawl_at": utc_iso(last_crawl) if last_crawl else None,
    }
    mpath = target.with_name("manifest.json")
    mtmp = mpath.with_name(".manifest.json.tmp")
    mtmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(mtmp, mpath)
    return manifest


def _materialise(snapshot: Path) -> None:
    """Replace the slow mart views of a snapshot copy (not yet published) by tables of their rows."""
    con = utc_session(duckdb.connect(str(snapshot), config=NO_NETWORK))
    try:
        con.execute("BEGIN TRANSACTION")
        for name in MATERIALISED_IN_SNAPSHOT:
            schema, view = name.split(".")
            # names are the module's constants above, never data
            con.execute(f"CREATE TABLE {schema}.{view}__materialised AS SELECT * FROM {name}")  # noqa: S608
            con.execute(f"DROP VIEW {name}")
            con.execute(f"ALTER TABLE {schema}.{view}__materialised RENAME TO {view}")
            con.execute(f"COMMENT ON TABLE {name} IS 'Materialised at publish from the view of the same name "
                        f"in the writer''s warehouse (warehouse/publish.py).'")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def open_snapshot(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot."""
    path = path or config.paths().published
    if not path.exists():
        raise FileNotFoundError(f"no published snapshot at {path}: run `observatory load` and `observatory publish`")
    return utc_session(duckdb.connect(str(path), read_only=True, config=NO_NETWORK))
