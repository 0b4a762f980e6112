"""The landing zone: one gzipped JSON-lines file of contract items per crawl run, plus its manifest.

A run is complete only when its manifest exists: items and quarantine files are written under a
``.part`` name and renamed before the manifest is written (atomically, last), so a killed crawl leaves
no manifest and the loader never sees half a run.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from observatory import config
from observatory.contract import SCHEMA_VERSION, utc_iso

MANIFEST_VERSION = 1


def new_run_id(source: str, now: datetime | None = None) -> str:
    """A sortable, unique run id: source, crawler UTC start time, random suffix."""
    now = now or datetime.now(UTC)
    return f"{source}-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class LandingWriter:
    """Writes one run's items and quarantine records; ``close`` seals them with a manifest."""

    source: str
    run_id: str
    root: Path = field(default_factory=lambda: config.paths().landing)
    items: int = 0
    quarantined: int = 0

    def __post_init__(self) -> None:
        self.dir = self.root / self.source
        self.dir.mkdir(parents=True, exist_ok=True)
        self.items_path = self.dir / f"{self.run_id}.jsonl.gz"
        self.quarantine_path = self.dir / f"{self.run_id}.quarantine.jsonl.gz"
        self.manifest_path = self.dir / f"{self.run_id}.manifest.json"
        if self.manifest_path.exists():
            raise FileExistsError(f"run {self.run_id} already landed at {self.manifest_path}")
        self._items = self._open(self.items_path)
        self._quarantine = self._open(self.quarantine_path)

    @staticmethod
    def _open(path: Path) -> io.TextIOWrapper:
        raw = open(path.with_name(path.name + ".part"), "wb")
        # mtime=0 makes the gzip bytes depend only on the content
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw, mode="wb", mtime=0), encoding="utf-8")

    def write_item(self, item: dict[str, Any]) -> None:
        self._items.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
        self.items += 1

    def write_quarantine(self, reason: str, record: Any, raw_ref: str | None, url: str | None = None) -> None:
        """Keep what could not be used, with why and where it came from, so nothing is silently lost."""
        row = {"run_id": self.run_id, "source": self.source, "reason": reason, "url": url,
               "raw_ref": raw_ref, "record": record}
        self._quarantine.write(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str) + "\n")
        self.quarantined += 1

    def close(self, manifest: dict[str, Any]) -> Path:
        """Seal the run: finish both files, rename them into place, then write the manifest last."""
        for stream, path in ((self._items, self.items_path), (self._quarantine, self.quarantine_path)):
            stream.flush()
            gz = stream.buffer
            stream.detach()
            fileobj = gz.fileobj  # type: ignore[attr-defined]
            gz.close()
            fileobj.flush()
            os.fsync(fileobj.fileno())
            fileobj.close()
            os.replace(path.with_name(path.name + ".part"), path)
        full = {
            "manifest_version": MANIFEST_VERSION,
            "contract_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "source": self.source,
            **manifest,
            "items": self.items,
            "quarantined": self.quarantined,
            "items_file": self.items_path.name,
            "items_sha256": sha256_file(self.items_path),
            "items_bytes": self.items_path.stat().st_size,
            "quarantine_file": self.quarantine_path.name,
            "quarantine_sha256": sha256_file(self.quarantine_path),
            "sealed_at": utc_iso(datetime.now(UTC).replace(microsecond=0)),
        }
        _atomic_write_text(self.manifest_path, json.dumps(full, indent=2, sort_keys=True) + "\n")
        return self.manifest_path


def iter_manifests(source: str | None = None, root: Path | None = None) -> Iterator[tuple[Path, dict]]:
    """Every sealed run in the landing zone, oldest run id first (run ids sort by crawl start)."""
    root = root or config.paths().landing
    pattern = f"{source}/*.manifest.json" if source else "*/*.manifest.json"
    for path in sorted(root.glob(pattern), key=lambda p: p.name):
        try:
            yield path, json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            yield path, {"_error": f"unreadable manifest: {exc}"}


def read_items(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)
