"""The data contract: one listing observation, shared by every spider, the landing zone and the loader.

The JSON Schema in ``schema/listing_observation.schema.json`` is the single definition; this module only
adds the helpers that page objects need to produce values in the contract's exact textual forms (decimal
strings, UTC timestamps ending in ``Z``), so that no parser formats money or time on its own.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_VERSION = 1

#: Every field of the contract, in the order DESIGN.md lists them.
FIELDS: tuple[str, ...] = (
    "source", "listing_id", "listing_id_derived", "observed_at", "run_id", "url", "title", "description",
    "requester_id", "requester_name", "category", "pay_basis", "reward_amount", "reward_amount_max",
    "reward_currency", "time_allotted_s", "time_estimate_s", "slots_available", "slots_total",
    "posted_at", "expires_at", "worker_countries", "worker_countries_excluded", "employer_country",
    "location", "raw_ref",
)

PAY_BASES = ("per_task", "hourly", "fixed_project")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The contract's JSON Schema, loaded once."""
    text = resources.files("observatory").joinpath("schema/listing_observation.schema.json").read_text()
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


def validate(item: dict[str, Any]) -> list[str]:
    """Return every way ``item`` breaks the contract (empty list = valid).

    All errors are returned, not just the first, so a quarantine row says everything that is wrong.
    Semantic checks the schema cannot express (max >= min) are added here.
    """
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<item>'}: {e.message}"
        for e in sorted(_validator().iter_errors(item), key=lambda e: list(map(str, e.absolute_path)))
    ]
    lo, hi = item.get("reward_amount"), item.get("reward_amount_max")
    if isinstance(lo, str) and isinstance(hi, str):
        try:
            if Decimal(hi) < Decimal(lo):
                errors.append("reward_amount_max: is below reward_amount")
        except InvalidOperation:
            pass  # already reported by the schema's pattern
    return errors


def empty_item(source: str) -> dict[str, Any]:
    """A contract-shaped dict with every optional field at its 'unknown' value (null / empty list)."""
    item: dict[str, Any] = dict.fromkeys(FIELDS)
    item.update(source=source, listing_id_derived=False, worker_countries=[], worker_countries_excluded=[])
    return item


def utc_iso(value: datetime) -> str:
    """Format an aware datetime as the contract's UTC form; naive datetimes are refused, not guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the contract needs an explicit time zone")
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 timestamp with an offset (``Z`` allowed) into an aware UTC datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return value.astimezone(UTC)


def decimal_str(value: Decimal | str | int) -> str:
    """Format a non-negative amount as the contract's plain decimal string (no exponent, no float)."""
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    if not dec.is_finite() or dec < 0:
        raise ValueError(f"amount {value!r} is not a finite non-negative number")
    text = format(dec.normalize(), "f")
    return text


def derived_listing_id(source: str, *invariant_parts: str | None) -> str:
    """A stable id from a listing's invariant content, for pages that hide the platform's id.

    The prefix ``h:`` keeps derived ids from ever colliding with real ones.
    """
    digest = hashlib.sha256("\x1f".join([source, *(p or "" for p in invariant_parts)]).encode()).hexdigest()
    return "h:" + digest[:32]
