"""OLI comparison: our new-listings series by OLI occupation beside imported Online Labour Index series.

Why gaps and base periods are spelled out: the two series count different things on different platforms
over (usually) different years, so only indexed trends can be read side by side, and a day without data
must look like a missing day, not a dip. Everything comes from mart.oli_index and core.oli_import.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data

OLI_CITATION = (
    "Kässi, O., Hadley, C. & Lehdonvirta, V., *Online Labour Index: measuring the online gig economy for "
    "policy and research*, figshare, DOI [10.6084/m9.figshare.3761562](https://doi.org/10.6084/m9.figshare.3761562), "
    "licence CC BY 4.0; Kässi, O. & Lehdonvirta, V. (2018), *Online labour index: Measuring the online gig "
    "economy for policy and research*, Technological Forecasting and Social Change 137:241-248."
)
MEASURES = {
    "index_value": ("Index (base period = 100)", ".1f"),
    "ma28": ("28-day moving average of new listings per day", ",.1f"),
    "listings_new": ("New listings per day", ",d"),
}


def series_label(series: str) -> str:
    """'observatory:mturk' -> 'Observatory: mturk'; 'oli:label' -> 'OLI: label'."""
    kind, _, name = series.partition(":")
    return f"{'Observatory' if kind == 'observatory' else 'OLI'}: {name}"


def draw(series: str, meta: pd.Series, occupations: list[str], measure: str) -> None:
    """One series' chart and caption; a line per occupation, broken at every day without data."""
    title, fmt = MEASURES[measure]
    st.markdown(f"**{data.md_escape(series_label(series))}**")
    frame = data.oli_index(snap, mtime, series)
    frame = frame[frame["oli_occupation"].isin(occupations)].copy()
    if frame.empty or frame[measure].notna().sum() == 0:
        min_days = int(meta["ma_min_days"]) if not pd.isna(meta["ma_min_days"]) else 28
        why = ("no 28-day window of this series has enough days with data yet "
               f"({min_days} of 28 required; the series has {int(meta['days'])} days, {int(meta['gap_days'])} "
               "of them without data)" if measure != "listings_new" else "no day with data")
        st.info(f"Nothing to draw for the chosen occupations: {why}. Nothing is filled in or averaged "
                "over a shorter window; 'New listings per day' shows the daily counts.", icon=":material/info:")
        return
    frame["day (UTC)"] = pd.to_datetime(frame["day"])
    frame = frame.sort_values(["oli_occupation", "day (UTC)"])
    frame["segment"] = data.gap_segments(frame, measure, "oli_occupation")
    # The x axis spans the whole series, so days without a value show as blank, not as a shorter series.
    span = [pd.Timestamp(meta["first_day"]).isoformat(), pd.Timestamp(meta["last_day"]).isoformat()]
    chart = (
        alt.Chart(frame.dropna(subset=[measure]))
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("day (UTC):T", title="day (UTC)", scale=alt.Scale(domain=span),
                    axis=alt.Axis(format="%Y-%m-%d", labelOverlap="greedy")),
            y=alt.Y(f"{measure}:Q", title=title, scale=alt.Scale(zero=measure == "listings_new")),
            color=alt.Color("oli_occupation:N", title="OLI occupation", legend=alt.Legend(orient="bottom",
                                                                                          columns=2)),
            detail="segment:N",
            tooltip=[alt.Tooltip("day (UTC):T", format="%Y-%m-%d"),
                     alt.Tooltip("oli_occupation:N", title="occupation"),
                     alt.Tooltip(f"{measure}:Q", title=title, format=fmt),
                     alt.Tooltip("window_days_observed:Q", title="days with data in the 28-day window")],
        )
        .properties(height=340)
    )
    if measure == "index_value":
        chart = chart + alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(strokeDash=[4, 4], color="#888").encode(
            y="y:Q")
    st.altair_chart(chart, width="stretch")
    gaps = frame.loc[frame["oli_occupation"] == frame["oli_occupation"].iloc[0]]
    gap_days = gaps.loc[gaps["listings_new"].isna(), "day (UTC)"].dt.strftime("%Y-%m-%d").tolist()
    base = (f"{pd.Timestamp(meta['base_start']):%Y-%m-%d} to {pd.Timestamp(meta['base_end']):%Y-%m-%d}"
            if not pd.isna(meta["base_start"]) else "none (no observed day)")
    observed = int(meta["base_days_observed"] or 0)
    partial = (f" Only {observed} of the base period's 28 days have data, so the base is provisional."
               if observed < 28 else "")
    st.caption(
        f"{pd.Timestamp(meta['first_day']):%Y-%m-%d} to {pd.Timestamp(meta['last_day']):%Y-%m-%d}. "
        f"Base period (index = 100): {base}, mean daily Total over its {observed} days with data.{partial} "
        f"Days without data: {', '.join(gap_days) if gap_days else 'none'}."
    )


st.title("OLI comparison")
snap, mtime = data.require_snapshot()

st.markdown(
    "New listings per day by **Online Labour Index (OLI) occupation**, from our crawls (through the task "
    "taxonomy's crosswalk), beside the OLI's own back-series where one has been imported. Both are shown as "
    "a **28-day moving average** and as an **index** (100 = the mean daily total over a base period). "
    "Levels are not comparable (different platforms, different classifiers); read the trends side by side, "
    "not as one series."
)

meta = data.oli_series(snap, mtime)
ours = [s for s in meta["series"] if s.startswith("observatory:")]
theirs = [s for s in meta["series"] if s.startswith("oli:")]
if not ours and not theirs:
    st.info("No series yet: our series needs listings whose task type maps to an OLI occupation, and no OLI "
            "file has been imported.", icon=":material/info:")

measure = st.radio("Show", list(MEASURES), format_func=lambda m: MEASURES[m][0], horizontal=True)
frames = {s: data.oli_index(snap, mtime, s) for s in ours + theirs}
occupation_options = sorted({o for f in frames.values() for o in f["oli_occupation"]} - {"Total"})
occupations = st.multiselect("OLI occupations", ["Total", *occupation_options], default=["Total"],
                             help="Total = the sum of the occupations (a day without data for any part is "
                                  "a gap). Occupations are scaled by the Total's base, so they add up to the "
                                  "Total index, as in the OLI.")

left, right = st.columns(2)
with left:
    st.subheader("Our series")
    if ours:
        pick = st.selectbox("Source", ours, format_func=series_label,
                            index=ours.index("observatory:mturk") if "observatory:mturk" in ours else 0)
        draw(pick, meta.set_index("series").loc[pick], occupations, measure)
    else:
        st.info("None of our listings maps to an OLI occupation yet.", icon=":material/info:")
with right:
    st.subheader("Online Labour Index")
    if theirs:
        pick_oli = st.selectbox("Imported OLI series", theirs, format_func=series_label)
        draw(pick_oli, meta.set_index("series").loc[pick_oli], occupations, measure)
    else:
        st.info(
            "No OLI series has been imported. Download the daily counts from the OLI deposit on figshare "
            "(DOI 10.6084/m9.figshare.3761562, e.g. `oli11data.txt`) and run\n\n"
            "`observatory oli-import FILE --label L`\n\n"
            "then `observatory publish`. The series appears here as `oli:L`.",
            icon=":material/info:",
        )

min_days = int(meta["ma_min_days"].dropna().iloc[0]) if meta["ma_min_days"].notna().any() else 28
st.caption(
    f"**Gaps are gaps.** A day on which a source was not crawled (or an OLI domain was not collected) has no "
    f"value: lines break there and nothing is interpolated. The 28-day moving average is given only when at "
    f"least {min_days} of its 28 days have data (28 = none may be missing), so one missing day blanks 28 days "
    "of averages; the first 27 days of a series have no average. **Base period:** by default each series' "
    "own first 28 days (the published OLI uses May 2016 = 100), so two indices compare growth from their own "
    "start, not levels; a common period can be set (`observatory params --set oli_base_start DATE`). Our "
    "series counts listings first seen that day, so listings posted during a gap are counted on the next day "
    "with data."
)

st.subheader("Series and sources")
if len(meta):
    st.dataframe(
        meta.assign(series=meta["series"].map(series_label)), hide_index=True, width="stretch",
        column_config={
            "first_day": st.column_config.DateColumn("first day"),
            "last_day": st.column_config.DateColumn("last day"),
            "gap_days": st.column_config.NumberColumn("days without data"),
            "days_with_ma28": st.column_config.NumberColumn("days with a 28-day average"),
            "base_start": st.column_config.DateColumn("base period from"),
            "base_end": st.column_config.DateColumn("base period to"),
            "base_days_observed": st.column_config.NumberColumn("base days with data"),
            "base_mean_total": st.column_config.NumberColumn("base: mean new per day", format="%.1f"),
            "ma_min_days": st.column_config.NumberColumn("days required in a window"),
        },
    )
imports = data.oli_imports(snap, mtime)
if len(imports):
    st.dataframe(imports, hide_index=True, width="stretch",
                 column_config={"citation": st.column_config.TextColumn("citation", width="large"),
                                "imported_at": st.column_config.DatetimeColumn("imported (UTC)", timezone="UTC")})
st.markdown(f"**Source of the OLI data.** {OLI_CITATION} Collection stopped in September 2024.")
