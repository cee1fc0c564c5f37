"""The benchmark harness: suites, tool adapters, and the docs writer (see bench/bench.py)."""
