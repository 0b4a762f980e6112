"""Building landing runs by hand, for loader tests that need exact, known sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from observatory.contract import empty_item, utc_iso
from observatory.landing import LandingWriter

T0 = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)


def listing(listing_id: str, slots: int, *, reward: str = "0.10", countries: list[str] | None = None,
            expires: datetime | None = None, title: str | None = None) -> dict[str, Any]:
    item = empty_item("mturk")
    item.update(
        listing_id=listing_id, url=f"http://127.0.0.1/projects/{listing_id}/tasks",
        title=title or f"Task {listing_id}", pay_basis="per_task", reward_amount=reward,
        reward_currency="USD", slots_available=slots, worker_countries=countries or [],
        expires_at=utc_iso(expires or T0 + timedelta(days=30)), requester_id="AREQ1",
        requester_name="person_x", time_allotted_s=600,
    )
    return item


def land_run(at: datetime, listings: list[dict[str, Any]], *, reported: int | None = None,
             status: str = "ok", run_id: str | None = None, raw_items: list[Any] | None = None) -> str:
    """Seal one run observed at ``at`` holding ``listings``; return its run id."""
    run_id = run_id or f"mturk-{at.strftime('%Y%m%dT%H%M%SZ')}-test"
    w = LandingWriter("mturk", run_id)
    for item in listings:
        w.write_item({**item, "observed_at": utc_iso(at), "run_id": run_id, "raw_ref": f"test#{item['listing_id']}"})
    for raw in raw_items or []:
        w.write_item(raw)
    seen = len(listings)
    reported = seen if reported is None else reported
    w.close({
        "spider": "mturk", "base_url": "test", "clock": "server", "started_at": utc_iso(at),
        "finished_at": utc_iso(at), "pages": 1, "errors": 0, "retries": 0, "finish_reason": "finished",
        "status": status, "failures": [] if status == "ok" else ["zero items"], "results_reported": reported,
        "results_seen": seen, "coverage": (seen / reported) if reported else 1.0,
    })
    return run_id
