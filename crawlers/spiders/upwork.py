"""Upwork: job RSS feeds, for archives and the simulator only.

Upwork discontinued its public job RSS in 2024, so this spider reads feed URLs that serve the old
format: a replayed archive or the local simulator. ``-a feed_url=URL`` (several separated by spaces)
chooses the feeds; the default is ``<base_url>/ab/feed/jobs/rss?q=data+entry&paging=0;50``, the path Upwork used.
Parsing lives in ``crawlers.pages.upwork``; jobs without a budget are quarantined with the reason
"no budget published", so their number stays visible in the run's figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.base import ObservatorySpider
from crawlers.pages import upwork as pages
from observatory import config

DEFAULT_FEED_PATH = "/ab/feed/jobs/rss?q=data+entry&paging=0%3B50"  # Upwork served at most 50 a request


class UpworkSpider(ObservatorySpider):
    name = "upwork"
    source = "upwork"

    def __init__(self, feed_url: str | None = None, **kwargs: Any) -> None:
        self.default_base_url = config.base_url("upwork")
        super().__init__(**kwargs)
        self.feed_urls = feed_url.split() if feed_url else [self.base_url + DEFAULT_FEED_PATH]

    async def start(self) -> Any:
        for url in self.feed_urls:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.errback, dont_filter=True)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        yield from self.emit_page(response, pages.parse_rss)
