"""The DAG folder imports cleanly, and a real ``airflow dags test`` run lands rows in the warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, serve_market

DAGS = ROOT / "dags"
AIRFLOW = [sys.executable, "-m", "airflow"]


def _airflow_env(airflow_home: Path, data_home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "OBSERVATORY_HOME": str(data_home),
    }


_DAGBAG_PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=%r)
dag = bag.dags.get("observatory_mturk")
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dag_ids": sorted(bag.dag_ids),
    "order": [t.task_id for t in dag.topological_sort()] if dag else None,
    "max_active_runs": dag.max_active_runs if dag else None,
    "retries": sorted({t.retries for t in dag.tasks}) if dag else None,
    "schedule": getattr(dag.timetable, "expression", None) if dag else None,
    "schedules": {d: getattr(bag.dags[d].timetable, "expression", None) for d in bag.dag_ids},
}))
"""


def test_dag_folder_imports_without_errors(tmp_path: Path) -> None:
    # A subprocess, so Airflow reads this test's AIRFLOW_HOME and not whatever an earlier import saw.
    env = {**_airflow_env(tmp_path / "airflow", tmp_path / "data"),
           "OBSERVATORY_MTURK_BASE_URL": "http://127.0.0.1:8765"}
    proc = subprocess.run([sys.executable, "-c", _DAGBAG_PROBE % str(DAGS)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    probe = json.loads(proc.stdout.strip().splitlines()[-1])
    assert probe["errors"] == {}
    assert probe["dag_ids"] == sorted(f"observatory_{s}" for s in ("mturk", "freelancer", "peopleperhour", "upwork",
                                                                          "taskboard_sim"))
    assert probe["order"] == ["crawl", "load", "publish"]
    assert probe["max_active_runs"] == 1
    assert probe["retries"] == [2]
    assert probe["schedule"] == "*/15 * * * *"  # OBSERVATORY_MTURK_BASE_URL is set for this probe
    # live sources every 15 minutes; closed or archive-only ones off unless pointed somewhere
    assert probe["schedules"] == {
        "observatory_mturk": "*/15 * * * *", "observatory_freelancer": "*/15 * * * *",
        "observatory_peopleperhour": "*/15 * * * *", "observatory_upwork": None, "observatory_taskboard_sim": None}


def test_closed_sources_are_off_by_default(tmp_path: Path) -> None:
    env = _airflow_env(tmp_path / "airflow", tmp_path / "data")
    env.pop("OBSERVATORY_MTURK_BASE_URL", None)
    proc = subprocess.run([sys.executable, "-c", _DAGBAG_PROBE % str(DAGS)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    probe = json.loads(proc.stdout.strip().splitlines()[-1])
    assert probe["schedules"]["observatory_mturk"] is None  # MTurk closed on 2026-09-30
    assert probe["schedules"]["observatory_freelancer"] == "*/15 * * * *"


def test_dag_sources_match_the_pipeline() -> None:
    import importlib.util

    from observatory.pipeline import SOURCES

    spec = importlib.util.spec_from_file_location("observatory_dags", DAGS / "observatory_dags.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.SOURCES) == set(SOURCES)
    assert set(module.LIVE) == {s for s, v in SOURCES.items() if v["live"]}


@pytest.mark.e2e
def test_airflow_dags_test_lands_rows(tmp_path: Path) -> None:
    from simulator.market import Market

    data_home = tmp_path / "data"
    env = _airflow_env(tmp_path / "airflow", data_home)
    with serve_market(Market(seed=3)) as httpd:
        subprocess.run([*AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        conf = json.dumps({"base_url": httpd.url, "clock": "server"})
        proc = subprocess.run(
            [*AIRFLOW, "dags", "test", "observatory_mturk", "2026-09-01T00:15:00+00:00", "--conf", conf],
            env=env, capture_output=True, text=True, timeout=600,
        )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "state=success" in out, out[-4000:]

    import duckdb

    con = duckdb.connect(str(data_home / "published" / "warehouse.duckdb"), read_only=True)
    (runs,) = con.execute("SELECT count(*) FROM core.crawl_run WHERE status = 'ok'").fetchone()
    (listings,) = con.execute("SELECT count(*) FROM core.listing").fetchone()
    (run_id,) = con.execute("SELECT run_id FROM core.crawl_run").fetchone()
    con.close()
    assert runs == 1 and listings > 100
    assert run_id.endswith("-af")  # named after the data interval, so retries reuse it
