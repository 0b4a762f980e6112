"""mart.daily_volume (008) reads per-day stores the loader maintains; it must equal the aggregate
definition of 004 over core, on a sequence with rises, falls, vanishing, expiry, several countries, a
low-coverage run and a listing that changes its countries."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from tests.helpers import T0, land_run, listing
from warehouse import db
from warehouse.load import load_pending

ROOT = Path(__file__).resolve().parents[1]


def test_store_based_daily_volume_equals_the_aggregate_definition(home: Path) -> None:
    h = timedelta(hours=7)
    land_run(T0, [listing("A", 10), listing("B", 5, countries=["US", "CA"], expires=T0 + 2 * h),
                  listing("C", 3, countries=["DE"])])
    land_run(T0 + h, [listing("A", 14), listing("B", 4, countries=["US", "CA"], expires=T0 + 2 * h),
                      listing("C", 1, countries=["DE"])])
    land_run(T0 + 2 * h, [listing("A", 9)], reported=500)  # low coverage: kept out of flows
    land_run(T0 + 3 * h, [listing("A", 6), listing("D", 8, countries=["IN"])])
    land_run(T0 + 4 * h, [listing("A", 6), listing("D", 2, countries=["IN", "PH"])])  # D's countries change
    land_run(T0 + 5 * h, [listing("D", 2, countries=["IN", "PH"]), listing("E", 1, reward="1.50")])
    con = db.connect()
    assert all(r.status == "loaded" for r in load_pending(con).results)
    sql = (ROOT / "warehouse" / "migrations" / "004_marts_regions_wages.sql").read_text()
    definition = re.search(r"CREATE OR REPLACE VIEW mart.daily_volume AS\n(.*?SELECT \* FROM final);", sql, re.S)
    assert definition
    con.execute("CREATE TEMP VIEW aggregate_dv AS " + definition.group(1))
    expected = con.execute("SELECT * FROM aggregate_dv ORDER BY ALL").fetchall()
    got = con.execute("SELECT * FROM mart.daily_volume ORDER BY ALL").fetchall()
    con.close()
    assert len(expected) > 5 and got == expected
