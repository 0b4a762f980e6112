"""The 'Pay & regions' and 'OLI comparison' pages on a small published warehouse.

Why these checks: agencies quote what these pages show, so a percentile or a share on screen must be the
mart's figure for the same day, region and task type, a region without a minimum wage must read "no
minimum on record" (never 0 %), and both pages must explain themselves when there is no snapshot.

The warehouse (built once per module, real reference data, OLI fixture imported):
  2026-09-01  three crawls of survey listings with stated times: W (anyone, $0.10 / 60 s = $6/h),
              U (US, $0.50 / 600 s = $3/h), K (Kenya: no minimum on record, $0.20 / 120 s = $6/h),
              I (Italy: no statutory minimum, $0.50 / 600 s = $3/h); W, U, K and I each lose tasks;
  then one small crawl a day for 33 more days except day 30 (a gap in our OLI-comparable series).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES
from tests.helpers import T0, land_run, listing

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
OLI_FILE = FIXTURES / "oli" / "oli11data_2020-04-01_to_2020-05-11.csv"
DAY1 = date(2026, 9, 1)
GAP_DAY = 30


def _survey(listing_id: str, slots: int, reward: str, seconds: int, countries: list[str] | None) -> dict[str, Any]:
    item = listing(listing_id, slots, reward=reward, countries=countries, title=f"Answer a short survey {listing_id}")
    item.update(time_estimate_s=seconds)
    return item


def _build(home: Path) -> Path:
    from warehouse import db, reference
    from warehouse.load import load_pending
    from warehouse.marts import refresh_marts
    from warehouse.oli import import_oli_series
    from warehouse.publish import publish

    h = timedelta(hours=1)
    spec = {"W": ("0.10", 60, None), "U": ("0.50", 600, ["US"]), "K": ("0.20", 120, ["KE"]),
            "I": ("0.50", 600, ["IT"])}
    for hour, slots in ((1, 20), (7, 14), (13, 9)):
        land_run(T0 + hour * h, [_survey(k, slots + i, r, s, c) for i, (k, (r, s, c)) in enumerate(spec.items())])
    for d in range(1, 34):
        if d != GAP_DAY:
            land_run(T0 + timedelta(days=d, hours=2), [_survey(f"N{d}", 5, "0.10", 60, None)])
    con = db.connect()
    try:
        reference.load_reference(con, oli_path=None)
        load_pending(con)
        refresh_marts(con)
        assert import_oli_series(con, OLI_FILE, "oli11") > 0
    finally:
        con.close()
    return Path(publish()["snapshot"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    home = tmp_path_factory.mktemp("marts") / "data"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OBSERVATORY_HOME", str(home))
        mp.setenv("OBSERVATORY_PSEUDONYM_KEY", "test-key")
        snap = _build(home)
    yield home, snap


@pytest.fixture
def snapshot(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    home, snap = built
    monkeypatch.setenv("OBSERVATORY_HOME", str(home))
    return snap


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _page(path: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _mart(snap: Path, sql: str, params: list[Any]) -> pd.DataFrame:
    from warehouse.publish import open_snapshot

    con = open_snapshot(snap)
    try:
        return con.execute(sql, params).df()
    finally:
        con.close()


def test_pay_page_shows_the_marts_percentiles_shares_and_parameters(snapshot: Path) -> None:
    at = _page("views/wages.py")
    # The day defaults to the newest with figures (day 33); only that day's keys are read.
    assert at.sidebar.date_input[0].value == DAY1 + timedelta(days=33)
    at.sidebar.date_input[0].set_value(DAY1).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox[0].value == "survey"
    shown = _table(at, "median (p50)").set_index("region")
    mart = _mart(snapshot, "SELECT * FROM mart.daily_wages WHERE source = 'mturk' AND day = ? AND task_type = 'survey' "
                 "AND region_kind = 'worker_eligibility' AND weight_basis = 'tasks_completed'", [DAY1]).set_index("region")
    assert set(shown.index) == set(mart.index) == {"ALL", "US", "KE", "IT"}
    for region, row in mart.iterrows():
        for p in (10, 25, 50, 75, 90):
            label = "median (p50)" if p == 50 else f"p{p}"
            assert shown.loc[region, label] == pytest.approx(float(row[f"hourly_paid_usd_p{p}"]))
        assert shown.loc[region, "median incl. unpaid time"] == pytest.approx(float(row["hourly_incl_unpaid_usd_p50"]))
    # US: $3/h against $7.25: every task below; worldwide: $6/h against the US federal minimum, also below.
    assert mart.loc["US", "share_below_minimum_paid"] == pytest.approx(1.0)
    assert shown.loc["US", "share below minimum (paid time)"] == f"{mart.loc['US', 'share_below_minimum_paid']:.1%}"
    assert shown.loc["ALL", "minimum used"].startswith("US federal minimum for worldwide tasks")
    assert shown.loc["ALL", "minimum wage, USD/h"] == pytest.approx(7.25)
    # Kenya (nothing on record) and Italy (no statutory minimum): NULL in the mart, words on screen, not 0 %.
    for region in ("KE", "IT"):
        assert pd.isna(mart.loc[region, "share_below_minimum_paid"])
        assert shown.loc[region, "share below minimum (paid time)"] == "no minimum on record"
        assert shown.loc[region, "share below minimum (incl. unpaid time)"] == "no minimum on record"
    # The reason is told apart: Kenya is missing from our reference data, Italy has no statutory minimum.
    assert mart.loc["KE", "minimum_wage_basis"] == "not_on_record"
    assert shown.loc["KE", "minimum used"].startswith("no minimum on record: none in our reference data")
    assert mart.loc["IT", "minimum_wage_basis"] == "no_statutory_minimum"
    assert shown.loc["IT", "minimum used"].startswith("no comparison: the country has no single national statutory")
    # The parameters are stated, with the assumption called one.
    text = " ".join(m.value for m in at.markdown)
    assert "Share of allotted time worked = 1** (ASSUMPTION)" in text
    assert "ILO (2018)" in text and "modelled" in text
    assert "time_basis" in " ".join(c.value for c in at.caption)
    # Volume by region x task type equals the mart summed over currencies.
    volume = _table(at, "slots_completed")
    us = volume[(volume["region"] == "US") & (volume["task_type"] == "survey")].iloc[0]
    (done, usd) = _mart(snapshot, "SELECT sum(slots_completed), sum(reward_completed_usd) FROM mart.daily_region_task "
                        "WHERE source = 'mturk' AND day = ? AND region_kind = 'worker_eligibility' AND region = 'US' "
                        "AND task_type = 'survey'", [DAY1]).iloc[0]
    assert (us["slots_completed"], us["reward_completed_usd"]) == (done, pytest.approx(float(usd)))
    assert done == 21 - 10  # U (slots + 1): 21 -> 15 -> 10 tasks available, 11 completed
    # Every meaning of region runs; employer country is UNKNOWN here (none published).
    at.sidebar.radio[0].set_value("employer_country").run()
    assert not at.exception
    assert _table(at, "median (p50)")["region"].tolist() == ["UNKNOWN"]
    at.sidebar.radio[0].set_value("onsite_location").run()
    assert not at.exception and at.info


def test_oli_page_shows_both_series_with_gaps_base_and_citation(snapshot: Path) -> None:
    at = _page("views/oli.py")
    text = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "10.6084/m9.figshare.3761562" in text and "CC BY 4.0" in text and "Kässi" in text
    assert "nothing is interpolated" in text
    gap = (DAY1 + timedelta(days=GAP_DAY)).isoformat()
    assert f"Days without data: {gap}" in text  # ours
    assert "Days without data: 2020-05-09, 2020-05-10" in text  # the OLI deposit's own gaps
    assert "Base period (index = 100): 2020-04-01 to 2020-04-28" in text
    meta = _table(at, "gap_days").set_index("series")
    assert set(meta.index) == {"Observatory: mturk", "OLI: oli11"}
    assert meta.loc["OLI: oli11", "gap_days"] == 2 and meta.loc["Observatory: mturk", "gap_days"] == 1
    # Our index exists for the complete windows before the gap (days 27..29), none after it.
    assert meta.loc["Observatory: mturk", "days_with_ma28"] == 3
    for measure in ("ma28", "listings_new"):
        at.radio[0].set_value(measure).run()
        assert not at.exception


def test_oli_page_explains_how_to_import(home: Path) -> None:
    from warehouse import db
    from warehouse.publish import publish

    land_run(T0, [_survey("A", 3, "0.10", 60, None)])
    con = db.connect()
    try:
        from warehouse.load import load_pending
        from warehouse.marts import refresh_marts

        load_pending(con)
        refresh_marts(con)
    finally:
        con.close()
    publish()
    at = _page("views/oli.py")
    assert any("observatory oli-import FILE --label L" in i.value for i in at.info)
    at.switch_page("views/wages.py").run()
    assert not at.exception  # no reference data: no minimum wage, still runs


@pytest.mark.parametrize("page", ["views/wages.py", "views/oli.py"])
def test_without_a_snapshot_the_pages_explain(home: Path, page: str) -> None:
    at = _page(page)
    assert at.info and "observatory demo" in at.info[0].value
    assert not at.dataframe


def test_pay_page_reads_one_day_at_a_time(snapshot: Path) -> None:
    """The day picker's keys come from one day (or the default week), never from all of history."""
    from dashboard import data

    keys = data.region_task_keys(str(snapshot), 0, "mturk", DAY1 + timedelta(days=10), DAY1 + timedelta(days=12))
    assert set(pd.to_datetime(keys["day"]).dt.date) == {DAY1 + timedelta(days=d) for d in (10, 11, 12)}
    # Without a period: the last 7 days up to the source's newest crawl (day 33), day 30 having none.
    keys = data.region_task_keys(str(snapshot), 0, "mturk")
    assert set(pd.to_datetime(keys["day"]).dt.date) == {DAY1 + timedelta(days=d) for d in (27, 28, 29, 31, 32, 33)}
    at = _page("views/wages.py")
    at.sidebar.date_input[0].set_value(DAY1 + timedelta(days=GAP_DAY)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Pick another day" in i.value for i in at.info)
    assert not at.dataframe
