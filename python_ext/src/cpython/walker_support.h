// Version-neutral building blocks of the frame walkers (walker_3XX.cpp). Only the public C
// API layouts are used here (str, bytes, code objects as cpython/*.h declare them for the
// version being compiled); everything that needs CPython's internal headers stays in the
// walker files. The inline helpers run in the SIGPROF handler and follow the same rules as
// the walkers: no allocation, no calls, no errno, bounded work. See python_ext/README.md.
#pragma once

#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "cpython/location_table.h"
#include "pyrometer/walker_api.h"

namespace pyro::cpython {

// Names and file names longer than this are taken as garbage, not as data to copy.
constexpr Py_ssize_t kMaxStringChars = 1 << 16;
// A location table larger than this is taken as garbage (real ones are a few KB).
constexpr Py_ssize_t kMaxLineTableBytes = 1 << 24;
// Incomplete frames are skipped without using an output slot. They only exist at the top
// of a thread's stack while a call is being set up, so more than this many is garbage.
constexpr int kMaxSkippedFrames = 64;

// sizeof(_Py_CODEUNIT), an internal type since 3.12: each walker static_asserts it.
constexpr intptr_t kCodeUnitBytes = 2;

template <typename T>
bool is_aligned(const T* pointer) {
  return pointer != nullptr && reinterpret_cast<uintptr_t>(pointer) % alignof(T) == 0;
}

// Object pointers come from interpreter memory that may be mid-update. An object header
// is always pointer-aligned, so a misaligned value is garbage we must not dereference.
inline bool is_object_pointer(const void* pointer) {
  return pointer != nullptr && reinterpret_cast<uintptr_t>(pointer) % alignof(PyObject) == 0;
}

// The opcodes (as they appear in quickened bytecode) that count as calls, as a lookup table
// built at compile time from a version's list.
struct OpcodeTable {
  bool is_call[256];
};

template <size_t N>
constexpr OpcodeTable make_opcode_table(const uint8_t (&call_family)[N]) {
  OpcodeTable table{};
  for (uint8_t opcode : call_family) table.is_call[opcode] = true;
  return table;
}

// Writes the table's call opcodes in increasing order; returns how many (at most 256).
int list_call_opcodes(const OpcodeTable& table, uint8_t out[256]);

struct StringRef {
  const void* data;
  uint32_t bytes;
  uint8_t kind;
};

// co_filename / co_qualname as raw characters. Only exact, compact str objects are
// accepted: those keep their characters inline right after the header, so no pointer
// other than the object itself is followed and nothing is converted. Code objects always
// hold such strings (the compiler interns them), so a failure means `object` is not what
// the frame claims — e.g. the code object of a frame being popped was just freed and its
// memory reused. (3.11 also needs the `ready` bit, which 3.12 removed: its walker checks it.)
inline bool read_compact_string(PyObject* object, StringRef* out) {
  if (!is_object_pointer(object) || Py_TYPE(object) != &PyUnicode_Type) return false;
  const auto* ascii = reinterpret_cast<const PyASCIIObject*>(object);
  if (!ascii->state.compact) return false;
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

// co_linetable: an exact bytes object of a plausible size.
inline bool read_line_table(PyObject* table, LineTable* out) {
  if (!is_object_pointer(table) || Py_TYPE(table) != &PyBytes_Type) return false;
  Py_ssize_t size = Py_SIZE(table);
  if (size < 0 || size > kMaxLineTableBytes) return false;
  out->bytes = reinterpret_cast<const uint8_t*>(reinterpret_cast<PyBytesObject*>(table)->ob_sval);
  out->size = static_cast<size_t>(size);
  return true;
}

// A code object as the walker sees it, or false when `code` cannot be one.
inline bool is_code_object(const void* code) {
  // A popped frame keeps pointing at its code object after the frame released it; if that
  // was the last reference the memory may already hold another object. The exact type
  // check rejects most such reuse before any field of the code object is believed.
  const auto* object = static_cast<const PyObject*>(code);
  return is_object_pointer(code) && Py_TYPE(object) == &PyCode_Type &&
         Py_SIZE(reinterpret_cast<const PyVarObject*>(object)) > 0;
}

// A code object's bytecode offset (in code units) of `instruction`, or false when the
// pointer does not lie on a code unit in [bytecode - 1 unit, bytecode + n_units).
// Integer arithmetic: the pointers may be unrelated garbage.
inline bool code_unit_offset(const void* bytecode, Py_ssize_t n_units, const void* instruction,
                             Py_ssize_t* offset) {
  auto byte_offset = static_cast<intptr_t>(reinterpret_cast<uintptr_t>(instruction) -
                                           reinterpret_cast<uintptr_t>(bytecode));
  if (byte_offset % kCodeUnitBytes != 0) return false;
  *offset = byte_offset / kCodeUnitBytes;
  return *offset >= -1 && *offset < n_units;
}

// walk_current_thread() around a version's walk: argument checks, flags always written.
inline int checked_walk(int (*walk)(PyroPyFrame*, int, uint32_t*), PyroPyFrame* out, int max,
                        uint32_t* flags) {
  uint32_t walk_flags = 0;
  int written = (out == nullptr || max < 0) ? 0 : walk(out, max, &walk_flags);
  if (flags != nullptr) *flags = walk_flags;
  return written;
}

// A validation failure: report no Python frames, and no flag derived from them.
inline int drop_stack(uint32_t* flags) {
  *flags &= ~static_cast<uint32_t>(PYRO_WALK_IN_CALL | PYRO_WALK_TRUNCATED);
  return 0;
}

// Fills one output slot from a frame's validated strings and line table; the line is the
// one of the code unit at `offset`.
inline void fill_frame(PyroPyFrame* slot, const StringRef& file, const StringRef& name,
                       const LineTable& lines, int first_line, long offset, bool is_entry) {
  slot->file = file.data;
  slot->file_len = file.bytes;
  slot->file_kind = file.kind;
  slot->name = name.data;
  slot->name_len = name.bytes;
  slot->name_kind = name.kind;
  slot->is_entry = is_entry ? 1 : 0;
  slot->reserved = 0;
  slot->first_line = first_line;
  slot->line = line_for_offset(lines.bytes, lines.size, first_line, offset);
}

// The version-neutral half of prepare_walker(): runs `walk` from normal context (GIL held)
// and compares it with the public API — the thread state the walker found, the GIL flag,
// and the innermost frame against PyEval_GetFrame(). `version` names the walker in the
// error ("3.11").
bool check_walker_against_api(const char* version, PyThreadState* walker_tstate,
                              int (*walk)(PyroPyFrame*, int, uint32_t*), std::string* error);

}  // namespace pyro::cpython
