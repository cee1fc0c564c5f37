// Lock-free interning of Python functions, usable from the signal handler.
//
// A sample must not keep pointers to code objects: by the time the drain thread looks at
// it, the code object may have been freed and its address reused by another function
// (exec'd code, lambdas made in a loop). So the handler identifies a function by the
// content of (filename, qualname, first line) — a 64-bit hash — and copies the strings into
// a preallocated arena the first time it sees one. Ids are stable for the whole run.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "pyrometer/walker_api.h"

namespace pyro {

struct FunctionInfo {
  std::string path;  // UTF-8
  std::string name;  // UTF-8
  int32_t first_line = 0;
};

class FunctionTable {
 public:
  static constexpr uint32_t kLost = 0xFFFFFFFFu;  // table or arena full

  // capacity: number of slots (rounded up to a power of two); arena_bytes: string storage.
  // Memory comes from mmap and is only touched as it is used.
  bool init(size_t capacity, size_t arena_bytes);

  // Signal-safe. Returns the id of the function, inserting it on first sight.
  uint32_t intern(const PyroPyFrame& frame);

  // Normal context. False when the id is unknown or its entry is not published yet.
  bool lookup(uint32_t id, FunctionInfo* out) const;

  uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
  size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<uint64_t> hash;     // 0 = empty
    std::atomic<uint32_t> ready;    // 1 once the fields below are written
    uint32_t file_offset, file_len;
    uint32_t name_offset, name_len;
    int32_t first_line;
    uint8_t file_kind, name_kind;
  };

  bool copy_to_arena(const void* data, uint32_t len, uint32_t* offset);

  Slot* slots_ = nullptr;
  size_t mask_ = 0;
  char* arena_ = nullptr;
  size_t arena_size_ = 0;
  std::atomic<size_t> arena_used_{0};
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> lost_{0};
};

// Converts CPython string data (1, 2 or 4 bytes per character) to UTF-8.
std::string decode_python_string(const void* data, uint32_t byte_len, uint8_t kind);

}  // namespace pyro
