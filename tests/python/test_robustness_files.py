"""Robustness, files (docs/promises.md): outputs replace each other atomically (a reader
never sees half a profile, even during checkpoints), temporary files have unpredictable
names next to the output and nothing lands in /tmp, and permissions follow the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import time

import pytest
from conftest import PROGRAMS, pyrometer_command
from robustness import program, read_profile

END_RECORD = b"\xff\xff\x00\x00\x08\x00\x00\x00"


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, umask, mode):
    base, out_json = tmp_path / "p", tmp_path / "p.json"
    proc = subprocess.run([*pyrometer_command(), "run", "-q", "-o", str(base), "--json", str(out_json),
                           str(PROGRAMS / "exits.py")], capture_output=True, preexec_fn=lambda: os.umask(umask))
    assert proc.returncode == 0, proc.stderr
    for path in (tmp_path / "p.pyro", tmp_path / "p.html", out_json):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


def test_checkpoints_replace_the_profile_atomically(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    private_tmp = tmp_path / "tmpdir"
    private_tmp.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    before_tmp = {name for name in os.listdir("/tmp") if "pyro" in name}
    env = dict(os.environ, TMPDIR=str(private_tmp))
    proc = subprocess.Popen([*pyrometer_command(), "run", "-q", "-o", str(out / "p"), str(program("size")),
                             "fixed", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # The names the writers used to pick ('<output>.tmp.<pid>'): a symlink planted there
    # must not be followed.
    for name in ("p.pyro", "p.html"):
        (out / f"{name}.tmp.{proc.pid}").symlink_to(victim)
    snapshots, seen = [], set()
    while proc.poll() is None:
        try:
            with open(out / "p.pyro", "rb") as f:
                inode = os.fstat(f.fileno()).st_ino
                if inode not in seen:
                    seen.add(inode)
                    snapshots.append(f.read())
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert victim.read_text() == "precious"
    assert len(snapshots) >= 2  # at least one checkpoint and the final profile
    for i, snapshot in enumerate(snapshots):
        assert snapshot.startswith(b"PYROPROF") and snapshot[-16:-8] == END_RECORD, f"snapshot {i} is incomplete"
    copy = tmp_path / "first.pyro"
    copy.write_bytes(snapshots[0])
    read_profile(copy)
    # No temporary left behind; nothing written to TMPDIR or /tmp.
    # (p.pyro.children is where child processes would put their profiles: none here.)
    planted = {f"p.pyro.tmp.{proc.pid}", f"p.html.tmp.{proc.pid}"}
    assert set(os.listdir(out)) - planted - {"p.pyro.children"} == {"p.pyro", "p.html"}
    children = out / "p.pyro.children"
    assert not children.exists() or os.listdir(children) == []
    assert os.listdir(private_tmp) == []
    assert {name for name in os.listdir("/tmp") if "pyro" in name} <= before_tmp
