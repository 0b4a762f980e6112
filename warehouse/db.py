"""Opening the warehouse and bringing its schema up to date with numbered SQL migrations."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from observatory import config

# Never reach for the network to fetch extensions: the ones used (json, icu, parquet) are built in.
NO_NETWORK = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}


def utc_session(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Every session computes days and hours in UTC, whatever the machine's zone."""
    con.execute("SET TimeZone = 'UTC'")
    return con


_MIGRATION = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers: {versions}")
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration not yet applied, each in its own transaction; return those applied."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.schema_migration "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM meta.schema_migration").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO meta.schema_migration VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC)],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def connect(path: Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (the writer's file by default); the writer's connection is migrated first."""
    path = path or config.paths().warehouse
    if read_only:
        return utc_session(duckdb.connect(str(path), read_only=True, config=NO_NETWORK))
    path.parent.mkdir(parents=True, exist_ok=True)
    con = utc_session(duckdb.connect(str(path), config=NO_NETWORK))
    migrate(con)
    return con
