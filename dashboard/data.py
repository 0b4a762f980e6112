"""What the dashboard reads: cached queries on the published, read-only snapshot, and small helpers.

Rules kept here so no page can break them:
- only the published snapshot is opened (``warehouse.publish.open_snapshot``), read-only, one fresh
  connection per query, closed right after (a DuckDB connection is not thread-safe, and the writer's
  file is never touched);
- every query is a constant SQL string with ``?`` parameters: nothing is built from user input or
  scraped text;
- results are cached as DataFrames keyed by the snapshot's path and modification time, so a new
  publish shows up at once, and for at most 60 seconds anyway.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from observatory import config
from warehouse.publish import open_snapshot

CACHE_TTL_S = 60

NO_SNAPSHOT_HELP = (
    "No published snapshot of the warehouse was found at `{path}`.\n\n"
    "The dashboard only reads a published, read-only snapshot. To make one:\n\n"
    "- `observatory demo` runs the marketplace simulator, several crawls, the load and the publish, "
    "then serves this dashboard;\n"
    "- or, with crawls already landed, `observatory load && observatory publish`.\n\n"
    "Then reload this page."
)


# --------------------------------------------------------------------------------------------------
# The snapshot


def snapshot_path() -> Path:
    return config.paths().published


def snapshot_key() -> tuple[str, int] | None:
    """(path, mtime in ns) of the published snapshot, or None when there is none: the cache key."""
    path = snapshot_path()
    try:
        return str(path), path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def require_snapshot() -> tuple[str, int]:
    """The snapshot key; without a snapshot, explain how to make one and stop the page."""
    key = snapshot_key()
    if key is None:
        st.info(NO_SNAPSHOT_HELP.format(path=snapshot_path()), icon=":material/info:")
        st.stop()
    return key


def _query(snapshot: str, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    con = open_snapshot(Path(snapshot))
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def manifest(snapshot: str) -> dict[str, Any]:
    """The publish manifest next to the snapshot ({} when missing or unreadable)."""
    try:
        return json.loads(Path(snapshot).with_name("manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# --------------------------------------------------------------------------------------------------
# Queries (constant SQL, parameters only)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def sources(snapshot: str, mtime: int) -> pd.DataFrame:
    """Every source with at least one loaded crawl."""
    return _query(snapshot, "SELECT DISTINCT source FROM core.crawl_run ORDER BY source")


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def snapshot_times(snapshot: str, mtime: int) -> pd.DataFrame:
    """The newest observation in the snapshot (any source, any crawl)."""
    return _query(snapshot, """
        SELECT max(finished_at) AS newest_observation, max(started_at) AS newest_crawl_start,
               count(*) AS crawls
        FROM core.crawl_run
    """)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def freshness(snapshot: str, mtime: int) -> pd.DataFrame:
    return _query(snapshot, """
        SELECT source, last_crawl_at, last_success_at, last_used_at,
               CAST(crawls AS BIGINT) AS crawls, CAST(crawls_failed AS BIGINT) AS crawls_failed,
               CAST(items AS BIGINT) AS items
        FROM mart.source_freshness
        ORDER BY source
    """)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def current_stock(snapshot: str, mtime: int, source: str) -> pd.DataFrame:
    """Listings open and tasks available after the latest crawl used for flows, each listing once."""
    return _query(snapshot, """
        SELECT
            (SELECT max(started_at) FROM core.crawl_run WHERE source = ? AND used_for_flows) AS crawl_at,
            count(*) AS listings_open,
            CAST(coalesce(sum(slots_available), 0) AS BIGINT) AS slots_available
        FROM core.listing_current
        WHERE source = ?
    """, [source, source])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def crawl_volume(snapshot: str, mtime: int, source: str) -> pd.DataFrame:
    """Stock per crawl used for flows x worker country (the 'HITs available over time' series)."""
    return _query(snapshot, """
        SELECT observed_at, worker_country,
               CAST(listings_open AS BIGINT) AS listings_open,
               CAST(slots_available AS BIGINT) AS slots_available,
               CAST(reward_available_usd AS DOUBLE) AS reward_available_usd,
               CAST(coverage AS DOUBLE) AS coverage
        FROM mart.crawl_volume
        WHERE source = ?
        ORDER BY observed_at, worker_country
    """, [source])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def daily_volume(snapshot: str, mtime: int, source: str) -> pd.DataFrame:
    """Per UTC day x worker country. Never sum across worker_country: multi-country listings repeat."""
    return _query(snapshot, """
        SELECT day, worker_country,
               CAST(listings_new AS BIGINT) AS listings_new,
               CAST(listings_open AS BIGINT) AS listings_open,
               CAST(slots_available AS BIGINT) AS slots_available,
               CAST(slots_arrived AS BIGINT) AS slots_arrived,
               CAST(slots_completed AS BIGINT) AS slots_completed,
               CAST(slots_expired AS BIGINT) AS slots_expired,
               CAST(reward_completed_usd AS DOUBLE) AS reward_completed_usd,
               CAST(vanished_listings AS BIGINT) AS vanished_listings,
               CAST(crawls_used AS BIGINT) AS crawls_used
        FROM mart.daily_volume
        WHERE source = ?
        ORDER BY day, worker_country
    """, [source])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def daily_volume_total(snapshot: str, mtime: int, source: str) -> pd.DataFrame:
    """Per UTC day, each listing once."""
    return _query(snapshot, """
        SELECT day,
               CAST(slots_arrived AS BIGINT) AS slots_arrived,
               CAST(slots_completed AS BIGINT) AS slots_completed,
               CAST(slots_expired AS BIGINT) AS slots_expired,
               CAST(reward_completed_usd AS DECIMAL(18, 6)) AS reward_completed_usd,
               CAST(crawls_used AS BIGINT) AS crawls_used,
               CAST(crawls AS BIGINT) AS crawls,
               CAST(min_coverage AS DOUBLE) AS min_coverage
        FROM mart.daily_volume_total
        WHERE source = ?
        ORDER BY day
    """, [source])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def latest_listings(snapshot: str, mtime: int, source: str, limit: int = 25) -> pd.DataFrame:
    """The listings first seen most recently, with their tasks available if still open."""
    return _query(snapshot, """
        SELECT l.title,
               CAST(l.reward_amount AS DOUBLE) AS reward_amount,
               l.reward_currency,
               l.pay_basis,
               c.slots_available,
               CASE WHEN len(l.worker_countries) = 0 THEN 'ALL'
                    ELSE array_to_string(l.worker_countries, ', ') END AS worker_countries,
               c.listing_id IS NOT NULL AS open_now,
               l.first_seen_at,
               l.last_seen_at,
               l.listing_id
        FROM core.listing AS l
        LEFT JOIN core.listing_current AS c USING (source, listing_id)
        WHERE l.source = ?
        ORDER BY l.first_seen_at DESC, l.last_seen_at DESC, l.listing_id
        LIMIT ?
    """, [source, limit])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def crawl_runs(snapshot: str, mtime: int) -> pd.DataFrame:
    return _query(snapshot, """
        SELECT run_id, source, started_at, finished_at, status, coverage, used_for_flows, excluded_reason,
               results_seen, results_reported, items, quarantined, pages, errors, retries, finish_reason
        FROM core.crawl_run
        ORDER BY started_at DESC, run_id
    """)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def quarantine_counts(snapshot: str, mtime: int) -> pd.DataFrame:
    """Records refused at crawl or load, counted by source, stage and reason (never the records)."""
    return _query(snapshot, """
        SELECT source, stage, reason, count(*) AS records, count(DISTINCT run_id) AS runs
        FROM raw.quarantine
        GROUP BY source, stage, reason
        ORDER BY records DESC, source, stage, reason
    """)


# --------------------------------------------------------------------------------------------------
# Pure helpers (tested without Streamlit)


def last_full_day(days: pd.Series, newest: datetime | pd.Timestamp | None) -> tuple[date | None, bool]:
    """The latest UTC day before the day of the newest observation that has data; (day, is_full).

    When the data covers a single day, that day is returned with is_full = False (a day in progress).
    """
    if days is None or len(days) == 0:
        return None, False
    ds = sorted({pd.Timestamp(d).date() for d in days})
    if newest is None or pd.isna(newest):
        return ds[-1], False
    today = pd.Timestamp(newest).tz_convert(UTC).date() if pd.Timestamp(newest).tzinfo else pd.Timestamp(newest).date()
    before = [d for d in ds if d < today]
    if before:
        return before[-1], True
    return ds[-1], False


def fmt_utc(ts: Any) -> str:
    """'2026-09-01 06:00 UTC', or an em dash for missing."""
    if ts is None or pd.isna(ts):
        return "—"
    t = pd.Timestamp(ts)
    t = t.tz_convert(UTC) if t.tzinfo else t.tz_localize(UTC)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def fmt_age(delta: timedelta | pd.Timedelta | None) -> str:
    """A time span in words: '3 d 4 h', '2 h 5 min', '40 s'; negative spans say 'in the future'."""
    if delta is None or pd.isna(delta):
        return "—"
    seconds = int(pd.Timedelta(delta).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        text = f"{d} d {h} h"
    elif h:
        text = f"{h} h {m} min"
    elif m:
        text = f"{m} min"
    else:
        text = f"{s} s"
    return f"{text} in the future" if future else f"{text} ago"


def to_naive_utc(s: pd.Series) -> pd.Series:
    """UTC timestamps without a zone, so charts show UTC whatever the browser's zone."""
    s = pd.to_datetime(s, utc=True)
    return s.dt.tz_convert(UTC).dt.tz_localize(None)


def md_escape(text: Any) -> str:
    """Escape a value for a Markdown context (used only for platform keys in headings)."""
    out = []
    for ch in str(text):
        if ch in "\\`*_{}[]()<>#+-.!|~$:":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def source_picker(options: list[str], *, allow_all: bool = False) -> str | None:
    """A source selector in the sidebar; None means every source (when allowed)."""
    choices = (["All sources"] if allow_all else []) + options
    default = options.index("mturk") + (1 if allow_all else 0) if "mturk" in options else 0
    picked = st.sidebar.selectbox("Source (platform)", choices, index=default,
                                  help="Platform key, as in the warehouse (`mturk`, `freelancer`, ...).")
    return None if picked == "All sources" else picked


def now_utc() -> datetime:
    return datetime.now(UTC)
