"""Where data lives and how crawls identify themselves, read from the environment at call time.

Nothing here is evaluated at import time, so DAG files and tests can change the environment freely.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONTACT = "observatory-operator@example.org"
DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8765"


@dataclass(frozen=True)
class Paths:
    """The on-disk layout under OBSERVATORY_HOME (default ./data)."""

    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def published(self) -> Path:
        return self.published_dir / "warehouse.duckdb"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def landing_for(self, source: str) -> Path:
        return self.landing / source


def paths() -> Paths:
    """The layout for the current environment; OBSERVATORY_HOME moves everything."""
    return Paths(Path(os.environ.get("OBSERVATORY_HOME", "data")).resolve())


def contact() -> str:
    """The contact address sent in every crawler's User-Agent, so site operators can reach us."""
    return os.environ.get("OBSERVATORY_CONTACT", DEFAULT_CONTACT)


def user_agent() -> str:
    from observatory import __version__

    return f"microwork-observatory/{__version__} (+research crawler; contact: {contact()})"


def base_url(source: str) -> str:
    """Where a source is crawled: OBSERVATORY_<SOURCE>_BASE_URL, else the local simulator."""
    return os.environ.get(f"OBSERVATORY_{source.upper()}_BASE_URL", DEFAULT_SIMULATOR_URL).rstrip("/")


def coverage_threshold() -> float:
    """Runs that saw fewer than this share of the listings the site reports are kept out of flows."""
    return float(os.environ.get("OBSERVATORY_MIN_COVERAGE", "0.95"))


def pseudonym_key() -> bytes:
    """The per-installation key for pseudonymising people's names.

    Kept in OBSERVATORY_PSEUDONYM_KEY, or generated once into the data home, so pseudonyms are stable
    across runs (needed to count distinct requesters) but cannot be reversed by anyone without the key.
    """
    env = os.environ.get("OBSERVATORY_PSEUDONYM_KEY")
    if env:
        return env.encode()
    key_file = paths().home / ".pseudonym_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = key_file.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, key_file)
    return key_file.read_text().strip().encode()
