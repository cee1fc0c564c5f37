// The boundary between the signal-safe core (sampler/, preload/) and the CPython-specific
// code (python_ext/). The core never includes Python.h; everything it knows about the
// interpreter arrives through the PyroWalker table below, which python_ext registers at start.
//
// Both tables are plain C so that the preload library and the extension module (built as
// separate shared objects, possibly with different compilers) agree on the layout.
#ifndef PYROMETER_WALKER_API_H
#define PYROMETER_WALKER_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PYRO_WALKER_ABI_VERSION 1u

// String encodings as CPython stores them (PyUnicode kind): 1 byte per char (ASCII or
// Latin-1), 2 (UCS-2) or 4 (UCS-4). The core copies the raw bytes; report/ converts to UTF-8.
enum PyroStringKind { PYRO_STR_1BYTE = 1, PYRO_STR_2BYTE = 2, PYRO_STR_4BYTE = 4 };

// One Python frame as seen from the signal handler. The pointers reference interpreter
// memory of the interrupted thread and are only valid until the handler returns: the core
// copies (interns) what it keeps before returning.
typedef struct PyroPyFrame {
  const void* file;     // co_filename characters
  const void* name;     // co_qualname characters
  uint32_t file_len;    // in bytes
  uint32_t name_len;    // in bytes
  uint8_t file_kind;    // PyroStringKind
  uint8_t name_kind;    // PyroStringKind
  uint8_t is_entry;     // 1 when this frame was entered by its own C-level eval loop call
  uint8_t reserved;
  int32_t first_line;   // co_firstlineno
  int32_t line;         // line of the instruction executing now, -1 when unknown
} PyroPyFrame;

// Flags the walker reports about the interrupted thread.
enum PyroWalkFlags {
  PYRO_WALK_GIL_HELD = 1u << 0,      // this thread holds the GIL right now
  PYRO_WALK_IN_CALL = 1u << 1,       // innermost frame is executing a call instruction
  PYRO_WALK_TRUNCATED = 1u << 2,     // more frames existed than fitted
  PYRO_WALK_HAS_THREAD_STATE = 1u << 3,  // the thread is known to the interpreter
};

// An address range [start, end) of machine code.
typedef struct PyroCodeRange {
  uintptr_t start;
  uintptr_t end;
} PyroCodeRange;

typedef struct PyroWalker {
  uint32_t abi_version;  // PYRO_WALKER_ABI_VERSION

  // Called from the signal handler on the interrupted thread (async-signal-safe: no
  // allocation, no locks, no refcounts). Writes up to `max` frames, innermost first, and
  // returns how many; 0 when the thread runs no Python code. The core arms fault
  // protection (see safe_access.h) around this call, so a read of freed memory aborts the
  // walk instead of crashing the process.
  int (*walk_current_thread)(PyroPyFrame* out, int max, uint32_t* flags);

  // Machine code that executes Python bytecode: the eval loop and the interpreter's own
  // helpers. A PC inside `eval_loop` is always Python time; a PC elsewhere inside
  // `interpreter` is Python time unless the innermost frame is executing a call
  // (then it is a C builtin: native time). Filled once at registration.
  PyroCodeRange eval_loop;
  PyroCodeRange interpreter;
} PyroWalker;

#ifdef __cplusplus
}
#endif

#endif  // PYROMETER_WALKER_API_H
