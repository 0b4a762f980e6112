"""Scale benchmark of the warehouse on a generated year (bench/generate_year.py): four figures, each a
ratio against a baseline measured in the same process, so the machine's speed cancels out.

(a) load throughput of the load step (``warehouse.load.load_pending`` then ``warehouse.marts.refresh_marts``,
    as ``observatory load`` runs them) vs DuckDB's own ``read_json`` of the same files (goal >= 0.5x);
(b) the cost of loading the last day vs the first day, each into a warehouse holding all days before it
    (goal <= 1.5x: cost grows with new data, not history);
(c) bytes of the warehouse file per observation after the load (goal <= 40);
(d) median and p95 latency of the dashboard's queries (dashboard/data.py: every page's, with their
    default period) on the published snapshot (goal p95 <= 300 ms).

Days are fed to the loader one at a time (their files are linked into the bench's own landing zone and
the load step runs), as a daily catch-up would; a day's 96 runs load as one batch. Nothing here asserts
on time: it prints.

    python -m bench.scale --source /tmp/observatory-bench --days 365
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from observatory import pipeline
from warehouse import db, load, marts, publish
from warehouse.db import NO_NETWORK

A_SAMPLE_EVERY = 30  # (a) compares the loader with read_json on day 1, every 30th day and the last
GOALS = {"a": ">= 0.5x", "b": "<= 1.5x", "c": "<= 40 bytes", "d": "p95 <= 300 ms"}


class _Timed:
    """A connection that adds up the time of each statement (keyed by its first words), handed to the
    load step on the profiled days so (b)'s growth can be traced to statements. Everything else passes
    through to the real connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.seconds: dict[str, float] = defaultdict(float)

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self.seconds[" ".join(sql.split())[:90]] += time.perf_counter() - t

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def top(self, n: int = 8) -> list[tuple[str, float]]:
        return sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]


def runs_by_day(landing: Path) -> list[tuple[str, list[str]]]:
    """The generated runs grouped by UTC day (from the sortable run id), oldest first."""
    days: dict[str, list[str]] = defaultdict(list)
    for path in sorted(landing.glob("*.manifest.json")):
        run_id = path.name[: -len(".manifest.json")]
        days[run_id.split("-")[1][:8]].append(run_id)
    return sorted(days.items())


def link_day(src: Path, dst: Path, run_ids: list[str]) -> list[Path]:
    """Expose one day's runs in the bench's landing zone, manifest last (as a crawler seals them)."""
    items = []
    for run_id in run_ids:
        for suffix in (".jsonl.gz", ".quarantine.jsonl.gz", ".manifest.json"):
            target = dst / f"{run_id}{suffix}"
            if not target.exists():
                os.symlink(src / f"{run_id}{suffix}", target)
        items.append(src / f"{run_id}.jsonl.gz")
    return items


def read_json_seconds(files: list[Path]) -> tuple[float, int]:
    """DuckDB reading the same files into a table, in this process: the baseline for (a)."""
    con = duckdb.connect(config=NO_NETWORK)
    try:
        t = time.perf_counter()
        con.execute("CREATE TABLE obs AS SELECT * FROM read_json($files, format = 'newline_delimited')",
                    {"files": [str(f) for f in files]})
        el = time.perf_counter() - t
        (n,) = con.execute("SELECT count(*) FROM obs").fetchone()
        return el, int(n)
    finally:
        con.close()


def dashboard_queries(home: Path, source: str) -> list[tuple[str, str, list[Any]]]:
    """The SQL the dashboard runs (captured from dashboard/data.py), or representative mart queries."""
    try:
        import streamlit.config
        import streamlit.logger

        # "No runtime found" warnings, one per cached function as the dashboard module is imported: we
        # are not a page. Streamlit sets its loggers' level when it parses its config, so parse it
        # first, then lower them, then import.
        streamlit.config.get_config_options()
        streamlit.logger.set_log_level("error")
        from dashboard import data
    except Exception:  # noqa: BLE001 - the dashboard is optional for the bench
        data = None
    captured: list[tuple[str, str, list[Any]]] = []
    if data is not None:
        real = data._query

        def capture(snapshot: str, sql: str, params: list[Any] | None = None) -> Any:
            captured.append((current, sql, list(params or [])))
            return real(snapshot, sql, params)

        data._query = capture
        snap = str(home / "published" / "warehouse.duckdb")
        busiest = functools.cache(lambda: _busiest(data, snap, source))  # one day and task type for both
        try:
            for current, call in [
                ("freshness", lambda: data.freshness(snap, 0)),
                ("snapshot_times", lambda: data.snapshot_times(snap, 0)),
                ("current_stock", lambda: data.current_stock(snap, 0, source)),
                ("crawl_volume", lambda: data.crawl_volume(snap, 0, source)),
                ("daily_volume", lambda: data.daily_volume(snap, 0, source)),
                ("daily_volume_total", lambda: data.daily_volume_total(snap, 0, source)),
                ("latest_listings", lambda: data.latest_listings(snap, 0, source)),
                ("crawl_runs", lambda: data.crawl_runs(snap, 0)),
                ("quarantine_counts", lambda: data.quarantine_counts(snap, 0)),
                # Pay & regions: the keys of the default period, then one day's wages and volume
                ("region_task_keys", lambda: data.region_task_keys(snap, 0, source)),
                ("daily_wages", lambda: data.daily_wages(snap, 0, source, "worker_eligibility",
                                                         *busiest(), "tasks_completed")),
                ("region_task_volume", lambda: data.region_task_volume(
                    snap, 0, source, "worker_eligibility", busiest()[1])),
                # OLI comparison: the list of series, then our Total series
                ("oli_series", lambda: data.oli_series(snap, 0)),
                ("oli_index", lambda: data.oli_index(snap, 0, f"observatory:{source}")),
            ]:
                try:
                    call()
                except Exception as exc:  # noqa: BLE001 - report and go on with the others
                    print(f"  dashboard query {current} failed: {exc}")
        finally:
            data._query = real
    if captured:
        return captured
    return [
        ("daily_volume", "SELECT * FROM mart.daily_volume WHERE source = ? ORDER BY day, worker_country", [source]),
        ("daily_volume_total", "SELECT * FROM mart.daily_volume_total WHERE source = ? ORDER BY day", [source]),
        ("crawl_volume", "SELECT * FROM mart.crawl_volume WHERE source = ? ORDER BY observed_at", [source]),
        ("source_freshness", "SELECT * FROM mart.source_freshness", []),
    ]


def _busiest(data: Any, snap: str, source: str) -> tuple[str, Any]:
    """(task type, day): the newest day of the default period and its most common task type."""
    keys = data.region_task_keys(snap, 0, source)
    keys = keys[keys["region_kind"] == "worker_eligibility"]
    day = keys["day"].max()
    top = keys[keys["day"] == day]["task_type"].value_counts().index[0]
    return top, (day.date() if hasattr(day, "date") else day)


def query_latency(snapshot: Path, queries: list[tuple[str, str, list[Any]]], repeat: int) -> dict[str, tuple]:
    """Median and p95 of each query, a fresh read-only connection per query as the dashboard does."""
    out = {}
    for name, sql, params in queries:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            con = publish.open_snapshot(snapshot)
            try:
                con.execute(sql, params).df()
            finally:
                con.close()
            times.append(time.perf_counter() - t)
        times.sort()
        out[name] = (statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))])
    return out


# Tables copied, shifted by whole multiples of the measured span, to make a year-sized snapshot for (c) and
# (d) when fewer days were loaded: (table, key columns that get a suffix, time columns that get shifted).
_REPLICATED = (
    ("core.crawl_run", ("run_id",), ("started_at", "finished_at", "loaded_at")),
    ("core.listing", ("listing_id", "first_run_id", "last_run_id"), ("first_seen_at", "last_seen_at", "posted_at",
                                                                      "expires_at")),
    ("core.listing_state", ("listing_id", "run_id"), ("observed_at",)),
    ("core.run_stock", ("run_id",), ("observed_at",)),
    ("raw.landing_run", ("run_id",), ("registered_at",)),
    ("mart.flow_day_store", (), ("day",)),
    ("mart.flow_day_total_store", (), ("day",)),
    ("mart.new_day_store", (), ("day",)),
)


def replicate(snapshot: Path, target: Path, copies: int, span_days: int) -> Path:
    """A year-sized warehouse made of ``copies`` copies of the measured one, each shifted in time.

    Why this extrapolation is fair for (c) and (d): storage and the dashboard's queries depend on how
    many rows of each kind there are and how they spread over days, which copies shifted by whole
    spans reproduce; what copies cannot show (load cost as history grows) is (b), measured on real loads.
    """
    shutil.copyfile(snapshot, target)
    con = duckdb.connect(str(target), config=NO_NETWORK)
    try:
        con.execute("SET TimeZone = 'UTC'")
        for table, keys, times in _REPLICATED:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()]
            exprs = []
            for c in cols:
                if c in keys:
                    exprs.append(f"{c} || '~' || k.i::VARCHAR")
                elif c in times:
                    exprs.append(f"{c} + to_days(CAST(k.i * {span_days} AS INTEGER))")
                else:
                    exprs.append(c)
            # Column and table names come from the catalog and the constants above, never from data.
            con.execute(
                f"INSERT INTO {table} SELECT {', '.join(exprs)} FROM {table} "  # noqa: S608
                f"CROSS JOIN range(1, {int(copies)}) AS k(i)"
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return target


def run(source_home: Path, work: Path, days: int, repeat: int, log: Callable[[str], None],
        replicate_days: int = 0) -> dict[str, Any]:
    """Load ``days`` generated days one at a time into a fresh warehouse; measure (a)-(d)."""
    src = source_home / "landing" / "mturk"
    shutil.rmtree(work, ignore_errors=True)
    dst = work / "landing" / "mturk"
    dst.mkdir(parents=True)
    os.environ["OBSERVATORY_HOME"] = str(work)
    all_days = runs_by_day(src)[:days]
    if not all_days:
        raise SystemExit(f"no generated runs under {src}: run python -m bench.generate_year first")
    con = db.connect()
    pipeline.ensure_reference(con)  # rates, countries, minimum wages: what `observatory load` loads first
    per_day: list[dict[str, Any]] = []
    total_t = total_n = 0.0
    t_all = time.perf_counter()
    try:
        for k, (day, run_ids) in enumerate(all_days, start=1):
            files = link_day(src, dst, run_ids)
            profiled = k in (1, 2, len(all_days))
            step = _Timed(con) if profiled else con
            t = time.perf_counter()
            report = load.load_pending(step)
            t_marts = time.perf_counter()
            if report.loaded:
                marts.refresh_marts(step)  # as `observatory load` does: classify the new listings
            el = time.perf_counter() - t
            marts_s = time.perf_counter() - t_marts
            if report.failed:
                raise SystemExit(f"day {day}: {len(report.failed)} runs failed: {report.failed[0].error}")
            n = sum(r.items for r in report.results)
            total_t += el
            total_n += n
            entry = {"day": day, "runs": len(run_ids), "observations": n, "seconds": el, "files": files,
                     "marts_seconds": marts_s}
            # (a)'s baseline: DuckDB reading the same files right after (same minute, same machine load)
            if k == 1 or k == len(all_days) or k % A_SAMPLE_EVERY == 0:
                entry["read_json_seconds"], entry["read_json_rows"] = read_json_seconds(files)
            if profiled:
                entry["statements"] = step.top()
            per_day.append(entry)
            log(f"  day {k:3d} ({day}): {len(run_ids)} runs, {n:,} obs in {el:.2f}s "
                f"(of which classification {marts_s:.2f}s); "
                + (f"read_json {entry['read_json_seconds']:.2f}s; " if "read_json_seconds" in entry else "")
                + f"{total_n:,.0f} obs in {time.perf_counter() - t_all:.0f}s so far")
        con.execute("CHECKPOINT")
    finally:
        con.close()

    first, last = per_day[0], per_day[-1]
    # (a) the sampled days, each read by DuckDB alone right after it was loaded
    sample = [d for d in per_day if "read_json_seconds" in d]
    rj_t = sum(d["read_json_seconds"] for d in sample)
    rj_n = sum(d["read_json_rows"] for d in sample)
    ld_t = sum(d["seconds"] for d in sample)
    ld_n = sum(d["observations"] for d in sample)
    a = (ld_n / ld_t) / (rj_n / rj_t)
    # (b) last day vs first day, and vs the second (the first day also holds the baseline crawl that
    # inserts every open listing at once)
    b = last["seconds"] / first["seconds"]
    b2 = last["seconds"] / per_day[1]["seconds"] if len(per_day) > 1 else float("nan")
    # ... and, since one day against one day moves with the machine's load, the median of the last 7
    # days against the median of the first 7
    week = min(7, len(per_day))
    first_week = statistics.median(x["seconds"] for x in per_day[:week])
    last_week = statistics.median(x["seconds"] for x in per_day[-week:])
    b_week = last_week / first_week
    # (c)
    size = (work / "warehouse.duckdb").stat().st_size
    c = size / total_n
    # (d)
    t = time.perf_counter()
    manifest = publish.publish()
    publish_s = time.perf_counter() - t
    snapshot = work / "published" / "warehouse.duckdb"
    d = query_latency(snapshot, dashboard_queries(work, "mturk"), repeat)
    counts = manifest["row_counts"]
    year: dict[str, Any] = {}
    if replicate_days and replicate_days > len(per_day):
        copies = -(-replicate_days // len(per_day))
        t = time.perf_counter()
        big = replicate(snapshot, work / "published" / "year.duckdb", copies, len(per_day))
        con = duckdb.connect(str(big), read_only=True, config=NO_NETWORK)
        (obs,) = con.execute("SELECT sum(items) FROM core.crawl_run").fetchone()
        con.close()
        year = {"days": copies * len(per_day), "observations": int(obs), "bytes": big.stat().st_size,
                "build_s": time.perf_counter() - t,
                "d": query_latency(big, dashboard_queries(work, "mturk"), repeat)}

    log("")
    log(f"loaded {len(per_day)} days, {total_n:,.0f} observations in {total_t:.0f}s of the load step "
        f"({total_n / total_t:,.0f} obs/s)")
    log(f"(a) throughput on {len(sample)} days ({', '.join(x['day'] for x in sample)}), each read_json "
        f"right after its load: load step {ld_n / ld_t:,.0f} obs/s, "
        f"read_json {rj_n / rj_t:,.0f} obs/s -> ratio {a:.2f}x (goal {GOALS['a']})")
    log(f"(b) day {len(per_day)} ({last['day']}) {last['seconds']:.2f}s vs day 1 ({first['day']}) "
        f"{first['seconds']:.2f}s -> {b:.2f}x; vs day 2 {b2:.2f}x; median of the last {week} days "
        f"{last_week:.2f}s vs the first {week} {first_week:.2f}s -> {b_week:.2f}x (goal {GOALS['b']})")
    log(f"(c) warehouse file {size / 1e6:,.1f} MB / {total_n:,.0f} observations -> {c:.1f} bytes/observation "
        f"(goal {GOALS['c']}); rows: {json.dumps(counts)}")
    log(f"(d) publish {publish_s:.1f}s; snapshot {manifest['bytes'] / 1e6:,.1f} MB; query latency over "
        f"{repeat} runs each (goal {GOALS['d']}):")
    for name, (med, p95) in d.items():
        log(f"      {name:22s} median {med * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    worst = max(p95 for _, p95 in d.values())
    log(f"    worst p95 {worst * 1000:.1f} ms")
    for entry in (x for x in per_day if "statements" in x):
        log(f"statements taking most of day {entry['day']}'s {entry['seconds']:.2f}s:")
        for sql, sec in entry["statements"]:
            log(f"      {sec * 1000:7.1f} ms  {sql}")
    if year:
        log(f"extrapolated to {year['days']} days ({len(per_day)}-day warehouse x {year['days'] // len(per_day)}, "
            f"shifted in time; built in {year['build_s']:.0f}s): {year['observations']:,} observations")
        log(f"(c') {year['bytes'] / 1e6:,.1f} MB -> {year['bytes'] / year['observations']:.1f} bytes/observation")
        log("(d') query latency on it:")
        for name, (med, p95) in year["d"].items():
            log(f"      {name:22s} median {med * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
        log(f"    worst p95 {max(p95 for _, p95 in year['d'].values()) * 1000:.1f} ms")
    return {"days": len(per_day), "observations": total_n, "load_seconds": total_t, "a": a, "b": b,
            "b_vs_day2": b2, "b_week_medians": b_week, "c": c, "d": {k: {"median_ms": v[0] * 1000, "p95_ms": v[1] * 1000} for k, v in d.items()},
            "per_day_seconds": [x["seconds"] for x in per_day], "row_counts": counts,
            "profiled_days": {x["day"]: x["statements"] for x in per_day if "statements" in x},
            "extrapolated": {k: v for k, v in year.items() if k != "d"} | (
                {"d": {k: {"median_ms": v[0] * 1000, "p95_ms": v[1] * 1000} for k, v in year["d"].items()}}
                if year else {})}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=Path("/tmp/observatory-bench"),
                    help="the OBSERVATORY_HOME bench.generate_year wrote")
    ap.add_argument("--work", type=Path, default=Path("/tmp/observatory-bench-load"),
                    help="the bench's own OBSERVATORY_HOME (wiped first)")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=25, help="runs of each dashboard query")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--extrapolate-days", type=int, default=365,
                    help="when fewer days are loaded, also measure (c) and (d) on copies shifted to this many")
    args = ap.parse_args(argv)
    result = run(args.source, args.work, args.days, args.repeat, lambda s: print(s, flush=True),
                 args.extrapolate_days)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
