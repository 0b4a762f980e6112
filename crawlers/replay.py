"""Items from archived responses, with no network: replays of third-party captures and reparses of our
own archive go through the very page objects a live crawl uses, and land through the same RunRecorder.

- ``replay_warc(source, files)``: third-party WARC captures (e.g. Internet Archive captures of MTurk
  listing pages) become one landing run, each item observed at its record's capture time (WARC-Date).
- ``reparse(source, since)``: every archived run of ours is parsed again (after a parser fix, say) into
  ``$OBSERVATORY_HOME/reparse/<source>/``, beside the original landing zone, never over it; the items keep
  their original observation time and ``raw_ref``, so with unchanged parsers they equal the originals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from crawlers.base import Quarantined, RunFigures
from crawlers.pages import freelancer, mturk, peopleperhour, upwork
from crawlers.pipelines import RunRecorder
from observatory import config
from observatory.contract import parse_utc
from observatory.landing import iter_manifests, new_run_id

log = logging.getLogger(__name__)

Parser = Callable[[bytes, str, datetime], Any]  # -> a ListingPage-like object


@dataclass(frozen=True)
class Route:
    """Which page object parses an archived response, decided from its URL and content type."""

    name: str
    matches: Callable[[str, str], bool]  # (url, content_type) -> bool
    parse: Parser | None  # None: a page that carries only run figures (a banner)


def _is_mturk_json(url: str, ctype: str) -> bool:
    return "format=json" in url or "json" in ctype


def _is_findhits(url: str, ctype: str) -> bool:
    return "/mturk/findhits" in url or "/mturk/viewhits" in url or "/mturk/searchbar" in url


def _is_welcome(url: str, ctype: str) -> bool:
    return "/mturk/welcome" in url or url.rstrip("/").endswith("mturk.com")


def _is_tracker(url: str, ctype: str) -> bool:
    return "/hitgroup/search" in url or "mturk-tracker" in url


ROUTES: dict[str, list[Route]] = {
    "mturk": [
        Route("tracker_api", _is_tracker, mturk.parse_tracker_api),
        Route("listing_json", _is_mturk_json, mturk.parse_listing_json),
        Route("findhits_html", _is_findhits, mturk.parse_findhits_html),
        Route("welcome_banner", _is_welcome, None),
    ],
    "freelancer": [
        Route("projects_active", lambda url, ct: "/api/projects/0.1/projects/active" in url,
              freelancer.parse_projects_active),
    ],
    "upwork": [Route("job_rss", lambda url, ct: "rss" in url or "xml" in ct, upwork.parse_rss)],
    "peopleperhour": [Route("job_rss", lambda url, ct: "rss" in url or "xml" in ct, peopleperhour.parse_rss)],
}


def register_routes(source: str, routes: Iterable[Route]) -> None:
    """Let a source module add its page objects to replay and reparse."""
    ROUTES.setdefault(source, []).extend(routes)


def _spec_routes(source: str) -> list[Route]:
    """A spec-driven source's archived listing pages go through the same spec extraction as the crawl."""
    from observatory.pipeline import spec_path

    path = spec_path(source)
    if path is None:
        return []
    from crawlers import spec as specs

    spec = specs.load_spec(path)
    return [Route("spec_listing", lambda url, ct: "login" not in url and "robots.txt" not in url,
                  lambda body, url, when: specs.parse_page(spec, body, url, when))]


def route_for(source: str, url: str, content_type: str) -> Route | None:
    if source not in ROUTES:
        ROUTES[source] = _spec_routes(source)
    for route in ROUTES.get(source, []):
        if route.matches(url, content_type.lower()):
            return route
    return None


@dataclass
class ArchivedResponse:
    url: str
    status: int
    content_type: str
    warc_date: datetime
    http_date: datetime | None
    body: bytes
    raw_ref: str


def iter_responses(path: Path, ref_base: Path | None = None) -> Iterator[ArchivedResponse]:
    """Every HTTP response record of a WARC file, with its ``raw_ref`` (path relative to ref_base)."""
    rel = str(path.relative_to(ref_base)) if ref_base and path.is_relative_to(ref_base) else str(path)
    with open(path, "rb") as f:
        records = ArchiveIterator(f)
        for record in records:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            body = record.content_stream().read()  # before get_record_offset(), which consumes the stream
            offset = records.get_record_offset()
            headers = record.http_headers
            http_date = None
            if headers.get_header("Date"):
                try:
                    http_date = parsedate_to_datetime(headers.get_header("Date")).astimezone(UTC)
                except (TypeError, ValueError):
                    http_date = None
            yield ArchivedResponse(
                url=record.rec_headers.get_header("WARC-Target-URI") or "",
                status=int(headers.get_statuscode() or 0),
                content_type=headers.get_header("Content-Type") or "",
                warc_date=parse_utc(record.rec_headers.get_header("WARC-Date")),
                http_date=http_date,
                body=body,
                raw_ref=f"{rel}#{offset}",
            )


def _land_responses(recorder: RunRecorder, responses: Iterable[ArchivedResponse], source: str, clock: str,
                    figures: RunFigures) -> None:
    for resp in responses:
        route = route_for(source, resp.url, resp.content_type)
        if route is None or resp.status != 200:
            continue
        when = resp.http_date if clock == "server" and resp.http_date else resp.warc_date
        figures.first_observed = min(filter(None, [figures.first_observed, when]))
        figures.last_observed = max(filter(None, [figures.last_observed, when]))
        banner = mturk.parse_hits_available_banner(resp.body) if source == "mturk" else None
        if banner is not None:
            figures.hits_available_reported = banner
        if route.parse is None:
            continue
        figures.pages += 1
        try:
            page = route.parse(resp.body, resp.url, when)
        except ValueError as exc:  # PageFormatError is a ValueError
            figures.page_errors += 1
            recorder.add(Quarantined(f"page format: {exc}", resp.body[:2000].decode("utf-8", "replace"),
                                     resp.url, resp.raw_ref))
            continue
        if getattr(page, "total_results", None) is not None:
            figures.results_reported = max(figures.results_reported or 0, page.total_results)
        for item in page.items:
            recorder.add({**item, "run_id": recorder.run_id, "raw_ref": resp.raw_ref})
        for problem in page.problems:
            recorder.add(Quarantined(problem["reason"], problem.get("record"), resp.url, resp.raw_ref))


def replay_warc(source: str, files: list[Path], run_id: str | None = None) -> dict[str, Any]:
    """One landing run from third-party WARC captures; observation time = each capture's WARC-Date."""
    if not ROUTES.get(source) and not _spec_routes(source):
        raise ValueError(f"no archived-page parsers for source {source!r}")
    started = datetime.now(UTC)
    run_id = run_id or new_run_id(source).replace(source, f"{source}-warc", 1)
    recorder = RunRecorder(source, run_id)
    figures = RunFigures()
    for path in files:
        _land_responses(recorder, iter_responses(Path(path)), source, "capture", figures)
    return recorder.seal(figures, finish_reason="finished", base_url=None, clock="capture",
                         wall_started_at=started,
                         extra={"spider": "replay", "replayed_files": [str(p) for p in files]})


def reparse(source: str, since: date | None = None, out_root: Path | None = None) -> list[dict[str, Any]]:
    """Parse every archived run of ``source`` again into ``reparse/`` (or out_root); returns manifests."""
    home = config.paths().home
    out_root = out_root or home / "reparse"
    manifests = []
    for _, original in iter_manifests(source):
        if "_error" in original or not original.get("archive"):
            continue
        if since and parse_utc(original["started_at"]).date() < since:
            continue
        archive = home / original["archive"]
        if not archive.exists():
            log.warning("run %s: archive %s is missing; not reparsed", original["run_id"], archive)
            continue
        out_dir = out_root / source
        if (out_dir / f"{original['run_id']}.manifest.json").exists():
            (out_dir / f"{original['run_id']}.manifest.json").unlink()  # a reparse replaces the last reparse
        recorder = RunRecorder(source, original["run_id"], root=out_root)
        figures = RunFigures()
        _land_responses(recorder, iter_responses(archive, ref_base=home), source, original["clock"], figures)
        manifests.append(recorder.seal(
            figures, finish_reason=original["finish_reason"], base_url=original.get("base_url"),
            clock=original["clock"], wall_started_at=datetime.now(UTC),
            extra={"spider": "reparse", "reparsed_from": original["run_id"],
                   "original": json.loads(json.dumps({k: original.get(k) for k in ("items", "quarantined")}))},
        ))
    return manifests
