"""Mixed native + Python stacks (issue 3): capture, merge, symbolization, hotspots, exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import PROGRAMS, line_of, pyrometer_command

FIXTURES = Path(__file__).parent / "fixtures"
PROGRAM = PROGRAMS / "native_mix.py"


@pytest.fixture(scope="module")
def native_run(tmp_path_factory):
    """Builds the C fixtures (-g) and profiles native_mix.py once for all tests here."""
    work = tmp_path_factory.mktemp("native")
    include = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-shared", "-fPIC", "-g", "-O1", f"-I{include}", str(FIXTURES / "hotmod.c"),
                    "-o", str(work / f"hotmod{suffix}"), "-lpthread"], check=True)
    subprocess.run([cc, "-shared", "-fPIC", "-g", "-O1", str(FIXTURES / "libdlhot.c"), "-o", str(work / "libdlhot.so")],
                   check=True)
    out = work / "profile.json"
    proc = subprocess.run([*pyrometer_command(), "run", "-q", "-o", str(work / "p"), "--json", str(out),
                           str(PROGRAM), str(work)], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(out.read_text()), work


def program_line(marker: str) -> int:
    return line_of(PROGRAM, marker)


def hotspot(data, function: str):
    return next((h for h in data["native_hotspots"] if h["function"] == function), None)


def test_hot_function_of_a_c_extension_is_named_with_source_and_caller(native_run):
    data, _ = native_run
    hot = hotspot(data, "hot_inner_loop")
    assert hot is not None, [h["function"] for h in data["native_hotspots"][:15]]
    assert hot["module"].endswith(sysconfig.get_config_var("EXT_SUFFIX"))
    assert hot["source"] and hot["source"].split(":")[0].endswith("hotmod.c")
    hot_line = line_of(FIXTURES / "hotmod.c", "HOT_LINE")
    assert abs(int(hot["source"].rsplit(":", 1)[1]) - hot_line) <= 1
    callers = {(Path(c["path"]).name, c["line"]): c["s"] for c in hot["callers"]}
    assert ("native_mix.py", program_line("# HOTMOD_LINE")) in callers
    # It takes at least 80 % of that line's native time.
    line = next(l for f in data["files"] if f["path"].endswith("native_mix.py") for l in f["lines"]
                if l["line"] == program_line("# HOTMOD_LINE"))
    assert callers[("native_mix.py", program_line("# HOTMOD_LINE"))] >= 0.8 * line["cpu_native_s"]


def test_callback_chain_python_c_python_is_in_order(native_run):
    data, _ = native_run
    comparator = program_line("# COMPARATOR_LINE")
    qsort_line = program_line("# QSORT_LINE")
    found = False
    for stack in data["stacks"]:
        frames = stack["frames"]
        kinds = [(f["kind"], f["name"], f.get("line")) for f in frames]
        try:
            i_call = next(i for i, f in enumerate(frames) if f["kind"] == "python" and f["line"] == qsort_line)
            i_qsort = next(i for i, f in enumerate(frames) if f["kind"] == "native" and "qsort" in f["name"])
            i_cmp = next(i for i, f in enumerate(frames) if f["kind"] == "python" and f["line"] == comparator)
        except StopIteration:
            continue
        assert i_call < i_qsort < i_cmp, kinds
        found = True
    assert found, "no stack shows Python -> qsort -> Python comparator"


def test_numpy_hot_functions_are_named_and_attributed(native_run):
    data, _ = native_run
    for marker in ("# MATMUL_LINE", "# NPSORT_LINE"):
        line = program_line(marker)
        names = set()
        for h in data["native_hotspots"]:
            if any(Path(c["path"]).name == "native_mix.py" and c["line"] == line for c in h["callers"]):
                if "numpy" in h["module"] or "openblas" in h["module"].lower():
                    names.add(h["function"])
        assert names, f"no numpy/BLAS function attributed to {marker}"
        assert not all(n.startswith("0x") for n in names), names


def test_library_loaded_with_dlopen_after_start_is_symbolized(native_run):
    data, _ = native_run
    hot = hotspot(data, "dl_hot_function")
    assert hot is not None and hot["module"].endswith("libdlhot.so")
    assert hot["source"] and "libdlhot.c" in hot["source"]
    assert any(c["line"] == program_line("# DLOPEN_LINE") for c in hot["callers"])


def test_threads_created_in_c_have_native_frames(native_run):
    data, _ = native_run
    main_tid = next(t["tid"] for t in data["threads"] if t["name"] == "MainThread")
    c_thread_stacks = [s for s in data["stacks"] if s["tid"] != main_tid
                       and any(f["kind"] == "native" and f["name"] == "hot_inner_loop" for f in s["frames"])]
    assert c_thread_stacks, "the C-created thread's hot_inner_loop was not sampled"
    assert sum(s["cpu_s"] for s in c_thread_stacks) > 0.05


def test_no_native_keeps_python_frames_only(tmp_path):
    out = tmp_path / "p.json"
    proc = subprocess.run([*pyrometer_command(), "run", "-q", "--no-native", "-o", str(tmp_path / "p"), "--json",
                           str(out), str(PROGRAMS / "phases.py")], capture_output=True, timeout=120)
    assert proc.returncode == 0
    data = json.loads(out.read_text())
    assert all(f["kind"] == "python" for s in data["stacks"] for f in s["frames"])
    assert data["native_hotspots"] == []


def test_collapsed_and_speedscope_exports(native_run, tmp_path):
    _, work = native_run
    collapsed, speedscope = tmp_path / "p.folded", tmp_path / "p.speedscope.json"
    proc = subprocess.run([*pyrometer_command(), "report", str(work / "p.pyro"), "--collapsed", str(collapsed),
                           "--speedscope", str(speedscope)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = collapsed.read_text().splitlines()
    assert lines and all(l.rsplit(" ", 1)[1].isdigit() for l in lines)
    assert any("hot_inner_loop" in l and "native_mix.py" in l for l in lines)
    doc = json.loads(speedscope.read_text())
    frames = doc["shared"]["frames"]
    assert doc["profiles"] and all(p["type"] == "sampled" for p in doc["profiles"])
    for p in doc["profiles"]:
        assert len(p["samples"]) == len(p["weights"])
        assert all(0 <= i < len(frames) for s in p["samples"] for i in s)
