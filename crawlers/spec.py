"""Declarative source specs: one YAML file describes how to read one platform's task listing.

Why: the worker-login platforms (RapidWorkers, Microworkers, Clickworker, Toloka, Prolific) publish
their tasks only behind an account, in formats we cannot see from here and that change often. Writing a
spider per platform would bury the few facts that differ (a login form, a page parameter, where the
reward is) in code; a spec keeps them in one reviewable file that an operator who has an account *and*
the platform's consent can adapt, while the crawling, politeness, archiving, validation and landing stay
the project's one implementation (``crawlers/spiders/spec.py``).

This module is pure (no network, no clock, no files but the spec itself): :func:`load_spec` reads and
validates a spec, :func:`parse_page` turns one response body into contract items, so archived responses
can be parsed again with the same code. The format is documented in ``docs/sources.md``; in short::

    key: taskboard_sim                 # the contract's ``source``; landing goes to data/landing/<key>/
    title: ...
    kind: listing                      # or partner_feed (no crawling: see observatory/partner_feed.py)
    enabled: true                      # false needs disabled_reason; the spider refuses a disabled spec
    platform: {status: ..., notes: ..., homepage: ...}
    consent: {reference: ...}          # required when a login is used and the spec is enabled
    base_url: http://127.0.0.1:8765    # OBSERVATORY_<KEY>_BASE_URL and -a base_url override it
    timezone: Europe/Paris             # for timestamps published without an offset (optional)
    auth: {type: none} | {type: form, login_url, username_field, password_field, username_env,
           password_env, extra_fields, failure_contains} | {type: header, header, scheme, token_env}
    listing: {url, params, format: json|html, pagination: {...}, max_pages, items, total_results, expect}
    fields: {<contract field>: {path|css|xpath|const|derive: ..., transform, many, default, mapping}}
    field_thresholds: {<field>: <min share>}   # the run monitors' minimum field coverage

Security rules, checked on load: a spec never holds a secret. Credentials come from environment
variables named in the spec (``*_env``), and those names must start with ``OBSERVATORY_`` so a spec
cannot send an unrelated secret of the machine (a cloud key, say) to a login URL. A key that looks like a
literal secret (``password``, ``token``, ``api_key``, ``cookie``...) is refused wherever it appears, and so
is a URL carrying one in its query string.

Selectors: for JSON, `JMESPath <https://jmespath.org>`_ expressions (``data.tasks[*]``, ``reward.amount``,
``eligibility.countries``), compiled on load so a typo is reported with the key that holds it; for HTML,
CSS (with parsel's ``::text`` and ``::attr(name)``) or XPath, relative to each item.
"""

from __future__ import annotations

import json
import math
import os
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import jmespath
import jsonschema
import yaml
from parsel import Selector
from w3lib.encoding import html_to_unicode

from observatory.contract import decimal_str, derived_listing_id, empty_item, utc_iso

# ------------------------------------------------------------------------------------------------ schema

TRANSFORMS = (
    "text",
    "int",
    "decimal",
    "cents",
    "float",
    "bool",
    "price",
    "price_range",
    "currency",
    "country",
    "countries",
    "utc",
    "epoch_seconds",
    "seconds",
    "seconds_from_minutes",
    "seconds_from_hours",
    "map",
)

#: Contract fields a spec may fill (the spider fills source, run_id, observed_at and raw_ref itself).
SPEC_FIELDS = (
    "listing_id",
    "url",
    "title",
    "description",
    "requester_id",
    "requester_name",
    "category",
    "pay_basis",
    "reward_amount",
    "reward_amount_max",
    "reward_currency",
    "time_allotted_s",
    "time_estimate_s",
    "slots_available",
    "slots_total",
    "posted_at",
    "expires_at",
    "worker_countries",
    "worker_countries_excluded",
    "employer_country",
    "location.lat",
    "location.lon",
    "location.locality",
    "location.region_code",
    "location.country",
)

_ENV_NAME = {"type": "string", "pattern": "^OBSERVATORY_[A-Z0-9_]{1,64}$"}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}

_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"path": _TEXT, "css": _TEXT, "xpath": _TEXT},
    "minProperties": 1,
    "maxProperties": 1,
}

_FIELD = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "path": _TEXT,
        "css": _TEXT,
        "xpath": _TEXT,
        "const": {"type": ["string", "number", "boolean", "array", "null"]},
        "derive": {"type": "array", "items": {"enum": list(SPEC_FIELDS)}, "minItems": 1},
        "transform": {"enum": list(TRANSFORMS)},
        "many": {"type": "boolean"},
        "default": {"type": ["string", "number", "boolean", "array", "null"]},
        "mapping": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        },
        "currency_hint": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
    "oneOf": [
        {"required": ["path"]},
        {"required": ["css"]},
        {"required": ["xpath"]},
        {"required": ["const"]},
        {"required": ["derive"]},
    ],
}

SPEC_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "A declarative source spec (crawlers/spec.py)",
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "title", "kind", "enabled", "platform"],
    "properties": {
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,31}$"},
        "title": _TEXT,
        "kind": {"enum": ["listing", "partner_feed"]},
        "enabled": {"type": "boolean"},
        "disabled_reason": _TEXT,
        "platform": {
            "type": "object",
            "additionalProperties": False,
            "required": ["status", "notes"],
            "properties": {
                "status": _TEXT,
                "notes": {"type": "string", "minLength": 1},
                "homepage": _TEXT,
                "region_meaning": _TEXT,
            },
        },
        "consent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["reference"],
            "properties": {"reference": _TEXT, "obtained": _TEXT, "contact": _TEXT},
        },
        "base_url": {"type": "string", "pattern": "^https?://[^\\s]+$"},
        "timezone": {"type": "string", "pattern": "^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$"},
        "auth": {
            "type": "object",
            "required": ["type"],
            "oneOf": [
                {"additionalProperties": False, "properties": {"type": {"const": "none"}}},
                {
                    "additionalProperties": False,
                    "required": [
                        "type",
                        "login_url",
                        "username_field",
                        "password_field",
                        "username_env",
                        "password_env",
                    ],
                    "properties": {
                        "type": {"const": "form"},
                        "login_url": _TEXT,
                        "username_field": _TEXT,
                        "password_field": _TEXT,
                        "username_env": _ENV_NAME,
                        "password_env": _ENV_NAME,
                        "extra_fields": {"type": "object", "additionalProperties": {"type": "string"}},
                        "failure_contains": _TEXT,
                    },
                },
                {
                    "additionalProperties": False,
                    "required": ["type", "header", "token_env"],
                    "properties": {
                        "type": {"const": "header"},
                        "header": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"},
                        "scheme": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,32}$"},
                        "token_env": _ENV_NAME,
                    },
                },
            ],
        },
        "listing": {
            "type": "object",
            "additionalProperties": False,
            "required": ["url", "format", "pagination", "items"],
            "properties": {
                "url": _TEXT,
                "params": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
                "format": {"enum": ["json", "html"]},
                "pagination": {
                    "type": "object",
                    "required": ["type"],
                    "oneOf": [
                        {"additionalProperties": False, "properties": {"type": {"const": "none"}}},
                        {
                            "additionalProperties": False,
                            "required": ["type", "param"],
                            "properties": {
                                "type": {"const": "page"},
                                "param": _TEXT,
                                "start": {"type": "integer", "minimum": 0},
                            },
                        },
                        {
                            "additionalProperties": False,
                            "required": ["type", "offset_param", "limit"],
                            "properties": {
                                "type": {"const": "offset"},
                                "offset_param": _TEXT,
                                "limit_param": _TEXT,
                                "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                            },
                        },
                        {
                            "additionalProperties": False,
                            "required": ["type", "next"],
                            "properties": {"type": {"const": "next_link"}, "next": _SELECTOR},
                        },
                    ],
                },
                "max_pages": {"type": "integer", "minimum": 1, "maximum": 10000},
                "items": _SELECTOR,
                "total_results": _SELECTOR,
                "expect": _SELECTOR,
            },
        },
        "fields": {
            "type": "object",
            "propertyNames": {"enum": list(SPEC_FIELDS)},
            "additionalProperties": _FIELD,
        },
        "field_thresholds": {
            "type": "object",
            "propertyNames": {"enum": list(SPEC_FIELDS)},
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "feed": {
            "type": "object",
            "additionalProperties": False,
            "required": ["formats", "doc"],
            "properties": {
                "formats": {"type": "array", "items": {"enum": ["jsonl", "csv"]}, "minItems": 1},
                "doc": _TEXT,
                "provider": _TEXT,
            },
        },
    },
    "allOf": [
        {"if": {"properties": {"enabled": {"const": False}}}, "then": {"required": ["disabled_reason"]}},
        {
            "if": {"properties": {"kind": {"const": "listing"}}},
            "then": {"required": ["base_url", "auth", "listing", "fields"]},
        },
        {"if": {"properties": {"kind": {"const": "partner_feed"}}}, "then": {"required": ["feed"]}},
        {
            "if": {
                "properties": {
                    "enabled": {"const": True},
                    "auth": {"properties": {"type": {"enum": ["form", "header"]}}, "required": ["type"]},
                },
                "required": ["auth"],
            },
            "then": {"required": ["consent"]},
        },
    ],
}

#: Key names that would hold a literal secret. ``*_env`` (an environment variable's name) and
#: ``*_field`` (a form field's name) are the allowed ways to talk about credentials.
_SECRET_KEY_RE = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|bearer|cookie|credential|session[_-]?id"
    r"|private[_-]?key|authorization",
    re.IGNORECASE,
)
_SECRET_QUERY_RE = re.compile(
    r"[?&;](pass(word|wd)?|pwd|secret|token|access_token|api[_-]?key|apikey|key|sig|session[_-]?id)=",
    re.IGNORECASE,
)
_URL_USERINFO_RE = re.compile(r"://[^/\s@]*:[^/\s@]*@")
_ALLOWED_SUFFIXES = ("_env", "_field")
_URL_PLACEHOLDERS = {"page", "offset", "limit"}

# C0/C1 control characters other than whitespace (whitespace is collapsed separately).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_LEN = {
    "title": 2000,
    "description": 20000,
    "requester_name": 500,
    "requester_id": 200,
    "category": 500,
    "location.locality": 500,
    "location.region_code": 20,
}
_MAX_ID_LEN = 200
_COUNT_MAX = 100_000_000
_INT_RE = re.compile(r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?!\d)|\d+")
PROBLEM_RECORD_MAX = 2000


class SpecError(ValueError):
    """A spec that cannot be used; the message names the file and every bad key."""


class PageFormatError(ValueError):
    """A whole response is not in the format the spec expects (not JSON, no item list, login page...)."""


class RecordError(ValueError):
    """One record cannot become an item; it is quarantined with this reason, the page goes on."""


@dataclass(frozen=True)
class Extractor:
    """One compiled selector: a JMESPath expression, or a CSS or XPath selector."""

    kind: str  # path | css | xpath
    expr: str
    compiled: Any = None


@dataclass(frozen=True)
class FieldSpec:
    name: str
    extractor: Extractor | None
    const: Any = None
    has_const: bool = False
    derive: tuple[str, ...] = ()
    transform: str = "text"
    many: bool = False
    default: Any = None
    mapping: Mapping[str, Any] | None = None
    currency_hint: str | None = None


@dataclass
class Spec:
    """A validated spec. ``data`` is the YAML as loaded; the rest is compiled from it."""

    path: Path | None
    data: dict[str, Any]
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    items: Extractor | None = None
    total_results: Extractor | None = None
    expect: Extractor | None = None
    next_link: Extractor | None = None

    @property
    def key(self) -> str:
        return self.data["key"]

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def enabled(self) -> bool:
        return bool(self.data["enabled"])

    @property
    def auth(self) -> dict[str, Any]:
        return self.data.get("auth") or {"type": "none"}

    @property
    def listing(self) -> dict[str, Any]:
        return self.data.get("listing") or {}

    @property
    def format(self) -> str:
        return self.listing.get("format", "json")

    @property
    def field_thresholds(self) -> dict[str, float] | None:
        return self.data.get("field_thresholds")

    def base_url(self, override: str | None = None, environ: Mapping[str, str] | None = None) -> str:
        """Where to crawl: an explicit override, else OBSERVATORY_<KEY>_BASE_URL, else the spec's."""
        env = os.environ if environ is None else environ
        url = override or env.get(f"OBSERVATORY_{self.key.upper()}_BASE_URL") or self.data.get("base_url", "")
        if urlsplit(url).scheme not in ("http", "https"):
            raise SpecError(f"{self.key}: base URL {url!r} is not http(s)")
        return url.rstrip("/")

    def page_url(self, base_url: str, index: int) -> str | None:
        """The URL of the ``index``-th listing page (0-based) for page/offset/none pagination; None for
        next-link pagination beyond the first page (the page itself says where the next one is)."""
        listing = self.listing
        pagination = listing["pagination"]
        kind = pagination["type"]
        if kind in ("none", "next_link") and index > 0:
            return None
        page = pagination.get("start", 1) + index if kind == "page" else index + 1
        limit = pagination.get("limit", 0)
        offset = index * limit
        path = listing["url"].format_map({"page": page, "offset": offset, "limit": limit})
        url = urljoin(base_url + "/", path.lstrip("/")) if not urlsplit(path).scheme else path
        params: dict[str, str] = {k: str(v) for k, v in (listing.get("params") or {}).items()}
        if kind == "page":
            params[pagination["param"]] = str(page)
        elif kind == "offset":
            params[pagination["offset_param"]] = str(offset)
            if pagination.get("limit_param"):
                params[pagination["limit_param"]] = str(limit)
        if params:
            url += ("&" if urlsplit(url).query else "?") + urlencode(params)
        return url


# ------------------------------------------------------------------------------------------------ loading


def load_spec(path: str | Path) -> Spec:
    """Read, validate and compile a spec file; raise SpecError naming every bad key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from None
    return spec_from_dict(data, origin=str(path), path=path)


def spec_from_dict(data: Any, origin: str = "<spec>", path: Path | None = None) -> Spec:
    """Validate and compile an already-parsed spec (see :func:`load_spec`)."""
    problems = validate_spec(data)
    if problems:
        raise SpecError(f"{origin}: invalid spec:\n  - " + "\n  - ".join(problems))
    spec = Spec(path=path, data=data)
    listing = spec.listing
    if spec.kind == "listing":
        spec.items = _compile(listing["items"])
        spec.total_results = _compile(listing["total_results"]) if listing.get("total_results") else None
        spec.expect = _compile(listing["expect"]) if listing.get("expect") else None
        if listing["pagination"]["type"] == "next_link":
            spec.next_link = _compile(listing["pagination"]["next"])
        for name, fdata in data["fields"].items():
            extractor = None
            for kind in ("path", "css", "xpath"):
                if kind in fdata:
                    extractor = _compile({kind: fdata[kind]})
            spec.fields[name] = FieldSpec(
                name=name,
                extractor=extractor,
                const=fdata.get("const"),
                has_const="const" in fdata,
                derive=tuple(fdata.get("derive") or ()),
                transform=fdata.get("transform", "text"),
                many=bool(fdata.get("many", False)),
                default=fdata.get("default"),
                mapping=fdata.get("mapping"),
                currency_hint=fdata.get("currency_hint"),
            )
    return spec


def validate_spec(data: Any) -> list[str]:
    """Every problem of a parsed spec, each naming its key (empty list = usable).

    Secrets first (a literal password must be refused even when the rest is broken), then the JSON
    Schema, then what a schema cannot say: selectors that do not compile, selector kinds that do not
    match the format, transforms on fields they cannot fill, URL placeholders.
    """
    if not isinstance(data, dict):
        return ["<spec>: must be a mapping (YAML object)"]
    problems = _secret_problems(data, "")
    validator = jsonschema.Draft202012Validator(SPEC_SCHEMA)
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        where = ".".join(str(p) for p in err.absolute_path) or "<spec>"
        problems.append(f"{where}: {_schema_message(err)}")
    if problems:
        return problems
    if data["kind"] != "listing":
        return problems
    listing = data["listing"]
    fmt = listing["format"]
    selectors = [("listing.items", listing["items"])]
    for key in ("total_results", "expect"):
        if key in listing:
            selectors.append((f"listing.{key}", listing[key]))
    if listing["pagination"]["type"] == "next_link":
        selectors.append(("listing.pagination.next", listing["pagination"]["next"]))
    for name, fdata in data["fields"].items():
        selectors += [(f"fields.{name}", {k: fdata[k]}) for k in ("path", "css", "xpath") if k in fdata]
    for where, sel in selectors:
        kind = next(iter(sel))
        if fmt == "json" and kind != "path":
            problems.append(f"{where}: a JSON listing is read with 'path' (JMESPath), not {kind!r}")
        elif fmt == "html" and kind == "path":
            problems.append(f"{where}: an HTML listing is read with 'css' or 'xpath', not 'path'")
        else:
            try:
                _compile(sel)
            except SpecError as exc:
                problems.append(f"{where}: {exc}")
    for name in ("listing_id", "title", "reward_amount"):
        if name not in data["fields"]:
            problems.append(f"fields.{name}: required (the contract needs it on every item)")
    if "pay_basis" not in data["fields"]:
        problems.append("fields.pay_basis: required (usually {const: per_task})")
    for name, fdata in data["fields"].items():
        transform = fdata.get("transform", "text")
        if transform in ("price", "price_range") and name != "reward_amount":
            problems.append(f"fields.{name}.transform: {transform!r} is only for reward_amount")
        if transform == "map" and "mapping" not in fdata:
            problems.append(f"fields.{name}.mapping: required by transform 'map'")
        if "derive" in fdata and name != "listing_id":
            problems.append(f"fields.{name}.derive: only listing_id can be derived")
        if name in ("worker_countries", "worker_countries_excluded") and transform not in (
            "countries",
            "map",
        ):
            problems.append(f"fields.{name}.transform: must be 'countries' (a list of ISO codes)")
    if any(n.startswith("location.") for n in data["fields"]) and not {"location.lat", "location.lon"} <= set(
        data["fields"]
    ):
        problems.append("fields.location.lat/location.lon: a location needs both coordinates")
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(listing["url"]) if name is not None}
    except ValueError as exc:
        problems.append(f"listing.url: bad template: {exc}")
    else:
        if used - _URL_PLACEHOLDERS:
            problems.append(
                f"listing.url: unknown placeholder(s) {sorted(used - _URL_PLACEHOLDERS)}; "
                f"allowed: {sorted(_URL_PLACEHOLDERS)}"
            )
    return problems


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "oneOf" and err.context:
        # The branch whose errors are deepest is usually the one the author meant.
        best = jsonschema.exceptions.best_match(err.context)
        where = ".".join(str(p) for p in best.relative_path)
        return f"{where + ': ' if where else ''}{best.message}"
    return err.message


def _secret_problems(value: Any, where: str) -> list[str]:
    problems = []
    if isinstance(value, dict):
        for key, sub in value.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _SECRET_KEY_RE.search(key) and not key.endswith(_ALLOWED_SUFFIXES):
                problems.append(
                    f"{here}: looks like a literal secret; a spec never holds credentials: "
                    f"name an environment variable instead (e.g. {key}_env: OBSERVATORY_...)"
                )
                continue
            problems += _secret_problems(sub, here)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            problems += _secret_problems(sub, f"{where}[{i}]")
    elif isinstance(value, str) and (_SECRET_QUERY_RE.search(value) or _URL_USERINFO_RE.search(value)):
        problems.append(f"{where}: a URL must not carry credentials (query secret or user:password@)")
    return problems


def _compile(sel: Mapping[str, str]) -> Extractor:
    kind, expr = next(iter(sel.items()))
    if kind == "path":
        try:
            return Extractor("path", expr, jmespath.compile(expr))
        except jmespath.exceptions.JMESPathError as exc:
            raise SpecError(f"bad JMESPath {expr!r}: {str(exc).splitlines()[0]}") from None
    probe = Selector(text="<html></html>")
    try:
        probe.css(expr) if kind == "css" else probe.xpath(expr)
    except Exception as exc:  # cssselect and lxml raise several types for a bad expression
        raise SpecError(f"bad {kind.upper()} selector {expr!r}: {exc}") from None
    return Extractor(kind, expr)


# ------------------------------------------------------------------------------------------------ parsing


@dataclass
class SpecPage:
    """What one listing response yields."""

    items: list[dict[str, Any]]
    """Contract-shaped dicts; ``run_id`` and ``raw_ref`` are ``None`` for the spider to fill."""
    problems: list[dict[str, str]]
    """Records that could not become items: ``{"reason", "record"}``."""
    total_results: int | None
    next_url: str | None
    records: int
    """Records the page held (items + problems): an empty page ends page/offset pagination."""


def parse_page(spec: Spec, body: bytes | str, url: str, observed_at: datetime) -> SpecPage:
    """Parse one listing response with ``spec`` (pure: the same for a live page, a WARC record, a fixture).

    Raises PageFormatError when the response as a whole is not what the spec expects.
    """
    if observed_at.tzinfo is None or observed_at.utcoffset() is None:
        raise ValueError("observed_at must be timezone-aware")
    observed = utc_iso(observed_at)
    text = body if isinstance(body, str) else html_to_unicode(None, bytes(body))[1]
    if spec.format == "json":
        try:
            doc: Any = json.loads(text, parse_float=Decimal)
        except ValueError as exc:
            raise PageFormatError(f"not JSON: {exc}") from None
        records = spec.items.compiled.search(doc) if spec.items else None
        if spec.expect is not None and spec.expect.compiled.search(doc) is None:
            raise PageFormatError(f"expected {spec.expect.expr!r} is missing")
        if not isinstance(records, list):
            raise PageFormatError(f"items path {spec.items.expr if spec.items else ''!r} is not a list")
        total = _total(spec.total_results.compiled.search(doc)) if spec.total_results else None
        nxt = spec.next_link.compiled.search(doc) if spec.next_link else None
    else:
        doc = Selector(text=text)
        if spec.expect is not None and not _select(doc, spec.expect):
            raise PageFormatError(f"expected {spec.expect.expr!r} matches nothing (a login page?)")
        assert spec.items is not None
        records = list(doc.css(spec.items.expr) if spec.items.kind == "css" else doc.xpath(spec.items.expr))
        total = _total(_first_text(_select(doc, spec.total_results))) if spec.total_results else None
        nxt = _first_text(_select(doc, spec.next_link)) if spec.next_link else None
    items, problems = [], []
    for record in records:
        try:
            items.append(build_item(spec, record, url=url, observed=observed))
        except RecordError as exc:
            problems.append({"reason": str(exc), "record": _record_text(record)})
    next_url = _safe_next(nxt, url)
    return SpecPage(
        items=items, problems=problems, total_results=total, next_url=next_url, records=len(records)
    )


def _select(doc: Selector, extractor: Extractor | None) -> list[Selector]:
    if extractor is None:
        return []
    return list(doc.css(extractor.expr) if extractor.kind == "css" else doc.xpath(extractor.expr))


def _node_text(node: Selector) -> str:
    root = node.root
    if isinstance(root, str):
        return root
    return " ".join(node.xpath(".//text()").getall())


def _first_text(nodes: list[Selector]) -> str | None:
    return _node_text(nodes[0]) if nodes else None


def _total(value: Any) -> int | None:
    try:
        return _to_int(value)
    except RecordError:
        return None


def _safe_next(candidate: Any, page_url: str) -> str | None:
    """A next link is scraped text: only an http(s) URL on the page's own origin is followed, so a page
    cannot send the crawler (and its session or token) anywhere else."""
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    target = urljoin(page_url, candidate.strip())
    here, there = urlsplit(page_url), urlsplit(target)
    if there.scheme not in ("http", "https") or (there.scheme, there.netloc) != (here.scheme, here.netloc):
        return None
    return target


def _record_text(record: Any) -> str:
    if isinstance(record, Selector):
        text = record.get()
    else:
        try:
            text = json.dumps(record, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(record)
    return text[:PROBLEM_RECORD_MAX]


def _raw(fspec: FieldSpec, record: Any) -> Any:
    """The raw value of one field in one record: JSON value(s) or text(s) from HTML."""
    if fspec.has_const:
        return fspec.const
    ex = fspec.extractor
    assert ex is not None
    if ex.kind == "path":
        return ex.compiled.search(record) if isinstance(record, dict | list) else None
    nodes = list(record.css(ex.expr) if ex.kind == "css" else record.xpath(ex.expr))
    if fspec.many:
        return [_node_text(n) for n in nodes]
    return _node_text(nodes[0]) if nodes else None


def build_item(spec: Spec, record: Any, *, url: str, observed: str) -> dict[str, Any]:
    """One record -> one contract item (run_id and raw_ref left None). Raises RecordError."""
    item = empty_item(spec.key)
    item.update(observed_at=observed, url=url)
    values: dict[str, Any] = {}
    # The currency first: it is the hint for reading the amount.
    order = sorted(spec.fields.values(), key=lambda f: (f.name != "reward_currency", bool(f.derive)))
    for fspec in order:
        if fspec.derive:
            continue
        raw = _raw(fspec, record)
        if _is_empty(raw):
            raw = fspec.default
        if _is_empty(raw):
            continue
        try:
            values.update(_apply(fspec, raw, values, spec))
        except RecordError as exc:
            raise RecordError(f"{fspec.name}: {exc}") from None
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise RecordError(f"{fspec.name}: cannot read {_short(raw)}: {exc}") from None
    lid = spec.fields.get("listing_id")
    if lid is not None and lid.derive:
        parts = [_part(values.get(n)) for n in lid.derive]
        if not any(parts):
            raise RecordError("listing_id: nothing to derive it from")
        values["listing_id"] = derived_listing_id(spec.key, *parts)
        item["listing_id_derived"] = True
    if not values.get("listing_id"):
        raise RecordError("listing_id: missing")
    if not values.get("title"):
        raise RecordError("title: missing")
    if values.get("reward_amount") is None:
        raise RecordError("reward_amount: missing or unreadable")
    if not values.get("reward_currency"):
        raise RecordError("reward_currency: unknown (no currency published and none given as a hint)")
    location = {k.split(".", 1)[1]: values.pop(k) for k in list(values) if k.startswith("location.")}
    if location:
        if location.get("lat") is None or location.get("lon") is None:
            raise RecordError("location: needs both lat and lon")
        item["location"] = {
            "lat": location["lat"],
            "lon": location["lon"],
            "locality": location.get("locality"),
            "region_code": location.get("region_code"),
            "country": location.get("country"),
        }
    if "url" in values:
        item["url"] = _safe_next(values.pop("url"), url) or url
    item.update(values)
    return item


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _part(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text[:80])


def clean_text(value: Any, name: str) -> str | None:
    """Untrusted text -> plain text: no control characters, whitespace collapsed, cut to the contract's
    maximum length. Numbers become their text; anything else (objects, lists) is refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        raise RecordError(f"expected text, got {type(value).__name__}")
    text = " ".join(_CONTROL_RE.sub(" ", str(value)).split())
    if not text:
        return None
    if name == "listing_id" and len(text) > _MAX_ID_LEN:
        raise RecordError(f"id longer than {_MAX_ID_LEN} characters")
    limit = _MAX_LEN.get(name)
    return text[:limit] if limit else text


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise RecordError("expected a count, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal | float):
        if not math.isfinite(value) or value != int(value):
            raise RecordError(f"expected a whole number, got {value}")
        number = int(value)
    elif isinstance(value, str):
        match = _INT_RE.search(value)
        if not match:
            raise RecordError(f"no number in {_short(value)}")
        number = int(re.sub(r"\D", "", match.group()))
    else:
        raise RecordError(f"expected a count, got {type(value).__name__}")
    if not 0 <= number <= _COUNT_MAX:
        raise RecordError(f"count {number} out of range")
    return number


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise RecordError("expected an amount, got a boolean")
    try:
        dec = Decimal(str(value).strip()) if isinstance(value, str | int | Decimal) else Decimal(repr(value))
    except InvalidOperation:
        raise RecordError(f"not a decimal number: {_short(value)}") from None
    if not dec.is_finite() or dec < 0:
        raise RecordError(f"amount {value} is not a finite non-negative number")
    return dec


def _normalize() -> Any:
    """observatory.normalize, imported when first needed: it owns every money/country/time rule."""
    from observatory import normalize

    return normalize


def _apply(fspec: FieldSpec, raw: Any, values: dict[str, Any], spec: Spec) -> dict[str, Any]:
    """Run one field's transform; returns the contract values it fills (price fills up to three)."""
    name, transform = fspec.name, fspec.transform
    if transform == "price":
        hint = values.get("reward_currency") or fspec.currency_hint
        amount, currency = _normalize().parse_price(clean_text(raw, name), hint)
        if amount is None:
            raise RecordError(f"no price in {_short(raw)}")
        out = {"reward_amount": decimal_str(amount)}
        if values.get("reward_currency") and currency and currency != values["reward_currency"]:
            raise RecordError(
                f"price {_short(raw)} is in {currency}, the record says {values['reward_currency']}"
            )
        if not values.get("reward_currency") and currency:
            out["reward_currency"] = currency
        return out
    if transform == "price_range":
        hint = values.get("reward_currency") or fspec.currency_hint
        low, high, currency = _normalize().parse_price_range(clean_text(raw, name), hint)
        if low is None:
            raise RecordError(f"no price in {_short(raw)}")
        out = {"reward_amount": decimal_str(low)}
        if high is not None and "reward_amount_max" not in spec.fields:
            out["reward_amount_max"] = decimal_str(high)
        currency = values.get("reward_currency") or currency or fspec.currency_hint
        if currency:
            out["reward_currency"] = currency
        return out
    if fspec.many or isinstance(raw, list):
        if transform != "countries" and not (transform == "map" and isinstance(raw, list)):
            raise RecordError("a list where one value was expected")
    return {name: _TRANSFORMS[transform](raw, fspec, spec)}


def _t_text(raw: Any, fspec: FieldSpec, spec: Spec) -> str | None:
    return clean_text(raw, fspec.name)


def _t_int(raw: Any, fspec: FieldSpec, spec: Spec) -> int:
    return _to_int(raw)


def _t_decimal(raw: Any, fspec: FieldSpec, spec: Spec) -> str:
    return decimal_str(_to_decimal(raw))


def _t_cents(raw: Any, fspec: FieldSpec, spec: Spec) -> str:
    """An amount published in minor units (cents, pence): 125 -> "1.25"."""
    return decimal_str(_to_decimal(raw) / 100)


def _t_float(raw: Any, fspec: FieldSpec, spec: Spec) -> float:
    if isinstance(raw, bool):
        raise RecordError("expected a number, got a boolean")
    number = float(str(raw).strip()) if isinstance(raw, str | int | Decimal | float) else math.nan
    if not math.isfinite(number):
        raise RecordError(f"not a finite number: {_short(raw)}")
    if fspec.name == "location.lat" and not -90 <= number <= 90:
        raise RecordError(f"latitude {number} out of range")
    if fspec.name == "location.lon" and not -180 <= number <= 180:
        raise RecordError(f"longitude {number} out of range")
    return number


def _t_bool(raw: Any, fspec: FieldSpec, spec: Spec) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes", "1", "y"):
        return True
    if text in ("false", "no", "0", "n"):
        return False
    raise RecordError(f"not a yes/no value: {_short(raw)}")


def _t_currency(raw: Any, fspec: FieldSpec, spec: Spec) -> str:
    code = _normalize().currency_code(clean_text(raw, fspec.name))
    if not code:
        raise RecordError(f"unknown currency {_short(raw)}")
    return code


def _t_country(raw: Any, fspec: FieldSpec, spec: Spec) -> str:
    code = _normalize().country_code(clean_text(raw, fspec.name))
    if not code:
        raise RecordError(f"unknown country {_short(raw)}")
    return code


_WORLDWIDE = {"worldwide", "all", "any", "anywhere", "all countries", "global", "international"}


def _t_countries(raw: Any, fspec: FieldSpec, spec: Spec) -> list[str]:
    """A list of countries (or one text listing them). An unrecognised name fails the record rather than
    being dropped, because dropping it would make a restricted task look open to more workers."""
    parts: list[Any] = []
    for entry in raw if isinstance(raw, list) else [raw]:
        if isinstance(entry, str):
            parts += [p for p in re.split(r"[,;|/]", entry) if p.strip()]
        else:
            parts.append(entry)
    codes: list[str] = []
    for part in parts:
        text = clean_text(part, fspec.name)
        if not text or text.lower() in _WORLDWIDE:
            continue
        code = _normalize().country_code(text)
        if not code:
            raise RecordError(f"unknown country {_short(text)}")
        if code not in codes:
            codes.append(code)
    return codes


def _t_utc(raw: Any, fspec: FieldSpec, spec: Spec) -> str:
    """A timestamp with an offset, or without one read in the spec's ``timezone`` (never guessed)."""
    text = (
        raw if isinstance(raw, int | Decimal) and not isinstance(raw, bool) else clean_text(raw, fspec.name)
    )
    when, why = _normalize().to_utc_checked(text, default_tz=spec.data.get("timezone"))
    if when is None:
        raise RecordError(why or f"unreadable time {_short(raw)}")
    return utc_iso(when)


def _t_epoch(raw: Any, fspec: FieldSpec, spec: Spec) -> str:
    when, why = _normalize().to_utc_checked(_to_decimal(raw))
    if when is None:
        raise RecordError(why or f"unreadable epoch {_short(raw)}")
    return utc_iso(when)


def _seconds(factor: int) -> Callable[[Any, FieldSpec, Spec], int]:
    def convert(raw: Any, fspec: FieldSpec, spec: Spec) -> int:
        value = _to_decimal(raw) if not isinstance(raw, str) else _to_decimal(_first_number(raw))
        return _to_int(int((value * factor).to_integral_value()))

    return convert


def _first_number(text: str) -> str:
    match = re.search(r"\d+(?:[.,]\d+)?", text)
    if not match:
        raise RecordError(f"no number in {_short(text)}")
    return match.group().replace(",", ".")


def _t_map(raw: Any, fspec: FieldSpec, spec: Spec) -> Any:
    mapping = fspec.mapping or {}
    if isinstance(raw, list):
        return [_t_map(r, fspec, spec) for r in raw]
    key = clean_text(raw, fspec.name) if not isinstance(raw, bool) else str(raw).lower()
    if key not in mapping:
        raise RecordError(f"value {_short(raw)} not in the spec's mapping")
    return mapping[key]


_TRANSFORMS: dict[str, Callable[[Any, FieldSpec, Spec], Any]] = {
    "text": _t_text,
    "int": _t_int,
    "decimal": _t_decimal,
    "cents": _t_cents,
    "float": _t_float,
    "bool": _t_bool,
    "currency": _t_currency,
    "country": _t_country,
    "countries": _t_countries,
    "utc": _t_utc,
    "epoch_seconds": _t_epoch,
    "seconds": _seconds(1),
    "seconds_from_minutes": _seconds(60),
    "seconds_from_hours": _seconds(3600),
    "map": _t_map,
}
