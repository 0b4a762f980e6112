"""Sources & runs: every crawl loaded, how much of the site it saw, and whether it was used for flows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from observatory import config

st.title("Sources & runs")
snap, mtime = data.require_snapshot()

options = data.sources(snap, mtime)["source"].tolist()
source = data.source_picker(options, allow_all=True)
times = data.snapshot_times(snap, mtime).iloc[0]
newest = times["newest_observation"]
now = data.now_utc()
st.caption(
    f"All times UTC. Newest observation in the snapshot: {data.fmt_utc(newest)}; wall clock now: "
    f"{data.fmt_utc(now)}."
)
if not options:  # nothing loaded; the quarantine below may still say why
    st.info("The published snapshot holds no crawl yet.", icon=":material/info:")
else:
    period, period_text = data.period_picker(data.source_spans(snap, mtime), source)
    runs = data.crawl_runs(snap, mtime, source, period.first_day, period.last_day, limit=data.MAX_RUNS_LISTED)
    counts = data.crawl_run_counts(snap, mtime, source, period.first_day, period.last_day).iloc[0]
    st.caption(period_text + " The four counts below are for crawls started in that period.")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Crawls loaded", f"{int(counts['crawls']):,}", border=True,
              help="Crawl runs started in the period and loaded into the warehouse, whatever their outcome.")
    c2.metric("Used for flows", f"{int(counts['used_for_flows']):,}", border=True,
              help="Runs that succeeded, saw enough of the site (coverage threshold) and came after the last "
                   "run already used: only these are compared to infer arrivals and completions.")
    c3.metric("Failed", f"{int(counts['failed']):,}", border=True,
              help="Runs with status failed (zero items, abnormal finish).")
    c4.metric("Records quarantined", f"{int(counts['quarantined']):,}", border=True,
              help="Records refused at crawl or at load (not valid against the data contract, or a value "
                   "that could not be typed), in the runs of the period.")

# --------------------------------------------------------------------------------------------------
st.subheader("Freshness per source")
fresh = data.freshness(snap, mtime)
if source is not None:
    fresh = fresh[fresh["source"] == source]
shown = pd.DataFrame({
    "source": fresh["source"],
    "last crawl (UTC)": fresh["last_crawl_at"].map(data.fmt_utc),
    "last successful crawl (UTC)": fresh["last_success_at"].map(data.fmt_utc),
    "last used for flows (UTC)": fresh["last_used_at"].map(data.fmt_utc),
    "success before newest observation": [data.fmt_age(newest - t) if not pd.isna(t) else "—"
                                          for t in fresh["last_success_at"]],
    "success before now (wall clock)": [data.fmt_age(now - t) if not pd.isna(t) else "—"
                                        for t in fresh["last_success_at"]],
    "crawls": fresh["crawls"],
    "failed": fresh["crawls_failed"],
    "items loaded": fresh["items"],
})
st.dataframe(shown, hide_index=True, width="stretch")
st.caption(
    "Last crawl: the latest loaded, whatever its outcome. Last successful: the latest with status ok. "
    "Last used for flows: figures that depend on flows (completions, reward flow) are current to this time. "
    "Items loaded counts a listing once per crawl that saw it. Crawls, failed and items count all of history, "
    "not only the period."
)

# --------------------------------------------------------------------------------------------------
if options:
    st.subheader("Crawl runs")
    listed = (f"All {len(runs):,} crawls started in the period, newest first."
              if len(runs) == int(counts["crawls"]) else
              f"The newest {len(runs):,} of the {int(counts['crawls']):,} crawls started in the period; pick a "
              "shorter period to see older ones.")
    st.caption(f"{listed} Period: {period.label()}.")
    st.dataframe(
        runs.assign(excluded_reason=runs["excluded_reason"].fillna("")),
        hide_index=True,
        width="stretch",
        column_config={
            "run_id": st.column_config.TextColumn("run id"),
            "started_at": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm:ss",
                                                          timezone="UTC"),
            "finished_at": st.column_config.DatetimeColumn("finished (UTC)", format="YYYY-MM-DD HH:mm:ss",
                                                           timezone="UTC"),
            "coverage": st.column_config.NumberColumn(
                "coverage", format="percent",
                help="Listings seen / listings the site said it had (empty when the site reports no total)."),
            "used_for_flows": st.column_config.CheckboxColumn("used for flows"),
            "excluded_reason": st.column_config.TextColumn("why left out of flows", width="large"),
            "results_seen": st.column_config.NumberColumn("listings seen"),
            "results_reported": st.column_config.NumberColumn("listings reported"),
            "finish_reason": st.column_config.TextColumn("finish reason"),
        },
    )
    st.caption(
        f"Runs below the coverage threshold (currently {config.coverage_threshold():.0%} in this process; "
        "`OBSERVATORY_MIN_COVERAGE`), failed runs and runs older than the last one used are kept out of flows: "
        "they would make listings they missed look completed. They still update what is known about listings."
    )

# --------------------------------------------------------------------------------------------------
st.subheader("Quarantined records")
quarantine = data.quarantine_counts(snap, mtime)
if source is not None:
    quarantine = quarantine[quarantine["source"] == source]
if quarantine.empty:
    st.success("No record was quarantined.", icon=":material/check_circle:")
else:
    st.dataframe(
        quarantine, hide_index=True, width="stretch",
        column_config={"records": st.column_config.NumberColumn("records"),
                       "runs": st.column_config.NumberColumn("runs affected")},
    )
st.caption(
    "Records refused at crawl (page could not be parsed, or item broke the data contract) or at load "
    "(a value could not be typed, or a whole run could not be loaded), counted by reason, over all of "
    "history, not only the period. The records themselves are not shown."
)
