"""Runs inside the profiled process, imported from pyrometer_autostart.pth during site
initialisation (before the program's first line) when the launcher set PYROMETER_RUN.

It connects the CPython frame walker to the preload agent, hands over the run's metadata
and the report command, names threads, and finishes the profile at interpreter exit. In a
child process (PYROMETER_AGENT role=child: exec'd by a profiled process; or a fork, see
_restart_after_fork) it profiles the child into its own file and runs no report; the root
process's report merges the children. The program must not notice: its argv, __main__, environment (minus our variables) and
tracebacks stay as without the profiler, and every failure here is one line on stderr,
after which the program runs unprofiled.
"""

from __future__ import annotations

import atexit
import json
import os
import sys

_RUN_VARIABLE = "PYROMETER_RUN"
_AGENT_VARIABLE = "PYROMETER_AGENT"
_PRELOAD_NAMES = ("libpyrometer_preload.so", "libpyrometer_memory.so")
_SAVED_PYTHONMALLOC = "PYROMETER_PYTHONMALLOC"
_agent = None  # the _pyrometer module once started
_open_when_done = ""  # the HTML report to open in a browser at the end (--open)


def _error(message: str) -> None:
    try:
        sys.stderr.write(f"pyrometer: error: {message}\n")
        sys.stderr.flush()
    except Exception:  # stderr closed or broken: nothing else to do
        pass


def _agent_role() -> str:
    """root (started by `pyrometer run`), child (exec'd by a profiled process) or successor
    (the image the root exec'd into: it reports at its exit)."""
    for item in os.environ.get(_AGENT_VARIABLE, "").split(";"):
        if item.startswith("role="):
            return item[len("role=") :]
    return "root"


def _memory_tracked() -> bool:
    """Whether the launcher (or the exec hook) turned memory tracking on for this process:
    then PYTHONMALLOC is ours and the program's own value must come back."""
    return "memory=1" in os.environ.get(_AGENT_VARIABLE, "").split(";")


def _restore_environment(run: dict, role: str) -> None:
    """The program sees its own environment, not the launcher's variables."""
    memory = _memory_tracked()  # before PYROMETER_AGENT goes
    for key in (_RUN_VARIABLE, _AGENT_VARIABLE):
        os.environ.pop(key, None)
    if role != "root":
        # The exec hook put our libraries first into the LD_PRELOAD the parent passed, and
        # carried the parent's PYTHONMALLOC in PYROMETER_PYTHONMALLOC.
        kept = [p for p in os.environ.get("LD_PRELOAD", "").replace(" ", ":").split(":")
                if p and os.path.basename(p) not in _PRELOAD_NAMES]
        original = ":".join(kept)
        pythonmalloc = os.environ.pop(_SAVED_PYTHONMALLOC, None)
    else:
        original = run.get("ld_preload")
        pythonmalloc = run.get("pythonmalloc")
    if original:
        os.environ["LD_PRELOAD"] = original
    else:
        os.environ.pop("LD_PRELOAD", None)
    if memory:
        if pythonmalloc:
            os.environ["PYTHONMALLOC"] = pythonmalloc
        else:
            os.environ.pop("PYTHONMALLOC", None)


def _name_threads(agent) -> None:
    """Tell the agent each Python thread's threading name (at start and at end)."""
    import _thread

    def named(function):
        owner = getattr(function, "__self__", None)

        def run(*a, **kw):
            _set_name_from(agent, owner)
            try:
                return function(*a, **kw)
            finally:
                _set_name_from(agent, owner)  # it may have been renamed meanwhile

        return run

    original = _thread.start_new_thread

    def start_new_thread(function, args, kwargs=None):
        return original(named(function), args, kwargs if kwargs is not None else {})

    _thread.start_new_thread = start_new_thread
    _thread.start_new = start_new_thread
    threading = sys.modules.get("threading")
    if threading is not None:  # imported before us (unusual): patch its cached alias too
        threading._start_new_thread = start_new_thread

    # Since 3.13 threading.Thread.start() goes through start_joinable_thread instead.
    joinable = getattr(_thread, "start_joinable_thread", None)
    if joinable is not None:

        def start_joinable_thread(function, *args, **kwargs):
            return joinable(named(function), *args, **kwargs)

        _thread.start_joinable_thread = start_joinable_thread
        if threading is not None:
            threading._start_joinable_thread = start_joinable_thread


def _set_name_from(agent, owner) -> None:
    name = getattr(owner, "name", None) if owner is not None else None
    if isinstance(name, str):
        try:
            agent.set_thread_name(0, name)
        except Exception:
            pass


def _finish() -> None:
    agent = _agent
    if agent is None:
        return
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            for thread in threading.enumerate():
                if thread.native_id is not None:
                    agent.set_thread_name(thread.native_id, thread.name)
        except Exception:
            pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    status = agent.finish()
    if _open_when_done and status == 0:
        try:
            import webbrowser

            webbrowser.open(f"file://{_open_when_done}")
        except Exception as exc:
            _error(f"cannot open the report in a browser ({exc})")


def _restart_after_fork() -> None:
    """os.fork() child: the agent's atfork handler only reset what fork() broke; sampling
    restarts here, in normal context, into the child's own profile."""
    agent = _agent
    if agent is None:
        return
    try:
        agent.set_metadata("cwd", os.getcwd())
        agent.start()
    except Exception as exc:
        _error(f"cannot profile the forked child ({exc}); it runs without profiling")


def _start() -> None:
    global _agent, _open_when_done
    run = json.loads(os.environ.get(_RUN_VARIABLE, "{}"))
    role = _agent_role()
    _restore_environment(run, role)
    reports = role in ("root", "successor")
    _open_when_done = run.get("open", "") if reports else ""
    try:
        from pyrometer import _pyrometer as agent
    except ImportError as exc:
        _error(f"cannot load the pyrometer extension ({exc}); running without profiling")
        return
    if not agent.agent_available():
        _error("the pyrometer preload agent is not loaded; running without profiling")
        return
    sep = "\x1f"
    argv = run.get("argv", sys.argv) if role == "root" else sys.argv
    agent.set_metadata("argv", sep.join(argv))
    agent.set_metadata("python_version", ".".join(map(str, sys.version_info[:3])))
    agent.set_metadata("cwd", os.getcwd())
    agent.set_metadata("exclude_prefixes", sep.join(run.get("exclude_prefixes", [])))
    agent.set_metadata("profile_all", "1" if run.get("profile_all") else "0")
    if reports and run.get("report_command"):
        agent.set_report_command(run["report_command"])
    agent.set_thread_name(0, "MainThread")
    _name_threads(agent)
    atexit.register(_finish)
    try:
        agent.start()
    except RuntimeError as exc:
        _error(f"cannot start sampling: {exc}; running without profiling")
        return
    _agent = agent
    os.register_at_fork(after_in_child=_restart_after_fork)


try:
    _start()
except Exception as exc:  # never a traceback from pyrometer, never a broken program
    _error(f"internal error at start ({type(exc).__name__}: {exc}); running without profiling")
