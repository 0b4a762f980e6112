"""Landing: validate each item against the contract, pseudonymise names, land it, seal the run.

``RunRecorder`` does the work and knows nothing of Scrapy, so a live crawl (through ``LandingPipeline``)
and a replay of archived responses (``crawlers.replay``) land items in exactly the same way. Items that
break the contract go to the run's quarantine file with every reason; the rest of the run goes on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawlers.base import ObservatorySpider, Quarantined, RunFigures
from crawlers.monitors import FieldCoverage, verdict
from observatory import config
from observatory.contract import utc_iso, validate
from observatory.landing import LandingWriter


def pseudonymise(name: str | None, key: bytes) -> str | None:
    """A stable keyed pseudonym for a person's name: countable across runs, not reversible without the key."""
    if not name:
        return name
    digest = hmac.new(key, name.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"person_{digest[:12]}"


class RunRecorder:
    """One run's landing: items, quarantine, field coverage, and the sealed manifest."""

    def __init__(self, source: str, run_id: str, thresholds: dict[str, float] | None = None,
                 root: Path | None = None) -> None:
        self.source = source
        self.run_id = run_id
        self.writer = LandingWriter(source, run_id, root=root) if root else LandingWriter(source, run_id)
        self.key = config.pseudonym_key()
        self.coverage = FieldCoverage()
        self.thresholds = thresholds
        self.listing_ids: set[str] = set()
        self.invalid = 0

    def add(self, item: Any) -> bool:
        """Land one item or quarantined record; True when it became an item."""
        if isinstance(item, Quarantined):
            self.writer.write_quarantine(item.reason, item.record, item.raw_ref, item.url)
            self.coverage.add_unusable()
            return False
        item = dict(item)
        item["requester_name"] = pseudonymise(item.get("requester_name"), self.key)
        problems = validate(item)
        if problems:
            self.invalid += 1
            self.writer.write_quarantine("; ".join(problems), item, item.get("raw_ref"), item.get("url"))
            self.coverage.add_unusable()
            return False
        self.writer.write_item(item)
        self.coverage.add_item(item)
        self.listing_ids.add(item["listing_id"])
        return True

    def seal(self, figures: RunFigures, *, finish_reason: str, base_url: str | None, clock: str,
             wall_started_at: datetime, errors: int = 0, retries: int = 0,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Judge the run with the monitors and write its manifest (last, atomically); return it whole."""
        seen = len(self.listing_ids)
        coverage = None
        if figures.results_reported is not None:
            coverage = 1.0 if figures.results_reported == 0 else min(1.0, seen / figures.results_reported)
        failures = verdict(self.source, self.writer.items, finish_reason, self.coverage, self.thresholds)
        now = datetime.now(UTC).replace(microsecond=0)
        manifest = {
            "base_url": base_url,
            "clock": clock,
            "started_at": utc_iso(figures.first_observed or wall_started_at),
            "finished_at": utc_iso(figures.last_observed or now),
            "wall_started_at": utc_iso(wall_started_at.replace(microsecond=0)),
            "wall_finished_at": utc_iso(now),
            "pages": figures.pages,
            "page_errors": figures.page_errors,
            "request_failures": figures.request_failures,
            "errors": errors + figures.page_errors,
            "retries": retries,
            "finish_reason": finish_reason,
            "status": "failed" if failures else "ok",
            "failures": failures,
            "results_reported": figures.results_reported,
            "results_seen": seen,
            "coverage": coverage,
            "hits_available_reported": figures.hits_available_reported,
            "items_invalid": self.invalid,
            "field_coverage": {k: round(self.coverage.share(k) or 0.0, 4) for k in sorted(self.coverage.present)},
            "user_agent": config.user_agent(),
            **(extra or {}),
        }
        return json.loads(self.writer.close(manifest).read_text(encoding="utf-8"))


class LandingPipeline:
    """The Scrapy face of RunRecorder: one recorder per spider run."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.recorder: RunRecorder | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LandingPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        if not isinstance(spider, ObservatorySpider):
            raise TypeError("the landing pipeline serves ObservatorySpider subclasses only")
        self.recorder = RunRecorder(spider.source, spider.run_id, getattr(spider, "field_thresholds", None))

    def process_item(self, item: Any) -> Any:
        assert self.recorder is not None
        if not self.recorder.add(item) and not isinstance(item, Quarantined):
            self.crawler.stats.inc_value("observatory/items_invalid")
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.recorder is None or not isinstance(spider, ObservatorySpider):
            return
        stats = self.crawler.stats
        archive = getattr(spider, "archive_path", None)
        self.recorder.seal(
            spider.figures, finish_reason=reason, base_url=spider.base_url, clock=spider.clock,
            wall_started_at=spider.wall_started_at,
            errors=int(stats.get_value("log_count/ERROR", 0)),
            retries=int(stats.get_value("retry/count", 0)) + int(stats.get_value("observatory/retry_after", 0))
            + int(stats.get_value("observatory/page_retries", 0)),
            extra={
                "spider": spider.name,
                "archive": str(archive.relative_to(config.paths().home)) if archive else None,
                "robots_forbidden": int(stats.get_value("robotstxt/forbidden", 0)),
            },
        )
