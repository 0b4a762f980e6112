"""HTTP front of the simulated marketplaces: MTurk and the freelance markets (standard library only).

Why a real HTTP server: the crawlers, their retry/throttle logic and robots.txt handling must be exercised
exactly as against the real sites. Every response carries an HTTP ``Date`` header set to the *simulated*
clock, because the crawler takes its observation time from that header: a test can then move the clock
(``POST /_sim/advance``) and crawl again, with no real waiting. One clock drives every market.

Endpoints
---------
- ``GET /robots.txt``: disallows ``/_sim/`` (plus ``robots_disallow`` when that fault is set).
- ``GET /?format=json&page_size=N&page_number=K&sort=S`` (also ``/projects``): the MTurk worker-site listing.
- ``GET /api/projects/0.1/projects/active/?limit=&offset=&job_details=true&user_details=true&
  user_location_details=true``: Freelancer.com's active projects (limit at most 100, default 10), newest
  first (``time_submitted`` desc, then id desc).
- ``GET /ab/feed/jobs/rss?q=WORDS&paging=START;COUNT``: Upwork's (archived) job RSS, at most 100 items.
- ``GET /rss/jobs?page=K``: PeoplePerHour's job RSS (50 items a page; a model, see
  ``simulator.freelance_formats``) and ``GET /freelance-jobs/<category>/<sub>/<slug>-<id>``: a job page.
- ``POST /_sim/advance?minutes=N``: run N one-minute ticks of every market.
- ``GET /_sim/truth?from=ISO&to=ISO``: MTurk ground truth per simulated hour (see ``Market.truth``).
- ``GET /_sim/truth/freelance?platform=freelancer|peopleperhour|upwork&from=&to=``: freelance ground truth
  per hour (all platforms without ``platform``; see ``FreelanceMarket.truth``).
- ``GET /_sim/state`` (MTurk) and ``GET /_sim/state/freelance``: clock and open listings.
- ``POST /_sim/faults`` (JSON body): fault injection for every content request (the MTurk listing and all
  the freelance formats share one request counter for the ``*_every`` faults); ``{}`` clears. Keys:
  ``status_500_every`` (a plain 500, no Retry-After), ``status_429_every`` + ``retry_after`` (429 with a
  Retry-After header), ``slow_ms``, ``truncate_every`` (the body is cut in half and sent with a matching
  Content-Length, i.e. a well-formed HTTP response carrying a broken document), ``malformed_html_every``
  (HTML and RSS only: closing tags dropped and the document cut short), ``layout_change`` (true: MTurk
  results rename ``monetary_reward`` -> ``reward`` and ``assignable_hits_count`` -> ``hits_available``,
  Freelancer projects lose ``budget``, RSS items and PeoplePerHour pages lose their budget lines),
  ``robots_disallow``. Faults never touch the markets.
Anything else answers 404 with a JSON body.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from simulator import freelance_formats as ff
from simulator.market import DEFAULT_START, Market, iso
from simulator.taskboard import TaskBoard

FAULT_KEYS = {"status_500_every", "status_429_every", "retry_after", "slow_ms", "truncate_every",
              "robots_disallow", "malformed_html_every", "layout_change"}
FREELANCER_PATHS = ("/api/projects/0.1/projects/active/", "/api/projects/0.1/projects/active")
PPH_JOB = re.compile(r"^/freelance-jobs/(?:[^/]+/)+[^/]*?-(\d+)/?$")
JSON_TYPE = "application/json; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
MAX_ADVANCE_MINUTES = 60 * 24 * 366


class SimServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer holding the market, a lock serialising every market access, and the faults."""

    daemon_threads = True

    def __init__(self, address, market: Market, faults: dict | None = None) -> None:
        super().__init__(address, SimHandler)
        self.market = market
        # the login-only task board lives on the same clock: it is asked with the market's minute
        self.taskboard = TaskBoard(market.seed, market.start_minute)
        self.lock = threading.Lock()
        self.faults: dict = {}
        # content requests (every format) since faults were last set, for the *_every faults
        self.listing_requests = 0
        self.set_faults(faults or {})

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.port}/"

    def set_faults(self, faults: dict) -> None:
        unknown = set(faults) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        for key, value in faults.items():
            if key == "robots_disallow":
                if not isinstance(value, str):
                    raise ValueError("robots_disallow must be a string")
            elif key == "layout_change":
                if not isinstance(value, bool):
                    raise ValueError("layout_change must be true or false")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key} must be a non-negative integer")
        with self.lock:
            self.faults = dict(faults)
            self.listing_requests = 0


class SimHandler(BaseHTTPRequestHandler):
    server: SimServer
    server_version = "MTurkSimulator/1.0"
    protocol_version = "HTTP/1.1"
    _sim_epoch: float | None = None

    # The Date header BaseHTTPRequestHandler writes comes from here: make it the simulated clock.
    def date_time_string(self, timestamp=None):  # noqa: D401 - stdlib override
        if self._sim_epoch is None:
            with self.server.lock:
                self._sim_epoch = self.server.market.now_minute * 60
        return formatdate(self._sim_epoch, usegmt=True)

    def setup(self) -> None:
        """Send each write at once: headers and body go out in two writes, and with Nagle's algorithm the
        second waits for the client's delayed ACK (about 40 ms a response on loopback)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass  # quiet: tests and the demo make thousands of requests

    # ------------------------------------------------------------------ helpers
    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj, headers: dict | None = None) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message, "status": status})

    def _query(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        return parts.path, {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    def _read_body(self) -> bytes:
        """Always drain the request body, or a kept-alive connection would read it as the next request."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # ------------------------------------------------------------------ verbs
    def do_GET(self):  # noqa: N802 - stdlib naming
        self._sim_epoch = None
        path, query = self._query()
        if path.startswith("/taskboard/"):
            return self._taskboard(b"")
        try:
            if path == "/robots.txt":
                return self._robots()
            if path in ("/", "/projects", "/projects/"):
                return self._listing(query)
            if path == "/_sim/state":
                with self.server.lock:
                    self._sim_epoch = self.server.market.now_minute * 60
                    state = self.server.market.state()
                return self._json(200, state)
            if path == "/_sim/truth":
                with self.server.lock:
                    self._sim_epoch = self.server.market.now_minute * 60
                    truth = self.server.market.truth(query.get("from") or None, query.get("to") or None)
                return self._json(200, truth)
            if path == "/_sim/faults":
                with self.server.lock:
                    faults = dict(self.server.faults)
                return self._json(200, faults)
            if path in FREELANCER_PATHS:
                return self._freelancer(query)
            if path == "/ab/feed/jobs/rss":
                return self._upwork(query)
            if path == "/rss/jobs":
                return self._pph_rss(query)
            job = PPH_JOB.match(path)
            if job:
                return self._pph_job(int(job.group(1)))
            if path == "/_sim/truth/freelance":
                with self.server.lock:
                    self._sim_epoch = self.server.market.now_minute * 60
                    truth = self.server.market.freelance.truth(
                        query.get("platform") or None, query.get("from") or None, query.get("to") or None)
                return self._json(200, truth)
            if path == "/_sim/state/freelance":
                with self.server.lock:
                    self._sim_epoch = self.server.market.now_minute * 60
                    state = self.server.market.freelance.state()
                return self._json(200, state)
        except ValueError as exc:
            return self._error(400, str(exc))
        return self._error(404, f"not found: {path}")

    do_HEAD = do_GET

    def do_POST(self):  # noqa: N802 - stdlib naming
        self._sim_epoch = None
        path, query = self._query()
        raw = self._read_body()
        if path.startswith("/taskboard/"):
            return self._taskboard(raw)
        try:
            if path == "/_sim/advance":
                minutes = int(query.get("minutes", "1"))
                if not 0 <= minutes <= MAX_ADVANCE_MINUTES:
                    raise ValueError(f"minutes must be in 0..{MAX_ADVANCE_MINUTES}")
                with self.server.lock:
                    self.server.market.advance(minutes)
                    now = self.server.market.now_minute
                self._sim_epoch = now * 60
                return self._json(200, {"now": iso(now), "minutes": minutes})
            if path == "/_sim/faults":
                body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
                if not isinstance(body, dict):
                    raise ValueError("faults must be a JSON object")
                self.server.set_faults(body)
                return self._json(200, {"faults": body})
        except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
            return self._error(400, str(exc))
        return self._error(404, f"not found: {path}")

    # ------------------------------------------------------------------ endpoints
    def _taskboard(self, body: bytes) -> None:
        """Hand a /taskboard/ request to simulator.taskboard (its own contract), at the market's minute."""
        parts = urlsplit(self.path)
        with self.server.lock:
            now = self.server.market.now_minute
        self._sim_epoch = now * 60
        status, headers, payload = self.server.taskboard.handle(
            self.command, parts.path, parse_qs(parts.query, keep_blank_values=True), dict(self.headers), body, now)
        headers = dict(headers)
        ctype = next((headers.pop(k) for k in list(headers) if k.lower() == "content-type"),
                     "application/octet-stream")
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        self._send(status, payload, ctype, headers)

    def _robots(self) -> None:
        with self.server.lock:
            extra = self.server.faults.get("robots_disallow")
        text = "User-agent: *\nDisallow: /_sim/\nDisallow: /taskboard/_truth\n"
        if extra:
            text += f"Disallow: {extra}\n"
        self._send(200, text.encode("utf-8"), "text/plain; charset=utf-8")

    def _listing(self, query: dict[str, str]) -> None:
        """The worker-site JSON listing, with the listing faults applied in a fixed order (500, 429, slow,
        truncate) on a shared per-request counter, so a test knows which request fails."""
        server = self.server
        try:
            page_size = int(query.get("page_size") or 20)
            page_number = int(query.get("page_number") or 1)
        except ValueError:
            return self._error(400, "page_size and page_number must be integers")
        sort = query.get("sort") or "updated_desc"
        if sort not in Market.SORTS:
            return self._error(400, f"unknown sort {sort!r}; one of {sorted(Market.SORTS)}")
        with server.lock:
            server.listing_requests += 1
            n = server.listing_requests
            faults = dict(server.faults)
            self._sim_epoch = server.market.now_minute * 60
            page = None
            if not _every(faults, "status_500_every", n) and not _every(faults, "status_429_every", n):
                page = server.market.listing(page_size, page_number, sort)
        if faults.get("slow_ms"):
            time.sleep(faults["slow_ms"] / 1000.0)
        if page is None:
            if _every(faults, "status_500_every", n):
                return self._error(500, "simulated internal server error")
            return self._json(429, {"error": "simulated rate limit", "status": 429},
                              {"Retry-After": str(faults.get("retry_after", 1))})
        if faults.get("layout_change"):
            page = {**page, "results": [_mturk_layout_change(r) for r in page["results"]]}
        body = json.dumps(page, ensure_ascii=False).encode("utf-8")
        if _every(faults, "truncate_every", n):
            body = body[: len(body) // 2]
        self._send(200, body, "application/json; charset=utf-8")

    # ------------------------------------------------------------------ freelance formats
    def _base_url(self) -> str:
        """Where this request was sent, so PeoplePerHour links lead back to this server."""
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.port}"
        return f"http://{host}"

    def _content(self, render: Callable[[dict], tuple[int, str]], content_type: str, markup: bool) -> None:
        """Serve one content response through the fault mechanism: the shared request counter, then 500,
        429, slow, and on the rendered document malformed markup (HTML/RSS only) and truncation. ``render``
        runs under the lock (it reads the market) and gets the faults, for ``layout_change``."""
        server = self.server
        with server.lock:
            server.listing_requests += 1
            n = server.listing_requests
            faults = dict(server.faults)
            self._sim_epoch = server.market.now_minute * 60
            result = None
            if not _every(faults, "status_500_every", n) and not _every(faults, "status_429_every", n):
                result = render(faults)
        if faults.get("slow_ms"):
            time.sleep(faults["slow_ms"] / 1000.0)
        if result is None:
            if _every(faults, "status_500_every", n):
                return self._send(500, b"Internal Server Error\n", "text/plain; charset=utf-8")
            return self._send(429, b"Too Many Requests\n", "text/plain; charset=utf-8",
                              {"Retry-After": str(faults.get("retry_after", 1))})
        status, text = result
        if markup and _every(faults, "malformed_html_every", n):
            text = ff.malform(text)
        body = text.encode("utf-8")
        if _every(faults, "truncate_every", n):
            body = body[: len(body) // 2]
        self._send(status, body, content_type)

    def _freelancer(self, query: dict[str, str]) -> None:
        try:
            limit = int(query.get("limit") or ff.FREELANCER_DEFAULT_LIMIT)
            offset = int(query.get("offset") or 0)
        except ValueError:
            return self._error(400, "limit and offset must be integers")
        if limit < 1 or offset < 0:
            return self._error(400, "limit must be >= 1 and offset >= 0")
        flags = {k: _flag(query.get(k)) for k in ("job_details", "user_details", "user_location_details")}

        def render(faults: dict) -> tuple[int, str]:
            page = ff.freelancer_active(self.server.market.freelance, limit, offset,
                                        layout_change=bool(faults.get("layout_change")), **flags)
            return 200, json.dumps(page, ensure_ascii=False)

        self._content(render, JSON_TYPE, markup=False)

    def _upwork(self, query: dict[str, str]) -> None:
        paging = (query.get("paging") or f"0;{ff.UPWORK_DEFAULT_ITEMS}").split(";")
        try:
            start, count = int(paging[0]), int(paging[1]) if len(paging) > 1 else ff.UPWORK_DEFAULT_ITEMS
        except ValueError:
            return self._error(400, "paging must be START;COUNT")
        if start < 0 or count < 1:
            return self._error(400, "paging must be START;COUNT with START >= 0 and COUNT >= 1")
        q = query.get("q") or ""

        def render(faults: dict) -> tuple[int, str]:
            return 200, ff.upwork_rss(self.server.market.freelance, q, start, count,
                                      layout_change=bool(faults.get("layout_change")))

        self._content(render, RSS_TYPE, markup=True)

    def _pph_rss(self, query: dict[str, str]) -> None:
        try:
            page = int(query.get("page") or 1)
        except ValueError:
            return self._error(400, "page must be an integer")
        base = self._base_url()

        def render(faults: dict) -> tuple[int, str]:
            return 200, ff.pph_rss(self.server.market.freelance, base, page,
                                   layout_change=bool(faults.get("layout_change")))

        self._content(render, RSS_TYPE, markup=True)

    def _pph_job(self, job_id: int) -> None:
        base = self._base_url()

        def render(faults: dict) -> tuple[int, str]:
            m = self.server.market.freelance
            p = m.project("peopleperhour", job_id)
            if p is None:
                return 404, ('<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
                             "<title>Page not found | PeoplePerHour</title></head><body>"
                             '<main class="error"><h1>Sorry, this job does not exist</h1></main>'
                             "</body></html>\n")
            return 200, ff.pph_job_page(m, p, base, layout_change=bool(faults.get("layout_change")))

        self._content(render, HTML_TYPE, markup=True)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def _mturk_layout_change(result: dict) -> dict:
    """A redesigned MTurk result: the pay and the HIT count under new names (for coverage monitors)."""
    renamed = {"monetary_reward": "reward", "assignable_hits_count": "hits_available"}
    return {renamed.get(k, k): v for k, v in result.items()}


def _every(faults: dict, key: str, n: int) -> bool:
    every = faults.get(key) or 0
    return every > 0 and n % every == 0


def make_server(market: Market, host: str = "127.0.0.1", port: int = 0, faults: dict | None = None) -> SimServer:
    """Bind (port 0 picks a free port; read it back from ``server.port``) without serving yet."""
    return SimServer((host, port), market, faults)


def serve(host: str = "127.0.0.1", port: int = 8765, seed: int = 42, start: datetime | str = DEFAULT_START,
          scale: float = 1.0, speed: float = 0.0, faults: dict | None = None) -> None:
    """Build a market and serve it until Ctrl-C or SIGTERM.

    ``speed`` > 0 moves the simulated clock by itself at that many simulated minutes per real second (for the
    demo); 0 keeps it still, so only ``POST /_sim/advance`` moves it (for tests).
    """
    market = Market(seed=seed, start=start, scale=scale)
    server = make_server(market, host, port, faults)
    stop = threading.Event()

    def ticker() -> None:
        while not stop.wait(1.0 / speed):
            with server.lock:
                market.advance(1)

    if speed > 0:
        threading.Thread(target=ticker, name="sim-clock", daemon=True).start()

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    print(f"Marketplace simulator (MTurk, Freelancer, PeoplePerHour, Upwork) serving {server.url} "
          f"(seed {seed}, scale {scale}, now {iso(market.now_minute)})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("Marketplace simulator stopping", file=sys.stderr, flush=True)
    finally:
        stop.set()
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
