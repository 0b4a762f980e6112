"""A simulated login-only microtask board with geolocated store missions (standard library only).

Why it exists: the worker-login platforms (RapidWorkers, Microworkers, Clickworker, Toloka, Prolific) and
the mission apps (Roamler, Mobeye) cannot be crawled from here, and must not be crawled without the
operator's own account and the platform's consent. The declarative source specs (``crawlers/specs``) and
the generic ``spec`` spider still need a target that behaves like such a site: a form login that sets a
session cookie, a JSON API and an HTML listing that refuse anonymous visitors, pages, a total, and a
ground truth to compare a crawl with. This module is that target. Like the rest of the simulator it shares
no code with the crawlers or the observatory package: it writes each format from its own model, so a
round trip through a spec proves that the spec reads the format.

The board is a pure function of ``(seed, simulated minute)``: every task is generated from the hour it
was posted in (``random.Random`` seeded with the seed and that hour), its remaining slots fall at a fixed
pace, and it closes when full or expired. No state moves but the login sessions.

The ``handle`` contract
-----------------------
``TaskBoard.handle(method, path, query, headers, body, now_minute) -> (status, headers, body)``

- ``method``: ``"GET"``, ``"HEAD"`` or ``"POST"`` (anything else answers 405);
- ``path``: the URL path, starting with ``/taskboard/`` (others answer 404), without the query string;
- ``query``: ``urllib.parse.parse_qs`` of the query string (``dict[str, list[str]]``);
- ``headers``: request headers; names are matched case-insensitively (``Cookie``, ``Content-Type``);
- ``body``: the raw request body (already fully read by the caller);
- ``now_minute``: the simulated clock, in minutes since the Unix epoch (``Market.now_minute``).

It returns the status, the response headers (``Content-Type`` always, ``Set-Cookie`` and ``Location``
where relevant; never ``Date`` or ``Content-Length``: the HTTP server sets those, ``Date`` from the
simulated clock) and the body bytes (the caller drops the body for ``HEAD``). It is thread-safe.

Endpoints
---------
- ``GET /taskboard/login``: an HTML login form (fields ``user`` and ``password``).
- ``POST /taskboard/login`` (``application/x-www-form-urlencoded`` ``user``, ``password``): 200 and a
  ``tb_session`` cookie (valid ``SESSION_MINUTES`` simulated minutes); wrong credentials 401.
- ``GET /taskboard/api/tasks?page=N&per_page=M``: the open tasks as JSON (``data.tasks[]``,
  ``meta.total``, ``links.next``); without a valid session 401.
- ``GET /taskboard/tasks?page=N``: the same page as HTML (``li.task`` items, ``a[rel=next]``); without a
  valid session a 302 to the login page.
- ``GET /taskboard/_truth``: every open task with its true values (no session needed; simulator only).
- ``POST /taskboard/logout``: ends the session.

Some tasks (about one in twenty) are published without a readable reward (``"reward": null`` and a dash
in the HTML), as real boards sometimes do: a correct crawl quarantines them, and ``_truth`` says which.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import random
import threading
from datetime import UTC, datetime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_USER = "observer"
DEFAULT_PASSWORD = "taskboard-sim-only"  # a simulator account, not a secret: the board is local and fake
SESSION_MINUTES = 240
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100
#: Tasks live at most this long, so only the hours in this window can hold open tasks.
MAX_LIFETIME_MINUTES = 72 * 60
#: Nothing is posted more than this long before the board's start minute.
WARMUP_MINUTES = MAX_LIFETIME_MINUTES

_CEST = timezone(timedelta(hours=2))

_ONLINE_TITLES = (
    "Categorise product photos",
    "Transcribe a 30-second audio clip",
    "Rate search results for relevance",
    "Answer a 5-minute survey on shopping habits",
    "Tag objects in street images",
    "Check if a website address works",
    "Write a short review of a mobile app",
    "Verify business opening hours",
    "Label the sentiment of tweets",
    "Draw boxes around <cars> & bikes",
)
_ONLINE_COUNTRIES = ([], [], ["FR"], ["FR", "BE"], ["US"], ["DE", "AT", "CH"], ["NL", "BE"], ["GB", "IE"])
_CITIES = (  # (locality, country, lat, lon)
    ("Bruxelles", "BE", 50.8467, 4.3525),
    ("Antwerpen", "BE", 51.2194, 4.4025),
    ("Gent", "BE", 51.0543, 3.7174),
    ("Liège", "BE", 50.6326, 5.5797),
    ("Amsterdam", "NL", 52.3676, 4.9041),
    ("Rotterdam", "NL", 51.9244, 4.4777),
    ("Utrecht", "NL", 52.0907, 5.1214),
    ("Paris", "FR", 48.8566, 2.3522),
    ("Lyon", "FR", 45.7640, 4.8357),
    ("Lille", "FR", 50.6292, 3.0573),
)
_STORE_TYPES = ("supermarket", "pharmacy", "DIY store", "petrol station", "electronics store")
_BRANDS = ("Acme Foods", "Nordic Drinks", "Bright Home", "CleanCo", None)
_COUNTRY_NAMES = {
    "FR": "France",
    "BE": "Belgium",
    "US": "United States",
    "DE": "Germany",
    "AT": "Austria",
    "CH": "Switzerland",
    "NL": "Netherlands",
    "GB": "United Kingdom",
    "IE": "Ireland",
}
_SYMBOLS = {"EUR": "€", "USD": "$"}


def _iso_utc(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_cest(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60, UTC).astimezone(_CEST).isoformat()


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class TaskBoard:
    """The board's model and its HTTP behaviour (see the module docstring for the ``handle`` contract)."""

    def __init__(
        self,
        seed: int,
        start_minute: int,
        *,
        users: dict[str, str] | None = None,
        tasks_per_hour: tuple[int, int] = (2, 5),
    ) -> None:
        self.seed = int(seed)
        self.start_minute = int(start_minute)
        self.users = dict(users) if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}
        self.tasks_per_hour = tasks_per_hour
        self._sessions: dict[str, tuple[str, int]] = {}  # token -> (user, expires minute)
        self._session_counter = 0
        self._lock = threading.Lock()
        self.requests = 0

    # ------------------------------------------------------------------ the model
    def _hour_tasks(self, hour: int) -> list[dict]:
        """Every task posted in one simulated hour: a pure function of (seed, hour)."""
        rng = random.Random(f"taskboard:{self.seed}:{hour}")
        tasks = []
        for i in range(rng.randint(*self.tasks_per_hour)):
            posted = hour * 60 + rng.randrange(60)
            mission = rng.random() < 0.35
            lifetime = rng.choice((6, 12, 24, 48, 72)) * 60
            currency = "EUR" if mission or rng.random() < 0.7 else "USD"
            task = {
                "id": "tb-" + hashlib.sha256(f"{self.seed}:{hour}:{i}".encode()).hexdigest()[:12],
                "type": "mission" if mission else "online",
                "posted_minute": posted,
                "expires_minute": posted + lifetime,
                "currency": currency,
                "reward_cents": rng.randint(300, 1500) if mission else rng.randint(2, 150),
                "reward_published": rng.random() >= 0.05,
                "requester_id": f"rq-{rng.randint(1, 40)}",
                "duration_minutes": rng.choice((2, 5, 10, 15, 30)),
            }
            if mission:
                locality, country, lat, lon = rng.choice(_CITIES)
                task.update(
                    slots_total=1,
                    # a mission is taken once, some time after posting (possibly after it expired)
                    slot_interval=rng.randint(30, lifetime * 2),
                    countries=[country],
                    mission={
                        "lat": round(lat + rng.uniform(-0.05, 0.05), 5),
                        "lon": round(lon + rng.uniform(-0.05, 0.05), 5),
                        "locality": locality,
                        "country": country,
                        "store_type": rng.choice(_STORE_TYPES),
                        "brand": rng.choice(_BRANDS),
                    },
                )
                task["title"] = f"Shelf check at a {task['mission']['store_type']}"
            else:
                task.update(
                    title=rng.choice(_ONLINE_TITLES),
                    slots_total=rng.choice((5, 10, 20, 50, 100)),
                    slot_interval=rng.randint(5, 180),
                    countries=list(rng.choice(_ONLINE_COUNTRIES)),
                    mission=None,
                )
            tasks.append(task)
        return tasks

    @staticmethod
    def slots_available(task: dict, minute: int) -> int:
        """Slots still open at ``minute``: one is taken every ``slot_interval`` minutes after posting."""
        taken = max(0, minute - task["posted_minute"]) // task["slot_interval"]
        return max(0, task["slots_total"] - taken)

    def open_tasks(self, now_minute: int) -> list[dict]:
        """Tasks open at ``now_minute`` (posted, not expired, slots left), newest first, then by id."""
        first = max(self.start_minute - WARMUP_MINUTES, now_minute - MAX_LIFETIME_MINUTES) // 60
        found = []
        for hour in range(first, now_minute // 60 + 1):
            for task in self._hour_tasks(hour):
                if (
                    task["posted_minute"] <= now_minute < task["expires_minute"]
                    and self.slots_available(task, now_minute) > 0
                ):
                    found.append({**task, "slots_available": self.slots_available(task, now_minute)})
        found.sort(key=lambda t: (-t["posted_minute"], t["id"]))
        return found

    # ------------------------------------------------------------------ formats
    def _json_task(self, task: dict) -> dict:
        reward = (
            {"amount": _money(task["reward_cents"]), "currency": task["currency"]}
            if task["reward_published"]
            else None
        )
        out = {
            "id": task["id"],
            "type": task["type"],
            "title": task["title"],
            "reward": reward,
            "reward_display": self._reward_text(task),
            "slots": {"total": task["slots_total"], "available": task["slots_available"]},
            "eligibility": {"countries": task["countries"]},
            "duration_minutes": task["duration_minutes"],
            "requester": {"id": task["requester_id"]},
            "posted_at": _iso_utc(task["posted_minute"]),
            "expires_at": _iso_cest(task["expires_minute"]),
        }
        if task["mission"]:
            out["mission"] = dict(task["mission"])
        return out

    @staticmethod
    def _reward_text(task: dict) -> str:
        if not task["reward_published"]:
            return "—"
        amount = _money(task["reward_cents"])
        if task["currency"] == "EUR":
            return f"{amount.replace('.', ',')} €"
        return f"{_SYMBOLS[task['currency']]}{amount}"

    def _page(self, tasks: list[dict], query: dict[str, list[str]]) -> tuple[list[dict], int, int, int]:
        page = _int_param(query, "page", 1)
        per_page = min(PER_PAGE_MAX, _int_param(query, "per_page", PER_PAGE_DEFAULT))
        if page < 1 or per_page < 1:
            raise ValueError("page and per_page must be positive")
        pages = max(1, -(-len(tasks) // per_page))
        return tasks[(page - 1) * per_page : page * per_page], page, per_page, pages

    def api_tasks(self, now_minute: int, query: dict[str, list[str]]) -> dict:
        tasks = self.open_tasks(now_minute)
        chunk, page, per_page, pages = self._page(tasks, query)
        nxt = None
        if page < pages:
            nxt = "/taskboard/api/tasks?" + urlencode({"page": page + 1, "per_page": per_page})
        return {
            "data": {"tasks": [self._json_task(t) for t in chunk]},
            "meta": {
                "page": page,
                "per_page": per_page,
                "pages": pages,
                "total": len(tasks),
                "generated_at": _iso_utc(now_minute),
            },
            "links": {"next": nxt},
        }

    def html_tasks(self, now_minute: int, query: dict[str, list[str]]) -> str:
        tasks = self.open_tasks(now_minute)
        chunk, page, per_page, pages = self._page(tasks, query)
        e = html.escape
        rows = []
        for t in chunk:
            countries = ", ".join(_COUNTRY_NAMES[c] for c in t["countries"]) or "Worldwide"
            geo = ""
            if t["mission"]:
                m = t["mission"]
                geo = (
                    f'<span class="geo" data-lat="{m["lat"]}" data-lon="{m["lon"]}">'
                    f"{e(m['locality'])}, {e(_COUNTRY_NAMES[m['country']])}</span>"
                    f'<span class="store">{e(m["store_type"])}</span>'
                )
            rows.append(
                f'<li class="task" data-id="{e(t["id"])}" data-type="{t["type"]}">'
                f'<h3 class="title">{e(t["title"])}</h3>'
                f'<span class="reward">{e(self._reward_text(t))}</span>'
                f'<span class="slots"><b>{t["slots_available"]}</b> of {t["slots_total"]} left</span>'
                f'<span class="countries">{e(countries)}</span>'
                f'<span class="duration">{t["duration_minutes"]} min</span>'
                f'<span class="requester">{e(t["requester_id"])}</span>'
                f'<time class="posted" datetime="{_iso_utc(t["posted_minute"])}">posted</time>'
                f'<time class="expires" datetime="{_iso_cest(t["expires_minute"])}">expires</time>'
                f"{geo}</li>"
            )
        nxt = ""
        if page < pages:
            query_text = e(urlencode({"page": page + 1, "per_page": per_page}))
            nxt = f'<a rel="next" href="/taskboard/tasks?{query_text}">Next</a>'
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>Task board</title></head><body>"
            f'<p class="count">{len(tasks)} tasks available</p><ul class="tasks">{"".join(rows)}</ul>'
            f"<nav>{nxt}</nav></body></html>"
        )

    def truth(self, now_minute: int) -> dict:
        tasks = self.open_tasks(now_minute)
        return {
            "now": _iso_utc(now_minute),
            "open_tasks": len(tasks),
            "slots_available": sum(t["slots_available"] for t in tasks),
            "tasks": [
                {
                    "id": t["id"],
                    "type": t["type"],
                    "title": t["title"],
                    "reward": _money(t["reward_cents"]),
                    "currency": t["currency"],
                    "reward_published": t["reward_published"],
                    "slots_total": t["slots_total"],
                    "slots_available": t["slots_available"],
                    "countries": t["countries"],
                    "duration_minutes": t["duration_minutes"],
                    "requester_id": t["requester_id"],
                    "posted_at": _iso_utc(t["posted_minute"]),
                    "expires_at": _iso_utc(t["expires_minute"]),
                    "mission": t["mission"],
                }
                for t in tasks
            ],
        }

    # ------------------------------------------------------------------ sessions
    def _login(self, body: bytes, now_minute: int) -> str | None:
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        user = (form.get("user") or [""])[-1]
        password = (form.get("password") or [""])[-1]
        expected = self.users.get(user)
        if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            return None
        with self._lock:
            self._session_counter += 1
            token = hashlib.sha256(
                f"{self.seed}:{user}:{now_minute}:{self._session_counter}".encode()
            ).hexdigest()
            self._sessions[token] = (user, now_minute + SESSION_MINUTES)
        return token

    def _session(self, headers: dict[str, str], now_minute: int) -> str | None:
        cookie = _header(headers, "cookie") or ""
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "tb_session":
                with self._lock:
                    found = self._sessions.get(value)
                if found and now_minute < found[1]:
                    return found[0]
        return None

    # ------------------------------------------------------------------ HTTP
    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        now_minute: int,
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request under ``/taskboard/`` (see the module docstring for the contract)."""
        with self._lock:
            self.requests += 1
        method = method.upper()
        if method not in ("GET", "HEAD", "POST"):
            return _json(405, {"error": f"method {method} not allowed"})
        try:
            if path == "/taskboard/login":
                if method == "POST":
                    token = self._login(body, now_minute)
                    if token is None:
                        return _json(401, {"error": "wrong user or password"})
                    return (
                        200,
                        {
                            "Content-Type": "text/html; charset=utf-8",
                            "Set-Cookie": f"tb_session={token}; Path=/taskboard/; HttpOnly",
                        },
                        b"<!doctype html><p>Logged in. <a href='/taskboard/tasks'>Tasks</a></p>",
                    )
                return _html(
                    200,
                    "<!doctype html><form method='post' action='/taskboard/login'>"
                    "<input name='user'><input name='password' type='password'>"
                    "<button>Log in</button></form>",
                )
            if path == "/taskboard/logout" and method == "POST":
                cookie = _header(headers, "cookie") or ""
                with self._lock:
                    for part in cookie.split(";"):
                        name, _, value = part.strip().partition("=")
                        if name == "tb_session":
                            self._sessions.pop(value, None)
                return _json(200, {"ok": True})
            if path == "/taskboard/_truth" and method != "POST":
                return _json(200, self.truth(now_minute))
            if path == "/taskboard/api/tasks" and method != "POST":
                if self._session(headers, now_minute) is None:
                    return _json(401, {"error": "login required"})
                return _json(200, self.api_tasks(now_minute, query))
            if path == "/taskboard/tasks" and method != "POST":
                if self._session(headers, now_minute) is None:
                    return (
                        302,
                        {"Content-Type": "text/plain; charset=utf-8", "Location": "/taskboard/login"},
                        b"login required",
                    )
                return _html(200, self.html_tasks(now_minute, query))
        except ValueError as exc:
            return _json(400, {"error": str(exc)})
        return _json(404, {"error": f"not found: {path}"})


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None


def _json(status: int, obj: object) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(obj).encode("utf-8")


def _html(status: int, text: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8")


# ---------------------------------------------------------------------- a small server of its own


class TaskBoardServer(ThreadingHTTPServer):
    """Serves one TaskBoard on its own (tests, and until it is mounted into the main simulator).

    ``now_minute`` is the simulated clock; set it to move time. ``/robots.txt`` allows everything but
    ``/taskboard/_truth``.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], board: TaskBoard, now_minute: int | None = None) -> None:
        super().__init__(address, _Handler)
        self.board = board
        self.now_minute = board.start_minute if now_minute is None else now_minute

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: TaskBoardServer
    protocol_version = "HTTP/1.1"
    server_version = "TaskBoardSimulator/1.0"

    def date_time_string(self, timestamp: float | None = None) -> str:  # the simulated clock
        return formatdate(self.server.now_minute * 60, usegmt=True)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if parts.path == "/robots.txt":
            status, headers, payload = (
                200,
                {"Content-Type": "text/plain"},
                b"User-agent: *\nDisallow: /taskboard/_truth\n",
            )
        elif parts.path.startswith("/taskboard/"):
            status, headers, payload = self.server.board.handle(
                self.command,
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                dict(self.headers),
                body,
                self.server.now_minute,
            )
        else:
            status, headers, payload = _json(404, {"error": "not found"})
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = _serve


def serve_taskboard(
    port: int = 0, *, seed: int = 7, start_minute: int | None = None, host: str = "127.0.0.1"
) -> TaskBoardServer:
    """Bind a TaskBoard server (port 0 picks a free one) without serving yet: call ``serve_forever``
    (in a thread for tests). ``start_minute`` defaults to 2026-09-01T00:00Z, the main simulator's start."""
    if start_minute is None:
        start_minute = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()) // 60
    return TaskBoardServer((host, port), TaskBoard(seed, start_minute))
