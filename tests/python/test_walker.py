"""The CPython frame walker of the _pyrometer extension, run from normal context.

debug_walk() calls the very function the sampler calls from its SIGPROF handler, so these
tests check what the profiler will see: frames, exact lines, entry markers, flags and the
location-table decoder, against the interpreter's own view (sys._getframe, co_positions).

The extension is imported from $PYROMETER_EXT_DIR (a build directory, e.g.
build/ext-dev/python_ext) when set, else from the installed `pyrometer` package.
"""

from __future__ import annotations

import asyncio
import ctypes
import dis
import importlib
import os
import subprocess
import sys
import textwrap
import threading
import types

import pytest


def _load_extension() -> types.ModuleType:
    ext_dir = os.environ.get("PYROMETER_EXT_DIR")
    if ext_dir:
        sys.path.insert(0, ext_dir)
        try:
            module = importlib.import_module("_pyrometer")
        finally:
            sys.path.remove(ext_dir)
        assert os.path.dirname(os.path.abspath(module.__file__)) == os.path.abspath(ext_dir)
        return module
    try:
        from pyrometer import _pyrometer
    except ImportError as error:
        raise ImportError(
            "cannot import the _pyrometer extension: set PYROMETER_EXT_DIR to the build "
            "directory holding it (e.g. build/ext-dev/python_ext) or install pyrometer"
        ) from error
    return _pyrometer


ext = _load_extension()

MAX = 4096  # deeper than any test stack (pytest adds a few dozen frames)


def chain(frame: types.FrameType) -> list[tuple[str, str, int, int]]:
    """The interpreter's view of the stack from `frame` outwards, innermost first."""
    out = []
    while frame is not None:
        code = frame.f_code
        out.append((code.co_filename, code.co_qualname, code.co_firstlineno, frame.f_lineno))
        frame = frame.f_back
    return out


def stripped(walked: list[tuple]) -> list[tuple[str, str, int, int]]:
    return [(file, name, first_line, line) for file, name, first_line, line, _ in walked]


def assert_same_stack(result, expected) -> tuple[list, int]:
    """`result` is debug_walk()'s return value, `expected` chain(sys._getframe()) taken on the
    same source line of the same frame."""
    walked, flags = result
    assert stripped(walked) == expected
    assert flags & ext.WALK_HAS_THREAD_STATE
    assert not flags & ext.WALK_TRUNCATED
    return walked, flags


# --- frames and lines -------------------------------------------------------------------


def test_nested_functions_match_the_interpreter():
    def outer():
        def middle():
            def inner():
                return ext.debug_walk(MAX), chain(sys._getframe())

            return inner()

        return middle()

    walked, _ = assert_same_stack(*outer())
    prefix = "test_nested_functions_match_the_interpreter.<locals>."
    assert [name for _, name, _, _, _ in walked[:4]] == [
        prefix + "outer.<locals>.middle.<locals>.inner",
        prefix + "outer.<locals>.middle",
        prefix + "outer",
        "test_nested_functions_match_the_interpreter",
    ]
    assert walked[0][0] == __file__
    # Python-to-Python calls run in the caller's eval loop: not entry frames. (The test
    # function itself is called by pytest through CALL_FUNCTION_EX, which 3.11 does not
    # inline: it is an entry frame.)
    assert [entry for *_, entry in walked[:3]] == [False, False, False]


def test_line_is_the_executing_instruction_not_the_statement():
    def callee():
        return ext.debug_walk(MAX)

    first = sys._getframe().f_lineno
    walked, _ = (
        0,
        callee(),  # first + 3
    )[1]
    # The callee's line is its call of debug_walk; the caller's is the line of the call
    # instruction inside the multi-line statement, not the statement's first line.
    assert walked[0][1].endswith("callee") and walked[0][3] == callee.__code__.co_firstlineno + 1
    assert walked[1][1] == "test_line_is_the_executing_instruction_not_the_statement"
    assert walked[1][3] == first + 3


def test_first_line_is_co_firstlineno():
    def decorated_target():
        return ext.debug_walk(MAX)

    walked, _ = decorated_target()
    assert walked[0][2] == decorated_target.__code__.co_firstlineno


def test_generator_frame():
    def generator():
        yield ext.debug_walk(MAX), chain(sys._getframe())
        yield ext.debug_walk(MAX), chain(sys._getframe())

    gen = generator()
    first = next(gen)  # started by next(): a C call, so the frame has its own eval loop
    walked, _ = assert_same_stack(*first)
    assert walked[0][1] == "test_generator_frame.<locals>.generator"
    assert walked[0][4] is True
    for result in gen:  # resumed by FOR_ITER
        walked, _ = assert_same_stack(*result)
        assert walked[0][1] == "test_generator_frame.<locals>.generator"


def test_coroutine_frames():
    async def leaf():
        return ext.debug_walk(MAX), chain(sys._getframe())

    async def middle():
        return await leaf()

    coroutine = middle()
    with pytest.raises(StopIteration) as stop:
        coroutine.send(None)
    walked, _ = assert_same_stack(*stop.value.value)
    assert [name for _, name, _, _, _ in walked[:2]] == [
        "test_coroutine_frames.<locals>.leaf",
        "test_coroutine_frames.<locals>.middle",
    ]


def test_coroutine_under_asyncio():
    async def task_body():
        await asyncio.sleep(0)
        return ext.debug_walk(MAX), chain(sys._getframe())

    walked, _ = assert_same_stack(*asyncio.run(task_body()))
    assert walked[0][1] == "test_coroutine_under_asyncio.<locals>.task_body"
    assert any(name.endswith("run_forever") for _, name, _, _, _ in walked)


def test_exec_string():
    namespace = {"ext": ext, "chain": chain, "sys": sys, "MAX": MAX}
    source = "a = 1\nb = 2\nresult = ext.debug_walk(MAX), chain(sys._getframe())\n"
    exec(source, namespace)
    walked, _ = assert_same_stack(*namespace["result"])
    assert walked[0][:4] == ("<string>", "<module>", 1, 3)
    assert walked[0][4] is True  # exec() is a C function that starts its own eval loop
    assert walked[1][1] == "test_exec_string"


def test_lambda():
    probe = lambda: (ext.debug_walk(MAX), chain(sys._getframe()))  # noqa: E731
    walked, _ = assert_same_stack(*probe())
    assert walked[0][1] == "test_lambda.<locals>.<lambda>"
    assert walked[0][4] is False

    via_map = list(map(lambda _: (ext.debug_walk(MAX), chain(sys._getframe())), [0]))[0]
    walked, _ = assert_same_stack(*via_map)
    assert walked[0][1] == "test_lambda.<locals>.<lambda>"
    assert walked[0][4] is True  # called from C (map): its own eval loop


def test_thread_frames():
    results = []
    worker = threading.Thread(
        target=lambda: results.append((ext.debug_walk(MAX), chain(sys._getframe())))
    )
    worker.start()
    worker.join()
    walked, _ = assert_same_stack(*results[0])
    assert walked[-1][1] == "Thread._bootstrap"
    assert walked[-1][4] is True


# --- truncation ---------------------------------------------------------------------------


def recurse(depth: int, max_frames: int):
    if depth:
        return recurse(depth - 1, max_frames)
    return ext.debug_walk(max_frames), chain(sys._getframe())


def test_deep_recursion_is_truncated_at_max():
    (walked, flags), expected = recurse(300, 50)
    assert len(walked) == 50
    assert flags & ext.WALK_TRUNCATED
    assert stripped(walked) == expected[:50]
    assert {name for _, name, _, _, _ in walked} == {"recurse"}


def test_max_exactly_the_depth_is_not_truncated():
    (_, _), expected = recurse(10, MAX)
    total = len(expected)
    (walked, flags), _ = recurse(10, total)
    assert len(walked) == total and not flags & ext.WALK_TRUNCATED
    (walked, flags), _ = recurse(10, total - 1)
    assert len(walked) == total - 1 and flags & ext.WALK_TRUNCATED


def test_max_zero_reports_truncation_only():
    walked, flags = ext.debug_walk(0)
    assert walked == []
    assert flags & ext.WALK_TRUNCATED and flags & ext.WALK_HAS_THREAD_STATE


def test_max_out_of_range_is_rejected():
    with pytest.raises(ValueError):
        ext.debug_walk(-1)


# --- raw strings --------------------------------------------------------------------------

_RAW_DECODERS = {1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}


def _decode_raw(data: bytes, kind: int) -> str:
    assert len(data) % kind == 0
    return data.decode(_RAW_DECODERS[kind])


@pytest.mark.parametrize(
    ("filename", "function", "qualname", "file_kind", "name_kind"),
    [
        ("/tmp/pyrometer_plain.py", "plain", "plain", 1, 1),
        ("/tmp/pyrometer_café.py", "café", "café", 1, 1),  # Latin-1: 1 byte, not ASCII
        ("/tmp/pyrometer_函数.py", "函数", "函数", 2, 2),  # UCS-2
        ("/tmp/pyrometer_😀.py", "smile", "smile.😀", 4, 4),  # UCS-4
    ],
)
def test_non_ascii_names_round_trip(filename, function, qualname, file_kind, name_kind):
    source = f"def {function}():\n    return ext.debug_walk(MAX, raw=RAW)\n"
    namespace = {"ext": ext, "MAX": MAX, "RAW": True}
    exec(compile(source, filename, "exec"), namespace)
    target = namespace[function]
    # Identifiers cannot hold every character; co_qualname can.
    target.__code__ = target.__code__.replace(co_qualname=qualname)

    walked, _ = target()
    file_bytes, got_file_kind, name_bytes, got_name_kind, first_line, line, _ = walked[0]
    assert (got_file_kind, got_name_kind) == (file_kind, name_kind)
    assert _decode_raw(file_bytes, got_file_kind) == filename
    assert _decode_raw(name_bytes, got_name_kind) == qualname
    assert (first_line, line) == (1, 2)

    namespace["RAW"] = False
    walked, _ = target()
    assert walked[0][:4] == (filename, qualname, 1, 2)


# --- flags ---------------------------------------------------------------------------------


def test_gil_held_when_called_from_python():
    walked, flags = ext.debug_walk(MAX)
    assert flags & ext.WALK_GIL_HELD


def test_gil_not_held_while_released():
    expected, _ = ext.debug_walk(MAX)
    walked, flags = ext.debug_walk(MAX, release_gil=True)
    assert not flags & ext.WALK_GIL_HELD
    assert flags & ext.WALK_HAS_THREAD_STATE
    # Same frames; only the innermost line differs (another call on another line).
    assert stripped(walked)[1:] == stripped(expected)[1:]


def test_in_call_when_the_innermost_frame_calls():
    _, flags = ext.debug_walk(MAX)
    assert flags & ext.WALK_IN_CALL
    _, flags = ext.debug_walk(*(MAX,), **{})  # CALL_FUNCTION_EX
    assert flags & ext.WALK_IN_CALL
    for _ in range(100):  # let PRECALL/CALL quicken into their specialized forms
        _, flags = ext.debug_walk(MAX)
        assert flags & ext.WALK_IN_CALL


def test_in_call_clear_under_a_non_call_instruction():
    # A builtin stored as __eq__ is not bound: `probe == MAX` runs debug_walk(MAX) from the
    # COMPARE_OP instruction, C code the interpreter entered without a call instruction.
    class Probe:
        __eq__ = ext.debug_walk

    walked, flags = Probe() == MAX
    assert walked[0][1] == "test_in_call_clear_under_a_non_call_instruction"
    assert flags & ext.WALK_HAS_THREAD_STATE and not flags & ext.WALK_IN_CALL


# The call instructions of each version before specialization; the instrumented forms
# (3.12+) replace them while sys.monitoring or sys.settrace is active.
CALL_FAMILY = {
    (3, 11): {"CALL", "PRECALL", "CALL_FUNCTION_EX"},
    (3, 13): {
        "CALL", "CALL_KW", "CALL_FUNCTION_EX",
        "INSTRUMENTED_CALL", "INSTRUMENTED_CALL_KW", "INSTRUMENTED_CALL_FUNCTION_EX",
    },
}


def test_call_family_matches_dis_deoptimization_map():
    family = CALL_FAMILY[sys.version_info[:2]]
    expected = sorted(
        opcode
        for name, opcode in dis._all_opmap.items()
        if dis.deoptmap.get(name, name) in family
    )
    assert all(name in dis._all_opmap for name in family)
    assert ext.debug_call_opcodes() == expected


# --- code ranges ----------------------------------------------------------------------------


def _mapping_of(address: int) -> str:
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            start, end = (int(part, 16) for part in fields[0].split("-"))
            if start <= address < end:
                return fields[5] if len(fields) > 5 else ""
    raise AssertionError(f"{address:#x} is not mapped")


def test_code_ranges():
    ranges = ext.interpreter_ranges()
    eval_start, eval_end = ranges["eval_loop"]
    interp_start, interp_end = ranges["interpreter"]
    assert 0 < eval_start < eval_end and 0 < interp_start < interp_end
    assert interp_start <= eval_start and eval_end <= interp_end
    eval_function = ctypes.cast(ctypes.pythonapi._PyEval_EvalFrameDefault, ctypes.c_void_p)
    assert eval_function.value == eval_start
    owner = os.path.realpath(_mapping_of(eval_start))
    assert os.path.realpath(_mapping_of(interp_start)) == owner
    assert os.path.realpath(_mapping_of(interp_end - 1)) == owner
    assert "libpython3" in os.path.basename(owner) or owner == os.path.realpath(sys.executable)


def test_python_abi():
    assert ext.python_abi() == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_agent_absent_is_reported():
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {os.path.dirname(ext.__file__)!r})
        import _pyrometer as ext
        assert not ext.agent_available()
        calls = [ext.start, ext.finish, lambda: ext.set_metadata("k", "v"),
                 lambda: ext.set_report_command(["true"]), lambda: ext.set_thread_name(0, "t")]
        for call in calls:
            try:
                call()
            except RuntimeError as error:
                assert str(error) == "the pyrometer agent is not loaded", error
            else:
                raise AssertionError("no RuntimeError")
        """
    )
    env = dict(os.environ)
    # Keep other preloads (a sanitizer runtime), drop the agent's.
    preload = [lib for lib in env.pop("LD_PRELOAD", "").split() if "pyrometer" not in lib]
    if preload:
        env["LD_PRELOAD"] = " ".join(preload)
    subprocess.run([sys.executable, "-c", script], check=True, env=env)


def test_bench_walk_runs():
    assert ext.debug_bench_walk(1000) > 0


# --- location table decoder ---------------------------------------------------------------

DECODER_MODULES = [
    "argparse", "ast", "asyncio.base_events", "collections", "dataclasses", "difflib",
    "dis", "email.message", "enum", "functools", "inspect", "json.decoder", "logging",
    "os", "shutil", "re._parser", "subprocess", "tarfile", "textwrap", "typing",
    "unittest.case", "_pydecimal", "zipfile",
]


def code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from code_objects(const)


def module_code(name: str) -> types.CodeType:
    path = importlib.import_module(name).__file__  # not spec.origin: os is frozen
    with open(path, encoding="utf-8") as source:
        return compile(source.read(), path, "exec")


def assert_decoder_matches(code: types.CodeType) -> int:
    checked = 0
    for inner in code_objects(code):
        positions = list(inner.co_positions())
        assert len(positions) == len(inner.co_code) // 2
        for offset, (line, *_) in enumerate(positions):
            got = ext.debug_line_for_offset(inner, offset)
            assert got == (-1 if line is None else line), (inner, offset)
            checked += 1
        assert ext.debug_line_for_offset(inner, -1) == inner.co_firstlineno
        assert ext.debug_line_for_offset(inner, len(positions)) == -1
    return checked


@pytest.mark.parametrize("module_name", DECODER_MODULES)
def test_decoder_matches_co_positions(module_name):
    assert assert_decoder_matches(module_code(module_name)) > 1000


def test_decoder_matches_dis_line_starts():
    for inner in code_objects(module_code("inspect")):
        for offset, line in dis.findlinestarts(inner):
            # 3.13 also lists where artificial instructions (no line) start, as None.
            assert ext.debug_line_for_offset(inner, offset // 2) == (-1 if line is None else line)


def test_decoder_large_and_backward_line_deltas():
    # Long line jumps need multi-chunk varints; loops jump back to earlier lines
    # (negative deltas); a long expression makes one line cover many code units.
    source = (
        "def far():\n"
        + "\n" * 70000
        + "    x = 1\n"
        + "    for i in range(3):\n"
        + "\n" * 5000
        + "        x += i\n"
        + "    while x < 100:\n"
        + "        x = (x\n" + "".join(f"             + {i}\n" for i in range(200)) + "        )\n"
        + "    return x\n"
    )
    assert assert_decoder_matches(compile(source, "<big>", "exec")) > 100


def test_decoder_without_column_info():
    # -X no_debug_ranges makes the compiler emit the "no columns" entry form.
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {os.path.dirname(ext.__file__)!r})
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import _pyrometer
        import test_walker
        assert all(p[2] is None for p in test_walker.module_code("ast").co_positions())
        for name in ("ast", "inspect", "typing"):
            assert test_walker.assert_decoder_matches(test_walker.module_code(name)) > 1000
        """
    )
    env = dict(os.environ, PYROMETER_EXT_DIR=os.path.dirname(ext.__file__))
    subprocess.run([sys.executable, "-X", "no_debug_ranges", "-c", script], check=True, env=env)


def test_decoder_rejects_non_code():
    with pytest.raises(TypeError):
        ext.debug_line_for_offset("not code", 0)
