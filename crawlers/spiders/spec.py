"""The generic spider: crawls whatever a declarative source spec (``crawlers/specs/*.yaml``) describes.

    scrapy crawl spec -a spec=crawlers/specs/taskboard_sim.yaml -a run_id=... -a clock=server

Why one spider for many platforms: the login-only platforms differ in a few facts (a login form, a page
parameter, where the reward is), which ``crawlers.spec`` reads from the spec; everything that must be the
same for every source (politeness, WARC archive, contract validation, quarantine, manifest) comes from
the project settings and ``ObservatorySpider``. The run's ``source`` is the spec's ``key``, so its landing
files go to ``data/landing/<key>/``.

Credentials: a form login or a header token is read from the environment variables the spec names, at
crawl time, and never logged. Cookies are enabled for this spider only (the project default is off), and
``Set-Cookie`` headers are removed from responses before the WARC archive records them, so a session
never lands in the archive. Pages are fetched one after the other (the next page is asked for only once
the current one is read), because a next link or an empty page decides whether there is one, and a
login-only site deserves the lightest touch. A next link is followed only on the base URL's origin, so
scraped text cannot send the session or the token elsewhere.

A failed login (a 4xx/5xx answer, or the spec's ``failure_contains`` text in the answer) closes the spider
with the reason ``login_failed`` (missing credentials: ``missing_credentials``): the run is sealed with
status ``failed`` and that reason, and nothing is crawled.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response

from crawlers import settings as project_settings
from crawlers import spec as specs
from crawlers.base import ObservatorySpider


class StripSetCookieMiddleware:
    """Removes ``Set-Cookie`` from every response before the archive (580) records it.

    It sits at 585: Scrapy's CookiesMiddleware (700) has already put the cookie in the jar by then, so the
    crawl keeps its session while the WARC file keeps no session token."""

    def process_response(self, request: Request, response: Response) -> Response:
        if b"Set-Cookie" in response.headers:
            del response.headers[b"Set-Cookie"]
        return response


class SpecSpider(ObservatorySpider):
    """``-a spec=PATH`` (required), ``-a max_pages=N`` (lowers the spec's), plus the base class's
    ``run_id``, ``base_url`` and ``clock``."""

    name = "spec"
    custom_settings = {
        "COOKIES_ENABLED": True,
        "DOWNLOADER_MIDDLEWARES": {
            **project_settings.DOWNLOADER_MIDDLEWARES,
            "crawlers.spiders.spec.StripSetCookieMiddleware": 585,
        },
    }

    def __init__(
        self,
        spec: str | None = None,
        max_pages: str | int | None = None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not spec:
            raise specs.SpecError("the spec spider needs -a spec=PATH (a crawlers/specs/*.yaml file)")
        self.spec = specs.load_spec(spec)
        if self.spec.kind != "listing":
            raise specs.SpecError(
                f"{spec}: kind {self.spec.kind!r} is not crawled; a partner feed is "
                "imported with observatory.partner_feed.import_feed"
            )
        if not self.spec.enabled:
            raise specs.SpecError(f"{spec}: disabled: {self.spec.data.get('disabled_reason')}")
        self.source = self.spec.key
        self.default_base_url = self.spec.base_url(base_url)
        super().__init__(base_url=self.default_base_url, **kwargs)
        limit = int(self.spec.listing.get("max_pages", 50))
        self.max_pages = min(limit, int(max_pages)) if max_pages else limit
        self.field_thresholds = self.spec.field_thresholds
        self.records_seen = 0
        self.origin = _origin(self.base_url)

    # ------------------------------------------------------------------ auth
    def _env(self, name: str) -> str:
        value = os.environ.get(name, "")
        if not value:
            self.logger.error("credential environment variable %s is not set; nothing crawled", name)
            raise CloseSpider("missing_credentials")
        return value

    def _auth_headers(self) -> dict[str, str]:
        auth = self.spec.auth
        if auth["type"] != "header":
            return {}
        token = self._env(auth["token_env"])
        scheme = auth.get("scheme")
        return {auth["header"]: f"{scheme} {token}" if scheme else token}

    async def start(self) -> Any:
        auth = self.spec.auth
        if auth["type"] == "form":
            formdata = {
                auth["username_field"]: self._env(auth["username_env"]),
                auth["password_field"]: self._env(auth["password_env"]),
                **(auth.get("extra_fields") or {}),
            }
            login_url = urljoin(self.base_url + "/", auth["login_url"].lstrip("/"))
            if _origin(login_url) != self.origin:
                self.logger.error("login URL %s is not on the base URL's origin %s", login_url, self.origin)
                raise CloseSpider("login_failed")
            yield scrapy.FormRequest(
                login_url,
                formdata=formdata,
                callback=self.after_login,
                errback=self.login_errback,
                dont_filter=True,
                meta={"handle_httpstatus_list": list(range(400, 600))},
            )
            return
        self.auth_headers = self._auth_headers()
        yield self._page_request(self.spec.page_url(self.base_url, 0), 0)

    def after_login(self, response: Response) -> Iterator[Any]:
        failure_text = self.spec.auth.get("failure_contains")
        body_text = response.text if hasattr(response, "text") else ""
        if response.status >= 400 or (failure_text and failure_text in body_text):
            self.logger.error("login refused (HTTP %d) at %s; nothing crawled", response.status, response.url)
            raise CloseSpider("login_failed")
        self.logger.info("logged in at %s", response.url)
        yield self._page_request(self.spec.page_url(self.base_url, 0), 0)

    def login_errback(self, failure: Any) -> None:
        self.figures.request_failures += 1
        self.logger.error("login request failed: %s", failure.value)
        raise CloseSpider("login_failed")

    # ------------------------------------------------------------------ pages
    auth_headers: dict[str, str] = {}

    def _page_request(self, url: str | None, index: int) -> scrapy.Request:
        assert url is not None
        headers = self.auth_headers if _origin(url) == self.origin else {}
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.errback,
            headers=headers,
            cb_kwargs={"index": index},
            dont_filter=True,
        )

    def parse_page(self, response: Response, index: int) -> Iterator[Any]:
        page = yield from self.emit_page(response, lambda body, url, when: specs.parse_page(self.spec, body, url, when),
                                         errors=(specs.PageFormatError,))
        if page is None:
            return
        self.records_seen += page.records
        nxt = self._next_url(page, index)
        if nxt:
            yield self._page_request(nxt, index + 1)

    def _next_url(self, page: specs.SpecPage, index: int) -> str | None:
        """The next page, or None: past max_pages, after an empty page, once the reported total is
        reached, or when a next-link page has no (same-origin) next link."""
        if index + 1 >= self.max_pages:
            if page.records:
                self.logger.warning("stopping at max_pages=%d; the listing may go on", self.max_pages)
            return None
        if page.records == 0:
            return None
        if self.spec.listing["pagination"]["type"] == "next_link":
            return page.next_url
        total = self.figures.results_reported
        if total is not None and self.records_seen >= total:
            return None
        return self.spec.page_url(self.base_url, index + 1)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc
