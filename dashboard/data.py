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


# --------------------------------------------------------------------------------------------------
# Pay & regions, OLI comparison (marts of migration 004). Same rules: constant SQL, parameters only.


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def mart_params(snapshot: str, mtime: int) -> pd.DataFrame:
    """Every mart parameter with its basis and source, so a page can state what its figures rest on."""
    return _query(snapshot, """
        SELECT name, num_value, date_value, basis, source, note, set_at
        FROM mart.param
        ORDER BY name
    """)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def region_task_keys(snapshot: str, mtime: int, source: str) -> pd.DataFrame:
    """The (day, region_kind, task_type) combinations with volume or pay rows for a source (the pickers)."""
    return _query(snapshot, """
        SELECT DISTINCT day, region_kind, task_type, true AS has_volume, false AS has_wages
        FROM mart.daily_region_task WHERE source = ?
        UNION ALL
        SELECT DISTINCT day, region_kind, task_type, false, true
        FROM mart.daily_wages WHERE source = ?
        ORDER BY 1, 2, 3
    """, [source, source])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def daily_wages(snapshot: str, mtime: int, source: str, region_kind: str, task_type: str, day: date,
                weight_basis: str) -> pd.DataFrame:
    """Hourly pay per region for one day, task type and weight basis (mart.daily_wages, one row a region).

    Money stays exact in the mart; it is cast to DOUBLE here only for display.
    """
    return _query(snapshot, """
        SELECT region,
               tasks_weight, tasks_weight_timed, tasks_weight_modelled,
               CAST(hourly_paid_usd_p10 AS DOUBLE) AS p10,
               CAST(hourly_paid_usd_p25 AS DOUBLE) AS p25,
               CAST(hourly_paid_usd_p50 AS DOUBLE) AS p50,
               CAST(hourly_paid_usd_p75 AS DOUBLE) AS p75,
               CAST(hourly_paid_usd_p90 AS DOUBLE) AS p90,
               CAST(hourly_incl_unpaid_usd_p50 AS DOUBLE) AS p50_incl_unpaid,
               CAST(minimum_wage_usd AS DOUBLE) AS minimum_wage_usd,
               CAST(minimum_wage_local AS DOUBLE) AS minimum_wage_local,
               minimum_wage_currency, minimum_wage_basis, minimum_wage_legal_source, minimum_wage_as_of,
               share_below_minimum_paid, share_below_minimum_incl_unpaid,
               share_of_allotted_worked, unpaid_overhead_factor
        FROM mart.daily_wages
        WHERE source = ? AND region_kind = ? AND task_type = ? AND day = ? AND weight_basis = ?
        ORDER BY tasks_weight DESC, region
    """, [source, region_kind, task_type, day, weight_basis])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def region_task_volume(snapshot: str, mtime: int, source: str, region_kind: str, day: date) -> pd.DataFrame:
    """Volume per region x task type for one day, summed over reward currencies (each listing has one).

    A converted reward total is NULL when any of its currencies had no ECB rate that day, rather than a
    partial sum that would look complete; reward flows exist for per-task listings only.
    """
    return _query(snapshot, """
        SELECT region, task_type,
               CAST(sum(listings_new) AS BIGINT) AS listings_new,
               CAST(sum(listings_open) AS BIGINT) AS listings_open,
               CAST(sum(slots_available) AS BIGINT) AS slots_available,
               CAST(sum(slots_completed) AS BIGINT) AS slots_completed,
               CAST(sum(slots_expired) AS BIGINT) AS slots_expired,
               CASE WHEN count(*) FILTER (WHERE reward_completed IS NOT NULL AND reward_completed_usd IS NULL) = 0
                    THEN CAST(sum(reward_completed_usd) AS DOUBLE) END AS reward_completed_usd,
               CASE WHEN count(*) FILTER (WHERE reward_completed IS NOT NULL AND reward_completed_eur IS NULL) = 0
                    THEN CAST(sum(reward_completed_eur) AS DOUBLE) END AS reward_completed_eur,
               string_agg(DISTINCT reward_currency, ', ' ORDER BY reward_currency) AS reward_currencies,
               CAST(max(crawls_used) AS BIGINT) AS crawls_used
        FROM mart.daily_region_task
        WHERE source = ? AND region_kind = ? AND day = ?
        GROUP BY region, task_type
        ORDER BY region, task_type
    """, [source, region_kind, day])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def oli_series(snapshot: str, mtime: int) -> pd.DataFrame:
    """One row per series of mart.oli_index (Total): its span, gap days, base period and moving-average rule."""
    return _query(snapshot, """
        SELECT series,
               min(day) AS first_day, max(day) AS last_day,
               CAST(count(*) AS BIGINT) AS days,
               CAST(count(*) FILTER (WHERE listings_new IS NULL) AS BIGINT) AS gap_days,
               CAST(count(ma28) AS BIGINT) AS days_with_ma28,
               min(base_start) AS base_start, min(base_end) AS base_end,
               CAST(min(base_days_observed) AS BIGINT) AS base_days_observed,
               CAST(min(base_mean_total) AS DOUBLE) AS base_mean_total,
               min(ma_min_days) AS ma_min_days
        FROM mart.oli_index
        WHERE oli_occupation = 'Total'
        GROUP BY series
        ORDER BY series
    """)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def oli_index(snapshot: str, mtime: int, series: str) -> pd.DataFrame:
    """Daily count, 28-day moving average and index of one series, every occupation and Total (gaps NULL)."""
    return _query(snapshot, """
        SELECT day, oli_occupation, listings_new, CAST(window_days_observed AS BIGINT) AS window_days_observed,
               ma28, index_value
        FROM mart.oli_index
        WHERE series = ?
        ORDER BY oli_occupation, day
    """, [series])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def oli_imports(snapshot: str, mtime: int) -> pd.DataFrame:
    """Provenance of each imported OLI file (name, checksum, DOI, licence, citation)."""
    return _query(snapshot, """
        SELECT source_label, kind, file_name, file_sha256, rows_imported, first_day, last_day, doi, licence,
               citation, imported_at
        FROM core.oli_import
        ORDER BY source_label, kind
    """)


def gap_segments(frame: pd.DataFrame, value: str, by: str) -> pd.Series:
    """A segment number per row that changes after every missing value, within each ``by`` group.

    Drawing each segment as its own line (Altair ``detail``) makes a gap a visible break whatever the
    chart library's default for missing values, so no line is ever drawn across days without data.
    """
    if frame.empty:
        return pd.Series([], dtype="int64", index=frame.index)
    missing = frame[value].isna().astype("int64")
    return missing.groupby(frame[by]).cumsum()
