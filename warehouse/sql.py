"""Researchers' SQL on the published snapshot: read-only, no file or network access, time-limited.

Why it is built this way:
- a private DuckDB instance per query. The snapshot is ATTACHed read-only into a fresh in-memory
  database instead of being opened with ``duckdb.connect(path)``, because DuckDB shares one database
  instance between every connection of a process that opens the same file: locking the configuration
  there would also lock the dashboard's connections (which set their time zone). Each query therefore
  gets its own instance, its own settings, and nothing it does outlives it;
- two independent fences. The query must be a single SELECT (or EXPLAIN), checked with DuckDB's own
  parser, so writes, ATTACH, COPY, INSTALL/LOAD and SET are refused with a clear message before they
  run. Underneath, the session itself could not do them anyway: the snapshot is attached READ_ONLY,
  ``enable_external_access = false`` shuts out files, URLs and extension loading (``read_csv('/etc/passwd')``
  fails), and ``lock_configuration = true`` stops the query from switching any of that back on;
- a wall-clock limit: a timer interrupts the connection, and the caller gets a ``TimeoutError`` that
  says so, not DuckDB's bare "Interrupted!";
- results are streamed and cut at ``max_rows``, so ``SELECT * FROM`` a large view returns quickly; the
  frame's ``attrs["truncated"]`` says whether rows were left out. Decimals stay ``decimal.Decimal``
  (the methodology promises that no float ever holds money).
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from observatory import config
from warehouse.db import NO_NETWORK

# The catalog name the snapshot is attached under: the name DuckDB gives it when the published file
# (``warehouse.duckdb``) is opened directly, so a query written for one way works in the other.
SNAPSHOT_ALIAS = "warehouse"

# Statement kinds a researcher's query may be. DESCRIBE, SHOW, SUMMARIZE, VALUES and FROM-first queries
# all parse as SELECT.
ALLOWED_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})

_BATCH_ROWS = 2048


class QueryRefused(ValueError):
    """The query is not something researchers' SQL runs: not one read-only statement, or it reached outside."""


def snapshot_path(snapshot: Path | None) -> Path:
    """The snapshot to read (the data home's published one by default), which must exist."""
    path = Path(snapshot) if snapshot else config.paths().published
    if not path.is_file():
        raise FileNotFoundError(f"no published snapshot at {path}: run `observatory load` and `observatory publish`")
    return path


def attach_snapshot(snapshot: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB with the snapshot attached read-only as the default catalog, in UTC.

    File access is still on (the Parquet export needs it); ``open_sandbox`` turns it off. Private,
    so settings changed on it never reach another connection of this process.
    """
    path = snapshot_path(snapshot)
    con = duckdb.connect(":memory:", config=NO_NETWORK)
    try:
        con.execute(f'ATTACH $path AS "{SNAPSHOT_ALIAS}" (READ_ONLY)', {"path": str(path)})
        con.execute(f'USE "{SNAPSHOT_ALIAS}"')
        con.execute("SET TimeZone = 'UTC'")
    except BaseException:
        con.close()
        raise
    return con


def open_sandbox(snapshot: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The connection researchers' SQL runs on: snapshot read-only, no external access, settings locked."""
    con = attach_snapshot(snapshot)
    try:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def check_query(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The single SELECT/EXPLAIN statement in ``query``, or QueryRefused saying why not."""
    statements = con.extract_statements(query)
    if len(statements) != 1:
        raise QueryRefused(f"one statement only: the query holds {len(statements)}")
    (statement,) = statements
    if statement.type not in ALLOWED_STATEMENTS:
        kind = statement.type.name
        raise QueryRefused(
            f"only SELECT (or EXPLAIN) queries run on the published snapshot, which is read-only; "
            f"this is a {kind} statement"
        )
    return statement.query


def run_readonly_sql(
    query: str,
    snapshot: Path | None = None,
    timeout_s: float = 30,
    max_rows: int = 10000,
) -> pd.DataFrame:
    """Run one researcher's query on the published snapshot and return at most ``max_rows`` rows.

    Raises QueryRefused (not one SELECT/EXPLAIN, or it tried to reach files or the network),
    TimeoutError (longer than ``timeout_s``), FileNotFoundError (nothing published yet), or DuckDB's
    own error for a query that is simply wrong (unknown column, syntax).
    """
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    if max_rows < 0:
        raise ValueError("max_rows must not be negative")
    path = snapshot_path(snapshot)
    con = open_sandbox(path)
    timed_out = threading.Event()
    closing = threading.Lock()  # the timer must never interrupt a connection being closed
    closed = False

    def _stop() -> None:
        with closing:
            if not closed:
                timed_out.set()
                con.interrupt()

    timer = threading.Timer(timeout_s, _stop)
    timer.daemon = True
    try:
        statement = check_query(con, query)
        timer.start()
        relation = con.sql(statement)
        if relation is None:  # cannot happen for SELECT/EXPLAIN; kept so a surprise is not a crash
            return pd.DataFrame()
        reader = relation.to_arrow_reader(_BATCH_ROWS)
        batches: list[pa.RecordBatch] = []
        seen = 0
        for batch in reader:
            batches.append(batch)
            seen += batch.num_rows
            if seen > max_rows:
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException as exc:
        if timed_out.is_set():
            raise TimeoutError(
                f"the query ran longer than {timeout_s:g} s and was stopped; narrow it (filter by day or "
                f"source) or export the views to Parquet for heavy work"
            ) from exc
        raise
    except duckdb.PermissionException as exc:
        raise QueryRefused(
            f"file, network and extension access are disabled for queries on the published snapshot: {exc}"
        ) from exc
    finally:
        timer.cancel()
        with closing:
            closed = True
            con.close()
    frame = table.slice(0, max_rows).to_pandas()
    frame.attrs["truncated"] = table.num_rows > max_rows
    frame.attrs["snapshot"] = str(path)
    return frame
