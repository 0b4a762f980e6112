"""Publishing: the snapshot holds the slow marts as tables equal to the writer's views."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.helpers import T0, land_run, listing
from warehouse import db
from warehouse.load import load_pending
from warehouse.marts import refresh_marts
from warehouse.publish import MATERIALISED_IN_SNAPSHOT, open_snapshot, publish
from warehouse.reference import load_reference


def test_snapshot_materialises_slow_marts_with_the_views_rows(home: Path) -> None:
    h = timedelta(hours=6)
    land_run(T0, [listing("A", 10, title="Answer a short survey"), listing("B", 5, countries=["US"])])
    land_run(T0 + h, [listing("A", 4, title="Answer a short survey"), listing("B", 5, countries=["US"])])
    land_run(T0 + 5 * h, [listing("B", 1, countries=["US"])])
    con = db.connect()
    load_reference(con)
    load_pending(con)
    refresh_marts(con)
    expected = {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr)  # noqa: S608
                for n in MATERIALISED_IN_SNAPSHOT}
    con.close()
    publish()
    snap = open_snapshot()
    try:
        for name in MATERIALISED_IN_SNAPSHOT:
            schema, table = name.split(".")
            (kind,) = snap.execute("SELECT table_type FROM information_schema.tables "
                                   "WHERE table_schema = ? AND table_name = ?", [schema, table]).fetchone()
            assert kind == "BASE TABLE"
            assert sorted(snap.execute(f"SELECT * FROM {name}").fetchall(), key=repr) == expected[name]  # noqa: S608
        assert expected["mart.daily_region_task"] and expected["mart.oli_index"]  # the test data has rows
        # the public views over them still answer
        assert snap.execute("SELECT count(*) FROM public.daily_region_task").fetchone()[0] == len(
            expected["mart.daily_region_task"])
    finally:
        snap.close()
    # the writer keeps the views: the single definition
    con = db.connect()
    (kind,) = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'mart' "
                          "AND table_name = 'daily_wages'").fetchone()
    con.close()
    assert kind == "VIEW"
