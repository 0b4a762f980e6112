"""One DAG per source: crawl (its own scrapy process) -> load -> publish, every 15 minutes.

This file is cheap to import: it imports only the Airflow SDK; the observatory's code is imported inside
the tasks, which call the same functions as the ``observatory`` CLI (observatory.pipeline).

Idempotent per data interval: the crawl's run id is derived from the interval's end, so a retried task
reuses a run that was already sealed instead of crawling twice; loading is idempotent by run id.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, task

# Kept in step with observatory.pipeline.SOURCES and its "live" flags (checked by tests/test_dags.py); not
# imported here so that parsing this file stays cheap.
SOURCES = ("mturk", "freelancer", "peopleperhour", "upwork", "taskboard_sim")
LIVE = ("freelancer", "peopleperhour")
EVERY_15_MINUTES = "*/15 * * * *"


def schedule_for(source: str) -> str | None:
    """Live sources crawl every 15 minutes. The others (MTurk, closed 2026-09-30; Upwork's discontinued
    feed; the simulator's board) are off by default: manual runs only, unless the operator points the
    source somewhere with OBSERVATORY_<SOURCE>_BASE_URL (an archive server, the simulator)."""
    if source in LIVE or os.environ.get(f"OBSERVATORY_{source.upper()}_BASE_URL"):
        return EVERY_15_MINUTES
    return None

PUBLISHED = Asset(name="observatory_published_snapshot", uri="file:///observatory/published/warehouse.duckdb")


def _landing_asset(source: str) -> Asset:
    return Asset(name=f"observatory_landing_{source}", uri=f"file:///observatory/landing/{source}")


def make_dag(source: str):
    @dag(
        dag_id=f"observatory_{source}",
        description=f"Crawl {source}, load the warehouse, publish the snapshot",
        schedule=schedule_for(source),
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
        params={
            "base_url": Param(None, type=["null", "string"],
                              description="where to crawl; default OBSERVATORY_<SOURCE>_BASE_URL or the simulator"),
            "clock": Param("local", enum=["local", "server"],
                           description="'server' takes observation time from the site's Date header"),
        },
        tags=["observatory", source],
    )
    def observatory_source():
        @task(outlets=[_landing_asset(source)], execution_timeout=timedelta(minutes=30))
        def crawl(params: dict | None = None, data_interval_end: pendulum.DateTime | None = None) -> str:
            from observatory import config, pipeline

            assert data_interval_end is not None and params is not None
            run_id = f"{source}-{data_interval_end.in_timezone('UTC').strftime('%Y%m%dT%H%M%SZ')}-af"
            manifest = config.paths().landing_for(source) / f"{run_id}.manifest.json"
            if manifest.exists():  # a retry after the run was sealed: do not crawl the interval twice
                return run_id
            # 'server' clock = the loopback simulator: nobody to be polite to
            settings = pipeline.LOOPBACK_SETTINGS if params.get("clock") == "server" else {}
            pipeline.crawl(source, params.get("base_url"), clock=params["clock"], run_id=run_id,
                           settings=settings)
            return run_id

        @task
        def load(crawled_run: str) -> dict:
            from observatory import pipeline

            report = pipeline.load(source)
            if report.failed:
                raise RuntimeError("; ".join(f"{r.run_id}: {r.error}" for r in report.failed))
            return {"crawled_run": crawled_run, "loaded": [r.run_id for r in report.loaded]}

        @task(outlets=[PUBLISHED])
        def publish(loaded: dict) -> str:
            from observatory import pipeline

            return pipeline.publish()["published_at"]

        publish(load(crawl()))

    return observatory_source()


for _source in SOURCES:
    globals()[f"observatory_{_source}"] = make_dag(_source)
