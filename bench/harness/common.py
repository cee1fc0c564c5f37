"""Paths, running commands, statistics and machine facts shared by the suites."""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
VENV = BENCH / ".venv"
VENV_BIN = VENV / "bin"
PYTHON = VENV_BIN / "python"
RESULTS = BENCH / "results"
SCRATCH = RESULTS / "tmp"           # per-run output directories, removed after each run
WORKLOADS = RESULTS / "workloads"   # pyperformance benchmarks copied out of site-packages
BUILD = VENV / "_build"             # bench's own build directories (wheel, C++ microbenchmarks)
DOCS = REPO / "docs"


@dataclass
class RunResult:
    cmd: list[str]
    returncode: int
    wall_s: float
    cpu_s: float          # user + system CPU of the command and all its children
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def error(self) -> str:
        """The exact failure, for the results: exit status and the end of stderr."""
        if self.timed_out:
            head = f"timed out after {self.wall_s:.0f} s"
        else:
            head = f"exit status {self.returncode}"
        tail = "\n".join(self.stderr.strip().splitlines()[-12:])
        return f"{head}: {tail}" if tail else head


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float | None = None) -> RunResult:
    """Runs cmd, timing its wall clock and the CPU of its whole process tree. The command
    gets its own process group, so a timeout ends the tool and everything it started
    (profilers launch the program as a grandchild)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True)
    except OSError as exc:
        return RunResult(cmd, 127, 0.0, 0.0, "", f"{type(exc).__name__}: {exc}")
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return RunResult(cmd, proc.returncode, wall, cpu, out, err, timed_out)


def bench_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every tool runs in: the bench venv first on PATH, no stray
    profiler or Python settings from the caller."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYROMETER", "PYTHON", "SCALENE", "MEMRAY", "PYINSTRUMENT"))
           and k not in ("LD_PRELOAD", "VIRTUAL_ENV")}
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env["MPLBACKEND"] = "Agg"
    if extra:
        env.update(extra)
    return env


def fresh_dir(name: str) -> Path:
    path = SCRATCH / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan


def geomean(xs: list[float]) -> float:
    xs = [x for x in xs if x > 0 and math.isfinite(x)]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else math.nan


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        debian = Path("/etc/debian_version").read_text().strip()
    except OSError:
        debian = "?"
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "kernel": platform.release(),
        "debian": debian,
        "glibc": platform.libc_ver()[1],
        "python": sys.version.split()[0],
        "python_executable": str(PYTHON),
    }


def save_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False, default=_jsonable))
    tmp.replace(path)


def load_json(path: Path) -> object:
    return json.loads(path.read_text())


def _jsonable(obj: object) -> object:
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


__all__ = [
    "BENCH", "REPO", "VENV", "VENV_BIN", "PYTHON", "RESULTS", "SCRATCH", "WORKLOADS", "BUILD",
    "DOCS", "RunResult", "run", "bench_env", "fresh_dir", "dir_bytes", "median", "geomean",
    "loadavg", "machine", "save_json", "load_json", "log",
]
