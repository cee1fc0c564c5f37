"""Robustness, stress (docs/promises.md): deep recursion, a flood of distinct code objects,
gigabytes allocated and freed — same behaviour, readable profile, bounded output."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import pyrometer_command
from robustness import assert_same_behaviour, program, read_profile, run_both

STRESS = program("stress")
SIZE = program("size")


def test_deep_recursion_near_the_limit(tmp_path):
    c = run_both(STRESS, "recursion", tmp_path=tmp_path)
    assert_same_behaviour(c)
    data = read_profile(c.profile)
    assert data["samples"] > 0


def test_many_distinct_code_objects(tmp_path):
    # 10^5 here (~2 s); 10^6 works the same and takes ~20 s (docs/promises.md).
    c = run_both(STRESS, "code-objects", "100000", tmp_path=tmp_path)
    assert_same_behaviour(c, same_stderr=False)  # stderr carries the program's own timing
    data = read_profile(c.profile)
    assert any(f["path"].startswith("/generated/mod_") for f in data["files"])


def test_memory_pressure(tmp_path):
    c = run_both(STRESS, "memory", "1024", tmp_path=tmp_path, timeout=300)
    assert_same_behaviour(c)
    assert b"allocated MB 1024" in c.plain.stdout
    read_profile(c.profile)


def profile_sizes(tmp_path, mode: str, seconds: float, *options: str) -> tuple[int, int, dict]:
    base = tmp_path / f"{mode}-{seconds}"
    proc = subprocess.run([*pyrometer_command(), "run", "-q", "-o", str(base), *options, str(SIZE), mode,
                           str(seconds)], capture_output=True, timeout=seconds + 600)
    assert proc.returncode == 0, proc.stderr.decode()
    pyro, html = base.with_name(base.name + ".pyro"), base.with_name(base.name + ".html")
    return pyro.stat().st_size, html.stat().st_size, read_profile(pyro)


def test_output_grows_with_distinct_stacks_not_with_run_length(tmp_path):
    # ~6 s at the highest sampling rate: a new function on every iteration, so nearly every
    # CPU or allocation sample is a new stack (the worst case). The stack table never holds
    # more stacks than there were samples, the bytes per stack stay bounded, and the HTML
    # embeds at most 20 000 stacks.
    pyro, html, data = profile_sizes(tmp_path, "distinct", 6, "--interval", "1")
    stacks = len(data["stacks"])
    memory_samples = (data["memory"] or {}).get("alloc_samples", 0)
    assert 0 < stacks <= data["samples"] + memory_samples
    assert pyro <= 65_536 + 1_000 * stacks, (pyro, stacks)
    assert html <= 262_144 + 2_000 * min(stacks, 20_000), (html, stacks)


@pytest.mark.long
def test_ten_minute_run_stays_bounded(tmp_path):
    """Opt-in (pytest --run-long): 10 minutes of the same workload, the .pyro watched as
    the checkpoints rewrite it. Measured sizes are in docs/promises.md."""
    base = tmp_path / "long"
    pyro = base.with_name("long.pyro")
    proc = subprocess.Popen([*pyrometer_command(), "run", "-q", "-o", str(base), str(SIZE), "fixed", "600"])
    sizes = {}
    begin = time.monotonic()
    while proc.poll() is None:
        time.sleep(5)
        if pyro.exists():
            sizes[round(time.monotonic() - begin)] = pyro.stat().st_size
    assert proc.returncode == 0
    html = base.with_name("long.html").stat().st_size
    data = read_profile(pyro)
    print(f"\nsamples {data['samples']} stacks {len(data['stacks'])} pyro {pyro.stat().st_size} html {html}",
          file=sys.stderr)
    for t in sorted(sizes)[:: max(1, len(sizes) // 12)]:
        print(f"  t={t:4d}s pyro={sizes[t]}", file=sys.stderr)
    # What grows is the number of distinct mixed stacks: a long tail of rare native paths
    # (allocator slow paths, GC at random points) under the same Python lines keeps adding a
    # few, ever fewer as the run goes on (the leaf PCs are bounded per stack). So: the second
    # half of the run adds less than the first, the bytes per stack stay small, and the HTML
    # (at most 20 000 stacks embedded) stays small.
    at_half = next(v for t, v in sorted(sizes.items()) if t >= 300)
    final = pyro.stat().st_size
    assert final - at_half < at_half, sizes
    assert final <= 400 * len(data["stacks"]) + 65_536
    assert html <= 4 << 20
