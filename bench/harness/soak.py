"""Soak: every pyperformance benchmark once, unprofiled and under `pyrometer run` with the
defaults (CPU + native stacks + memory), to find what the test suite does not: a real
program whose exit status, stdout or stderr changes under the profiler, a hang, a crash, or
a profile that does not read back.

The soak has its own virtualenv, bench/.venv-soak: every benchmark's pinned requirements
(Django, SQLAlchemy with greenlet, tornado, dask, Sphinx ...) installed there, one benchmark
at a time, so that their pins never touch bench/.venv, whose versions the overhead tables
report. A benchmark whose requirements do not install, or whose unprofiled run fails, is
listed as unavailable with its error; every other one is a pass or a finding. One loop each
(`pyperf_driver.py --loops 1`). `--stress` samples ten times as often on both clocks
(`--interval 1 --memory-interval 16384`), to shake out races the defaults rarely hit.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .common import BENCH, BUILD, REPO, RESULTS, VENV, bench_env, fresh_dir, log, run, save_json
from .overhead import pyperformance_benchmarks

TIMEOUT_S = 600
SOAK_VENV = BENCH / ".venv-soak"
SOAK_BIN = SOAK_VENV / "bin"
SOAK_PYTHON = SOAK_BIN / "python"
# Benchmarks that need a positional argument: the variant pyperformance's manifest runs.
VARIANT_ARGS = {"bm_argparse": ["many_optionals"], "bm_async_tree": ["io"], "bm_pickle": ["pickle"],
                "bm_networkx": ["shortest_path"], "bm_sqlglot_v2": ["optimize"]}


def soak_env() -> dict[str, str]:
    return bench_env({"PATH": f"{SOAK_BIN}:{bench_env()['PATH']}", "VIRTUAL_ENV": str(SOAK_VENV)})


def pip(*args: str) -> str | None:
    """pip install into the soak venv; the error's last line on failure."""
    result = run([str(SOAK_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args], timeout=1800)
    if result.ok:
        return None
    lines = [l for l in (result.stdout + result.stderr).splitlines()
             if l.strip() and "is ignored: it is neither a file" not in l]
    return lines[-1][:200] if lines else f"exit status {result.returncode}"


def setup_venv(benchmarks: list[Path]) -> dict[str, str]:
    """Creates bench/.venv-soak (the interpreter of bench/.venv), installs pyperf, numpy, each
    benchmark's requirements and pyrometer from this tree. Returns {benchmark: install error}."""
    if not SOAK_PYTHON.exists():
        created = run([str(VENV / "bin" / "python"), "-m", "venv", str(SOAK_VENV)], timeout=300)
        if not created.ok:
            raise RuntimeError(f"cannot create {SOAK_VENV}: {created.error()}")
    for base in (["pyperf", "numpy"], ["scikit-build-core", "pybind11", "cmake", "ninja"]):
        error = pip(*base)
        if error:
            raise RuntimeError(f"pip install {' '.join(base)}: {error}")
    errors: dict[str, str] = {}
    for bench in benchmarks:
        requirements = bench / "requirements.txt"
        if requirements.exists():
            error = pip("-r", str(requirements))
            if error:
                errors[bench.name] = f"requirements did not install: {error}"
    log("soak: building pyrometer from the repository into bench/.venv-soak")
    error = pip("--no-build-isolation", "--force-reinstall", "--no-deps", "-C", f"build-dir={BUILD / 'soak-wheel'}",
                str(REPO))
    if error:
        raise RuntimeError(f"pyrometer did not build: {error}")
    return errors


def prepare(source: Path) -> Path:
    """Copies the benchmarks out of site-packages (pyrometer skips site-packages by default,
    and the soak wants the benchmark's own lines profiled) with the driver beside them."""
    target = RESULTS / "workloads" / "soak"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for bench in sorted(source.glob("bm_*")):
        shutil.copytree(bench, target / bench.name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(BENCH / "programs" / "pyperf_driver.py", target / "pyperf_driver.py")
    return target


def without_timing(text: str) -> list[str]:
    """The program's output without the driver's own timing line, which differs per run."""
    return [line for line in text.splitlines() if not line.startswith("BENCH_ELAPSED ")]


def masked(text: str) -> list[str]:
    """stderr with every word that holds a digit, and every hex run, masked (log lines carry
    timestamps, ports, durations, random names and UUIDs), sorted (worker processes log in
    any order)."""
    return sorted(re.sub(r"\b[0-9a-fA-F]{4,}\b", "#", re.sub(r"\w*\d\w*", "#", line)) for line in text.splitlines())


def first_difference(a: list[str], b: list[str]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {i + 1}: {x[:120]!r} vs {y[:120]!r}"
    return f"{len(a)} vs {len(b)} lines"


def check_profile(out: Path) -> tuple[str | None, dict]:
    """Reads the profile back through the JSON export; returns (problem, facts)."""
    if not (out / "p.pyro").exists():
        return "no profile written", {}
    try:
        data = json.loads((out / "p.json").read_text())
    except (OSError, ValueError) as exc:
        return f"JSON report unreadable: {exc}", {}
    facts = {"samples": data.get("samples", 0), "threads": len(data.get("threads", [])),
             "processes": len(data.get("processes", [])),
             "heap_peak_bytes": (data.get("memory") or {}).get("peak_bytes", 0),
             "profile_bytes": (out / "p.pyro").stat().st_size}
    if data.get("schema") != "pyrometer/1":
        return f"schema {data.get('schema')!r}", facts
    return None, facts


STRESS_ARGS = ["--interval", "1", "--memory-interval", "16384"]


def soak_one(root: Path, bench: str, pyrometer_args: list[str]) -> dict:
    argv = [str(root / "pyperf_driver.py"), str(root / bench), "--loops", "1"]
    for arg in VARIANT_ARGS.get(bench, []):
        argv += ["--bench-arg", arg]
    env = soak_env()
    plain = run([str(SOAK_PYTHON), *argv], cwd=root, env=env, timeout=TIMEOUT_S)
    entry: dict = {"benchmark": bench, "plain_s": round(plain.wall_s, 2)}
    if plain.timed_out or plain.returncode != 0:
        entry["status"] = "unavailable"
        entry["detail"] = plain.error().splitlines()[-1][:200]
        return entry
    out = fresh_dir(f"soak-{bench}")
    profiled = run([str(SOAK_BIN / "pyrometer"), "run", "-q", *pyrometer_args, "-o", str(out / "p"),
                    "--json", str(out / "p.json"), *argv], cwd=root, env=env, timeout=TIMEOUT_S)
    entry["profiled_s"] = round(profiled.wall_s, 2)
    problems = []
    if profiled.timed_out:
        problems.append(f"timed out after {TIMEOUT_S} s")
    elif profiled.returncode != plain.returncode:
        problems.append(f"exit status {profiled.returncode} (unprofiled {plain.returncode}): "
                        f"{profiled.error().splitlines()[-1][:200]}")
    if without_timing(profiled.stdout) != without_timing(plain.stdout):
        problems.append("stdout differs: " + first_difference(without_timing(plain.stdout),
                                                              without_timing(profiled.stdout)))
    if masked(profiled.stderr) != masked(plain.stderr):
        # A program whose own stderr differs from run to run (random names in its logs)
        # is held to the same number of lines.
        again = run([str(SOAK_PYTHON), *argv], cwd=root, env=env, timeout=TIMEOUT_S)
        stable = masked(again.stderr) == masked(plain.stderr)
        if stable or len(profiled.stderr.splitlines()) != len(plain.stderr.splitlines()):
            problems.append("stderr differs: " + first_difference(masked(plain.stderr), masked(profiled.stderr)))
    if not profiled.timed_out:
        problem, facts = check_profile(out)
        entry.update(facts)
        if problem:
            problems.append(problem)
    entry["status"] = "finding" if problems else "pass"
    if problems:
        entry["detail"] = "; ".join(problems)
    shutil.rmtree(out, ignore_errors=True)
    return entry


def run_soak(only: list[str] | None, stress: bool, out_path: Path) -> dict:
    root = prepare(pyperformance_benchmarks())
    selected = [p for p in sorted(root.glob("bm_*")) if not only or p.name.removeprefix("bm_") in only]
    install_errors = setup_venv(selected)
    pyrometer_args = STRESS_ARGS if stress else []
    results: dict = {"pyrometer_args": pyrometer_args, "benchmarks": []}
    for name in (p.name for p in selected):
        if name in install_errors:
            entry = {"benchmark": name, "status": "unavailable", "detail": install_errors[name]}
        else:
            entry = soak_one(root, name, pyrometer_args)
        results["benchmarks"].append(entry)
        log(f"soak {name}: {entry['status']}" + (f" ({entry['detail']})" if entry.get("detail") else "")
            + (f" {entry['plain_s']} s -> {entry['profiled_s']} s" if "profiled_s" in entry else ""))
        save_json(out_path, results)
    counts = {s: sum(1 for e in results["benchmarks"] if e["status"] == s) for s in ("pass", "finding", "unavailable")}
    results["counts"] = counts
    save_json(out_path, results)
    log(f"soak: {counts['pass']} pass, {counts['finding']} findings, {counts['unavailable']} unavailable")
    return results
