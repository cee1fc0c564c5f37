#include "json_builder.h"

#include <cassert>
#include <iterator>

#include <fmt/format.h>

namespace pyro::report {

void JsonBuilder::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonBuilder& JsonBuilder::begin_object() {
  before_value();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

JsonBuilder& JsonBuilder::end_object() {
  assert(!first_.empty() && !after_key_);
  first_.pop_back();
  out_ += '}';
  return *this;
}

JsonBuilder& JsonBuilder::begin_array() {
  before_value();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

JsonBuilder& JsonBuilder::end_array() {
  assert(!first_.empty() && !after_key_);
  first_.pop_back();
  out_ += ']';
  return *this;
}

JsonBuilder& JsonBuilder::key(std::string_view name) {
  assert(!after_key_);
  before_value();
  append_json_string(out_, name, options_);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonBuilder& JsonBuilder::value(std::string_view text) {
  before_value();
  append_json_string(out_, text, options_);
  return *this;
}

JsonBuilder& JsonBuilder::value(double number) {
  before_value();
  append_json_double(out_, number);
  return *this;
}

JsonBuilder& JsonBuilder::value(int64_t number) {
  before_value();
  fmt::format_to(std::back_inserter(out_), "{}", number);
  return *this;
}

JsonBuilder& JsonBuilder::value(uint64_t number) {
  before_value();
  fmt::format_to(std::back_inserter(out_), "{}", number);
  return *this;
}

JsonBuilder& JsonBuilder::value(bool flag) {
  before_value();
  out_ += flag ? "true" : "false";
  return *this;
}

JsonBuilder& JsonBuilder::null() {
  before_value();
  out_ += "null";
  return *this;
}

}  // namespace pyro::report
