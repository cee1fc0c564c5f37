"""Ground truth that the accuracy programs measure about themselves.

A program marks each line it measures with a trailing `# @L:name` comment (the harness
finds the line numbers there) and adds what it measured under that name. At exit the truth
goes, as JSON, to the file named by BENCH_TRUTH_FILE (nothing is written without it).

Kept tiny: it runs inside the profiled process, under every profiler.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import resource
import time

cpu: dict[str, dict[str, float]] = {}      # line name -> {"python"|"native"|"system"|"user"|"total": s}
functions: dict[str, float] = {}          # function name -> CPU seconds, inclusive
alloc: dict[str, int] = {}                # line name -> bytes allocated there
live: dict[str, int] = {}                 # line name -> bytes allocated there and still live at exit
notes: dict[str, object] = {}

thread_time = time.thread_time


def add_cpu(name: str, kind: str, seconds: float) -> None:
    slot = cpu.setdefault(name, {})
    slot[kind] = slot.get(kind, 0.0) + seconds


def add_function(name: str, seconds: float) -> None:
    functions[name] = functions.get(name, 0.0) + seconds


def thread_usage() -> tuple[float, float]:
    """(user, system) CPU seconds of the calling thread."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime, usage.ru_stime


def scale_from_argv() -> float:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="work multiplier (1.0: a few seconds)")
    return parser.parse_args().scale


def _dump() -> None:
    path = os.environ.get("BENCH_TRUTH_FILE")
    if not path:
        return
    data = {
        "cpu": cpu,
        "functions": functions,
        "alloc": alloc,
        "live": live,
        "notes": notes,
        "process_cpu_s": time.process_time(),
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, sort_keys=True)


atexit.register(_dump)
