"""The scale benchmark on a tiny generated market: it must keep running end to end (generate, load day by
day through the real load step, publish, time every dashboard query) and report figures that add up.
Nothing here asserts on time: the figures are checked for consistency, not speed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bench import generate_year, scale

DASHBOARD_QUERIES = {
    "freshness", "snapshot_times", "current_stock", "crawl_volume", "daily_volume", "daily_volume_total",
    "latest_listings", "crawl_runs", "quarantine_counts", "region_task_keys", "daily_wages",
    "region_task_volume", "oli_series", "oli_index",
}


def test_scale_bench_runs_end_to_end_on_a_small_market(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, work = tmp_path / "generated", tmp_path / "work"
    monkeypatch.setenv("OBSERVATORY_HOME", str(work))  # restored after the test (run() sets it too)
    generate_year.main(["--days", "3", "--listings", "60", "--interval-minutes", "120",
                        "--home", str(source)])
    landing = source / "landing" / "mturk"
    generated = sum(len(gzip.decompress(p.read_bytes()).splitlines()) for p in landing.glob("*.jsonl.gz"))
    out = tmp_path / "scale.json"
    result = scale.main(["--source", str(source), "--work", str(work), "--days", "3", "--repeat", "2",
                         "--extrapolate-days", "0", "--json", str(out)])

    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["days"] == 3 and len(result["per_day_seconds"]) == 3
    # every generated observation was loaded, and the warehouse holds exactly the generated runs
    assert result["observations"] == generated > 0
    assert result["row_counts"]["core.crawl_run"] == 3 * 12
    assert result["row_counts"]["raw.quarantine"] == 0
    # the four figures are computed from what was measured
    assert result["a"] > 0 and result["b"] > 0 and result["b_week_medians"] > 0
    assert result["c"] == pytest.approx((work / "warehouse.duckdb").stat().st_size / generated)
    # every page's queries were captured from dashboard/data.py and timed (none failed)
    assert set(result["d"]) == DASHBOARD_QUERIES
    assert all(0 < v["median_ms"] <= v["p95_ms"] for v in result["d"].values())
    # the statements of the first two and the last day, slowest first
    assert len(result["profiled_days"]) == 3
    for statements in result["profiled_days"].values():
        seconds = [sec for _, sec in statements]
        assert seconds == sorted(seconds, reverse=True) and seconds[0] > 0
        assert any(sql.startswith("CREATE OR REPLACE TEMP TABLE stg_typed") for sql, _ in statements)
