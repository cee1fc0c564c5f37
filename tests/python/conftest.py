"""End-to-end helpers: run a program under the installed `pyrometer` and load its JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"


# Opt-in tests too long for CI (the robustness suite's 10-minute run): pytest --run-long.
def pytest_addoption(parser):
    parser.addoption("--run-long", action="store_true", help="also run the tests marked long (minutes each)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-long"):
        return
    skip = pytest.mark.skip(reason="long; run with --run-long")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def pyrometer_command() -> list[str]:
    exe = shutil.which("pyrometer")
    if exe is None:
        pytest.fail("pyrometer is not installed on PATH (run scripts/test.sh)")
    return [exe]


@dataclass
class ProfiledRun:
    proc: subprocess.CompletedProcess
    data: dict | None
    base: Path

    def file_lines(self, path: Path) -> dict[int, dict]:
        """The JSON lines of one source file, by line number."""
        want = os.path.realpath(path)
        for f in self.data["files"]:
            if os.path.realpath(f["path"]) == want:
                return {line["line"]: line for line in f["lines"]}
        return {}

    def line_cpu(self, path: Path) -> dict[int, float]:
        return {
            n: l["cpu_python_s"] + l["cpu_native_s"] + l["cpu_system_s"] for n, l in self.file_lines(path).items()
        }


@pytest.fixture
def run_profiled(tmp_path):
    def run(program: str | Path, *args: str, options: tuple[str, ...] = (), timeout: float = 300, **kw) -> ProfiledRun:
        base = tmp_path / "profile"
        out_json = tmp_path / "profile.json"
        cmd = [*pyrometer_command(), "run", "-q", "-o", str(base), "--json", str(out_json), *options, str(program), *args]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=kw.pop("cwd", tmp_path), **kw)
        data = json.loads(out_json.read_text()) if out_json.exists() else None
        return ProfiledRun(proc, data, base)

    return run


def line_of(path: Path, marker: str) -> int:
    """Line number of the (first) line containing `marker` in a program file."""
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if marker in text:
            return number
    raise AssertionError(f"{marker!r} not found in {path}")


def run_plain(program: str | Path, *args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(program), *args], capture_output=True, timeout=timeout, **kw)
