"""Overview: how much microwork there is on a platform, where it may be done, and what it pays."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data

st.title("Overview")
snap, mtime = data.require_snapshot()

options = data.sources(snap, mtime)["source"].tolist()
if not options:
    st.info("The published snapshot holds no crawl yet. Run `observatory demo`, or land crawls and run "
            "`observatory load && observatory publish`.", icon=":material/info:")
    st.stop()
source = data.source_picker(options)

times = data.snapshot_times(snap, mtime).iloc[0]
newest = times["newest_observation"]
now = data.now_utc()
published_at = data.manifest(snap).get("published_at")
st.caption(
    f"Source: {data.md_escape(source)}. All times are UTC and days are UTC days. Newest observation in the "
    f"snapshot: {data.fmt_utc(newest)}; snapshot published {data.fmt_utc(published_at)}. Figures marked "
    "*estimated* are inferred from changes between consecutive crawls (see **Method**)."
)

# --------------------------------------------------------------------------------------------------
# Headline figures
stock = data.current_stock(snap, mtime, source).iloc[0]
totals = data.daily_volume_total(snap, mtime, source)
day, full = data.last_full_day(totals["day"] if len(totals) else pd.Series(dtype=object), newest)
row = totals[pd.to_datetime(totals["day"]).dt.date == day] if day is not None else totals.iloc[0:0]
completed = int(row["slots_completed"].sum()) if len(row) else 0
reward = float(sum(row["reward_completed_usd"].dropna())) if len(row) else 0.0
day_label = f"{day:%Y-%m-%d}" if day is not None else "—"
if day is not None and not full:
    day_label += ", day in progress"
crawl_at = stock["crawl_at"]
has_stock = crawl_at is not None and not pd.isna(crawl_at)

c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "HITs available", f"{int(stock['slots_available']):,}" if has_stock else "—",
    help="Tasks still open to be taken (MTurk: HITs available), summed over the listings open at the "
         f"latest crawl used for flows ({data.fmt_utc(crawl_at)}); each listing counted once.",
    border=True,
)
c1.caption(f"at the latest crawl used for flows, {data.fmt_utc(crawl_at)}")
c2.metric(
    "HITs completed (estimated)", f"{completed:,}" if day is not None else "—",
    help="Estimated from changes between consecutive crawls: falls in HITs available, plus the HITs left "
         "in listings that vanished before their expiry (returned or cancelled HITs look the same). "
         "Last full UTC day, each listing counted once.",
    border=True,
)
c2.caption(f"on {day_label} (last full UTC day), estimated from changes between crawls")
c3.metric(
    "Reward flow, USD (est.)", f"${reward:,.2f}" if day is not None else "—",
    help="Estimated HITs completed x reward per HIT at that time, USD listings only, over the last full "
         "UTC day: what requesters paid for the work, before platform fees.",
    border=True,
)
c3.caption(f"on {day_label}: HITs completed x reward per HIT, USD listings only")
c4.metric(
    "Listings open", f"{int(stock['listings_open']):,}" if has_stock else "—",
    help=f"Listings (MTurk: HIT groups) seen open at the latest crawl used for flows ({data.fmt_utc(crawl_at)}).",
    border=True,
)
c4.caption(f"HIT groups open at the latest crawl used for flows, {data.fmt_utc(crawl_at)}")

# --------------------------------------------------------------------------------------------------
# Freshness
st.subheader("Last crawled successfully")
fresh = data.freshness(snap, mtime)
if len(fresh):
    shown = pd.DataFrame({
        "source": fresh["source"],
        "last successful crawl (UTC)": fresh["last_success_at"].map(data.fmt_utc),
        "before the newest observation": [data.fmt_age(newest - t) if not pd.isna(t) else "—"
                                          for t in fresh["last_success_at"]],
        "before now (wall clock)": [data.fmt_age(now - t) if not pd.isna(t) else "—"
                                    for t in fresh["last_success_at"]],
        "last used for flows (UTC)": fresh["last_used_at"].map(data.fmt_utc),
        "crawls": fresh["crawls"],
        "failed": fresh["crawls_failed"],
    })
    st.dataframe(shown, hide_index=True, width="stretch")
st.caption(
    "Start time of each source's latest crawl with status ok, and how long before the snapshot's newest "
    f"observation ({data.fmt_utc(newest)}) and before the wall clock now ({data.fmt_utc(now)}) it was. "
    "Crawls of archives or of the simulator run on their own clock, so the wall-clock age can be large "
    "(or in the future)."
)

# --------------------------------------------------------------------------------------------------
# HITs available over time, by worker country
st.subheader("HITs available over time, by worker country")
vol = data.crawl_volume(snap, mtime, source)
daily = data.daily_volume(snap, mtime, source)
if vol.empty:
    st.info("No crawl of this source has been used for flows yet, so there is no series to show.",
            icon=":material/info:")
else:
    last = vol[vol["observed_at"] == vol["observed_at"].max()]
    ranked = last.sort_values(["slots_available", "worker_country"], ascending=[False, True])
    all_countries = sorted(set(vol["worker_country"]) | set(daily["worker_country"]))
    default = ranked["worker_country"].head(5).tolist()
    countries = st.multiselect(
        "Worker countries", all_countries, default=default,
        help="Where the work may be done: ISO country codes workers must be in; ALL = open to workers "
             "anywhere. Defaults to the five with the most HITs available at the latest crawl.",
    )
    sel = vol[vol["worker_country"].isin(countries)].copy()
    sel["crawl time (UTC)"] = data.to_naive_utc(sel["observed_at"])
    line = (
        alt.Chart(sel)
        .mark_line(point=True)
        .encode(
            x=alt.X("crawl time (UTC):T", title="crawl time (UTC)",
                    axis=alt.Axis(format="%b %d %H:%M", labelOverlap="greedy")),
            y=alt.Y("slots_available:Q", title="HITs available"),
            color=alt.Color("worker_country:N", title="worker country"),
            tooltip=[alt.Tooltip("crawl time (UTC):T", format="%Y-%m-%d %H:%M"),
                     alt.Tooltip("worker_country:N", title="worker country"),
                     alt.Tooltip("slots_available:Q", title="HITs available", format=","),
                     alt.Tooltip("listings_open:Q", title="listings open", format=","),
                     alt.Tooltip("coverage:Q", format=".1%")],
        )
        .properties(height=320)
    )
    st.altair_chart(line, width="stretch")
    st.caption(
        "HITs available = tasks still open at each crawl used for flows (crawls with too little coverage "
        "are left out). Worker country is eligibility (where the work may be done), not where workers "
        "live. A listing open to several countries is counted in each, so the lines must not be added up."
    )

    # ----------------------------------------------------------------------------------------------
    # Flows per day, by worker country
    dsel = daily[daily["worker_country"].isin(countries)].copy()
    dsel["day (UTC)"] = pd.to_datetime(dsel["day"]).dt.strftime("%Y-%m-%d")

    def bars(field: str, title: str, fmt: str) -> alt.Chart:
        return (
            alt.Chart(dsel)
            .mark_bar()
            .encode(
                x=alt.X("day (UTC):O", title="day (UTC)", axis=alt.Axis(labelAngle=0)),
                xOffset=alt.XOffset("worker_country:N"),
                y=alt.Y(f"{field}:Q", title=title),
                color=alt.Color("worker_country:N", title="worker country"),
                tooltip=[alt.Tooltip("day (UTC):O"), alt.Tooltip("worker_country:N", title="worker country"),
                         alt.Tooltip(f"{field}:Q", title=title, format=fmt)],
            )
            .properties(height=280)
        )

    left, right = st.columns(2)
    with left:
        st.markdown("**HITs completed per day (estimated from changes between crawls)**")
        st.altair_chart(bars("slots_completed", "HITs completed (estimated)", ","), width="stretch")
    with right:
        st.markdown("**Reward flow per day (USD, estimated)**")
        st.altair_chart(bars("reward_completed_usd", "reward flow, USD (estimated)", "$,.2f"), width="stretch")
    st.caption(
        "HITs completed: falls in HITs available between consecutive crawls, plus the HITs left in listings "
        "that vanished before their expiry; returned or cancelled HITs look the same, and work done between "
        "two crawls is missed, so these are estimates. Reward flow: completed HITs x reward per HIT, USD "
        "listings only. Bars side by side per country; a multi-country listing appears in each of its "
        "countries, so bars must not be stacked or summed."
    )

# --------------------------------------------------------------------------------------------------
# Latest listings
st.subheader("Latest listings")
listings = data.latest_listings(snap, mtime, source)
if listings.empty:
    st.info("No listing seen for this source yet.", icon=":material/info:")
else:
    st.dataframe(
        listings[["title", "reward_amount", "reward_currency", "slots_available", "worker_countries",
                  "open_now", "first_seen_at", "last_seen_at"]],
        hide_index=True,
        width="stretch",
        column_config={
            "title": st.column_config.TextColumn("title (as published)", width="medium"),
            "reward_amount": st.column_config.NumberColumn("reward per HIT", format="%.2f"),
            "reward_currency": st.column_config.TextColumn("currency"),
            "slots_available": st.column_config.NumberColumn("HITs available", format="%d"),
            "worker_countries": st.column_config.TextColumn("worker countries"),
            "open_now": st.column_config.CheckboxColumn("open at latest crawl"),
            "first_seen_at": st.column_config.DatetimeColumn("first seen (UTC)", format="YYYY-MM-DD HH:mm",
                                                             timezone="UTC"),
            "last_seen_at": st.column_config.DatetimeColumn("last seen (UTC)", format="YYYY-MM-DD HH:mm",
                                                            timezone="UTC"),
        },
    )
    st.caption(
        "The listings first seen most recently. Titles are shown exactly as the platform published them "
        "(plain text, never interpreted). HITs available is empty for listings no longer open. Worker "
        "countries: where the work may be done; ALL = open to workers anywhere."
    )
