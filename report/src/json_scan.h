// A reader for JSON this program wrote itself: it finds where values start and end without
// building a tree, so the HTML writer can take the document JsonWriter produced apart (the
// stacks out, the page's own data in) without a second copy of everything. Strict enough to
// refuse malformed input (it throws std::runtime_error), but it does not decode strings.
#ifndef PYROMETER_REPORT_JSON_SCAN_H
#define PYROMETER_REPORT_JSON_SCAN_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pyro::report::json_scan {

// Length of the JSON value at the start of text (no leading whitespace).
size_t value_length(std::string_view text);

// Skips JSON whitespace from pos.
size_t skip_space(std::string_view text, size_t pos);

// Calls fn(key, value) for each member of an object, in order. key is the raw text between
// the quotes (still escaped); value is the member's raw JSON text.
template <typename Fn>
void for_each_member(std::string_view object, Fn&& fn);

// Calls fn(item) with each element's raw JSON text.
template <typename Fn>
void for_each_item(std::string_view array, Fn&& fn);

// The raw value of object[key], if present (keys compared unescaped-as-written).
std::optional<std::string_view> member(std::string_view object, std::string_view key);

// Numbers as written by JsonBuilder; anything else (null, a string) reads as 0.
double to_double(std::string_view number);
uint64_t to_u64(std::string_view number);
int64_t to_i64(std::string_view number);

// ---- implementation of the templates ----------------------------------------------------

[[noreturn]] void fail(const char* what, size_t pos);

template <typename Fn>
void for_each_member(std::string_view object, Fn&& fn) {
  size_t pos = skip_space(object, 0);
  if (pos >= object.size() || object[pos] != '{') fail("expected an object", pos);
  pos = skip_space(object, pos + 1);
  if (pos < object.size() && object[pos] == '}') return;
  while (true) {
    if (pos >= object.size() || object[pos] != '"') fail("expected a key", pos);
    const size_t key_length = value_length(object.substr(pos));
    const std::string_view key = object.substr(pos + 1, key_length - 2);
    pos = skip_space(object, pos + key_length);
    if (pos >= object.size() || object[pos] != ':') fail("expected ':'", pos);
    pos = skip_space(object, pos + 1);
    const size_t length = value_length(object.substr(pos));
    fn(key, object.substr(pos, length));
    pos = skip_space(object, pos + length);
    if (pos < object.size() && object[pos] == ',') {
      pos = skip_space(object, pos + 1);
      continue;
    }
    if (pos < object.size() && object[pos] == '}') return;
    fail("expected ',' or '}'", pos);
  }
}

template <typename Fn>
void for_each_item(std::string_view array, Fn&& fn) {
  size_t pos = skip_space(array, 0);
  if (pos >= array.size() || array[pos] != '[') fail("expected an array", pos);
  pos = skip_space(array, pos + 1);
  if (pos < array.size() && array[pos] == ']') return;
  while (true) {
    const size_t length = value_length(array.substr(pos));
    fn(array.substr(pos, length));
    pos = skip_space(array, pos + length);
    if (pos < array.size() && array[pos] == ',') {
      pos = skip_space(array, pos + 1);
      continue;
    }
    if (pos < array.size() && array[pos] == ']') return;
    fail("expected ',' or ']'", pos);
  }
}

}  // namespace pyro::report::json_scan

#endif  // PYROMETER_REPORT_JSON_SCAN_H
