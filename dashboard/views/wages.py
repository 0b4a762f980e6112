"""Pay & regions: hourly pay per region against the minimum wage, and volume by region x task type.

Why this page says so much: agencies quote these numbers. Hourly pay rests on a modelled time per task
and on two parameters (one an assumption), and "region" has three meanings that must never be mixed, so
every figure is shown next to its definition, the parameters it used and the minimum wage it was
compared with. Everything comes from mart.daily_wages, mart.daily_region_task and mart.param.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data

REGION_KINDS = {
    "worker_eligibility": (
        "Where the work may be done",
        "Countries a worker must be in to take the task (ALL = open to workers anywhere). A task open to "
        "US and CA workers counts in both rows, so regions must never be added up.",
    ),
    "employer_country": (
        "Where the employer is",
        "The requester's country as the platform publishes it (UNKNOWN when it does not). Says nothing "
        "about where the work is done.",
    ),
    "onsite_location": (
        "Where an on-site mission is",
        "The country of the place to visit for on-site tasks (e.g. photographing a shop shelf); online "
        "tasks have no such region.",
    ),
}
MINIMUM_BASIS = {
    "us_federal_for_worldwide": "US federal minimum for worldwide tasks (no local minimum applies; benchmark)",
    "worker_country_national": "national minimum of the country the work is restricted to",
    "employer_country_national": "national minimum of the employer's country (benchmark only: "
                                 "where the work is done is unknown)",
    "onsite_country_national": "national minimum of the country where the mission is",
    "no_statutory_minimum": "no comparison: the country has no single national statutory minimum "
                            "(none at all, or state, provincial, cantonal or sectoral ones)",
    "not_on_record": "no minimum on record: none in our reference data for this country",
    "region_unknown": "no minimum on record: region unknown, nothing to compare with",
}
WEIGHTS = {
    "tasks_completed": "tasks completed that day (estimated: what workers did)",
    "tasks_available": "tasks available at the day's last crawl used for flows (what was on offer)",
}
NO_MINIMUM = "no minimum on record"
VOLUME_MEASURES = {
    "listings_new": ("New listings", ",d"),
    "slots_completed": ("Tasks completed (estimated)", ",d"),
    "reward_completed_usd": ("Reward flow, USD (estimated)", "$,.2f"),
    "reward_completed_eur": ("Reward flow, EUR (estimated)", ",.2f"),
}


def fmt_share(value: object) -> str:
    """A share as '75.0 %'; a missing one (no minimum to compare with) as words, never as 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return NO_MINIMUM
    return f"{float(value):.1%}"


def param_value(params: pd.DataFrame, name: str) -> tuple[float | None, str]:
    """(value, basis) of a numeric mart parameter; (None, '') when the snapshot lacks it."""
    row = params[params["name"] == name]
    if row.empty or pd.isna(row["num_value"].iloc[0]):
        return None, ""
    return float(row["num_value"].iloc[0]), str(row["basis"].iloc[0])


st.title("Pay & regions")
snap, mtime = data.require_snapshot()

options = data.sources(snap, mtime)["source"].tolist()
if not options:
    st.info("The snapshot has no crawl yet: nothing to show.", icon=":material/info:")
    st.stop()
source = data.source_picker(options)
assert source is not None

kind = st.sidebar.radio(
    "Region means", list(REGION_KINDS), format_func=lambda k: REGION_KINDS[k][0],
    captions=[REGION_KINDS[k][1] for k in REGION_KINDS],
    help="The warehouse keeps three meanings of region apart (docs/wages.md, 'Three meanings of region').",
)
# One day at a time, picked in a calendar bounded by the source's crawls: only that day's keys are read
# (and those of the last week, to default to the newest day with figures), never all of history's.
span = data.source_spans(snap, mtime).set_index("source").loc[source]
first_day, newest_day = data.utc_day(span["first_crawl_at"]), data.utc_day(span["newest_crawl_at"])
recent = data.default_period(span["first_crawl_at"], span["newest_crawl_at"])
recent_keys = data.region_task_keys(snap, mtime, source, recent.first_day, recent.last_day)
recent_days = pd.to_datetime(recent_keys.loc[recent_keys["region_kind"] == kind, "day"]).dt.date
day = st.sidebar.date_input(
    "Day (UTC)", value=recent_days.max() if len(recent_days) else newest_day,
    min_value=first_day, max_value=newest_day, format="YYYY-MM-DD",
    help="Figures are per UTC day; the newest day may still be in progress. Defaults to the newest day with "
         f"figures for this meaning of region in {recent.label()}.",
)
keys = data.region_task_keys(snap, mtime, source, day, day)
keys = keys[keys["region_kind"] == kind]
if keys.empty:
    st.info(f"No listing of `{source}` has a region of this kind ({REGION_KINDS[kind][0].lower()}) on "
            f"{day:%Y-%m-%d}. Pick another day, another meaning of region or another source.",
            icon=":material/info:")
    st.stop()
wage_types = sorted(set(keys.loc[keys["has_wages"], "task_type"]))
weight_basis = st.sidebar.radio("Weight pay by", list(WEIGHTS), format_func=lambda w: WEIGHTS[w])

st.caption(
    f"Source `{source}`, {day:%Y-%m-%d} (UTC). Region = **{REGION_KINDS[kind][0].lower()}**: "
    f"{REGION_KINDS[kind][1]}"
)

# --------------------------------------------------------------------------------------------------
# What the figures rest on
params = data.mart_params(snap, mtime)
share, share_basis = param_value(params, "share_of_allotted_worked")
factor, factor_basis = param_value(params, "unpaid_overhead_factor")
share_text = f"{share:g}" if share is not None else "not set"
factor_text = f"{factor:.4f}" if factor is not None else "not set"
with st.container(border=True):
    st.markdown("**What these pay figures rest on**")
    st.markdown(
        f"- **Time per task** is the time the requester states where published; otherwise it is "
        f"**modelled** as the time allotted × share of allotted time worked.\n"
        f"- **Share of allotted time worked = {share_text}** ({share_basis.upper() or 'basis unknown'}): "
        "no published ratio exists; at 1 the whole allotted time counts as worked, so modelled hourly pay "
        "is a **lower bound** and shares below the minimum wage are **upper bounds**. Hourly pay scales as "
        "1 / share.\n"
        f"- **Unpaid-time overhead factor = {factor_text}** ({factor_basis or 'basis unknown'}): ILO (2018), "
        "*Digital labour platforms and the future of work*, average $4.43/h for paid work vs $3.31/h "
        "including unpaid time (4.43 / 3.31). Applying one average ratio to every task is itself an "
        "assumption.\n"
        "- Only per-task listings have an hourly pay (an hourly rate or a project budget is not a pay per "
        "task). Percentiles are **weighted by tasks**, without interpolation."
    )
    with st.expander("Parameters as recorded in the snapshot (mart.param)"):
        st.dataframe(params, hide_index=True, width="stretch",
                     column_config={"note": st.column_config.TextColumn("note", width="large"),
                                    "set_at": st.column_config.DatetimeColumn("set (UTC)", timezone="UTC")})

# --------------------------------------------------------------------------------------------------
# Hourly pay per region
st.subheader("Hourly pay per region")
if not wage_types:
    st.info("No per-task listing with a pay per task on this day for this meaning of region, so there is "
            "no hourly pay to show.", icon=":material/info:")
else:
    default_type = "survey" if "survey" in wage_types else wage_types[0]
    task_type = st.selectbox("Task type", wage_types, index=wage_types.index(default_type),
                             help="From the documented rules of docs/taxonomy.md; 'other' when no rule matched.")
    wages = data.daily_wages(snap, mtime, source, kind, task_type, day, weight_basis)
    if wages.empty:
        st.info(f"No {WEIGHTS[weight_basis].split(' (')[0]} for this task type on this day.", icon=":material/info:")
    else:
        timed = int(wages["tasks_weight_timed"].sum())
        modelled = int(wages["tasks_weight_modelled"].sum())
        st.caption(
            f"Weighted by {WEIGHTS[weight_basis]}. Time per task (`time_basis`): **modelled** (time allotted × "
            f"share) for {modelled / timed:.0%} of the tasks with a time in this table, **stated** by the "
            "requester for the rest; tasks with neither have no hourly pay."
            if timed else
            f"Weighted by {WEIGHTS[weight_basis]}. No task here has a stated or modelled time per task."
        )
        chart_rows = wages.dropna(subset=["p50"])
        if not chart_rows.empty:
            positive = chart_rows[["p10", "p90", "p50_incl_unpaid"]].min().min() > 0
            scale = alt.Scale(type="log") if positive else alt.Scale(zero=True)
            axis_title = "USD per hour" + (" (logarithmic scale)" if positive else "")
            long = chart_rows.assign(region_label=chart_rows["region"])
            y = alt.Y("region_label:N", title=None, sort=chart_rows["region"].tolist())
            base = alt.Chart(long).properties(height=max(120, 34 * len(long)))
            whisker = base.mark_rule(color="#4c78a8").encode(
                y=y, x=alt.X("p10:Q", scale=scale, title=axis_title), x2="p90:Q")
            box = base.mark_bar(size=16, color="#9ecae9", stroke="#4c78a8").encode(y=y, x="p25:Q", x2="p75:Q")
            median = base.mark_tick(color="#08306b", thickness=3, size=22).encode(
                y=y, x="p50:Q",
                tooltip=[alt.Tooltip("region:N"),
                         alt.Tooltip("p10:Q", format="$.2f"), alt.Tooltip("p25:Q", format="$.2f"),
                         alt.Tooltip("p50:Q", format="$.2f", title="median"),
                         alt.Tooltip("p75:Q", format="$.2f"), alt.Tooltip("p90:Q", format="$.2f"),
                         alt.Tooltip("p50_incl_unpaid:Q", format="$.2f", title="median incl. unpaid time"),
                         alt.Tooltip("minimum_wage_usd:Q", format="$.2f", title="minimum wage")])
            unpaid = base.mark_point(shape="triangle-down", color="#e6550d", size=70, filled=True).encode(
                y=y, x="p50_incl_unpaid:Q")
            minimum = base.transform_filter("datum.minimum_wage_usd != null").mark_tick(
                color="#d62728", thickness=2, size=28).encode(y=y, x="minimum_wage_usd:Q")
            st.altair_chart(whisker + box + median + unpaid + minimum, width="stretch")
            st.caption(
                "Line: p10 to p90; box: p25 to p75; dark tick: median (paid time only); orange triangle: "
                "median including unpaid time; red tick: the minimum wage compared with (none drawn where "
                "no minimum is on record). Hourly pay in USD at the ECB rate of the day."
            )
        shown = pd.DataFrame({
            "region": wages["region"],
            "tasks": wages["tasks_weight"],
            "p10": wages["p10"], "p25": wages["p25"], "median (p50)": wages["p50"],
            "p75": wages["p75"], "p90": wages["p90"],
            "median incl. unpaid time": wages["p50_incl_unpaid"],
            "minimum wage, USD/h": wages["minimum_wage_usd"],
            "share below minimum (paid time)": wages["share_below_minimum_paid"].map(fmt_share),
            "share below minimum (incl. unpaid time)": wages["share_below_minimum_incl_unpaid"].map(fmt_share),
            "minimum used": wages["minimum_wage_basis"].map(lambda b: MINIMUM_BASIS.get(b, b)),
            "minimum, local": [f"{v:,.2f} {c}" if not pd.isna(v) else "—"
                               for v, c in zip(wages["minimum_wage_local"], wages["minimum_wage_currency"],
                                               strict=True)],
            "legal source": wages["minimum_wage_legal_source"].fillna("—"),
            "tasks with a time": wages["tasks_weight_timed"],
            "of which time modelled": wages["tasks_weight_modelled"],
        })
        money = {c: st.column_config.NumberColumn(c, format="$%.2f")
                 for c in ("p10", "p25", "median (p50)", "p75", "p90", "median incl. unpaid time",
                           "minimum wage, USD/h")}
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            **money,
            "minimum used": st.column_config.TextColumn("minimum used", width="large"),
            "legal source": st.column_config.TextColumn("legal source", width="medium"),
        })
        st.caption(
            "Hourly pay = reward per task in USD ÷ time per task. p10 … p90: the smallest hourly pay such that "
            "tasks paying at most that make up at least 10 % … 90 % of the tasks with a time (weighted by "
            "tasks, no interpolation). Median including unpaid time = median ÷ the overhead factor above. "
            "Share below minimum = tasks paying less than the minimum wage in force that day (converted to "
            f"USD at the day's ECB rate) ÷ tasks with a time; '{NO_MINIMUM}' means there was nothing to "
            "compare with (the reason is in 'minimum used'), which is not the same as 0 %. Worldwide tasks "
            "(ALL) are compared with the US federal minimum of $7.25. Paying below a statutory minimum is a "
            "benchmark, not a legal finding: most platform workers are not employees."
        )

# --------------------------------------------------------------------------------------------------
# Volume by region x task type
st.subheader("Volume by region and task type")
volume = data.region_task_volume(snap, mtime, source, kind, day)
if volume.empty:
    st.info("No listing on this day for this meaning of region.", icon=":material/info:")
else:
    measure = st.radio("Show", list(VOLUME_MEASURES), format_func=lambda m: VOLUME_MEASURES[m][0],
                       horizontal=True)
    title, fmt = VOLUME_MEASURES[measure]
    heat = (
        alt.Chart(volume)
        .mark_rect()
        .encode(
            x=alt.X("task_type:N", title="task type", axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("region:N", title="region", axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(f"{measure}:Q", title=title, scale=alt.Scale(scheme="blues")),
            tooltip=[alt.Tooltip("region:N"), alt.Tooltip("task_type:N", title="task type"),
                     alt.Tooltip(f"{measure}:Q", title=title, format=fmt)],
        )
        .properties(height=max(140, 30 * volume["region"].nunique()))
    )
    labels = heat.mark_text(fontSize=11).encode(
        text=alt.Text(f"{measure}:Q", format=fmt), color=alt.value("#222"))
    st.altair_chart(heat + labels, width="stretch")
    st.dataframe(
        volume, hide_index=True, width="stretch",
        column_config={
            "task_type": st.column_config.TextColumn("task type"),
            "listings_new": st.column_config.NumberColumn("new listings", format="%d"),
            "listings_open": st.column_config.NumberColumn("listings open (day's last crawl)", format="%d"),
            "slots_available": st.column_config.NumberColumn("tasks available (day's last crawl)", format="%d"),
            "slots_completed": st.column_config.NumberColumn("tasks completed (estimated)", format="%d"),
            "slots_expired": st.column_config.NumberColumn("tasks expired (estimated)", format="%d"),
            "reward_completed_usd": st.column_config.NumberColumn("reward flow, USD (est.)", format="$%.2f"),
            "reward_completed_eur": st.column_config.NumberColumn("reward flow, EUR (est.)", format="€%.2f"),
            "reward_currencies": st.column_config.TextColumn("reward currencies"),
            "crawls_used": st.column_config.NumberColumn("crawls used for flows", format="%d"),
        },
    )
    note = ("A listing open to workers in several countries is counted in each: never add regions up. "
            if kind == "worker_eligibility" else "")
    st.caption(
        "New listings: first seen that day. Tasks completed and expired are inferred from changes between "
        "consecutive crawls (estimates: returned or cancelled tasks look completed, work done between two "
        "crawls is missed). Reward flow: completed tasks × reward per task, per-task listings only (empty for "
        "hourly or fixed-budget work), converted at the ECB reference rate of the day (empty when a currency "
        f"had no rate). {note}Sources without a reported total (RSS feeds) have no flows."
    )
