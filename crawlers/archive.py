"""Every response a spider receives is written to a WARC file before it is parsed.

Items carry ``raw_ref`` = ``<WARC path relative to OBSERVATORY_HOME>#<record offset>``, so every number
in the warehouse can be traced to the bytes it came from, and parsers can be re-run on the archive.
Each record is its own gzip member, so the offset can be seeked to directly.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from observatory import config

# Headers not archived: those describing the transfer, not the payload we store (already decoded by
# Scrapy), and session cookies, which are credentials of the operator's account, not data.
_TRANSFER_HEADERS = {b"content-encoding", b"content-length", b"transfer-encoding", b"set-cookie"}


class WarcArchiveMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._file: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self.relpath: str | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        return cls(crawler)

    def _open(self, spider: Spider) -> WARCWriter:
        if self._writer is None:
            home = config.paths().home
            run_id = getattr(spider, "run_id", "adhoc")
            # filed by source (a spec-driven spider serves many sources under one spider name)
            path = home / "archive" / getattr(spider, "source", spider.name) / f"{run_id}.warc.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "ab")
            self._writer = WARCWriter(self._file, gzip=True)
            self.relpath = str(path.relative_to(home))
            spider.archive_path = path  # type: ignore[attr-defined]
        return self._writer

    def process_response(self, request: Request, response: Response) -> Response:
        writer = self._open(self.crawler.spider)
        assert self._file is not None
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            if k.lower() not in _TRANSFER_HEADERS
            for v in values
        ]
        http_headers = StatusAndHeaders(f"{response.status} {_reason(response.status)}", headers,
                                        protocol="HTTP/1.1")
        # The crawler's clock when the response arrived, to the microsecond: the spider uses this very
        # value as observed_at (clock 'local'), so a reparse of the archive reproduces items exactly.
        received = datetime.now(UTC)
        request.meta["received_at"] = received
        record = writer.create_warc_record(
            response.url, "response", payload=io.BytesIO(response.body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": received.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
        )
        offset = self._file.tell()
        writer.write_record(record)
        self._file.flush()
        request.meta["raw_ref"] = f"{self.relpath}#{offset}"  # response.meta is request.meta
        return response

    def spider_closed(self, spider: Spider) -> None:
        if self._file is not None:
            self._file.close()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def read_record(raw_ref: str, home: Path | None = None) -> tuple[str, bytes]:
    """(target URI, payload bytes) of the archived response a ``raw_ref`` points to."""
    from warcio.archiveiterator import ArchiveIterator

    rel, _, offset = raw_ref.partition("#")
    home = home or config.paths().home
    with open(home / rel, "rb") as f:
        f.seek(int(offset))
        for record in ArchiveIterator(f):
            return record.rec_headers.get_header("WARC-Target-URI"), record.content_stream().read()
    raise LookupError(f"no WARC record at {raw_ref}")
