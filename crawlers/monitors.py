"""Post-run monitors (in the spirit of Spidermon): the checks that decide whether a run is 'ok'.

A run fails when it lands zero items, when it did not finish normally, or when a field that the source
always publishes is present on too few records (a changed page layout shows up here first). The reward
is measured over every record the run met, quarantined ones included, so a layout change that makes
records unparseable cannot hide behind a small, perfect remainder; other fields are measured over the
usable items, so a source whose records legitimately lack pay (Upwork's "N/A" budgets) is judged on the
fields of the items it does land.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Per source: contract field -> minimum share of records that must carry it.
FIELD_THRESHOLDS: dict[str, dict[str, float]] = {
    "mturk": {
        "reward_amount": 0.99,
        "slots_available": 0.99,
        "time_allotted_s": 0.99,
        "requester_id": 0.99,
        "expires_at": 0.95,
    },
    "freelancer": {"reward_amount": 0.99, "posted_at": 0.99, "employer_country": 0.80, "category": 0.95},
    # Upwork's feed shows "N/A" for a sizeable share of jobs (24 of the 75 archived records): no pay.
    "upwork": {"reward_amount": 0.50, "posted_at": 0.95, "category": 0.90},
    "peopleperhour": {"reward_amount": 0.95, "posted_at": 0.95},
}
#: Below this many records a share is mostly sampling noise (3 of 10 is 30 %, 5 of 10 is 50 %), so the
#: field thresholds are not applied; zero items still fails the run.
MIN_RECORDS_FOR_FIELD_CHECKS = 20
#: Fields measured over every record met, quarantined ones counting as missing them.
OVER_ALL_RECORDS = frozenset({"reward_amount"})
#: Fields every contract item carries by construction; a quarantined record counts as missing them.
DEFAULT_THRESHOLDS: dict[str, float] = {"reward_amount": 0.99}


@dataclass
class FieldCoverage:
    """Counts, per field, the records that carried it."""

    records: int = 0
    items: int = 0
    present: Counter = field(default_factory=Counter)

    def add_item(self, item: dict[str, Any]) -> None:
        self.records += 1
        self.items += 1
        for key, value in item.items():
            if value is not None and value != [] and value != "":
                self.present[key] += 1

    def add_unusable(self) -> None:
        """A record that became no item: it carries none of the fields as far as the warehouse knows."""
        self.records += 1

    def share(self, name: str) -> float | None:
        """Share of records (for the reward) or of items (any other field) that carried ``name``."""
        base = self.records if name in OVER_ALL_RECORDS else self.items
        return None if base == 0 else self.present[name] / base


def verdict(source: str, items: int, finish_reason: str, coverage: FieldCoverage,
            thresholds: dict[str, float] | None = None) -> list[str]:
    """Every reason the run failed (empty list = ok)."""
    failures = []
    if items == 0:
        failures.append("zero items")
    if finish_reason != "finished":
        failures.append(f"finish reason {finish_reason}")
    limits = thresholds if thresholds is not None else FIELD_THRESHOLDS.get(source, DEFAULT_THRESHOLDS)
    if coverage.records >= MIN_RECORDS_FOR_FIELD_CHECKS:
        for name, minimum in sorted(limits.items()):
            share = coverage.share(name) or 0.0
            if share < minimum:
                failures.append(f"field {name} present on {share:.1%} of records, below {minimum:.0%}")
    return failures
