// The CPython 3.11 frame walker: with walker_313.cpp, the only files in pyrometer that
// include CPython's internal headers. Everything here reads the interrupted thread's
// interpreter state from a SIGPROF handler, so the walk obeys the signal-handler rules of
// DESIGN.md: no allocation, no locks, no Python API, no refcount changes, no errno-setting
// calls, every loop bounded. Reads that can see garbage are validated; the ones that can
// fault are covered by the core's fault guard (sampler/src/safe_access.h), which aborts
// the walk with a siglongjmp — so nothing here may leave state half-updated across a read.
#define Py_BUILD_CORE 1
#include <Python.h>
// pycore_atomic.h uses C11 <stdatomic.h> when HAVE_STD_ATOMIC is set, which does not compile
// as C++. Its fallback for GCC/Clang (__atomic builtins on plain `int`/`uintptr_t` members)
// declares the same sizes and alignments, so the structs read below keep the layout the
// interpreter was compiled with. prepare_walker() checks the result against the public API.
#undef HAVE_STD_ATOMIC
#include <internal/pycore_frame.h>
#include <internal/pycore_runtime.h>
#include <opcode.h>

#include <pthread.h>

#include <cstddef>
#include <cstdint>

#include "cpython/code_ranges.h"
#include "cpython/interpreter.h"
#include "cpython/walker_support.h"

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "walker_311.cpp reads CPython 3.11 internals; CMake must pick the walker for this version"
#endif

static_assert(sizeof(_Py_CODEUNIT) == pyro::cpython::kCodeUnitBytes, "3.11 code units");

namespace pyro::cpython {
namespace {

// Opcodes that are the call family after deoptimization: CALL, PRECALL and CALL_FUNCTION_EX
// with every specialized form 3.11 quickens them into. _PyOpcode_Deopt itself is not
// exported by libpython, and its definition (pycore_opcode.h with NEED_OPCODE_TABLES) uses
// C99 array designators that C++ rejects, so the family is spelled out from the public
// opcode.h macros; tests/python/test_walker.py checks it against dis.deoptmap.
constexpr uint8_t kCallFamily[] = {
    PRECALL,
    PRECALL_ADAPTIVE,
    PRECALL_BOUND_METHOD,
    PRECALL_BUILTIN_CLASS,
    PRECALL_BUILTIN_FAST_WITH_KEYWORDS,
    PRECALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS,
    PRECALL_NO_KW_BUILTIN_FAST,
    PRECALL_NO_KW_BUILTIN_O,
    PRECALL_NO_KW_ISINSTANCE,
    PRECALL_NO_KW_LEN,
    PRECALL_NO_KW_LIST_APPEND,
    PRECALL_NO_KW_METHOD_DESCRIPTOR_FAST,
    PRECALL_NO_KW_METHOD_DESCRIPTOR_NOARGS,
    PRECALL_NO_KW_METHOD_DESCRIPTOR_O,
    PRECALL_NO_KW_STR_1,
    PRECALL_NO_KW_TUPLE_1,
    PRECALL_NO_KW_TYPE_1,
    PRECALL_PYFUNC,
    CALL,
    CALL_ADAPTIVE,
    CALL_PY_EXACT_ARGS,
    CALL_PY_WITH_DEFAULTS,
    CALL_FUNCTION_EX,
};

constexpr OpcodeTable kOpcodes = make_opcode_table(kCallFamily);

// co_filename / co_qualname: 3.11 strings must also be "ready" (their characters computed;
// always so for code object strings, so a failure means garbage).
bool read_string(PyObject* object, StringRef* out) {
  return read_compact_string(object, out) &&
         reinterpret_cast<const PyASCIIObject*>(object)->state.ready;
}

// The calling thread's PyThreadState, without locks. 3.11 has no C-level thread-local for
// it: _PyRuntime.gilstate.tstate_current names the GIL holder, not this thread, so it is
// useless for a thread that waits for the GIL or runs native code. The autoTSS key is set
// for every thread the interpreter knows (main thread, threading threads, PyGILState_Ensure)
// and cleared before a thread state is freed. pthread_getspecific takes no lock, allocates
// nothing and leaves errno alone (glibc reads the thread's own key array).
PyThreadState* current_thread_state() {
  const Py_tss_t& key = _PyRuntime.gilstate.autoTSSkey;
  if (!key._is_initialized) return nullptr;  // before init / after finalization
  auto* tstate = static_cast<PyThreadState*>(pthread_getspecific(key._key));
  if (!is_aligned(tstate)) return nullptr;
  // Set from pthread_self() when the state is bound to its thread (new_threadstate,
  // t_bootstrap). A mismatch means the key holds something stale or the layout is wrong.
  if (tstate->thread_id != static_cast<unsigned long>(pthread_self())) return nullptr;
  return tstate;
}

// gil.locked and gil.last_holder are written by take_gil/drop_gil without our knowledge;
// relaxed loads are enough for a sample. take_gil sets `locked` before `last_holder`, so
// for a few instructions a new holder can read as not holding the GIL: sampling noise.
bool holds_gil(const PyThreadState* tstate) {
  const _gil_runtime_state& gil = _PyRuntime.ceval.gil;
  int locked = __atomic_load_n(&gil.locked._value, __ATOMIC_RELAXED);
  uintptr_t holder = __atomic_load_n(&gil.last_holder._value, __ATOMIC_RELAXED);
  return locked > 0 && holder == reinterpret_cast<uintptr_t>(tstate);
}

// Whether the instruction at `offset` is a call. The innermost frame's prev_instr is set by
// INSTRUCTION_START to the instruction being executed (after an EXTENDED_ARG prefix too,
// because EXTENDED_ARG jumps to the real instruction's target). Should we still land on an
// EXTENDED_ARG, the real opcode follows within 3 code units. A caller frame's prev_instr
// points at a CALL's last inline cache entry, which holds data rather than an opcode, but
// only the innermost frame is ever classified.
bool is_call_instruction(const _Py_CODEUNIT* code, Py_ssize_t n_units, Py_ssize_t offset) {
  for (int prefix = 0; prefix < 4 && offset >= 0 && offset < n_units; ++prefix, ++offset) {
    uint8_t opcode = _Py_OPCODE(code[offset]);
    if (opcode == EXTENDED_ARG || opcode == EXTENDED_ARG_QUICK) continue;
    return kOpcodes.is_call[opcode];
  }
  return false;
}

int walk(PyroPyFrame* out, int max, uint32_t* flags) {
  PyThreadState* tstate = current_thread_state();
  if (tstate == nullptr) return 0;
  *flags |= PYRO_WALK_HAS_THREAD_STATE;
  if (holds_gil(tstate)) *flags |= PYRO_WALK_GIL_HELD;

  // tstate->cframe lives on the C stack of the innermost _PyEval_EvalFrameDefault (or is
  // tstate->root_cframe); current_frame is NULL when the thread runs no Python code.
  const _PyCFrame* cframe = tstate->cframe;
  if (!is_aligned(cframe)) return 0;
  const _PyInterpreterFrame* frame = cframe->current_frame;

  int written = 0;
  int skipped = 0;
  bool innermost = true;
  // Bounded: each iteration either fills one of `max` slots, stops, or skips one of at most
  // kMaxSkippedFrames incomplete frames — so even a garbage cycle of links ends.
  for (; frame != nullptr; frame = frame->previous) {
    // Interpreter frames live in the thread's data stack, in a generator or in a frame
    // object: always pointer-aligned. A misaligned link is garbage; so is every frame
    // after it, and a stack with its root cut off would be misattributed — so any
    // validation failure drops the whole Python stack, as a fault would.
    if (!is_aligned(frame)) return drop_stack(flags);
    const PyCodeObject* code = frame->f_code;
    if (!is_code_object(code)) return drop_stack(flags);
    char owner = frame->owner;
    if (owner != FRAME_OWNED_BY_THREAD && owner != FRAME_OWNED_BY_GENERATOR &&
        owner != FRAME_OWNED_BY_FRAME_OBJECT) {
      return drop_stack(flags);
    }
    // prev_instr is the code unit before the next instruction: code - 1 for a frame that has
    // not started, otherwise inside the bytecode. Anything else means the frame and its code
    // object do not belong together (a popped frame whose slot is being reused).
    const _Py_CODEUNIT* bytecode = _PyCode_CODE(code);
    Py_ssize_t n_units = Py_SIZE(code);
    Py_ssize_t offset = 0;
    if (!code_unit_offset(bytecode, n_units, frame->prev_instr, &offset)) {
      return drop_stack(flags);
    }

    // _PyFrame_IsIncomplete: a frame on the thread's stack is still being set up (cells,
    // generator creation) until it passes its first traceable instruction (RESUME). CPython
    // hides such frames from sys._getframe and tracebacks; so do we. Generator frames are
    // always complete.
    if (owner != FRAME_OWNED_BY_GENERATOR && offset < code->_co_firsttraceable) {
      if (++skipped > kMaxSkippedFrames) return drop_stack(flags);
      // The innermost *real* frame is being set up: that is interpreter work, not a call
      // into native code, so PYRO_WALK_IN_CALL stays clear.
      innermost = false;
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
    if (!read_string(code->co_filename, &file) || !read_string(code->co_qualname, &name) ||
        !read_line_table(code->co_linetable, &lines)) {
      return drop_stack(flags);
    }
    // 3.11 marks the frame its own _PyEval_EvalFrameDefault call started with is_entry;
    // the core uses it to split Python frames between native eval-loop frames.
    fill_frame(&out[written], file, name, lines, code->co_firstlineno, offset, frame->is_entry);
    ++written;
  }
  return written;
}

}  // namespace

const char* abi_name() { return "3.11"; }

int walk_current_thread(PyroPyFrame* out, int max, uint32_t* flags) {
  // errno: nothing below sets it (pthread_getspecific does not), so it needs no saving.
  return checked_walk(walk, out, max, flags);
}

int line_for_code_offset(PyObject* code_object, long offset) {
  auto* code = reinterpret_cast<PyCodeObject*>(code_object);
  LineTable lines{};
  if (!is_code_object(code) || !read_line_table(code->co_linetable, &lines)) return -1;
  if (offset >= Py_SIZE(code)) return -1;
  return line_for_offset(lines.bytes, lines.size, code->co_firstlineno, offset);
}

int call_family_opcodes(uint8_t out[256]) { return list_call_opcodes(kOpcodes, out); }

bool prepare_walker(PyroWalker* walker, std::string* error) {
  walker->abi_version = PYRO_WALKER_ABI_VERSION;
  walker->walk_current_thread = walk_current_thread;
  if (!find_code_ranges(reinterpret_cast<const void*>(&_PyEval_EvalFrameDefault),
                        &walker->eval_loop, &walker->interpreter, error)) {
    return false;
  }

  return check_walker_against_api(abi_name(), current_thread_state(), walk_current_thread, error);
}

}  // namespace pyro::cpython
