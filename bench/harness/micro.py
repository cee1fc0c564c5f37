"""C++ microbenchmarks: the lead's capture_cost (native unwind inside a SIGPROF handler) and
the Google Benchmark programs of bench/cpp_micro (aggregation throughput, report
generation for one million samples), built against the repo's own sampler/report sources.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .common import BUILD, PYTHON, REPO, VENV_BIN, loadavg, log, median, run, save_json

MICRO_BUILD = BUILD / "cpp_micro"
CAPTURE_RUNS = 3
CAPTURE_ARGS = ["50", "3000"]


def _cmake() -> str:
    return shutil.which("cmake") or str(VENV_BIN / "cmake")


def _ninja_args() -> list[str]:
    ninja = shutil.which("ninja") or str(VENV_BIN / "ninja")
    return ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"]


def build_micro() -> str | None:
    """Configures and builds bench/cpp_micro (and capture_cost with it). None, or the error."""
    configure = run([_cmake(), "-S", str(REPO / "bench" / "cpp_micro"), "-B", str(MICRO_BUILD),
                     *_ninja_args(), f"-DPython_EXECUTABLE={PYTHON}"], timeout=600)
    if not configure.ok:
        return "cmake configure failed: " + _tail(configure.stdout + configure.stderr)
    build = run([_cmake(), "--build", str(MICRO_BUILD), "--target", "pyro_micro", "capture_cost"], timeout=1800)
    if not build.ok:
        return "build failed: " + _tail(build.stdout + build.stderr, 25)
    return None


def _tail(text: str, n: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


_CAPTURE = re.compile(r"depth (\d+) \((\d+) frames captured\), (\d+) samples: median (\d+) ns, p90 (\d+) ns")


def capture_cost() -> dict:
    """Builds capture_cost in build/dev when that build exists (as the lead does), else
    uses the one built with the microbenchmarks."""
    result: dict = {"args": CAPTURE_ARGS, "runs": []}
    dev = REPO / "build" / "dev"
    binary = None
    if (dev / "CMakeCache.txt").exists():
        build = run([_cmake(), "--build", str(dev), "--target", "capture_cost"], timeout=1800)
        if build.ok:
            binary = dev / "bench" / "cpp" / "capture_cost"
            result["build"] = "cmake --build build/dev --target capture_cost"
        else:
            result["build_dev_error"] = _tail(build.stdout + build.stderr)
    if binary is None:
        binary = MICRO_BUILD / "pyrometer" / "bench" / "cpp" / "capture_cost"
        result["build"] = f"bench's own build ({MICRO_BUILD.relative_to(REPO)})"
    if not binary.exists():
        result["error"] = f"{binary} was not built"
        return result
    result["command"] = f"{binary.relative_to(REPO)} {' '.join(CAPTURE_ARGS)}"
    for _ in range(CAPTURE_RUNS):
        out = run([str(binary), *CAPTURE_ARGS], timeout=300)
        match = _CAPTURE.search(out.stdout)
        if not out.ok or not match:
            result["error"] = out.error() if not out.ok else f"unexpected output: {out.stdout.strip()}"
            break
        depth, frames, samples, med, p90 = (int(g) for g in match.groups())
        result["runs"].append({"depth": depth, "frames": frames, "samples": samples,
                               "median_ns": med, "p90_ns": p90, "line": out.stdout.strip()})
    if result["runs"]:
        result["median_ns"] = median([r["median_ns"] for r in result["runs"]])
        result["p90_ns"] = median([r["p90_ns"] for r in result["runs"]])
    return result


def google_benchmarks(short: bool) -> dict:
    binary = MICRO_BUILD / "pyro_micro"
    out_file = MICRO_BUILD / "pyro_micro.json"
    cmd = [str(binary), f"--benchmark_out={out_file}", "--benchmark_out_format=json",
           f"--benchmark_min_time={0.2 if short else 1.0}"]
    if not short:
        cmd.append("--benchmark_repetitions=3")
    result = run(cmd, timeout=1800)
    if not result.ok or not out_file.exists():
        return {"error": result.error(), "command": " ".join(cmd)}
    data = json.loads(out_file.read_text())
    rows = []
    for bench in data["benchmarks"]:
        if bench.get("run_type") == "aggregate" and bench.get("aggregate_name") != "median":
            continue
        if short is False and bench.get("run_type") != "aggregate":
            continue
        rows.append({
            "name": bench.get("run_name", bench["name"]),
            "real_time": bench["real_time"], "cpu_time": bench["cpu_time"], "time_unit": bench["time_unit"],
            "items_per_second": bench.get("items_per_second"),
            "profile_bytes": bench.get("profile_bytes"), "stacks": bench.get("stacks"),
        })
    return {"command": " ".join(str(c) for c in cmd).replace(str(REPO) + "/", ""),
            "context": {k: data["context"].get(k) for k in ("num_cpus", "mhz_per_cpu", "library_build_type", "load_avg")},
            "rows": rows}


def run_suite(short: bool, out_path: Path) -> dict:
    results: dict = {"loadavg_start": loadavg()}
    error = build_micro()
    if error:
        log(f"microbenchmarks: {error.splitlines()[0]}")
        results["build_error"] = error
    results["capture_cost"] = capture_cost()
    if not error:
        log("microbenchmarks: running pyro_micro (Google Benchmark)")
        results["google_benchmark"] = google_benchmarks(short)
    results["loadavg_end"] = loadavg()
    save_json(out_path, results)
    return results
