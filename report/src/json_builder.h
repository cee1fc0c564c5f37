// A small streaming JSON emitter: it places commas and colons, the caller the structure.
// Output is compact (no whitespace), which keeps large exports and the HTML page small.
#ifndef PYROMETER_REPORT_JSON_BUILDER_H
#define PYROMETER_REPORT_JSON_BUILDER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json_escape.h"

namespace pyro::report {

class JsonBuilder {
 public:
  explicit JsonBuilder(JsonEscapeOptions options = {}) : options_(options) {}

  JsonBuilder& begin_object();
  JsonBuilder& end_object();
  JsonBuilder& begin_array();
  JsonBuilder& end_array();
  JsonBuilder& key(std::string_view name);

  JsonBuilder& value(std::string_view text);
  JsonBuilder& value(const char* text) { return value(std::string_view(text)); }
  JsonBuilder& value(double number);
  JsonBuilder& value(int64_t number);
  JsonBuilder& value(uint64_t number);
  JsonBuilder& value(int32_t number) { return value(static_cast<int64_t>(number)); }
  JsonBuilder& value(uint32_t number) { return value(static_cast<uint64_t>(number)); }
  JsonBuilder& value(bool flag);
  JsonBuilder& null();

  // key(name).value(v) in one call.
  template <typename T>
  JsonBuilder& field(std::string_view name, T v) {
    key(name);
    return value(v);
  }

  // The document so far; complete once every begin_* has its end_*.
  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();

  JsonEscapeOptions options_;
  std::string out_;
  // One entry per open container: true until its first element was written.
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_JSON_BUILDER_H
