"""Shared test fixtures: an isolated data home per test, paths to the shared real pages."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("OBSERVATORY_FIXTURES", ROOT.parent / "shared" / "fixtures"))


@contextmanager
def serve_market(market: object) -> Iterator[object]:
    """Serve a simulated market on a free 127.0.0.1 port for the duration of the block."""
    from simulator.server import make_server

    httpd = make_server(market)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh OBSERVATORY_HOME, so no test sees another's data or the developer's ./data."""
    h = tmp_path / "data"
    h.mkdir()
    monkeypatch.setenv("OBSERVATORY_HOME", str(h))
    monkeypatch.setenv("OBSERVATORY_PSEUDONYM_KEY", "test-key")
    return h
