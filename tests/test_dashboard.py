"""The dashboard on a small published warehouse: every page runs, and the headline figures are right.

The warehouse is built by hand (tests/helpers.py) so every figure is known:

  day 1 (2026-09-01, UTC)          A (ALL, $0.10)  B (US+CA, $0.50)  C (US, $0.05)  D (US, $0.25)  E (ALL, $0.10)
    01:00 baseline                  100             50                20             -              -
    07:00                           80 (-20)        50                20             30 (new)       -
    13:00                           60 (-20)        40 (-10)          gone (+20)     30             -
    19:00                           60              40                -              25 (-5)        10 (new)
  day 2
    04:00 low coverage (10 %)       only A seen: left out of flows
    01:00, 07:00                    50 (-10) / 50   40 / 30 (-10)     -              25 / 25        10 / 8 (-2)

Day 1 completions, each listing once: 20 + (20 + 10 + 20) + 5 = 75 HITs, reward 2 + 8 + 1.25 = $11.25.
Latest crawl used for flows (day 2, 07:00): 50 + 30 + 25 + 8 = 113 HITs in 4 open listings.

A second, longer history (``long_history``) checks that pages read a period of days, not all of history:
12 days (2026-09-01 to 09-12), crawls at 01:00, 01:30 and 13:00 each day (36 crawls, k = 0..35 in time
order). Listing A (ALL) has 1000 - k HITs at crawl k, so each point of a series says which crawl it
came from; U (US) has 50 throughout; N<d> is new on day d (title "New on day d") and gone the next day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers import T0, land_run, listing

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
SCRIPT_TITLE = "<script>alert(1)</script>"
PAGES = ["views/overview.py", "views/sources.py", "views/about.py"]


def _run(at, a: int, b: int, c: int | None, d: int | None, e: int | None) -> None:
    items = [listing("A", a, reward="0.10"), listing("B", b, reward="0.50", countries=["US", "CA"])]
    if c is not None:
        items.append(listing("C", c, reward="0.05", countries=["US"]))
    if d is not None:
        items.append(listing("D", d, reward="0.25", countries=["US"]))
    if e is not None:
        items.append(listing("E", e, reward="0.10", title=SCRIPT_TITLE))
    land_run(at, items)


def build_published_warehouse() -> Path:
    """Land, load and publish the runs above under the current OBSERVATORY_HOME; return the snapshot."""
    from warehouse import db
    from warehouse.load import load_pending
    from warehouse.publish import publish

    h = timedelta(hours=1)
    _run(T0 + 1 * h, 100, 50, 20, None, None)
    _run(T0 + 7 * h, 80, 50, 20, 30, None)
    _run(T0 + 13 * h, 60, 40, None, 30, None)
    _run(T0 + 19 * h, 60, 40, None, 25, 10)
    _run(T0 + 25 * h, 50, 40, None, 25, 10)
    land_run(T0 + 28 * h, [listing("A", 50)], reported=10)  # 10 % coverage: left out of flows
    _run(T0 + 31 * h, 50, 30, None, 25, 8)
    con = db.connect()
    try:
        load_pending(con)
    finally:
        con.close()
    return Path(publish()["snapshot"])


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def snapshot(home: Path) -> Path:
    return build_published_warehouse()


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30)


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    # Scraped titles never reach a Markdown-rendering element.
    for kind in ("markdown", "caption", "title", "subheader", "header", "info", "error", "warning", "success"):
        for el in at.get(kind):
            assert "<script" not in str(getattr(el, "value", "")), (kind, el)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_every_page_runs(snapshot: Path) -> None:
    at = _app().run()
    _assert_clean(at)
    assert at.title[0].value == "Overview"
    for page, title in zip(PAGES, ["Overview", "Sources & runs", "Method"], strict=True):
        at.switch_page(page).run()
        _assert_clean(at)
        assert at.title[0].value == title


def test_headline_metrics_match_the_snapshot(snapshot: Path) -> None:
    from warehouse.publish import open_snapshot

    con = open_snapshot(snapshot)
    try:
        (hits_now,) = con.execute(
            "SELECT sum(slots_available) FROM core.listing_current WHERE source = 'mturk'").fetchone()
        (open_now,) = con.execute("SELECT count(*) FROM core.listing_current WHERE source = 'mturk'").fetchone()
        (stock_ts,) = con.execute(
            "SELECT max(observed_at) FROM mart.crawl_volume WHERE source = 'mturk'").fetchone()
        (stock_sum_all,) = con.execute(
            "SELECT sum(slots_available) FROM mart.crawl_volume WHERE observed_at = ? AND worker_country = 'ALL'",
            [stock_ts]).fetchone()
        done, reward = con.execute(
            "SELECT slots_completed, reward_completed_usd FROM mart.daily_volume_total "
            "WHERE source = 'mturk' AND day = DATE '2026-09-01'").fetchone()
        (by_country,) = con.execute(
            "SELECT sum(slots_completed) FROM mart.daily_volume "
            "WHERE source = 'mturk' AND day = DATE '2026-09-01'").fetchone()
    finally:
        con.close()
    # The snapshot agrees with the hand-computed sequence (module docstring)...
    assert (hits_now, open_now, done, reward) == (113, 4, 75, Decimal("11.25"))
    assert stock_sum_all == 50 + 8
    assert by_country == 85  # B counted in US and CA, C and D in US: why the dashboard never sums countries
    # ... and the dashboard shows exactly those figures.
    at = _app().run()
    _assert_clean(at)
    metrics = _metrics(at)
    assert metrics["HITs available"] == f"{hits_now:,}"
    assert metrics["Listings open"] == f"{open_now:,}"
    assert metrics["HITs completed (estimated)"] == f"{done:,}"
    assert metrics["Reward flow, USD (est.)"] == f"${reward:,.2f}"
    captions = " ".join(c.value for c in at.caption)
    assert "on 2026-09-01 (last full UTC day)" in captions
    assert "at the latest crawl used for flows, 2026-09-02 07:00 UTC" in captions
    for m in at.metric:
        assert m.help, f"metric {m.label!r} has no definition"


def test_overview_shows_titles_as_data_and_countries(snapshot: Path) -> None:
    at = _app().run()
    _assert_clean(at)
    tables = [df.value for df in at.dataframe]
    listings = next(t for t in tables if "title" in t.columns)
    assert SCRIPT_TITLE in listings["title"].tolist()
    assert "US, CA" in listings["worker_countries"].tolist()
    freshness = next(t for t in tables if "last successful crawl (UTC)" in t.columns)
    assert freshness["last successful crawl (UTC)"].tolist() == ["2026-09-02 07:00 UTC"]
    assert freshness["before the newest observation"].tolist() == ["0 s ago"]
    assert ("Period shown: **2026-09-01 to 2026-09-02 (2 UTC days)** (the default: every day from this source's "
            "first crawl to the newest, 2026-09-02 07:00 UTC; at most the last 7 days).") in " ".join(
        c.value for c in at.caption)
    countries = at.multiselect[0]
    assert set(countries.value) == {"ALL", "US", "CA"}
    assert countries.options == ["ALL", "CA", "US"]
    countries.set_value(["CA"]).run()
    _assert_clean(at)


def test_sources_page_lists_runs_and_exclusions(snapshot: Path) -> None:
    at = _app().run()
    at.switch_page("views/sources.py").run()
    _assert_clean(at)
    runs = next(df.value for df in at.dataframe if "run_id" in df.value.columns)
    assert len(runs) == 7
    excluded = runs[~runs["used_for_flows"]]
    assert len(excluded) == 1 and excluded["excluded_reason"].notna().all()
    assert excluded["coverage"].iloc[0] == pytest.approx(0.1)
    metrics = _metrics(at)
    assert metrics["Crawls loaded"] == "7"
    assert metrics["Used for flows"] == "6"


def test_a_new_publish_shows_up(snapshot: Path) -> None:
    from warehouse import db
    from warehouse.load import load_pending
    from warehouse.publish import publish

    at = _app().run()
    assert _metrics(at)["HITs available"] == "113"
    _run(T0 + timedelta(hours=37), 40, 30, None, 25, 8)
    con = db.connect()
    try:
        load_pending(con)
    finally:
        con.close()
    publish()
    at.run()
    _assert_clean(at)
    assert _metrics(at)["HITs available"] == "103"


def test_without_a_snapshot_every_page_explains(home: Path) -> None:
    at = _app().run()
    _assert_clean(at)
    assert at.info and "observatory demo" in at.info[0].value
    assert "observatory load && observatory publish" in at.info[0].value
    for page in PAGES[1:]:
        at.switch_page(page).run()
        _assert_clean(at)
    assert at.title[0].value == "Method"
    at.switch_page("views/sources.py").run()
    assert at.info and "observatory demo" in at.info[0].value


def test_an_empty_snapshot_runs(home: Path) -> None:
    from warehouse import db
    from warehouse.publish import publish

    db.connect().close()
    publish()
    at = _app().run()
    _assert_clean(at)
    assert at.info and "no crawl yet" in at.info[0].value
    at.switch_page("views/sources.py").run()
    _assert_clean(at)


def test_helpers() -> None:
    from dashboard import data

    days = pd.Series(pd.to_datetime(["2026-09-01", "2026-09-02"]).date)
    newest = pd.Timestamp("2026-09-02 07:00", tz="UTC")
    assert data.last_full_day(days, newest) == (pd.Timestamp("2026-09-01").date(), True)
    assert data.last_full_day(days[:1], pd.Timestamp("2026-09-01 07:00", tz="UTC")) == (
        pd.Timestamp("2026-09-01").date(), False)
    assert data.last_full_day(pd.Series([], dtype=object), newest) == (None, False)
    assert data.fmt_age(timedelta(days=2, hours=3)) == "2 d 3 h ago"
    assert data.fmt_age(timedelta(minutes=-5)) == "5 min in the future"
    assert data.fmt_utc(newest) == "2026-09-02 07:00 UTC"
    assert data.md_escape("*x*") == "\\*x\\*"


# --------------------------------------------------------------------------------------------------
# Periods: what grows with history is read for a period of days (module docstring, second history)

LONG_DAYS = 12
LONG_TIMES = (timedelta(hours=1), timedelta(hours=1, minutes=30), timedelta(hours=13))
SEP = [date(2026, 9, d) for d in range(1, 13)]  # SEP[i] = 2026-09-(i + 1)


def build_long_history() -> Path:
    from warehouse import db
    from warehouse.load import load_pending
    from warehouse.publish import publish

    k = 0
    for d in range(LONG_DAYS):
        for offset in LONG_TIMES:
            land_run(T0 + timedelta(days=d) + offset, [
                listing("A", 1000 - k), listing("U", 50, reward="0.20", countries=["US"]),
                listing(f"N{d + 1}", 10, reward="0.05", title=f"New on day {d + 1}"),
            ])
            k += 1
    con = db.connect()
    try:
        load_pending(con)
    finally:
        con.close()
    return Path(publish()["snapshot"])


@pytest.fixture(scope="module")
def _long_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    home = tmp_path_factory.mktemp("long") / "data"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OBSERVATORY_HOME", str(home))
        mp.setenv("OBSERVATORY_PSEUDONYM_KEY", "test-key")
        snap = build_long_history()
    yield home, snap


@pytest.fixture
def long_history(_long_built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> str:
    home, snap = _long_built
    monkeypatch.setenv("OBSERVATORY_HOME", str(home))
    return str(snap)


def _days(frame: pd.DataFrame, column: str) -> set[date]:
    return set(pd.to_datetime(frame[column], utc=True).dt.date)


def test_queries_read_the_default_period_only(long_history: str) -> None:
    """Without a period, each query reads the last 7 UTC days up to the newest crawl: 2026-09-06 to 09-12."""
    from dashboard import data

    week = set(SEP[5:])
    vol = data.crawl_volume(long_history, 0, "mturk")
    assert _days(vol, "observed_at") == week
    assert vol["observed_at"].nunique() == 7 * 3  # every crawl: a week is not thinned
    assert (vol["crawls_in_period"] == 1).all()
    assert set(pd.to_datetime(data.daily_volume(long_history, 0, "mturk")["day"]).dt.date) == week
    assert set(pd.to_datetime(data.daily_volume_total(long_history, 0, "mturk")["day"]).dt.date) == week
    runs = data.crawl_runs(long_history, 0)
    assert len(runs) == 21 and _days(runs, "started_at") == week
    assert runs["started_at"].is_monotonic_decreasing
    assert data.crawl_run_counts(long_history, 0).iloc[0].to_dict() == {
        "crawls": 21, "used_for_flows": 21, "failed": 0, "quarantined": 0}
    listings = data.latest_listings(long_history, 0, "mturk")
    assert listings["title"].tolist() == [f"New on day {d}" for d in range(12, 5, -1)]  # A and U: first seen 09-01
    # An explicit period is read as given.
    vol = data.crawl_volume(long_history, 0, "mturk", SEP[1], SEP[2])
    assert _days(vol, "observed_at") == {SEP[1], SEP[2]}
    assert data.latest_listings(long_history, 0, "mturk", SEP[1], SEP[2])["title"].tolist() == [
        "New on day 3", "New on day 2"]
    assert len(data.crawl_runs(long_history, 0, "mturk", SEP[1], SEP[2], limit=4)) == 4


def test_long_periods_sample_the_stock_hourly_then_daily(long_history: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over more than a week, the stock is the last crawl of each hour (then day), never a sum or a mean."""
    from dashboard import data

    vol = data.crawl_volume(long_history, 0, "mturk", SEP[0], SEP[-1])  # 12 days: hourly
    a = vol[vol["worker_country"] == "ALL"].reset_index(drop=True)
    assert len(a) == 2 * LONG_DAYS  # 01:00 and 01:30 share an hour: only 01:30 is kept
    kept = [k for d in range(LONG_DAYS) for k in (3 * d + 1, 3 * d + 2)]
    assert a["slots_available"].tolist() == [1000 - k + 10 for k in kept]  # ALL: A and the day's N
    assert a["crawls_in_period"].tolist() == [2, 1] * LONG_DAYS
    assert (pd.to_datetime(a["observed_at"], utc=True).dt.strftime("%H:%M") == "01:30").sum() == LONG_DAYS
    assert set(vol.loc[vol["observed_at"] == a["observed_at"].iloc[0], "worker_country"]) == {"ALL", "US"}

    monkeypatch.setattr(data, "HOURLY_MAX_DAYS", 10)  # 12 days is now long: one crawl per day
    st.cache_data.clear()
    a = data.crawl_volume(long_history, 0, "mturk", SEP[0], SEP[-1])
    a = a[a["worker_country"] == "ALL"]
    assert a["slots_available"].tolist() == [1000 - (3 * d + 2) + 10 for d in range(LONG_DAYS)]  # each day's 13:00
    assert (a["crawls_in_period"] == 3).all()


def test_overview_says_which_period_it_shows(long_history: str) -> None:
    at = _app().run()
    _assert_clean(at)
    assert at.sidebar.date_input[0].value == (SEP[5], SEP[11])
    captions = " ".join(c.value for c in at.caption)
    assert ("Period shown: **2026-09-06 to 2026-09-12 (7 UTC days)** (the default: the last 7 days up to "
            "this source's newest crawl, 2026-09-12 13:00 UTC)") in captions
    assert "Each point: every crawl used for flows (21 points for the 21 crawls used for flows" in captions
    listings = next(df.value for df in at.dataframe if "title" in df.value.columns)
    assert listings["title"].tolist() == [f"New on day {d}" for d in range(12, 5, -1)]
    # The headline figures do not depend on the period: the latest crawl, the last full day.
    metrics = _metrics(at)
    assert metrics["HITs available"] == f"{1000 - 35 + 50 + 10:,}"
    assert "on 2026-09-11 (last full UTC day)" in captions

    at.sidebar.date_input[0].set_value((SEP[0], SEP[11])).run()
    _assert_clean(at)
    captions = " ".join(c.value for c in at.caption)
    assert "Period shown: **2026-09-01 to 2026-09-12 (12 UTC days)**." in captions
    assert ("Each point: the last crawl used for flows of each hour (24 points for the 36 crawls used for "
            "flows in the period). HITs available is a level at one moment, so it is sampled") in captions
    assert _metrics(at) == metrics

    at.sidebar.date_input[0].set_value((SEP[1], SEP[1])).run()
    _assert_clean(at)
    listings = next(df.value for df in at.dataframe if "title" in df.value.columns)
    assert listings["title"].tolist() == ["New on day 2"]
    assert "Period shown: **2026-09-02 (1 UTC day)**." in " ".join(c.value for c in at.caption)


def test_sources_page_lists_the_periods_runs(long_history: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import data

    at = _app().run()
    at.switch_page("views/sources.py").run()
    _assert_clean(at)
    runs = next(df.value for df in at.dataframe if "run_id" in df.value.columns)
    assert len(runs) == 21 and _days(runs, "started_at") == set(SEP[5:])
    assert _metrics(at)["Crawls loaded"] == "21"
    captions = " ".join(c.value for c in at.caption)
    assert "Period shown: **2026-09-06 to 2026-09-12 (7 UTC days)**" in captions
    assert "All 21 crawls started in the period, newest first." in captions
    # The freshness table still covers all of history.
    fresh = next(df.value for df in at.dataframe if "crawls" in df.value.columns)
    assert fresh["crawls"].tolist() == [36]

    monkeypatch.setattr(data, "MAX_RUNS_LISTED", 4)
    at.sidebar.date_input[0].set_value((SEP[0], SEP[1])).run()
    _assert_clean(at)
    runs = next(df.value for df in at.dataframe if "run_id" in df.value.columns)
    assert len(runs) == 4 and _days(runs, "started_at") == {SEP[1]} | {SEP[0]}
    assert _metrics(at)["Crawls loaded"] == "6"
    assert "The newest 4 of the 6 crawls started in the period" in " ".join(c.value for c in at.caption)


def test_period_helpers() -> None:
    from dashboard import data

    newest = pd.Timestamp("2026-09-12 13:00", tz="UTC")
    assert data.default_period(pd.Timestamp("2026-09-01 01:00", tz="UTC"), newest) == data.Period(SEP[5], SEP[11])
    # Never before the first crawl, and never from the wall clock: only from the crawls' times.
    assert data.default_period(pd.Timestamp("2026-09-10 23:00", tz="UTC"), newest) == data.Period(SEP[9], SEP[11])
    period, cut = data.clip_period(date(2025, 1, 1), date(2026, 9, 12))
    assert cut and period.days == data.MAX_PERIOD_DAYS and period.last_day == SEP[11]
    assert data.clip_period(SEP[11], SEP[0]) == (data.Period(SEP[0], SEP[11]), False)
    assert data.Period(SEP[0], SEP[0]).end - data.Period(SEP[0], SEP[0]).start == timedelta(days=1)
    assert data.stock_resolution(data.Period(SEP[0], SEP[6]))[0] is None
    assert data.stock_resolution(data.Period(SEP[0], SEP[7]))[0] == "1 hour"
    assert data.stock_resolution(data.Period(date(2026, 7, 1), SEP[11]))[0] == "1 day"


FLOW_COLUMNS = ["listings_new", "slots_arrived", "slots_completed", "slots_expired", "reward_completed_usd",
                "vanished_listings"]


def _comparable(frame: pd.DataFrame, *, nonzero: list[str] | None = None) -> pd.DataFrame:
    """Days as dates and figures as floats (NULL: NaN); with ``nonzero``, only rows with a non-zero one."""
    frame = frame.assign(day=pd.to_datetime(frame["day"]).dt.date)
    figures = [c for c in frame.columns if c not in ("day", "worker_country")]
    frame = frame.astype({c: "float64" for c in figures})
    if nonzero is not None:
        frame = frame[(frame[nonzero] != 0).any(axis=1)]
    return frame.reset_index(drop=True)


def _assert_period_queries_equal_the_marts(snap: str, first: date, last: date) -> None:
    """The bounded queries give, for the period, what the marts' views give for the same days."""
    from dashboard import data
    from warehouse.publish import open_snapshot

    con = open_snapshot(Path(snap))
    try:
        view = con.execute(
            f"SELECT day, worker_country, {', '.join(FLOW_COLUMNS)} FROM mart.daily_volume "  # noqa: S608 - constants
            "WHERE source = 'mturk' AND day BETWEEN ? AND ? ORDER BY day, worker_country", [first, last]).df()
        total = con.execute("SELECT * EXCLUDE (source) FROM mart.daily_volume_total "
                            "WHERE source = 'mturk' AND day BETWEEN ? AND ? ORDER BY day", [first, last]).df()
        stock = con.execute(
            "SELECT observed_at, worker_country, listings_open, slots_available, "
            "CAST(reward_available_usd AS DOUBLE) AS reward_available_usd, coverage FROM mart.crawl_volume "
            "WHERE source = 'mturk' AND CAST(observed_at AS DATE) BETWEEN ? AND ? ORDER BY observed_at, worker_country",
            [first, last]).df()
    finally:
        con.close()
    ours = data.daily_volume(snap, 0, "mturk", first, last)
    assert not ours.empty and list(ours.columns) == ["day", "worker_country", *FLOW_COLUMNS]
    # The view also has all-zero rows for days with a stock but no flow: the same figures otherwise.
    pd.testing.assert_frame_equal(_comparable(ours, nonzero=FLOW_COLUMNS), _comparable(view, nonzero=FLOW_COLUMNS))
    pd.testing.assert_frame_equal(_comparable(data.daily_volume_total(snap, 0, "mturk", first, last)),
                                  _comparable(total))
    if (last - first).days < data.EVERY_CRAWL_MAX_DAYS:  # every crawl: mart.crawl_volume's rows
        ours = data.crawl_volume(snap, 0, "mturk", first, last).drop(columns="crawls_in_period")
        assert len(ours) == len(stock) > 0
        pd.testing.assert_frame_equal(ours, stock, check_dtype=False)


def test_period_queries_equal_the_marts(long_history: str) -> None:
    _assert_period_queries_equal_the_marts(long_history, SEP[3], SEP[8])
    _assert_period_queries_equal_the_marts(long_history, SEP[0], SEP[11])


def test_period_queries_equal_the_marts_with_exclusions(snapshot: Path) -> None:
    # The small history: a baseline, vanishing listings, a run left out of flows (day 2).
    _assert_period_queries_equal_the_marts(str(snapshot), date(2026, 9, 1), date(2026, 9, 2))
    _assert_period_queries_equal_the_marts(str(snapshot), date(2026, 9, 2), date(2026, 9, 2))
