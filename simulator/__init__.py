"""Seeded, deterministic marketplaces served over HTTP on 127.0.0.1: Amazon Mechanical Turk and the freelance
marketplaces (Freelancer.com, PeoplePerHour, Upwork), all on one simulated clock.

It is the demo's data source, the target of end-to-end tests and the ground truth for the estimators. It
shares no code with the project's parsers (standard library only), so a round trip through both proves
something. See ``simulator.market`` (MTurk) and ``simulator.freelance`` (freelance projects) for the models,
``simulator.freelance_formats`` for the freelance formats, and ``simulator.server`` for the endpoints.
"""

from simulator.freelance import FreelanceMarket
from simulator.market import Market
from simulator.server import make_server, serve

__all__ = ["FreelanceMarket", "Market", "make_server", "serve"]
