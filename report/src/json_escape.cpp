#include "json_escape.h"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace pyro::report {

namespace {

// Length of the valid UTF-8 sequence at s[0], or 0 when it is not one (overlong forms,
// surrogates and code points above U+10FFFF are invalid). Sets *code_point.
size_t utf8_sequence(std::string_view s, uint32_t* code_point) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = byte(0);
  size_t length;
  uint32_t cp;
  uint32_t min;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return length;
}

void append_u_escape(std::string& out, uint32_t code_unit) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code_unit >> shift) & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view text, JsonEscapeOptions options) {
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    const size_t length = utf8_sequence(text.substr(i), &cp);
    if (length == 0) {
      append_u_escape(out, 0xFFFD);
      ++i;
      continue;
    }
    if (length > 1) {
      if (cp == 0x2028 || cp == 0x2029) {
        append_u_escape(out, cp);
      } else {
        out.append(text.data() + i, length);
      }
      i += length;
      continue;
    }
    const char c = text[i++];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '<':
      case '>':
      case '&':
      case 0x7F: append_u_escape(out, static_cast<uint8_t>(c)); break;
      case '/':
        if (options.escape_slash) {
          out += "\\/";
        } else {
          out += '/';
        }
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20) {
          append_u_escape(out, static_cast<uint8_t>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_double(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "0.0";
    return;
  }
  const size_t start = out.size();
  fmt::format_to(std::back_inserter(out), "{}", value);
  if (out.find_first_of(".eE", start) == std::string::npos) out += ".0";
}

}  // namespace pyro::report
