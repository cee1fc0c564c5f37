// The version-neutral face of the CPython-specific code. Exactly one implementation is
// compiled in, chosen by CMake from the Python it builds against (walker_311.cpp for 3.11,
// walker_313.cpp for 3.13). That file is the only one that includes CPython's internal
// headers; everything else in python_ext/ talks to the interpreter through this interface
// or through the public C API (walker_support.h holds what the walkers share).
// See docs/cpython-versions.md.
#pragma once

#include <Python.h>

#include <cstdint>
#include <string>

#include "pyrometer/walker_api.h"

namespace pyro::cpython {

// "3.11": the CPython minor version this build's walker reads.
const char* abi_name();

// Fills `walker` (ABI version, walk function, code ranges) and checks, against the public C
// API, that the walker reads this interpreter's memory layout correctly. Normal context,
// GIL held. Returns false with `error` set when the walker cannot be trusted.
bool prepare_walker(PyroWalker* walker, std::string* error);

// The walker itself (PyroWalker::walk_current_thread): see walker_api.h for the contract.
// Async-signal-safe; also callable from normal context (debug_walk, benchmarks).
int walk_current_thread(PyroPyFrame* out, int max, uint32_t* flags);

// Debug helpers for tests (normal context, GIL held).
// The line the walker would report for `code` (a code object) executing the code unit at
// `offset`; reads the code object exactly as the walker does.
int line_for_code_offset(PyObject* code, long offset);
// Writes the opcodes (as they appear in quickened bytecode) the walker counts as calls for
// PYRO_WALK_IN_CALL; returns how many (at most 256).
int call_family_opcodes(uint8_t out[256]);

}  // namespace pyro::cpython
