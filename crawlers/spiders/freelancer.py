"""Freelancer.com: the public JSON API's list of active projects, paged by ``limit``/``offset``.

Requests ``/api/projects/0.1/projects/active/`` with ``limit`` (the API's maximum page is 100),
``offset``, ``full_description``, ``job_details`` (the skills and their categories), ``user_details`` and
``user_location_details`` (the employers under ``result.users``, with their country) and
``location_details`` (the place of local projects). These are the API's documented query flags; the
saved 2021 response in ``shared/fixtures/freelancer`` has the shape they produce. No key is needed.

Paging stops at the first short page, when ``offset`` reaches the reported ``total_count``, or after
``max_pages``. Pages are fetched one after another (each offset needs the previous page's verdict),
which also keeps the load on the site low. Parsing lives in ``crawlers.pages.freelancer``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.base import ObservatorySpider
from crawlers.pages import freelancer as pages
from observatory import config

#: The API's largest page.
MAX_LIMIT = 100


class FreelancerSpider(ObservatorySpider):
    name = "freelancer"
    source = "freelancer"

    def __init__(self, limit: str | int = MAX_LIMIT, max_pages: str | int = 50, query: str = "",
                 **kwargs: Any) -> None:
        self.default_base_url = config.base_url("freelancer")
        super().__init__(**kwargs)
        self.limit = max(1, min(int(limit), MAX_LIMIT))
        self.max_pages = int(max_pages)
        self.query = query

    def page_url(self, offset: int) -> str:
        """The API URL of the page starting at ``offset``."""
        params: dict[str, Any] = {"limit": self.limit, "offset": offset, "full_description": "true",
                                  "job_details": "true", "user_details": "true",
                                  "user_location_details": "true", "location_details": "true"}
        if self.query:
            params["query"] = self.query
        return f"{self.base_url}{pages.ACTIVE_PROJECTS_PATH}?{urlencode(params)}"

    async def start(self) -> Any:
        yield self._request(0, 1)

    def _request(self, offset: int, page_number: int) -> scrapy.Request:
        return scrapy.Request(self.page_url(offset), callback=self.parse_page, errback=self.errback,
                              cb_kwargs={"offset": offset, "page_number": page_number}, dont_filter=True)

    def parse_page(self, response: Response, offset: int, page_number: int) -> Iterator[Any]:
        page = yield from self.emit_page(response, pages.parse_projects_active)
        if page is None:
            return
        seen = len(page.items) + len(page.problems)
        next_offset = offset + self.limit
        if seen < self.limit or page_number >= self.max_pages:
            return
        if page.total_results is not None and next_offset >= page.total_results:
            return
        yield self._request(next_offset, page_number + 1)
