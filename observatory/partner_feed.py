"""Import a partner or data-donation feed of geolocated missions (Roamler, Mobeye...) as a landing run.

Why a feed and not a crawler: on-site mission apps show their missions only inside a mobile app, near the
worker, through a private API. The observatory does not reverse-engineer such an API; missions reach it
only when a partner sends them (the platform itself, or workers donating their own mission lists through
a research partner), in the documented format of ``docs/partner-feed.md``, with a consent reference.

The import is a normal landing run, so the warehouse loads it like any crawl: every row is validated,
good rows become contract items (``pay_basis`` ``per_task``, one slot, the store's location), bad rows go
to the run's quarantine file with every reason, and a manifest seals the run (status ``ok`` unless no row
was valid). Nothing is guessed: a missing country stays null, a naive timestamp is refused.

No person's identity may enter: the format has no worker column, and a feed that carries a column that
looks like one (worker id, user, name, e-mail, phone, device...) is refused as a whole, before anything is
written, so such values never reach the landing zone or its quarantine file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pycountry

from observatory.contract import decimal_str, empty_item, utc_iso, validate
from observatory.landing import LandingWriter, new_run_id

FORMAT_VERSION = 1
REQUIRED_COLUMNS = (
    "mission_id",
    "reward",
    "currency",
    "posted_at",
    "expires_at",
    "lat",
    "lon",
    "store_type",
    "platform",
)
OPTIONAL_COLUMNS = ("brand", "country", "locality", "observed_at")
ALLOWED_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
#: A mission pays a few euros (DESIGN.md); above this the row is taken for a unit or column mistake.
#: Feeds in currencies with small units (HUF, JPY...) pass a larger ``max_reward``.
DEFAULT_MAX_REWARD = Decimal("1000")
#: Columns whose names look like a person's identity: their presence refuses the whole feed.
IDENTITY_COLUMN_RE = re.compile(
    r"worker|user|member|account|person|people|participant|shopper|auditor|roamler|employee|agent|e_?mail"
    r"|phone|mobile|msisdn|name|device|imei|idfa|gaid|^ip$|ip_?addr|address|birth|gender|age$"
)
_MISSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TEXT_MAX = {"store_type": 100, "brand": 200, "locality": 200}
_DECIMAL_RE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,6})?$")
PROBLEM_RECORD_MAX = 2000


class FeedError(ValueError):
    """The feed as a whole cannot be imported (no consent metadata, identity columns, unknown format)."""


def import_feed(
    path: Path,
    source: str,
    provider: str,
    run_id: str | None = None,
    *,
    max_reward: Decimal = DEFAULT_MAX_REWARD,
    landing_root: Path | None = None,
) -> Path:
    """Validate every row of a mission feed and land it as one run; return the manifest path.

    ``path`` is a ``.jsonl``/``.ndjson`` or ``.csv`` file (optionally ``.gz``), with its metadata in
    ``<path>.meta.json`` (provider, consent reference, snapshot time: see docs/partner-feed.md).
    ``source`` is the platform key the run lands under (``roamler``); every row's ``platform`` must be
    it. ``provider`` must match the metadata's, so a feed cannot be filed under the wrong partner.
    Raises FeedError when the feed as a whole is refused (nothing is written then).
    """
    path = Path(path)
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,31}", source):
        raise FeedError(f"source {source!r} is not a platform key (lower case letters, digits, _)")
    meta = read_metadata(path, provider)
    fmt = _format(path)
    rows = list(_iter_rows(path, fmt))
    _refuse_identity_columns(rows, fmt)
    snapshot_at = meta["snapshot_at"]
    run_id = run_id or new_run_id(source)
    wall_started = datetime.now(UTC).replace(microsecond=0)
    writer = (
        LandingWriter(source, run_id, root=landing_root) if landing_root else LandingWriter(source, run_id)
    )
    first_line: dict[str, int] = {}
    ids: set[str] = set()
    observed: list[datetime] = []
    for line, record in rows:
        raw_ref = f"{path.name}#line={line}"
        url = f"partner-feed:{provider}/{path.name}"
        if not isinstance(record, dict):
            writer.write_quarantine(_reason_text(record), _record_text(record), raw_ref, url)
            continue
        reasons, item = _check_row(record, source, max_reward, snapshot_at)
        mission_id = record.get("mission_id")
        if isinstance(mission_id, str) and mission_id.strip():
            key = mission_id.strip()
            if key in first_line:
                reasons.append(f"mission_id: duplicate of line {first_line[key]}")
            else:
                first_line[key] = line
        if item is not None and not reasons:
            item.update(run_id=run_id, raw_ref=raw_ref, url=url)
            reasons += validate(item)  # the contract has the last word
        if reasons or item is None:
            writer.write_quarantine("; ".join(reasons), _record_text(record), raw_ref, url)
            continue
        writer.write_item(item)
        ids.add(item["listing_id"])
        observed.append(datetime.fromisoformat(item["observed_at"].replace("Z", "+00:00")))
    rows_total = len(rows)
    failures = [] if writer.items else ["zero items"]
    complete = bool(meta.get("complete_snapshot", False))
    now = datetime.now(UTC).replace(microsecond=0)
    manifest = {
        "spider": "partner_feed",
        "base_url": f"partner-feed:{provider}/{path.name}",
        "clock": "server",  # observation times are the feed's own (snapshot_at / observed_at), not ours
        "started_at": utc_iso(min(observed) if observed else snapshot_at),
        "finished_at": utc_iso(max(observed) if observed else snapshot_at),
        "wall_started_at": utc_iso(wall_started),
        "wall_finished_at": utc_iso(now),
        "pages": 1,
        "page_errors": 0,
        "request_failures": 0,
        "errors": 0,
        "retries": 0,
        "finish_reason": "finished",
        "status": "failed" if failures else "ok",
        "failures": failures,
        # A donated feed is a sample, not a census: only a complete snapshot says how many missions
        # exist, and only then may the warehouse infer flows from what vanished between two feeds.
        "results_reported": rows_total if complete else None,
        "results_seen": len(ids),
        "coverage": (1.0 if rows_total == 0 else min(1.0, len(ids) / rows_total)) if complete else None,
        "hits_available_reported": None,
        "items_invalid": rows_total - writer.items,
        "feed": {
            "file": path.name,
            "format": fmt,
            "rows": rows_total,
            "provider": meta["provider"],
            "consent_ref": meta["consent_ref"],
            "snapshot_at": utc_iso(snapshot_at),
            "complete_snapshot": complete,
            "format_version": meta["format_version"],
        },
    }
    return writer.close(manifest)


# ------------------------------------------------------------------------------------------------ metadata


def read_metadata(path: Path, provider: str) -> dict[str, Any]:
    """The feed's sidecar ``<file>.meta.json``, checked: without a consent reference nothing is imported."""
    meta_path = path.with_name(path.name + ".meta.json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FeedError(
            f"{path.name}: metadata file {meta_path.name} is missing (provider, consent_ref, "
            "snapshot_at: see docs/partner-feed.md)"
        ) from None
    except (OSError, ValueError) as exc:
        raise FeedError(f"{meta_path.name}: unreadable: {exc}") from None
    if not isinstance(meta, dict):
        raise FeedError(f"{meta_path.name}: must be a JSON object")
    problems = []
    if meta.get("format_version") != FORMAT_VERSION:
        problems.append(f"format_version must be {FORMAT_VERSION}")
    for key in ("provider", "consent_ref"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            problems.append(f"{key}: required, non-empty text")
    if isinstance(meta.get("provider"), str) and meta["provider"] != provider:
        problems.append(f"provider {meta['provider']!r} does not match the importer's {provider!r}")
    snapshot, why = _timestamp(meta.get("snapshot_at"))
    if snapshot is None:
        problems.append(f"snapshot_at: {why}")
    if "complete_snapshot" in meta and not isinstance(meta["complete_snapshot"], bool):
        problems.append("complete_snapshot: must be true or false")
    if problems:
        raise FeedError(f"{meta_path.name}: " + "; ".join(problems))
    return {**meta, "snapshot_at": snapshot}


# ------------------------------------------------------------------------------------------------ reading


def _format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    raise FeedError(f"{path.name}: unknown feed format (expected .jsonl, .ndjson or .csv, optionally .gz)")


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


class _BadLine:
    """A line that is not a JSON object (kept with its reason, quarantined like a bad row)."""

    def __init__(self, reason: str, text: str) -> None:
        self.reason, self.text = reason, text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _iter_rows(path: Path, fmt: str) -> Iterator[tuple[int, Any]]:
    """(line number, row) for every data row; CSV rows are dicts of text, JSONL rows parsed objects."""
    try:
        with _open_text(path) as f:
            if fmt == "jsonl":
                for n, text in enumerate(f, start=1):
                    if not text.strip():
                        continue
                    try:
                        obj = json.loads(
                            text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant
                        )
                    except ValueError as exc:
                        yield n, _BadLine(f"not valid JSON: {exc}", text)
                        continue
                    yield n, obj if isinstance(obj, dict) else _BadLine("not a JSON object", text)
                return
            reader = csv.DictReader(f, strict=True)
            header = reader.fieldnames or []
            _check_header(header)
            start = reader.line_num + 1
            for row in reader:
                if None in row:  # more cells than columns
                    yield start, _BadLine("more cells than the header has columns", json.dumps(row[None]))
                else:
                    yield start, {k: v for k, v in row.items() if v not in (None, "")}
                start = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error, OSError, EOFError) as exc:
        raise FeedError(f"{path.name}: unreadable: {exc}") from None


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()


def _identity_columns(keys: Any) -> list[str]:
    return sorted(
        k
        for k in keys
        if isinstance(k, str) and k not in ALLOWED_COLUMNS and IDENTITY_COLUMN_RE.search(_snake(k))
    )


def _check_header(header: list[str]) -> None:
    identity = _identity_columns(header)
    if identity:
        raise FeedError(
            f"column(s) {identity} look like worker identities: a feed must carry none; "
            "remove them at the source"
        )
    unknown = sorted(set(header) - ALLOWED_COLUMNS)
    if unknown:
        raise FeedError(f"unknown column(s) {unknown}; allowed: {sorted(ALLOWED_COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FeedError(f"missing column(s) {missing}")


def _refuse_identity_columns(rows: list[tuple[int, Any]], fmt: str) -> None:
    if fmt != "jsonl":
        return  # the CSV header was checked as it was read
    found: set[str] = set()
    lines: list[int] = []
    for line, record in rows:
        if isinstance(record, dict):
            bad = _identity_columns(record)
            if bad:
                found.update(bad)
                lines.append(line)
    if found:
        raise FeedError(
            f"field(s) {sorted(found)} look like worker identities (lines {lines[:10]}): a feed "
            "must carry none; remove them at the source"
        )


# ------------------------------------------------------------------------------------------------ rows


def _check_row(
    record: dict[str, Any], source: str, max_reward: Decimal, snapshot_at: datetime
) -> tuple[list[str], dict[str, Any] | None]:
    """Every reason a row is refused, and its item when there is none."""
    reasons: list[str] = []
    unknown = sorted(k for k in record if k not in ALLOWED_COLUMNS)
    if unknown:
        reasons.append(f"unknown field(s) {unknown}")
    for key in REQUIRED_COLUMNS:
        if record.get(key) is None or (isinstance(record[key], str) and not record[key].strip()):
            reasons.append(f"{key}: missing")
    mission_id = record.get("mission_id")
    if mission_id is not None and not (
        isinstance(mission_id, str) and _MISSION_ID_RE.match(mission_id.strip())
    ):
        reasons.append("mission_id: must be text of 1-200 letters, digits or _.:/-")
    reward = _amount(record.get("reward"), "reward", reasons)
    if reward is not None and reward > max_reward:
        reasons.append(f"reward: {reward} is above the plausibility ceiling {max_reward}")
    currency = record.get("currency")
    if currency is not None and not (
        isinstance(currency, str)
        and re.fullmatch(r"[A-Z]{3}", currency)
        and pycountry.currencies.get(alpha_3=currency)
    ):
        reasons.append(f"currency: {_short(currency)} is not an ISO 4217 code")
    posted = _required_time(record, "posted_at", reasons)
    expires = _required_time(record, "expires_at", reasons)
    if posted and expires and expires < posted:
        reasons.append("expires_at: before posted_at")
    observed = snapshot_at
    if record.get("observed_at") is not None:
        observed_value, why = _timestamp(record["observed_at"])
        if observed_value is None:
            reasons.append(f"observed_at: {why}")
        else:
            observed = observed_value
    lat = _coordinate(record.get("lat"), "lat", 90, reasons)
    lon = _coordinate(record.get("lon"), "lon", 180, reasons)
    if lat == 0 and lon == 0:
        reasons.append("lat/lon: 0,0 is a missing position, not a store")
    platform = record.get("platform")
    if platform is not None and (not isinstance(platform, str) or platform.strip().lower() != source):
        reasons.append(f"platform: {_short(platform)} is not this feed's source {source!r}")
    country = record.get("country")
    if country is not None and not (
        isinstance(country, str)
        and re.fullmatch(r"[A-Za-z]{2}", country.strip())
        and pycountry.countries.get(alpha_2=country.strip().upper())
    ):
        reasons.append(f"country: {_short(country)} is not an ISO 3166-1 alpha-2 code")
    texts = {k: _text(record.get(k), k, reasons) for k in ("store_type", "brand", "locality")}
    if reasons:
        return reasons, None
    assert reward is not None and lat is not None and lon is not None and posted and expires
    item = empty_item(source)
    store_type = texts["store_type"] or ""
    item.update(
        listing_id=mission_id.strip(),  # type: ignore[union-attr]
        observed_at=utc_iso(observed),
        # The feed has no title: it is made from the store type and brand, and says so by its form.
        title=f"{store_type} mission" + (f" ({texts['brand']})" if texts["brand"] else ""),
        category=store_type,
        pay_basis="per_task",
        reward_amount=decimal_str(reward),
        reward_currency=currency,
        slots_available=1,
        slots_total=1,
        posted_at=utc_iso(posted),
        expires_at=utc_iso(expires),
        location={
            "lat": lat,
            "lon": lon,
            "locality": texts["locality"],
            "region_code": None,
            "country": country.strip().upper() if isinstance(country, str) else None,
        },
    )
    return reasons, item


def _amount(value: Any, key: str, reasons: list[str]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        reasons.append(f"{key}: not a number")
        return None
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        reasons.append(f"{key}: {_short(value)} is not a decimal number")
        return None
    if not amount.is_finite() or amount < 0:
        reasons.append(f"{key}: must be a finite amount >= 0")
        return None
    if not _DECIMAL_RE.match(format(amount.normalize(), "f")):
        reasons.append(f"{key}: {text} has more than 12 digits or 6 decimals")
        return None
    return amount


def _coordinate(value: Any, key: str, bound: int, reasons: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        reasons.append(f"{key}: not a number")
        return None
    try:
        number = float(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        reasons.append(f"{key}: {_short(value)} is not a number")
        return None
    if not math.isfinite(number) or not -bound <= number <= bound:
        reasons.append(f"{key}: {_short(value)} outside -{bound}..{bound}")
        return None
    return number


def _timestamp(value: Any) -> tuple[datetime | None, str]:
    """An ISO 8601 timestamp that carries its offset; anything else is refused, never guessed."""
    if not isinstance(value, str) or not value.strip():
        return None, "missing or not text"
    text = value.strip()
    if len(text) > 40 or not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return None, f"{_short(value)} is not an ISO 8601 date and time"
    try:
        when = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None, f"{_short(value)} is not an ISO 8601 date and time"
    if when.tzinfo is None or when.utcoffset() is None:
        return None, f"{_short(value)} has no UTC offset"
    return when.astimezone(UTC), ""


def _required_time(record: dict[str, Any], key: str, reasons: list[str]) -> datetime | None:
    if record.get(key) is None:
        return None
    when, why = _timestamp(record[key])
    if when is None:
        reasons.append(f"{key}: {why}")
    return when


def _text(value: Any, key: str, reasons: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        reasons.append(f"{key}: not text")
        return None
    text = " ".join(_CONTROL_RE.sub(" ", value).split())
    if len(text) > _TEXT_MAX[key]:
        reasons.append(f"{key}: longer than {_TEXT_MAX[key]} characters")
        return None
    return text or None


def _short(value: Any) -> str:
    return repr(str(value)[:60])


def _reason_text(record: Any) -> str:
    return record.reason if isinstance(record, _BadLine) else "not a JSON object"


def _record_text(record: Any) -> Any:
    if isinstance(record, _BadLine):
        return record.text[:PROBLEM_RECORD_MAX]
    return json.loads(json.dumps(record, default=str))
