"""The task-type taxonomy, its crosswalk to the Online Labour Index, and the astroturfing flag, as data.

Why data and not code: the crawlers (Python) and the warehouse (DuckDB SQL) must put a listing in the same
task type, and researchers must be able to read, cite and challenge every rule. So the taxonomy lives in
three CSV files shipped in ``observatory/reference/`` (see docs/taxonomy.md):

- ``task_types.csv``: the nine task types and their crosswalk to the OLI occupations;
- ``task_rules.csv``: ordered rules; the rule with the lowest priority whose regular expression matches its
  field decides the task type; no match is ``other``;
- ``task_flag_rules.csv``: rules for flags that sit across task types (``astroturf``: paid reviews,
  ratings, likes, follows, votes, installs with ratings, sign-ups with referral links). Any match raises
  the flag; the first by priority is reported.

Python (:func:`classify`) and SQL (:func:`load_into`, then ``ref.classify_listings('relation')``) use the
same validated rows. The regular expressions are written for the dialect both engines share: DuckDB's
``regexp_matches`` is RE2 (ASCII ``\\b``/``\\w``/``\\d``, Unicode case folding, ``$`` only at the very
end); Python's ``re`` runs them with ``ASCII | IGNORECASE``, and both sides first map the two characters
whose case folding is an ASCII letter (KELVIN SIGN, LATIN SMALL LETTER LONG S) to ``k`` and ``s``.
:func:`check_pattern` refuses the constructs where the two engines differ (lookaround, backreferences,
``$``, ``\\s``, POSIX and Unicode classes, inline flags, cased non-ASCII letters) and those that could make
Python's backtracking engine slow on long untrusted text (an unbounded quantifier on a group).

Scraped text is only ever a value: in SQL it is an argument of macros that compare it with patterns from
our own reference files (embedded as quoted literals, so DuckDB compiles each once); nothing is ever
built into SQL from scraped text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import duckdb

REFERENCE_PACKAGE = "observatory.reference"
TASK_TYPES_FILE = "task_types.csv"
TASK_RULES_FILE = "task_rules.csv"
FLAG_RULES_FILE = "task_flag_rules.csv"

OTHER = "other"
ASTROTURF = "astroturf"

FIELDS = ("title", "description", "category", "keywords", "any")
"""Which text a rule looks at. ``any`` is the non-null fields joined by :data:`ANY_SEPARATOR`."""

ANY_SEPARATOR = " | "
"""Joins the fields for ``any`` rules (DuckDB: ``concat_ws``, which skips NULLs as Python does here).
Patterns use ``[^|]`` to stay within one field."""

OLI_OCCUPATIONS = (
    "Clerical and data entry",
    "Creative and multimedia",
    "Professional services",
    "Sales and marketing support",
    "Software development and technology",
    "Writing and translation",
)
"""The OLI's six occupation classes (Kässi & Lehdonvirta 2018); the 2024 deposit adds "Microwork"."""

# Characters whose Unicode simple case folding is an ASCII letter: RE2 with 'i' folds them, Python's re in
# ASCII mode does not, so Python maps them first (see the module docstring).
_FOLD_TO_ASCII = str.maketrans({"\u212a": "k", "\u017f": "s"})
_FLAGS = re.IGNORECASE | re.ASCII

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class TaxonomyError(ValueError):
    """A reference file breaks its contract (unknown type, duplicate id, a pattern the engines read apart)."""


@dataclass(frozen=True)
class TaskType:
    """One row of task_types.csv."""

    task_type: str
    label: str
    description: str
    oli_occupation: str | None
    oli_microwork: bool | None
    oli_in_scope: bool | None
    oli_crosswalk_note: str


@dataclass(frozen=True)
class Rule:
    """One row of task_rules.csv (``target`` = task type) or task_flag_rules.csv (``target`` = flag)."""

    rule_id: str
    priority: int
    target: str
    field: str
    pattern: str
    note: str


@dataclass(frozen=True)
class Classification:
    """What the taxonomy says about one listing, with the rule that said it (None when nothing matched)."""

    task_type: str
    rule_id: str | None
    oli_occupation: str | None
    oli_microwork: bool | None
    astroturf: bool
    astroturf_rule_id: str | None


# --------------------------------------------------------------------------------------------------------
# the pattern dialect


_FORBIDDEN = (
    (re.compile(r"\(\?(?!:)"), "only (?: ...) groups: no lookaround, named groups or inline flags"),
    (re.compile(r"\\[1-9]"), "no backreferences"),
    (re.compile(r"(?<!\\)\$"), "no $ (Python's matches before a final newline, RE2's does not)"),
    (re.compile(r"\\[sSAzZGpPQECuUN]"), "no \\s, \\A, \\z, \\Z, \\G, \\p, \\Q..\\E, \\C, \\u, \\N (engines differ)"),
    (re.compile(r"\[\[?:"), "no POSIX classes"),
    (re.compile(r"\{,"), "no {,n} (Python reads {0,n}, RE2 a literal)"),
    (re.compile(r"\)[*+]"), "no unbounded quantifier on a group (backtracking on long text)"),
)


def check_pattern(pattern: str) -> None:
    """Raise :class:`TaxonomyError` unless ``pattern`` means the same in RE2 and in Python's ``re``.

    Why these limits: the same rule must classify identically in the warehouse and in the crawlers; each
    refused construct is one where the engines are known to differ, or one that RE2 would reject.
    """
    if not pattern or pattern != pattern.strip():
        raise TaxonomyError(f"pattern {pattern!r} is empty or has surrounding blanks")
    for forbidden, why in _FORBIDDEN:
        if forbidden.search(pattern):
            raise TaxonomyError(f"pattern {pattern!r}: {why}")
    for ch in pattern:
        if ord(ch) < 32 or ord(ch) == 127:
            raise TaxonomyError(f"pattern {pattern!r}: control character {ch!r}")
        if ord(ch) > 127 and ch.lower() != ch.upper():
            raise TaxonomyError(f"pattern {pattern!r}: cased non-ASCII letter {ch!r} (case folding differs)")
    try:
        re.compile(pattern, _FLAGS)
    except re.error as exc:
        raise TaxonomyError(f"pattern {pattern!r} does not compile in Python: {exc}") from exc


def _search(compiled: re.Pattern[str], text: str | None) -> bool:
    return text is not None and compiled.search(text.translate(_FOLD_TO_ASCII)) is not None


# --------------------------------------------------------------------------------------------------------
# reading the reference files


def _read(name: str) -> str:
    return resources.files(REFERENCE_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _rows(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(_read(name)), strict=True)
    if tuple(reader.fieldnames or ()) != columns:
        raise TaxonomyError(f"{name}: columns {reader.fieldnames} are not {list(columns)}")
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            raise TaxonomyError(f"{name} line {line}: wrong number of fields")
        rows.append(row)
    return rows


def _bool(value: str, where: str, *, nullable: bool) -> bool | None:
    if value == "" and nullable:
        return None
    if value not in ("true", "false"):
        raise TaxonomyError(f"{where}: {value!r} is not true/false" + (" or empty" if nullable else ""))
    return value == "true"


@lru_cache(maxsize=1)
def task_types() -> dict[str, TaskType]:
    """The task types of task_types.csv by key, validated (OLI occupations from the OLI's own list)."""
    cols = ("task_type", "label", "description", "oli_occupation", "oli_microwork", "oli_in_scope",
            "oli_crosswalk_note")
    types: dict[str, TaskType] = {}
    for row in _rows(TASK_TYPES_FILE, cols):
        key = row["task_type"]
        where = f"{TASK_TYPES_FILE} {key!r}"
        if not _RULE_ID.match(key) or key in types:
            raise TaxonomyError(f"{where}: bad or duplicate task_type")
        occupation = row["oli_occupation"] or None
        if occupation is not None and occupation not in OLI_OCCUPATIONS:
            raise TaxonomyError(f"{where}: {occupation!r} is not an OLI occupation")
        if not row["label"] or not row["description"] or not row["oli_crosswalk_note"]:
            raise TaxonomyError(f"{where}: label, description and oli_crosswalk_note are required")
        types[key] = TaskType(key, row["label"], row["description"], occupation,
                              _bool(row["oli_microwork"], where, nullable=True),
                              _bool(row["oli_in_scope"], where, nullable=True), row["oli_crosswalk_note"])
    if OTHER not in types:
        raise TaxonomyError(f"{TASK_TYPES_FILE}: the fallback type {OTHER!r} is missing")
    return types


def _load_rules(name: str, target_column: str, allowed: set[str]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for row in _rows(name, ("rule_id", "priority", target_column, "field", "pattern", "note")):
        where = f"{name} {row['rule_id']!r}"
        if not _RULE_ID.match(row["rule_id"]):
            raise TaxonomyError(f"{where}: rule_id must be lower-case letters, digits and _")
        if not re.fullmatch(r"[0-9]{1,6}", row["priority"]):
            raise TaxonomyError(f"{where}: priority {row['priority']!r} is not a whole number")
        if row[target_column] not in allowed:
            raise TaxonomyError(f"{where}: {target_column} {row[target_column]!r} is not one of {sorted(allowed)}")
        if row["field"] not in FIELDS:
            raise TaxonomyError(f"{where}: field {row['field']!r} is not one of {FIELDS}")
        if not row["note"]:
            raise TaxonomyError(f"{where}: every rule says why it exists (note)")
        try:
            check_pattern(row["pattern"])
        except TaxonomyError as exc:
            raise TaxonomyError(f"{where}: {exc}") from exc
        rules.append(Rule(row["rule_id"], int(row["priority"]), row[target_column], row["field"],
                          row["pattern"], row["note"]))
    for attr in ("rule_id", "priority"):
        values = [getattr(r, attr) for r in rules]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            # Unique priorities make "the first matching rule" one rule, the same in every engine.
            raise TaxonomyError(f"{name}: duplicate {attr} {dupes}")
    return tuple(sorted(rules, key=lambda r: r.priority))


@lru_cache(maxsize=1)
def task_rules() -> tuple[Rule, ...]:
    """The task-type rules of task_rules.csv, validated, in priority order (lowest first)."""
    return _load_rules(TASK_RULES_FILE, "task_type", set(task_types()))


@lru_cache(maxsize=1)
def flag_rules() -> tuple[Rule, ...]:
    """The flag rules of task_flag_rules.csv, validated, in priority order."""
    return _load_rules(FLAG_RULES_FILE, "flag", {ASTROTURF})


@lru_cache(maxsize=1)
def taxonomy_version() -> str:
    """sha256 (first 16 hex digits) of the three reference files: which rules classified a row."""
    digest = hashlib.sha256()
    for name in (TASK_TYPES_FILE, TASK_RULES_FILE, FLAG_RULES_FILE):
        digest.update(name.encode() + b"\0" + _read(name).encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------------------------------------
# classifying in Python


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[tuple[Rule, re.Pattern[str]], ...], tuple[tuple[Rule, re.Pattern[str]], ...]]:
    """Every rule compiled once per process (the crawlers classify item by item)."""
    return (tuple((r, re.compile(r.pattern, _FLAGS)) for r in task_rules()),
            tuple((r, re.compile(r.pattern, _FLAGS)) for r in flag_rules()))


def _field_text(field: str, texts: dict[str, str | None]) -> str | None:
    if field == "any":
        # Same as DuckDB's concat_ws: NULLs skipped, empty strings kept; all NULL -> ''.
        return ANY_SEPARATOR.join(v for v in texts.values() if v is not None)
    return texts[field]


def _first(rules: tuple[tuple[Rule, re.Pattern[str]], ...], texts: dict[str, str | None]) -> Rule | None:
    for rule, compiled in rules:
        if _search(compiled, _field_text(rule.field, texts)):
            return rule
    return None


def classify(title: str | None, description: str | None = None, category: str | None = None,
             keywords: str | None = None) -> Classification:
    """Classify one listing from its published text: the first matching rule's task type (``other`` when
    none matches), its OLI crosswalk, and whether any astroturfing rule matches.

    ``category`` is the platform's own category (several joined with "; "), ``keywords`` its keywords,
    tags or skills (joined with ", "); pass None for what the platform does not publish.
    """
    texts = {"title": title, "description": description, "category": category, "keywords": keywords}
    type_rules, flags = _compiled()
    rule = _first(type_rules, texts)
    flag = _first(flags, texts)
    task_type = rule.target if rule else OTHER
    info = task_types()[task_type]
    return Classification(task_type=task_type, rule_id=rule.rule_id if rule else None,
                          oli_occupation=info.oli_occupation, oli_microwork=info.oli_microwork,
                          astroturf=flag is not None, astroturf_rule_id=flag.rule_id if flag else None)


# --------------------------------------------------------------------------------------------------------
# the same in DuckDB
#
# Why generated CASE chains: DuckDB compiles a regular expression once when the pattern is a constant, but
# once per row when it comes from a column (about 40 times slower on the fixtures). So load_into writes
# the rules into ``<schema>.task_rule`` (the record researchers read and cite) and then derives, from that
# table, one macro per rule set whose body tests each pattern as a literal, in priority order. The patterns
# are our own validated reference data, quoted as SQL string literals; scraped text only ever arrives as
# the macros' arguments.

_FIELD_SQL = {
    "title": "title",
    "description": "description",
    "category": "category",
    "keywords": "keywords",
    "any": "concat_ws(' | ', title, description, category, keywords)",
}
"""The text each ``field`` names, in SQL; ``any`` joins the non-NULL fields as :data:`ANY_SEPARATOR`."""

_FOLD_SQL = "translate({text}, '\u212a\u017f', 'ks')"
"""The same mapping as :data:`_FOLD_TO_ASCII`, so RE2's ``\\b`` sees the same word characters as Python's."""

RULE_TEXT_SQL = """
CREATE OR REPLACE MACRO "{schema}".rule_text(field, title, description, category, keywords) AS
    translate(
        CASE field
            WHEN 'title' THEN title
            WHEN 'description' THEN description
            WHEN 'category' THEN category
            WHEN 'keywords' THEN keywords
            WHEN 'any' THEN concat_ws(' | ', title, description, category, keywords)
        END,
        '\u212a\u017f', 'ks')
"""
"""``<schema>.rule_text(field, ...)``: the text a rule with that ``field`` is matched against. For reading
the rules table by hand, e.g. ``regexp_matches(ref.rule_text(r.field, l.title, ...), r.pattern, 'i')``."""

CLASSIFY_SQL = """
CREATE OR REPLACE MACRO "{schema}".classify_listings(relation) AS TABLE
WITH matched AS (
    SELECT
        l.*,
        "{schema}".task_rule_id(l.title, l.description, l.category, l.keywords) AS task_rule_id,
        "{schema}".astroturf_rule_id(l.title, l.description, l.category, l.keywords) AS astroturf_rule_id
    FROM query_table(relation) AS l
)
SELECT
    m.* EXCLUDE (astroturf_rule_id),
    t.task_type,
    t.oli_occupation,
    t.oli_microwork,
    m.astroturf_rule_id IS NOT NULL AS astroturf,
    m.astroturf_rule_id,
    t.taxonomy_version
FROM matched AS m
LEFT JOIN "{schema}".task_rule AS r ON r.rule_id = m.task_rule_id
JOIN "{schema}".task_type AS t ON t.task_type = coalesce(r.task_type, 'other')
"""
"""How a table of listings is classified in SQL: ``SELECT * FROM ref.classify_listings('my_relation')``
(the relation's name may be a bound parameter). The relation needs columns title, description, category
and keywords (NULL where a platform publishes none); each row comes back with task_rule_id, task_type,
oli_occupation, oli_microwork, astroturf, astroturf_rule_id and taxonomy_version added. ``{schema}`` is
load_into's schema. ``<schema>.task_rule_id(title, description, category, keywords)`` is the first
matching rule of ``<schema>.task_rule`` by priority (NULL: none, i.e. ``other``), exactly as
:func:`classify` picks it; ``<schema>.astroturf_rule_id(...)`` the same over the astroturf flag rules."""

_TABLES_SQL = """
CREATE OR REPLACE TABLE "{schema}".task_type (
    task_type VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, description VARCHAR NOT NULL,
    oli_occupation VARCHAR, oli_microwork BOOLEAN, oli_in_scope BOOLEAN,
    oli_crosswalk_note VARCHAR NOT NULL,
    source VARCHAR NOT NULL, taxonomy_version VARCHAR NOT NULL);
CREATE OR REPLACE TABLE "{schema}".task_rule (
    rule_id VARCHAR PRIMARY KEY, priority INTEGER NOT NULL UNIQUE, task_type VARCHAR NOT NULL,
    field VARCHAR NOT NULL, pattern VARCHAR NOT NULL, note VARCHAR NOT NULL,
    source VARCHAR NOT NULL, taxonomy_version VARCHAR NOT NULL);
CREATE OR REPLACE TABLE "{schema}".task_flag_rule (
    rule_id VARCHAR PRIMARY KEY, priority INTEGER NOT NULL UNIQUE, flag VARCHAR NOT NULL,
    field VARCHAR NOT NULL, pattern VARCHAR NOT NULL, note VARCHAR NOT NULL,
    source VARCHAR NOT NULL, taxonomy_version VARCHAR NOT NULL);
"""


def _sql_literal(value: str) -> str:
    """A SQL string literal (DuckDB reads backslashes literally; quotes are doubled)."""
    if "\0" in value:
        raise TaxonomyError(f"NUL in {value!r}")
    return "'" + value.replace("'", "''") + "'"


def first_match_macro_sql(schema: str, name: str, rules: list[tuple[str, str, str]]) -> str:
    """``CREATE MACRO <schema>.<name>(title, description, category, keywords)``: the rule_id of the first
    of ``rules`` ((rule_id, field, pattern), already in priority order) whose pattern matches, else NULL."""
    _check_identifier(schema)
    _check_identifier(name)
    whens = "\n".join(
        f"        WHEN regexp_matches({_FOLD_SQL.format(text=_FIELD_SQL[field])}, {_sql_literal(pattern)}, 'i')"
        f" THEN {_sql_literal(rule_id)}"
        for rule_id, field, pattern in rules)
    body = f"CASE\n{whens}\n    END" if rules else "NULL::VARCHAR"
    return (f'CREATE OR REPLACE MACRO "{schema}".{name}(title, description, category, keywords) AS (\n'
            f"    {body}\n)")


def _check_identifier(name: str) -> None:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain lower-case identifier")


def _source(name: str) -> str:
    return f"{REFERENCE_PACKAGE.replace('.', '/')}/{name}"


def load_into(con: duckdb.DuckDBPyConnection, schema: str = "ref", *, transaction: bool = True) -> None:
    """Create or replace ``<schema>.task_type``, ``.task_rule`` and ``.task_flag_rule`` from the reference
    files, and the macros ``rule_text``, ``task_rule_id``, ``astroturf_rule_id`` and ``classify_listings``.

    Why from the parsed rows rather than DuckDB's CSV reader: both engines then use byte-identical patterns
    that passed :func:`check_pattern`. Every row carries its ``source`` file and the ``taxonomy_version``
    (content hash), so a classified figure can be traced to the exact rules. With ``transaction`` (the
    default) it is all or nothing; a caller that already holds a transaction (the warehouse loader) passes
    ``transaction=False`` and the work joins it.
    """
    _check_identifier(schema)
    version = taxonomy_version()
    types = list(task_types().values())
    rules, flags = task_rules(), flag_rules()
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        # Identifiers only: schema is checked by _check_identifier; every value is a bound parameter.
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        con.execute(_TABLES_SQL.format(schema=schema))
        con.executemany(
            f'INSERT INTO "{schema}".task_type VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',  # noqa: S608 (checked identifier)
            [(t.task_type, t.label, t.description, t.oli_occupation, t.oli_microwork, t.oli_in_scope,
              t.oli_crosswalk_note, _source(TASK_TYPES_FILE), version) for t in types])
        for table, name, items in (("task_rule", TASK_RULES_FILE, rules), ("task_flag_rule", FLAG_RULES_FILE, flags)):
            con.executemany(
                f'INSERT INTO "{schema}".{table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)',  # noqa: S608 (checked identifier)
                [(r.rule_id, r.priority, r.target, r.field, r.pattern, r.note, _source(name), version)
                 for r in items])
        con.execute(RULE_TEXT_SQL.format(schema=schema))
        # The macros are derived from the tables just written, so the warehouse classifies by its own record.
        type_rules = con.execute(
            f'SELECT rule_id, field, pattern FROM "{schema}".task_rule ORDER BY priority').fetchall()  # noqa: S608
        astroturf = con.execute(
            f'SELECT rule_id, field, pattern FROM "{schema}".task_flag_rule WHERE flag = ? '  # noqa: S608
            "ORDER BY priority", [ASTROTURF]).fetchall()
        con.execute(first_match_macro_sql(schema, "task_rule_id", type_rules))
        con.execute(first_match_macro_sql(schema, "astroturf_rule_id", astroturf))
        con.execute(CLASSIFY_SQL.format(schema=schema))
        if transaction:
            con.execute("COMMIT")
    except BaseException:
        if transaction:
            con.execute("ROLLBACK")
        raise


__all__ = [
    "ANY_SEPARATOR", "ASTROTURF", "CLASSIFY_SQL", "Classification", "FIELDS", "OLI_OCCUPATIONS", "OTHER",
    "RULE_TEXT_SQL", "Rule", "TaskType", "TaxonomyError", "check_pattern", "classify", "first_match_macro_sql",
    "flag_rules", "load_into", "task_rules", "task_types", "taxonomy_version",
]
