"""Robustness, bad input (docs/promises.md): scripts that cannot run fail exactly as with
plain python, pyrometer's own errors are one line and exit 2, a damaged profile is refused
in one line, and an output that cannot be written never stops the program."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
from conftest import PROGRAMS, pyrometer_command
from robustness import assert_one_error_line, assert_same_behaviour, read_profile, run_both

from pyrometer import _paths

EXITS = PROGRAMS / "exits.py"


def test_syntax_error_is_pythons_own(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("print('fine')\ndef f(:\n    pass\n")
    c = run_both(script, tmp_path=tmp_path)
    assert_same_behaviour(c)  # same message (stderr), same exit code
    assert c.plain.returncode == 1 and b"SyntaxError" in c.plain.stderr


def test_exception_at_import_time_is_pythons_own(tmp_path):
    script = tmp_path / "imports.py"
    script.write_text("import no_such_module_here\n")
    c = run_both(script, tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert b"ModuleNotFoundError" in c.plain.stderr


def test_directory_and_zip_applications_run_as_with_python(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "__main__.py").write_text("import sys\nprint('main of', sys.argv[1:], sum(range(10**6)))\n")
    c = run_both(app, "x", tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert c.plain.stdout.startswith(b"main of ['x']")
    zipped = tmp_path / "app.pyz"
    with zipfile.ZipFile(zipped, "w") as z:
        z.write(app / "__main__.py", "__main__.py")
    c = run_both(zipped, "y", tmp_path=tmp_path)
    assert_same_behaviour(c)
    read_profile(c.profile)


def test_missing_script_exits_2_like_python(tmp_path):
    plain = subprocess.run([sys.executable, str(tmp_path / "nope.py")], capture_output=True)
    ours = subprocess.run([*pyrometer_command(), "run", str(tmp_path / "nope.py")], capture_output=True, text=True)
    assert plain.returncode == ours.returncode == 2
    assert_one_error_line(ours.stderr, "no such file")


def test_flags_after_the_script_belong_to_the_program(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import sys\nprint(sys.argv[1:])\n")
    c = run_both(probe, "--bogus", "-q", "-o", "x", "--json", tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert c.plain.stdout == b"['--bogus', '-q', '-o', 'x', '--json']\n"


@pytest.mark.parametrize("output", ["/nonexistent-dir/sub/profile", "/proc/self/profile"])
def test_unwritable_output_directory_still_runs_the_program(tmp_path, output):
    plain = subprocess.run([sys.executable, str(EXITS), "exit3"], capture_output=True, cwd=tmp_path)
    ours = subprocess.run([*pyrometer_command(), "run", "-q", "-o", output, str(EXITS), "exit3"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert ours.returncode == plain.returncode == 3
    assert ours.stdout.encode() == plain.stdout
    assert_one_error_line(ours.stderr, "running the program without profiling")


def test_output_directory_removed_during_the_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "remover.py"
    script.write_text(f"import shutil, sys\nprint(sum(range(10**6)))\nshutil.rmtree({str(out)!r})\nsys.exit(3)\n")
    ours = subprocess.run([*pyrometer_command(), "run", "-q", "-o", str(out / "p"), str(script)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert ours.returncode == 3 and ours.stdout == "499999500000\n"
    assert_one_error_line(ours.stderr, "cannot write")


def damaged_copies(data: bytes):
    """Truncations at every record boundary and elsewhere, and corrupted bytes."""
    step = max(1, len(data) // 60)
    for size in [0, 1, 7, 8, 12, 15, 16, 17, 23, 24, *range(25, len(data), step), len(data) - 1]:
        yield f"truncated to {size}", data[:size]
    for pos in range(0, len(data), max(1, len(data) // 40)):
        for value in (0x00, 0xFF, 0x7F):
            if data[pos] != value:
                yield f"byte {pos} set to {value:#x}", data[:pos] + bytes([value]) + data[pos + 1:]
    yield "trailing garbage", data + b"\x00" * 9
    yield "doubled", data + data


def test_damaged_profiles_are_refused_in_one_line(tmp_path):
    # --no-native: no Module records, so no symbolization (which is slow) for each copy;
    # the fuzzer (scripts/fuzz.sh) covers native profiles.
    c = run_both(EXITS, "normal", tmp_path=tmp_path, options=("--no-native",))
    data = c.profile.read_bytes()
    report = str(_paths.report_binary())
    bad = tmp_path / "bad.pyro"
    refused = 0
    for what, content in damaged_copies(data):
        bad.write_bytes(content)
        proc = subprocess.run([report, str(bad), "--json", str(tmp_path / "out.json")], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode in (0, 2), (what, proc.returncode, proc.stderr)
        if proc.returncode == 2:
            assert_one_error_line(proc.stderr)
            refused += 1
    assert refused > 60
    # And through the pyrometer command, for the usual suspects.
    for content in (b"", b"PYROPROF", data[: len(data) // 2], b"not a profile at all\n" * 10):
        bad.write_bytes(content)
        proc = subprocess.run([*pyrometer_command(), "report", str(bad), "--json", str(tmp_path / "o.json")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert_one_error_line(proc.stderr)


@pytest.mark.parametrize("target", ["directory", "missing", "devnull"])
def test_profile_that_is_not_a_file(tmp_path, target):
    path = {"directory": tmp_path, "missing": tmp_path / "missing.pyro", "devnull": "/dev/null"}[target]
    proc = subprocess.run([*pyrometer_command(), "report", str(path), "--json", str(tmp_path / "o.json")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert_one_error_line(proc.stderr)
