"""Memory tracking end to end (issue 4): per-line alloc/free/live/peak against programs that
know what they allocate, native allocations charged to the Python line, leaks vs. memory
that is merely kept or churned."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import PROGRAMS, line_of

MIB = 1 << 20


def lines_of(run, program: Path) -> dict[int, dict]:
    return run.file_lines(program)


def assert_within(got: float, expected: float, tolerance: float, what: str) -> None:
    assert abs(got - expected) <= tolerance * expected, f"{what}: {got / MIB:.1f} MiB vs {expected / MIB:.1f} MiB"


@pytest.fixture(scope="module")
def lines_run(tmp_path_factory):
    from conftest import ProfiledRun, pyrometer_command
    import subprocess

    work = tmp_path_factory.mktemp("memory")
    truth = work / "truth.json"
    out = work / "p.json"
    # 8 KiB: ~3 500 samples for the small-object line (standard error ~1.7 %). At 32 KiB the
    # 10 % bound was ~3 standard errors, and the line reads ~4 % low (measured, not yet
    # explained), so one CI run in ~6 failed it.
    proc = subprocess.run([*pyrometer_command(), "run", "-q", "-o", str(work / "p"), "--json", str(out),
                           "--memory-interval", "8192", str(PROGRAMS / "memory_lines.py"), str(truth)],
                          capture_output=True, timeout=300, cwd=work)
    assert proc.returncode == 0, proc.stderr.decode()
    return ProfiledRun(proc, json.loads(out.read_text()), work / "p"), json.loads(truth.read_text())


def test_memory_section_has_the_heap_peak_and_a_bounded_timeline(lines_run):
    run, _ = lines_run
    memory = run.data["memory"]
    assert memory is not None
    assert memory["sample_interval_bytes"] == 8192
    # Everything kept (~310 MiB plus the interpreter and numpy) plus the 300 MiB at the peak.
    assert 600 * MIB <= memory["peak_bytes"] <= 900 * MIB, memory["peak_bytes"] / MIB
    timeline = memory["timeline"]
    assert 2 <= len(timeline) <= 2048
    assert max(point[1] for point in timeline) == memory["peak_bytes"]
    assert all(point[2] > 0 for point in timeline), "RSS beside the heap"


def test_large_allocations_per_line_alloc_free_live(lines_run):
    run, _ = lines_run
    program = PROGRAMS / "memory_lines.py"
    lines = lines_of(run, program)
    expect = {  # marker: (alloc, live)
        "# KEPT_BYTEARRAY": (120 * MIB, 120 * MIB),
        "# FREED_BYTES": (200 * MIB, 0),
        "# CHURN": (400 * MIB, 0),
        "# NUMPY_KEPT": (100 * MIB, 100 * MIB),
        "# NATIVE_MALLOC": (64 * MIB, 64 * MIB),
        "# PEAK_MOMENT": (300 * MIB, 0),
    }
    for marker, (alloc, live) in expect.items():
        row = lines.get(line_of(program, marker))
        assert row is not None, f"no row for {marker}"
        assert_within(row["alloc_bytes"], alloc, 0.10, f"{marker} alloc")
        if live:
            assert_within(row["live_bytes"], live, 0.10, f"{marker} live")
        else:
            assert row["live_bytes"] <= 0.02 * alloc, f"{marker} should be freed: {row['live_bytes']}"
        assert row["free_bytes"] == row["alloc_bytes"] - row["live_bytes"]


def test_small_objects_live_bytes(lines_run):
    run, truth = lines_run
    program = PROGRAMS / "memory_lines.py"
    row = lines_of(run, program)[line_of(program, "# SMALL_OBJECTS")]
    assert_within(row["live_bytes"], truth["small_live"], 0.10, "small objects live")
    assert row["alloc_bytes"] >= row["live_bytes"]


def test_peak_bytes_are_the_lines_live_bytes_at_the_peak(lines_run):
    run, truth = lines_run
    program = PROGRAMS / "memory_lines.py"
    lines = lines_of(run, program)

    def peak(marker):
        return lines[line_of(program, marker)]["peak_bytes"]

    assert_within(peak("# PEAK_MOMENT"), 300 * MIB, 0.10, "peak line")
    assert_within(peak("# KEPT_BYTEARRAY"), 120 * MIB, 0.10, "kept at peak")
    assert_within(peak("# NUMPY_KEPT"), 100 * MIB, 0.10, "numpy at peak")
    assert_within(peak("# SMALL_OBJECTS"), truth["small_live"], 0.10, "small objects at peak")
    assert peak("# FREED_BYTES") <= 2 * MIB and peak("# CHURN") <= 12 * MIB


def test_native_allocations_are_charged_to_the_calling_line_with_native_frames(lines_run):
    run, _ = lines_run
    program = PROGRAMS / "memory_lines.py"
    for marker, module_part in (("# NATIVE_MALLOC", "libffi"), ("# NUMPY_KEPT", "multiarray")):
        line = line_of(program, marker)
        stacks = [s for s in run.data["stacks"] if s["alloc_bytes"] >= 50 * MIB
                  and any(f["kind"] == "python" and f["line"] == line and (f["path"] or "").endswith("memory_lines.py")
                          for f in s["frames"])]
        assert stacks, f"no allocation stack for {marker}"
        frames = stacks[0]["frames"]
        python_at = max(i for i, f in enumerate(frames) if f["kind"] == "python")
        native_below = [f for f in frames[python_at + 1:] if f["kind"] == "native"]
        assert native_below, f"{marker}: no native frames below the Python line"
        assert any(module_part in (f["module"] or "") for f in native_below), [f["module"] for f in native_below]


def test_functions_carry_alloc_bytes(lines_run):
    run, _ = lines_run
    funcs = {f["name"]: f for f in next(x for x in run.data["files"] if x["path"].endswith("memory_lines.py"))["functions"]}
    assert_within(funcs["kept_bytearray"]["alloc_bytes"], 120 * MIB, 0.10, "function alloc")


def leaks_at(run, program: Path) -> dict[int, dict]:
    want = os.path.realpath(program)
    return {k["line"]: k for k in run.data["leaks"] if os.path.realpath(k["path"]) == want}


def test_growing_cache_is_reported_as_a_leak(run_profiled):
    program = PROGRAMS / "memory_leak.py"
    run = run_profiled(program)
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    leaks = leaks_at(run, program)
    leak = leaks.get(line_of(program, "# LEAK_LINE"))
    assert leak is not None, run.data["leaks"]
    assert leak["growth_bytes_per_s"] > 10 * MIB  # ~400 KB every ~5 ms
    assert 0.5 <= leak["confidence"] <= 1.0
    assert leak["live_bytes"] >= 20 * MIB
    assert line_of(program, "# CHURN_LINE") not in leaks


def test_memory_kept_once_or_churned_is_not_a_leak(run_profiled):
    program = PROGRAMS / "memory_no_leak.py"
    run = run_profiled(program)
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert leaks_at(run, program) == {}, run.data["leaks"]
    lines = run.file_lines(program)
    kept = lines[line_of(program, "# KEPT_ONCE")]
    assert_within(kept["live_bytes"], 500 * MIB, 0.10, "kept once")
    churn = lines[line_of(program, "# CHURN_5G")]
    assert churn["alloc_bytes"] >= 4500 * MIB
    assert churn["live_bytes"] <= 20 * MIB


def test_no_memory_flag_tracks_nothing(run_profiled):
    program = PROGRAMS / "memory_leak.py"
    run = run_profiled(program, options=("--no-memory",))
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert run.data["memory"] is None
    assert run.data["leaks"] == []
    assert all(l["alloc_bytes"] == 0 for f in run.data["files"] for l in f["lines"])


def test_c_allocation_patterns_behave_and_are_counted(run_profiled, tmp_path):
    import subprocess

    from conftest import run_plain

    lib = tmp_path / "liballoc_patterns.so"
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-shared", "-fPIC", "-g", "-O1", str(Path(__file__).parent / "fixtures" / "alloc_patterns.c"),
                    "-Wno-alloc-size-larger-than", "-o", str(lib), "-lpthread"], check=True)
    program = PROGRAMS / "alloc_patterns.py"
    plain = run_plain(program, str(lib))
    assert plain.returncode == 0, plain.stderr.decode()
    assert plain.stdout == b"failures [0, 0, 0] 25\n"
    run = run_profiled(program, str(lib))
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert run.proc.stdout == plain.stdout, run.proc.stderr.decode()
    lines = run.file_lines(program)
    assert_within(lines[line_of(program, "# KEEP_NATIVE")]["live_bytes"], 48 * MIB, 0.10, "kept by C")
    assert_within(lines[line_of(program, "# PY_THREAD_ALLOC")]["alloc_bytes"], 100 * MIB, 0.10, "main thread")
    # What the Python threads ran in C themselves (realloc growth to 64 MiB...) is charged to
    # the line that called into C.
    worker = lines[line_of(program, "results.append(lib.run_alloc_patterns(2))")]
    assert worker["alloc_bytes"] > 0


def test_child_processes_are_tracked_and_see_their_own_environment(run_profiled):
    from conftest import run_plain

    program = PROGRAMS / "memory_children.py"
    plain = run_plain(program)
    run = run_profiled(program)
    assert run.proc.returncode == plain.returncode == 0, run.proc.stderr.decode()
    assert run.proc.stdout == plain.stdout  # the subprocess saw no PYTHONMALLOC, no LD_PRELOAD
    parent_pid = run.data["pid"]

    def alloc_by_pid(marker):
        line = line_of(program, marker)
        by_pid = {}
        for s in run.data["stacks"]:
            if any(f["kind"] == "python" and f["line"] == line for f in s["frames"]):
                by_pid[s["pid"]] = by_pid.get(s["pid"], 0) + s["alloc_bytes"]
        return by_pid

    parent = alloc_by_pid("# PARENT_ALLOC")
    assert_within(parent.get(parent_pid, 0), 30 * MIB, 0.10, "parent")
    child = alloc_by_pid("# FORK_CHILD_ALLOC")
    assert set(child) and parent_pid not in child, child
    assert_within(sum(child.values()), 60 * MIB, 0.10, "fork child")
    sub = alloc_by_pid("# SUBPROCESS_ALLOC")
    assert set(sub) and parent_pid not in sub, sub
    assert_within(sum(sub.values()), 40 * MIB, 0.10, "subprocess")


def test_a_new_threads_first_allocation_is_not_always_sampled(run_profiled):
    # Before the fix every thread sampled its first allocation with probability 1 and
    # counted it as ~256 KiB: 300 threads came out as ~85 MB allocated; ~9 MB is right.
    run = run_profiled(PROGRAMS / "memory_many_threads.py")
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    assert run.data["memory"]["alloc_bytes"] < 30 * MIB, run.data["memory"]["alloc_bytes"] / MIB


def test_allocation_and_cpu_unwinds_never_deadlock(run_profiled):
    program = PROGRAMS / "memory_unwind_race.py"
    for _ in range(3):
        run = run_profiled(program, options=("--interval", "1", "--memory-interval", "16384"), timeout=120)
        assert run.proc.returncode == 0, run.proc.stderr.decode()
        assert run.proc.stdout == b"done\n"


def test_recycled_large_blocks_do_not_fault_in_again(run_profiled):
    # With jemalloc's defaults every page of a recycled large block faults in again: it
    # zeroes calloc blocks by purging them (~150 faults per 300 KB call here; np.zeros
    # loops 35x slower) and purges blocks over 8 MiB on free (4096 faults per 16 MB block;
    # numpy temporaries 2.8x slower). The shim memsets callocs up to 32 MiB and keeps
    # blocks up to 32 MiB for reuse (its malloc_conf).
    program = PROGRAMS / "memory_calloc_reuse.py"
    run = run_profiled(program)
    assert run.proc.returncode == 0, run.proc.stderr.decode()
    out = run.proc.stdout.decode().splitlines()
    assert out[0] == "zeroed True"
    assert int(out[1].split()[-1]) < 10, out  # the string_at copy may fault a few pages
    assert int(out[2].split()[-1]) < 400, out  # 10 % of the block's 4096 pages
