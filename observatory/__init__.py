"""The microwork observatory: crawl published micro-task listings, load them into DuckDB, publish figures."""

__version__ = "0.1.0"
