"""Runs one pyperformance benchmark in this process, a fixed number of loops, without
pyperf's worker processes (a profiler must see the work in the process it started).

    python pyperf_driver.py BENCHMARK_DIR --loops N [--only NAME,...] [--bench-arg ARG]...

pyperf.Runner is replaced by a stand-in that calls the benchmark's function `N` times
(bench_func, bench_async_func) or passes `loops=N` (bench_time_func), exactly as pyperf's
workers do, and the benchmark's own `run_benchmark.py` is executed as `__main__`. The last
line printed is `BENCH_ELAPSED <seconds>`: the time spent inside the benchmark functions,
as the program measures it (imports and set-up excluded). `--only` runs just the named
sub-benchmarks of a benchmark that registers several (e.g. pprint_pformat); each
`--bench-arg` is passed on to the benchmark's own command line (async_tree's variant).
No `--` separator: scalene 2.4 moves a program's `--` and what follows to the front.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import runpy
import sys
import time

import pyperf


class _LoopRunner:
    """Stands in for pyperf.Runner: same entry points, no worker processes, no statistics."""

    loops = 1
    elapsed = 0.0
    only: set[str] = set()

    def __init__(self, *args, **kwargs):
        self.argparser = argparse.ArgumentParser()
        self.metadata: dict[str, object] = {}

    def parse_args(self, args=None):
        return self.argparser.parse_args(args)

    def _skip(self, name):
        return bool(self.only) and name not in self.only

    def bench_func(self, name, func, *args, inner_loops=None, metadata=None):
        if self._skip(name):
            return
        start = time.perf_counter()
        for _ in range(self.loops):
            func(*args)
        _LoopRunner.elapsed += time.perf_counter() - start

    def bench_time_func(self, name, time_func, *args, inner_loops=None, metadata=None):
        if self._skip(name):
            return
        start = time.perf_counter()
        time_func(self.loops, *args)
        _LoopRunner.elapsed += time.perf_counter() - start

    def bench_async_func(self, name, func, *args, inner_loops=None, metadata=None, loop_factory=None):
        if self._skip(name):
            return

        async def repeat():
            for _ in range(self.loops):
                await func(*args)

        start = time.perf_counter()
        asyncio.run(repeat())
        _LoopRunner.elapsed += time.perf_counter() - start

    def bench_command(self, name, command):
        raise SystemExit(f"pyperf_driver: {name} runs a subprocess (bench_command); not supported")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("benchmark_dir")
    parser.add_argument("--loops", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--bench-arg", action="append", default=[])
    opts = parser.parse_args()
    script = os.path.join(os.path.abspath(opts.benchmark_dir), "run_benchmark.py")
    _LoopRunner.loops = opts.loops
    _LoopRunner.only = {name for name in opts.only.split(",") if name}
    pyperf.Runner = _LoopRunner
    sys.argv = [script, *opts.bench_arg]
    sys.path.insert(0, os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")
    print(f"BENCH_ELAPSED {_LoopRunner.elapsed:.6f}", flush=True)


if __name__ == "__main__":
    main()
