"""Child processes are profiled and merged into the parent's report (SPEC.md): fork,
multiprocessing (fork, spawn, forkserver), subprocess running Python, os.execv. Each test
compares exit code and stdout with an unprofiled run; CPU shares are checked against what
the processes measured themselves (time.thread_time), within 10 percentage points of the
merged profile's total CPU."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import PROGRAMS, pyrometer_command, run_plain

TOLERANCE = 0.10  # of the merged profile's total CPU


def function_cpu(data: dict, name: str) -> float:
    return sum(fn["cpu_s"] for f in data["files"] for fn in f["functions"] if fn["name"] == name)


def pids_running(data: dict, name: str) -> set[int]:
    """The pids of the stacks whose Python frames include function `name`."""
    return {
        s["pid"]
        for s in data["stacks"]
        if s["cpu_s"] > 0 and any(fr["kind"] == "python" and fr["name"] == name for fr in s["frames"])
    }


def measured(outdir: Path, role: str) -> dict:
    return json.loads((outdir / f"{role}.json").read_text())


def run_both(run_profiled, tmp_path: Path, program: Path, *args: str, timeout: float = 300):
    """The program unprofiled, then profiled, each with its own directory for measurements."""
    plain_dir, prof_dir = tmp_path / "plain", tmp_path / "profiled"
    plain_dir.mkdir()
    prof_dir.mkdir()
    plain = run_plain(program, *args, str(plain_dir), timeout=timeout)
    run = run_profiled(program, *args, str(prof_dir), timeout=timeout)
    assert run.proc.returncode == plain.returncode, run.proc.stderr.decode()
    assert run.proc.stdout == plain.stdout
    assert run.data is not None, run.proc.stderr.decode()
    return run, prof_dir


def assert_share(data: dict, function: str, expected_cpu: float) -> None:
    total = data["cpu_s"]
    got = function_cpu(data, function)
    assert abs(got - expected_cpu) <= TOLERANCE * total, (function, got, expected_cpu, total)


@pytest.mark.parametrize("how", ["os_exit", "sys_exit", "normal", "sigterm"])
def test_fork_child_is_profiled_with_its_pid(run_profiled, tmp_path, how):
    run, out = run_both(run_profiled, tmp_path, PROGRAMS / "children_fork.py", how)
    child, parent = measured(out, "child"), measured(out, "parent")
    data = run.data
    assert data["pid"] == parent["pid"]
    assert pids_running(data, "child_burn") == {child["pid"]}
    assert pids_running(data, "parent_burn") == {parent["pid"]}
    assert child["pid"] in {t["pid"] for t in data["threads"]}
    assert {p["pid"] for p in data["processes"]} == {parent["pid"], child["pid"]}
    # The child's share of the merged CPU is what it measured itself.
    assert_share(data, "child_burn", child["cpu"])
    assert_share(data, "parent_burn", parent["cpu"])
    assert data["cpu_s"] >= child["cpu"] + parent["cpu"] - TOLERANCE * data["cpu_s"]
    # duration stays the root's own (the Run record of the parent).
    assert data["duration_s"] == pytest.approx(data["processes"][0]["duration_s"])


def test_report_command_merges_the_same_children(run_profiled, tmp_path):
    run, _ = run_both(run_profiled, tmp_path, PROGRAMS / "children_fork.py", "os_exit")
    again = tmp_path / "again.json"
    proc = subprocess.run([*pyrometer_command(), "report", str(run.base.with_suffix(".pyro")), "--json", str(again)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(again.read_text())
    assert data["cpu_s"] == pytest.approx(run.data["cpu_s"])
    assert data["processes"] == run.data["processes"]


def test_child_outliving_the_parent_is_merged_by_a_later_report(run_profiled, tmp_path):
    plain = run_plain(PROGRAMS / "children_orphan.py", timeout=120)
    run = run_profiled(PROGRAMS / "children_orphan.py", timeout=120)
    assert run.proc.returncode == plain.returncode == 0
    assert run.proc.stdout == plain.stdout
    assert pids_running(run.data, "orphan_burn") == set()  # it had not worked yet
    # The orphan kept our stdout pipe open, so it has ended (and written its profile) by now.
    later = tmp_path / "later.json"
    proc = subprocess.run([*pyrometer_command(), "report", str(run.base.with_suffix(".pyro")), "--json", str(later)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(later.read_text())
    assert len(pids_running(data, "orphan_burn")) == 1
    assert pids_running(data, "orphan_burn") != {data["pid"]}


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_pool_workers_are_attributed(run_profiled, tmp_path, method):
    run, out = run_both(run_profiled, tmp_path, PROGRAMS / "children_pool.py", method)
    pool = measured(out, "pool")
    data = run.data
    workers = pids_running(data, "burn_task")
    assert workers and workers <= set(pool["pids"]), (workers, pool["pids"])
    assert data["pid"] not in workers
    # A worker's whole profile went missing once in ~10 CI runs (spawn, CPython 3.13; not
    # reproduced in 80 runs since): say what the run wrote when it happens again.
    children_dir = Path(f"{run.base}.pyro.children")
    children = sorted(p.name for p in children_dir.glob("*")) if children_dir.exists() else []
    try:
        assert_share(data, "burn_task", pool["cpu"])
    except AssertionError as e:
        raise AssertionError(f"{e}; processes {str(data['processes'])[:800]}; children dir {children}; "
                             f"stderr {run.proc.stderr.decode()[-1500:]!r}") from None


def test_subprocess_running_python_is_profiled(run_profiled, tmp_path):
    run, out = run_both(run_profiled, tmp_path, PROGRAMS / "children_subprocess.py")
    direct, shell = measured(out, "direct"), measured(out, "shell")
    data = run.data
    assert pids_running(data, "subprocess_burn") == {direct["pid"], shell["pid"]}
    assert_share(data, "subprocess_burn", direct["cpu"] + shell["cpu"])
    argvs = [p["argv"] for p in data["processes"]]
    assert any(a[-2:] == ["direct", "0.4"] for a in argvs), argvs


def test_non_python_children_are_unchanged(run_profiled, tmp_path):
    # Stdout equality (checked in run_both) covers the shell's output and exit code, the
    # environment `env` prints (no profiler variables) and a Python child's os.environ.
    run, _ = run_both(run_profiled, tmp_path, PROGRAMS / "children_subprocess.py")
    out = run.proc.stdout.decode()
    assert "sh: 3 'hi\\n' 'oops\\n'" in out
    assert "env: []" in out and "python env: []" in out


def test_execv_of_python_keeps_both_images(run_profiled, tmp_path):
    run, out = run_both(run_profiled, tmp_path, PROGRAMS / "children_exec.py")
    before, after = measured(out, "before"), measured(out, "after")
    data = run.data
    assert run.proc.returncode == 4
    assert before["pid"] == after["pid"] == data["pid"]
    assert pids_running(data, "before_exec_burn") == {data["pid"]}
    assert pids_running(data, "after_exec_burn") == {data["pid"]}
    assert_share(data, "before_exec_burn", before["cpu"])
    assert_share(data, "after_exec_burn", after["cpu"])
    assert len(data["processes"]) == 2  # one per image, same pid


def test_fork_while_threads_hold_locks_does_not_deadlock(run_profiled, tmp_path):
    program = PROGRAMS / "children_locks.py"
    plain = run_plain(program, timeout=120)
    run = run_profiled(program, timeout=120)
    assert run.proc.returncode == plain.returncode == 0, run.proc.stderr.decode()
    assert run.proc.stdout == plain.stdout == b"children [0, 0, 0, 0, 0]\n"
    forked = pids_running(run.data, "forked_child_work") - {run.data["pid"]}
    assert len(forked) >= 3, forked  # each child works 0.1 s of CPU: most get samples


def test_stale_children_are_removed_and_a_foreign_directory_refused(run_profiled, tmp_path):
    children = tmp_path / "profile.pyro.children"
    children.mkdir()
    (children / "1.1.pyro").write_bytes(b"stale")
    (children / "notes.txt").write_text("kept")
    run = run_profiled(PROGRAMS / "loop_top.py")
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert not (children / "1.1.pyro").exists() and (children / "notes.txt").exists()
    children.chmod(0o777)
    run = run_profiled(PROGRAMS / "loop_top.py")
    assert run.proc.returncode == 2
    assert run.proc.stderr.decode().startswith("pyrometer: error:") and "private" in run.proc.stderr.decode()
