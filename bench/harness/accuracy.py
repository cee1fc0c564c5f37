"""Accuracy suite: ground-truth programs (bench/accuracy/) that measure themselves, run
under pyrometer and the peers that report a comparable quantity; the error of each tool
against the program's own measurement of the same run.

CPU errors are differences of shares, in percentage points: each measured line's share of
the CPU of all measured lines of the program, by the tool and by the truth. Function-level
tools (pyinstrument, cProfile) are compared on the functions that hold those lines.
Allocation errors are relative (|tool - truth| / truth) per measured line.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import tools
from .common import BENCH, bench_env, fresh_dir, loadavg, log, median, run, save_json

ACCURACY = BENCH / "accuracy"
CPU_TOOLS = ["pyrometer_full", "scalene_full", "pyspy", "pyinstrument", "cprofile"]
MEMORY_TOOLS = ["pyrometer_full", "scalene_full", "memray"]


@dataclass
class Program:
    name: str
    kind: str  # "cpu" or "memory"
    functions: dict[str, str] = field(default_factory=dict)  # function name -> its measured line
    description: str = ""


PROGRAMS = [
    Program("per_line_cpu", "cpu",
            {"squares": "squares", "strings": "strings", "dicts": "dicts", "sorting": "sorting", "regex": "regex"},
            "five lines of different work (Python, C builtins, regex), interleaved"),
    Program("threads_cpu", "cpu",
            {"python_a": "python_a", "python_b": "python_b", "hashing": "hashing", "main_work": "main_work"},
            "two GIL-bound threads, one GIL-free hashing thread, the main thread"),
    Program("phases", "cpu",
            {"python_phase": "python", "native_phase": "native", "system_phase": "system"},
            "Python, native (zlib) and system (getrandom) lines"),
    Program("loop_top", "cpu", {}, "loop whose first body line is one long instruction"),
    Program("alloc_lines", "memory", {}, "known bytes per line: 8 MiB, 400x4 KB, 20000x157 B, numpy 8 MiB"),
    Program("leaks", "memory", {}, "a line that leaks 64 KiB per round beside one that frees it"),
]


def markers(path: Path) -> dict[str, int]:
    """`# @L:name` comments -> line numbers."""
    found = {}
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        match = re.search(r"#\s*@L:(\w+)", text)
        if match:
            found[match.group(1)] = number
    return found


def function_spans(path: Path) -> dict[str, tuple[int, int]]:
    """Top-level function name -> (first line, last line), from the source."""
    tree = ast.parse(path.read_text())
    return {node.name: (node.lineno, node.end_lineno or node.lineno)
            for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def shares(values: dict[str, float]) -> dict[str, float] | None:
    total = sum(values.values())
    if total <= 0:
        return None
    return {k: 100.0 * v / total for k, v in values.items()}


def line_total(cats: dict[str, float]) -> float:
    return sum(cats.values())


def cpu_errors(program: Program, truth: dict, obs: tools.CpuObservation, lines: dict[str, int],
               spans: dict[str, tuple[int, int]]) -> dict:
    result: dict = {}
    if obs.lines:
        # Line-level tools charge a sample to the innermost line of the program; a function's
        # time is then the sum of its lines (comprehensions are separate code objects, so the
        # tools' own per-function rows would split them off).
        obs.functions = {fn: sum(line_total(cats) for line, cats in obs.lines.items() if lo <= line <= hi)
                         for fn, (lo, hi) in spans.items()}
    true_line = {name: line_total(cats) for name, cats in truth["cpu"].items()}
    true_share = shares(true_line)
    if obs.lines:
        got = {name: line_total(obs.lines.get(lines[name], {})) for name in true_line}
        got_share = shares(got)
        if got_share and true_share:
            detail = {name: {"truth_pp": true_share[name], "tool_pp": got_share[name]} for name in true_line}
            result["line_err_pp"] = max(abs(d["tool_pp"] - d["truth_pp"]) for d in detail.values())
            result["line_detail"] = detail
        else:
            result["line_err_pp"] = None
            result["line_note"] = "no samples on the measured lines"
        if obs.split:
            result.update(category_errors(truth, obs, lines))
    if program.functions:
        true_fn = {fn: true_line[line] for fn, line in program.functions.items()}
        got_fn = {fn: obs.functions.get(fn, 0.0) for fn in program.functions}
        t_share, g_share = shares(true_fn), shares(got_fn)
        if t_share and g_share:
            detail = {fn: {"truth_pp": t_share[fn], "tool_pp": g_share[fn]} for fn in true_fn}
            result["function_err_pp"] = max(abs(d["tool_pp"] - d["truth_pp"]) for d in detail.values())
            result["function_detail"] = detail
        else:
            result["function_err_pp"] = None
            result["function_note"] = "no time in the measured functions"
    return result


def category_errors(truth: dict, obs: tools.CpuObservation, lines: dict[str, int]) -> dict:
    """Python / native / system split: each (line, category) cell as a share of the measured
    lines' total. Where the truth only knows "user" (Python + native together), the tool's
    Python and native are added up too."""
    true_cells, got_cells = {}, {}
    for name, cats in truth["cpu"].items():
        got = obs.lines.get(lines[name], {})
        if "user" in cats:
            true_cells[(name, "user")] = cats["user"]
            got_cells[(name, "user")] = got.get("python", 0.0) + got.get("native", 0.0)
        else:
            for cat in ("python", "native"):
                true_cells[(name, cat)] = cats.get(cat, 0.0)
                got_cells[(name, cat)] = got.get(cat, 0.0)
        true_cells[(name, "system")] = cats.get("system", 0.0)
        got_cells[(name, "system")] = got.get("system", 0.0)
    t_share, g_share = shares(true_cells), shares(got_cells)
    if not t_share or not g_share:
        return {"category_err_pp": None}
    detail = {f"{name}/{cat}": {"truth_pp": t_share[(name, cat)], "tool_pp": g_share[(name, cat)]}
              for (name, cat) in true_cells}
    return {"category_err_pp": max(abs(d["tool_pp"] - d["truth_pp"]) for d in detail.values()),
            "category_detail": detail}


def memory_errors(truth: dict, obs: tools.MemoryObservation, lines: dict[str, int]) -> dict:
    if not obs.implemented:
        return {"implemented": False}
    detail = {}
    for name, true_bytes in truth["alloc"].items():
        got = obs.alloc.get(lines[name], 0.0)
        detail[name] = {"truth_bytes": true_bytes, "tool_bytes": got,
                        "err_pct": 100.0 * abs(got - true_bytes) / true_bytes if true_bytes else None}
    result: dict = {"implemented": True, "alloc_detail": detail,
                    "alloc_err_pct": max(d["err_pct"] for d in detail.values() if d["err_pct"] is not None)}
    if "leak" in truth["live"]:
        leak_line, churn_line = lines["leak"], lines["churn"]
        true_live = truth["live"]["leak"]
        got_live = obs.live.get(leak_line, 0.0)
        result.update({
            "leak_live_truth": true_live, "leak_live_tool": got_live,
            "leak_live_err_pct": 100.0 * abs(got_live - true_live) / true_live,
            "churn_live_tool": obs.live.get(churn_line, 0.0),
            "leak_flagged": (leak_line in obs.flagged) if obs.flags_leaks else None,
            "churn_flagged": (churn_line in obs.flagged) if obs.flags_leaks else None,
        })
    return result


def run_suite(short: bool, reps: int, only_tools: list[str] | None, out_path: Path) -> dict:
    scale = 1.0 if short else 3.0
    results: dict = {"mode": "short" if short else "full", "scale": scale, "reps": reps,
                     "loadavg_start": loadavg(), "programs": {}}
    for program in PROGRAMS:
        path = ACCURACY / f"{program.name}.py"
        lines = markers(path)
        tool_keys = CPU_TOOLS if program.kind == "cpu" else MEMORY_TOOLS
        entry: dict = {"kind": program.kind, "description": program.description, "lines": lines,
                       "functions": program.functions, "tools": {}}
        results["programs"][program.name] = entry
        for key in tool_keys:
            if only_tools and key not in only_tools:
                continue
            tool = tools.BY_KEY[key]
            tool_entry: dict = {"runs": [], "error": tools.missing(tool)}
            entry["tools"][key] = tool_entry
            if tool_entry["error"]:
                continue
            for rep in range(reps):
                out = fresh_dir(f"accuracy-{program.name}-{key}")
                truth_file = out / "truth.json"
                cmd = tool.accuracy_cmd([str(path), "--scale", str(scale)], out)
                result = run(cmd, cwd=out, env=bench_env({"BENCH_TRUTH_FILE": str(truth_file)}), timeout=900)
                if not result.ok or not truth_file.exists():
                    tool_entry["error"] = result.error() if not result.ok else "the program wrote no truth file"
                    log(f"{program.name} under {key} failed: {tool_entry['error'].splitlines()[0]}")
                    break
                truth = json.loads(truth_file.read_text())
                try:
                    if program.kind == "cpu":
                        metrics = cpu_errors(program, truth, tools.read_cpu(key, out, path), lines,
                                             function_spans(path))
                    else:
                        metrics = memory_errors(truth, tools.read_memory(key, out, path), lines)
                except Exception as exc:  # a tool's output we cannot read is a result too
                    tool_entry["error"] = f"could not read {key}'s output: {type(exc).__name__}: {exc}"
                    log(f"{program.name} under {key}: {tool_entry['error']}")
                    break
                metrics["wall_s"] = result.wall_s
                tool_entry["runs"].append(metrics)
                shutil.rmtree(out, ignore_errors=True)
            tool_entry["summary"] = summarize_runs(tool_entry["runs"])
            log(f"{program.name} under {key}: {brief(tool_entry['summary'])}")
        save_json(out_path, results)
    results["loadavg_end"] = loadavg()
    save_json(out_path, results)
    return results


NUMERIC = ("line_err_pp", "function_err_pp", "category_err_pp", "alloc_err_pct", "leak_live_err_pct")


def summarize_runs(runs: list[dict]) -> dict:
    """Median over repetitions of each error measure; the details of the median-ish run."""
    if not runs:
        return {}
    summary: dict = {}
    for key in NUMERIC:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            summary[key] = median(values)
    for key in ("implemented", "leak_flagged", "churn_flagged", "line_note", "function_note"):
        if key in runs[0]:
            summary[key] = runs[0][key]
    for key in ("line_detail", "function_detail", "category_detail", "alloc_detail",
                "leak_live_truth", "leak_live_tool", "churn_live_tool"):
        if key in runs[-1]:
            summary[key] = runs[-1][key]
    return summary


def brief(summary: dict) -> str:
    parts = [f"{k}={summary[k]:.1f}" for k in NUMERIC if isinstance(summary.get(k), float)]
    if summary.get("implemented") is False:
        parts.append("memory not implemented")
    return ", ".join(parts) or "no comparable output"
