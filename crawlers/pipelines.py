"""The landing pipeline: validate each item against the contract, pseudonymise names, land it.

Items that break the contract go to the run's quarantine file with every reason; the rest of the run
goes on. When the spider closes, the run's manifest is written with its figures and its verdict.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawlers.base import ObservatorySpider, Quarantined
from observatory import config
from observatory.contract import utc_iso, validate
from observatory.landing import LandingWriter


def pseudonymise(name: str | None, key: bytes) -> str | None:
    """A stable keyed pseudonym for a person's name: countable across runs, not reversible without the key."""
    if not name:
        return name
    digest = hmac.new(key, name.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"person_{digest[:12]}"


class LandingPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.writer: LandingWriter | None = None
        self.key = config.pseudonym_key()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LandingPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        if not isinstance(spider, ObservatorySpider):
            raise TypeError("the landing pipeline serves ObservatorySpider subclasses only")
        self.writer = LandingWriter(spider.source, spider.run_id)

    def process_item(self, item: Any, spider: Spider) -> Any:
        assert self.writer is not None and isinstance(spider, ObservatorySpider)
        if isinstance(item, Quarantined):
            self.writer.write_quarantine(item.reason, item.record, item.raw_ref, item.url)
            return item
        item = dict(item)
        item["requester_name"] = pseudonymise(item.get("requester_name"), self.key)
        problems = validate(item)
        if problems:
            self.crawler.stats.inc_value("observatory/items_invalid")
            self.writer.write_quarantine("; ".join(problems), item, item.get("raw_ref"), item.get("url"))
            return item
        self.writer.write_item(item)
        spider.figures.listing_ids.add(item["listing_id"])
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writer is None or not isinstance(spider, ObservatorySpider):
            return
        stats = self.crawler.stats
        f = spider.figures
        seen = len(f.listing_ids)
        coverage = None
        if f.results_reported is not None:
            coverage = 1.0 if f.results_reported == 0 else min(1.0, seen / f.results_reported)
        errors = int(stats.get_value("log_count/ERROR", 0)) + f.page_errors
        failures = []
        if self.writer.items == 0:
            failures.append("zero items")
        if reason != "finished":
            failures.append(f"finish reason {reason}")
        now = datetime.now(UTC).replace(microsecond=0)
        started = f.first_observed or spider.wall_started_at
        finished = f.last_observed or now
        self.writer.close({
            "spider": spider.name,
            "base_url": spider.base_url,
            "clock": spider.clock,
            "started_at": utc_iso(started),
            "finished_at": utc_iso(finished),
            "wall_started_at": utc_iso(spider.wall_started_at.replace(microsecond=0)),
            "wall_finished_at": utc_iso(now),
            "pages": f.pages,
            "page_errors": f.page_errors,
            "request_failures": f.request_failures,
            "errors": errors,
            "retries": int(stats.get_value("retry/count", 0)),
            "finish_reason": reason,
            "status": "failed" if failures else "ok",
            "failures": failures,
            "results_reported": f.results_reported,
            "results_seen": seen,
            "coverage": coverage,
            "hits_available_reported": f.hits_available_reported,
            "user_agent": config.user_agent(),
            "archive": getattr(spider, "archive_path", None) and str(spider.archive_path),
        })
