#include "function_table.h"

#include <sys/mman.h>

#include <cstring>

namespace pyro {
namespace {

// A small, fast, signal-safe mixing hash (no tables, no allocation). Collisions between
// distinct functions would merge them; at 64 bits that is negligible for any real program.
inline uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 32);
}

uint64_t hash_bytes(uint64_t h, const void* data, uint32_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = mix(h, w);
  }
  uint64_t tail = 0;
  for (uint32_t k = 0; i < len; ++i, ++k) tail |= uint64_t(p[i]) << (8 * k);
  return mix(mix(h, tail), len);
}

void* map_anonymous(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

bool FunctionTable::init(size_t capacity, size_t arena_bytes) {
  size_t n = 1;
  while (n < capacity) n <<= 1;
  slots_ = static_cast<Slot*>(map_anonymous(n * sizeof(Slot)));  // zero-filled = all empty
  arena_ = static_cast<char*>(map_anonymous(arena_bytes));
  if (!slots_ || !arena_) return false;
  mask_ = n - 1;
  arena_size_ = arena_bytes;
  return true;
}

bool FunctionTable::copy_to_arena(const void* data, uint32_t len, uint32_t* offset) {
  size_t at = arena_used_.fetch_add(len, std::memory_order_relaxed);
  if (at + len > arena_size_ || at + len > UINT32_MAX) return false;
  std::memcpy(arena_ + at, data, len);
  *offset = static_cast<uint32_t>(at);
  return true;
}

uint32_t FunctionTable::intern(const PyroPyFrame& f) {
  uint64_t h = hash_bytes(0x70797261ULL + f.file_kind, f.file, f.file_len);
  h = hash_bytes(mix(h, f.name_kind), f.name, f.name_len);
  h = mix(h, static_cast<uint32_t>(f.first_line));
  if (h == 0) h = 1;

  // Keep the load factor under 3/4 so probing stays short.
  const size_t max_count = (mask_ + 1) / 4 * 3;
  for (size_t i = h & mask_, probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
    Slot& s = slots_[i];
    uint64_t cur = s.hash.load(std::memory_order_acquire);
    if (cur == h) return static_cast<uint32_t>(i);
    if (cur != 0) continue;
    if (count_.load(std::memory_order_relaxed) >= max_count) break;
    uint64_t expected = 0;
    if (!s.hash.compare_exchange_strong(expected, h, std::memory_order_acq_rel)) {
      if (expected == h) return static_cast<uint32_t>(i);
      continue;  // another function took this slot meanwhile
    }
    count_.fetch_add(1, std::memory_order_relaxed);
    if (!copy_to_arena(f.file, f.file_len, &s.file_offset) ||
        !copy_to_arena(f.name, f.name_len, &s.name_offset)) {
      // The slot stays claimed but never ready: lookups of it fail and the writer names
      // it "<unknown>". Counted so the report can say names were lost.
      lost_.fetch_add(1, std::memory_order_relaxed);
      return static_cast<uint32_t>(i);
    }
    s.file_len = f.file_len;
    s.name_len = f.name_len;
    s.file_kind = f.file_kind;
    s.name_kind = f.name_kind;
    s.first_line = f.first_line;
    s.ready.store(1, std::memory_order_release);
    return static_cast<uint32_t>(i);
  }
  lost_.fetch_add(1, std::memory_order_relaxed);
  return kLost;
}

bool FunctionTable::lookup(uint32_t id, FunctionInfo* out) const {
  if (!slots_ || id > mask_) return false;
  const Slot& s = slots_[id];
  if (s.ready.load(std::memory_order_acquire) != 1) return false;
  out->path = decode_python_string(arena_ + s.file_offset, s.file_len, s.file_kind);
  out->name = decode_python_string(arena_ + s.name_offset, s.name_len, s.name_kind);
  out->first_line = s.first_line;
  return true;
}

std::string decode_python_string(const void* data, uint32_t byte_len, uint8_t kind) {
  std::string out;
  if (kind != 1 && kind != 2 && kind != 4) return out;
  out.reserve(byte_len);
  const auto* p = static_cast<const unsigned char*>(data);
  for (uint32_t i = 0; i + kind <= byte_len; i += kind) {
    uint32_t c = 0;
    std::memcpy(&c, p + i, kind);  // little-endian code unit
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;  // lone surrogates
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

}  // namespace pyro
