"""Helpers of the robustness suite (test_robustness_*.py, docs/promises.md): run a program
with and without pyrometer, compare what the user sees, and check the profile is readable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROGRAMS, pyrometer_command

FIXTURES = Path(__file__).parent / "fixtures"

TOP_LEVEL = {
    "schema": str, "program": list, "python_version": str, "mode": str, "interval_s": float,
    "duration_s": float, "cpu_s": float, "samples": int, "dropped_samples": int, "threads": list,
    "files": list, "native_hotspots": list, "leaks": list, "stacks": list,
}
THREAD_KEYS = {"tid", "pid", "name", "cpu_s", "wall_s"}
LINE_KEYS = {"line", "cpu_python_s", "cpu_native_s", "cpu_system_s", "wall_s", "gil_held_s", "gil_wait_s",
             "alloc_bytes", "free_bytes", "live_bytes", "peak_bytes"}
FRAME_KEYS = {"kind", "name", "path", "line", "module"}


@dataclass
class Comparison:
    plain: subprocess.CompletedProcess
    profiled: subprocess.CompletedProcess
    base: Path  # the profiled run wrote BASE.pyro and BASE.html

    @property
    def profile(self) -> Path:
        return self.base.with_name(self.base.name + ".pyro")


def program(name: str) -> Path:
    return PROGRAMS / f"robust_{name}.py"


def _run(cmd: list[str], results: dict, key: str, **kw) -> None:
    results[key] = subprocess.run(cmd, capture_output=True, **kw)


def run_both(program_path: Path, *args: str, tmp_path: Path, options: tuple[str, ...] = (), timeout: float = 120,
             env: dict | None = None, cwd: Path | None = None, input: bytes | None = None,
             crashes: bool = False) -> Comparison:
    """Runs the program plainly and under `pyrometer run -q` (default options), side by side."""
    base = tmp_path / "profile"
    cmds = {
        "plain": [sys.executable, str(program_path), *args],
        "profiled": [*pyrometer_command(), "run", "-q", "-o", str(base), *options, str(program_path), *args],
    }
    kw = dict(timeout=timeout, env=env, cwd=cwd or tmp_path, input=input,
              preexec_fn=no_core_dumps if crashes else None)
    results: dict = {}
    threads = [threading.Thread(target=_run, args=(cmd, results, key), kwargs=kw) for key, cmd in cmds.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Comparison(results["plain"], results["profiled"], base)


def _run_until_ready_then_signal(cmd: list[str], sig: int, after: float, results: dict, key: str, **kw) -> None:
    import time

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    first = proc.stdout.readline()  # the program says "ready" once it is where the signal should hit
    time.sleep(after)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    results[key] = subprocess.CompletedProcess(cmd, proc.returncode, first + out, err)


def run_both_signalled(program_path: Path, *args: str, sig: int, tmp_path: Path, after: float = 0.0,
                       options: tuple[str, ...] = ()) -> Comparison:
    """Like run_both, but sends `sig` to each run once it has printed its first line."""
    base = tmp_path / "profile"
    cmds = {
        "plain": [sys.executable, str(program_path), *args],
        "profiled": [*pyrometer_command(), "run", "-q", "-o", str(base), *options, str(program_path), *args],
    }
    results: dict = {}
    threads = [threading.Thread(target=_run_until_ready_then_signal, args=(cmd, sig, after, results, key),
                                kwargs=dict(cwd=tmp_path)) for key, cmd in cmds.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Comparison(results["plain"], results["profiled"], base)


def assert_same_behaviour(c: Comparison, *, same_stderr: bool = True) -> None:
    """Same exit status, byte-identical stdout, and (by default) the same stderr."""
    detail = f"\nplain stderr:\n{c.plain.stderr.decode(errors='replace')}\n" \
             f"profiled stderr:\n{c.profiled.stderr.decode(errors='replace')}"
    assert c.profiled.returncode == c.plain.returncode, detail
    assert c.profiled.stdout == c.plain.stdout, detail
    if same_stderr:
        assert c.profiled.stderr == c.plain.stderr, detail


def check_shape(data: dict) -> None:
    """The JSON export has the shape SPEC.md promises (not its accuracy)."""
    for key, kind in TOP_LEVEL.items():
        assert isinstance(data.get(key), kind), (key, data.get(key))
    assert data["schema"] == "pyrometer/1"
    assert data["mode"] in ("cpu", "wall")
    assert "memory" in data
    for t in data["threads"]:
        assert THREAD_KEYS <= t.keys(), t
    for f in data["files"]:
        assert isinstance(f["path"], str) and isinstance(f["lines"], list) and isinstance(f["functions"], list)
        for line in f["lines"]:
            assert LINE_KEYS <= line.keys(), line
    for s in data["stacks"]:
        assert {"pid", "tid", "frames", "cpu_s", "wall_s"} <= s.keys()
        for frame in s["frames"]:
            assert FRAME_KEYS <= frame.keys() and frame["kind"] in ("python", "native"), frame


def read_profile(profile: Path, out: Path | None = None) -> dict:
    """`pyrometer report PROFILE --json` must succeed and give a well-formed export."""
    out = out or profile.with_name(profile.name + ".check.json")
    proc = subprocess.run([*pyrometer_command(), "report", str(profile), "--json", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    check_shape(data)
    return data


def assert_one_error_line(stderr: str, contains: str = "") -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyrometer: error: "), stderr
    assert contains in lines[0], stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="session")
def native_fixture(tmp_path_factory) -> Path:
    """fixtures/robust_native.c built as a shared library for ctypes."""
    lib = tmp_path_factory.mktemp("robust") / "librobust.so"
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-shared", "-fPIC", "-g", "-O1", str(FIXTURES / "robust_native.c"), "-o", str(lib),
                    "-lpthread"], check=True)
    return lib


def no_core_dumps() -> None:
    """preexec_fn for runs that crash on purpose: no core file in the test's directory."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

