"""Robustness, threads (docs/promises.md): programs with many, short-lived, pooled,
C-created and daemon threads behave exactly as without pyrometer, and the profile is readable."""

from __future__ import annotations

from robustness import assert_same_behaviour, native_fixture, program, read_profile, run_both  # noqa: F401

THREADS = program("threads")


def test_hundred_short_lived_threads(tmp_path):
    c = run_both(THREADS, "short", tmp_path=tmp_path)
    assert_same_behaviour(c)
    data = read_profile(c.profile)
    names = {t["name"] for t in data["threads"]}
    # Every thread registered, even those that ended long before the run did.
    assert sum(name.startswith("short-") for name in names) == 100, sorted(names)


def test_thread_pool(tmp_path):
    c = run_both(THREADS, "pool", tmp_path=tmp_path)
    assert_same_behaviour(c)
    data = read_profile(c.profile)
    assert any(t["name"].startswith("ThreadPoolExecutor") for t in data["threads"])


def test_threads_created_in_c_calling_python(tmp_path, native_fixture):
    c = run_both(THREADS, "c", str(native_fixture), tmp_path=tmp_path)
    assert_same_behaviour(c)
    assert c.plain.stdout.split()[-1] == b"True"
    data = read_profile(c.profile)
    assert len(data["threads"]) >= 17  # the main thread and the 16 made by pthread_create


def test_daemon_threads_running_at_exit(tmp_path):
    c = run_both(THREADS, "daemon", tmp_path=tmp_path)
    assert_same_behaviour(c)
    data = read_profile(c.profile)
    assert any(t["name"].startswith("spin-") and t["cpu_s"] > 0 for t in data["threads"])
