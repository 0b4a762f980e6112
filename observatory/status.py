"""What was crawled when, how much landed, and how fresh the published figures are."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from observatory import config
from observatory.landing import iter_manifests


def collect(now: datetime | None = None) -> dict[str, Any]:
    """Gather the status from the landing zone and the published snapshot (never the writer's file,
    so status works while a load is running)."""
    now = now or datetime.now(UTC)
    paths = config.paths()
    sources: dict[str, dict[str, Any]] = {}
    for _, m in iter_manifests():
        if "_error" in m:
            continue
        s = sources.setdefault(m["source"], {"runs": 0, "failed": 0, "items": 0, "quarantined": 0,
                                              "last_crawl_at": None, "last_success_at": None})
        s["runs"] += 1
        s["items"] += m.get("items", 0)
        s["quarantined"] += m.get("quarantined", 0)
        s["failed"] += m.get("status") != "ok"
        s["last_crawl_at"] = max(filter(None, [s["last_crawl_at"], m.get("wall_finished_at")]), default=None)
        if m.get("status") == "ok":
            s["last_success_at"] = max(filter(None, [s["last_success_at"], m.get("wall_finished_at")]),
                                       default=None)
            s["last_observed_at"] = max(filter(None, [s.get("last_observed_at"), m.get("finished_at")]),
                                        default=None)
    for s in sources.values():
        if s["last_success_at"]:
            age = now - datetime.fromisoformat(s["last_success_at"].replace("Z", "+00:00"))
            s["freshness_minutes"] = round(age.total_seconds() / 60, 1)
    unsealed = sorted(str(p.relative_to(paths.home)) for p in paths.landing.glob("*/*.part"))
    published: dict[str, Any] = {"path": str(paths.published), "exists": paths.published.exists()}
    manifest = paths.published.with_name("manifest.json")
    if manifest.exists():
        published.update(json.loads(manifest.read_text()))
    return {"home": str(paths.home), "sources": sources, "unsealed_files": unsealed,
            "warehouse": str(paths.warehouse), "published": published}


def render(status: dict[str, Any]) -> str:
    lines = [f"data home: {status['home']}", ""]
    if not status["sources"]:
        lines.append("no crawl has landed yet: run `observatory crawl mturk` (or `observatory demo`)")
    for name, s in sorted(status["sources"].items()):
        lines.append(
            f"{name}: {s['runs']} runs ({s['failed']} failed), {s['items']} items, {s['quarantined']} quarantined; "
            f"last crawl {s['last_crawl_at']}, last success {s['last_success_at']}"
            + (f" ({s['freshness_minutes']} min ago)" if "freshness_minutes" in s else "")
            + (f"; newest observation {s['last_observed_at']}" if s.get("last_observed_at") else "")
        )
    if status["unsealed_files"]:
        lines.append(f"unsealed landing files (a crawl died before finishing): {', '.join(status['unsealed_files'])}")
    pub = status["published"]
    lines.append("")
    if pub.get("published_at"):
        lines.append(f"published snapshot: {pub['path']} at {pub['published_at']}")
        for table, n in pub.get("row_counts", {}).items():
            lines.append(f"  {table}: {n} rows")
    else:
        lines.append(f"no published snapshot yet at {pub['path']}: run `observatory load && observatory publish`")
    return "\n".join(lines)
