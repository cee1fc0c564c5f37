"""PYTHONMALLOC=malloc (what pyrometer does) vs. PyMem domain hooks, fast paths only: the
in-program time of bench/programs/{pure_python,alloc_heavy}.py

  - pymalloc: the interpreter as it comes;
  - PyMem hooks: pymalloc behind wrappers with a byte countdown (pymem_probe.c);
  - PYTHONMALLOC=malloc + shim: every allocation through pyrometer's allocation shim on
    jemalloc (agent loaded, memory configured, no sample ever taken: mean 1 TB).

    python bench/pymem_hooks/compare.py [--rounds N] [--build-dir build/dev]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PROGRAMS = {"pure_python": ["pure_python.py"], "alloc_heavy": ["alloc_heavy.py", "--loops", "2"]}
RUNNER = "import runpy, sys; {pre}sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def seconds(out: str) -> float:
    return float(re.search(r"([0-9.]+)\s*$", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--build-dir", default=str(REPO / "build" / "dev"))
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        ext = Path(tmp) / ("pymem_probe" + sysconfig.get_config_var("EXT_SUFFIX"))
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", f"-I{sysconfig.get_paths()['include']}",
                        str(HERE / "pymem_probe.c"), "-o", str(ext)], check=True)
        shim = f"{build}/preload/libpyrometer_memory.so:{build}/preload/libpyrometer_preload.so"
        configs = {
            "pymalloc (unprofiled)": (RUNNER.format(pre=""), {}),
            "PyMem hooks (countdown)": (RUNNER.format(pre=f"sys.path.insert(0, {tmp!r}); import pymem_probe; "), {}),
            "PYTHONMALLOC=malloc + shim": (RUNNER.format(pre=""), {
                "PYTHONMALLOC": "malloc", "LD_PRELOAD": shim,
                "PYROMETER_AGENT": f"out={tmp}/x.pyro;memory=1;memory_interval=1000000000000"}),
        }
        times = {p: {c: [] for c in configs} for p in PROGRAMS}
        for _ in range(args.rounds):
            for program, argv in PROGRAMS.items():
                for name, (code, env) in configs.items():
                    cmd = [sys.executable, "-c", code, str(REPO / "bench" / "programs" / argv[0]), *argv[1:]]
                    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True)
                    times[program][name].append(seconds(out.stdout))
    for program, rows in times.items():
        base = statistics.median(rows["pymalloc (unprofiled)"])
        print(f"\n{program} ({args.rounds} rounds, medians)")
        print("| allocator path | s | x pymalloc |")
        print("|---|---|---|")
        for name, values in rows.items():
            med = statistics.median(values)
            print(f"| {name} | {med:.3f} | {med / base:.3f}x |")


if __name__ == "__main__":
    main()
