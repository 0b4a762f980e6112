"""Rewards completed are summed in USD over every currency, each converted at the ECB rate of its day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path

from tests.helpers import land_run, listing
from warehouse import db, load, reference

DAY = datetime(2017, 10, 27, 9, 0, tzinfo=UTC)  # ECB: 1 EUR = 1.1605 USD, 132.00 JPY (tests/test_reference.py)
H = timedelta(hours=1)
STORES = ("mart.flow_day_store", "mart.flow_day_total_store", "mart.new_day_store")


def _priced(listing_id: str, slots: int, reward: str, currency: str) -> dict:
    return dict(listing(listing_id, slots, reward=reward, expires=DAY + 30 * H), reward_currency=currency)


def _stores(con) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in STORES}  # noqa: S608


def test_completed_rewards_in_every_currency_are_converted_at_the_rate_of_their_day(home: Path) -> None:
    con = db.connect()
    reference.load_reference(con)
    con.close()
    land_run(DAY, [_priced("U", 10, "0.50", "USD"), _priced("E", 10, "0.50", "EUR"),
                   _priced("X", 10, "0.50", "XAU")])  # gold: a real ISO 4217 code the ECB never quotes
    land_run(DAY + H, [_priced("U", 4, "0.50", "USD"), _priced("E", 4, "0.50", "EUR"),
                       _priced("X", 4, "0.50", "XAU")])
    land_run(DAY + 2 * H, [_priced("U", 4, "0.50", "USD")])  # E and X vanish before expiry: 4 completed each
    con = db.connect()
    report = load.load_pending(con)
    assert [r.status for r in report.results] == ["loaded"] * 3
    ((total,),) = con.execute("SELECT reward_completed_usd FROM mart.flow_day_total_store").fetchall()
    # U: 6 x 0.50 USD; E: 10 x 0.50 EUR at 1.1605; X: no rate, left out
    assert total == Decimal("3.00") + Decimal("5.8025")
    ((volume,),) = con.execute("SELECT sum(reward_completed_usd) FROM mart.daily_volume").fetchall()
    assert volume == total
    ((regions,),) = con.execute(
        "SELECT sum(reward_completed_usd) FROM mart.daily_region_task WHERE region_kind = 'worker_eligibility'"
    ).fetchall()
    assert regions == total  # the two marts now agree

    # What the loader added run by run equals a rebuild from core, and what migration 010 computes.
    loaded = _stores(con)
    for statement in load._REBUILD_MARTS_SQL:
        con.execute(statement, {"source": "mturk"})
    assert _stores(con) == loaded
    migration = resources.files("warehouse").joinpath("migrations/010_rewards_usd_every_currency.sql")
    con.execute(migration.read_text())
    assert _stores(con) == loaded
    con.close()
