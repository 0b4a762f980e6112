"""The ``observatory`` command as a newcomer meets it: help on every command, the demo, status, sql."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from observatory.cli import build_parser, main

COMMANDS = ["simulate", "crawl", "reparse", "load", "publish", "dashboard", "demo", "sql", "export",
            "dictionary", "refdata", "import-feed", "oli-import", "params", "status"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert f"observatory {command}" in out and len(out) > 200


def test_top_level_help_lists_every_command() -> None:
    text = build_parser().format_help()
    assert all(c in text for c in COMMANDS)


def test_status_on_an_empty_home_says_what_to_do(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    assert "observatory demo" in capsys.readouterr().out


@pytest.mark.e2e
def test_demo_without_serving_then_status_sql_and_export(home: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # a real subprocess, as the README runs it
    proc = subprocess.run([sys.executable, "-m", "observatory.cli", "demo", "--no-serve", "--crawls", "3",
                           "--step-minutes", "60"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "published snapshot (read-only)" in proc.stdout and "0 failures" in proc.stdout
    assert (home / "published" / "warehouse.duckdb").exists()

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["sources"]["mturk"]["runs"] == 3 and status["sources"]["mturk"]["failed"] == 0

    # MTurk at every step; the other simulated sources at the first of every four
    assert {s: v["runs"] for s, v in status["sources"].items()} == {
        "mturk": 3, "freelancer": 1, "peopleperhour": 1, "upwork": 1, "taskboard_sim": 1}
    assert main(["sql", "SELECT source, count(*) AS n FROM public.crawl_runs GROUP BY ALL ORDER BY 1",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"source": s, "n": n} for s, n in
        [("freelancer", 1), ("mturk", 3), ("peopleperhour", 1), ("taskboard_sim", 1), ("upwork", 1)]]
    assert main(["sql", "CREATE TABLE x AS SELECT 1"]) == 2
    assert main(["export", str(tmp_path / "export")]) == 0
    assert (tmp_path / "export" / "SHA256SUMS").exists()
