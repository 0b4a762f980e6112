"""The task taxonomy: reference files valid, Python and DuckDB SQL classify identically, sane results.

Real listings from ../shared/fixtures (never copied; attribution in shared/fixtures/README.md): the
mturk-tracker API dump of 1,000 HIT groups (crowdresearch/daemo), the two findhits pages
(ipeirotis/Mturk-Tracker), 75 Upwork RSS jobs (ekkyarmandi/advance-upwork-rss-feed) and 10 Freelancer
projects (dream-well/freelancer-autobid-nextjs). The OLI monthly table (a copy of the OLI figshare deposit,
CC BY 4.0) gives the occupation names the crosswalk must use. Examples marked SYNTHETIC are written for
these tests (no fixture has an on-site audit or a paid review) and stand for no platform's text.
"""

from __future__ import annotations

import collections
import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from crawlers.pages.mturk import parse_findhits_html
from observatory import taxonomy
from observatory.taxonomy import (
    CLASSIFY_SQL,
    OLI_OCCUPATIONS,
    Classification,
    TaxonomyError,
    check_pattern,
    classify,
    flag_rules,
    load_into,
    task_rules,
    task_types,
)
from tests.conftest import FIXTURES

NO_NETWORK = {"autoinstall_known_extensions": False}
TYPES = ("data_labelling", "survey", "transcription", "content_moderation", "signup_click", "review_writing",
         "onsite_audit", "data_entry", "other")


def _fixture(rel: str):
    path = FIXTURES / rel
    if not path.exists():
        pytest.skip(f"fixture {path} not found (set OBSERVATORY_FIXTURES)")
    return path


def fixture_listings() -> list[dict[str, Any]]:
    """Every fixture listing as (source, key, requester, title, description, category, keywords).

    Freelancer: category = the distinct ``jobs[].category.name`` joined with "; ", keywords = the job
    (skill) names; Upwork: its category and tags; MTurk tracker: its keywords; findhits pages have neither.
    """
    rows: list[dict[str, Any]] = []
    dump = json.loads(_fixture("mturk/tracker_api_hitgroups_2015-05-28.json").read_text(encoding="utf-8"))
    for n, item in enumerate(dump["items"]):
        rows.append(dict(source="tracker", key=f"tracker-{n}", requester=item["requesterName"],
                         title=item["title"], description=item["description"], category=None,
                         keywords=item["keywords"]))
    for name in ("findhits_2010-11-12.html", "findhits_2011-06-24.html"):
        page = parse_findhits_html(_fixture(f"mturk/{name}").read_bytes(),
                                   "https://www.mturk.com/mturk/findhits", datetime(2011, 1, 1, tzinfo=UTC))
        for n, item in enumerate(page.items):
            rows.append(dict(source="findhits", key=f"{name}-{n}", requester=item["requester_name"],
                             title=item["title"], description=item["description"], category=None,
                             keywords=None))
    upwork = json.loads(_fixture("upwork/rss_jobs_parsed_2022-06.json").read_text(encoding="utf-8"))
    for n, job in enumerate(upwork):
        rows.append(dict(source="upwork", key=f"upwork-{n}", requester=None, title=job["title"],
                         description=job["description"], category=job["category"], keywords=job["tags"]))
    freelancer = json.loads(_fixture("freelancer/projects_active_2021-09-20.json").read_text(encoding="utf-8"))
    for project in freelancer["result"]["projects"]:
        jobs = project["jobs"]
        rows.append(dict(source="freelancer", key=f"freelancer-{project['id']}", requester=None,
                         title=project["title"], description=project.get("preview_description"),
                         category="; ".join(dict.fromkeys(j["category"]["name"] for j in jobs)),
                         keywords=", ".join(j["name"] for j in jobs)))
    return rows


@pytest.fixture(scope="module")
def listings() -> list[dict[str, Any]]:
    return fixture_listings()


@pytest.fixture(scope="module")
def py(listings) -> dict[str, Classification]:
    """Python's classification of every fixture listing, by key (computed once for the module)."""
    return {r["key"]: py_classify(r) for r in listings}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(":memory:", config=NO_NETWORK)
    load_into(c)
    yield c
    c.close()


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, Any]]) -> None:
    """A temp table of listings (through a DataFrame: DuckDB's executemany inserts row by row, slowly)."""
    cols = ["key", "title", "description", "category", "keywords"]
    frame = pd.DataFrame([[r.get(c) for c in cols] for r in rows], columns=cols, dtype=object)
    con.register("_rows", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {', '.join(f'{c}::VARCHAR AS {c}' for c in cols)} "
                "FROM _rows")
    con.unregister("_rows")


def sql_classify(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> dict[str, Classification]:
    _table(con, "to_classify", rows)
    out = con.execute("SELECT key, task_type, task_rule_id, oli_occupation, oli_microwork, astroturf, "
                      "astroturf_rule_id FROM ref.classify_listings($rel)", {"rel": "to_classify"}).fetchall()
    return {k: Classification(*rest) for k, *rest in out}


def py_classify(row: dict[str, Any]) -> Classification:
    return classify(row["title"], row.get("description"), row.get("category"), row.get("keywords"))


# --------------------------------------------------------------------------------------------------------
# the reference files


def test_task_types_and_crosswalk_use_the_oli_names():
    types = task_types()
    assert tuple(types) == TYPES
    assert types["other"].oli_occupation is None and types["other"].oli_microwork is None
    for t in TYPES[:-1]:
        assert types[t].oli_occupation in OLI_OCCUPATIONS, t
        assert types[t].oli_microwork is not None, t
    assert types["onsite_audit"].oli_in_scope is False  # the OLI counts online work only
    # The occupation names must be spelled as in the OLI data itself, Microwork being the 2024 addition.
    with _fixture("oli/oli_levels_monthly.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert set(OLI_OCCUPATIONS) | {"Microwork"} == set(header) - {"date", "Total"}


def test_every_rule_is_valid_and_every_type_has_rules():
    rules, flags = task_rules(), flag_rules()
    assert [r.priority for r in rules] == sorted({r.priority for r in rules})
    assert {r.target for r in rules} == set(TYPES)  # no type without rules ('other' has exclusions)
    assert flags and {r.target for r in flags} == {"astroturf"}
    for rule in (*rules, *flags):
        check_pattern(rule.pattern)
        assert rule.note


def test_every_pattern_compiles_in_duckdb(con):
    for rule in (*task_rules(), *flag_rules()):
        con.execute("SELECT regexp_matches('x', $p, 'i')", {"p": rule.pattern}).fetchone()


@pytest.mark.parametrize("pattern, why", [
    (r"(?<=paid )review", "lookaround"),
    (r"(?=x)review", "lookaround"),
    (r"(a)\1", "backreferences"),
    (r"survey$", "no $"),
    (r"sign\sup", r"\s"),
    (r"[[:alpha:]]+", "POSIX"),
    (r"a{,3}", "{,n}"),
    (r"(ab+)+c", "unbounded quantifier on a group"),
    (r"(?i)survey", "inline flags"),
    (r"enquête", "cased non-ASCII"),
    (r"caf\u00e9", r"\u"),
    (r"unbalanced(", "does not compile"),
])
def test_check_pattern_refuses_what_the_engines_read_apart(pattern, why):
    with pytest.raises(TaxonomyError, match=re.escape(why)):
        check_pattern(pattern)


def test_the_refusals_are_real_differences(con):
    """Why check_pattern refuses '$' and lookaround: on these the engines really differ or RE2 fails."""
    assert re.search("abc$", "abc\n") and not con.execute("SELECT regexp_matches($s, 'abc$')",
                                                          {"s": "abc\n"}).fetchone()[0]
    with pytest.raises(duckdb.Error):
        con.execute("SELECT regexp_matches('ab', 'a(?=b)')").fetchone()
    check_pattern("記入|データ入力")  # caseless non-ASCII is fine


def _with_reference(monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    real = taxonomy._read
    monkeypatch.setattr(taxonomy, "_read", lambda n: text if n == name else real(n))
    for cached in (taxonomy.task_types, taxonomy.task_rules, taxonomy.flag_rules, taxonomy._compiled,
                   taxonomy.taxonomy_version):
        cached.cache_clear()


@pytest.fixture
def fresh_caches():
    yield
    for cached in (taxonomy.task_types, taxonomy.task_rules, taxonomy.flag_rules, taxonomy._compiled,
                   taxonomy.taxonomy_version):
        cached.cache_clear()


@pytest.mark.parametrize("body, message", [
    ("r_one,1,survey,title,survey,a\nr_two,1,survey,title,poll,b\n", "duplicate priority"),
    ("r_one,1,survey,title,survey,a\nr_one,2,survey,title,poll,b\n", "duplicate rule_id"),
    ("r_one,1,gig,title,survey,a\n", "is not one of"),
    ("r_one,1,survey,url,survey,a\n", "field 'url'"),
    ("r_one,1,survey,title,survey,\n", "note"),
    ("r_one,x,survey,title,survey,a\n", "priority"),
    ("r_one,1,survey,title,(?<!no)survey,a\n", "lookaround"),
])
def test_a_broken_rules_file_is_refused(monkeypatch, fresh_caches, body, message):
    _with_reference(monkeypatch, "task_rules.csv", "rule_id,priority,task_type,field,pattern,note\n" + body)
    with pytest.raises(TaxonomyError, match=re.escape(message)):
        task_rules()


def test_a_crosswalk_to_a_made_up_occupation_is_refused(monkeypatch, fresh_caches):
    text = taxonomy._read("task_types.csv").replace("Clerical and data entry", "Clerical work", 1)
    _with_reference(monkeypatch, "task_types.csv", text)
    with pytest.raises(TaxonomyError, match="not an OLI occupation"):
        task_types()


# --------------------------------------------------------------------------------------------------------
# Python and SQL agree


def test_python_and_duckdb_classify_every_fixture_listing_identically(con, listings, py):
    sql = sql_classify(con, listings)
    assert len(sql) == len(listings) > 1080
    differ = [(r["key"], r["title"], py[r["key"]], sql[r["key"]]) for r in listings if py[r["key"]] != sql[r["key"]]]
    assert differ == []


def test_every_rule_matches_the_same_texts_in_both_engines(con, listings):
    """Stronger than first-match agreement: each pattern, on each field of each listing, in both engines
    (so a rule hidden behind an earlier one cannot disagree unnoticed)."""
    texts = sorted({v for r in listings for f in ("title", "description", "category", "keywords")
                    if (v := r.get(f)) is not None} | set(ADVERSARIAL))
    _table(con, "t", [{"key": str(n), "title": text} for n, text in enumerate(texts)])
    rules = [(r.rule_id, r.pattern) for r in (*task_rules(), *flag_rules())]
    in_sql = set()
    for rule_id, pattern in rules:  # a bound pattern is a constant: compiled once, as in the macros
        in_sql |= {(rule_id, text) for (text,) in con.execute(
            "SELECT title FROM t WHERE regexp_matches(translate(title, '\u212a\u017f', 'ks'), $p, 'i')",
            {"p": pattern}).fetchall()}
    folded = [(text, text.translate(taxonomy._FOLD_TO_ASCII)) for text in texts]
    in_py = set()
    for rule_id, pattern in rules:
        compiled = re.compile(pattern, taxonomy._FLAGS)
        in_py |= {(rule_id, text) for text, f in folded if compiled.search(f)}
    assert in_py == in_sql
    assert len(in_py) > 1000  # the comparison saw real matches, not two empty sets


def test_reading_the_rules_table_directly_gives_the_same_answer(con, listings, py):
    """The generated macros are a faster form of the obvious reading of ref.task_rule: for each listing,
    the matching rule with the lowest priority (here with per-row patterns, so on a sample)."""
    sample = listings[::7] + [dict(key=f"s{n}", title=t, description=d) for n, (t, d, *_) in enumerate(SYNTHETIC)]
    _table(con, "sample", sample)
    direct = dict(con.execute("""
        SELECT l.key, m.rule_id
        FROM sample AS l
        LEFT JOIN LATERAL (
            SELECT r.rule_id FROM ref.task_rule AS r
            WHERE regexp_matches(ref.rule_text(r.field, l.title, l.description, l.category, l.keywords),
                                 r.pattern, 'i')
            ORDER BY r.priority LIMIT 1) AS m ON true""").fetchall())
    want = {**{r["key"]: py[r["key"]].rule_id for r in listings[::7]},
            **{f"s{n}": classify(t, d).rule_id for n, (t, d, *_) in enumerate(SYNTHETIC)}}
    assert direct == want
    assert len({v for v in want.values() if v}) > 10


# Text where RE2 and Python's re would part ways if the Python side were set up naively: non-ASCII letters
# beside words (\b is ASCII in RE2), accented capitals (RE2 folds case in Unicode), long s, newlines, pipes.
ADVERSARIAL = (
    "éclick here", "Ünterschrift survey", "ſurvey for ſtudents", "SURVEY ÉTÉ", "Transcribe\naudio",
    "write a | review", "Write A 5-STAR REVIEW on GOOGLE", "café review on Yelp", "データ入力の仕事",
    "Rate our app", "rate our APP\n", "", " | ", "MYSTERY SHOPPER wanted", "Mystery-shopper",
)


# --------------------------------------------------------------------------------------------------------
# the results make sense


def test_distribution_of_the_tracker_dump_is_sane(listings, py, capsys):
    tracker = [r for r in listings if r["source"] == "tracker"]
    got = {r["key"]: py[r["key"]] for r in tracker}
    dist = collections.Counter(c.task_type for c in got.values())
    with capsys.disabled():
        print("\nmturk-tracker dump, 2015-05-28 (1,000 HIT groups):")
        for task_type in TYPES:
            print(f"  {task_type:<20} {dist[task_type]:>4}")
    assert sum(dist.values()) == 1000
    by_requester = collections.defaultdict(collections.Counter)
    for r in tracker:
        by_requester[r["requester"]][got[r["key"]].task_type] += 1
    # The big requesters are what they say they are.
    assert set(by_requester["CastingWords"]) == {"transcription"}
    assert set(by_requester["Speechpad"]) == {"transcription"}
    assert set(by_requester["Bunny Inc."]) == {"data_labelling"}  # audio sample QA, accent validation
    assert set(by_requester["Hyperion"]) == {"content_moderation"}  # "Detect if a Profile Contains Spam"
    # Every title that says "survey" is a survey, except the phone-survey calls (telemarketing).
    for r in tracker:
        if re.search(r"\bsurveys?\b", r["title"], re.I):
            want = "other" if "call list" in r["description"] else "survey"
            assert got[r["key"]].task_type == want, r["title"]
    # Transcribing images or newspapers is data entry, not speech transcription.
    assert {got[r["key"]].task_type for r in tracker if r["requester"] in ("p9r", "Claudia Steinwender")} == {
        "data_entry"}
    assert dist["other"] <= 30  # precise rules, and still most of the dump is recognised


def test_findhits_groups(listings, py):
    got = {r["title"]: py[r["key"]].task_type for r in listings if r["source"] == "findhits"}
    assert got["Copy Text from Business Card"] == "data_entry"
    assert got["Draw bounding boxes around objects in images (large scale)"] == "data_labelling"
    assert got["Consumption and Personality Survey"] == "survey"
    assert got["Flag offensive content images (WARNING: This HIT may contain offensive content. "
               "Worker discretion is advised.)"] == "content_moderation"
    # A content warning alone is not moderation: this is search-relevance judging.
    assert got["Web Search Quality (rtgg22). (WARNING: This HIT may contain adult or offensive content. "
               "Worker discretion is advised.)"] == "data_labelling"
    assert got["Just Click a Button (Instant Qualification)"] == "signup_click"


def test_freelance_software_projects_are_not_microwork(listings, py):
    """Upwork/Freelancer projects in software categories stay 'other' whatever their titles say
    (Freelancer's "employee login & signup" is a web app to build, not a sign-up task)."""
    for r in listings:
        if r["source"] in ("upwork", "freelancer") and re.search(
                r"development|software|scripting|engineering", r["category"], re.I):
            assert py[r["key"]].task_type == "other", r["title"]
    upwork = {r["title"]: py[r["key"]] for r in listings if r["source"] == "upwork"}
    assert upwork["Data Entry Lead Generation"].task_type == "data_entry"
    assert upwork["Data Entry Lead Generation"].oli_occupation == "Clerical and data entry"


def test_astroturf_flag_on_the_fixtures(listings, py):
    flagged = {r["title"] for r in listings if py[r["key"]].astroturf}
    assert flagged == {"Video: Share on Google Plus", "Video: Vote and Comment"}  # Amir Ghoreichi, MTurk
    about_reviews = next(r for r in listings if r["title"] == "Answer a survey about online reviews")
    assert py[about_reviews["key"]] == Classification("survey", "sv_title", "Clerical and data entry",
                                                        True, False, None)


# SYNTHETIC (written for this test): what the fixtures lack, and near misses that must not match.
SYNTHETIC = [
    ("Mystery shopper: visit a supermarket in Lyon", None, "onsite_audit", False),
    ("Take photos of the shelf of a drugstore", "Photograph the shampoo shelf and price tags", "onsite_audit",
     False),
    ("Audit en magasin - Carrefour Liège", None, "onsite_audit", False),
    ("Write a 5-star review for our restaurant on Google", None, "review_writing", True),
    ("Rate our app", "Install our app from the Play Store and rate it 5 stars", "review_writing", True),
    ("Like and follow our Instagram page", None, "signup_click", True),
    ("Sign up for our site", "Register using my referral link and confirm your email", "signup_click", True),
    ("Vote for my photo in a contest", None, "signup_click", True),
    ("Quick task", "Post an honest review of our hotel on TripAdvisor", "review_writing", True),
    ("Mission in Antwerpen", "Go to the nearest supermarket and photograph the coffee shelf", "onsite_audit", False),
    # near misses
    ("Answer a survey about product reviews", "Your opinion about online reviews", "survey", False),
    ("Quick task", "Give us your opinion about online reviews", "other", False),
    ("Review a transcript for accuracy", None, "transcription", False),
    ("Would you like our survey?", "I would like to use the logo on the instagram page", "survey", False),
    ("Rate images for relevance (may contain offensive content)", None, "data_labelling", False),
    ("Hotel booking study", None, "survey", False),
    (None, None, "other", False),
    ("", "", "other", False),
]


@pytest.mark.parametrize("title, description, task_type, astroturf", SYNTHETIC)
def test_synthetic_examples(con, title, description, task_type, astroturf):
    got = classify(title, description)
    assert (got.task_type, got.astroturf) == (task_type, astroturf)
    if task_type != "other":
        assert got.rule_id is not None  # a named rule decided it
    assert (got.astroturf_rule_id is not None) == astroturf
    sql = sql_classify(con, [dict(key="k", title=title, description=description)])
    assert sql["k"] == got


# --------------------------------------------------------------------------------------------------------
# loading into DuckDB


def test_load_into_is_repeatable_traceable_and_uses_bound_values():
    c = duckdb.connect(":memory:", config=NO_NETWORK)
    load_into(c, "taxo")
    load_into(c, "taxo")  # replace, not append
    n_rules, sources, versions = c.execute(
        "SELECT count(*), list(DISTINCT source), list(DISTINCT taxonomy_version) FROM taxo.task_rule").fetchone()
    assert n_rules == len(task_rules())
    assert sources == ["observatory/reference/task_rules.csv"]
    assert versions == [taxonomy.taxonomy_version()] and re.fullmatch(r"[0-9a-f]{16}", versions[0])
    assert c.execute("SELECT count(*) FROM taxo.task_flag_rule").fetchone()[0] == len(flag_rules())
    assert c.execute("SELECT oli_in_scope FROM taxo.task_type WHERE task_type = 'onsite_audit'").fetchone() == (
        False,)
    # patterns arrive byte-identical to what Python validated
    assert c.execute("SELECT list(pattern ORDER BY priority) FROM taxo.task_rule").fetchone()[0] == [
        r.pattern for r in task_rules()]
    # inside a caller's transaction it joins it instead of committing on its own
    c.execute("BEGIN TRANSACTION")
    load_into(c, "later", transaction=False)
    c.execute("ROLLBACK")
    assert c.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'later'").fetchone() == (0,)
    with pytest.raises(ValueError, match="identifier"):
        load_into(c, 'ref"; DROP TABLE x; --')
    assert "{schema}" in CLASSIFY_SQL


def test_the_distribution_published_in_the_docs_is_current(listings, py):
    """docs/taxonomy.md quotes the distribution and the taxonomy version: it must not go stale when a
    rule changes (rerun the classification and update the table)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "taxonomy.md").read_text(encoding="utf-8")
    assert f"taxonomy version `{taxonomy.taxonomy_version()}`" in text
    counts = collections.defaultdict(collections.Counter)
    for r in listings:
        counts[r["source"]][py[r["key"]].task_type] += 1
    for task_type in TYPES:
        row = re.search(rf"^\| `{task_type}` \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", text, re.M)
        assert row, task_type
        assert [int(n) for n in row.groups()] == [counts[s][task_type] for s in
                                                  ("tracker", "findhits", "upwork", "freelancer")], task_type
