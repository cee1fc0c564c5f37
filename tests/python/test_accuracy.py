"""Ground truth: programs that measure themselves, and the profile must agree."""

from __future__ import annotations

import json

from conftest import PROGRAMS, line_of


def test_per_line_cpu_shares_within_3_points(run_profiled, tmp_path):
    program = PROGRAMS / "line_shares.py"
    truth_file = tmp_path / "truth.json"
    # ~900 samples: the standard error of a line's share is then about 1 point, so the
    # 3-point bound tests the profiler, not the luck of the draw.
    run = run_profiled(program, str(truth_file), options=("--interval", "2"))
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert run.data["samples"] >= 700
    truth = json.loads(truth_file.read_text())
    measured = run.line_cpu(program)
    lines = {key: line_of(program, f"# LINE_{key}") for key in truth}
    truth_total = sum(truth.values())
    profile_total = sum(measured.get(n, 0.0) for n in lines.values())
    assert profile_total > 0.5 * truth_total  # the hot lines hold nearly all CPU
    for key, number in lines.items():
        expected = truth[key] / truth_total
        got = measured.get(number, 0.0) / profile_total
        assert abs(got - expected) <= 0.03, f"line {key}: profile {got:.3f} vs truth {expected:.3f}"


def test_per_thread_cpu_within_5_points(run_profiled, tmp_path):
    truth_file = tmp_path / "truth.json"
    run = run_profiled(PROGRAMS / "thread_weights.py", str(truth_file))
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    truth = json.loads(truth_file.read_text())
    threads = {t["name"]: t["cpu_s"] for t in run.data["threads"]}
    assert set(truth) <= set(threads), f"thread names {sorted(threads)}"
    truth_total = sum(truth.values())
    profile_total = sum(threads[name] for name in truth)
    for name, seconds in truth.items():
        expected, got = seconds / truth_total, threads[name] / profile_total
        assert abs(got - expected) <= 0.05, f"{name}: profile {got:.3f} vs truth {expected:.3f}"
    assert "MainThread" in threads


def test_python_native_system_split(run_profiled):
    program = PROGRAMS / "phases.py"
    run = run_profiled(program)
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    lines = run.file_lines(program)

    def share(markers, field):
        rows = [lines.get(line_of(program, m), {}) for m in markers]
        total = sum(r.get("cpu_python_s", 0) + r.get("cpu_native_s", 0) + r.get("cpu_system_s", 0) for r in rows)
        assert total > 0, f"no CPU on {markers}"
        return sum(r.get(field, 0) for r in rows) / total

    assert share(["# PYTHON_LINE", "# PYTHON_BODY"], "cpu_python_s") >= 0.90
    assert share(["# NATIVE_LINE"], "cpu_native_s") >= 0.90
    assert share(["# SYSTEM_LINE"], "cpu_system_s") >= 0.60


def test_no_loop_top_bias(run_profiled):
    program = PROGRAMS / "loop_top.py"
    run = run_profiled(program)
    cpu = run.line_cpu(program)
    top, body = cpu.get(line_of(program, "# LOOP_TOP"), 0.0), cpu.get(line_of(program, "# LOOP_BODY"), 0.0)
    assert body > 0
    # The header runs 3 cheap instructions per iteration, the body about 30: a sampler that
    # charges the instruction where it checks for signals (the backward jump) would put
    # most of the time on the loop top.
    assert top / (top + body) < 0.25, f"loop top {top:.3f}s vs body {body:.3f}s"


def test_wall_mode_shows_sleeping(run_profiled):
    program = PROGRAMS / "sleeper.py"
    run = run_profiled(program, options=("--mode", "wall"))
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert run.data["mode"] == "wall"
    lines = run.file_lines(program)
    sleep = lines.get(line_of(program, "# SLEEP_LINE"), {})
    assert 0.45 <= sleep.get("wall_s", 0) <= 0.9, sleep
    assert sleep.get("cpu_python_s", 0) + sleep.get("cpu_native_s", 0) < 0.1
    thread = next(t for t in run.data["threads"] if t["name"] == "MainThread")
    assert thread["wall_s"] >= 0.5


def test_cpu_total_is_the_sum_of_lines_and_unattributed(run_profiled):
    program = PROGRAMS / "phases.py"
    run = run_profiled(program)
    total_lines = sum(
        l["cpu_python_s"] + l["cpu_native_s"] + l["cpu_system_s"] for f in run.data["files"] for l in f["lines"]
    )
    assert total_lines <= run.data["cpu_s"] + 1e-6
    stack_cpu = sum(s["cpu_s"] for s in run.data["stacks"])
    assert abs(stack_cpu - run.data["cpu_s"]) < 1e-3
