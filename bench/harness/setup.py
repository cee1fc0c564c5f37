"""Installs what the suites need into bench/.venv, one package at a time so that a peer
that fails to install is recorded with its exact error instead of stopping the run, then
pyrometer itself from this repository."""

from __future__ import annotations

import sys
import time

from .common import BUILD, PYTHON, REPO, RESULTS, VENV_BIN, log, machine, run, save_json

PEERS = ["scalene", "py-spy", "memray", "pyinstrument"]
SUPPORT = ["pyperformance", "numpy", "matplotlib"]


def pip(*args: str, timeout: float = 1800) -> tuple[bool, str]:
    result = run([str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args], timeout=timeout)
    if result.ok:
        return True, ""
    # pip's configuration here lists local mirrors that may be absent: drop those warnings.
    lines = [l for l in (result.stdout + result.stderr).splitlines() if "is ignored: it is neither a file" not in l]
    return False, f"pip install {' '.join(args)}: exit status {result.returncode}\n" + "\n".join(lines[-20:])


def benchmark_requirements() -> list[str]:
    """The pinned requirements of the pyperformance benchmarks we run (docutils, sympy ...)."""
    from .overhead import WORKLOADS_LIST, pyperformance_benchmarks

    reqs: list[str] = []
    root = pyperformance_benchmarks()
    for w in WORKLOADS_LIST:
        path = root / w.benchmark / "requirements.txt" if w.benchmark else None
        if path and path.exists():
            for line in path.read_text().splitlines():
                line = line.split("#", 1)[0].strip()
                if line and line not in reqs:
                    reqs.append(line)
    return reqs


def version_of(dist: str) -> str:
    probe = run([str(PYTHON), "-c", f"from importlib import metadata; print(metadata.version({dist!r}))"])
    return probe.stdout.strip() if probe.ok else ""


def install(skip_pyrometer: bool = False) -> dict:
    packages: dict[str, dict] = {}
    for name in SUPPORT + PEERS:
        ok, error = pip(name)
        packages[name] = {"error": error} if not ok else {}
        if not ok:
            log(f"setup: {name} failed to install: {error.splitlines()[0]}")
    if not packages["pyperformance"].get("error"):
        for req in benchmark_requirements():
            ok, error = pip(req)
            packages[req.split("=")[0].strip()] = {"error": error} if not ok else {}
    if not skip_pyrometer:
        # scikit-build-core + pybind11 are the build requirements; --no-build-isolation reuses
        # them (no download of a fresh build environment) and a build dir under bench/.venv
        # keeps the incremental build apart from the developers' build/ trees.
        ok, error = pip("scikit-build-core", "pybind11", "cmake", "ninja")
        if ok:
            log("setup: building pyrometer from the repository into bench/.venv")
            ok, error = pip("--no-build-isolation", "--force-reinstall", "--no-deps",
                            "-C", f"build-dir={BUILD / 'wheel'}", str(REPO))
        packages["pyrometer"] = {"error": error} if not ok else {}
        if not ok:
            log(f"setup: pyrometer failed to build: {error.splitlines()[0]}")
    else:
        packages.setdefault("pyrometer", {})
    for name, info in packages.items():
        info["version"] = version_of(name) if not info.get("error") else ""
    pyspy = VENV_BIN / "py-spy"
    if pyspy.exists():
        probe = run([str(pyspy), "--version"])
        packages["py-spy"]["binary"] = probe.stdout.strip() or probe.error()
    setup = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": machine(), "packages": packages,
             "git": git_state()}
    save_json(RESULTS / "setup.json", setup)
    return setup


def git_state() -> str:
    head = run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    return (head.stdout.strip() or "?") + (" + uncommitted changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    sys.exit("run through bench/bench.py")
