// Decoder for CPython's location table (`co_linetable`), the format used by 3.11, 3.12 and
// 3.13 (CPython's Objects/locations.md). Version-neutral: it sees only the raw bytes, never
// a Python object, so each version's walker can call it from a signal handler.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pyro::cpython {

// The source line of the code unit at `offset` (counted in 2-byte code units from the
// start of the bytecode), given the table bytes and co_firstlineno.
//
// Returns -1 when the entry covering `offset` has no location (an artificial instruction),
// when `offset` lies beyond the table, or when the table is malformed. A negative offset
// (a frame that has not executed its first instruction) maps to `first_line`, as
// PyCode_Addr2Line does.
//
// Async-signal-safe: no allocation, no calls; every read is bounds-checked against `size`,
// and the loop consumes at least one byte per iteration, so it ends after `size` steps.
int line_for_offset(const uint8_t* table, size_t size, int first_line, long offset);

}  // namespace pyro::cpython
