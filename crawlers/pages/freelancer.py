"""Freelancer.com page objects: pure functions of a saved API response.

Formats read (Freelancer's public, keyless JSON API, version 0.1):

* ``GET /api/projects/0.1/projects/active/`` (``{"status": "success", "result": {"projects": [...],
  "users": {"<id>": {...}}, "total_count": N}}``): :func:`parse_projects_active`, one contract item per
  project. Proven on a real response of 2021-09-20 (``shared/fixtures/freelancer``).
* ``GET /api/projects/0.1/budgets/`` (currencies and named budget tiers): :func:`budget_tiers`, used by
  :func:`microwork_like`.

Where each contract field comes from (``parse_projects_active``):

=====================  ==================================================================================
listing_id             ``id`` (as text)
url                    ``https://<origin of the page>/projects/<seo_url>``; the page URL when no seo_url
title                  ``title``
description            ``description`` (full text with ``full_description=true``), else
                       ``preview_description``
requester_id           ``owner_id`` (as text)
requester_name         ``result.users[owner_id].username`` (pseudonymised later by the pipeline)
category               the category of the first entry of ``jobs`` (Freelancer's skills). Projects list
                       skills from several categories (4 of the 10 fixture projects do); the first is the
                       one the employer picked first, and is kept as is rather than outvoted
pay_basis              ``type``: "fixed" -> ``fixed_project``, "hourly" -> ``hourly``
reward_amount(_max)    ``budget.minimum`` / ``budget.maximum`` (maximum null when absent)
reward_currency        ``currency.code``
posted_at              ``time_submitted`` (epoch seconds), else ``submitdate``
employer_country       ``users[owner_id].location.country.code`` (lower case: "za"), else its ``name``
location               only for ``local`` projects with coordinates (``location.latitude/longitude``,
                       ``location.city``, ``location.country``): the place the on-site work is done
=====================  ==================================================================================

Left null, and why: ``expires_at`` (``bidperiod`` is a bidding period of 7 days on every fixture project,
but Freelancer projects stay listed past it until awarded or closed, and close early when awarded: an
expiry derived from it would be invented); ``slots_available``/``slots_total`` (a project is one job, but
the API does not say how many freelancers will be hired); ``time_allotted_s``/``time_estimate_s`` (not
published); ``worker_countries`` (the API's location is the work's place for local jobs, not a rule on
where freelancers must live).

Records that cannot be used go to ``ListingPage.problems``: no id, no title, unknown ``type``, no
``budget.minimum``, no or non-ISO currency. One bad project never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

from crawlers.pages.common import (
    ListingPage,
    PageFormatError,
    RecordError,
    check_observed_at,
    clean_text,
    load_json,
    money,
    problem,
    safe_http_url,
    warn,
)
from observatory.contract import empty_item, utc_iso
from observatory.normalize import country_code, currency_code, to_utc_checked

SOURCE = "freelancer"

#: The API path of the active-projects listing.
ACTIVE_PROJECTS_PATH = "/api/projects/0.1/projects/active/"

#: Freelancer's category of small office tasks (``/api/projects/0.1/categories/``: 4 = "Data Entry &
#: Admin"), the one that overlaps microwork.
MICROWORK_CATEGORY_IDS = frozenset({4})
MICROWORK_CATEGORY_NAMES = frozenset({"data entry & admin"})

_PAY_BASIS = {"fixed": "fixed_project", "hourly": "hourly"}


@dataclass(frozen=True)
class BudgetTier:
    """One of Freelancer's named budget tiers (``/budgets/``) in one currency."""

    name: str
    minimum: Decimal
    maximum: Decimal | None


#: The smallest tier per (currency, project type) for US dollars, as the budgets API published them in
#: 2018 (``shared/fixtures/freelancer/budgets_2018.json``: fixed "Micro Project" USD 10-30, hourly "Basic"
#: USD 2-8). Used when no fresher :func:`budget_tiers` answer is given; other currencies are then judged
#: by category only.
DEFAULT_SMALLEST_TIERS: dict[tuple[str, str], BudgetTier] = {
    ("USD", "fixed"): BudgetTier("Micro Project", Decimal(10), Decimal(30)),
    ("USD", "hourly"): BudgetTier("Basic", Decimal(2), Decimal(8)),
}


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | int):
        dec = Decimal(value)
        return dec if dec.is_finite() and dec >= 0 else None
    return None


def budget_tiers(body: bytes | str) -> dict[tuple[str, str], BudgetTier]:
    """The smallest budget tier per (ISO currency, project type) from a ``/budgets/`` response.

    The response lists ``currencies`` (id -> code) and ``budgets`` (``currency_id``, ``project_type``,
    ``name``, ``minimum``, ``maximum``); for each currency and type the tier with the lowest minimum is
    kept (USD: fixed "Micro Project" 10-30, hourly "Basic" 2-8). Tiers with an unknown currency id or
    type are skipped. Raises :class:`PageFormatError` if the body has no ``currencies`` and ``budgets``.
    """
    doc = load_json(body)
    result = doc.get("result") if isinstance(doc, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("currencies"), dict) \
            or not isinstance(result.get("budgets"), list):
        raise PageFormatError("budgets response has no 'currencies' map and 'budgets' list")
    codes: dict[str, str] = {}
    for key, cur in result["currencies"].items():
        code = currency_code(cur.get("code")) if isinstance(cur, dict) else None
        if code:
            codes[str(key)] = code
    smallest: dict[tuple[str, str], BudgetTier] = {}
    for tier in result["budgets"]:
        if not isinstance(tier, dict):
            continue
        code = codes.get(str(tier.get("currency_id")))
        kind = tier.get("project_type")
        low = _as_decimal(tier.get("minimum"))
        if code is None or kind not in _PAY_BASIS or low is None:
            continue
        current = smallest.get((code, kind))
        if current is None or low < current.minimum:
            smallest[(code, kind)] = BudgetTier(clean_text(tier.get("name")) or "", low,
                                                _as_decimal(tier.get("maximum")))
    return smallest


def microwork_like(project: dict, tiers: dict[tuple[str, str], BudgetTier] | None = None,
                   ) -> tuple[bool, str]:
    """Whether a project looks like microwork, and why: a flag for analysis, never a filter.

    True when any of its skills is in the "Data Entry & Admin" category (id 4), or when its whole budget
    lies inside Freelancer's smallest tier for its currency and type (``tiers`` from :func:`budget_tiers`;
    by default :data:`DEFAULT_SMALLEST_TIERS`, US dollars only). A budget partly above the tier is not
    inside it. The contract has no field for this flag, so the warehouse can recompute it from the
    item's category, pay basis, amounts and currency with the same tiers.
    """
    if not isinstance(project, dict):
        return False, "not a project record"
    for job in project.get("jobs") or []:
        category = job.get("category") if isinstance(job, dict) else None
        if isinstance(category, dict) and (
                category.get("id") in MICROWORK_CATEGORY_IDS
                or str(category.get("name", "")).strip().casefold() in MICROWORK_CATEGORY_NAMES):
            return True, f"skill {clean_text(job.get('name'))!s} is in category Data Entry & Admin"
    tiers = DEFAULT_SMALLEST_TIERS if tiers is None else tiers
    currency = project.get("currency")
    code = currency_code(currency.get("code")) if isinstance(currency, dict) else None
    kind = project.get("type")
    budget = project.get("budget") if isinstance(project.get("budget"), dict) else {}
    low, high = _as_decimal(budget.get("minimum")), _as_decimal(budget.get("maximum"))
    tier = tiers.get((code, kind)) if code else None
    if tier is None:
        return False, f"not in Data Entry & Admin; no budget tier known for {code} {kind}"
    if low is None:
        return False, "not in Data Entry & Admin; no budget minimum"
    top = high if high is not None else low
    if low >= tier.minimum and (tier.maximum is None or top <= tier.maximum):
        return True, (f"budget {low}-{top} {code} within the smallest {kind} tier "
                      f"'{tier.name}' ({tier.minimum}-{tier.maximum} {code})")
    return False, f"not in Data Entry & Admin; budget {low}-{top} {code} above tier '{tier.name}'"


def parse_projects_active(body: bytes | str, url: str, observed_at: datetime) -> ListingPage:
    """Parse one page of ``/api/projects/0.1/projects/active/`` into contract items (see the module
    docstring for the field mapping).

    ``total_results`` is ``result.total_count``; ``page_number`` is derived from the URL's ``offset`` and
    ``limit`` when both are there. Raises :class:`PageFormatError` when the body is not JSON, reports a
    status other than "success", or has no ``result.projects`` list.
    """
    observed = check_observed_at(observed_at)
    doc = load_json(body)
    if not isinstance(doc, dict):
        raise PageFormatError("response is not a JSON object")
    if doc.get("status") not in (None, "success"):
        raise PageFormatError(f"API status {clean_text(str(doc.get('status')))!r}: "
                              f"{clean_text(str(doc.get('message', '')))}"[:300])
    result = doc.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("projects"), list):
        raise PageFormatError("response has no result.projects list")
    users = result.get("users") if isinstance(result.get("users"), dict) else {}
    items: list[dict] = []
    problems: list[dict] = []
    warnings: list[dict] = []
    for project in result["projects"]:
        try:
            items.append(_project_item(project, users, url, observed, warnings))
        except RecordError as exc:
            problems.append(problem(str(exc), project))
    total = result.get("total_count")
    total_results = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None
    return ListingPage(items=items, total_results=total_results, hits_available=None,
                       page_number=_page_number(url), problems=problems, warnings=warnings)


def _page_number(url: str) -> int | None:
    query = parse_qs(urlsplit(url).query)
    try:
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
    except (KeyError, ValueError, IndexError):
        return None
    return offset // limit + 1 if limit > 0 and offset >= 0 else None


def _project_item(project: Any, users: dict, url: str, observed: str, warnings: list[dict]) -> dict:
    if not isinstance(project, dict):
        raise RecordError("project is not an object")
    pid = project.get("id")
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        raise RecordError(f"project id {pid!r} is not a positive integer")
    listing_id = str(pid)
    title = clean_text(project.get("title"), "title")
    if title is None:
        raise RecordError("empty or missing title")
    pay_basis = _PAY_BASIS.get(project.get("type"))  # type: ignore[arg-type]
    if pay_basis is None:
        raise RecordError(f"project type {clean_text(str(project.get('type')))!r} is neither fixed nor hourly")
    budget = project.get("budget")
    if not isinstance(budget, dict) or budget.get("minimum") is None:
        raise RecordError("no budget.minimum")
    low = _as_decimal(budget["minimum"])
    if low is None:
        raise RecordError(f"budget.minimum {budget['minimum']!r} is not a non-negative number")
    currency = project.get("currency")
    code = currency_code(currency.get("code")) if isinstance(currency, dict) else None
    if code is None:
        raise RecordError("no ISO 4217 currency.code")

    item = empty_item(SOURCE)
    item.update(listing_id=listing_id, observed_at=observed, title=title, pay_basis=pay_basis,
                reward_amount=money(low), reward_currency=code)
    if budget.get("maximum") is not None:
        high = _as_decimal(budget["maximum"])
        if high is None or high < low:
            warn(warnings, listing_id, "reward_amount_max",
                 f"budget.maximum {budget['maximum']!r} is not a number at or above the minimum")
        else:
            item["reward_amount_max"] = money(high, "budget.maximum")
    item["url"] = _project_url(project, url, listing_id, warnings)
    item["description"] = (clean_text(project.get("description"), "description")
                           or clean_text(project.get("preview_description"), "description"))
    owner = project.get("owner_id")
    if isinstance(owner, int) and not isinstance(owner, bool):
        item["requester_id"] = str(owner)
        user = users.get(str(owner))
        if isinstance(user, dict):
            item["requester_name"] = clean_text(user.get("username"), "requester_name")
            item["employer_country"] = _user_country(user, listing_id, warnings)
        else:
            warn(warnings, listing_id, "employer_country", f"owner {owner} not in result.users")
    item["category"] = _first_category(project)
    for key in ("time_submitted", "submitdate"):
        if project.get(key) is not None:
            when, reason = to_utc_checked(project[key])
            if when is not None:
                item["posted_at"] = utc_iso(when)
                break
            warn(warnings, listing_id, "posted_at", f"{key}: {reason}")
    item["location"] = _local_location(project)
    return item


def _project_url(project: dict, url: str, listing_id: str, warnings: list[dict]) -> str:
    seo = project.get("seo_url")
    if isinstance(seo, str) and seo.strip():
        candidate = safe_http_url(urljoin(url, "/projects/" + quote(seo.strip().lstrip("/"), safe="/-_.~")))
        if candidate is not None:
            return candidate
    warn(warnings, listing_id, "url", "no usable seo_url: the API page URL is kept")
    return url


def _first_category(project: dict) -> str | None:
    jobs = project.get("jobs")
    if not isinstance(jobs, list):
        return None
    for job in jobs:
        category = job.get("category") if isinstance(job, dict) else None
        if isinstance(category, dict):
            name = clean_text(category.get("name"), "category")
            if name:
                return name
    return None


def _user_country(user: dict, listing_id: str, warnings: list[dict]) -> str | None:
    location = user.get("location")
    country = location.get("country") if isinstance(location, dict) else None
    if not isinstance(country, dict) or not country:
        return None
    for key in ("code", "name"):
        value = country.get(key)
        if isinstance(value, str) and value.strip():
            code = country_code(value)
            if code is not None:
                return code
            warn(warnings, listing_id, "employer_country", f"country {key} {value!r} is not an ISO country"[:300])
    return None


def _local_location(project: dict) -> dict | None:
    """On-site work only: Freelancer's ``local`` projects carry the place of the work."""
    if project.get("local") is not True:
        return None
    location = project.get("location")
    if not isinstance(location, dict):
        return None
    lat, lon = location.get("latitude"), location.get("longitude")
    if isinstance(lat, bool) or isinstance(lon, bool) or not isinstance(lat, int | Decimal) \
            or not isinstance(lon, int | Decimal) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    country = location.get("country")
    code = None
    if isinstance(country, dict):
        code = country_code(country.get("code")) or country_code(country.get("name"))
    return {"lat": float(lat), "lon": float(lon), "locality": clean_text(location.get("city"), "category"),
            "region_code": None, "country": code}


__all__ = [
    "ACTIVE_PROJECTS_PATH", "DEFAULT_SMALLEST_TIERS", "BudgetTier", "ListingPage", "PageFormatError",
    "SOURCE", "budget_tiers", "microwork_like", "parse_projects_active",
]
