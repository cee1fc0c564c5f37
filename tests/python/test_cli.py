"""The launcher's contract (SPEC.md): exit codes, untouched output, errors, profile on every exit path."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from conftest import PROGRAMS, pyrometer_command, run_plain

EXITS = PROGRAMS / "exits.py"


@pytest.mark.parametrize(
    "how, code",
    [("normal", 0), ("exit3", 3), ("raise", 1), ("os_exit", 7), ("sigterm", -signal.SIGTERM), ("keyboard", -signal.SIGINT)],
)
def test_exit_paths_keep_status_output_and_write_the_profile(run_profiled, how, code):
    plain = run_plain(EXITS, how)
    run = run_profiled(EXITS, how)
    assert plain.returncode == code
    assert run.proc.returncode == code, run.proc.stderr.decode()
    assert run.proc.stdout == plain.stdout  # byte for byte
    # With -q pyrometer itself prints nothing: stderr is the program's own (tracebacks too).
    assert run.proc.stderr == plain.stderr
    assert run.base.with_suffix(".pyro").exists()
    assert run.base.with_suffix(".html").exists()
    assert run.data is not None and run.data["schema"] == "pyrometer/1"
    assert run.data["samples"] > 0


def test_program_sees_its_own_argv_main_and_environment(run_profiled, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, sys\n"
        "print(sys.argv)\n"
        "print(__name__)\n"
        "print(sorted(k for k in os.environ if 'PYROMETER' in k or k == 'LD_PRELOAD'))\n"
        "print(os.getcwd())\n"
    )
    plain = run_plain(probe, "a", "--flag", cwd=tmp_path)
    run = run_profiled(probe, "a", "--flag", cwd=tmp_path)
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert run.proc.stdout == plain.stdout


def test_module_mode(tmp_path):
    (tmp_path / "mymod.py").write_text("import sys\nprint('module', sys.argv[1:])\n")
    cmd = [*pyrometer_command(), "run", "-q", "-o", str(tmp_path / "p"), "-m", "mymod", "x", "y"]
    proc = subprocess.run(cmd, capture_output=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"module ['x', 'y']\n"
    assert (tmp_path / "p.pyro").exists()


def test_summary_goes_to_stderr_and_names_the_files(tmp_path):
    cmd = [*pyrometer_command(), "run", "-o", str(tmp_path / "s"), str(PROGRAMS / "loop_top.py")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert proc.stdout.strip().isdigit()  # only the program's own output
    assert str(tmp_path / "s.html") in proc.stderr
    assert "loop_top.py" in proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "/nonexistent/script.py"], "no such file"),
        (["run", "--bogus", "x.py"], "unknown option"),
        (["run"], "needs a SCRIPT"),
        (["run", "--interval", "fast", "x.py"], "--interval"),
        (["run", "--mode", "turbo", "x.py"], "--mode"),
        (["frobnicate"], "unknown command"),
        (["report", "/nonexistent.pyro", "--json", "/tmp/x.json"], ""),
    ],
)
def test_errors_are_one_line_and_exit_2(args, message, tmp_path):
    proc = subprocess.run([*pyrometer_command(), *args], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyrometer: error:"), proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr


def test_directory_without_main_is_an_error(tmp_path):
    (tmp_path / "pkg").mkdir()
    proc = subprocess.run([*pyrometer_command(), "run", str(tmp_path / "pkg")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("pyrometer: error:")


def test_report_rejects_a_corrupt_profile(tmp_path):
    bad = tmp_path / "bad.pyro"
    bad.write_bytes(b"PYROPROF" + b"\x01\x00\x00\x00" + b"\x00" * 4 + b"\x05\x00\x00\x00\xff\xff\xff\x7f")
    proc = subprocess.run([*pyrometer_command(), "report", str(bad), "--json", str(tmp_path / "o.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("pyrometer: error:") and "Traceback" not in proc.stderr


def test_report_regenerates_json_from_the_profile(run_profiled, tmp_path):
    run = run_profiled(PROGRAMS / "loop_top.py")
    again = tmp_path / "again.json"
    proc = subprocess.run([*pyrometer_command(), "report", str(run.base.with_suffix(".pyro")), "--json", str(again)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    import json

    data = json.loads(again.read_text())
    assert data["samples"] == run.data["samples"]
    assert data["files"] == run.data["files"]


def test_version_and_python_dash_m():
    a = subprocess.run([*pyrometer_command(), "--version"], capture_output=True, text=True)
    b = subprocess.run([sys.executable, "-m", "pyrometer", "--version"], capture_output=True, text=True)
    assert a.returncode == 0 and a.stdout.startswith("pyrometer ")
    assert b.returncode == 0 and b.stdout == a.stdout
