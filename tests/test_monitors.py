"""The run verdict: zero items, abnormal finish, and per-field coverage thresholds."""

from __future__ import annotations

from crawlers.monitors import FieldCoverage, verdict


def _coverage(items: list[dict], unusable: int = 0) -> FieldCoverage:
    c = FieldCoverage()
    for item in items:
        c.add_item(item)
    for _ in range(unusable):
        c.add_unusable()
    return c


FULL = {"reward_amount": "0.1", "slots_available": 3, "time_allotted_s": 60, "requester_id": "A", "expires_at": "x"}


def test_a_clean_run_passes() -> None:
    assert verdict("mturk", 100, "finished", _coverage([FULL] * 100)) == []


def test_zero_items_and_abnormal_finish_fail() -> None:
    assert verdict("mturk", 0, "shutdown", FieldCoverage()) == ["zero items", "finish reason shutdown"]


def test_reward_counts_quarantined_records_as_missing() -> None:
    failures = verdict("mturk", 98, "finished", _coverage([FULL] * 98, unusable=2))
    assert failures == ["field reward_amount present on 98.0% of records, below 99%"]


def test_other_fields_are_judged_over_usable_items() -> None:
    without_slots = {**FULL, "slots_available": None}
    failures = verdict("mturk", 100, "finished", _coverage([FULL] * 98 + [without_slots] * 2))
    assert failures == ["field slots_available present on 98.0% of records, below 99%"]
    # quarantined records do not drag down a field the usable items all carry
    assert verdict("upwork", 60, "finished", _coverage([{"reward_amount": "1", "posted_at": "x",
                                                         "category": "c"}] * 60, unusable=30)) == []


def test_unknown_sources_still_need_a_reward() -> None:
    assert verdict("newsource", 30, "finished", _coverage([{"reward_amount": None}] * 30)) == [
        "field reward_amount present on 0.0% of records, below 99%"]


def test_tiny_samples_are_not_judged_on_shares() -> None:
    # 3 of 10 with a budget is noise, not a layout change; zero items would still fail
    assert verdict("upwork", 3, "finished", _coverage([{"reward_amount": "1", "posted_at": "x",
                                                        "category": "c"}] * 3, unusable=7)) == []
