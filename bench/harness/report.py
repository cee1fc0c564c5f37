"""Turns bench/results/*.json into the generated part of docs/benchmarks.md (between the
`bench:generated` markers; the hand-written text around it is kept) and the overhead plot
docs/benchmarks-overhead.png."""

from __future__ import annotations

import math
from pathlib import Path

from .common import DOCS, REPO, load_json
from .overhead import overall

BEGIN = "<!-- bench:generated:begin (written by bench/run.sh; edits inside are overwritten) -->"
END = "<!-- bench:generated:end -->"
PLOT = DOCS / "benchmarks-overhead.png"

TOOL_ORDER = ["pyrometer_cpu", "pyrometer_full", "scalene_cpu", "scalene_full", "pyspy", "pyinstrument",
              "memray", "cprofile"]
SHORT_LABEL = {
    "pyrometer_cpu": "pyrometer CPU", "pyrometer_full": "pyrometer full¹", "scalene_cpu": "scalene CPU",
    "scalene_full": "scalene full", "pyspy": "py-spy", "pyinstrument": "pyinstrument",
    "memray": "memray²", "cprofile": "cProfile",
}
ACC_LABEL = {"pyrometer_full": "pyrometer", "scalene_full": "scalene", "pyspy": "py-spy",
             "pyinstrument": "pyinstrument", "cprofile": "cProfile", "memray": "memray"}


def _x(v: float | None, digits: int = 2) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}×"


def _pp(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def _bytes(n: float | None) -> str:
    if n is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "—"


def _code(text: str) -> str:
    return "```\n" + text.strip() + "\n```"


def setup_section(setup: dict, overhead: dict | None, accuracy: dict | None, micro: dict | None) -> list[str]:
    m = setup["machine"]
    out = ["### Machine and versions", "",
           "| | |", "|---|---|",
           f"| CPU | {m['cpu']}, {m['cores']} cores (shared with other builds), {m['memory_gib']} GiB |",
           f"| OS | Debian {m['debian']}, kernel {m['kernel']}, glibc {m['glibc']} |",
           f"| Python | CPython {m['python']} (pyenv, `--enable-shared`), venv `bench/.venv` |",
           f"| date | {setup['date']} |"]
    for name, info in setup["packages"].items():
        version = info.get("version") or "**not installed**"
        out.append(f"| {name} | {version} |")
    loads = []
    for label, res in (("overhead", overhead), ("accuracy", accuracy), ("micro", micro)):
        if res and res.get("loadavg_start"):
            loads.append(f"{label} {res['loadavg_start'][0]:.1f} → {res.get('loadavg_end', ['?'])[0]}")
    if loads:
        out.append(f"| load average (1 min) at start → end | {'; '.join(loads)} |")
    out.append("")
    return out


def overhead_section(res: dict) -> list[str]:
    tools = [k for k in TOOL_ORDER if k in res["tools"]]
    mode = res["mode"]
    out = [f"### Overhead ({mode} mode: ~{res['target_s']:g} s per unprofiled run, {res['reps']} interleaved rounds)", "",
           "Slowdown = wall time of the whole command under the tool ÷ wall time of the unprofiled run",
           "of the same round (start-up, profiling, and writing the tool's output included). Median",
           "(min–max) over the rounds. Lower is better; 1.00× = no overhead.", "",
           "| workload | loops | " + " | ".join(SHORT_LABEL[k] for k in tools) + " |",
           "|---|---:|" + "---:|" * len(tools)]
    for name, entry in res["workloads"].items():
        cells = []
        for key in tools:
            s = entry["summary"].get(key)
            if s and s.get("censored"):
                cells.append(f"> {s['wall_median']:.0f}×⁴")
            elif s and s["n"] == 1:
                cells.append(f"{_x(s['wall_median'], 1)} (1 run⁴)")
            elif s:
                cells.append(f"{_x(s['wall_median'])} ({s['wall_min']:.2f}–{s['wall_max']:.2f})")
            elif key in entry["errors"]:
                cells.append("failed³")
            else:
                cells.append("—")
        base = entry["summary"].get("none", {})
        loops = f"{entry['loops']} ({base['wall_median_s']:.1f} s)" if base else str(entry.get("loops"))
        out.append(f"| {name} | {loops} | " + " | ".join(cells) + " |")
    ov = overall(res)
    for label, field in (("**median of all runs**", "median_all_runs"), ("geomean of medians", "geomean_of_medians"),
                         ("worst workload median", "worst_median"), ("worst single run", "worst_run")):
        out.append(f"| {label} | | " + " | ".join(
            ("≥ " if ov.get(k, {}).get("censored") and field != "median_all_runs" else "") + _x(ov.get(k, {}).get(field))
            for k in tools) + " |")
    out += ["", "¹ " + res["tools"].get("pyrometer_full", {}).get("note", ""),
            "² " + res["tools"].get("memray", {}).get("note", ""),
            "³ the exact error is under *Failures* below.",
            "⁴ a configuration slower than 10× the unprofiled run is measured once, and one still running",
            "at 40× is stopped (its cell is a lower bound).", ""]
    notes = [f"{name}: {e['note']}" for name, e in res["workloads"].items() if e.get("note")]
    if notes:
        out += ["Workload notes: " + "; ".join(notes) + ".", ""]
    # Sampling overhead as the program measures itself, and the size of what each tool writes.
    out += ["In-program slowdown (the benchmark's own timer around its loops: start-up and report",
            "writing excluded) and the median size of what the tool wrote per run:", "",
            "| workload | " + " | ".join(SHORT_LABEL[k] for k in tools) + " |",
            "|---|" + "---:|" * len(tools)]
    for name, entry in res["workloads"].items():
        cells = [_x(entry["summary"][k]["inner_median"]) if entry["summary"].get(k) else "—" for k in tools]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    sizes = []
    for key in tools:
        values = [e["summary"][key]["output_bytes_median"] for e in res["workloads"].values() if e["summary"].get(key)]
        sizes.append(_bytes(sorted(values)[len(values) // 2]) if values else "—")
    out.append("| *output size (median over workloads)* | " + " | ".join(sizes) + " |")
    out += ["", f"![overhead per workload]({PLOT.name})", ""]
    issue2 = res.get("issue2")
    if issue2:
        out += [f"The issue-2 measurement (section above), re-run by this command (`{issue2['command']}`):", ""]
        out += [_code(issue2["output"]) if issue2.get("output") else "failed³", ""]
    return out


def startup_section(res: dict) -> list[str]:
    keys = [k for k in TOOL_ORDER if k in res["extra_ms"] or k in res["errors"]]
    return ["Fixed cost per run — an empty program (`bench/programs/empty.py`), median wall time added by",
            f"the tool over {res['reps']} interleaved runs (unprofiled: {1000 * res['none_s']:.0f} ms). "
            "This is start-up plus writing the output, paid once per run:", "",
            "| | " + " | ".join(SHORT_LABEL[k] for k in keys) + " |", "|---|" + "---:|" * len(keys),
            "| added ms | " + " | ".join(f"{res['extra_ms'][k]:.0f}" if k in res["extra_ms"] else "failed³"
                                        for k in keys) + " |", ""]


def plot_overhead(res: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tools = [k for k in TOOL_ORDER if k in res["tools"]]
    workloads = list(res["workloads"])
    fig, ax = plt.subplots(figsize=(9, 6.5), dpi=80)
    height = 0.8 / len(tools)
    colors = plt.get_cmap("tab10")
    labelled: set[str] = set()
    top = 1.0
    for i, key in enumerate(tools):
        ys, med, lo, hi = [], [], [], []
        for j, name in enumerate(workloads):
            s = res["workloads"][name]["summary"].get(key)
            if not s:
                continue
            ys.append(j + (i - len(tools) / 2 + 0.5) * height)
            if s.get("censored") and name not in labelled:
                labelled.add(name)
                ax.text(s["wall_median"] * 1.05, j, "stopped:\nlower bound", fontsize=6, va="center")
            top = max(top, s["wall_max"])
            med.append(s["wall_median"])
            lo.append(s["wall_median"] - s["wall_min"])
            hi.append(s["wall_max"] - s["wall_median"])
        ax.barh(ys, [m - 1 for m in med], left=1, height=height, color=colors(i),
                xerr=[lo, hi], error_kw={"elinewidth": 0.6, "capsize": 1.5}, label=SHORT_LABEL[key].rstrip("¹²"))
    ax.set_xscale("log")
    ax.set_xlim(right=top * 2.2)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(workloads)))
    ax.set_yticklabels(workloads, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("slowdown (wall time ÷ unprofiled), median and min–max; log scale")
    ax.set_title(f"Profiler overhead ({res['mode']} mode, {res['reps']} rounds)", fontsize=10)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    ax.grid(axis="x", which="both", linewidth=0.3)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=80)
    plt.close(fig)


def accuracy_section(res: dict) -> list[str]:
    programs = res["programs"]
    cpu_programs = [p for p, e in programs.items() if e["kind"] == "cpu"]
    cpu_tools = ["pyrometer_full", "scalene_full", "pyspy", "pyinstrument", "cprofile"]
    out = [f"### Accuracy ({res['mode']} mode: work scale {res['scale']:g}, {res['reps']} run(s) per tool; "
           "median over runs)", "",
           "CPU attribution error: the largest difference, over a program's measured lines, between the",
           "line's share of the measured lines' CPU according to the tool and according to the program's",
           "own `time.thread_time` / `getrusage(RUSAGE_THREAD)` of the same run — in percentage points.",
           "*Line* compares lines, *function* the functions that hold them (for tools without line",
           "numbers). pyrometer runs with its defaults (plus `--json`); the peers with theirs.", "",
           "| tool | " + " | ".join(f"{p} (line)" for p in cpu_programs) + " | "
           + " | ".join(f"{p} (function)" for p in cpu_programs if programs[p]["functions"]) + " |",
           "|---|" + "---:|" * (len(cpu_programs) + sum(1 for p in cpu_programs if programs[p]["functions"]))]
    for key in cpu_tools:
        cells = []
        for p in cpu_programs:
            cells.append(_acc_cell(programs[p]["tools"].get(key), "line_err_pp",
                                   "n/a (no lines)" if key in ("pyinstrument", "cprofile") else None))
        for p in cpu_programs:
            if programs[p]["functions"]:
                cells.append(_acc_cell(programs[p]["tools"].get(key), "function_err_pp"))
        out.append(f"| {ACC_LABEL[key]} | " + " | ".join(cells) + " |")
    out.append("")
    # Per-line details: where each tool put the time.
    for p in cpu_programs:
        entry = programs[p]
        names = list(entry["lines"])
        line_tools = [k for k in ("pyrometer_full", "scalene_full", "pyspy") if entry["tools"].get(k, {}).get("summary")]
        fn_tools = [k for k in ("pyinstrument", "cprofile") if entry["tools"].get(k, {}).get("summary")]
        truth_detail = None
        for k in line_tools:
            truth_detail = entry["tools"][k]["summary"].get("line_detail") or truth_detail
        if not truth_detail:
            continue
        out += [f"`{p}` — {entry['description']}. Each cell: the tool's share of the measured lines' CPU, % "
                "(its own run's truth in brackets; function-level tools: their functions' share)", "",
                "| line | " + " | ".join(ACC_LABEL[k] for k in line_tools + fn_tools) + " |",
                "|---|" + "---:|" * (len(line_tools) + len(fn_tools))]
        fn_of_line = {line: fn for fn, line in entry["functions"].items()}
        for name in names:
            row = [f"{name} (:{entry['lines'][name]})"]
            for k in line_tools:
                d = entry["tools"][k]["summary"].get("line_detail", {}).get(name)
                row.append(f"{d['tool_pp']:.1f} ({d['truth_pp']:.1f})" if d else "—")
            for k in fn_tools:
                d = entry["tools"][k]["summary"].get("function_detail", {}).get(fn_of_line.get(name, ""))
                row.append(f"{d['tool_pp']:.1f} ({d['truth_pp']:.1f})" if d else "—")
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    # Python / native / system split.
    if "phases" in programs:
        entry = programs["phases"]
        out += ["Python / native / system split (`phases`): each (line, kind) cell as a share of the measured",
                "lines' CPU; for the system line Python and native are added up (\"user\"). Only pyrometer and",
                "scalene report this split.", "",
                "| cell | pyrometer (truth) | scalene (truth) |", "|---|---:|---:|"]
        pyro = entry["tools"].get("pyrometer_full", {}).get("summary", {}).get("category_detail", {})
        scal = entry["tools"].get("scalene_full", {}).get("summary", {}).get("category_detail", {})
        for cell in (pyro or scal):
            p_val = f"{pyro[cell]['tool_pp']:.1f} ({pyro[cell]['truth_pp']:.1f})" if cell in pyro else "—"
            s_val = f"{scal[cell]['tool_pp']:.1f} ({scal[cell]['truth_pp']:.1f})" if cell in scal else "—"
            out.append(f"| {cell} | {p_val} | {s_val} |")
        out.append("| **max error (pp)** | "
                   + _acc_cell(entry["tools"].get("pyrometer_full"), "category_err_pp") + " | "
                   + _acc_cell(entry["tools"].get("scalene_full"), "category_err_pp") + " |")
        out.append("")
    out += memory_tables(programs)
    return out


def _acc_cell(tool_entry: dict | None, field: str, na: str | None = None) -> str:
    if na:
        return na
    if not tool_entry:
        return "—"
    if tool_entry.get("error") and not tool_entry.get("runs"):
        return "failed³"
    summary = tool_entry.get("summary", {})
    if summary.get("implemented") is False:
        return "not implemented yet"
    value = summary.get(field)
    return _pp(value) if value is not None else "no data"


def memory_tables(programs: dict) -> list[str]:
    out = []
    alloc = programs.get("alloc_lines")
    if alloc:
        names = list(alloc["lines"])
        tools = [k for k in ("pyrometer_full", "scalene_full", "memray") if k in alloc["tools"]]
        out += ["Allocations per line (`alloc_lines`): bytes the tool attributes to each line ÷ the bytes",
                "the line requested (sys.getsizeof); error = |tool − truth| ÷ truth. memray runs with",
                "`--trace-python-allocators` here (without it, pymalloc allocations are invisible to it).", "",
                "| line | truth | " + " | ".join(ACC_LABEL[k] for k in tools) + " |",
                "|---|---:|" + "---:|" * len(tools)]
        for name in names:
            truth = None
            cells = []
            for k in tools:
                summary = alloc["tools"][k].get("summary", {})
                if summary.get("implemented") is False:
                    cells.append("not implemented yet")
                    continue
                d = summary.get("alloc_detail", {}).get(name)
                if not d:
                    cells.append("failed³" if alloc["tools"][k].get("error") else "—")
                    continue
                truth = d["truth_bytes"]
                cells.append(f"{_bytes(d['tool_bytes'])} ({d['err_pct']:.0f} %)")
            out.append(f"| {name} (:{alloc['lines'][name]}) | {_bytes(truth)} | " + " | ".join(cells) + " |")
        out.append("| **max error** | | " + " | ".join(
            _pct_cell(alloc["tools"][k], "alloc_err_pct") for k in tools) + " |")
        out.append("")
    leaks = programs.get("leaks")
    if leaks:
        tools = [k for k in ("pyrometer_full", "scalene_full", "memray") if k in leaks["tools"]]
        out += ["Planted leak (`leaks`): live bytes at exit charged to the leaking line and to the line that",
                "frees the same amount; whether the tool's leak report names the line.", "",
                "| | " + " | ".join(ACC_LABEL[k] for k in tools) + " |", "|---|" + "---:|" * len(tools)]
        rows = {"leak line: live bytes (truth → tool)": [], "leak line: live-bytes error": [],
                "leak line flagged as a leak": [], "freeing line: live bytes (truth 0)": [],
                "freeing line flagged (false positive)": []}
        for k in tools:
            s = leaks["tools"][k].get("summary", {})
            if s.get("implemented") is False or not s:
                text = "not implemented yet" if s.get("implemented") is False else (
                    "failed³" if leaks["tools"][k].get("error") else "—")
                for r in rows.values():
                    r.append(text)
                continue
            rows["leak line: live bytes (truth → tool)"].append(
                f"{_bytes(s.get('leak_live_truth'))} → {_bytes(s.get('leak_live_tool'))}")
            rows["leak line: live-bytes error"].append(f"{s.get('leak_live_err_pct', float('nan')):.0f} %")
            rows["leak line flagged as a leak"].append(_yes_no(s.get("leak_flagged")))
            rows["freeing line: live bytes (truth 0)"].append(_bytes(s.get("churn_live_tool")))
            rows["freeing line flagged (false positive)"].append(_yes_no(s.get("churn_flagged")))
        for label, cells in rows.items():
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    return out


def _yes_no(v: bool | None) -> str:
    return "n/a (no leak verdict)" if v is None else ("yes" if v else "no")


def _pct_cell(tool_entry: dict, field: str) -> str:
    s = tool_entry.get("summary", {})
    if s.get("implemented") is False:
        return "not implemented yet"
    if field in s:
        return f"{s[field]:.0f} %"
    return "failed³" if tool_entry.get("error") else "—"


def micro_section(res: dict) -> list[str]:
    out = ["### Microbenchmarks (C++)", ""]
    cap = res.get("capture_cost", {})
    if cap.get("runs"):
        r = cap["runs"][0]
        out += [f"Native unwind inside a SIGPROF handler (`{cap['command']}`, built by {cap['build']}; "
                f"{len(cap['runs'])} runs, median of their medians): stack depth {r['depth']} "
                f"({r['frames']} frames captured): **median {cap['median_ns']:.0f} ns, p90 {cap['p90_ns']:.0f} ns** "
                "per capture.", ""]
    elif cap:
        out += ["capture_cost: failed³", ""]
    gb = res.get("google_benchmark")
    if res.get("build_error"):
        out += ["bench/cpp_micro did not build:", "", _code(res["build_error"]), ""]
    elif gb and gb.get("rows"):
        ctx = gb.get("context", {})
        out += [f"Google Benchmark (`bench/cpp_micro`, `{gb['command']}`; libbenchmark built as "
                f"{ctx.get('library_build_type')}): aggregation of raw samples into the stack table, and report",
                "generation from a profile that aggregates 1M samples (4 threads, depth 24, native frames",
                "merged) over 2000 or 50000 distinct stacks. CPU time is the process's CPU; wall time includes",
                "waiting for the shared cores.", "",
                "| benchmark | CPU time | wall time | throughput | profile size |", "|---|---:|---:|---:|---:|"]
        for row in gb["rows"]:
            unit = row["time_unit"]
            ips = f"{row['items_per_second'] / 1e6:.2f} M samples/s" if row.get("items_per_second") else ""
            size = _bytes(row["profile_bytes"]) if row.get("profile_bytes") else ""
            out.append(f"| {row['name']} | {row['cpu_time']:.3g} {unit} | {row['real_time']:.3g} {unit} | {ips} | {size} |")
        out.append("")
    elif gb:
        out += ["pyro_micro failed³", ""]
    return out


def failures_section(setup: dict, overhead: dict | None, accuracy: dict | None, micro: dict | None,
                     startup: dict | None = None) -> list[str]:
    items = []
    for key, error in (startup or {}).get("errors", {}).items():
        items.append((f"start-up cost: {key}", error))
    for name, info in setup.get("packages", {}).items():
        if info.get("error"):
            items.append((f"install {name}", info["error"]))
    if overhead:
        for wname, entry in overhead["workloads"].items():
            for key, error in entry["errors"].items():
                items.append((f"overhead: {wname} under {key}", error))
    if accuracy:
        for pname, entry in accuracy["programs"].items():
            for key, t in entry["tools"].items():
                if t.get("error"):
                    items.append((f"accuracy: {pname} under {key}", t["error"]))
    if overhead and (overhead.get("issue2") or {}).get("error"):
        items.append(("bench/overhead.py (issue 2)", overhead["issue2"]["error"]))
    if micro:
        cap = micro.get("capture_cost", {})
        if cap.get("build_dev_error"):
            items.append(("capture_cost: cmake --build build/dev (fell back to bench's own build)", cap["build_dev_error"]))
        if cap.get("error"):
            items.append(("capture_cost", cap["error"]))
        if micro.get("build_error"):
            items.append(("bench/cpp_micro build", micro["build_error"]))
        gb = micro.get("google_benchmark") or {}
        if gb.get("error"):
            items.append(("pyro_micro", gb["error"]))
    out = ["### Failures", ""]
    if not items:
        return out + ["None: every tool installed and ran on every program.", ""]
    # Identical errors (one broken tool on many workloads) are listed once.
    grouped: dict[str, list[str]] = {}
    for where, error in items:
        grouped.setdefault(error, []).append(where)
    for error, wheres in grouped.items():
        out += [f"- {'; '.join(wheres)}:", "", _code(error), ""]
    return out


def targets_section(overhead: dict | None, accuracy: dict | None) -> list[str]:
    out = ["### Against the targets (reported, not asserted)", "",
           "| target | measured | met? |", "|---|---|---|"]
    ov = overall(overhead) if overhead else {}
    cpu, full = ov.get("pyrometer_cpu"), ov.get("pyrometer_full")
    if cpu:
        out.append(f"| CPU mode ≤ 1.01× median | whole command {cpu['median_all_runs']:.3f}×; in-program "
                   f"{_x(cpu['inner_median_all_runs'], 3)} (worst workload median {cpu['worst_median']:.2f}×) | "
                   f"{_met(cpu, 1.01)} |")
    if full:
        out.append(f"| full mode ≤ 1.10× median | whole command {full['median_all_runs']:.3f}×; in-program "
                   f"{_x(full['inner_median_all_runs'], 3)} (worst workload median {full['worst_median']:.2f}×) | {_met(full, 1.10)} |")
        out.append(f"| full mode ≤ 1.5× worst case | worst workload median {full['worst_median']:.2f}×, "
                   f"worst single run {full['worst_run']:.2f}× | {'yes' if full['worst_median'] <= 1.5 else 'no'} |")
    if accuracy:
        errs = []
        for pname, entry in accuracy["programs"].items():
            s = entry["tools"].get("pyrometer_full", {}).get("summary", {})
            if entry["kind"] == "cpu" and s.get("line_err_pp") is not None:
                errs.append((s["line_err_pp"], pname))
        if errs:
            worst = max(errs)
            out.append(f"| per-line CPU error ≤ 2 pp | worst {worst[0]:.1f} pp ({worst[1]}); "
                       + ", ".join(f"{p} {e:.1f}" for e, p in errs) + f" | {'yes' if worst[0] <= 2 else 'no'} |")
        alloc = accuracy["programs"].get("alloc_lines", {}).get("tools", {}).get("pyrometer_full", {}).get("summary", {})
        if alloc.get("implemented") is False:
            out.append("| allocation error ≤ 10 % | not implemented yet | — |")
        elif "alloc_err_pct" in alloc:
            out.append(f"| allocation error ≤ 10 % | {alloc['alloc_err_pct']:.0f} % | "
                       f"{'yes' if alloc['alloc_err_pct'] <= 10 else 'no'} |")
    out.append("")
    return out


def _met(ov: dict, target: float) -> str:
    whole, inner = ov["median_all_runs"] <= target, (ov.get("inner_median_all_runs") or 99) <= target
    return "yes" if whole else ("in-program only" if inner else "no")


def write_docs(results_dir: Path, mode: str) -> Path:
    def maybe(name: str) -> dict | None:
        path = results_dir / f"{name}-{mode}.json"
        return load_json(path) if path.exists() else None

    setup_path = results_dir / "setup.json"
    if not setup_path.exists():
        raise SystemExit("bench/results/setup.json is missing: run `bench/bench.py setup` (bash bench/run.sh does)")
    setup = load_json(setup_path)
    overhead, accuracy, micro = maybe("overhead"), maybe("accuracy"), maybe("micro")
    startup = maybe("startup")
    lines = [BEGIN, "",
             f"## Measured results ({mode} mode)", "",
             f"Reproduce everything in this section with `bash bench/run.sh{' --short' if mode == 'short' else ''}` "
             f"(results: `bench/results/*-{mode}.json`).", ""]
    lines += setup_section(setup, overhead, accuracy, micro)
    lines += targets_section(overhead, accuracy)
    if overhead:
        lines += overhead_section(overhead)
        plot_overhead(overhead)
    if startup:
        lines += startup_section(startup)
    if accuracy:
        lines += accuracy_section(accuracy)
    if micro:
        lines += micro_section(micro)
    lines += failures_section(setup, overhead, accuracy, micro, startup)
    lines.append(END)
    doc = DOCS / "benchmarks.md"
    text = doc.read_text()
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text)
    return doc.relative_to(REPO)
