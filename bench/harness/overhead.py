"""Overhead suite: the long-running pyperformance benchmarks of scalene's OSDI'23
evaluation plus two programs of ours, each run without a profiler and under every tool,
interleaved, several times. The slowdown of a run is its wall time divided by the wall
time of the unprofiled run of the same round.

Workloads run a fixed number of loops, calibrated once without a profiler so that the
unprofiled run takes about the target time (full: 10 s; short: ~1.5 s, at least one loop).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import tools
from .common import (BENCH, PYTHON, WORKLOADS, bench_env, dir_bytes, fresh_dir, geomean,
                     loadavg, log, median, run, save_json)


SLOW_ONCE = 10.0  # a configuration slower than this (x unprofiled) is not repeated
SLOW_CAP = 40.0   # ... and one slower than this is stopped: its ratio is reported as "> 40x"


@dataclass
class Workload:
    name: str
    source: str                  # "pyperformance" or "own"
    benchmark: str = ""          # pyperformance benchmark directory (bm_*)
    bench_args: list[str] = field(default_factory=list)
    short_only: str = ""         # short mode: run only these sub-benchmarks (driver --only)
    short_subset: str = ""       # short mode: the part of the input data kept (docutils)
    note: str = ""


WORKLOADS_LIST = [
    Workload("async_tree", "pyperformance", "bm_async_tree", ["none"]),
    Workload("async_tree_io", "pyperformance", "bm_async_tree", ["io"]),
    Workload("async_tree_memoization", "pyperformance", "bm_async_tree", ["memoization"]),
    Workload("async_tree_cpu_io_mixed", "pyperformance", "bm_async_tree", ["cpu_io_mixed"]),
    Workload("docutils", "pyperformance", "bm_docutils", short_subset="user",
             note="short mode renders only the docs/user part of its input"),
    Workload("fannkuch", "pyperformance", "bm_fannkuch"),
    Workload("mdp", "pyperformance", "bm_mdp"),
    Workload("pprint", "pyperformance", "bm_pprint", short_only="pprint_pformat",
             note="short mode runs pprint_pformat only (not pprint_safe_repr)"),
    Workload("raytrace", "pyperformance", "bm_raytrace"),
    Workload("sympy", "pyperformance", "bm_sympy"),
    Workload("alloc_heavy", "own", note="bench/programs/alloc_heavy.py"),
    Workload("numpy_heavy", "own", note="bench/programs/numpy_heavy.py"),
]


def pyperformance_benchmarks() -> Path:
    probe = run([str(PYTHON), "-c", "import pyperformance, os; print(os.path.dirname(pyperformance.__file__))"])
    if not probe.ok:
        raise RuntimeError(f"pyperformance is not importable in bench/.venv: {probe.error()}")
    return Path(probe.stdout.strip()) / "data-files" / "benchmarks"


def prepare_workloads(short: bool) -> Path:
    """Copies the benchmarks out of site-packages (with our driver beside them), so that
    every profiler treats them as the user's code: pyrometer and scalene skip
    site-packages by default."""
    target = WORKLOADS / ("short" if short else "full")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    source = pyperformance_benchmarks()
    for w in WORKLOADS_LIST:
        if w.source != "pyperformance" or (target / w.benchmark).exists():
            continue
        shutil.copytree(source / w.benchmark, target / w.benchmark,
                        ignore=shutil.ignore_patterns("__pycache__"))
        if short and w.short_subset:
            docs = target / w.benchmark / "data" / "docs"
            for entry in list(docs.iterdir()):
                if entry.name != w.short_subset:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copy(BENCH / "programs" / "pyperf_driver.py", target / "pyperf_driver.py")
    for own in ("alloc_heavy.py", "numpy_heavy.py"):
        shutil.copy(BENCH / "programs" / own, target / own)
    return target


def program_argv(w: Workload, root: Path, loops: int, short: bool) -> list[str]:
    if w.source == "own":
        return [str(root / f"{w.name}.py"), "--loops", str(loops)]
    argv = [str(root / "pyperf_driver.py"), str(root / w.benchmark), "--loops", str(loops)]
    if short and w.short_only:
        argv += ["--only", w.short_only]
    for arg in w.bench_args:
        argv += ["--bench-arg", arg]
    return argv


def elapsed_from(stdout: str) -> float | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("BENCH_ELAPSED "):
            return float(line.split()[1])
    return None


def calibrate(w: Workload, root: Path, target_s: float, short: bool) -> tuple[int, str | None]:
    """Loops for about target_s of unprofiled in-program time (at least 1)."""
    loops = 1
    for _ in range(6):
        result = run([str(PYTHON), *program_argv(w, root, loops, short)], cwd=root, env=bench_env(), timeout=900)
        elapsed = elapsed_from(result.stdout) if result.ok else None
        if elapsed is None:
            return 0, result.error()
        if elapsed >= target_s * 0.5 or elapsed <= 0:
            break
        loops = max(loops + 1, int(round(loops * target_s / elapsed)))
    per_loop = elapsed / loops
    return max(1, int(round(target_s / per_loop))) if per_loop < target_s else 1, None


def run_suite(short: bool, reps: int, only_workloads: list[str] | None, only_tools: list[str] | None,
              out_path: Path) -> dict:
    target_s = 1.5 if short else 10.0
    root = prepare_workloads(short)
    selected_tools = [t for t in tools.TOOLS if not only_tools or t.key in only_tools or t.key == "none"]
    results: dict = {
        "mode": "short" if short else "full",
        "target_s": target_s,
        "reps": reps,
        "loadavg_start": loadavg(),
        "tools": {t.key: {"label": t.label, "version": tools.version(t), "note": t.note,
                          "missing": tools.missing(t)} for t in selected_tools},
        "workloads": {},
    }
    workloads = [w for w in WORKLOADS_LIST if not only_workloads or w.name in only_workloads]
    for w in workloads:
        loops, error = calibrate(w, root, target_s, short)
        entry: dict = {"source": w.source, "note": w.note if short or not w.short_subset else "",
                       "loops": loops, "runs": {t.key: [] for t in selected_tools},
                       "errors": {}, "summary": {}}
        results["workloads"][w.name] = entry
        if error:
            entry["errors"]["none"] = f"calibration failed: {error}"
            log(f"{w.name}: calibration failed: {error.splitlines()[0]}")
            continue
        entry["argv"] = program_argv(w, root, loops, short)
        log(f"{w.name}: {loops} loop(s), {reps} rounds x {len(selected_tools)} configurations")
        for t in selected_tools:
            if tools.missing(t):
                entry["errors"][t.key] = tools.missing(t)
        for rep in range(reps):
            # Rotate the order each round so no tool always runs right after another.
            order = selected_tools[rep % len(selected_tools):] + selected_tools[:rep % len(selected_tools)]
            for t in order:
                if t.key in entry["errors"] or t.key in entry.get("slow", {}):
                    continue
                out = fresh_dir(f"overhead-{w.name}-{t.key}")
                cmd = t.overhead_cmd(entry["argv"], out)
                baseline = [r["wall_s"] for r in entry["runs"]["none"]]
                base_s = median(baseline) if baseline else None
                timeout = max(SLOW_CAP * base_s, 60.0) if base_s else 900.0
                result = run(cmd, cwd=out, env=bench_env(), timeout=timeout)
                inner = elapsed_from(result.stdout)
                if result.timed_out and base_s:
                    # Censored: the tool is at least this slow. Kept as a lower bound, not an error.
                    entry["runs"][t.key].append({"round": rep, "wall_s": result.wall_s, "inner_s": None,
                                                 "cpu_s": result.cpu_s, "output_bytes": dir_bytes(out),
                                                 "timed_out": True})
                    entry.setdefault("slow", {})[t.key] = f"stopped after {result.wall_s:.0f} s"
                    log(f"  {t.key}: stopped after {result.wall_s:.0f} s (> {SLOW_CAP:g}x the unprofiled run)")
                    shutil.rmtree(out, ignore_errors=True)
                    continue
                if not result.ok or inner is None:
                    entry["errors"][t.key] = result.error() if not result.ok else \
                        f"no BENCH_ELAPSED line in the program's output; stderr: {result.stderr.strip()[-600:]}"
                    log(f"  {t.key} failed: {entry['errors'][t.key].splitlines()[0]}")
                    shutil.rmtree(out, ignore_errors=True)
                    continue
                entry["runs"][t.key].append({"round": rep, "wall_s": result.wall_s, "inner_s": inner,
                                             "cpu_s": result.cpu_s, "output_bytes": dir_bytes(out)})
                shutil.rmtree(out, ignore_errors=True)
                if base_s and result.wall_s > SLOW_ONCE * base_s and t.key != "none":
                    # Very slow configurations are measured once: their ratio is not in doubt,
                    # and repeating them would dominate the suite's time.
                    entry.setdefault("slow", {})[t.key] = f"{result.wall_s / base_s:.0f}x: measured once"
        entry["summary"] = summarize(entry)
        save_json(out_path, results)  # partial results survive an interrupted run
    if not only_workloads and not only_tools:
        results["issue2"] = rerun_issue2()
    results["loadavg_end"] = loadavg()
    results["overall"] = overall(results)
    save_json(out_path, results)
    return results


def rerun_issue2() -> dict:
    """Re-runs the CPU-mode measurement of issue 2 (bench/overhead.py), whose numbers the
    hand-written section of docs/benchmarks.md quotes, so that this command reproduces them."""
    cmd = [str(PYTHON), str(BENCH / "overhead.py"), "--runs", "11"]
    log("issue-2 measurement: bench/overhead.py --runs 11")
    result = run(cmd, env=bench_env(), timeout=1800)
    return {"command": "bench/.venv/bin/python bench/overhead.py --runs 11",
            "output": result.stdout.strip() if result.ok else "", "error": "" if result.ok else result.error()}


def summarize(entry: dict) -> dict:
    base = {r["round"]: r for r in entry["runs"].get("none", [])}
    base_wall = median([r["wall_s"] for r in base.values()]) if base else None
    summary = {}
    for key, runs in entry["runs"].items():
        if key == "none" or not runs or not base:
            continue
        # A tool measured only in round 0 (too slow to repeat) is compared with that round.
        wall = [r["wall_s"] / base[r["round"]]["wall_s"] if r["round"] in base else r["wall_s"] / base_wall
                for r in runs]
        inner = [r["inner_s"] / base[r["round"]]["inner_s"] for r in runs
                 if r.get("inner_s") and r["round"] in base and base[r["round"]]["inner_s"] > 0]
        summary[key] = {
            "wall_median": median(wall), "wall_min": min(wall), "wall_max": max(wall),
            "inner_median": median(inner) if inner else None,
            "output_bytes_median": median([r["output_bytes"] for r in runs]),
            "n": len(wall),
            "censored": any(r.get("timed_out") for r in runs),  # the ratio is a lower bound
        }
    if base:
        summary["none"] = {"wall_median_s": base_wall,
                           "inner_median_s": median([r["inner_s"] for r in base.values()])}
    return summary


def overall(results: dict) -> dict:
    """Per tool, across workloads: the median of all per-run ratios, the geometric mean and
    the worst of the per-workload medians."""
    out = {}
    for key in results["tools"]:
        if key == "none":
            continue
        all_ratios, inner_ratios, medians, censored = [], [], [], False
        for entry in results["workloads"].values():
            s = entry["summary"].get(key)
            if not s:
                continue
            medians.append(s["wall_median"])
            base = {r["round"]: r for r in entry["runs"]["none"]}
            all_ratios += [r["wall_s"] / base[r["round"]]["wall_s"] for r in entry["runs"][key] if r["round"] in base]
            inner_ratios += [r["inner_s"] / base[r["round"]]["inner_s"] for r in entry["runs"][key]
                             if r.get("inner_s") and r["round"] in base and base[r["round"]]["inner_s"] > 0]
            censored = censored or s.get("censored", False)
        if medians:
            out[key] = {"censored": censored, "median_all_runs": median(all_ratios),
                        "inner_median_all_runs": median(inner_ratios) if inner_ratios else None, "geomean_of_medians": geomean(medians),
                        "worst_median": max(medians), "worst_run": max(all_ratios),
                        "workloads": len(medians)}
    return out


def run_startup(reps: int, out_path: Path) -> dict:
    """Fixed cost per run: an empty program, unprofiled and under each tool, interleaved.
    This is what separates the whole-command slowdown from the in-program one on short runs."""
    program = BENCH / "programs" / "empty.py"
    results: dict = {"reps": reps, "loadavg_start": loadavg(), "runs": {t.key: [] for t in tools.TOOLS}, "errors": {}}
    for rep in range(reps):
        order = tools.TOOLS[rep % len(tools.TOOLS):] + tools.TOOLS[:rep % len(tools.TOOLS)]
        for t in order:
            if t.key in results["errors"] or tools.missing(t):
                results["errors"].setdefault(t.key, tools.missing(t) or "")
                continue
            out = fresh_dir(f"startup-{t.key}")
            result = run(t.overhead_cmd([str(program)], out), cwd=out, env=bench_env(), timeout=120)
            if not result.ok:
                results["errors"][t.key] = result.error()
            else:
                results["runs"][t.key].append(result.wall_s)
            shutil.rmtree(out, ignore_errors=True)
    base = median(results["runs"]["none"])
    results["none_s"] = base
    results["extra_ms"] = {k: 1000 * (median(v) - base) for k, v in results["runs"].items() if v and k != "none"}
    results["errors"] = {k: v for k, v in results["errors"].items() if v}
    results["loadavg_end"] = loadavg()
    save_json(out_path, results)
    return results


if __name__ == "__main__":
    sys.exit("run through bench/bench.py")
