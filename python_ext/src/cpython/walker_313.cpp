// The CPython 3.13 frame walker: with walker_311.cpp, the only files in pyrometer that
// include CPython's internal headers. It runs in the SIGPROF handler under the rules of
// walker_311.cpp (DESIGN.md): no allocation, no locks, no Python API, no refcounts, no
// errno-setting calls, every loop bounded; garbage is validated away, reads that can fault
// are covered by the core's fault guard (sampler/src/safe_access.h, siglongjmp).
//
// 3.13 publishes the layout of its internal structs in _PyRuntime.debug_offsets (for
// out-of-process debuggers). The walker reads thread states, interpreter states, the GIL,
// frames and code objects through those runtime offsets, copied once at registration after
// checking them against the headers this file was compiled with; the few fields the table
// does not cover (the autoTSS key, _co_firsttraceable, str/bytes layouts) come from the
// headers. docs/cpython-versions.md lists what differs from 3.11.
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_code.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <opcode.h>

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cpython/code_ranges.h"
#include "cpython/interpreter.h"
#include "cpython/walker_support.h"

#if PY_VERSION_HEX < 0x030D0000 || PY_VERSION_HEX >= 0x030E0000
#error "walker_313.cpp reads CPython 3.13 internals; CMake must pick the walker for this version"
#endif
#ifdef Py_GIL_DISABLED
#error "free-threaded CPython has no GIL and another object layout; pyrometer does not support it"
#endif

static_assert(sizeof(_Py_CODEUNIT) == pyro::cpython::kCodeUnitBytes, "3.13 code units");

namespace pyro::cpython {
namespace {

// The call family after deoptimization, CALL, CALL_KW and CALL_FUNCTION_EX, with every
// specialized form 3.13 quickens CALL into and the instrumented forms sys.monitoring (and
// so sys.settrace, since 3.12) swaps in. Spelled out from opcode.h for the same reason as
// in 3.11 (_PyOpcode_Deopt is neither exported nor C++-compatible); tests/python/
// test_walker.py checks it against dis. CALL_INTRINSIC_1/2 are not calls of Python-visible
// callables and stay out.
constexpr uint8_t kCallFamily[] = {
    CALL,
    CALL_ALLOC_AND_ENTER_INIT,
    CALL_BOUND_METHOD_EXACT_ARGS,
    CALL_BOUND_METHOD_GENERAL,
    CALL_BUILTIN_CLASS,
    CALL_BUILTIN_FAST,
    CALL_BUILTIN_FAST_WITH_KEYWORDS,
    CALL_BUILTIN_O,
    CALL_ISINSTANCE,
    CALL_LEN,
    CALL_LIST_APPEND,
    CALL_METHOD_DESCRIPTOR_FAST,
    CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS,
    CALL_METHOD_DESCRIPTOR_NOARGS,
    CALL_METHOD_DESCRIPTOR_O,
    CALL_NON_PY_GENERAL,
    CALL_PY_EXACT_ARGS,
    CALL_PY_GENERAL,
    CALL_STR_1,
    CALL_TUPLE_1,
    CALL_TYPE_1,
    CALL_KW,
    CALL_FUNCTION_EX,
    INSTRUMENTED_CALL,
    INSTRUMENTED_CALL_KW,
    INSTRUMENTED_CALL_FUNCTION_EX,
};

constexpr OpcodeTable kOpcodes = make_opcode_table(kCallFamily);

// Byte offsets of the fields the walk reads, from _PyRuntime.debug_offsets. Written once by
// load_layout() in normal context before the walker is registered; read-only afterwards.
struct Layout {
  bool loaded;
  // PyThreadState
  uint64_t tstate_interp, tstate_current_frame, tstate_thread_id;
  // PyInterpreterState: ceval.gil points at the GIL this interpreter uses (its own _gil,
  // or the main interpreter's for a subinterpreter sharing it).
  uint64_t interp_gil;
  // struct _gil_runtime_state
  uint64_t gil_locked, gil_last_holder;
  // _PyInterpreterFrame
  uint64_t frame_previous, frame_executable, frame_instr_ptr, frame_owner;
  // PyCodeObject
  uint64_t code_filename, code_qualname, code_linetable, code_firstlineno, code_bytecode;
};

Layout g_layout{};

// One field at `offset` bytes into `base`. memcpy of a constant size compiles to a plain
// load; it neither allocates nor touches errno.
template <typename T>
T field(const void* base, uint64_t offset) {
  T value;
  std::memcpy(&value, static_cast<const char*>(base) + offset, sizeof value);
  return value;
}

bool is_word_aligned(const void* pointer) {
  return pointer != nullptr && reinterpret_cast<uintptr_t>(pointer) % alignof(void*) == 0;
}

struct OffsetCheck {
  const char* name;
  uint64_t runtime;  // from _PyRuntime.debug_offsets
  size_t header;     // offsetof() in the headers compiled against
};

// Copies the offsets the walk needs from the running interpreter's debug table and checks
// them against the headers: the fields the table does not cover come from the headers, so
// a disagreement means those cannot be trusted either.
bool load_layout(std::string* error) {
  if (g_layout.loaded) return true;
  const _Py_DebugOffsets& table = _PyRuntime.debug_offsets;
  if (std::memcmp(table.cookie, _Py_Debug_Cookie, sizeof table.cookie) != 0) {
    *error = "_PyRuntime.debug_offsets has no \"" _Py_Debug_Cookie "\" cookie";
    return false;
  }
  if ((table.version >> 16) != (PY_VERSION_HEX >> 16)) {
    *error = "the running interpreter's debug offsets are not those of CPython 3.13";
    return false;
  }
  if (table.free_threaded != 0) {
    *error = "free-threaded CPython is not supported";
    return false;
  }
  const auto& ts = table.thread_state;
  const auto& is = table.interpreter_state;
  const auto& fr = table.interpreter_frame;
  const auto& co = table.code_object;
  Layout layout{};
  layout.tstate_interp = ts.interp;
  layout.tstate_current_frame = ts.current_frame;
  layout.tstate_thread_id = ts.thread_id;
  layout.interp_gil = is.ceval_gil;
  // The table gives the interpreter's own GIL's fields relative to the interpreter; the
  // walk reads them relative to whichever GIL ceval.gil points at.
  layout.gil_locked = is.gil_runtime_state_locked - is.gil_runtime_state;
  layout.gil_last_holder = is.gil_runtime_state_holder - is.gil_runtime_state;
  layout.frame_previous = fr.previous;
  layout.frame_executable = fr.executable;
  layout.frame_instr_ptr = fr.instr_ptr;
  layout.frame_owner = fr.owner;
  layout.code_filename = co.filename;
  layout.code_qualname = co.qualname;
  layout.code_linetable = co.linetable;
  layout.code_firstlineno = co.firstlineno;
  layout.code_bytecode = co.co_code_adaptive;

  const OffsetCheck checks[] = {
      {"PyThreadState.interp", layout.tstate_interp, offsetof(PyThreadState, interp)},
      {"PyThreadState.current_frame", layout.tstate_current_frame,
       offsetof(PyThreadState, current_frame)},
      {"PyThreadState.thread_id", layout.tstate_thread_id, offsetof(PyThreadState, thread_id)},
      {"PyInterpreterState.ceval.gil", layout.interp_gil, offsetof(PyInterpreterState, ceval.gil)},
      {"_gil_runtime_state.locked", layout.gil_locked, offsetof(_gil_runtime_state, locked)},
      {"_gil_runtime_state.last_holder", layout.gil_last_holder,
       offsetof(_gil_runtime_state, last_holder)},
      {"_PyInterpreterFrame.previous", layout.frame_previous,
       offsetof(_PyInterpreterFrame, previous)},
      {"_PyInterpreterFrame.f_executable", layout.frame_executable,
       offsetof(_PyInterpreterFrame, f_executable)},
      {"_PyInterpreterFrame.instr_ptr", layout.frame_instr_ptr,
       offsetof(_PyInterpreterFrame, instr_ptr)},
      {"_PyInterpreterFrame.owner", layout.frame_owner, offsetof(_PyInterpreterFrame, owner)},
      {"PyCodeObject.co_filename", layout.code_filename, offsetof(PyCodeObject, co_filename)},
      {"PyCodeObject.co_qualname", layout.code_qualname, offsetof(PyCodeObject, co_qualname)},
      {"PyCodeObject.co_linetable", layout.code_linetable, offsetof(PyCodeObject, co_linetable)},
      {"PyCodeObject.co_firstlineno", layout.code_firstlineno,
       offsetof(PyCodeObject, co_firstlineno)},
      {"PyCodeObject.co_code_adaptive", layout.code_bytecode,
       offsetof(PyCodeObject, co_code_adaptive)},
  };
  for (const OffsetCheck& check : checks) {
    if (check.runtime != check.header) {
      *error = std::string("the interpreter's debug offsets disagree with the headers pyrometer "
                           "was built with at ") + check.name;
      return false;
    }
  }
  layout.loaded = true;
  g_layout = layout;
  return true;
}

// co_filename / co_qualname: 3.12 dropped the `ready` bit; every str is ready.
bool read_string(const void* code, uint64_t offset, StringRef* out) {
  return read_compact_string(field<PyObject*>(code, offset), out);
}

// The calling thread's PyThreadState, without locks. 3.13 keeps the *attached* thread state
// in a C thread-local (_Py_tss_tstate), but clears it whenever the thread detaches —
// releases the GIL to wait or to run native code — which is exactly when a profiler still
// wants its frames. The autoTSS key (now _PyRuntime.autoTSSkey) is still bound to the first
// thread state of every thread (_PyThreadState_Bind, PyGILState_Ensure) and stays set while
// the thread is detached. pthread_getspecific takes no lock, allocates nothing and leaves
// errno alone.
const void* current_thread_state() {
  const Py_tss_t& key = _PyRuntime.autoTSSkey;
  if (!key._is_initialized) return nullptr;  // before init / after finalization
  const void* tstate = pthread_getspecific(key._key);
  if (!is_word_aligned(tstate)) return nullptr;
  // bind_tstate() sets thread_id from pthread_self(); a mismatch means something stale.
  if (field<unsigned long>(tstate, g_layout.tstate_thread_id) !=
      static_cast<unsigned long>(pthread_self())) {
    return nullptr;
  }
  return tstate;
}

// The GIL is per interpreter since 3.12: tstate->interp->ceval.gil. take_gil/drop_gil
// write `locked` and `last_holder` with relaxed atomics; relaxed loads suffice for a sample
// (a new holder can read as not holding the GIL for a few instructions: sampling noise).
bool holds_gil(const void* tstate) {
  const void* interp = field<const void*>(tstate, g_layout.tstate_interp);
  if (!is_word_aligned(interp)) return false;
  const char* gil = field<const char*>(interp, g_layout.interp_gil);
  if (!is_word_aligned(gil)) return false;
  int locked = __atomic_load_n(reinterpret_cast<const int*>(gil + g_layout.gil_locked),
                               __ATOMIC_RELAXED);
  uintptr_t holder = __atomic_load_n(
      reinterpret_cast<const uintptr_t*>(gil + g_layout.gil_last_holder), __ATOMIC_RELAXED);
  return locked > 0 && holder == reinterpret_cast<uintptr_t>(tstate);
}

// Whether the instruction at `offset` is a call. Each 3.13 instruction stores its own
// address in frame->instr_ptr before it runs, so the innermost frame's instr_ptr is the
// executing instruction (EXTENDED_ARG dispatches straight into the real one, which then
// stores its own address). Should we still land on an EXTENDED_ARG, the real opcode follows
// within 3 code units.
bool is_call_instruction(const _Py_CODEUNIT* code, Py_ssize_t n_units, Py_ssize_t offset) {
  for (int prefix = 0; prefix < 4 && offset >= 0 && offset < n_units; ++prefix, ++offset) {
    uint8_t opcode = code[offset].op.code;
    if (opcode == EXTENDED_ARG) continue;
    return kOpcodes.is_call[opcode];
  }
  return false;
}

int walk(PyroPyFrame* out, int max, uint32_t* flags) {
  if (!g_layout.loaded) return 0;
  const void* tstate = current_thread_state();
  if (tstate == nullptr) return 0;
  *flags |= PYRO_WALK_HAS_THREAD_STATE;
  if (holds_gil(tstate)) *flags |= PYRO_WALK_GIL_HELD;

  // NULL when the thread runs no Python code.
  const void* frame = field<const void*>(tstate, g_layout.tstate_current_frame);

  int written = 0;
  int skipped = 0;
  int shims = 0;
  bool innermost = true;
  // The slot of the frame walked just before, while it was written: the frame above a shim.
  PyroPyFrame* above = nullptr;
  // Bounded: each iteration fills one of `max` slots, stops, skips one of at most
  // kMaxSkippedFrames incomplete frames, or skips a shim — and a valid stack has at most one
  // shim below each frame, so more shims than frames ends the walk.
  for (; frame != nullptr; frame = field<const void*>(frame, g_layout.frame_previous)) {
    // Frames live in the thread's data stack, in a generator, in a frame object or (shims)
    // on the C stack: always pointer-aligned. As in 3.11, any validation failure drops the
    // whole Python stack: a stack with its root cut off would be misattributed.
    if (!is_word_aligned(frame)) return drop_stack(flags);
    char owner = field<char>(frame, g_layout.frame_owner);
    if (owner == FRAME_OWNED_BY_CSTACK) {
      // 3.13 has no is_entry: each _PyEval_EvalFrameDefault call links a shim frame (on its
      // C stack, f_executable None) below the first frame it runs, which is therefore that
      // call's entry frame. CPython hides shims from Python; so do we.
      if (++shims > written + skipped + 1) return drop_stack(flags);
      if (above != nullptr) above->is_entry = 1;
      above = nullptr;
      continue;
    }
    if (owner != FRAME_OWNED_BY_THREAD && owner != FRAME_OWNED_BY_GENERATOR &&
        owner != FRAME_OWNED_BY_FRAME_OBJECT) {
      return drop_stack(flags);
    }
    const void* code = field<const void*>(frame, g_layout.frame_executable);
    if (!is_code_object(code)) return drop_stack(flags);
    // instr_ptr points at the instruction executing (or about to begin): inside the
    // bytecode, from its first unit on. Anything else means the frame and its code object
    // do not belong together (a popped frame whose slot is being reused).
    const auto* bytecode =
        reinterpret_cast<const _Py_CODEUNIT*>(static_cast<const char*>(code) + g_layout.code_bytecode);
    Py_ssize_t n_units = Py_SIZE(static_cast<const PyVarObject*>(code));
    Py_ssize_t offset = 0;
    if (!code_unit_offset(bytecode, n_units, field<const void*>(frame, g_layout.frame_instr_ptr),
                          &offset) ||
        offset < 0) {
      return drop_stack(flags);
    }

    // _PyFrame_IsIncomplete: a frame on the thread's stack is being set up until its
    // instr_ptr reaches the first traceable instruction (RESUME); generator frames are
    // always complete. Hidden, as CPython hides them.
    if (owner != FRAME_OWNED_BY_GENERATOR &&
        offset < static_cast<const PyCodeObject*>(code)->_co_firsttraceable) {
      if (++skipped > kMaxSkippedFrames) return drop_stack(flags);
      innermost = false;  // setting up a frame is interpreter work, not a native call
      above = nullptr;
      continue;
    }
    if (innermost && is_call_instruction(bytecode, n_units, offset)) {
      *flags |= PYRO_WALK_IN_CALL;
    }
    innermost = false;
    if (written == max) {
      *flags |= PYRO_WALK_TRUNCATED;
      break;
    }

    StringRef file{};
    StringRef name{};
    LineTable lines{};
    if (!read_string(code, g_layout.code_filename, &file) ||
        !read_string(code, g_layout.code_qualname, &name) ||
        !read_line_table(field<PyObject*>(code, g_layout.code_linetable), &lines)) {
      return drop_stack(flags);
    }
    above = &out[written];
    fill_frame(above, file, name, lines, field<int>(code, g_layout.code_firstlineno), offset,
               false);
    ++written;
  }
  return written;
}

}  // namespace

const char* abi_name() { return "3.13"; }

int walk_current_thread(PyroPyFrame* out, int max, uint32_t* flags) {
  // errno: nothing below sets it (pthread_getspecific does not), so it needs no saving.
  return checked_walk(walk, out, max, flags);
}

int line_for_code_offset(PyObject* code, long offset) {
  std::string ignored;
  LineTable lines{};
  if (!load_layout(&ignored) || !is_code_object(code) ||
      !read_line_table(field<PyObject*>(code, g_layout.code_linetable), &lines)) {
    return -1;
  }
  if (offset >= Py_SIZE(code)) return -1;
  int first_line = field<int>(code, g_layout.code_firstlineno);
  return line_for_offset(lines.bytes, lines.size, first_line, offset);
}

int call_family_opcodes(uint8_t out[256]) { return list_call_opcodes(kOpcodes, out); }

bool prepare_walker(PyroWalker* walker, std::string* error) {
  if (!load_layout(error)) return false;
  walker->abi_version = PYRO_WALKER_ABI_VERSION;
  walker->walk_current_thread = walk_current_thread;
  if (!find_code_ranges(reinterpret_cast<const void*>(&_PyEval_EvalFrameDefault),
                        &walker->eval_loop, &walker->interpreter, error)) {
    return false;
  }
  auto* tstate = static_cast<PyThreadState*>(const_cast<void*>(current_thread_state()));
  return check_walker_against_api(abi_name(), tstate, walk_current_thread, error);
}

}  // namespace pyro::cpython
