#include "html_page_data.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "json_scan.h"

namespace pyro::report {

using format::FrameKind;
namespace sc = format;

namespace {

// The counters of a page stack, in the order page.stacks writes them.
enum PageCounter : size_t {
  kSamples, kCpuPythonUs, kCpuNativeUs, kCpuSystemUs, kWallUs, kGilHeldUs, kGilWaitUs,
  kAllocBytes, kPageCounterCount
};
constexpr std::array<const char*, kPageCounterCount> kCounterNames = {
    "samples", "cpu_python_us", "cpu_native_us", "cpu_system_us",
    "wall_us", "gil_held_us",   "gil_wait_us",   "alloc_bytes"};
using PageCounters = std::array<uint64_t, kPageCounterCount>;

constexpr uint32_t kNoFrame = UINT32_MAX;
constexpr std::string_view kOtherFrame =
    R"json({"kind":"other","name":"(other stacks)","path":null,"line":null,"module":null})json";

uint64_t us(uint64_t ns) { return (ns + 500) / 1000; }
uint64_t us_from_s(double s) { return s > 0 ? static_cast<uint64_t>(std::llround(s * 1e6)) : 0; }

struct PageStack {
  uint32_t thread = 0;
  std::vector<uint32_t> frames;  // interned ids, root first
  int32_t charged = -1;          // position in frames of the charged frame
  PageCounters counters{};
  uint64_t cpu_us() const {
    return counters[kCpuPythonUs] + counters[kCpuNativeUs] + counters[kCpuSystemUs];
  }
};

// What the scan of the document's "stacks" found.
struct StackTable {
  std::vector<std::string_view> frame_text;  // by interned id
  std::vector<bool> frame_is_python;         // kind "python" (real or "<truncated>")
  std::vector<std::pair<uint32_t, uint32_t>> threads;  // (pid, tid) by index
  std::vector<PageStack> stacks;
  bool split_known = true;  // python/native/system and GIL counters came from the profile
};

// Python frames as the JSON export writes them ("<truncated>" counts as python there).
bool python_like(const Frame& frame) {
  return frame.kind == FrameKind::kPython || frame.kind == FrameKind::kTruncated;
}

// The document's "stacks", read: frames interned by their JSON text, threads by (pid, tid).
StackTable scan_stacks(std::string_view stacks_json) {
  StackTable table;
  std::unordered_map<std::string_view, uint32_t> frame_ids;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> thread_ids;
  json_scan::for_each_item(stacks_json, [&](std::string_view item) {
    PageStack stack;
    uint32_t pid = 0;
    uint32_t tid = 0;
    json_scan::for_each_member(item, [&](std::string_view key, std::string_view value) {
      if (key == "pid") pid = static_cast<uint32_t>(json_scan::to_u64(value));
      else if (key == "tid") tid = static_cast<uint32_t>(json_scan::to_u64(value));
      // Without the profile's split (see charge_stacks), all of the CPU shows as Python.
      else if (key == "cpu_s") stack.counters[kCpuPythonUs] = us_from_s(json_scan::to_double(value));
      else if (key == "wall_s") stack.counters[kWallUs] = us_from_s(json_scan::to_double(value));
      else if (key == "alloc_bytes") stack.counters[kAllocBytes] = json_scan::to_u64(value);
      else if (key == "samples") stack.counters[kSamples] = json_scan::to_u64(value);
      // Documents from this json_writer carry the split themselves (keys after cpu_s).
      else if (key == "cpu_python_s") stack.counters[kCpuPythonUs] = us_from_s(json_scan::to_double(value));
      else if (key == "cpu_native_s") stack.counters[kCpuNativeUs] = us_from_s(json_scan::to_double(value));
      else if (key == "cpu_system_s") stack.counters[kCpuSystemUs] = us_from_s(json_scan::to_double(value));
      else if (key == "gil_held_s") stack.counters[kGilHeldUs] = us_from_s(json_scan::to_double(value));
      else if (key == "gil_wait_s") stack.counters[kGilWaitUs] = us_from_s(json_scan::to_double(value));
      else if (key == "charged_frame" && value != "null") stack.charged = static_cast<int32_t>(json_scan::to_i64(value));
      else if (key == "frames") {
        json_scan::for_each_item(value, [&](std::string_view frame) {
          auto [it, inserted] = frame_ids.try_emplace(frame, static_cast<uint32_t>(table.frame_text.size()));
          if (inserted) {
            table.frame_text.push_back(frame);
            table.frame_is_python.push_back(json_scan::member(frame, "kind").value_or("") == "\"python\"");
          }
          stack.frames.push_back(it->second);
        });
      }
    });
    auto [tit, inserted] = thread_ids.try_emplace({pid, tid}, static_cast<uint32_t>(table.threads.size()));
    if (inserted) table.threads.emplace_back(pid, tid);
    stack.thread = tit->second;
    if (stack.charged >= static_cast<int32_t>(stack.frames.size())) stack.charged = -1;
    table.stacks.push_back(std::move(stack));
  });
  return table;
}

// Stack indices, heaviest first: each stack weighed by its largest share of any total.
std::vector<size_t> heaviest_first(const StackTable& table) {
  PageCounters totals{};
  for (const PageStack& stack : table.stacks) {
    for (size_t k = 0; k < kPageCounterCount; ++k) totals[k] += stack.counters[k];
  }
  const uint64_t total_cpu = totals[kCpuPythonUs] + totals[kCpuNativeUs] + totals[kCpuSystemUs];
  auto share = [](uint64_t part, uint64_t whole) { return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0; };
  std::vector<double> weight(table.stacks.size());
  for (size_t s = 0; s < table.stacks.size(); ++s) {
    const PageStack& st = table.stacks[s];
    weight[s] = std::max({share(st.cpu_us(), total_cpu), share(st.counters[kWallUs], totals[kWallUs]),
                          share(st.counters[kAllocBytes], totals[kAllocBytes]),
                          1e-3 * share(st.counters[kSamples], totals[kSamples])});
  }
  std::vector<size_t> order(table.stacks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return weight[a] > weight[b]; });
  return order;
}

// The prefix tree of the stacks written, and the frames it uses, numbered as written.
class TreeWriter {
 public:
  explicit TreeWriter(const StackTable& table) : table_(table), frame_out_(table.frame_text.size() + 1, -1) {}

  // The node for frame (an interned id, or kNoFrame for "(other stacks)") under parent.
  int64_t node(int64_t parent, uint32_t frame) {
    const int64_t f = frame_id(frame);
    const uint64_t key = (static_cast<uint64_t>(parent + 1) << 32) | static_cast<uint64_t>(f);
    auto [it, inserted] = node_ids_.try_emplace(key, static_cast<int64_t>(nodes_.size()));
    if (inserted) nodes_.emplace_back(parent, f);
    return it->second;
  }

  // "funcs", "frames" and "nodes", each preceded by a comma.
  void append(std::string& out) const {
    // Frames as [function, line]: a function's other fields are written once, in "funcs".
    std::unordered_map<std::string, size_t> func_ids;
    std::string funcs;
    std::string frames;
    for (size_t f = 0; f < frames_written_.size(); ++f) {
      std::string func = "{";
      std::string_view line = "null";
      json_scan::for_each_member(frames_written_[f], [&](std::string_view key, std::string_view value) {
        if (key == "line") {
          line = value;
          return;
        }
        if (func.size() > 1) func += ',';
        func += '"';
        func.append(key);
        func += "\":";
        func.append(value);
      });
      func += '}';
      auto [it, inserted] = func_ids.try_emplace(func, func_ids.size());
      if (inserted) {
        if (!funcs.empty()) funcs += ',';
        funcs += func;
      }
      fmt::format_to(std::back_inserter(frames), "{}[{},{}]", f ? "," : "", it->second, line);
    }
    out += ",\"funcs\":[" + funcs + "],\"frames\":[" + frames + "],\"nodes\":[";
    // Nodes as [distance back to the parent (0: a root), frame]: a stack's nodes are mostly
    // created one after the other, so most distances are 1.
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const auto [parent, frame] = nodes_[n];
      fmt::format_to(std::back_inserter(out), "{}{},{}", n ? "," : "", parent < 0 ? 0 : static_cast<int64_t>(n) - parent, frame);
    }
    out += ']';
  }

 private:
  int64_t frame_id(uint32_t f) {
    const size_t slot = f == kNoFrame ? table_.frame_text.size() : f;
    if (frame_out_[slot] < 0) {
      frame_out_[slot] = static_cast<int64_t>(frames_written_.size());
      frames_written_.push_back(f == kNoFrame ? kOtherFrame : table_.frame_text[f]);
    }
    return frame_out_[slot];
  }

  const StackTable& table_;
  std::vector<int64_t> frame_out_;  // by interned id (last: "(other stacks)"); -1: unwritten
  std::vector<std::string_view> frames_written_;
  std::unordered_map<uint64_t, int64_t> node_ids_;  // (parent + 1) << 32 | frame
  std::vector<std::pair<int64_t, int64_t>> nodes_;  // (parent, frame)
};

// The charged frame and the CPU split come from the profile, stack for stack, as long as the
// document's stacks line up with the profile's (same count, same Python frames: native
// frames may expand into inlined ones). Otherwise: the charged lines of the line table,
// found in the document's own frames.
void charge_stacks(const Profile& profile, const LineModel& model, const JsonEscapeOptions& escape, StackTable& table) {
  const bool aligned = table.stacks.size() == profile.stacks.size();
  std::unordered_map<uint32_t, std::string> resolved;  // function id -> path
  auto resolve = [&](uint32_t function_id, const FunctionInfo& fn) -> const std::string& {
    auto it = resolved.find(function_id);
    if (it == resolved.end()) it = resolved.emplace(function_id, model.filter().resolve(fn.path)).first;
    return it->second;
  };
  std::unordered_set<std::string> charged_lines;  // "<path as JSON>\x1f<line>" of the line table
  auto fallback_charge = [&](const PageStack& stack) -> int32_t {
    if (charged_lines.empty()) {
      for (const FileLines& file : model.files()) {
        std::string path;
        append_json_string(path, file.path, escape);
        for (const auto& entry : file.lines) charged_lines.insert(fmt::format("{}\x1f{}", path, entry.first));
      }
    }
    for (size_t i = stack.frames.size(); i-- > 0;) {
      if (!table.frame_is_python[stack.frames[i]]) continue;
      const std::string_view frame = table.frame_text[stack.frames[i]];
      const auto path = json_scan::member(frame, "path");
      const auto line = json_scan::member(frame, "line");
      if (!path || !line) continue;
      if (charged_lines.count(fmt::format("{}\x1f{}", *path, *line)) != 0) return static_cast<int32_t>(i);
    }
    return -1;
  };

  for (size_t s = 0; s < table.stacks.size(); ++s) {
    PageStack& stack = table.stacks[s];
    if (stack.charged >= 0) continue;  // the document said so itself
    size_t python_in_doc = 0;
    for (uint32_t f : stack.frames) python_in_doc += table.frame_is_python[f] ? 1 : 0;
    const StackRecord* record = aligned ? &profile.stacks[s] : nullptr;
    if (record != nullptr &&
        python_in_doc != static_cast<size_t>(std::count_if(record->frames.begin(), record->frames.end(), python_like))) {
      record = nullptr;
    }
    if (record == nullptr) {
      table.split_known = false;
      stack.charged = fallback_charge(stack);
      continue;
    }
    const StackCounters& c = record->counters;
    stack.counters[kSamples] = c[sc::kSamples];
    stack.counters[kCpuPythonUs] = us(c[sc::kCpuPythonNs]);
    stack.counters[kCpuNativeUs] = us(c[sc::kCpuNativeNs]);
    stack.counters[kCpuSystemUs] = us(c[sc::kCpuSystemNs]);
    stack.counters[kWallUs] = us(c[sc::kWallNs]);
    stack.counters[kGilHeldUs] = us(c[sc::kGilHeldNs]);
    stack.counters[kGilWaitUs] = us(c[sc::kGilWaitNs]);
    stack.counters[kAllocBytes] = c[sc::kAllocBytes];
    const LineModel::Charge charge = model.charges()[s];
    if (charge.file == LineModel::kUnattributed) continue;
    const std::string& want_path = model.files()[charge.file].path;
    for (size_t i = record->frames.size(); i-- > 0;) {
      const Frame& frame = record->frames[i];
      if (frame.kind != FrameKind::kPython) continue;
      auto fn = profile.functions.find(frame.function_id);
      if (fn == profile.functions.end()) continue;
      const int32_t line = frame.line > 0 ? frame.line : fn->second.first_line;
      if (line != charge.line || resolve(frame.function_id, fn->second) != want_path) continue;
      // The same frame in the document: the one with as many Python frames before it.
      const auto ordinal = std::count_if(record->frames.begin(), record->frames.begin() + static_cast<std::ptrdiff_t>(i), python_like);
      std::ptrdiff_t seen = 0;
      for (size_t p = 0; p < stack.frames.size(); ++p) {
        if (table.frame_is_python[stack.frames[p]] && seen++ == ordinal) {
          stack.charged = static_cast<int32_t>(p);
          break;
        }
      }
      break;
    }
  }
}

void append_stack_row(std::string& rows, uint32_t thread, int64_t leaf, int64_t charged_up, const PageCounters& c) {
  if (!rows.empty()) rows += ',';
  fmt::format_to(std::back_inserter(rows), "[{},{},{}", thread, leaf, charged_up);
  for (uint64_t v : c) fmt::format_to(std::back_inserter(rows), ",{}", v);
  rows += ']';
}

}  // namespace

std::string HtmlPageData::build(std::string_view document) const {
  std::string out;
  out.reserve(document.size() / 2 + 4096);
  out += '{';
  bool first = true;
  std::string_view stacks = "[]";
  json_scan::for_each_member(document, [&](std::string_view key, std::string_view value) {
    if (key == "stacks") {
      stacks = value;
      return;
    }
    if (key == "page") return;  // ours to write
    if (!first) out += ',';
    first = false;
    out += '"';
    out.append(key);
    out += "\":";
    out.append(value);
  });
  if (!first) out += ',';
  out += "\"page\":{";
  append_stacks(out, stacks);
  out += ',';
  append_sources(out);
  out += "}}";
  return out;
}

void HtmlPageData::append_stacks(std::string& out, std::string_view stacks_json) const {
  StackTable table = scan_stacks(stacks_json);
  charge_stacks(profile_, model_, options_.escape, table);
  const std::vector<size_t> order = heaviest_first(table);
  const size_t kept = std::min(order.size(), options_.stack_cap);

  TreeWriter tree(table);
  std::string rows;
  for (size_t r = 0; r < kept; ++r) {
    const PageStack& stack = table.stacks[order[r]];
    int64_t leaf = -1;
    for (uint32_t frame : stack.frames) leaf = tree.node(leaf, frame);
    // The charged frame as its distance from the leaf (mostly 0 or small): fewer digits.
    const int64_t charged_up = stack.charged < 0 ? -1 : static_cast<int64_t>(stack.frames.size()) - 1 - stack.charged;
    append_stack_row(rows, stack.thread, leaf, charged_up, stack.counters);
  }
  // The rest, per thread and charged frame; per thread alone should even that be too many.
  std::map<std::pair<uint32_t, uint32_t>, PageCounters> merged;
  auto merge_into = [&](std::pair<uint32_t, uint32_t> key, const PageCounters& c) {
    PageCounters& sum = merged[key];
    for (size_t k = 0; k < kPageCounterCount; ++k) sum[k] += c[k];
  };
  for (size_t r = kept; r < order.size(); ++r) {
    const PageStack& stack = table.stacks[order[r]];
    merge_into({stack.thread, stack.charged >= 0 ? stack.frames[static_cast<size_t>(stack.charged)] : kNoFrame}, stack.counters);
  }
  if (merged.size() > std::max<size_t>(options_.stack_cap, 1)) {
    std::map<std::pair<uint32_t, uint32_t>, PageCounters> by_line;
    merged.swap(by_line);
    for (const auto& [key, c] : by_line) merge_into({key.first, kNoFrame}, c);
  }
  for (const auto& [key, c] : merged) {
    const int64_t other = tree.node(-1, kNoFrame);
    if (key.second == kNoFrame) {
      append_stack_row(rows, key.first, other, -1, c);
    } else {
      append_stack_row(rows, key.first, tree.node(other, key.second), 0, c);
    }
  }

  fmt::format_to(std::back_inserter(out),
                 "\"stack_cap\":{},\"stacks_total\":{},\"stacks_kept\":{},\"stacks_merged\":{},\"split_known\":{},",
                 options_.stack_cap, table.stacks.size(), kept, table.stacks.size() - kept,
                 table.split_known ? "true" : "false");
  out += "\"counters\":[";
  for (size_t k = 0; k < kPageCounterCount; ++k) fmt::format_to(std::back_inserter(out), "{}\"{}\"", k ? "," : "", kCounterNames[k]);
  out += "],\"threads\":[";
  for (size_t t = 0; t < table.threads.size(); ++t) {
    fmt::format_to(std::back_inserter(out), "{}[{},{}]", t ? "," : "", table.threads[t].first, table.threads[t].second);
  }
  out += ']';
  tree.append(out);
  out += ",\"stacks\":[" + rows + ']';
}

void HtmlPageData::append_sources(std::string& out) const {
  out += "\"sources\":[";
  size_t budget = options_.source_budget_bytes;
  bool first_file = true;
  for (const FileLines& file : model_.files()) {
    if (!first_file) out += ',';
    first_file = false;
    out += "{\"path\":";
    append_json_string(out, file.path, options_.escape);
    const SourceText* text = sources_ != nullptr ? sources_->get(file.path) : nullptr;
    if (text == nullptr) {
      out += ",\"chunks\":null,\"line_count\":0,\"truncated\":false,\"partial\":false}";
      continue;
    }
    const size_t count = text->lines.size();
    size_t bytes = 0;
    for (const std::string& line : text->lines) bytes += line.size() + 1;
    // Whole while the budget lasts; past it, the lines around sampled lines and def lines.
    std::vector<bool> keep(count + 1, bytes <= budget);
    const bool partial = bytes > budget;
    if (partial) {
      const int32_t window = std::max(options_.source_window, 0);
      auto mark = [&](int32_t line, int32_t radius) {
        for (int64_t n = std::max<int64_t>(1, line - radius); n <= std::min<int64_t>(static_cast<int64_t>(count), int64_t{line} + radius); ++n) {
          keep[static_cast<size_t>(n)] = true;
        }
      };
      for (const auto& entry : file.lines) mark(entry.first, window);
      for (const FunctionTotals& fn : file.functions) mark(fn.first_line, 0);
    } else {
      budget -= bytes;
    }
    out += ",\"chunks\":[";
    bool first_chunk = true;
    for (size_t n = 1; n <= count;) {
      if (!keep[n]) {
        ++n;
        continue;
      }
      if (!first_chunk) out += ',';
      first_chunk = false;
      size_t end = n;
      while (end <= count && keep[end]) ++end;
      fmt::format_to(std::back_inserter(out), "[{},[", n);
      for (size_t k = n; k < end; ++k) {
        if (k > n) out += ',';
        append_json_string(out, text->lines[k - 1], options_.escape);
      }
      out += "]]";
      n = end;
    }
    fmt::format_to(std::back_inserter(out), "],\"line_count\":{},\"truncated\":{},\"partial\":{}}}", count,
                   text->truncated ? "true" : "false", partial ? "true" : "false");
  }
  out += ']';
}

}  // namespace pyro::report
