"""Post-load steps for the marts of migration 004: classify new listings, and manage mart parameters.

Why a separate step: the loader (warehouse/load.py) must stay as cheap as the run it loads, and the
taxonomy (observatory/taxonomy.py) is versioned reference data that may change independently of any
run. So after each load, :func:`refresh_marts` classifies only the listings that have no row in
``core.listing_class`` yet: those first seen in runs loaded since the last classification, checked by
comparing the two tables' row counts (a full anti-join on the primary key when they differ), so its cost
follows the new listings, not the history; it reclassifies everything only when the taxonomy's content
hash changes. Every other mart of 004 is a view over core, computed when read, so there is nothing else
to refresh: a figure can always be traced to the listing_state rows it was computed from.

Parameters (``mart.param``) are explicit, dated and labelled ``assumption``, ``published`` or
``convention``; :func:`set_param` changes one and records why, and each mart row that uses a parameter
carries the value it used, so a reader can redo a figure with another value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from observatory import taxonomy

# Classify with the SQL macros generated from ref.task_rule (taxonomy.load_into): the same validated
# patterns as taxonomy.classify, compiled once. core.listing publishes no keywords field, so keywords is
# NULL (as a platform without keywords passes None to taxonomy.classify).
_PENDING_SQL = """
CREATE OR REPLACE TEMP TABLE stg_unclassified AS
SELECT l.source, l.listing_id, l.title, l.description, l.category, CAST(NULL AS VARCHAR) AS keywords
FROM core.listing AS l
ANTI JOIN core.listing_class AS c USING (source, listing_id)
"""
# The listings first seen in runs loaded since the last classification: a new listing's first run was
# loaded after the listing_class rows that exist (classified_at and loaded_at are both the writer's
# clock). Cost: a scan of crawl_run and of core.listing's first_run_id column, not a join with all of
# core.listing_class. Some may already be classified (a refresh that found nothing new does not move the
# watermark), hence ON CONFLICT DO NOTHING below.
_RECENT_SQL = """
CREATE OR REPLACE TEMP TABLE stg_unclassified AS
SELECT l.source, l.listing_id, l.title, l.description, l.category, CAST(NULL AS VARCHAR) AS keywords
FROM core.listing AS l
WHERE l.first_run_id IN (SELECT run_id FROM core.crawl_run WHERE loaded_at >= $since)
"""
_CLASSIFY_SQL = """
INSERT INTO core.listing_class
SELECT k.source, k.listing_id, k.task_type, k.task_rule_id, k.oli_occupation, k.oli_microwork,
       t.oli_in_scope, k.astroturf, k.astroturf_rule_id, k.taxonomy_version, $now
FROM ref.classify_listings('stg_unclassified') AS k
JOIN ref.task_type AS t USING (task_type)
ON CONFLICT DO NOTHING
"""
_UNCLASSIFIED_COUNT_SQL = (
    "SELECT (SELECT count(*) FROM core.listing) - (SELECT count(*) FROM core.listing_class)"
)

PARAM_BASES = ("assumption", "published", "convention")


def _taxonomy_loaded(con: duckdb.DuckDBPyConnection) -> str | None:
    """The taxonomy_version held in ref.task_rule, or None when the taxonomy was never loaded."""
    (exists,) = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ref' AND table_name = 'task_rule'"
    ).fetchone()
    if not exists:
        return None
    row = con.execute("SELECT min(taxonomy_version) FROM ref.task_rule").fetchone()
    return row[0] if row else None


def refresh_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Bring what the 004 marts read up to date after a load, in one transaction.

    Loads the taxonomy into ``ref`` when absent or when its files changed (then every listing is
    classified again, since old rows would mix two rule sets), and classifies listings not yet in
    ``core.listing_class``. Idempotent; costs what the new listings cost. Call it after each load
    (observatory/pipeline.py) with the writer's connection.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        current = taxonomy.taxonomy_version()
        if _taxonomy_loaded(con) != current:
            taxonomy.load_into(con, "ref", transaction=False)
            con.execute("DELETE FROM core.listing_class WHERE taxonomy_version <> ?", [current])
        now = datetime.now(UTC)
        (since,) = con.execute("SELECT max(classified_at) FROM core.listing_class").fetchone()
        if since is not None:
            con.execute(_RECENT_SQL, {"since": since})
            con.execute(_CLASSIFY_SQL, {"now": now})
        # The check that makes the shortcut safe: every listing classified, else the full anti-join
        # (first refresh, new taxonomy, a clock set back, rows written outside the loader).
        (missing,) = con.execute(_UNCLASSIFIED_COUNT_SQL).fetchone()
        if missing:
            con.execute(_PENDING_SQL)
            con.execute(_CLASSIFY_SQL, {"now": now})
        con.execute("DROP TABLE IF EXISTS stg_unclassified")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def params(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    """Every mart parameter with its value, basis, source and note (for `observatory params` and docs)."""
    cur = con.execute("SELECT name, num_value, date_value, basis, source, note, set_at FROM mart.param ORDER BY name")
    cols = [d[0] for d in cur.description]
    return {row[0]: dict(zip(cols[1:], row[1:], strict=True)) for row in cur.fetchall()}


def set_param(
    con: duckdb.DuckDBPyConnection,
    name: str,
    value: float | date | None,
    *,
    basis: str,
    source: str,
    note: str,
) -> None:
    """Change one existing mart parameter, saying on what basis and why (never silently).

    A number goes to num_value, a date to date_value; None clears it (for the OLI base period: back to
    the default). Unknown names are refused, so a typo cannot create a parameter no view reads.
    """
    if basis not in PARAM_BASES:
        raise ValueError(f"basis must be one of {PARAM_BASES}, not {basis!r}")
    if not source.strip() or not note.strip():
        raise ValueError("a parameter change needs a source and a note saying why")
    (known,) = con.execute("SELECT count(*) FROM mart.param WHERE name = ?", [name]).fetchone()
    if not known:
        raise KeyError(f"unknown mart parameter {name!r}")
    if isinstance(value, bool):
        raise TypeError("a parameter is a number, a date or None")
    num = float(value) if isinstance(value, int | float) else None
    day = value if isinstance(value, date) else None
    if value is not None and num is None and day is None:
        raise TypeError("a parameter is a number, a date or None")
    if name == "share_of_allotted_worked" and (num is None or not 0 < num <= 1):
        raise ValueError("share_of_allotted_worked must be in (0, 1]: time worked cannot exceed time allotted")
    if name == "unpaid_overhead_factor" and (num is None or num < 1):
        raise ValueError("unpaid_overhead_factor must be >= 1 (unpaid time only adds to time worked)")
    if name == "oli_ma_min_days" and (num is None or not 1 <= num <= 28 or num != int(num)):
        raise ValueError("oli_ma_min_days must be a whole number of days from 1 to 28")
    if name.startswith("oli_base_") and value is not None and day is None:
        raise TypeError(f"{name} is a date")
    con.execute(
        "UPDATE mart.param SET num_value = ?, date_value = ?, basis = ?, source = ?, note = ?, set_at = ? "
        "WHERE name = ?",
        [num, day, basis, source, note, datetime.now(UTC), name],
    )


__all__ = ["PARAM_BASES", "params", "refresh_marts", "set_param"]
