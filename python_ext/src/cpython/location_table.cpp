#include "cpython/location_table.h"

namespace pyro::cpython {
namespace {

// _PyCodeLocationInfoKind: bits 3-6 of an entry's first byte.
constexpr unsigned kShortFormLast = 9;  // 0-9: same line, column packed into one byte
constexpr unsigned kOneLine0 = 10;      // 10-12: line delta (code - 10), two column bytes
constexpr unsigned kOneLine2 = 12;
constexpr unsigned kNoColumns = 13;     // line delta (svarint), no columns
constexpr unsigned kLongForm = 14;      // line delta (svarint), end-line delta, 2 columns
constexpr unsigned kNoLocation = 15;    // artificial instruction: no line at all

// Reads the table without ever stepping past `end`. A failed read sets `ok` to false and
// the caller gives up; nothing is read twice, so a loop over entries is bounded by size.
struct TableReader {
  const uint8_t* at;
  const uint8_t* end;
  bool ok = true;

  uint8_t next_byte() {
    if (at >= end) {
      ok = false;
      return 0;
    }
    return *at++;
  }

  // Continuation bytes of an entry never have bit 7 set (that bit marks an entry's first
  // byte); checking it turns a truncated or misaligned table into a clean failure.
  uint8_t continuation_byte() {
    uint8_t byte = next_byte();
    if (byte & 0x80) ok = false;
    return byte;
  }

  // 6-bit chunks, least significant first, bit 6 set on all chunks but the last. Chunks
  // past 32 bits are consumed but ignored: no real line delta comes near that.
  uint32_t varint() {
    uint32_t value = 0;
    for (unsigned shift = 0;; shift += 6) {
      uint8_t chunk = continuation_byte();
      if (!ok) return 0;
      if (shift < 32) value |= static_cast<uint32_t>(chunk & 63) << shift;
      if (!(chunk & 64)) return value;
    }
  }

  int32_t svarint() {
    uint32_t raw = varint();
    int32_t magnitude = static_cast<int32_t>(raw >> 1);
    return (raw & 1) ? -magnitude : magnitude;
  }
};

}  // namespace

int line_for_offset(const uint8_t* table, size_t size, int first_line, long offset) {
  if (offset < 0) return first_line;
  if (table == nullptr) return -1;
  TableReader reader{table, table + size};
  // `line` is the running start line: every entry but "no location" moves it by a delta,
  // so it must be advanced through all entries before `offset`, not only located ones.
  int64_t line = first_line;
  long entry_start = 0;
  while (reader.at < reader.end) {
    uint8_t head = reader.next_byte();
    if (!(head & 0x80)) return -1;  // not at an entry boundary: malformed
    unsigned code = (head >> 3) & 15;
    long length = (head & 7) + 1;
    bool located = true;
    if (code <= kShortFormLast) {
      reader.continuation_byte();
    } else if (code <= kOneLine2) {
      line += code - kOneLine0;
      reader.continuation_byte();
      reader.continuation_byte();
    } else if (code == kNoColumns) {
      line += reader.svarint();
    } else if (code == kLongForm) {
      line += reader.svarint();
      reader.varint();  // end line delta
      reader.varint();  // start column + 1
      reader.varint();  // end column + 1
    } else {
      static_assert(kNoLocation == 15, "the four code bits have no other value");
      located = false;
    }
    if (!reader.ok) return -1;
    if (offset < entry_start + length) {
      // A negative line can only come from a corrupt table.
      if (!located || line < 0 || line > INT32_MAX) return -1;
      return static_cast<int>(line);
    }
    entry_start += length;
  }
  return -1;
}

}  // namespace pyro::cpython
