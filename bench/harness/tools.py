"""The profilers under test: how each is run, which version is installed, and how its
output is read back into one common shape for the accuracy suite.

Every tool runs with its default settings (what a user gets), writing its output into a
scratch directory, never to the terminal (the program's stdout must stay readable).
"""

from __future__ import annotations

import json
import pstats
import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

from .common import PYTHON, VENV_BIN, run

CATEGORIES = ("python", "native", "system")


@dataclass
class Tool:
    key: str
    label: str
    package: str | None  # PyPI distribution, for the version; None: part of Python
    executable: str | None  # in bench/.venv/bin; None: the interpreter itself
    overhead_cmd: Callable[[list[str], Path], list[str]]
    accuracy_cmd: Callable[[list[str], Path], list[str]] | None = None
    note: str = ""


def _exe(name: str) -> str:
    return str(VENV_BIN / name)


def _scalene(prog: list[str], out: Path, *flags: str) -> list[str]:
    # scalene 2.x: `scalene run [opts] prog.py --- args` (program arguments after ---)
    cmd = [_exe("scalene"), "run", *flags, "-o", str(out / "scalene.json"), prog[0]]
    return cmd + (["---", *prog[1:]] if len(prog) > 1 else [])


TOOLS: list[Tool] = [
    Tool("none", "no profiler", None, None,
         lambda prog, out: [str(PYTHON), *prog]),
    Tool("pyrometer_cpu", "pyrometer CPU (`--no-memory`)", "pyrometer", "pyrometer",
         lambda prog, out: [_exe("pyrometer"), "run", "-q", "--no-memory", "-o", str(out / "p"), *prog],
         lambda prog, out: [_exe("pyrometer"), "run", "-q", "--no-memory", "-o", str(out / "p"),
                            "--json", str(out / "p.json"), *prog]),
    Tool("pyrometer_full", "pyrometer full (defaults)", "pyrometer", "pyrometer",
         lambda prog, out: [_exe("pyrometer"), "run", "-q", "-o", str(out / "p"), *prog],
         lambda prog, out: [_exe("pyrometer"), "run", "-q", "-o", str(out / "p"),
                            "--json", str(out / "p.json"), *prog],
         note="full mode = the defaults: CPU, native stacks and memory tracking (allocation shim, 256 KiB sampling mean)"),
    Tool("scalene_cpu", "scalene CPU (`--cpu-only`)", "scalene", "scalene",
         lambda prog, out: _scalene(prog, out, "--cpu-only")),
    Tool("scalene_full", "scalene full (defaults)", "scalene", "scalene",
         lambda prog, out: _scalene(prog, out),
         lambda prog, out: _scalene(prog, out)),
    Tool("pyspy", "py-spy record", "py-spy", "py-spy",
         lambda prog, out: [_exe("py-spy"), "record", "-o", str(out / "profile.svg"), "--",
                            str(PYTHON), *prog],
         lambda prog, out: [_exe("py-spy"), "record", "--format", "raw", "--full-filenames",
                            "-o", str(out / "pyspy.txt"), "--", str(PYTHON), *prog]),
    Tool("pyinstrument", "pyinstrument", "pyinstrument", "pyinstrument",
         lambda prog, out: [_exe("pyinstrument"), "-r", "text", "-o", str(out / "profile.txt"), *prog],
         lambda prog, out: [_exe("pyinstrument"), "-r", "json", "-o", str(out / "pyinstrument.json"), *prog]),
    Tool("memray", "memray run", "memray", "memray",
         lambda prog, out: [_exe("memray"), "run", "-q", "-f", "-o", str(out / "memray.bin"), *prog],
         # pymalloc allocations too: without it small objects are invisible to memray
         lambda prog, out: [_exe("memray"), "run", "-q", "-f", "--trace-python-allocators",
                            "-o", str(out / "memray.bin"), *prog],
         note="capture only: `memray run` writes a capture file; reports are a separate command"),
    Tool("cprofile", "cProfile", None, None,
         lambda prog, out: [str(PYTHON), "-m", "cProfile", "-o", str(out / "cprofile.prof"), *prog],
         lambda prog, out: [str(PYTHON), "-m", "cProfile", "-o", str(out / "cprofile.prof"), *prog]),
]
BY_KEY = {tool.key: tool for tool in TOOLS}


def version(tool: Tool) -> str:
    """The installed version, or why the tool is missing."""
    if tool.package is None:
        return "built into Python " + run([str(PYTHON), "-c", "import sys; print(sys.version.split()[0])"]).stdout.strip()
    try:
        return metadata.version(tool.package)
    except metadata.PackageNotFoundError:
        pass
    # The harness may run under another interpreter than bench/.venv: ask the venv.
    probe = run([str(PYTHON), "-c", f"from importlib import metadata; print(metadata.version({tool.package!r}))"])
    return probe.stdout.strip() if probe.ok else ""


def missing(tool: Tool) -> str | None:
    """None when the tool can run, else the exact reason."""
    if tool.executable and not (VENV_BIN / tool.executable).exists():
        return f"{VENV_BIN / tool.executable} does not exist (installation failed; see the setup errors)"
    return None


# ---------------------------------------------------------------------------------------
# Reading outputs back. A CPU observation maps (line -> {category: seconds or percent});
# only relative shares are compared, so the unit does not matter.


@dataclass
class CpuObservation:
    lines: dict[int, dict[str, float]] = field(default_factory=dict)  # python/native/system or total
    functions: dict[str, float] = field(default_factory=dict)         # inclusive, by name
    split: bool = False  # lines carry python/native/system


@dataclass
class MemoryObservation:
    implemented: bool = True
    alloc: dict[int, float] = field(default_factory=dict)   # bytes allocated per line
    live: dict[int, float] = field(default_factory=dict)    # bytes still live at the end
    flagged: set[int] = field(default_factory=set)         # lines reported as leaks
    flags_leaks: bool = False                               # the tool has a leak verdict at all


def _same_file(a: str, b: Path) -> bool:
    try:
        return Path(a).resolve() == b
    except (OSError, ValueError):
        return False


def read_cpu(tool_key: str, out: Path, program: Path) -> CpuObservation:
    reader = _CPU_READERS[tool_key.split("_")[0] if tool_key.startswith(("pyrometer", "scalene")) else tool_key]
    return reader(out, program.resolve())


def _pyrometer_cpu(out: Path, program: Path) -> CpuObservation:
    data = json.loads((out / "p.json").read_text())
    obs = CpuObservation(split=True)
    for entry in data["files"]:
        if not _same_file(entry["path"], program):
            continue
        for row in entry["lines"]:
            obs.lines[row["line"]] = {"python": row["cpu_python_s"], "native": row["cpu_native_s"],
                                      "system": row["cpu_system_s"]}
        for fn in entry.get("functions", []):
            obs.functions[fn["name"]] = obs.functions.get(fn["name"], 0.0) + fn["cpu_s"]
    return obs


def _scalene_cpu(out: Path, program: Path) -> CpuObservation:
    data = json.loads((out / "scalene.json").read_text())
    obs = CpuObservation(split=True)
    for path, entry in data.get("files", {}).items():
        if not _same_file(path, program):
            continue
        for row in entry["lines"]:
            obs.lines[row["lineno"]] = {"python": row["n_cpu_percent_python"], "native": row["n_cpu_percent_c"],
                                        "system": row["n_sys_percent"]}
        for fn in entry.get("functions", []):
            total = fn["n_cpu_percent_python"] + fn["n_cpu_percent_c"] + fn["n_sys_percent"]
            obs.functions[fn["line"]] = obs.functions.get(fn["line"], 0.0) + total
    return obs


_PYSPY_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*):(?P<line>\d+)\)$")


def _pyspy_cpu(out: Path, program: Path) -> CpuObservation:
    """py-spy raw (collapsed) output: `frame;frame;... count`, root first, each frame
    `function (file:line)`. A sample goes to the innermost frame in the program's file."""
    obs = CpuObservation()
    lines: dict[int, float] = defaultdict(float)
    for text in (out / "pyspy.txt").read_text().splitlines():
        stack, _, count = text.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_PYSPY_FRAME.match(f) for f in stack.split(";")]
        mine = [m for m in frames if m and _same_file(m["file"], program)]
        if not mine:
            continue
        lines[int(mine[-1]["line"])] += int(count)
        for func in {m["func"] for m in mine}:
            obs.functions[func] = obs.functions.get(func, 0.0) + int(count)
    obs.lines = {line: {"total": n} for line, n in lines.items()}
    return obs


def _pyinstrument_cpu(out: Path, program: Path) -> CpuObservation:
    data = json.loads((out / "pyinstrument.json").read_text())
    obs = CpuObservation()

    def walk(frame: dict, open_functions: frozenset) -> None:
        key = frame["function"]
        mine = _same_file(frame.get("file_path") or "", program)
        if mine and key not in open_functions:  # inclusive time, counted once per nesting
            obs.functions[key] = obs.functions.get(key, 0.0) + frame["time"]
        inner = open_functions | {key} if mine else open_functions
        for child in frame.get("children", []):
            walk(child, inner)

    walk(data["root_frame"], frozenset())
    return obs


def _cprofile_cpu(out: Path, program: Path) -> CpuObservation:
    obs = CpuObservation()
    stats = pstats.Stats(str(out / "cprofile.prof")).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    for (path, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        if _same_file(path, program):
            obs.functions[name] = obs.functions.get(name, 0.0) + cumulative
    return obs


_CPU_READERS = {
    "pyrometer": _pyrometer_cpu,
    "scalene": _scalene_cpu,
    "pyspy": _pyspy_cpu,
    "pyinstrument": _pyinstrument_cpu,
    "cprofile": _cprofile_cpu,
}


def read_memory(tool_key: str, out: Path, program: Path) -> MemoryObservation:
    program = program.resolve()
    if tool_key.startswith("pyrometer"):
        return _pyrometer_memory(out, program)
    if tool_key.startswith("scalene"):
        return _scalene_memory(out, program)
    if tool_key == "memray":
        return _memray_memory(out, program)
    raise KeyError(tool_key)


def _pyrometer_memory(out: Path, program: Path) -> MemoryObservation:
    data = json.loads((out / "p.json").read_text())
    obs = MemoryObservation(flags_leaks=True)
    any_alloc = False
    for entry in data["files"]:
        if not _same_file(entry["path"], program):
            continue
        for row in entry["lines"]:
            obs.alloc[row["line"]] = row.get("alloc_bytes", 0)
            obs.live[row["line"]] = row.get("live_bytes", 0)
            any_alloc = any_alloc or row.get("alloc_bytes", 0) > 0
    for leak in data.get("leaks") or []:
        if _same_file(leak["path"], program):
            obs.flagged.add(leak["line"])
    # Until the memory issue lands the export has "memory": null and zero byte counts.
    obs.implemented = data.get("memory") is not None and any_alloc
    return obs


MIB = 1024 * 1024


def _scalene_memory(out: Path, program: Path) -> MemoryObservation:
    data = json.loads((out / "scalene.json").read_text())
    obs = MemoryObservation(flags_leaks=True)
    for path, entry in data.get("files", {}).items():
        if not _same_file(path, program):
            continue
        for row in entry["lines"]:
            obs.alloc[row["lineno"]] = row["n_malloc_mb"] * MIB
            obs.live[row["lineno"]] = row["n_growth_mb"] * MIB
        for line in (entry.get("leaks") or {}):
            obs.flagged.add(int(line))
    return obs


def _memray_memory(out: Path, program: Path) -> MemoryObservation:
    from memray import AllocatorType, FileReader  # only in bench/.venv

    deallocators = {AllocatorType.FREE, AllocatorType.MUNMAP, AllocatorType.PYMALLOC_FREE}
    obs = MemoryObservation(flags_leaks=False)
    line_of_stack: dict[tuple[int, int], int | None] = {}

    def program_line(record) -> int | None:
        key = (record.tid, record.stack_id)
        if key not in line_of_stack:
            line = None
            for _func, path, lineno in record.stack_trace():  # innermost first
                if _same_file(path, program):
                    line = lineno
                    break
            line_of_stack[key] = line
        return line_of_stack[key]

    reader = FileReader(str(out / "memray.bin"))
    try:
        for record in reader.get_allocation_records():
            if record.allocator in deallocators:
                continue
            line = program_line(record)
            if line is not None:
                obs.alloc[line] = obs.alloc.get(line, 0) + record.size
        for record in reader.get_leaked_allocation_records(merge_threads=True):
            line = program_line(record)
            if line is not None:
                obs.live[line] = obs.live.get(line, 0) + record.size
    finally:
        reader.close()
    return obs
