"""What the dashboard reads: cached queries on the published, read-only snapshot, and small helpers.

Rules kept here so no page can break them:
- only the published snapshot is opened (``warehouse.publish.open_snapshot``), read-only, one fresh
  connection per query, closed right after (a DuckDB connection is not thread-safe, and the writer's
  file is never touched);
- every query is a constant SQL string with ``?`` parameters: nothing is built from user input or
  scraped text;
- results are cached as DataFrames keyed by the snapshot's path and modification time, so a new
  publish shows up at once, and for at most 60 seconds anyway;
- no query's cost grows with the length of history: what grows with it (crawls, their stock, days,
  listings) is read for a period of UTC days that the page passes as parameters (by default the last
  ``DEFAULT_PERIOD_DAYS`` days ending with the newest crawl in the snapshot, never the wall clock; at
  most ``MAX_PERIOD_DAYS``), long periods are thinned to hours or days, and lists are capped. What is
  left scans one row per crawl (``core.crawl_run``: ~35,000 rows a year, a few milliseconds) or the
  quarantine, which only grows with refused records. Exception: the OLI comparison reads whole daily
  series (its 28-day averages and base period need them), one row per day and occupation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from observatory import config
from warehouse.publish import open_snapshot

CACHE_TTL_S = 60

# The period of UTC days a page shows (see the module docstring).
DEFAULT_PERIOD_DAYS = 7
MAX_PERIOD_DAYS = 366
# The "available over time" series: every crawl used for flows up to this many days ...
EVERY_CRAWL_MAX_DAYS = 7
# ... then the last crawl used for flows of each hour up to this many, then of each UTC day.
HOURLY_MAX_DAYS = 62
# The headline figures look for the last full day this many days back from the source's newest crawl.
HEADLINE_LOOKBACK_DAYS = 7
# At most this many crawl runs are listed (newest first); the counts cover the whole period.
MAX_RUNS_LISTED = 1000

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


@dataclass(frozen=True)
class Period:
    """UTC days ``first_day`` to ``last_day``, both included: [start, end) in time."""

    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(), UTC)

    def label(self) -> str:
        if self.days == 1:
            return f"{self.first_day:%Y-%m-%d} (1 UTC day)"
        return f"{self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d} ({self.days} UTC days)"


def utc_day(ts: Any) -> date:
    """The UTC day of a timestamp (a naive one is taken as UTC)."""
    t = pd.Timestamp(ts)
    return (t.tz_convert(UTC) if t.tzinfo else t).date()


def default_period(first_crawl: Any, newest_crawl: Any, days: int = DEFAULT_PERIOD_DAYS) -> Period:
    """The last ``days`` UTC days ending with the day of the newest crawl (not before the first crawl)."""
    last = utc_day(newest_crawl)
    first = max(utc_day(first_crawl), last - timedelta(days=days - 1))
    return Period(first, last)


def clip_period(first_day: date, last_day: date) -> tuple[Period, bool]:
    """The period, ordered and cut to its last MAX_PERIOD_DAYS days; (period, whether it was cut)."""
    first_day, last_day = min(first_day, last_day), max(first_day, last_day)
    earliest = last_day - timedelta(days=MAX_PERIOD_DAYS - 1)
    return Period(max(first_day, earliest), last_day), first_day < earliest


def stock_resolution(period: Period) -> tuple[str | None, str]:
    """(time_bucket interval or None for every crawl, words) for the stock series over ``period``."""
    if period.days <= EVERY_CRAWL_MAX_DAYS:
        return None, "every crawl used for flows"
    if period.days <= HOURLY_MAX_DAYS:
        return "1 hour", "the last crawl used for flows of each hour"
    return "1 day", "the last crawl used for flows of each UTC day"


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
def source_spans(snapshot: str, mtime: int) -> pd.DataFrame:
    """Per source: its first and newest crawl (any outcome), what a page's period can span."""
    return _query(snapshot, """
        SELECT source, min(started_at) AS first_crawl_at, max(started_at) AS newest_crawl_at
        FROM core.crawl_run
        GROUP BY source
        ORDER BY source
    """)


def _period(snapshot: str, mtime: int, source: str | None, first_day: date | None,
            last_day: date | None) -> Period:
    """The period asked for, or (either day missing) the default period of the source (None: all)."""
    if first_day is not None and last_day is not None:
        return clip_period(first_day, last_day)[0]
    spans = source_spans(snapshot, mtime)
    if source is not None:
        spans = spans[spans["source"] == source]
    if spans.empty:  # nothing crawled: any period finds nothing
        return Period(date(1970, 1, 1), date(1970, 1, 1))
    return default_period(spans["first_crawl_at"].min(), spans["newest_crawl_at"].max())


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
def crawl_volume(snapshot: str, mtime: int, source: str, first_day: date | None = None,
                 last_day: date | None = None) -> pd.DataFrame:
    """Stock per crawl used for flows x worker country over a period (the 'HITs available over time' series).

    Over more than EVERY_CRAWL_MAX_DAYS days, one crawl per hour (then per UTC day) is kept: the last one
    used for flows in it, with all its countries (a stock is a level at a time: it is sampled, never
    summed or averaged over crawls). ``crawls_in_period`` says how many crawls that hour or day had.
    """
    period = _period(snapshot, mtime, source, first_day, last_day)
    bucket, _ = stock_resolution(period)
    # mart.crawl_volume's rows (core.run_stock joined with the crawls used for flows), with both sides
    # bounded by the period (a stock's observed_at is its crawl's started_at), so the join does not read
    # every crawl of history.
    return _query(snapshot, """
        WITH stock AS (
            SELECT s.run_id, s.observed_at, s.worker_country, s.listings_open, s.slots_available,
                   s.reward_available_usd, r.coverage
            FROM core.run_stock AS s
            JOIN core.crawl_run AS r USING (run_id, source)
            WHERE s.source = ? AND s.observed_at >= ? AND s.observed_at < ?
              AND r.used_for_flows AND r.started_at >= ? AND r.started_at < ?
        ),
        crawls AS (
            -- a NULL interval makes every crawl its own period
            SELECT DISTINCT run_id, observed_at,
                   coalesce(time_bucket(CAST(? AS INTERVAL), timezone('UTC', observed_at)),
                            timezone('UTC', observed_at)) AS period
            FROM stock
        ),
        shown AS (
            SELECT period, max_by(run_id, observed_at) AS run_id, count(*) AS crawls_in_period
            FROM crawls
            GROUP BY period
        )
        SELECT s.observed_at, s.worker_country,
               CAST(s.listings_open AS BIGINT) AS listings_open,
               CAST(s.slots_available AS BIGINT) AS slots_available,
               CAST(s.reward_available_usd AS DOUBLE) AS reward_available_usd,
               CAST(s.coverage AS DOUBLE) AS coverage,
               CAST(h.crawls_in_period AS BIGINT) AS crawls_in_period
        FROM stock AS s
        JOIN shown AS h USING (run_id)
        ORDER BY s.observed_at, s.worker_country
    """, [source, period.start, period.end, period.start, period.end, bucket])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def daily_volume(snapshot: str, mtime: int, source: str, first_day: date | None = None,
                 last_day: date | None = None) -> pd.DataFrame:
    """Flows and new listings per UTC day x worker country over a period. Never sum across worker_country.

    The flow columns of mart.daily_volume, read from the per-day stores that view reads (migration 008),
    restricted to the period before anything is joined: the view itself aggregates every crawl's stock
    of all history first. Days with neither flows nor new listings have no row (the view shows zeros).
    The stock over time is crawl_volume's.
    """
    period = _period(snapshot, mtime, source, first_day, last_day)
    return _query(snapshot, """
        WITH flow_day AS (
            SELECT day, worker_country, slots_arrived, slots_completed, slots_expired, reward_completed_usd,
                   vanished_listings
            FROM mart.flow_day_store
            WHERE source = ? AND day >= ? AND day <= ?
        ),
        new_day AS (
            SELECT day, worker_country, listings_new
            FROM mart.new_day_store
            WHERE source = ? AND day >= ? AND day <= ?
        )
        SELECT day, worker_country,
               CAST(coalesce(n.listings_new, 0) AS BIGINT) AS listings_new,
               CAST(coalesce(f.slots_arrived, 0) AS BIGINT) AS slots_arrived,
               CAST(coalesce(f.slots_completed, 0) AS BIGINT) AS slots_completed,
               CAST(coalesce(f.slots_expired, 0) AS BIGINT) AS slots_expired,
               CAST(coalesce(f.reward_completed_usd, 0) AS DOUBLE) AS reward_completed_usd,
               CAST(coalesce(f.vanished_listings, 0) AS BIGINT) AS vanished_listings
        FROM flow_day AS f
        FULL JOIN new_day AS n USING (day, worker_country)
        ORDER BY day, worker_country
    """, [source, period.first_day, period.last_day] * 2)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def daily_volume_total(snapshot: str, mtime: int, source: str, first_day: date | None = None,
                       last_day: date | None = None) -> pd.DataFrame:
    """Per UTC day over a period, each listing once: mart.daily_volume_total's rows for those days.

    Computed as that view is (migration 006: the flow store, full-joined with the day's crawls), with
    the crawls bounded by their start time, so only the period's crawls are read, not all of history's.
    """
    period = _period(snapshot, mtime, source, first_day, last_day)
    return _query(snapshot, """
        WITH flows AS (
            SELECT day, slots_arrived, slots_completed, slots_expired, reward_completed_usd
            FROM mart.flow_day_total_store
            WHERE source = ? AND day >= ? AND day <= ?
        ),
        runs AS (
            SELECT CAST(timezone('UTC', started_at) AS DATE) AS day,
                   count(*) FILTER (WHERE used_for_flows) AS crawls_used,
                   count(*) AS crawls,
                   min(coverage) AS min_coverage
            FROM core.crawl_run
            WHERE source = ? AND started_at >= ? AND started_at < ?
            GROUP BY ALL
        )
        SELECT day,
               CAST(coalesce(f.slots_arrived, 0) AS BIGINT) AS slots_arrived,
               CAST(coalesce(f.slots_completed, 0) AS BIGINT) AS slots_completed,
               CAST(coalesce(f.slots_expired, 0) AS BIGINT) AS slots_expired,
               CAST(coalesce(f.reward_completed_usd, 0) AS DECIMAL(18, 6)) AS reward_completed_usd,
               CAST(coalesce(r.crawls_used, 0) AS BIGINT) AS crawls_used,
               CAST(coalesce(r.crawls, 0) AS BIGINT) AS crawls,
               CAST(r.min_coverage AS DOUBLE) AS min_coverage
        FROM flows AS f
        FULL JOIN runs AS r USING (day)
        ORDER BY day
    """, [source, period.first_day, period.last_day, source, period.start, period.end])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def latest_listings(snapshot: str, mtime: int, source: str, first_day: date | None = None,
                    last_day: date | None = None, limit: int = 25) -> pd.DataFrame:
    """The listings first seen most recently within a period, with their tasks available if still open.

    The bound on first_seen_at lets DuckDB skip the row groups of core.listing outside the period (it is
    written in first-seen order), so the query reads the period's listings, not all of history.
    """
    period = _period(snapshot, mtime, source, first_day, last_day)
    return _query(snapshot, """
        WITH newest AS (
            SELECT source, listing_id, title, reward_amount, reward_currency, pay_basis, worker_countries,
                   first_seen_at, last_seen_at
            FROM core.listing
            WHERE source = ? AND first_seen_at >= ? AND first_seen_at < ?
            ORDER BY first_seen_at DESC, last_seen_at DESC, listing_id
            LIMIT ?
        )
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
        FROM newest AS l
        LEFT JOIN core.listing_current AS c USING (source, listing_id)
        ORDER BY l.first_seen_at DESC, l.last_seen_at DESC, l.listing_id
    """, [source, period.start, period.end, limit])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def crawl_runs(snapshot: str, mtime: int, source: str | None = None, first_day: date | None = None,
               last_day: date | None = None, limit: int = MAX_RUNS_LISTED) -> pd.DataFrame:
    """The newest ``limit`` crawl runs started within a period, of one source (None: every source)."""
    period = _period(snapshot, mtime, source, first_day, last_day)
    return _query(snapshot, """
        SELECT run_id, source, started_at, finished_at, status, coverage, used_for_flows, excluded_reason,
               results_seen, results_reported, items, quarantined, pages, errors, retries, finish_reason
        FROM core.crawl_run
        WHERE (CAST(? AS VARCHAR) IS NULL OR source = ?) AND started_at >= ? AND started_at < ?
        ORDER BY started_at DESC, run_id
        LIMIT ?
    """, [source, source, period.start, period.end, limit])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def crawl_run_counts(snapshot: str, mtime: int, source: str | None = None, first_day: date | None = None,
                     last_day: date | None = None) -> pd.DataFrame:
    """Crawls started within a period (one source or all): loaded, used for flows, failed, records quarantined."""
    period = _period(snapshot, mtime, source, first_day, last_day)
    return _query(snapshot, """
        SELECT CAST(count(*) AS BIGINT) AS crawls,
               CAST(count(*) FILTER (WHERE used_for_flows) AS BIGINT) AS used_for_flows,
               CAST(count(*) FILTER (WHERE status = 'failed') AS BIGINT) AS failed,
               CAST(coalesce(sum(quarantined), 0) AS BIGINT) AS quarantined
        FROM core.crawl_run
        WHERE (CAST(? AS VARCHAR) IS NULL OR source = ?) AND started_at >= ? AND started_at < ?
    """, [source, source, period.start, period.end])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def quarantine_counts(snapshot: str, mtime: int) -> pd.DataFrame:
    """Records refused at crawl or load, counted by source, stage and reason (never the records), all history.

    Not windowed: a run that could not be loaded has no crawl time, and the table only grows with
    refused records, not with crawls.
    """
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


def period_picker(spans: pd.DataFrame, source: str | None) -> tuple[Period, str]:
    """A period of UTC days in the sidebar, within the crawls of ``source`` (None: of every source).

    Returns the period and a sentence saying which period is shown (Markdown, dates only). The default
    ends with the newest crawl in the snapshot, never with the wall clock.
    """
    rows = spans if source is None else spans[spans["source"] == source]
    first_crawl, newest_crawl = rows["first_crawl_at"].min(), rows["newest_crawl_at"].max()
    default = default_period(first_crawl, newest_crawl)
    picked = st.sidebar.date_input(
        "Period (UTC days)", value=(default.first_day, default.last_day),
        min_value=utc_day(first_crawl), max_value=utc_day(newest_crawl), format="YYYY-MM-DD",
        help=f"First and last UTC day shown. Default: the last {DEFAULT_PERIOD_DAYS} days up to the newest "
             f"crawl; at most {MAX_PERIOD_DAYS} days. Long periods show the stock hourly or daily.",
    )
    days = [d for d in (picked if isinstance(picked, (tuple, list)) else [picked]) if d is not None]
    period, cut = clip_period(days[0], days[-1]) if days else (default, False)
    whose = "this source's" if source is not None else "the"
    text = f"Period shown: **{period.label()}**"
    if period == default and period.days == DEFAULT_PERIOD_DAYS:
        text += (f" (the default: the last {DEFAULT_PERIOD_DAYS} days up to {whose} newest crawl, "
                 f"{fmt_utc(newest_crawl)})")
    elif period == default:
        text += (f" (the default: every day from {whose} first crawl to the newest, "
                 f"{fmt_utc(newest_crawl)}; at most the last {DEFAULT_PERIOD_DAYS} days)")
    if cut:
        text += f"; a period is at most {MAX_PERIOD_DAYS} days, so it starts on {period.first_day:%Y-%m-%d}"
    return period, text + "."


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
def region_task_keys(snapshot: str, mtime: int, source: str, first_day: date | None = None,
                     last_day: date | None = None) -> pd.DataFrame:
    """The (day, region_kind, task_type) combinations with volume or pay rows for a source, within a period."""
    period = _period(snapshot, mtime, source, first_day, last_day)
    return _query(snapshot, """
        SELECT DISTINCT day, region_kind, task_type, true AS has_volume, false AS has_wages
        FROM mart.daily_region_task WHERE source = ? AND day >= ? AND day <= ?
        UNION ALL
        SELECT DISTINCT day, region_kind, task_type, false, true
        FROM mart.daily_wages WHERE source = ? AND day >= ? AND day <= ?
        ORDER BY 1, 2, 3
    """, [source, period.first_day, period.last_day, source, period.first_day, period.last_day])


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
