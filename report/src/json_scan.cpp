#include "json_scan.h"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace pyro::report::json_scan {

void fail(const char* what, size_t pos) {
  throw std::runtime_error(std::string("malformed JSON: ") + what + " at byte " + std::to_string(pos));
}

size_t skip_space(std::string_view text, size_t pos) {
  while (pos < text.size() &&
         (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t')) {
    ++pos;
  }
  return pos;
}

namespace {

size_t string_end(std::string_view text, size_t pos) {  // pos at the opening quote
  for (++pos; pos < text.size(); ++pos) {
    if (text[pos] == '\\') {
      ++pos;
    } else if (text[pos] == '"') {
      return pos + 1;
    }
  }
  fail("unterminated string", pos);
}

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

}  // namespace

size_t value_length(std::string_view text) {
  if (text.empty()) fail("expected a value", 0);
  const char first = text[0];
  if (first == '"') return string_end(text, 0);
  if (first == '{' || first == '[') {
    // Containers: track nesting, skipping strings whole so brackets inside them do not count.
    std::vector<char> open{first};
    size_t pos = 1;
    while (pos < text.size()) {
      const char c = text[pos];
      if (c == '"') {
        pos = string_end(text, pos);
        continue;
      }
      if (c == '{' || c == '[') {
        open.push_back(c);
      } else if (c == '}' || c == ']') {
        if (open.back() != (c == '}' ? '{' : '[')) fail("mismatched bracket", pos);
        open.pop_back();
        if (open.empty()) return pos + 1;
      }
      ++pos;
    }
    fail("unterminated container", pos);
  }
  for (std::string_view word : {"null", "true", "false"}) {
    if (text.substr(0, word.size()) == word) return word.size();
  }
  size_t pos = 0;
  while (pos < text.size() && is_number_char(text[pos])) ++pos;
  if (pos == 0) fail("unexpected character", 0);
  return pos;
}

std::optional<std::string_view> member(std::string_view object, std::string_view key) {
  std::optional<std::string_view> found;
  for_each_member(object, [&](std::string_view k, std::string_view v) {
    if (!found && k == key) found = v;
  });
  return found;
}

double to_double(std::string_view number) {
  if (number.empty() || !is_number_char(number[0])) return 0;
  const std::string copy(number);  // strtod wants a terminated string
  return std::strtod(copy.c_str(), nullptr);
}

uint64_t to_u64(std::string_view number) {
  if (number.empty() || number[0] == '-') return 0;
  uint64_t v = 0;
  for (char c : number) {
    if (c < '0' || c > '9') return static_cast<uint64_t>(to_double(number));
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

int64_t to_i64(std::string_view number) {
  if (!number.empty() && number[0] == '-') return -static_cast<int64_t>(to_u64(number.substr(1)));
  return static_cast<int64_t>(to_u64(number));
}

}  // namespace pyro::report::json_scan
