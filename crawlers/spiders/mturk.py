"""Amazon Mechanical Turk: the worker site's JSON listing of HIT groups.

MTurk closed for good on 2026-09-30, so by default this spider crawls the local simulator, which speaks
the same format; pointing ``base_url`` (or OBSERVATORY_MTURK_BASE_URL) elsewhere crawls any server that
does. Parsing lives in ``crawlers.pages.mturk`` (pure functions of a response), so archived captures go
through the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.base import ObservatorySpider
from crawlers.pages import mturk as pages
from observatory import config


class MturkSpider(ObservatorySpider):
    name = "mturk"
    source = "mturk"

    def __init__(self, page_size: str | int = 100, sort: str = "updated_desc", max_pages: str | int = 500,
                 **kwargs: Any) -> None:
        self.default_base_url = config.base_url("mturk")
        super().__init__(**kwargs)
        self.page_size = int(page_size)
        self.sort = sort
        self.max_pages = int(max_pages)

    def page_url(self, page_number: int) -> str:
        query = {"page_size": self.page_size, "page_number": page_number, "sort": self.sort, "format": "json"}
        return f"{self.base_url}/?{urlencode(query)}"

    async def start(self) -> Any:
        yield self._request(1)

    def _request(self, page_number: int) -> scrapy.Request:
        return scrapy.Request(self.page_url(page_number), callback=self.parse_listing,
                              errback=self.errback, cb_kwargs={"page_number": page_number},
                              dont_filter=True)

    def parse_listing(self, response: Response, page_number: int) -> Iterator[Any]:
        page = yield from self.emit_page(response, pages.parse_listing_json)
        if page is None:
            return
        if page_number == 1 and page.total_results:
            # All further pages at once, from the first page's total: one broken page then costs its own
            # items only (and shows as lower coverage), not every page after it.
            last = min(self.max_pages, -(-page.total_results // self.page_size))
            for n in range(2, last + 1):
                yield self._request(n)
