"""Benchmarks of the warehouse at the scale of a busy market (see docs/performance.md)."""
