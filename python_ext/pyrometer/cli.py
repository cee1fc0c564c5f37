"""The `pyrometer` command line: `run` re-executes the interpreter with the preload agent,
`report` turns a .pyro profile into reports. Argument parsing and orchestration only; the
work happens in the agent (inside the profiled process) and in pyrometer-report.

Errors of pyrometer's own are one line `pyrometer: error: ...` on stderr and exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, Sequence

from pyrometer import __version__, _paths

SUPPORTED_PYTHONS = {(3, 11), (3, 13)}
# Mean bytes between allocation samples (docs/benchmarks.md: accuracy and cost per mean).
DEFAULT_MEMORY_INTERVAL = 256 * 1024

USAGE = """\
usage: pyrometer run [OPTIONS] SCRIPT [ARGS...]
       pyrometer run [OPTIONS] -m MODULE [ARGS...]
       pyrometer report PROFILE [--html FILE] [--json FILE] [--text] [--speedscope FILE] [--collapsed FILE]
       pyrometer --version

run options:
  -o, --output BASE        write BASE.pyro and BASE.html (default: pyrometer-<script stem>)
  --html FILE              write the HTML report here
  --json FILE              also write the JSON export here
  --mode cpu|wall          sample each thread's CPU clock, or wall-clock time (default: cpu)
  --interval MS            mean sampling interval per thread in milliseconds (default: 10)
  --no-memory              CPU only: no allocation tracking
  --memory-interval BYTES  mean bytes between allocation samples
  --no-native              Python frames only
  --profile-all            attribute to stdlib and site-packages lines too
  -q, --quiet              no terminal summary
  --open                   open the HTML report in a browser when the program ends
"""


class UsageError(Exception):
    """A mistake on the command line or in the environment: one line, exit 2."""


class UnwritableOutput(UsageError):
    """The reports cannot be written: the program still runs, unprofiled (docs/promises.md)."""


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"pyrometer: error: {message}\n")
    raise SystemExit(2)


@dataclass
class RunOptions:
    output: str | None = None
    html: str | None = None
    json: str | None = None
    mode: str = "cpu"
    interval_ms: float = 10.0
    memory: bool = True
    memory_interval: int | None = None
    native: bool = True
    profile_all: bool = False
    quiet: bool = False
    open_report: bool = False
    module: str | None = None
    script: str | None = None
    args: list[str] = field(default_factory=list)


def _take_value(argv: list[str], i: int, flag: str) -> tuple[str, int]:
    arg = argv[i]
    if "=" in arg and arg.startswith("--"):
        return arg.split("=", 1)[1], i + 1
    if i + 1 >= len(argv):
        raise UsageError(f"{flag} needs a value")
    return argv[i + 1], i + 2


def parse_run(argv: list[str]) -> RunOptions:
    """Options up to the script (or -m MODULE); everything after belongs to the program."""
    opts = RunOptions()
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in ("-o", "--output"):
            opts.output, i = _take_value(argv, i, name)
        elif name == "--html":
            opts.html, i = _take_value(argv, i, name)
        elif name == "--json":
            opts.json, i = _take_value(argv, i, name)
        elif name == "--mode":
            opts.mode, i = _take_value(argv, i, name)
            if opts.mode not in ("cpu", "wall"):
                raise UsageError(f"--mode must be cpu or wall, not {opts.mode!r}")
        elif name == "--interval":
            value, i = _take_value(argv, i, name)
            try:
                opts.interval_ms = float(value)
            except ValueError:
                raise UsageError(f"--interval needs a number of milliseconds, not {value!r}") from None
            if not 0.1 <= opts.interval_ms <= 10_000:
                raise UsageError("--interval must be between 0.1 and 10000 ms")
        elif name == "--memory-interval":
            value, i = _take_value(argv, i, name)
            if not value.isdigit() or int(value) < 1:
                raise UsageError(f"--memory-interval needs a positive number of bytes, not {value!r}")
            opts.memory_interval = int(value)
        elif name == "--no-memory":
            opts.memory, i = False, i + 1
        elif name == "--no-native":
            opts.native, i = False, i + 1
        elif name == "--profile-all":
            opts.profile_all, i = True, i + 1
        elif name in ("-q", "--quiet"):
            opts.quiet, i = True, i + 1
        elif name == "--open":
            opts.open_report, i = True, i + 1
        elif name == "-m":
            opts.module, i = _take_value(argv, i, "-m")
            opts.args = argv[i:]
            return opts
        elif arg == "--":
            i += 1
            break
        elif arg.startswith("-") and arg != "-":
            raise UsageError(f"unknown option {arg!r} for run")
        else:
            break
    if i >= len(argv):
        raise UsageError("run needs a SCRIPT or -m MODULE")
    opts.script, opts.args = argv[i], argv[i + 1 :]
    return opts


def _check_python() -> None:
    if sys.version_info[:2] not in SUPPORTED_PYTHONS:
        raise UsageError(f"Python {sys.version_info[0]}.{sys.version_info[1]} is not supported yet")


def _check_script(script: str) -> None:
    path = Path(script)
    if not path.exists():
        raise UsageError(f"cannot open script {script!r}: no such file")
    if path.is_dir() and not (path / "__main__.py").is_file():
        raise UsageError(f"{script!r} is a directory without a __main__.py")
    if not os.access(path, os.R_OK):
        raise UsageError(f"cannot read script {script!r}: permission denied")


def _writable_dir(path: Path) -> bool:
    directory = path.parent if str(path.parent) else Path(".")
    return directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)


CHILDREN_SUFFIX = ".children"  # BASE.pyro.children/<pid>.<start_ns>.pyro: child profiles


def prepare_children_directory(profile: Path) -> None:
    """Child processes write their profiles next to the root's: start from an empty
    directory, so a previous run's children are not merged into this one."""
    children = profile.with_name(profile.name + CHILDREN_SUFFIX)
    try:
        if children.is_dir() and not children.is_symlink():
            info = children.stat()
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                # Someone else's directory (e.g. planted in /tmp): never write into it.
                raise UsageError(f"{children} is not a private directory of this user")
            for entry in children.iterdir():
                if entry.name.endswith(".pyro") or ".pyro.tmp." in entry.name:
                    entry.unlink()
        else:
            children.mkdir(mode=0o700)
    except OSError as exc:
        raise UsageError(f"cannot prepare {children}: {exc.strerror}") from None


def build_run_environment(opts: RunOptions) -> tuple[list[str], dict[str, str]]:
    """The interpreter command line and environment for the profiled process."""
    stem = Path(opts.script).stem if opts.script else opts.module.rsplit(".", 1)[-1]
    if opts.script and Path(opts.script).is_dir():
        stem = Path(opts.script).resolve().name
    base = Path(opts.output) if opts.output else Path(f"pyrometer-{stem}")
    profile = base.with_name(base.name + ".pyro").resolve()
    html = Path(opts.html).resolve() if opts.html else base.with_name(base.name + ".html").resolve()
    json_out = Path(opts.json).resolve() if opts.json else None
    for target in (profile, html, json_out):
        if target is not None and not _writable_dir(target):
            raise UnwritableOutput(f"cannot write to {target.parent}: not a writable directory")

    preload = _paths.preload_library()
    memory_shim = _paths.memory_library()
    report = _paths.report_binary()
    for part in (preload, report, *([memory_shim] if opts.memory else [])):
        if not part.exists():
            raise UsageError(f"installation is incomplete: {part} is missing (reinstall pyrometer)")

    prepare_children_directory(profile)
    report_command = [str(report), str(profile), "--html", str(html), "--wrote", str(profile)]
    if json_out:
        report_command += ["--json", str(json_out)]
    if not opts.quiet:
        report_command.append("--summary")

    program_argv = [opts.script, *opts.args] if opts.script else ["-m", opts.module, *opts.args]
    env = dict(os.environ)
    original_preload = env.get("LD_PRELOAD", "")
    # The allocation shim goes first: it must be the process's malloc.
    ours = f"{memory_shim}:{preload}" if opts.memory else str(preload)
    env["LD_PRELOAD"] = f"{ours}:{original_preload}" if original_preload else ours
    original_pythonmalloc = env.get("PYTHONMALLOC")
    if opts.memory:
        # Python's small-object allocator serves most objects from its own arenas, never
        # calling malloc: route everything through malloc so every allocation can be sampled
        # (docs/benchmarks.md measures the cost). The debug hooks keep their checks.
        debug = original_pythonmalloc in ("debug", "malloc_debug", "pymalloc_debug")
        env["PYTHONMALLOC"] = "malloc_debug" if debug else "malloc"
    settings = [
        f"out={profile}",
        f"mode={opts.mode}",
        f"interval_ns={int(opts.interval_ms * 1e6)}",
        f"native={1 if opts.native else 0}",
        f"memory={1 if opts.memory else 0}",
    ]
    if opts.memory:
        settings.append(f"memory_interval={opts.memory_interval or DEFAULT_MEMORY_INTERVAL}")
    env["PYROMETER_AGENT"] = ";".join(settings)
    env["PYROMETER_RUN"] = json.dumps(
        {
            "argv": program_argv,
            "ld_preload": original_preload,
            "pythonmalloc": original_pythonmalloc,
            "profile_all": opts.profile_all,
            "exclude_prefixes": _paths.excluded_prefixes(),
            "report_command": report_command,
            "open": str(html) if opts.open_report else "",
        }
    )
    return _interpreter_command(opts), env


def _interpreter_command(opts: RunOptions) -> list[str]:
    if opts.module:
        return [sys.executable, "-m", opts.module, *opts.args]
    return [sys.executable, opts.script, *opts.args]


def cmd_run(argv: list[str]) -> NoReturn:
    opts = parse_run(argv)
    _check_python()
    if opts.script:
        _check_script(opts.script)
    try:
        command, env = build_run_environment(opts)
    except UnwritableOutput as exc:
        # Losing the profile must not cost the user the run itself.
        sys.stderr.write(f"pyrometer: error: {exc}; running the program without profiling\n")
        command, env = _interpreter_command(opts), dict(os.environ)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        # exec: the program keeps pyrometer's pid, its exit status and death signal are
        # the launcher's, and stdin/stdout/stderr are the very same descriptors.
        os.execve(command[0], command, env)
    except OSError as exc:
        raise UsageError(f"cannot start {command[0]}: {exc.strerror}") from None


def cmd_report(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        raise UsageError("report needs a PROFILE")
    profile, rest = argv[0], argv[1:]
    args = [str(_paths.report_binary()), profile]
    outputs = 0
    i = 0
    while i < len(rest):
        name = rest[i].split("=", 1)[0]
        if name in ("--html", "--json"):
            value, i = _take_value(rest, i, name)
            args += [name, value]
            outputs += 1
        elif name == "--text":
            args.append("--text")
            outputs += 1
            i += 1
        elif name in ("--speedscope", "--collapsed"):
            value, i = _take_value(rest, i, name)
            args += [name, value]
            outputs += 1
        else:
            raise UsageError(f"unknown option {rest[i]!r} for report")
    if outputs == 0:
        args.append("--text")
    if not Path(args[0]).exists():
        raise UsageError(f"installation is incomplete: {args[0]} is missing (reinstall pyrometer)")
    sys.stdout.flush()
    os.execv(args[0], args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or argv[0] in ("-h", "--help", "help"):
            sys.stdout.write(USAGE)
            return 0 if argv else 2
        if argv[0] == "--version":
            sys.stdout.write(f"pyrometer {__version__}\n")
            return 0
        if argv[0] == "run":
            cmd_run(argv[1:])
        if argv[0] == "report":
            return cmd_report(argv[1:])
        raise UsageError(f"unknown command {argv[0]!r} (expected run or report)")
    except UsageError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
