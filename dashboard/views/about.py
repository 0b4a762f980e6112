"""Method: how the figures are made, in plain words."""

from __future__ import annotations

import streamlit as st

st.title("Method")

st.markdown(
    """
**What is observed.** A crawl visits a platform's public list of tasks and records each listing as it
is at that moment: its title, its reward per task, how many tasks are still available (on Amazon
Mechanical Turk, *HITs available*), when it expires and who may take it. Nobody publishes how many
tasks were actually done, so that part is **inferred**.

**How flows are inferred.** Each crawl is compared with the previous one:

- a listing seen for the first time: all its available tasks count as **arrived**;
- a **rise** in HITs available counts as arrivals (the requester added tasks);
- a **fall** in HITs available counts as **completions** (workers took them);
- a listing that **vanishes before its expiry** time counts as completed (its remaining tasks were done);
- a listing that **vanishes at or after its expiry** counts as **expired**, not completed;
- a change of reward alone counts as nothing (the new reward is kept);
- a listing that reappears after vanishing counts as new again;
- the first crawl of a source is a baseline: it sees a stock built up before we looked, so it counts
  nothing.

**Completions are estimates.** Tasks taken and then returned, or a batch cancelled by its requester,
look like completions. Tasks that arrive and are done between two crawls are never seen, so the longer
the interval between crawls, the more is missed. **Reward flow** is estimated completions × reward per
task at the time, for listings paid in US dollars only.

**Which crawls are used.** A crawl is used for flows only if it succeeded (at least one listing, a
normal finish), saw at least 95 % of the listings the site said it had (the coverage threshold, set by
`OBSERVATORY_MIN_COVERAGE`), and came after the last crawl already used. A crawl that saw too little
would make the listings it missed look completed, so it is left out of flows; it still updates what is
known about listings. The **Sources & runs** page lists every crawl with its coverage and, when it was
left out, why.

**Worker country is eligibility.** On Mechanical Turk a requester may restrict a task to workers in
some countries. *Worker country* is where the work **may be done**, not where workers live and not where
the requester is. **ALL** means open to workers anywhere (including tasks that only shut out some
countries). A listing open to workers in the US and Canada is counted under both, so figures must not be
added up across countries; the headline figures count each listing once.

**Time and money.** All times are UTC and days are UTC days. Rewards are kept in their original
currency as exact decimals; only US-dollar listings enter the reward flow until currency reference
rates are loaded.

**Where the data comes from.** Public task listings of each platform, crawled by the observatory's
spiders (Mechanical Turk closed on 2026-09-30: its history comes from archived captures), or the
built-in marketplace simulator in the demo. Every crawl is kept as raw files; the warehouse loads them,
infers the flows and publishes a read-only snapshot, which is what this dashboard shows. Titles are the
platforms' own untrusted text, shown as plain text. Requester names are replaced by keyed pseudonyms;
no worker is ever identified.

The full methodology, with every column's definition, is in `docs/methodology.md` and the data
dictionary in `docs/data-dictionary.md`.
"""
)
