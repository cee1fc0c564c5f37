"""CPU-mode overhead of pyrometer on a pure-Python program.

Runs the program alternately without and with the profiler (A B A B ...), several times,
and reports the median and min-max of the slowdown, both as the program measures itself
(sampling overhead) and as wall time of the whole command (plus start-up and report).

    .venv/bin/python bench/overhead.py [--runs N] [--interval MS]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--interval", default="10")
    ap.add_argument("--program", default=str(HERE / "programs" / "pure_python.py"))
    args = ap.parse_args()
    pyrometer = shutil.which("pyrometer") or str(Path(sys.executable).parent / "pyrometer")
    work = tempfile.mkdtemp(prefix="pyro-bench-")
    plain_cmd = [sys.executable, args.program]
    prof_cmd = [pyrometer, "run", "-q", "--no-memory", "--interval", args.interval,
                "-o", os.path.join(work, "p"), args.program]
    timed(plain_cmd)  # warm caches
    inner, outer = [], []
    for _ in range(args.runs):
        a_in, a_out = timed(plain_cmd)
        b_in, b_out = timed(prof_cmd)
        inner.append(b_in / a_in)
        outer.append(b_out / a_out)
    def fmt(xs):
        return f"median {statistics.median(xs):.3f}x (min {min(xs):.3f}x, max {max(xs):.3f}x)"
    print(f"program: {Path(args.program).name}, interval {args.interval} ms, {args.runs} interleaved pairs")
    print(f"  in-program time: {fmt(inner)}")
    print(f"  whole command:   {fmt(outer)}")


if __name__ == "__main__":
    main()
