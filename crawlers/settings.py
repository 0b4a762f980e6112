"""Scrapy settings: polite by default, identifiable, and configured from the environment.

Each spider run is its own ``scrapy crawl`` process (Twisted's reactor cannot restart), so reading the
environment here, at process start, is safe.
"""

import os

from observatory import config

BOT_NAME = "microwork_observatory"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = config.user_agent()
ROBOTSTXT_OBEY = True

# Politeness: low per-domain concurrency, a delay, and AutoThrottle adapting it to the server's latency.
_delay = float(os.environ.get("OBSERVATORY_DOWNLOAD_DELAY", "1.0"))
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = _delay
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = max(_delay, 0.05)
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = float(os.environ.get("OBSERVATORY_DOWNLOAD_TIMEOUT", "60"))

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("OBSERVATORY_LOG_LEVEL", "INFO")

DOWNLOADER_MIDDLEWARES = {
    # process_response runs from the highest number down: the archive (after decompression at 590)
    # records every response, errors included; then Retry-After is honoured before RetryMiddleware (550).
    "crawlers.archive.WarcArchiveMiddleware": 580,
    "crawlers.middlewares.RetryAfterMiddleware": 560,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.LandingPipeline": 900,
}
FEED_EXPORT_ENCODING = "utf-8"
