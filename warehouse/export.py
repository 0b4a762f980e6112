"""Export the researchers' views of a published snapshot to Parquet, with a manifest and checksums.

Why Parquet next to the DuckDB snapshot: it is read by every data tool (R arrow, pandas, Spark, DuckDB)
without our software, can be deposited in a repository and cited as a fixed dataset, and is what the
warehouse becomes past one machine (DuckLake over Parquet).

Layout (``out_dir``)::

    manifest.json                        what was exported from which snapshot, per view and per file
    SHA256SUMS                           ``sha256sum -c SHA256SUMS`` verifies every file
    <view>/source=<source>/month=<YYYY-MM>/data_0.parquet

Each view of the ``public`` schema (whatever the migrations define: later views are exported with no
change here) is partitioned hive-style by ``source`` and by the UTC month of its time column, the
first of ``TIME_COLUMNS`` it has: ``day`` for the daily views, ``observed_at`` for crawl_volume and
listing_changes, ``started_at`` for crawl_runs, ``run_started_at`` for quarantine_summary,
``first_seen_at`` for listings. A view without such a column (source_freshness) is partitioned by
source only, and one without ``source`` is not partitioned by it. A view with no rows is one
unpartitioned file with its columns, so every view can be read the same way. The partition columns
are not repeated inside the files (``month`` is not a column of any view): read with
``hive_partitioning = true`` to get ``source`` back, and ignore ``month``.

The export is built in a temporary sibling directory and renamed into place, so ``out_dir`` is either
absent or complete; it refuses an ``out_dir`` that already holds files (stale files would not be in
the manifest, and the checksums would not vouch for them).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow.parquet as pq

from observatory.contract import utc_iso
from warehouse.dictionary import PUBLIC_SCHEMA, PublicObject, public_objects
from warehouse.sql import attach_snapshot, snapshot_path

FORMAT = "microwork-observatory-parquet-export/1"
# Columns that place a row in time, in order of preference; the month partition is taken from the first.
TIME_COLUMNS = ("day", "observed_at", "started_at", "run_started_at", "first_seen_at")
_TIME_TYPES = ("DATE", "TIMESTAMP")
SOURCE_COLUMN = "source"
MONTH_COLUMN = "month"


def _ident(name: str) -> str:
    """A catalog identifier, double-quoted (names come from duckdb_views/duckdb_columns, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A SQL string literal, for the one place DuckDB takes no parameter: COPY's target path."""
    return "'" + text.replace("'", "''") + "'"


def time_column(obj: PublicObject) -> str | None:
    """The column whose UTC month partitions the view, or None when it has none."""
    types = {c.name: c.data_type for c in obj.columns}
    if MONTH_COLUMN in types:
        return None  # a view with its own `month` column would collide with the partition key
    for name in TIME_COLUMNS:
        if name in types and types[name].startswith(_TIME_TYPES):
            return name
    return None


def partition_columns(obj: PublicObject) -> list[str]:
    """The hive partition keys of the view's export: source and/or month, as it has them."""
    keys = [SOURCE_COLUMN] if any(c.name == SOURCE_COLUMN for c in obj.columns) else []
    return keys + ([MONTH_COLUMN] if time_column(obj) else [])


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return _sha256_stream(f)


def _sha256_stream(f: BinaryIO) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def _attach_identified(snapshot: Path) -> tuple[duckdb.DuckDBPyConnection, str, int]:
    """Attach the snapshot and hash the very file attached (publish may swap it in between).

    The file is opened first and hashed through that handle; if the path no longer names the same
    file once attached, a new snapshot was published in between, so try again.
    """
    for _ in range(3):
        with snapshot.open("rb") as f:
            con = attach_snapshot(snapshot)
            if os.fstat(f.fileno()).st_ino == os.stat(snapshot).st_ino:
                size = os.fstat(f.fileno()).st_size
                return con, _sha256_stream(f), size
            con.close()
    raise RuntimeError(f"{snapshot} kept changing while being opened: is a publish looping?")


def _published_manifest(snapshot: Path, size: int) -> dict[str, Any] | None:
    """The publish manifest next to the snapshot, if it describes this file (same size)."""
    path = snapshot.with_name("manifest.json")
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("bytes") not in (None, size):
        return None  # written for another snapshot (a publish was under way)
    return manifest


def _export_view(con: duckdb.DuckDBPyConnection, obj: PublicObject, target: Path) -> tuple[int, list[str]]:
    """Write one view under ``target``; return its row count and partition keys."""
    source = f"{_ident(PUBLIC_SCHEMA)}.{_ident(obj.name)}"
    (rows,) = con.execute(f"SELECT count(*) FROM {source}").fetchone()  # noqa: S608 (catalog identifiers)
    columns = ", ".join(_ident(c.name) for c in obj.columns)
    keys = partition_columns(obj) if rows else []
    tcol = time_column(obj)
    select = f"SELECT {columns}"
    if MONTH_COLUMN in keys and tcol:
        select += f", strftime({_ident(tcol)}, '%Y-%m') AS {_ident(MONTH_COLUMN)}"
    select += f" FROM {source} ORDER BY ALL"
    target.mkdir(parents=True)
    if keys:
        to = _literal(str(target))
        options = f"FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({', '.join(_ident(k) for k in keys)})"
    else:
        to = _literal(str(target / "data_0.parquet"))
        options = "FORMAT parquet, COMPRESSION zstd"
    # Identifiers come from the catalog and are quoted; the only other text is our own output path.
    con.execute(f"COPY ({select}) TO {to} ({options})")  # noqa: S608
    return int(rows), keys


def export_parquet(snapshot: Path, out_dir: Path) -> Path:
    """Export every public view of ``snapshot`` to Parquet under ``out_dir``; return ``out_dir``.

    Writes manifest.json (exported_at; the snapshot's path, size, sha256 and published_at from the
    publish manifest when it is there; per view: rows, columns with types and descriptions, partition
    keys; per file: path, rows, bytes, sha256) and SHA256SUMS. Row counts read back from the files
    must add up to each view's count, or the export fails.
    """
    snapshot = snapshot_path(snapshot)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise FileExistsError(f"{out_dir} already exists and is not an empty directory: export to a new one")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        con, snapshot_sha, snapshot_bytes = _attach_identified(snapshot)
        try:
            published = _published_manifest(snapshot, snapshot_bytes)
            views, files = [], []
            for obj in public_objects(con):
                rows, keys = _export_view(con, obj, tmp / obj.name)
                view_files = []
                for path in sorted((tmp / obj.name).rglob("*.parquet")):
                    rel = path.relative_to(tmp).as_posix()
                    view_files.append({
                        "path": rel, "view": obj.qualified, "rows": pq.read_metadata(path).num_rows,
                        "bytes": path.stat().st_size, "sha256": sha256_of(path),
                    })
                written = sum(f["rows"] for f in view_files)
                if written != rows:
                    raise RuntimeError(f"{obj.qualified}: {rows} rows in the view, {written} in the files")
                files += view_files
                views.append({
                    "view": obj.qualified, "kind": obj.kind, "description": obj.comment, "rows": rows,
                    "partitioned_by": keys, "time_column": time_column(obj),
                    "columns": [{"name": c.name, "type": c.data_type, "description": c.comment}
                                for c in obj.columns],
                })
        finally:
            con.close()
        manifest = {
            "format": FORMAT,
            "exported_at": utc_iso(datetime.now(UTC).replace(microsecond=0)),
            "snapshot": {
                "path": str(snapshot),
                "bytes": snapshot_bytes,
                "sha256": snapshot_sha,
                "published_at": (published or {}).get("published_at"),
                "last_crawl_at": (published or {}).get("last_crawl_at"),
            },
            "reading": "hive-partitioned Parquet: read <view>/**/*.parquet with hive_partitioning = true; "
                       "`month` is a partition key only, not a column of the view",
            "views": views,
            "files": files,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        sums = [(f["sha256"], f["path"]) for f in files] + [(sha256_of(tmp / "manifest.json"), "manifest.json")]
        (tmp / "SHA256SUMS").write_text("".join(f"{h}  {p}\n" for h, p in sorted(sums, key=lambda s: s[1])),
                                        encoding="utf-8")
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def verify_export(out_dir: Path) -> list[str]:
    """Files whose checksum does not match SHA256SUMS, or that are missing (empty list = intact)."""
    problems = []
    for line in (out_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        path = out_dir / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_of(path) != digest:
            problems.append(f"{rel}: checksum does not match")
    return problems
