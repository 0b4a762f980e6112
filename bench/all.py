"""``make bench``: the parsing benchmark, then generate the year if it is not there yet and run the scale
benchmark on it.

Options pass through to bench.scale (``--days``, ``--source``, ``--work``). Without ``--days`` it loads 30
days (~12 min on 2 cores; the full 365 take ~2 hours, docs/performance.md); ``--days 7`` for a quick look.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench import generate_year, parsers, scale


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parsers.main([])
    print()
    if "--days" not in argv:
        argv += ["--days", "30"]
    source = Path(argv[argv.index("--source") + 1]) if "--source" in argv else Path("/tmp/observatory-bench")
    days = int(argv[argv.index("--days") + 1])
    have = len(list((source / "landing" / "mturk").glob("*.manifest.json")))
    if have < days * 96:
        t = time.perf_counter()
        generate_year.main(["--home", str(source), "--days", str(days)])
        print(f"generation: {time.perf_counter() - t:.0f}s")
    scale.main(argv)


if __name__ == "__main__":
    main()
