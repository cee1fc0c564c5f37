// The CPython 3.11 frame walker: the only file in pyrometer that includes CPython's internal
// headers. Everything here reads the interrupted thread's interpreter state from a SIGPROF
// handler, so the walk obeys the signal-handler rules of DESIGN.md: no allocation, no locks,
// no Python API, no refcount changes, no errno-setting calls, every loop bounded. Reads that
// can see garbage are validated; the ones that can fault are covered by the core's fault
// guard (sampler/src/safe_access.h), which aborts the walk with a siglongjmp — so nothing
// here may leave state half-updated across a read.
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
#include "cpython/location_table.h"

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030C0000
#error "walker_311.cpp reads CPython 3.11 internals; CMake must pick the walker for this version"
#endif

namespace pyro::cpython {
namespace {

// Names and file names longer than this are taken as garbage, not as data to copy.
constexpr Py_ssize_t kMaxStringChars = 1 << 16;
// A location table larger than this is taken as garbage (real ones are a few KB).
constexpr Py_ssize_t kMaxLineTableBytes = 1 << 24;
// Incomplete frames are skipped without using an output slot. They only exist at the top
// of a thread's stack while a call is being set up, so more than this many is garbage.
constexpr int kMaxSkippedFrames = 64;

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

struct OpcodeTable {
  bool is_call[256];
};

constexpr OpcodeTable make_opcode_table() {
  OpcodeTable table{};
  for (uint8_t opcode : kCallFamily) table.is_call[opcode] = true;
  return table;
}

constexpr OpcodeTable kOpcodes = make_opcode_table();

template <typename T>
bool is_aligned(const T* pointer) {
  return pointer != nullptr && reinterpret_cast<uintptr_t>(pointer) % alignof(T) == 0;
}

// Object pointers come from interpreter memory that may be mid-update. An object header
// is always pointer-aligned, so a misaligned value is garbage we must not dereference.
bool is_object_pointer(const void* pointer) {
  return pointer != nullptr && reinterpret_cast<uintptr_t>(pointer) % alignof(PyObject) == 0;
}

struct StringRef {
  const void* data;
  uint32_t bytes;
  uint8_t kind;
};

// co_filename / co_qualname as raw characters. Only exact, compact, ready str objects are
// accepted: those keep their characters inline right after the header, so no pointer
// other than the object itself is followed and nothing is converted. Code objects always
// hold such strings (the compiler interns them), so a failure means `object` is not what
// the frame claims — e.g. the code object of a frame being popped was just freed and its
// memory reused.
bool read_string(PyObject* object, StringRef* out) {
  if (!is_object_pointer(object) || Py_TYPE(object) != &PyUnicode_Type) return false;
  const auto* ascii = reinterpret_cast<const PyASCIIObject*>(object);
  if (!ascii->state.compact || !ascii->state.ready) return false;
  unsigned kind = ascii->state.kind;
  if (kind != PyUnicode_1BYTE_KIND && kind != PyUnicode_2BYTE_KIND &&
      kind != PyUnicode_4BYTE_KIND) {
    return false;
  }
  Py_ssize_t length = ascii->length;
  if (length < 0 || length > kMaxStringChars) return false;
  if (ascii->state.ascii) {
    if (kind != PyUnicode_1BYTE_KIND) return false;
    out->data = ascii + 1;
  } else {
    out->data = reinterpret_cast<const PyCompactUnicodeObject*>(object) + 1;
  }
  out->bytes = static_cast<uint32_t>(length) * kind;
  out->kind = static_cast<uint8_t>(kind);
  return true;
}

struct LineTable {
  const uint8_t* bytes;
  size_t size;
};

bool read_line_table(const PyCodeObject* code, LineTable* out) {
  PyObject* table = code->co_linetable;
  if (!is_object_pointer(table) || Py_TYPE(table) != &PyBytes_Type) return false;
  Py_ssize_t size = Py_SIZE(table);
  if (size < 0 || size > kMaxLineTableBytes) return false;
  out->bytes = reinterpret_cast<const uint8_t*>(reinterpret_cast<PyBytesObject*>(table)->ob_sval);
  out->size = static_cast<size_t>(size);
  return true;
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

// A code object as the walker sees it, or false when `code` cannot be one.
bool is_code_object(const PyCodeObject* code) {
  // A popped frame keeps pointing at its code object after the frame released it; if that
  // was the last reference the memory may already hold another object. The exact type
  // check rejects most such reuse before any field of the code object is believed.
  return is_object_pointer(code) && Py_TYPE(code) == &PyCode_Type && Py_SIZE(code) > 0;
}

// A validation failure: report no Python frames, and no flag derived from them.
int drop_stack(uint32_t* flags) {
  *flags &= ~static_cast<uint32_t>(PYRO_WALK_IN_CALL | PYRO_WALK_TRUNCATED);
  return 0;
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
    // (Integer arithmetic: the pointers may be unrelated garbage.)
    const _Py_CODEUNIT* bytecode = _PyCode_CODE(code);
    Py_ssize_t n_units = Py_SIZE(code);
    auto byte_offset = static_cast<intptr_t>(reinterpret_cast<uintptr_t>(frame->prev_instr) -
                                             reinterpret_cast<uintptr_t>(bytecode));
    if (byte_offset % static_cast<intptr_t>(sizeof(_Py_CODEUNIT)) != 0) return drop_stack(flags);
    Py_ssize_t offset = byte_offset / static_cast<intptr_t>(sizeof(_Py_CODEUNIT));
    if (offset < -1 || offset >= n_units) return drop_stack(flags);

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
        !read_line_table(code, &lines)) {
      return drop_stack(flags);
    }
    PyroPyFrame& slot = out[written];
    slot.file = file.data;
    slot.file_len = file.bytes;
    slot.file_kind = file.kind;
    slot.name = name.data;
    slot.name_len = name.bytes;
    slot.name_kind = name.kind;
    // 3.11 marks the frame its own _PyEval_EvalFrameDefault call started with is_entry;
    // the core uses it to split Python frames between native eval-loop frames.
    slot.is_entry = frame->is_entry ? 1 : 0;
    slot.reserved = 0;
    slot.first_line = code->co_firstlineno;
    slot.line = line_for_offset(lines.bytes, lines.size, code->co_firstlineno, offset);
    ++written;
  }
  return written;
}

}  // namespace

const char* abi_name() { return "3.11"; }

int walk_current_thread(PyroPyFrame* out, int max, uint32_t* flags) {
  // errno: nothing below sets it (pthread_getspecific does not), so it needs no saving.
  uint32_t walk_flags = 0;
  int written = (out == nullptr || max < 0) ? 0 : walk(out, max, &walk_flags);
  if (flags != nullptr) *flags = walk_flags;
  return written;
}

int line_for_code_offset(PyObject* code_object, long offset) {
  auto* code = reinterpret_cast<PyCodeObject*>(code_object);
  LineTable lines{};
  if (!is_code_object(code) || !read_line_table(code, &lines)) return -1;
  if (offset >= Py_SIZE(code)) return -1;
  return line_for_offset(lines.bytes, lines.size, code->co_firstlineno, offset);
}

int call_family_opcodes(uint8_t out[256]) {
  int count = 0;
  for (int opcode = 0; opcode < 256; ++opcode) {
    if (kOpcodes.is_call[opcode]) out[count++] = static_cast<uint8_t>(opcode);
  }
  return count;
}

bool prepare_walker(PyroWalker* walker, std::string* error) {
  walker->abi_version = PYRO_WALKER_ABI_VERSION;
  walker->walk_current_thread = walk_current_thread;
  if (!find_code_ranges(reinterpret_cast<const void*>(&_PyEval_EvalFrameDefault),
                        &walker->eval_loop, &walker->interpreter, error)) {
    return false;
  }

  // Self-check against the public API: the walker reads raw struct fields, so a build whose
  // layout differs from these headers (another 3.11 configuration, a patched interpreter)
  // must be refused here rather than produce garbage profiles.
  const char* mismatch = "the 3.11 walker does not match this interpreter's memory layout: ";
  PyThreadState* tstate = PyThreadState_Get();
  if (current_thread_state() != tstate) {
    *error = std::string(mismatch) + "the autoTSS lookup does not find this thread's state";
    return false;
  }
  PyroPyFrame frames[1];
  uint32_t flags = 0;
  int written = walk_current_thread(frames, 1, &flags);
  if (!(flags & PYRO_WALK_HAS_THREAD_STATE) || !(flags & PYRO_WALK_GIL_HELD)) {
    *error = std::string(mismatch) + "the GIL state does not show this thread holding the GIL";
    return false;
  }
  PyFrameObject* python_frame = PyEval_GetFrame();  // borrowed; NULL when called from C
  if (python_frame != nullptr) {
    PyCodeObject* code = PyFrame_GetCode(python_frame);  // new reference
    bool same_frame = written == 1 && frames[0].first_line == code->co_firstlineno &&
                      frames[0].line == PyFrame_GetLineNumber(python_frame) &&
                      frames[0].name == PyUnicode_DATA(code->co_qualname);
    Py_DECREF(code);
    if (!same_frame) {
      *error = std::string(mismatch) + "the innermost frame read differs from PyEval_GetFrame()";
      return false;
    }
  }
  return true;
}

}  // namespace pyro::cpython
