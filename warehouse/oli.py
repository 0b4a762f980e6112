"""Import the Online Labour Index back-series, so our new-listing series can be read beside the OLI's.

Why here and why so strict: the OLI (Kässi, Hadley & Lehdonvirta, figshare DOI 10.6084/m9.figshare.3761562,
CC BY 4.0) is the reference series our OLI-comparable marts are checked against, and agencies will quote
both. So a file is imported as published, never edited: every row is validated (header, ISO dates, known
OLI occupation names, whole non-negative counts, no duplicate keys), the file's sha256 and the deposit's
DOI, licence and citation are recorded in ``core.oli_import``, and gaps stay gaps. The deposit omits
zero counts, and a collection outage shows as a (day, domain) with no row at all: the views of migration
004 (``mart.oli_backseries_daily``, ``mart.oli_index``) read the first as 0 and the second as NULL.

Two kinds of file:
- :func:`import_oli_series`: the deposit's raw daily counts, ``timestamp,occupation,status,domain,count``
  (e.g. ``oli11data.txt``, the non-English platforms, by domain es/ru/ph);
- :func:`import_oli_levels_monthly`: a third party's table of monthly means of the OLI daily index
  (``date,<occupation>...,Total,...``), flagged as derived, never presented as the official series.
Re-importing the same file under the same label changes nothing; another file under that label replaces
the label's rows in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from observatory.taxonomy import OLI_OCCUPATIONS

OLI_DOI = "10.6084/m9.figshare.3761562"
OLI_LICENCE = "CC BY 4.0"
OLI_CITATION = (
    "Kässi, O., Hadley, C. & Lehdonvirta, V., Online Labour Index: measuring the online gig economy for "
    "policy and research, figshare, DOI 10.6084/m9.figshare.3761562 (CC BY 4.0); Kässi & Lehdonvirta (2018), "
    "Technological Forecasting and Social Change 137:241-248"
)
# The six OLI occupations, plus the seventh of the 2024 deposit.
OLI_NAMES = frozenset(OLI_OCCUPATIONS) | {"Microwork"}
DAILY_HEADER = ["timestamp", "occupation", "status", "domain", "count"]
DAILY_STATUSES = frozenset({"new"})
LEVELS_EXTRA_COLUMNS = frozenset({"Total"})


class OliFileError(ValueError):
    """An OLI file that does not match its published format (nothing is imported from it)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise OliFileError(f"{where}: {text!r} is not an ISO date") from exc


def parse_daily(text: str) -> pd.DataFrame:
    """Rows (day, occupation, status, domain, vacancies) of a deposit daily-count file, validated."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != DAILY_HEADER:
        raise OliFileError(f"expected header {DAILY_HEADER}, found {header}")
    rows = []
    seen: set[tuple[date, str, str, str]] = set()
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(DAILY_HEADER):
            raise OliFileError(f"line {line}: {len(row)} fields, expected {len(DAILY_HEADER)}")
        day = _day(row[0], f"line {line}")
        occupation, status, domain, count = (v.strip() for v in row[1:])
        if occupation not in OLI_NAMES:
            raise OliFileError(f"line {line}: {occupation!r} is not an OLI occupation")
        if status not in DAILY_STATUSES:
            raise OliFileError(f"line {line}: status {status!r} is not one of {sorted(DAILY_STATUSES)}")
        if not domain:
            raise OliFileError(f"line {line}: empty domain")
        if not count.isdigit():
            raise OliFileError(f"line {line}: count {count!r} is not a whole non-negative number")
        key = (day, occupation, status, domain)
        if key in seen:
            raise OliFileError(f"line {line}: duplicate row for {key}")
        seen.add(key)
        rows.append((day, occupation, status, domain, int(count)))
    if not rows:
        raise OliFileError("no data rows")
    return pd.DataFrame(rows, columns=["day", "occupation", "status", "domain", "vacancies"])


def parse_levels_monthly(text: str) -> pd.DataFrame:
    """Rows (month, occupation, level) of a wide monthly-levels table (``date,<occupation>...``), validated."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not header or header[0] != "date" or len(header) < 2:
        raise OliFileError(f"expected a header 'date,<occupation>,...', found {header}")
    names = header[1:]
    unknown = [n for n in names if n not in OLI_NAMES | LEVELS_EXTRA_COLUMNS]
    if unknown or len(set(names)) != len(names):
        raise OliFileError(f"unknown or repeated columns {unknown or names}")
    rows = []
    months: set[date] = set()
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise OliFileError(f"line {line}: {len(row)} fields, expected {len(header)}")
        month = _day(row[0], f"line {line}")
        if month.day != 1 or month in months:
            raise OliFileError(f"line {line}: {month} is not a new first day of a month")
        months.add(month)
        for name, cell in zip(names, row[1:], strict=True):
            try:
                level = float(cell)
            except ValueError as exc:
                raise OliFileError(f"line {line}: {name} = {cell!r} is not a number") from exc
            if not math.isfinite(level) or level < 0:
                raise OliFileError(f"line {line}: {name} = {cell!r} is not a finite non-negative level")
            rows.append((month, name, level))
    if not rows:
        raise OliFileError("no data rows")
    return pd.DataFrame(rows, columns=["month", "occupation", "level"])


def _already(con: duckdb.DuckDBPyConnection, label: str, kind: str, sha: str) -> bool:
    row = con.execute(
        "SELECT file_sha256 FROM core.oli_import WHERE source_label = ? AND kind = ?", [label, kind]).fetchone()
    return row is not None and row[0] == sha


def _record(con: duckdb.DuckDBPyConnection, label: str, kind: str, path: Path, sha: str, n: int,
            first: date, last: date, note: str) -> None:
    con.execute("DELETE FROM core.oli_import WHERE source_label = ? AND kind = ?", [label, kind])
    con.execute(
        "INSERT INTO core.oli_import VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [label, kind, path.name, sha, n, first, last, OLI_DOI, OLI_LICENCE, OLI_CITATION, note,
         datetime.now(UTC)],
    )


def _check_label(label: str) -> None:
    if not label or not label.strip() or label != label.strip() or len(label) > 80:
        raise ValueError(f"source_label {label!r} must be non-empty text without surrounding blanks (<= 80)")


def import_oli_series(con: duckdb.DuckDBPyConnection, path: Path, source_label: str) -> int:
    """Import one OLI daily-count file under ``source_label``; return the rows written (0 if unchanged).

    All or nothing, in one transaction: a file with any bad row imports nothing. The series appears in
    ``mart.oli_index`` as ``oli:<source_label>``, beside ``observatory:<source>``.
    """
    _check_label(source_label)
    data = Path(path).read_bytes()
    sha = _sha256(data)
    frame = parse_daily(data.decode("utf-8-sig"))
    kind = "daily_counts"
    if _already(con, source_label, kind, sha):
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM core.oli_backseries WHERE source_label = ?", [source_label])
        con.register("_oli_rows", frame)
        try:
            con.execute(
                "INSERT INTO core.oli_backseries SELECT ?, CAST(day AS DATE), occupation, status, domain, "
                "vacancies FROM _oli_rows", [source_label])
        finally:
            con.unregister("_oli_rows")
        _record(con, source_label, kind, Path(path), sha, len(frame), min(frame["day"]), max(frame["day"]),
                "Raw daily counts of new vacancies by OLI occupation and domain, as deposited. A (day, "
                "domain) without any row is a collection gap (NULL in the marts); a missing occupation on a "
                "(day, domain) that has rows is 0 (the deposit omits zero counts).")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(frame)


def import_oli_levels_monthly(
    con: duckdb.DuckDBPyConnection, path: Path, source_label: str, *, derived_by: str
) -> int:
    """Import a third party's monthly OLI index table under ``source_label``; rows written (0 if unchanged).

    ``derived_by`` names who computed the table and where it was published (recorded in the note), since
    the figures are theirs, not the OLI team's.

    Flagged in ``core.oli_import`` (kind ``monthly_levels_third_party``) and in ``mart.oli_levels_monthly``
    as a derived table: monthly means of the daily index computed by someone else, not the OLI's own
    28-day moving average, so it is for orientation and cross-checks, never quoted as the OLI.
    """
    _check_label(source_label)
    if not derived_by.strip():
        raise ValueError("derived_by must say who computed the table and where it was published")
    data = Path(path).read_bytes()
    sha = _sha256(data)
    frame = parse_levels_monthly(data.decode("utf-8-sig"))
    kind = "monthly_levels_third_party"
    if _already(con, source_label, kind, sha):
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM core.oli_levels_monthly WHERE source_label = ?", [source_label])
        con.register("_oli_rows", frame)
        try:
            con.execute(
                "INSERT INTO core.oli_levels_monthly SELECT ?, CAST(month AS DATE), occupation, level "
                "FROM _oli_rows", [source_label])
        finally:
            con.unregister("_oli_rows")
        _record(con, source_label, kind, Path(path), sha, len(frame), min(frame["month"]), max(frame["month"]),
                "DERIVED THIRD-PARTY TABLE: monthly means of the OLI daily demand index (May 2016 = 100) by "
                f"occupation, computed by a third party ({derived_by}) from the deposit; not the official "
                "28-day series.")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(frame)


__all__ = [
    "OLI_CITATION", "OLI_DOI", "OLI_LICENCE", "OliFileError", "import_oli_levels_monthly", "import_oli_series",
    "parse_daily", "parse_levels_monthly",
]
