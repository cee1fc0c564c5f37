// Test support: a strict little JSON parser, so tests check the reports as a JSON reader
// sees them (syntax, types, decoded strings) rather than by string matching.
#ifndef PYROMETER_REPORT_TESTING_MINI_JSON_H
#define PYROMETER_REPORT_TESTING_MINI_JSON_H

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace pyro::report::testing {

struct Json {
  enum Type { kNull, kBool, kInt, kFloat, kString, kArray, kObject } type = kNull;
  bool boolean = false;
  double number = 0;  // kInt and kFloat
  std::string text;
  std::vector<Json> items;
  std::map<std::string, Json> fields;

  bool has(const std::string& key) const { return type == kObject && fields.count(key) != 0; }
  const Json& operator[](const std::string& key) const {
    auto it = fields.find(key);
    if (type != kObject || it == fields.end()) throw std::runtime_error("no key " + key);
    return it->second;
  }
  const Json& operator[](size_t i) const { return items.at(i); }
  bool is_number() const { return type == kInt || type == kFloat; }

  static Json parse(const std::string& s) {
    size_t pos = 0;
    Json v = parse_value(s, pos);
    skip_space(s, pos);
    if (pos != s.size()) throw std::runtime_error("trailing characters at " + std::to_string(pos));
    return v;
  }

 private:
  [[noreturn]] static void fail(const std::string& what, size_t pos) {
    throw std::runtime_error(what + " at " + std::to_string(pos));
  }
  static void skip_space(const std::string& s, size_t& pos) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\n' || s[pos] == '\r' || s[pos] == '\t')) ++pos;
  }
  static void expect(const std::string& s, size_t& pos, const char* word) {
    for (const char* p = word; *p; ++p, ++pos) {
      if (pos >= s.size() || s[pos] != *p) fail(std::string("expected ") + word, pos);
    }
  }
  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  static uint32_t hex4(const std::string& s, size_t& pos) {
    if (pos + 4 > s.size()) fail("short \\u escape", pos);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      char c = s[pos];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else fail("bad hex digit", pos);
    }
    return v;
  }
  static std::string parse_string(const std::string& s, size_t& pos) {
    if (pos >= s.size() || s[pos] != '"') fail("expected string", pos);
    ++pos;
    std::string out;
    for (;;) {
      if (pos >= s.size()) fail("unterminated string", pos);
      char c = s[pos++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("raw control character in string", pos);
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos >= s.size()) fail("unterminated escape", pos);
      char e = s[pos++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = hex4(s, pos);
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            expect(s, pos, "\\u");
            uint32_t low = hex4(s, pos);
            if (low < 0xDC00 || low > 0xDFFF) fail("bad surrogate pair", pos);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("lone low surrogate", pos);
          }
          append_utf8(out, cp);
          break;
        }
        default: fail("bad escape", pos);
      }
    }
  }
  static Json parse_value(const std::string& s, size_t& pos) {
    skip_space(s, pos);
    if (pos >= s.size()) fail("unexpected end", pos);
    Json v;
    char c = s[pos];
    if (c == '{') {
      v.type = kObject;
      ++pos;
      skip_space(s, pos);
      if (pos < s.size() && s[pos] == '}') { ++pos; return v; }
      for (;;) {
        skip_space(s, pos);
        std::string key = parse_string(s, pos);
        skip_space(s, pos);
        expect(s, pos, ":");
        if (v.fields.count(key)) fail("duplicate key " + key, pos);
        v.fields[key] = parse_value(s, pos);
        skip_space(s, pos);
        if (pos < s.size() && s[pos] == ',') { ++pos; continue; }
        expect(s, pos, "}");
        return v;
      }
    }
    if (c == '[') {
      v.type = kArray;
      ++pos;
      skip_space(s, pos);
      if (pos < s.size() && s[pos] == ']') { ++pos; return v; }
      for (;;) {
        v.items.push_back(parse_value(s, pos));
        skip_space(s, pos);
        if (pos < s.size() && s[pos] == ',') { ++pos; continue; }
        expect(s, pos, "]");
        return v;
      }
    }
    if (c == '"') {
      v.type = kString;
      v.text = parse_string(s, pos);
      return v;
    }
    if (c == 't') { expect(s, pos, "true"); v.type = kBool; v.boolean = true; return v; }
    if (c == 'f') { expect(s, pos, "false"); v.type = kBool; return v; }
    if (c == 'n') { expect(s, pos, "null"); return v; }
    size_t start = pos;
    if (s[pos] == '-') ++pos;
    bool is_float = false;
    while (pos < s.size() && (isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.' || s[pos] == 'e' ||
                              s[pos] == 'E' || s[pos] == '+' || s[pos] == '-')) {
      if (s[pos] == '.' || s[pos] == 'e' || s[pos] == 'E') is_float = true;
      ++pos;
    }
    if (pos == start) fail("unexpected character", pos);
    std::string number = s.substr(start, pos - start);
    char* end = nullptr;
    v.number = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) fail("bad number " + number, start);
    v.type = is_float ? kFloat : kInt;
    return v;
  }
};

}  // namespace pyro::report::testing

#endif  // PYROMETER_REPORT_TESTING_MINI_JSON_H
