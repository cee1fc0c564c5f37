// The page data of the HTML report: the stacks as a bounded prefix tree with the charged
// frame of each, the cap and its "(other stacks)" buckets, the source budget, and the JSON
// scanner that takes the export's document apart.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "html_page_data.h"
#include "html_writer.h"
#include "json_scan.h"
#include "json_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "testing/mini_json.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::Json;
using testing::ProfileBuilder;
using testing::native;
using testing::py;

// A stack of the page, decoded: thread index, frame names root first, the charged frame's
// name and line (or "" when none), and its counters.
struct DecodedStack {
  int64_t thread = 0;
  std::vector<std::string> frames;
  std::string charged;
  std::vector<double> counters;
};

// "name:line" of page.frames[index] (a [funcs index, line] pair).
std::string frame_label(const Json& page, size_t index) {
  const Json& frame = page["frames"][index];
  std::string label = page["funcs"][static_cast<size_t>(frame[0].number)]["name"].text;
  if (frame[1].is_number()) label += ":" + std::to_string(static_cast<int>(frame[1].number));
  return label;
}

std::vector<DecodedStack> decode(const Json& page) {
  const Json& nodes = page["nodes"];
  std::vector<DecodedStack> out;
  for (const Json& row : page["stacks"].items) {
    DecodedStack s;
    s.thread = static_cast<int64_t>(row[0].number);
    std::vector<size_t> path;  // node ids, leaf first
    for (int64_t n = static_cast<int64_t>(row[1].number); n >= 0;) {
      path.push_back(static_cast<size_t>(n));
      const int64_t back = static_cast<int64_t>(nodes[static_cast<size_t>(2 * n)].number);
      n = back > 0 ? n - back : -1;
    }
    for (size_t node : path) s.frames.insert(s.frames.begin(), frame_label(page, static_cast<size_t>(nodes[2 * node + 1].number)));
    const int64_t up = static_cast<int64_t>(row[2].number);
    if (up >= 0) s.charged = s.frames[s.frames.size() - 1 - static_cast<size_t>(up)];
    for (size_t k = 3; k < row.items.size(); ++k) s.counters.push_back(row[k].number);
    out.push_back(s);
  }
  return out;
}

Json page_of(const Profile& profile, const LineModel& model, HtmlPageOptions options = {}) {
  SourceFileCache sources;
  return Json::parse(HtmlWriter(profile, model, sources, options).render_data())["page"];
}

Profile parse(const ProfileBuilder& b) {
  const std::vector<uint8_t> bytes = b.bytes();
  return ProfileReader::parse(bytes.data(), bytes.size());
}

// app.py (profiled) calls into a library file under an excluded prefix, which calls C code.
ProfileBuilder app_profile() {
  ProfileBuilder b;
  b.meta("argv", "app.py").meta("cwd", "/w").meta("exclude_prefixes", "/usr/lib/python3.11").run();
  b.function(1, "/w/app.py", "<module>", 1);
  b.function(2, "/w/app.py", "work", 10);
  b.function(3, "/usr/lib/python3.11/json/encoder.py", "encode", 200);
  b.thread(1, 1, "MainThread", 0, 0, 0);
  b.thread(1, 2, "worker", 0, 0, 0);
  // Line 12 calls the library, which runs C code: charged to app.py:12.
  b.stack(1, 1, {py(1, 30), py(2, 12), py(3, 210), native(0x1000)}, Counters{5, 1'000'000, 40'000'000, 2'000'000, 0, 43'000'000, 0});
  b.stack(1, 1, {py(1, 30), py(2, 11)}, Counters{2, 20'000'000, 0, 0, 0, 20'000'000, 0});
  b.stack(1, 2, {py(2, 11)}, Counters{1, 7'000'000, 0, 0, 0, 0, 3'000'000});
  // Only library frames: no profiled frame, so no charged node.
  b.stack(1, 2, {py(3, 205)}, Counters{1, 9'000'000, 0, 0, 0, 0, 0});
  return b;
}

TEST(report_HtmlPageData, StacksBecomeAPrefixTreeWithTheirChargedFrame) {
  const Profile profile = parse(app_profile());
  const LineModel model(profile);
  const Json page = page_of(profile, model);
  EXPECT_EQ(page["stacks_total"].number, 4);
  EXPECT_EQ(page["stacks_kept"].number, 4);
  EXPECT_EQ(page["stacks_merged"].number, 0);
  EXPECT_TRUE(page["split_known"].boolean);
  ASSERT_EQ(page["threads"].items.size(), 2u);
  EXPECT_EQ(page["threads"][0][1].number, 1);
  EXPECT_EQ(page["threads"][1][1].number, 2);
  // Shared callers are written once: <module>:30 is one node for the first two stacks.
  size_t roots = 0;
  for (size_t n = 0; n < page["nodes"].items.size(); n += 2) roots += page["nodes"][n].number == 0 ? 1 : 0;
  EXPECT_EQ(roots, 3u);  // <module>:30, work:11 (worker), encode:205

  std::map<std::string, DecodedStack> by_leaf;  // by leaf frame, and thread when not the first
  for (const DecodedStack& s : decode(page)) by_leaf[s.frames.back() + (s.thread ? "@" + std::to_string(s.thread) : "")] = s;
  ASSERT_EQ(by_leaf.size(), 4u);
  const DecodedStack& json_call = by_leaf.begin()->second;  // "0x..." sorts first
  ASSERT_EQ(json_call.frames.size(), 4u);
  EXPECT_EQ(json_call.frames[0], "<module>:30");
  EXPECT_EQ(json_call.frames[2], "encode:210");
  EXPECT_EQ(json_call.charged, "work:12") << "the innermost frame in profiled code";
  // samples, python, native, system (µs), wall, gil held, gil wait, alloc bytes
  EXPECT_EQ(json_call.counters, (std::vector<double>{5, 1000, 40000, 2000, 0, 43000, 0, 0}));
  EXPECT_EQ(by_leaf["work:11"].charged, "work:11");
  EXPECT_EQ(by_leaf["work:11@1"].charged, "work:11");
  EXPECT_EQ(by_leaf["encode:205@1"].charged, "") << "no profiled frame";
}

// Native addresses that expand into several frames (inlined calls) must not shift which
// frame the charged one is.
class ExpandingSymbols : public SymbolSource {
 public:
  const SymbolizedAddress& lookup(uint64_t address, bool) override {
    auto it = cache_.find(address);
    if (it != cache_.end()) return it->second;
    SymbolizedAddress s;
    NativeLocation inner{fmt_name("inner", address), "", 0, true, "", 0};
    NativeLocation outer{fmt_name("outer", address), "", 0, false, "", 0};
    s.frames = {inner, outer};
    return cache_.emplace(address, s).first->second;
  }

 private:
  static std::string fmt_name(const char* what, uint64_t address) { return std::string(what) + "_" + std::to_string(address); }
  std::map<uint64_t, SymbolizedAddress> cache_;
};

TEST(report_HtmlPageData, InlinedNativeFramesDoNotShiftTheChargedFrame) {
  ProfileBuilder b;
  b.meta("argv", "app.py").meta("cwd", "/w").run();
  b.function(1, "/w/app.py", "<module>", 1);
  b.function(2, "/w/app.py", "work", 10);
  b.stack(1, 1, {native(0x10), native(0x20), py(1, 3), py(2, 12), native(0x30)}, Counters{1, 5'000'000, 0, 0, 0, 0, 0});
  const Profile profile = parse(b);
  ExpandingSymbols symbols;
  const LineModel model(profile, &symbols);
  const std::vector<DecodedStack> stacks = decode(page_of(profile, model));
  ASSERT_EQ(stacks.size(), 1u);
  EXPECT_GT(stacks[0].frames.size(), 5u) << "the native frames expanded";
  EXPECT_EQ(stacks[0].charged, "work:12");
}

TEST(report_HtmlPageData, AMisalignedDocumentFallsBackToTheLineTable) {
  const Profile profile = parse(app_profile());
  const LineModel model(profile);
  JsonOptions json;
  json.include_stacks = true;
  std::string document = JsonWriter(profile, model).render(json);
  // Drop the last stack: the document no longer lines up with the profile.
  const size_t cut = document.rfind(",{\"pid\"");
  ASSERT_NE(cut, std::string::npos);
  document = document.substr(0, cut) + "]}";
  {
    // This json_writer puts the split and the charged frame into each stack: alignment
    // with the profile is then not needed.
    SourceFileCache sources;
    const Json page = Json::parse(HtmlPageData(profile, model, &sources).build(document))["page"];
    EXPECT_TRUE(page["split_known"].boolean);
  }
  // A document without those keys (an older writer) falls back to the line table.
  document = std::regex_replace(
      document, std::regex(",\"(cpu_python_s|cpu_native_s|cpu_system_s|gil_held_s|gil_wait_s|charged_frame)\":[^,}]*"), "");
  SourceFileCache sources;
  const Json page = Json::parse(HtmlPageData(profile, model, &sources).build(document))["page"];
  EXPECT_FALSE(page["split_known"].boolean);
  std::map<std::string, DecodedStack> by_leaf;
  for (const DecodedStack& s : decode(page)) by_leaf[s.frames.back() + (s.thread ? "@" + std::to_string(s.thread) : "")] = s;
  ASSERT_EQ(by_leaf.size(), 3u);
  EXPECT_EQ(by_leaf.begin()->second.charged, "work:12");
  // Without the split, the CPU shows as Python time.
  EXPECT_EQ(by_leaf.begin()->second.counters[1], 43000);
}

TEST(report_HtmlPageData, TheCapKeepsTheHeaviestAndMergesTheRestExactly) {
  ProfileBuilder b;
  b.meta("argv", "app.py").meta("cwd", "/w").meta("exclude_prefixes", "/lib").run();
  b.function(1, "/w/app.py", "f", 1);
  b.function(2, "/lib/x.py", "g", 1);
  std::map<std::pair<uint32_t, int>, double> want_line_cpu;  // (tid, line) -> µs
  std::map<uint32_t, double> want_thread_cpu;
  for (int i = 0; i < 60; ++i) {
    const uint32_t tid = 1 + i % 2;
    const int line = 1 + i % 5;
    const uint64_t cpu = 1'000'000ull * static_cast<uint64_t>(i + 1);
    // Distinct stacks: the library line differs; the charged line is app.py's.
    b.stack(1, tid, {py(1, line), py(2, 100 + i)}, Counters{1, cpu, 0, 0, 0, 0, 0});
    want_line_cpu[{tid, line}] += static_cast<double>(cpu) / 1000;
    want_thread_cpu[tid] += static_cast<double>(cpu) / 1000;
  }
  b.stack(1, 1, {py(2, 999)}, Counters{1, 1'000, 0, 0, 0, 0, 0});  // unattributed, light
  want_thread_cpu[1] += 1;
  const Profile profile = parse(b);
  const LineModel model(profile);
  HtmlPageOptions options;
  options.stack_cap = 20;
  const Json page = page_of(profile, model, options);
  EXPECT_EQ(page["stack_cap"].number, 20);
  EXPECT_EQ(page["stacks_kept"].number, 20);
  EXPECT_EQ(page["stacks_merged"].number, 41);
  const std::vector<DecodedStack> stacks = decode(page);
  // The twenty kept are the heaviest: i = 40..59, 41 ms of CPU and more.
  for (size_t r = 0; r < 20; ++r) {
    EXPECT_GE(stacks[r].counters[1], 41000) << r;
    EXPECT_EQ(stacks[r].frames.size(), 2u);
  }
  std::map<std::pair<uint32_t, std::string>, double> got_line_cpu;
  std::map<uint32_t, double> got_thread_cpu;
  size_t merged = 0;
  for (size_t r = 0; r < stacks.size(); ++r) {
    const DecodedStack& s = stacks[r];
    const uint32_t tid = static_cast<uint32_t>(page["threads"][static_cast<size_t>(s.thread)][1].number);
    got_thread_cpu[tid] += s.counters[1];
    if (!s.charged.empty()) got_line_cpu[{tid, s.charged}] += s.counters[1];
    if (r >= 20) {
      ++merged;
      EXPECT_EQ(s.frames[0], "(other stacks)");
      EXPECT_LE(s.frames.size(), 2u);
    }
  }
  EXPECT_LE(merged, 2u * 5u + 1u) << "one bucket per thread and charged line, plus the unattributed";
  EXPECT_EQ(got_thread_cpu, want_thread_cpu);
  for (const auto& [key, cpu] : want_line_cpu) {
    const std::pair<uint32_t, std::string> line_key(key.first, "f:" + std::to_string(key.second));
    EXPECT_EQ(got_line_cpu[line_key], cpu) << key.first << ":" << key.second;
  }
}

// A synthetic program: 400 functions in 40 files, each with 3 call sites calling fixed
// callees; stacks are walks of 8 to 40 calls down that graph from main, ending on one of 10
// lines of the last function, over 4 threads. `count` distinct stacks of it.
Profile call_graph_profile(size_t count) {
  ProfileBuilder b;
  b.meta("argv", "big.py").meta("cwd", "/w").run();
  constexpr uint32_t kFunctions = 400;
  for (uint32_t f = 1; f <= kFunctions; ++f) {
    b.function(f, "/w/package/module_" + std::to_string(f % 40) + ".py", "Class" + std::to_string(f % 17) + ".method_" + std::to_string(f),
               static_cast<int32_t>(20 * f));
  }
  uint64_t state = 88172645463325252ull;
  auto next = [&] {  // xorshift: the same stacks on every platform
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  std::set<std::vector<uint64_t>> seen;
  while (seen.size() < count) {
    std::vector<testing::FrameSpec> frames;
    std::vector<uint64_t> key;
    uint32_t f = 1;
    const uint64_t depth = 8 + next() % 33;
    for (uint64_t d = 0; d < depth; ++d) {
      const uint32_t site = static_cast<uint32_t>(next() % 3);
      frames.push_back(py(f, static_cast<int32_t>(20 * f + 1 + site)));
      f = 1 + (f * 7919 + site * 104729) % kFunctions;
    }
    frames.push_back(py(f, static_cast<int32_t>(20 * f + 1 + next() % 10)));
    const uint32_t tid = 1 + static_cast<uint32_t>(next() % 4);
    for (const auto& fr : frames) key.push_back(uint64_t{fr.function_id} << 32 | static_cast<uint32_t>(fr.line));
    key.push_back(tid);
    if (!seen.insert(key).second) continue;
    b.stack(1, tid, frames, Counters{1, 10'000'000 + next() % 10'000'000, 0, 0, 0, 0, 0});
  }
  return parse(b);
}

// The page keeps the heaviest 20 000 stacks (the default cap): from there on its size is the
// cap's, not the profile's.
TEST(report_HtmlPageData, AHundredThousandStacksStayUnderFiveMegabytes) {
  size_t sizes[3] = {};
  const size_t counts[3] = {10'000, 30'000, 100'000};
  for (size_t i = 0; i < 3; ++i) {
    const Profile profile = call_graph_profile(counts[i]);
    const LineModel model(profile);
    SourceFileCache sources;
    const auto start = std::chrono::steady_clock::now();
    const std::string html = HtmlWriter(profile, model, sources).render();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    sizes[i] = html.size();
    std::printf("[ measure  ] %zu distinct stacks: HTML %zu bytes, rendered in %lld ms\n", counts[i], sizes[i], static_cast<long long>(ms));
  }
  EXPECT_LT(sizes[2], size_t{5} << 20);
  // Past the cap, more stacks only add "(other stacks)" buckets and line-table rows.
  EXPECT_LT(sizes[2], sizes[1] + sizes[1] / 4);
}

TEST(report_HtmlPageData, PastTheSourceBudgetOnlyLinesAroundSampledOnesAreEmbedded) {
  char pattern[] = "/tmp/pyro-page-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  {
    std::ofstream out(dir + "/long.py");
    for (int i = 1; i <= 5000; ++i) out << "value_" << i << " = " << i << "  # some padding text to make it long\n";
  }
  ProfileBuilder b;
  b.meta("argv", "long.py").meta("cwd", dir).run();
  b.function(1, dir + "/long.py", "<module>", 1);
  b.stack(1, 1, {py(1, 2500)}, Counters{1, 1'000'000, 0, 0, 0, 0, 0});
  const Profile profile = parse(b);
  const LineModel model(profile);
  HtmlPageOptions options;
  options.source_budget_bytes = 10'000;
  options.source_window = 3;
  const Json source = page_of(profile, model, options)["sources"][0];
  EXPECT_TRUE(source["partial"].boolean);
  EXPECT_EQ(source["line_count"].number, 5000);
  ASSERT_EQ(source["chunks"].items.size(), 2u);  // the def line, and 2497..2503
  EXPECT_EQ(source["chunks"][0][0].number, 1);
  EXPECT_EQ(source["chunks"][0][1].items.size(), 1u);
  EXPECT_EQ(source["chunks"][1][0].number, 2497);
  ASSERT_EQ(source["chunks"][1][1].items.size(), 7u);
  EXPECT_EQ(source["chunks"][1][1][3].text, "value_2500 = 2500  # some padding text to make it long");
  const Json whole = page_of(profile, model)["sources"][0];
  EXPECT_FALSE(whole["partial"].boolean);
  EXPECT_EQ(whole["chunks"][0][1].items.size(), 5000u);
  std::remove((dir + "/long.py").c_str());
  ::rmdir(dir.c_str());
}

TEST(report_JsonScan, FindsValuesWithoutBeingFooledByStrings) {
  const std::string doc = R"({"a":"x}],\"y","b":[1,{"c":"]"},[]], "d" : -1.5e3,"e":null,"f":{}})";
  std::vector<std::string> keys, values;
  json_scan::for_each_member(doc, [&](std::string_view k, std::string_view v) {
    keys.emplace_back(k);
    values.emplace_back(v);
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "d", "e", "f"}));
  EXPECT_EQ(values[0], R"("x}],\"y")");
  EXPECT_EQ(values[1], R"([1,{"c":"]"},[]])");
  EXPECT_EQ(json_scan::to_double(values[2]), -1500);
  std::vector<std::string> items;
  json_scan::for_each_item(values[1], [&](std::string_view v) { items.emplace_back(v); });
  EXPECT_EQ(items, (std::vector<std::string>{"1", R"({"c":"]"})", "[]"}));
  EXPECT_EQ(json_scan::member(doc, "e").value_or(""), "null");
  EXPECT_FALSE(json_scan::member(doc, "zz").has_value());
  EXPECT_EQ(json_scan::to_u64("12345678901234"), 12345678901234ull);
}

TEST(report_JsonScan, RefusesMalformedInput) {
  for (const char* bad : {R"({"a":[1,2})", R"({"a":"open)", R"({"a" 1})", R"([1 2])", R"({"a":})", "{"}) {
    EXPECT_THROW(json_scan::for_each_member(bad, [](std::string_view, std::string_view) {}), std::runtime_error) << bad;
  }
}

}  // namespace
}  // namespace pyro::report
