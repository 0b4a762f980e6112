"""Downloader middleware that makes the crawler wait as long as a server asks before retrying.

Scrapy's RetryMiddleware retries 429 and 503 at once; a polite crawler honours ``Retry-After``. This
middleware sits before it (its process_response runs first), waits the requested delay (capped by
OBSERVATORY_MAX_RETRY_AFTER seconds, default 120) and fetches the page again, at most RETRY_TIMES times.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_times = crawler.settings.getint("RETRY_TIMES", 3)
        self.cap = float(os.environ.get("OBSERVATORY_MAX_RETRY_AFTER", "120"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in (429, 503):
            return response
        header = response.headers.get(b"Retry-After")
        delay = retry_after_seconds(header.decode("latin-1") if header else None)
        tries = request.meta.get("retry_after_times", 0)
        if delay is None or tries >= self.max_times:
            return response  # left to RetryMiddleware, then to the errback
        delay = min(delay, self.cap)
        self.crawler.stats.inc_value("observatory/retry_after")
        self.crawler.spider.logger.info("%s answered %d: waiting %.1f s as asked (Retry-After)", request.url,
                           response.status, delay)
        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = tries + 1
        return retry
