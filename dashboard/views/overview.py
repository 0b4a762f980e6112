"""Overview: how much microwork there is on a platform, where it may be done, and what it pays."""

from __future__ import annotations

from datetime import timedelta

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
spans = data.source_spans(snap, mtime)
period, period_text = data.period_picker(spans, source)
source_newest_day = data.utc_day(spans.loc[spans["source"] == source, "newest_crawl_at"].max())

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
# Headline figures (whatever the period: the latest crawl and the last full day before the newest one)
stock = data.current_stock(snap, mtime, source).iloc[0]
totals = data.daily_volume_total(snap, mtime, source,
                                 source_newest_day - timedelta(days=data.HEADLINE_LOOKBACK_DAYS), source_newest_day)
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
    help="Estimated HITs completed x reward per HIT at that time, over the last full UTC day: what "
         "requesters paid for the work, before platform fees. Rewards in other currencies are converted at "
         "the ECB reference rate of the day; a currency without an ECB rate is left out.",
    border=True,
)
c3.caption(f"on {day_label}: HITs completed x reward per HIT, converted to USD at the day's ECB rate")
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
# HITs available over time, by worker country (over the period picked in the sidebar)
st.subheader("HITs available over time, by worker country")
st.caption(period_text)
bucket, shown_crawls = data.stock_resolution(period)
vol = data.crawl_volume(snap, mtime, source, period.first_day, period.last_day)
daily = data.daily_volume(snap, mtime, source, period.first_day, period.last_day)
if vol.empty:
    st.info("No crawl of this source was used for flows in this period, so there is no series to show. "
            "Pick another period in the sidebar.", icon=":material/info:")
else:
    last = vol[vol["observed_at"] == vol["observed_at"].max()]
    ranked = last.sort_values(["slots_available", "worker_country"], ascending=[False, True])
    all_countries = sorted(set(vol["worker_country"]) | set(daily["worker_country"]))
    default = ranked["worker_country"].head(5).tolist()
    countries = st.multiselect(
        "Worker countries", all_countries, default=default,
        help="Where the work may be done: ISO country codes workers must be in; ALL = open to workers "
             "anywhere. Defaults to the five with the most HITs available at the period's latest crawl.",
    )
    sel = vol[vol["worker_country"].isin(countries)].copy()
    sel["crawl time (UTC)"] = data.to_naive_utc(sel["observed_at"])
    tooltip = [alt.Tooltip("crawl time (UTC):T", format="%Y-%m-%d %H:%M"),
               alt.Tooltip("worker_country:N", title="worker country"),
               alt.Tooltip("slots_available:Q", title="HITs available", format=","),
               alt.Tooltip("listings_open:Q", title="listings open", format=","),
               alt.Tooltip("coverage:Q", format=".1%")]
    if bucket is not None:
        tooltip.append(alt.Tooltip("crawls_in_period:Q", title=f"crawls used in that {bucket.split()[-1]}"))
    line = (
        alt.Chart(sel)
        .mark_line(point=bucket is None)
        .encode(
            x=alt.X("crawl time (UTC):T", title="crawl time (UTC)",
                    axis=alt.Axis(format="%b %d %H:%M" if period.days <= data.HOURLY_MAX_DAYS else "%Y-%m-%d",
                                  labelOverlap="greedy")),
            y=alt.Y("slots_available:Q", title="HITs available"),
            color=alt.Color("worker_country:N", title="worker country"),
            tooltip=tooltip,
        )
        .properties(height=320)
    )
    st.altair_chart(line, width="stretch")
    points = vol["observed_at"].nunique()
    crawls_used = int(vol.drop_duplicates("observed_at")["crawls_in_period"].sum())
    st.caption(
        f"Each point: {shown_crawls} ({points:,} points for the {crawls_used:,} crawls used for flows in the "
        "period)." + ("" if bucket is None else " HITs available is a level at one moment, so it is sampled, "
                      "never averaged over crawls.") + " "
        "HITs available = tasks still open at a crawl used for flows (crawls with too little coverage "
        "are left out). Worker country is eligibility (where the work may be done), not where workers "
        "live. A listing open to several countries is counted in each, so the lines must not be added up."
    )

    # ----------------------------------------------------------------------------------------------
    # Flows per day, by worker country
    dsel = daily[daily["worker_country"].isin(countries)].copy()
    as_bars = period.days <= 31  # longer periods: a line per country, bars would be too thin to read
    dsel["day (UTC)"] = (pd.to_datetime(dsel["day"]).dt.strftime("%Y-%m-%d") if as_bars
                         else pd.to_datetime(dsel["day"]))

    def per_day(field: str, title: str, fmt: str) -> alt.Chart:
        tip = [alt.Tooltip("day (UTC):O") if as_bars else alt.Tooltip("day (UTC):T", format="%Y-%m-%d"),
               alt.Tooltip("worker_country:N", title="worker country"),
               alt.Tooltip(f"{field}:Q", title=title, format=fmt)]
        if as_bars:
            chart = alt.Chart(dsel).mark_bar().encode(
                x=alt.X("day (UTC):O", title="day (UTC)", axis=alt.Axis(labelAngle=0)),
                xOffset=alt.XOffset("worker_country:N"))
        else:
            chart = alt.Chart(dsel).mark_line().encode(
                x=alt.X("day (UTC):T", title="day (UTC)", axis=alt.Axis(format="%Y-%m-%d", labelOverlap="greedy")))
        return chart.encode(
            y=alt.Y(f"{field}:Q", title=title),
            color=alt.Color("worker_country:N", title="worker country"),
            tooltip=tip,
        ).properties(height=280)

    left, right = st.columns(2)
    with left:
        st.markdown("**HITs completed per day (estimated from changes between crawls)**")
        st.altair_chart(per_day("slots_completed", "HITs completed (estimated)", ","), width="stretch")
    with right:
        st.markdown("**Reward flow per day (USD, estimated)**")
        st.altair_chart(per_day("reward_completed_usd", "reward flow, USD (estimated)", "$,.2f"), width="stretch")
    st.caption(
        "HITs completed: falls in HITs available between consecutive crawls, plus the HITs left in listings "
        "that vanished before their expiry; returned or cancelled HITs look the same, and work done between "
        "two crawls is missed, so these are estimates. Reward flow: completed HITs x reward per HIT, every "
        "currency converted to USD at the ECB reference rate of the day (a currency without one is left out). "
        + ("Bars side by side per country; " if as_bars else "One line per country (periods over 31 days); ")
        + "a multi-country listing appears in each of its countries, so countries must not be stacked or summed."
    )

# --------------------------------------------------------------------------------------------------
# Latest listings
st.subheader("Latest listings")
listings = data.latest_listings(snap, mtime, source, period.first_day, period.last_day)
if listings.empty:
    st.info(f"No listing of this source was first seen in the period ({period.label()}).", icon=":material/info:")
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
        f"The {len(listings)} listings first seen most recently in the period ({period.label()}), newest "
        "first. Titles are shown exactly as the platform published them "
        "(plain text, never interpreted). HITs available is empty for listings no longer open. Worker "
        "countries: where the work may be done; ALL = open to workers anywhere."
    )
