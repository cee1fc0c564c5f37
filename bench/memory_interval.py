"""What the allocation sampling mean costs: in-program time of allocation-heavy workloads
unprofiled, with only the allocator switch (PYTHONMALLOC=malloc on jemalloc, no profiler),
pyrometer CPU-only, and pyrometer with memory tracking at several means; plus the number of
allocation samples each mean took. Interleaved rounds, medians.

    python bench/memory_interval.py [--rounds N] [--python PYTHON]

`pyrometer` is taken from the same environment as PYTHON (bench/.venv after
`bash bench/run.sh setup`, or the repo's .venv).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = {
    "alloc_heavy": [str(HERE / "programs" / "alloc_heavy.py"), "--loops", "2"],
    "pure_python": [str(HERE / "programs" / "pure_python.py")],
    "sampled_allocs": [str(HERE / "programs" / "sampled_allocs.py")],
}
MEANS = [65536, 262144, 1048576]


def elapsed(output: str) -> float:
    # alloc_heavy prints "BENCH_ELAPSED s"; pure_python prints the seconds alone.
    match = re.search(r"(?:BENCH_ELAPSED )?([0-9.]+)\s*$", output)
    if not match:
        raise RuntimeError(output[-2000:])
    return float(match.group(1))


def jemalloc_path() -> str:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return next(line.split()[-1] for line in out.splitlines() if "libjemalloc.so.2 " in line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    pyrometer = str(Path(args.python).parent / "pyrometer")
    configs = {
        "unprofiled": ([args.python], {}),
        "allocator switch only": ([args.python], {"PYTHONMALLOC": "malloc", "LD_PRELOAD": jemalloc_path()}),
        "pyrometer --no-memory": ([pyrometer, "run", "-q", "--no-memory", "-o", "{out}"], {}),
    }
    for mean in MEANS:
        configs[f"pyrometer memory, mean {mean // 1024} KiB"] = (
            [pyrometer, "run", "-q", "--memory-interval", str(mean), "-o", "{out}", "--json", "{out}.json"], {})
    results: dict[str, dict[str, list[float]]] = {p: {c: [] for c in configs} for p in PROGRAMS}
    samples: dict[str, dict[str, int]] = {p: {} for p in PROGRAMS}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for program, argv in PROGRAMS.items():
                for name, (prefix, extra_env) in configs.items():
                    out = os.path.join(tmp, "p")
                    cmd = [part.replace("{out}", out) for part in prefix] + argv
                    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **extra_env},
                                          timeout=1200)
                    results[program][name].append(elapsed(proc.stdout))
                    if os.path.exists(out + ".json"):
                        data = json.load(open(out + ".json"))
                        if data.get("memory"):
                            samples[program][name] = data["memory"].get("alloc_samples", 0)
                        os.remove(out + ".json")
    for program, rows in results.items():
        base = statistics.median(rows["unprofiled"])
        print(f"\n{program} (unprofiled median {base:.2f} s, {args.rounds} rounds)")
        print("| configuration | median s | x unprofiled | allocation samples |")
        print("|---|---|---|---|")
        cpu_only = statistics.median(rows["pyrometer --no-memory"])
        for name, times in rows.items():
            med = statistics.median(times)
            taken = samples[program].get(name, "")
            per_sample = f" ({(med - cpu_only) / taken * 1e6:.1f} us per sample over --no-memory)" if taken else ""
            print(f"| {name} | {med:.2f} | {med / base:.2f}x | {taken}{per_sample} |")


if __name__ == "__main__":
    main()
