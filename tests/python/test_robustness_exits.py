"""Robustness, exits (docs/promises.md): every way a program can end ends the same way under
pyrometer — status, output, death signal — and leaves a readable profile; a crash leaves the
last checkpoint."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest
from conftest import PROGRAMS, pyrometer_command
from robustness import (  # noqa: F401
    assert_same_behaviour, native_fixture, no_core_dumps, program, read_profile, run_both)

EXITS = program("exits")


@pytest.mark.parametrize("how, code", [("normal", 0), ("exit3", 3), ("raise", 1), ("os_exit", 7)])
def test_basic_exit_paths_leave_a_readable_profile(tmp_path, how, code):
    c = run_both(PROGRAMS / "exits.py", how, tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert c.plain.returncode == code
    assert read_profile(c.profile)["samples"] > 0


@pytest.mark.parametrize("mode, code", [
    ("os-exit-from-thread", 3),
    ("exit-waits-for-threads", 4),
    ("exit-message", 1),
    ("exit-256", 0),
    ("thread-exception", 0),
    ("exit-in-atexit", 6),
])
def test_exit_paths_with_threads_and_edge_cases(tmp_path, mode, code):
    c = run_both(EXITS, mode, tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert c.plain.returncode == code
    read_profile(c.profile)


def test_crash_in_a_c_extension_dies_by_sigsegv_and_keeps_the_checkpoint(tmp_path, native_fixture):
    c = run_both(EXITS, "crash", str(native_fixture), tmp_path=tmp_path, crashes=True)
    assert_same_behaviour(c)
    assert c.plain.returncode == -signal.SIGSEGV
    data = read_profile(c.profile)
    assert data["samples"] > 10 and data["cpu_s"] > 0.3


@pytest.mark.parametrize("enabled", ["at-start", "later"])
def test_crash_with_faulthandler_prints_its_report(tmp_path, native_fixture, enabled):
    # faulthandler's own SIGSEGV handler — installed before pyrometer's guard
    # (PYTHONFAULTHANDLER) or after it — runs, and the program still dies by SIGSEGV; only
    # thread ids differ between two runs.
    env = dict(os.environ, PYTHONFAULTHANDLER="1") if enabled == "at-start" else None
    c = run_both(EXITS, "crash-faulthandler", str(native_fixture), tmp_path=tmp_path, crashes=True, env=env)
    assert_same_behaviour(c, same_stderr=False)
    assert c.plain.returncode == -signal.SIGSEGV
    ids = re.compile(rb"0x[0-9a-f]+")
    assert ids.sub(b"ID", c.profiled.stderr) == ids.sub(b"ID", c.plain.stderr)
    assert b"Fatal Python error: Segmentation fault" in c.plain.stderr


def test_sigkill_leaves_the_last_checkpoint(tmp_path):
    base = tmp_path / "profile"
    proc = subprocess.Popen([*pyrometer_command(), "run", "-q", "-o", str(base), str(EXITS), "forever"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=no_core_dumps)
    try:
        assert proc.stdout.readline().startswith(b"work")
        profile = base.with_name("profile.pyro")
        deadline = time.monotonic() + 30
        while not profile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert read_profile(profile)["samples"] > 0
