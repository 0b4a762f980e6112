"""``python -m simulator``: serve the simulated MTurk and freelance markets until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse

from simulator.market import DEFAULT_START
from simulator.server import serve


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", default=DEFAULT_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        help="simulated start instant, ISO 8601 UTC (truth is reported from here on)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies workers, requesters, employers and postings")
    parser.add_argument("--speed", type=float, default=0.0,
                        help="simulated minutes per real second (0: clock moves only via POST /_sim/advance)")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, seed=args.seed, start=args.start, scale=args.scale, speed=args.speed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
