"""Benchmarks of customer-protocol: ``python -m bench [--quick]`` runs every figure.

Every figure is a ratio against a baseline measured in the same run (median of several
rounds), because absolute times on a shared machine are noise. See ``docs/performance.md``.
"""
