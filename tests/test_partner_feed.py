"""Partner / data-donation feeds of geolocated missions: good rows land as contract items, every kind of
bad row is quarantined with its reason, identities and feeds without consent are refused whole."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from observatory.contract import validate
from observatory.landing import read_items
from observatory.partner_feed import FeedError, import_feed

META = {
    "format_version": 1,
    "provider": "donors-coop",
    "consent_ref": "DPA-2026-014",
    "snapshot_at": "2026-09-01T10:00:00+02:00",
}

GOOD = {
    "mission_id": "rm-1001",
    "reward": "4.50",
    "currency": "EUR",
    "posted_at": "2026-09-01T07:30:00+02:00",
    "expires_at": "2026-09-03T20:00:00+02:00",
    "lat": "51.0543",
    "lon": "3.7174",
    "store_type": "supermarket",
    "brand": "Acme Foods",
    "platform": "roamler",
    "country": "BE",
    "locality": "Gent",
}
GOOD_MINIMAL = {
    "mission_id": "rm-1002",
    "reward": "3",
    "currency": "EUR",
    "posted_at": "2026-09-01T06:00:00Z",
    "expires_at": "2026-09-02T06:00:00Z",
    "lat": "52.09",
    "lon": "5.12",
    "store_type": "pharmacy",
    "platform": "roamler",
    "observed_at": "2026-09-01T09:15:00+00:00",
}

#: (row changes, expected reason) for every kind of bad row; each row gets its own mission id.
BAD: list[tuple[dict[str, Any], str]] = [
    ({"reward": "-1"}, "reward: must be a finite amount >= 0"),
    ({"reward": "25000"}, "reward: 25000 is above the plausibility ceiling 1000"),
    ({"reward": "four"}, "reward: 'four' is not a decimal number"),
    ({"currency": "EUX"}, "currency: 'EUX' is not an ISO 4217 code"),
    ({"currency": "eur"}, "currency: 'eur' is not an ISO 4217 code"),
    ({"posted_at": "2026-09-01T07:30:00"}, "posted_at: '2026-09-01T07:30:00' has no UTC offset"),
    ({"expires_at": "next week"}, "expires_at: 'next week' is not an ISO 8601 date and time"),
    ({"expires_at": "2026-09-01T07:00:00+02:00"}, "expires_at: before posted_at"),
    ({"lat": "91.5"}, "lat: '91.5' outside -90..90"),
    ({"lon": "-180.01"}, "lon: '-180.01' outside -180..180"),
    ({"lat": "0", "lon": "0"}, "lat/lon: 0,0 is a missing position"),
    ({"store_type": None}, "store_type: missing"),
    ({"platform": "mobeye"}, "platform: 'mobeye' is not this feed's source 'roamler'"),
    ({"country": "XX"}, "country: 'XX' is not an ISO 3166-1 alpha-2 code"),
    ({"mission_id": "rm-1001"}, "mission_id: duplicate of line {first}"),
]


def _rows() -> list[dict[str, Any]]:
    rows = [dict(GOOD), dict(GOOD_MINIMAL)]
    for n, (change, _) in enumerate(BAD):
        row = {**GOOD, "mission_id": f"bad-{n}", **change}
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _write(
    tmp_path: Path,
    fmt: str,
    rows: list[dict[str, Any]],
    meta: dict | None = None,
    columns: list[str] | None = None,
) -> Path:
    path = tmp_path / f"roamler-2026-09-01.{fmt}"
    if fmt == "csv":
        cols = columns or [
            "mission_id",
            "reward",
            "currency",
            "posted_at",
            "expires_at",
            "lat",
            "lon",
            "store_type",
            "brand",
            "platform",
            "country",
            "locality",
            "observed_at",
        ]
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=cols)
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    path.with_name(path.name + ".meta.json").write_text(json.dumps(meta or META))
    return path


def _quarantine(manifest_path: Path, manifest: dict) -> dict[str, str]:
    with gzip.open(manifest_path.parent / manifest["quarantine_file"], "rt") as f:
        return {(row := json.loads(line))["raw_ref"]: row["reason"] for line in f}


def _first_line(fmt: str) -> int:
    return 2 if fmt == "csv" else 1  # CSV line 1 is the header


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_good_rows_land_and_every_bad_row_is_quarantined_with_its_reason(
    home: Path, tmp_path: Path, fmt: str
) -> None:
    path = _write(tmp_path, fmt, _rows())
    manifest_path = import_feed(path, "roamler", "donors-coop", run_id=f"roamler-feed-{fmt}")
    manifest = json.loads(manifest_path.read_text())
    assert manifest_path == home / "landing" / "roamler" / f"roamler-feed-{fmt}.manifest.json"
    assert manifest["status"] == "ok" and manifest["failures"] == []
    assert manifest["items"] == 2 and manifest["quarantined"] == len(BAD)
    assert manifest["feed"]["consent_ref"] == "DPA-2026-014" and manifest["feed"]["provider"] == "donors-coop"
    assert manifest["coverage"] is None, "a feed that is not a complete snapshot says nothing of coverage"

    items = {i["listing_id"]: i for i in read_items(manifest_path.parent / manifest["items_file"])}
    assert set(items) == {"rm-1001", "rm-1002"}
    for item in items.values():
        assert validate(item) == []
        assert item["pay_basis"] == "per_task" and item["slots_available"] == 1
        assert item["source"] == "roamler" and item["run_id"] == f"roamler-feed-{fmt}"
    first = items["rm-1001"]
    line = _first_line(fmt)
    assert first["raw_ref"] == f"{path.name}#line={line}"
    assert first["reward_amount"] == "4.5" and first["reward_currency"] == "EUR"
    assert first["posted_at"] == "2026-09-01T05:30:00Z" and first["expires_at"] == "2026-09-03T18:00:00Z"
    assert first["observed_at"] == "2026-09-01T08:00:00Z"  # the feed's snapshot time, in UTC
    assert first["location"] == {
        "lat": 51.0543,
        "lon": 3.7174,
        "locality": "Gent",
        "region_code": None,
        "country": "BE",
    }
    assert first["title"] == "supermarket mission (Acme Foods)" and first["category"] == "supermarket"
    second = items["rm-1002"]
    assert (
        second["location"]["country"] is None and second["location"]["locality"] is None
    )  # unknown, not guessed
    assert second["observed_at"] == "2026-09-01T09:15:00Z"  # the row's own observation time wins

    reasons = _quarantine(manifest_path, manifest)
    for n, (_, expected) in enumerate(BAD):
        ref = f"{path.name}#line={line + 2 + n}"
        assert expected.format(first=line) in reasons[ref], (ref, reasons[ref])
    assert (
        manifest["started_at"] == "2026-09-01T08:00:00Z" and manifest["finished_at"] == "2026-09-01T09:15:00Z"
    )


def test_jsonl_lines_that_are_not_objects_or_numbers_are_quarantined(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        json.dumps(GOOD)
        + "\n\n"
        + "not json\n"
        + "[1, 2]\n"
        + json.dumps({**GOOD, "mission_id": "nan-1"}).replace('"51.0543"', "NaN")
        + "\n"
        + json.dumps({**GOOD, "mission_id": 77})
        + "\n"
    )
    path.with_name(path.name + ".meta.json").write_text(json.dumps(META))
    manifest_path = import_feed(path, "roamler", "donors-coop", run_id="roamler-feed-lines")
    manifest = json.loads(manifest_path.read_text())
    reasons = _quarantine(manifest_path, manifest)
    assert manifest["items"] == 1
    assert reasons["feed.jsonl#line=3"].startswith("not valid JSON")
    assert reasons["feed.jsonl#line=4"] == "not a JSON object"
    assert reasons["feed.jsonl#line=5"].startswith("not valid JSON")  # NaN is not a number
    assert "mission_id: must be text" in reasons["feed.jsonl#line=6"]


def test_a_csv_row_with_extra_cells_is_quarantined(home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "csv", [GOOD])
    with open(path, "a", encoding="utf-8") as f:
        f.write("rm-2,1,EUR,2026-09-01T06:00:00Z,2026-09-02T06:00:00Z,50,4,shop,,roamler,BE,Gent,,EXTRA\n")
    manifest_path = import_feed(path, "roamler", "donors-coop", run_id="roamler-feed-extra")
    reasons = _quarantine(manifest_path, json.loads(manifest_path.read_text()))
    assert reasons[f"{path.name}#line=3"] == "more cells than the header has columns"


@pytest.mark.parametrize(
    "fmt, column",
    [("csv", "worker_id"), ("csv", "Email"), ("jsonl", "userName"), ("jsonl", "roamler_nickname")],
)
def test_a_feed_with_worker_identities_is_refused_whole(
    home: Path, tmp_path: Path, fmt: str, column: str
) -> None:
    rows = [dict(GOOD), {**GOOD_MINIMAL, column: "Jane Doe"}]
    columns = None
    if fmt == "csv":
        columns = [*GOOD.keys(), "observed_at", column]
    path = _write(tmp_path, fmt, rows, columns=columns)
    with pytest.raises(FeedError, match="worker identities"):
        import_feed(path, "roamler", "donors-coop", run_id="roamler-feed-identity")
    assert not (home / "landing" / "roamler").exists(), "nothing may be written, not even to quarantine"


@pytest.mark.parametrize(
    "meta, expected",
    [
        ({k: v for k, v in META.items() if k != "consent_ref"}, "consent_ref: required"),
        ({**META, "provider": "someone-else"}, "does not match the importer's 'donors-coop'"),
        ({**META, "snapshot_at": "2026-09-01 10:00"}, "snapshot_at"),
        ({**META, "format_version": 2}, "format_version must be 1"),
    ],
)
def test_feed_metadata_is_required_and_checked(home: Path, tmp_path: Path, meta: dict, expected: str) -> None:
    path = _write(tmp_path, "jsonl", [GOOD], meta=meta)
    with pytest.raises(FeedError, match=expected):
        import_feed(path, "roamler", "donors-coop")
    path.with_name(path.name + ".meta.json").unlink()
    with pytest.raises(FeedError, match="metadata file"):
        import_feed(path, "roamler", "donors-coop")


def test_unknown_csv_columns_are_refused(home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "csv", [GOOD], columns=[*GOOD.keys(), "colour"])
    with pytest.raises(FeedError, match="unknown column"):
        import_feed(path, "roamler", "donors-coop")


def test_a_feed_with_no_valid_row_is_a_failed_run(home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "jsonl", [{**GOOD, "currency": "XYZ"}])
    manifest = json.loads(
        import_feed(path, "roamler", "donors-coop", run_id="roamler-feed-empty").read_text()
    )
    assert manifest["status"] == "failed" and manifest["failures"] == ["zero items"]
    assert manifest["items"] == 0 and manifest["quarantined"] == 1


def test_a_complete_snapshot_reports_coverage_and_the_run_loads(home: Path, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "csv",
        [GOOD, GOOD_MINIMAL, {**GOOD, "mission_id": "x", "lat": "100"}],
        meta={**META, "complete_snapshot": True},
    )
    manifest_path = import_feed(path, "roamler", "donors-coop", run_id="roamler-feed-complete")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["results_reported"] == 3 and manifest["results_seen"] == 2
    assert manifest["coverage"] == pytest.approx(2 / 3)
    from observatory import pipeline

    report = pipeline.load("roamler")
    assert [r.status for r in report.results] == ["loaded"]
