"""PeoplePerHour: the public job feed, optionally completed by each job's page.

The feed is fetched from ``<base_url>/rss/jobs`` (an assumed path, like the whole PeoplePerHour layout:
see ``crawlers.pages.peopleperhour``, which states that no real capture has proven it). With
``-a follow_jobs=1`` every good feed item's job page is fetched too and fills what the feed leaves null
(the buyer's country, the posting date); if the page fails or is not a job page, the feed item is kept
as it was. Parsing lives in the page module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.base import ObservatorySpider, Quarantined
from crawlers.pages import peopleperhour as pages
from observatory import config

FEED_PATH = "/rss/jobs"


class PeoplePerHourSpider(ObservatorySpider):
    name = "peopleperhour"
    source = "peopleperhour"

    def __init__(self, follow_jobs: str | int | bool = False, feed_url: str | None = None,
                 **kwargs: Any) -> None:
        self.default_base_url = config.base_url("peopleperhour")
        super().__init__(**kwargs)
        self.follow_jobs = str(follow_jobs).strip().lower() in ("1", "true", "yes")
        self.feed_url = feed_url or self.base_url + FEED_PATH

    async def start(self) -> Any:
        yield scrapy.Request(self.feed_url, callback=self.parse_feed, errback=self.errback, dont_filter=True)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        observed_at = self.observed_at(response)
        self.figures.pages += 1
        raw_ref = response.meta.get("raw_ref")
        try:
            page = pages.parse_rss(response.body, response.url, observed_at)
        except pages.PageFormatError as exc:
            yield from self.page_failed(response, exc)
            return
        for problem in page.problems:
            yield Quarantined(problem["reason"], problem.get("record"), response.url, raw_ref)
        for item in page.items:
            stamped = self.stamp(item, response)
            if self.follow_jobs:
                yield scrapy.Request(item["url"], callback=self.parse_job, errback=self.job_failed,
                                     cb_kwargs={"item": stamped}, dont_filter=True)
            else:
                yield stamped

    def parse_job(self, response: Response, item: dict) -> Iterator[Any]:
        """Complete the feed item from its job page; the feed item stands if the page is unreadable."""
        self.figures.pages += 1
        try:
            details = pages.parse_job_page(response.body, response.url, self.observed_at(response))
        except pages.PageFormatError as exc:
            self.figures.page_errors += 1
            self.logger.warning("job page %s not readable (%s); feed item kept", response.url, exc)
            yield item
            return
        yield pages.merge_job_page(item, details)

    def job_failed(self, failure: Any) -> Iterator[Any]:
        """A job page that could not be fetched: counted, and the feed item is kept as it was."""
        self.errback(failure)
        item = failure.request.cb_kwargs.get("item")
        if item is not None:
            yield item
