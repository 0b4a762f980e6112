"""A seeded, deterministic Amazon Mechanical Turk marketplace served over HTTP on 127.0.0.1.

It is the demo's data source, the target of end-to-end tests and the ground truth for the estimators. It
shares no code with the project's parsers (standard library only), so a round trip through both proves
something. See ``simulator.market`` for the model and ``simulator.server`` for the endpoints.
"""

from simulator.market import Market
from simulator.server import make_server, serve

__all__ = ["Market", "make_server", "serve"]
