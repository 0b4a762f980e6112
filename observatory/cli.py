"""The ``observatory`` command: every step of the flow, runnable by hand or by the demo."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from observatory import config, pipeline
from observatory.status import collect, render


def _cmd_simulate(args: argparse.Namespace) -> int:
    from simulator import server

    server.serve(host=args.host, port=args.port, seed=args.seed, start=args.start, scale=args.scale)
    return 0


def _cmd_crawl(args: argparse.Namespace) -> int:
    if args.from_warc:
        from crawlers.replay import replay_warc

        m = replay_warc(args.source, [Path(f) for f in args.from_warc])
        print(f"{m['run_id']}: {m['items']} items, {m['quarantined']} quarantined from {m['pages']} archived "
              f"pages, status {m['status']}")
        return 0 if m["status"] == "ok" else 1
    settings = dict(s.split("=", 1) for s in args.set or [])
    try:
        out = pipeline.crawl(args.source, args.base_url, clock=args.clock, settings=settings,
                             spec_file=args.spec)
    except pipeline.CrawlFailed as exc:
        print(f"crawl failed: {exc}", file=sys.stderr)
        return 1
    m = out.manifest
    print(f"{out.run_id}: {m['items']} items, {m['quarantined']} quarantined, {m['pages']} pages, "
          f"coverage {m['coverage']}, status {m['status']} -> {out.manifest_path}")
    return 0


def _cmd_import_feed(args: argparse.Namespace) -> int:
    from observatory.partner_feed import FeedError, import_feed

    try:
        path = import_feed(Path(args.path), args.source, args.provider, args.run_id)
    except FeedError as exc:
        print(f"feed refused: {exc}", file=sys.stderr)
        return 2
    m = json.loads(path.read_text())
    print(f"{m['run_id']}: {m['items']} missions landed, {m['quarantined']} rows quarantined, status {m['status']} "
          f"-> {path}")
    return 0 if m["status"] == "ok" else 1


def _cmd_reparse(args: argparse.Namespace) -> int:
    from crawlers.replay import reparse

    since = date.fromisoformat(args.since) if args.since else None
    manifests = reparse(args.source, since, Path(args.out) if args.out else None)
    for m in manifests:
        print(f"{m['run_id']}: {m['items']} items (originally {m['original']['items']}), "
              f"{m['quarantined']} quarantined, status {m['status']}")
    where = args.out or config.paths().home / "reparse"
    print(f"{len(manifests)} runs reparsed into {where}/{args.source}/" if manifests else "no archived run to reparse")
    return 0


def _print_load(report: object) -> int:
    failed = 0
    for r in report.results:  # type: ignore[attr-defined]
        if r.status == "failed":
            failed += 1
            print(f"{r.run_id}: FAILED: {r.error}", file=sys.stderr)
        elif r.status == "loaded":
            flows = "used for flows" if r.used_for_flows else f"not used for flows ({r.excluded_reason})"
            print(f"{r.run_id}: loaded {r.items} items, {r.quarantined} quarantined, "
                  f"{r.state_changes} state changes, {flows}")
    if not report.results:  # type: ignore[attr-defined]
        print("nothing to load: every sealed run is already in the warehouse")
    return 1 if failed else 0


def _cmd_load(args: argparse.Namespace) -> int:
    return _print_load(pipeline.load(args.source))


def _cmd_publish(args: argparse.Namespace) -> int:
    m = pipeline.publish()
    print(f"published {m['snapshot']} ({m['bytes']} bytes) at {m['published_at']}")
    return 0


def _dashboard_cmd(port: int, host: str) -> list[str]:
    app = resources.files("dashboard").joinpath("app.py")
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", host,
            "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]


def _cmd_dashboard(args: argparse.Namespace) -> int:
    env = {**os.environ, "OBSERVATORY_HOME": str(config.paths().home)}
    print(f"dashboard on http://{args.host}:{args.port} (reads {config.paths().published})")
    return subprocess.call(_dashboard_cmd(args.port, args.host), env=env)


def _cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from warehouse.sql import QueryRefused, run_readonly_sql

    try:
        df = run_readonly_sql(args.query, Path(args.snapshot) if args.snapshot else None,
                              timeout_s=args.timeout, max_rows=args.max_rows)
    except QueryRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        print(f"timed out: {exc}", file=sys.stderr)
        return 3
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(df.to_json(orient="records", date_format="iso", default_handler=str))
    else:
        print(df.to_string(index=False, max_colwidth=60))
    if df.attrs.get("truncated"):
        print(f"(truncated to {args.max_rows} rows)", file=sys.stderr)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from warehouse.export import export_parquet

    snapshot = Path(args.snapshot) if args.snapshot else config.paths().published
    out = export_parquet(snapshot, Path(args.out_dir))
    print(f"exported {snapshot} to {out} (manifest.json, SHA256SUMS)")
    return 0


def _cmd_dictionary(args: argparse.Namespace) -> int:
    from warehouse.dictionary import check_dictionary, write_dictionary

    path = Path(args.path)
    if args.check:
        problems = check_dictionary(path)
        for p in problems:
            print(p, file=sys.stderr)
        print("data dictionary is current" if not problems else f"{len(problems)} problems: run "
              f"`observatory dictionary --path {path}`")
        return 1 if problems else 0
    write_dictionary(path)
    print(f"wrote {path}")
    return 0


def _cmd_refdata(args: argparse.Namespace) -> int:
    if args.action == "load":
        counts = pipeline.load_reference_data()
        print(", ".join(f"ref.{k}: {v} rows" for k, v in counts.items()))
    else:
        print(f"ref.fx_rate: {pipeline.refresh_fx(args.url)} rates written")
    return 0


def _cmd_oli_import(args: argparse.Namespace) -> int:
    from warehouse import db, oli

    con = db.connect()
    try:
        if args.levels:
            n = oli.import_oli_levels_monthly(con, Path(args.path), args.label, derived_by=args.derived_by)
        else:
            n = oli.import_oli_series(con, Path(args.path), args.label)
    finally:
        con.close()
    print(f"{n} rows imported from {args.path}" if n else f"{args.path} was imported before: nothing to do")
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    from warehouse import db, marts

    con = db.connect()
    try:
        if args.set:
            name, text = args.set
            value: float | date | None
            if text.lower() in ("null", "none", ""):
                value = None
            else:
                try:
                    value = float(text)
                except ValueError:
                    value = date.fromisoformat(text)
            marts.set_param(con, name, value, basis=args.basis, source=args.source, note=args.note)
        for name, p in marts.params(con).items():
            value = p.get("num_value") if p.get("num_value") is not None else p.get("date_value")
            print(f"{name} = {value}  [{p.get('basis')}] {p.get('source')}")
    finally:
        con.close()
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    status = collect()
    print(json.dumps(status, indent=2, default=str) if args.json else render(status))
    return 0


def _post(url: str) -> dict:
    req = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback simulator only
        return json.loads(r.read())


def _demo_resume_minutes(sim_now: datetime) -> int:
    """Minutes to advance a fresh simulator to the last earlier simulated crawl (0 = none); the demo
    then steps once more before its first crawl."""
    from observatory.contract import parse_utc
    from observatory.landing import iter_manifests

    last = max((parse_utc(m["finished_at"]) for _, m in iter_manifests("mturk")
                if m.get("clock") == "server" and m.get("finished_at")), default=None)
    if last is None or last < sim_now:
        return 0
    return int((last - sim_now).total_seconds() // 60)


def _cmd_demo(args: argparse.Namespace) -> int:
    from simulator.market import Market
    from simulator.server import make_server

    started = time.monotonic()
    paths = config.paths()
    market = Market(seed=args.seed)
    resume = _demo_resume_minutes(market.now)
    if resume:
        # A second demo in the same data home carries on from the last simulated crawl: the same seed
        # replays the same market, so crawls resume later in the same history instead of repeating it.
        market.advance(resume)
    httpd = make_server(market, host="127.0.0.1", port=args.sim_port)
    sim_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(f"simulator: {sim_url} (seed {args.seed}); data home: {paths.home}")
    fast = pipeline.LOOPBACK_SETTINGS
    # the simulated task board's own demo account (a simulator-only value, not a real credential)
    os.environ.setdefault("OBSERVATORY_TASKBOARD_SIM_USER", "observer")
    os.environ.setdefault("OBSERVATORY_TASKBOARD_SIM_PASSWORD", "taskboard-sim-only")
    failures = 0
    others = [x for x in args.sources.split(",") if x and x != "mturk"]
    for x in others:
        if x not in pipeline.SOURCES:
            raise SystemExit(f"unknown source {x!r}")
    for i in range(args.crawls):
        if i or resume:
            now = _post(f"{sim_url}/_sim/advance?minutes={args.step_minutes}")["now"]
        else:
            now = "start"
        # MTurk at every step (its flows need close crawls); the freelance feeds every fourth step
        due = (["mturk"] if "mturk" in args.sources.split(",") else []) + (others if i % 4 == 0 else [])
        for source in due:
            try:
                out = pipeline.crawl(source, sim_url, clock="server", settings=fast)
                m = out.manifest
                print(f"crawl {i + 1}/{args.crawls} {source} at simulated {now}: {m['items']} listings, "
                      f"coverage {m['coverage']}")
            except pipeline.CrawlFailed as exc:
                failures += 1
                print(f"crawl {i + 1}/{args.crawls} {source} failed: {exc}", file=sys.stderr)
        report = pipeline.load()
        if report.failed:
            failures += 1
            for r in report.failed:
                print(f"load of {r.run_id} failed: {r.error}", file=sys.stderr)
    pipeline.publish()
    elapsed = time.monotonic() - started
    print(f"\ndemo finished in {elapsed:.0f} s with {failures} failures")
    print(f"warehouse (writer): {paths.warehouse}")
    print(f"published snapshot (read-only): {paths.published}")
    print(render(collect()))
    if args.no_serve:
        httpd.shutdown()
        return 1 if failures else 0
    print(f"\ndashboard: http://127.0.0.1:{args.port}  (Ctrl-C stops it and the simulator at {sim_url})")
    env = {**os.environ, "OBSERVATORY_HOME": str(paths.home)}
    try:
        return subprocess.call(_dashboard_cmd(args.port, "127.0.0.1"), env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        httpd.shutdown()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="observatory",
        description="Measure microwork: crawl task listings, load them into DuckDB, publish, and show them.",
        epilog="Data lives under ./data (OBSERVATORY_HOME moves it).",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("simulate", help="serve the loopback marketplace simulator",
                       description="Serve the seeded, deterministic marketplace simulator on 127.0.0.1 "
                                   "(MTurk JSON listing, /_sim/advance clock, /_sim/truth).")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--start", default="2026-09-01T00:00:00Z", help="simulated start time (UTC)")
    s.add_argument("--scale", type=float, default=1.0, help="market size multiplier")
    s.set_defaults(func=_cmd_simulate)

    s = sub.add_parser("crawl", help="run one spider as its own scrapy process and land its items",
                       description="Crawl SOURCE once into data/landing/SOURCE/<run_id>.jsonl.gz with a "
                                   "manifest. Exits 1 when the run fails (zero items, crash).")
    s.add_argument("source", help=f"one of {', '.join(sorted(pipeline.SOURCES))}, or the key of --spec")
    s.add_argument("--spec", metavar="FILE", help="crawl a declarative source spec (crawlers/specs/*.yaml) "
                                                   "with the generic spider")
    s.add_argument("--base-url", help="where to crawl (default: OBSERVATORY_<SOURCE>_BASE_URL or the "
                                      f"simulator at {config.DEFAULT_SIMULATOR_URL})")
    s.add_argument("--clock", choices=["local", "server"], default="local",
                   help="observation time from this machine's clock or the site's Date header "
                        "(use 'server' against the simulator, whose clock is simulated)")
    s.add_argument("--set", action="append", metavar="NAME=VALUE", help="extra Scrapy setting")
    s.add_argument("--from-warc", nargs="+", metavar="FILE",
                   help="no network: replay these WARC captures (e.g. Internet Archive captures of MTurk "
                        "pages) through the same parsers, observed at each capture's WARC-Date")
    s.set_defaults(func=_cmd_crawl)

    s = sub.add_parser("import-feed", help="import a partner / data-donation feed of geolocated missions",
                       description="Validate every row of a JSON-lines or CSV mission feed (docs/partner-feed.md) "
                                   "and land it as a run: good rows as items, bad rows quarantined with why.")
    s.add_argument("path")
    s.add_argument("--source", required=True, help="platform key, e.g. roamler")
    s.add_argument("--provider", required=True, help="who supplied the feed (kept in the manifest)")
    s.add_argument("--run-id")
    s.set_defaults(func=_cmd_import_feed)

    s = sub.add_parser("reparse", help="rebuild items from the raw archive with no network",
                       description="Parse every archived run of SOURCE again (after a parser change) into "
                                   "data/reparse/SOURCE/, beside the landing zone; with unchanged parsers "
                                   "the items equal the originals.")
    s.add_argument("source")
    s.add_argument("--since", metavar="YYYY-MM-DD", help="only runs observed on or after this UTC day")
    s.add_argument("--out", metavar="DIR", help="where to write (default data/reparse)")
    s.set_defaults(func=_cmd_reparse)

    s = sub.add_parser("load", help="load every sealed, not yet loaded run into the warehouse",
                       description="Load landing runs into data/warehouse.duckdb, one transaction per run; "
                                   "loading a run twice changes nothing.")
    s.add_argument("--source", choices=sorted(pipeline.SOURCES))
    s.set_defaults(func=_cmd_load)

    s = sub.add_parser("publish", help="publish the read-only snapshot the dashboard reads",
                       description="Checkpoint the warehouse and copy it to data/published/warehouse.duckdb, "
                                   "swapped in atomically, with data/published/manifest.json. The dashboard "
                                   "and researchers read only this snapshot, so a load never blocks them.")
    s.set_defaults(func=_cmd_publish)

    s = sub.add_parser("dashboard", help="serve the Streamlit dashboard on the published snapshot",
                       description="Serve the Streamlit dashboard (overview, sources and runs, method) on "
                                   "http://HOST:PORT. It reads only data/published/warehouse.duckdb, read-only.")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8501)
    s.set_defaults(func=_cmd_dashboard)

    s = sub.add_parser("demo", help="simulator -> several crawls over simulated time -> load -> publish -> dashboard",
                       description="Run the whole observatory on the simulator: crawl it --crawls times, "
                                   "advancing the simulated clock --step-minutes between crawls, load and "
                                   "publish, then serve the dashboard (unless --no-serve).")
    s.add_argument("--crawls", type=int, default=16)
    s.add_argument("--sources", default="mturk,freelancer,peopleperhour,upwork,taskboard_sim",
                   help="comma-separated; MTurk is crawled at every step, the others every fourth")
    s.add_argument("--step-minutes", type=int, default=180)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--sim-port", type=int, default=0, help="simulator port (0 = any free port)")
    s.add_argument("--port", type=int, default=8501, help="dashboard port")
    s.add_argument("--no-serve", action="store_true", help="stop after publishing")
    s.set_defaults(func=_cmd_demo)

    s = sub.add_parser("sql", help="run one read-only query on the published snapshot",
                       description="Run QUERY on the published snapshot: read-only, no file or network access, "
                                   "one statement, a time limit. Exit 2 if refused, 3 on timeout.")
    s.add_argument("query")
    s.add_argument("--snapshot", help="another snapshot file (default data/published/warehouse.duckdb)")
    s.add_argument("--timeout", type=float, default=30.0, help="seconds")
    s.add_argument("--max-rows", type=int, default=10000)
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.set_defaults(func=_cmd_sql)

    s = sub.add_parser("export", help="export the public views to Parquet with a manifest and checksums",
                       description="Write every public view as Parquet under OUT_DIR, partitioned by source and "
                                   "month, with manifest.json and SHA256SUMS.")
    s.add_argument("out_dir")
    s.add_argument("--format", choices=["parquet"], default="parquet")
    s.add_argument("--snapshot", help="default: the published snapshot")
    s.set_defaults(func=_cmd_export)

    s = sub.add_parser("dictionary", help="regenerate (or --check) docs/data-dictionary.md from the catalog",
                       description="The data dictionary is generated from the COMMENT ON texts of the public "
                                   "views; --check exits 1 when the file is not current.")
    s.add_argument("--check", action="store_true")
    s.add_argument("--path", default="docs/data-dictionary.md")
    s.set_defaults(func=_cmd_dictionary)

    s = sub.add_parser("refdata", help="load reference data, or refresh ECB rates when online",
                       description="load: (re)load ECB euro reference rates, ISO countries and subdivisions, "
                                   "OLI regions and minimum wages from the data shipped with the package "
                                   "(also done automatically on the first load). refresh-fx: merge the ECB's "
                                   "newest rates from its CSV/ZIP (needs network, or --url file://...).")
    s.add_argument("action", choices=["load", "refresh-fx"])
    s.add_argument("--url", help="refresh-fx: where to read the ECB history (default: the ECB's URL)")
    s.set_defaults(func=_cmd_refdata)

    s = sub.add_parser("oli-import", help="import an Online Labour Index back-series file",
                       description="Import an OLI file (timestamp,occupation,status,domain,count; or with "
                                   "--levels a monthly index table) with its checksum and provenance, keeping "
                                   "gaps as gaps, so our series can be shown beside the OLI's.")
    s.add_argument("path")
    s.add_argument("--label", required=True, help="name of the series, e.g. oli11-2020")
    s.add_argument("--levels", action="store_true", help="a third party's monthly index table")
    s.add_argument("--derived-by", default="unknown third party", help="with --levels: who derived it")
    s.set_defaults(func=_cmd_oli_import)

    s = sub.add_parser("params", help="show or set the marts' documented parameters",
                       description="Show the parameters of the derived figures (e.g. share of time allotted "
                                   "actually worked, unpaid-time overhead factor, OLI base period), or set one "
                                   "with its basis and source.")
    s.add_argument("--set", nargs=2, metavar=("NAME", "VALUE"))
    s.add_argument("--basis", choices=["assumption", "published", "convention"], default="assumption")
    s.add_argument("--source", default="set by the operator")
    s.add_argument("--note", default="")
    s.set_defaults(func=_cmd_params)

    s = sub.add_parser("status", help="what was crawled when, row counts, freshness",
                       description="Per source: runs, failures, items, quarantined records, last crawl and last "
                                   "success with their age; unsealed landing files; the published snapshot's "
                                   "time and row counts. Reads the landing zone and the snapshot only.")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=_cmd_status)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.Formatter.converter = time.gmtime
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
