"""Robustness, signals (docs/promises.md): the program's own handlers and timers keep
working — SIGPROF included, next to pyrometer's sampling — signals end the program as they
would, and blocking calls see no EINTR and take the time they should."""

from __future__ import annotations

import re
import signal

import pytest
from robustness import (  # noqa: F401
    assert_same_behaviour, native_fixture, program, read_profile, run_both, run_both_signalled)

SIGNALS = program("signals")
SIGPROF_WARNING = re.compile(rb"^pyrometer: warning: the program uses SIGPROF itself; .*\n", re.M)


def test_own_sigalrm_itimer_real_and_sigusr1(tmp_path):
    c = run_both(SIGNALS, "handlers", tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert b"usr1 20\nalarms ok\n" in c.plain.stdout
    assert read_profile(c.profile)["samples"] > 0


def test_own_sigprof_handler_and_itimer_prof_keep_working(tmp_path):
    c = run_both(SIGNALS, "sigprof", tmp_path=tmp_path)
    assert_same_behaviour(c, same_stderr=False)
    assert c.plain.stdout == b"handler kept True\nprof ticks ok\nback to default True\n"
    # The conflict is said once, in one line; nothing else is added to stderr.
    assert len(SIGPROF_WARNING.findall(c.profiled.stderr)) == 1, c.profiled.stderr
    assert SIGPROF_WARNING.sub(b"", c.profiled.stderr) == c.plain.stderr
    # And pyrometer kept sampling meanwhile.
    data = read_profile(c.profile)
    assert data["samples"] > 20 and data["cpu_s"] > 0.4


def test_sigprof_ignored_by_the_program(tmp_path):
    c = run_both(SIGNALS, "sigprof-ignored", tmp_path=tmp_path)
    assert_same_behaviour(c, same_stderr=False)
    assert SIGPROF_WARNING.sub(b"", c.profiled.stderr) == c.plain.stderr
    assert read_profile(c.profile)["samples"] > 0


def test_own_itimer_prof_without_handler_kills_as_it_would(tmp_path):
    c = run_both(SIGNALS, "sigprof-default", tmp_path=tmp_path)
    assert_same_behaviour(c, same_stderr=False)
    assert c.plain.returncode == -signal.SIGPROF
    read_profile(c.profile)  # the checkpoint written before the program died


@pytest.mark.parametrize("how, sig, code", [
    ("sigint", signal.SIGINT, -signal.SIGINT),           # KeyboardInterrupt, traceback, death by SIGINT
    ("sigint-caught", signal.SIGINT, 0),
    ("sigterm", signal.SIGTERM, -signal.SIGTERM),        # default action, while burning CPU
    ("sigterm-handled", signal.SIGTERM, 5),              # the program's handler calls sys.exit(5)
])
def test_signals_from_outside(tmp_path, how, sig, code):
    c = run_both_signalled(SIGNALS, how, sig=sig, tmp_path=tmp_path, after=0.3)
    assert_same_behaviour(c)
    assert c.plain.returncode == code
    read_profile(c.profile)


@pytest.mark.parametrize("mode", ["cpu", "wall"])
def test_blocking_calls_are_not_disturbed(tmp_path, mode):
    c = run_both(program("blocking"), tmp_path=tmp_path, options=("--mode", mode))
    assert_same_behaviour(c)
    lines = c.profiled.stdout.decode().splitlines()
    assert len(lines) == 9 and all(line.endswith(" ok") for line in lines), lines
    read_profile(c.profile)


def test_program_segv_handler_installed_after_the_guard(tmp_path, native_fixture):
    c = run_both(program("faults"), "handler-after", str(native_fixture), tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert c.plain.stdout.splitlines()[-1] == b"recovered 300 handler-visible 1 1"
    data = read_profile(c.profile)
    assert data["samples"] > 15  # the walker kept sampling (and faulting safely) throughout
