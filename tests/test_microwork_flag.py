"""The warehouse's microwork-like flag on Freelancer listings, checked on the 10 real saved projects
against the page object's own rule (crawlers.pages.freelancer.microwork_like)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from crawlers.pages import freelancer
from observatory.contract import utc_iso
from observatory.landing import LandingWriter
from tests.conftest import FIXTURES
from warehouse import db
from warehouse.load import load_pending

WHEN = datetime(2021, 9, 20, 9, 0, tzinfo=UTC)


def test_flag_matches_the_page_objects_rule_on_real_projects(home: Path) -> None:
    body = (FIXTURES / "freelancer" / "projects_active_2021-09-20.json").read_bytes()
    page = freelancer.parse_projects_active(body, "https://www.freelancer.com/api/projects/0.1/projects/active/",
                                            WHEN)
    writer = LandingWriter("freelancer", "freelancer-20210920T090000Z-test")
    for item in page.items:
        writer.write_item({**item, "run_id": writer.run_id, "raw_ref": "fixture#0"})
    writer.close({"started_at": utc_iso(WHEN), "finished_at": utc_iso(WHEN), "status": "ok",
                  "finish_reason": "finished", "results_reported": None, "results_seen": len(page.items),
                  "coverage": None, "clock": "capture"})
    con = db.connect()
    assert [r.status for r in load_pending(con).results] == ["loaded"]
    flagged = dict(con.execute("SELECT listing_id, microwork_like FROM mart.listing_microwork_like").fetchall())
    con.close()

    projects = json.loads(body)["result"]["projects"]
    python = {str(p["id"]): freelancer.microwork_like(p)[0] for p in projects}
    first_category = {str(p["id"]): (p["jobs"][0]["category"]["name"] if p.get("jobs") else None)
                      for p in projects}
    assert len(flagged) == 10 and sum(flagged.values()) >= 1
    for pid, flag in python.items():
        # The warehouse sees only the item's category (the first skill's); the page object looks at every
        # skill. They may differ only for a project with a Data Entry & Admin skill listed after the first.
        if flag != flagged[pid]:
            assert flag and first_category[pid] != "Data Entry & Admin", pid
            assert any(j["category"]["name"] == "Data Entry & Admin" for j in
                       next(p for p in projects if str(p["id"]) == pid)["jobs"])
