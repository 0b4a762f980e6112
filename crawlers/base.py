"""What every observatory spider shares: the run id, the observation clock and the run's figures.

Spiders only decide which pages to fetch and which page object parses them; the run bookkeeping
(manifest figures, quarantine, time) lives here so it is the same for every source.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.pages.common import PageFormatError
from observatory.landing import new_run_id


@dataclass
class Quarantined:
    """A record the spider could not turn into a contract item; the pipeline files it with its reason."""

    reason: str
    record: Any
    url: str | None
    raw_ref: str | None


@dataclass
class RunFigures:
    pages: int = 0
    page_errors: int = 0
    request_failures: int = 0
    results_reported: int | None = None
    hits_available_reported: int | None = None
    first_observed: datetime | None = None
    last_observed: datetime | None = None


class ObservatorySpider(scrapy.Spider):
    """Base class: ``-a run_id=...``, ``-a base_url=...``, ``-a clock=server|local``."""

    source: str = ""
    default_base_url: str = ""

    def __init__(self, run_id: str | None = None, base_url: str | None = None, clock: str = "local",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if clock not in ("server", "local"):
            raise ValueError(f"clock must be 'server' or 'local', not {clock!r}")
        self.run_id = run_id or new_run_id(self.source)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.clock = clock
        self.wall_started_at = datetime.now(UTC)
        self.figures = RunFigures()

    def observed_at(self, response: Response) -> datetime:
        """When this response shows the site: the crawler's UTC clock, or with ``clock=server`` the
        response's Date header (how simulated time reaches the warehouse, and how a capture's own time
        is kept). A missing or unreadable Date header falls back to the crawler's clock."""
        when = response.meta.get("received_at") or datetime.now(UTC)
        if self.clock == "server":
            header = response.headers.get(b"Date")
            if header:
                try:
                    when = parsedate_to_datetime(header.decode("latin-1")).astimezone(UTC)
                except (TypeError, ValueError):
                    self.logger.warning("unreadable Date header %r on %s", header, response.url)
        f = self.figures
        f.first_observed = when if f.first_observed is None else min(f.first_observed, when)
        f.last_observed = when if f.last_observed is None else max(f.last_observed, when)
        return when

    def stamp(self, item: dict[str, Any], response: Response) -> dict[str, Any]:
        """Fill in what the page object cannot know: the run and the archive record."""
        item["run_id"] = self.run_id
        item["raw_ref"] = response.meta.get("raw_ref") or response.url
        return item

    #: How often a page that arrives broken (truncated JSON, malformed markup) is fetched again before
    #: it is quarantined: a broken body is usually a transfer fault, and the next copy is often whole.
    page_retry_times: int = 2

    def page_failed(self, response: Response, exc: Exception) -> Iterator[Any]:
        """A page not in the expected format: fetch it again, or quarantine it once retries are spent."""
        tries = response.meta.get("page_retries", 0)
        if tries < self.page_retry_times:
            self.crawler.stats.inc_value("observatory/page_retries")
            self.logger.warning("page %s not in the expected format (%s); fetching it again", response.url, exc)
            retry = response.request.replace(dont_filter=True)  # type: ignore[union-attr]
            retry.meta["page_retries"] = tries + 1
            yield retry
            return
        self.figures.page_errors += 1
        self.logger.error("page %s not in the expected format after %d tries: %s", response.url, tries + 1, exc)
        yield Quarantined(f"page format: {exc}", response.text[:2000] if hasattr(response, "text") else None,
                          response.url, response.meta.get("raw_ref"))

    def emit_page(self, response: Response, parse: Any,
                  errors: tuple[type[Exception], ...] = (PageFormatError,)) -> Generator[Any, None, Any]:
        """Parse one response with a page object and yield what the run lands from it: stamped items and
        quarantined problems, the site's reported total noted. Returns the parsed page (None when the page
        was not in the expected format, which is retried or quarantined), for the spider's paging:
        ``page = yield from self.emit_page(response, parser)``."""
        observed_at = self.observed_at(response)
        self.figures.pages += 1
        raw_ref = response.meta.get("raw_ref")
        try:
            page = parse(response.body, response.url, observed_at)
        except errors as exc:
            yield from self.page_failed(response, exc)
            return None
        total = getattr(page, "total_results", None)
        if total is not None:
            self.figures.results_reported = max(self.figures.results_reported or 0, total)
        for item in page.items:
            yield self.stamp(item, response)
        for problem in page.problems:
            yield Quarantined(problem["reason"], problem.get("record"), response.url, raw_ref)
        return page

    def errback(self, failure: Any) -> None:
        """A request that failed for good (after retries): counted, so coverage and status show it."""
        self.figures.request_failures += 1
        self.logger.error("request failed for good: %s", failure)
