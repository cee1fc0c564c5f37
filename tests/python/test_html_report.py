"""The HTML report in a real browser: a program profiled by the installed `pyrometer`, its page
loaded in headless Chromium (Debian's `chromium`, or $PYROMETER_CHROMIUM).

Interactions go through the page's self-test: opened as `page.html#pyro-selftest&...`, the
report sorts its hot-lines table, zooms and searches its flame graph, opens a line's detail and
filters by thread, then writes what it saw as JSON into <pre id="pyro-selftest">, which
`--dump-dom` hands back. A screenshot goes to tests/python/_artifacts/ for a human look.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROGRAMS, line_of, pyrometer_command

PROGRAM = PROGRAMS / "html_page.py"
HELPER = PROGRAMS / "html_page_helper.py"  # the worker thread's code
ARTIFACTS = Path(__file__).parent / "_artifacts"
DATA_RE = re.compile(r'(<script type="application/json" id="pyro-data">)(.*?)(</script>)', re.S)


def chromium() -> str:
    exe = os.environ.get("PYROMETER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("chromium is not installed (Debian package `chromium`); the HTML report is tested in it")
    return exe


def browse(page: Path, tmp: Path, fragment: str = "", screenshot: Path | None = None) -> tuple[str, str]:
    """Loads the page; returns (DOM after the scripts ran, the browser's log)."""
    args = [
        chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={tmp / 'chromium-profile'}", "--enable-logging=stderr", "--v=0",
        "--hide-scrollbars", "--window-size=1400,1000",
    ]
    if screenshot is not None:
        args += ["--window-size=1400,2400", f"--screenshot={screenshot}"]
    else:
        args.append("--dump-dom")
    proc = subprocess.run([*args, page.as_uri() + fragment], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, proc.stderr


def console_messages(log: str) -> list[str]:
    """What the page wrote to the console (script errors, CSP refusals): it writes nothing itself."""
    return [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line or "Refused to" in line]


def selftest(dom: str) -> dict:
    found = re.findall(r'<pre id="pyro-selftest">(.*?)</pre>', dom, re.S)
    assert found, "the self-test wrote no result: the page did not finish drawing"
    return json.loads(html.unescape(found[-1]))


def set_embedded_data(page_html: str, data: dict) -> str:
    text = json.dumps(data, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("/", "\\/")):
        text = text.replace(raw, escaped)
    m = DATA_RE.search(page_html)
    return page_html[: m.start(2)] + text + page_html[m.end(2):]


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    """html_page.py profiled once for the module: (its .html, its JSON export, a scratch dir)."""
    tmp = tmp_path_factory.mktemp("html")
    base = tmp / "page"
    out_json = tmp / "page.json"
    proc = subprocess.run(
        [*pyrometer_command(), "run", "-q", "-o", str(base), "--json", str(out_json), str(PROGRAM), "0.8"],
        capture_output=True, text=True, timeout=300, cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr
    page = base.with_suffix(".html")
    assert page.exists(), proc.stderr
    return page, json.loads(out_json.read_text()), tmp


def test_page_draws_with_no_error_and_no_request(profiled):
    page, _, tmp = profiled
    dom, log = browse(page, tmp, "#pyro-selftest")
    assert console_messages(log) == []
    result = selftest(dom)
    assert result["errors"] == []
    assert result["resources"] == [], "the page fetched something"
    text = page.read_text()
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert not re.search(r"\w+://", text), "the page holds a URL"


def test_the_hot_line_is_visible_and_highlighted(profiled):
    page, _, tmp = profiled
    result = selftest(browse(page, tmp, "#pyro-selftest")[0])
    hot_line = line_of(PROGRAM, "# HOT")
    hot = [h for h in result["hot"] if os.path.realpath(h["path"]) == os.path.realpath(PROGRAM)]
    assert hot_line in [h["line"] for h in hot], result["hot"]
    row = next(h for h in hot if h["line"] == hot_line)
    assert row["visible"]
    assert "total += i * i % 7" in row["text"]


def test_hot_lines_sort_by_any_column(profiled):
    page, _, tmp = profiled
    sort = selftest(browse(page, tmp, "#pyro-selftest")[0])["sort"]
    assert len(sort["initial"]) >= 2
    assert sort["initial_order"] == "descending" and sort["initial"] == sorted(sort["initial"], reverse=True)
    assert sort["after_click_order"] == "ascending" and sort["after_click"] == sorted(sort["after_click"])
    assert sort["python_order"] == "descending" and sort["python"] == sorted(sort["python"], reverse=True)
    assert sort["location_order"] == "ascending"
    # By location: each file's lines together, in line order (the order of files is the
    # browser's collation).
    locations = [(loc.rsplit(":", 1)[0], int(loc.rsplit(":", 1)[1])) for loc in sort["location"]]
    files = [path for i, (path, _) in enumerate(locations) if i == 0 or locations[i - 1][0] != path]
    assert len(files) == len(set(files))
    for path in files:
        lines = [line for p, line in locations if p == path]
        assert lines == sorted(lines)


def test_hot_lines_filter_by_file(profiled):
    page, _, tmp = profiled
    result = selftest(browse(page, tmp, "#pyro-selftest")[0])["file_filter"]
    assert {os.path.realpath(p) for p in result["paths"]} == {os.path.realpath(result["picked"])}
    assert 1 <= result["rows"] < result["all"], "the other file's lines are filtered out"
    assert result["restored"]


def test_flame_graph_zooms_and_searches(profiled):
    page, data, tmp = profiled
    result = selftest(browse(page, tmp, "#pyro-selftest&zoom=%5Ehot_loop%24&search=hot_lo%2Bp")[0])
    zoom = result["zoom"]
    assert zoom["name"] == "hot_loop"
    assert zoom["zoomed"] and zoom["reset"]
    assert zoom["before"] < zoom["svg_width"]
    assert zoom["after"] >= zoom["svg_width"] - 1, "the zoomed frame spans the graph"
    assert zoom["ancestors"] >= 1, "the frames above it stay, to zoom back out"

    search = result["search"]
    assert search["invalid_flagged"], "an invalid regular expression is flagged, not thrown"
    assert search["highlighted"] >= 1
    # The matched share, recomputed from the JSON export's stacks.
    total = sum(s["cpu_s"] for s in data["stacks"])
    matched = sum(s["cpu_s"] for s in data["stacks"] if any(re.search("hot_lo+p", f["name"], re.I) for f in s["frames"]))
    assert total > 0 and matched > 0
    assert search["share"] == pytest.approx(matched / total, abs=0.01)
    assert search["share"] == pytest.approx(search["expected_share"], abs=1e-9)
    assert "% of all" in search["text"]


def test_line_detail_and_thread_filter(profiled):
    page, _, tmp = profiled
    result = selftest(browse(page, tmp, "#pyro-selftest&thread=html-worker")[0])
    detail = result["detail"]
    assert "error" not in detail, detail
    assert any("main" in c for c in detail["callers"]), detail
    assert "native" in detail["natives"].lower()

    threads = result["threads"]
    assert "html-worker" in threads["names"] and threads["picked"] == "html-worker"
    hot, work = f"{PROGRAM.name}:{line_of(PROGRAM, '# HOT')}", f"{HELPER.name}:{line_of(HELPER, '# WORKER')}"
    assert hot in threads["all"] and work in threads["all"]
    assert work in threads["filtered"], threads
    assert hot not in threads["filtered"], "the main thread's line is filtered out"
    assert threads["restored"]


def test_source_markup_is_text_and_runs_nothing(profiled):
    page, _, tmp = profiled
    text = page.read_text()
    # The data can never close its script element: two script elements, two ends.
    assert text.count("<script") == 2 and text.count("</script>") == 2
    dom, log = browse(page, tmp, "#pyro-selftest&unfold=1")
    result = selftest(dom)
    assert result["unfolded"] >= len(PROGRAM.read_text().splitlines())
    assert result["pwned"] is None, "a script from the profiled source ran"
    assert console_messages(log) == []
    # Shown, escaped, as the text it is; never parsed into elements.
    assert "&lt;/script&gt;&lt;script&gt;window.__pyro_pwned" in dom
    assert "&lt;b&gt;bold&lt;/b&gt;" in dom
    assert "<img src=" not in dom and "<iframe" not in dom and "<b>bold" not in dom


def test_screenshot_for_a_human(profiled):
    page, _, tmp = profiled
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "html_report.png"
    shot.unlink(missing_ok=True)
    browse(page, tmp, screenshot=shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


def test_memory_views_draw_when_memory_was_tracked(profiled):
    """The memory views, fed the `memory`, `leaks` and per-line bytes SPEC.md describes."""
    page, data, tmp = profiled
    page_html = page.read_text()
    embedded = json.loads(DATA_RE.search(page_html).group(2))
    duration = embedded["duration_s"] or 1.0
    timeline = [[duration * i / 99, 1_000_000 + 40_000 * i, 30_000_000 + 50_000 * i] for i in range(100)]
    timeline[60][1] = 9_000_000  # the peak
    embedded["memory"] = {"sample_interval_bytes": 524288, "peak_bytes": 9_000_000, "peak_t_s": timeline[60][0], "timeline": timeline}
    hot_line = line_of(PROGRAM, "# HOT")
    for f in embedded["files"]:
        for line in f["lines"]:
            line.update(alloc_bytes=3_000_000, free_bytes=1_000_000, live_bytes=2_000_000, peak_bytes=1_500_000)
    path = embedded["files"][0]["path"]
    embedded["leaks"] = [{"path": path, "line": hot_line, "live_bytes": 2_000_000, "growth_bytes_per_s": 1e6, "confidence": 0.9}]
    for stack in embedded["page"]["stacks"]:
        stack[10] = 4096
    with_memory = tmp / "memory.html"
    with_memory.write_text(set_embedded_data(page_html, embedded))
    dom, log = browse(with_memory, tmp, "#pyro-selftest")
    assert console_messages(log) == []
    assert selftest(dom)["errors"] == []
    assert "Possible leaks" in dom and "Who holds memory at the peak" in dom
    assert "peak 8.58 MiB" in dom, "the peak is marked on the memory timeline"
    assert 'id="flame-metric"' in dom and "allocated bytes" in dom


def test_memory_views_of_a_real_memory_profile(tmp_path):
    """A run with memory tracking: the real peak, the leak line and the memory columns draw."""
    program = PROGRAMS / "memory_leak.py"
    base = tmp_path / "leak"
    out_json = tmp_path / "leak.json"
    proc = subprocess.run([*pyrometer_command(), "run", "-q", "-o", str(base), "--json", str(out_json), str(program)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out_json.read_text())
    assert data["memory"] and data["leaks"], "the program leaks: the JSON must say so"
    dom, log = browse(base.with_suffix(".html"), tmp_path, "#pyro-selftest")
    assert console_messages(log) == []
    assert selftest(dom)["errors"] == []
    memory = selftest(dom)["memory"]
    assert memory["tracked"]
    assert "peak " in memory["timeline"], "the heap peak is marked on the timeline"
    leak_line = f"memory_leak.py:{line_of(program, '# LEAK_LINE')}"
    assert any(leak_line in row for row in memory["rows"]), memory["rows"]


def test_wall_mode_page(tmp_path):
    base = tmp_path / "wall"
    proc = subprocess.run([*pyrometer_command(), "run", "-q", "--mode", "wall", "-o", str(base), str(PROGRAM), "0.3"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    dom, log = browse(base.with_suffix(".html"), tmp_path, "#pyro-selftest&search=%5Eworker%24")
    assert console_messages(log) == []
    result = selftest(dom)
    assert result["errors"] == []
    assert '<option value="wall" selected="">wall time</option>' in dom, "the flame graph weighs by wall time"
    # The worker thread mostly sleeps: about half of all wall time, little of the CPU.
    assert result["search"]["share"] > 0.25, result["search"]


def test_size_does_not_grow_with_run_length(tmp_path):
    """Same workload, 1 s and 4 s: the page holds aggregates, so it stays the same size."""
    sizes = {}
    for seconds in ("1", "4"):
        base = tmp_path / f"run{seconds}"
        proc = subprocess.run([*pyrometer_command(), "run", "-q", "-o", str(base), str(PROGRAM), seconds],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        sizes[seconds] = base.with_suffix(".html").stat().st_size
    print(f"HTML size: 1 s run {sizes['1']} bytes, 4 s run {sizes['4']} bytes")
    # 4x the run length: a page that grew with it would be ~4x; it grows only with the
    # distinct stacks a longer run still discovers (with memory on, allocation stacks add
    # to that long tail: measured 1.22-1.31x, CPU-only ~1.14x).
    assert sizes["4"] < sizes["1"] * 1.5
    assert sizes["4"] < 5 * 1024 * 1024
