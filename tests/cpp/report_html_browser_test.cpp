// Loads the HTML report in headless Chromium (Debian's `chromium`) and checks what a user
// would get: the page draws, the script raises no error, the CSP blocks nothing (nothing is
// fetched), and hostile source text shows as text. Skipped when Chromium is not installed.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "report_command.h"
#include "testing/mini_json.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::Json;
using testing::native;
using testing::native_pc;
using testing::ProfileBuilder;
using testing::py;

std::string find_chromium() {
  if (const char* env = std::getenv("PYROMETER_CHROMIUM")) return env;
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void remove_tree(const std::string& path) {
  std::system(("rm -rf '" + path + "'").c_str());
}

class report_HtmlBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = find_chromium();
    if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed";
    char pattern[] = "/tmp/pyro-browser-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream source(dir_ + "/app.py");
    source << "import os\n";
    for (int i = 2; i < 200; ++i) source << "value_" << i << " = " << i << "\n";
    source << "HOSTILE = '</script><script>document.title=\"pwned\"</script><img src=x onerror=alert(1)>'\n";
    source.close();
    ProfileBuilder b;
    b.meta("argv", "app.py\x1f<b>bold</b>").meta("cwd", dir_).meta("python_version", "3.11.7").run();
    b.function(1, "app.py", "<module>", 1);
    b.function(2, "app.py", "crunch", 3);
    b.thread(1, 1, "MainThread", 60'000'000, 0, 6);
    b.thread(1, 2, "cruncher", 30'000'000, 0, 3);
    b.stack(1, 1, {py(1, 5)}, Counters{4, 40'000'000, 0, 0, 0, 40'000'000, 0});
    b.stack(1, 1, {py(1, 200)}, Counters{2, 10'000'000, 10'000'000, 0, 0, 20'000'000, 0});
    // A thread running C code under app.py:4 (native frames stay addresses: no modules).
    b.stack(1, 2, {py(1, 150), py(2, 4), native(0xabc0), native_pc(0xdef0)}, Counters{3, 0, 25'000'000, 5'000'000, 0, 0, 0});
    const std::vector<uint8_t> bytes = b.bytes();
    std::ofstream(dir_ + "/p.pyro", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    std::FILE* sink = std::tmpfile();
    ASSERT_EQ(run_report_command({dir_ + "/p.pyro", "--html", dir_ + "/p.html"}, sink, sink), 0);
    std::fclose(sink);
  }
  void TearDown() override {
    if (!dir_.empty()) remove_tree(dir_);
  }

  // Loads the page (with an optional #fragment) and returns the DOM after the scripts ran;
  // the browser's console log goes to console_.
  std::string load(const std::string& fragment = "") {
    const std::string dom = dir_ + "/dom.html";
    const std::string log = dir_ + "/console.txt";
    const std::string command = "timeout 120 '" + chromium_ +
                                "' --headless=new --no-sandbox --disable-gpu --no-first-run "
                                "--user-data-dir='" + dir_ + "/profile' --enable-logging=stderr --v=0 "
                                "--dump-dom 'file://" + dir_ + "/p.html" + fragment + "' >'" + dom +
                                "' 2>'" + log + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << slurp(log);
    console_ = slurp(log);
    return slurp(dom);
  }

  std::string chromium_;
  std::string dir_;
  std::string console_;
};

TEST_F(report_HtmlBrowserTest, DrawsWithoutErrorsOrFetches) {
  const std::string dom = load();
  EXPECT_EQ(console_.find("CONSOLE"), std::string::npos) << "the page logged: " << console_;
  EXPECT_NE(dom.find("Hot lines"), std::string::npos);
  EXPECT_NE(dom.find("MainThread"), std::string::npos);
  EXPECT_NE(dom.find("id=\"L0-5\""), std::string::npos) << "the hot line is drawn";
  EXPECT_NE(dom.find("lines without samples"), std::string::npos) << "cold lines are folded";
  EXPECT_EQ(dom.find("id=\"L0-100\""), std::string::npos) << "folded lines are not drawn";
  // Hostile text is text: serialized escaped, never parsed into elements.
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;script&gt;document.title"), std::string::npos);
  EXPECT_NE(dom.find("&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(dom.find("<img src=\"x\""), std::string::npos);
  EXPECT_EQ(dom.find("<b>bold"), std::string::npos);
  EXPECT_EQ(dom.find("<title>pwned"), std::string::npos);
}

// What the page's self-test (report.html#pyro-selftest) wrote into the DOM.
Json selftest_result(const std::string& dom) {
  const std::string open = "<pre id=\"pyro-selftest\">";
  const size_t start = dom.rfind(open);
  EXPECT_NE(start, std::string::npos) << "the self-test did not run to its end";
  if (start == std::string::npos) return Json{};
  const size_t end = dom.find("</pre>", start);
  std::string text = dom.substr(start + open.size(), end - start - open.size());
  std::string plain;
  for (size_t i = 0; i < text.size(); ++i) {  // the DOM serializer escapes these in text
    bool replaced = false;
    for (const auto& [entity, ch] : {std::pair<const char*, const char*>{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&nbsp;", "\u00a0"}}) {
      if (text.compare(i, std::strlen(entity), entity) == 0) {
        plain += ch;
        i += std::strlen(entity) - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) plain += text[i];
  }
  return Json::parse(plain);
}

TEST_F(report_HtmlBrowserTest, SelfTestDrivesSortZoomSearchDetailAndThreads) {
  const std::string dom = load("#pyro-selftest&zoom=%5Ecrunch%24&search=%5E0x&thread=cruncher");
  EXPECT_EQ(console_.find("CONSOLE"), std::string::npos) << console_;
  const Json r = selftest_result(dom);
  ASSERT_EQ(r.type, Json::kObject);
  EXPECT_TRUE(r["errors"].items.empty());
  EXPECT_TRUE(r["resources"].items.empty());
  EXPECT_EQ(r["pwned"].type, Json::kNull);
  EXPECT_EQ(r["sort"]["after_click_order"].text, "ascending");
  EXPECT_TRUE(r["zoom"]["zoomed"].boolean);
  EXPECT_GE(r["zoom"]["after"].number, r["zoom"]["svg_width"].number - 1);
  // The native frames carry 30 of the 90 ms.
  EXPECT_NEAR(r["search"]["share"].number, 1.0 / 3, 1e-6);
  EXPECT_GE(r["search"]["highlighted"].number, 2);
  EXPECT_EQ(r["threads"]["picked"].text, "cruncher");
  ASSERT_EQ(r["threads"]["filtered"].items.size(), 1u);
  EXPECT_EQ(r["threads"]["filtered"][0].text, "app.py:4");
}

TEST_F(report_HtmlBrowserTest, LineDetailShowsCallersAndNativeCode) {
  // The self-test opens the first highlighted line in source order: app.py:4, whose time is
  // all in the native code it calls.
  const Json r = selftest_result(load("#pyro-selftest"));
  ASSERT_EQ(r.type, Json::kObject);
  const Json& detail = r["detail"];
  EXPECT_EQ(detail["line"].text, "L0-4");
  ASSERT_EQ(detail["callers"].items.size(), 1u);
  EXPECT_NE(detail["callers"][0].text.find("<module> (app.py:150)"), std::string::npos) << detail["callers"][0].text;
  EXPECT_NE(detail["natives"].text.find("0x"), std::string::npos) << detail["natives"].text;
  EXPECT_EQ(detail["natives"].text.find("No native frames"), std::string::npos);
  EXPECT_TRUE(detail["closed"].boolean);
}

TEST_F(report_HtmlBrowserTest, AnEmptyProfileDrawsToo) {
  ProfileBuilder b;
  b.meta("argv", "idle.py").meta("cwd", dir_).run();
  const std::vector<uint8_t> bytes = b.bytes();
  std::ofstream(dir_ + "/p.pyro", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  std::FILE* sink = std::tmpfile();
  ASSERT_EQ(run_report_command({dir_ + "/p.pyro", "--html", dir_ + "/p.html"}, sink, sink), 0);
  std::fclose(sink);
  const std::string dom = load("#pyro-selftest");
  EXPECT_EQ(console_.find("CONSOLE"), std::string::npos) << console_;
  const Json r = selftest_result(dom);
  ASSERT_EQ(r.type, Json::kObject);
  EXPECT_TRUE(r["errors"].items.empty());
  EXPECT_NE(dom.find("No samples landed in profiled code"), std::string::npos);
  EXPECT_NE(dom.find("No stack has any CPU time"), std::string::npos);
}

TEST_F(report_HtmlBrowserTest, MemoryViewsDrawRealData) {
  // What the agent writes with memory on: memory counters, a Memory record, a live series.
  Counters cpu_and_alloc{4, 40'000'000};
  cpu_and_alloc.alloc_bytes = 3 << 20;
  cpu_and_alloc.alloc_samples = 6;
  cpu_and_alloc.peak_live_bytes = 3 << 20;
  ProfileBuilder b;
  b.meta("argv", "app.py").meta("cwd", dir_).meta("memory", "1").run();
  b.function(1, "app.py", "<module>", 1).function(2, "app.py", "crunch", 3);
  b.thread(1, 1, "MainThread", 40'000'000, 0, 4);
  b.stack(1, 1, {py(1, 5)}, cpu_and_alloc);
  b.stack(1, 1, {py(1, 150), py(2, 4), native(0xabc0)}, testing::allocated(40 << 20, 0, 30 << 20));
  std::vector<int64_t> growing;
  for (int64_t i = 1; i <= 20; ++i) growing.push_back(i * (2 << 20));
  b.live_series(1, 100'000'000, growing).memory();
  const std::vector<uint8_t> bytes = b.bytes();
  std::ofstream(dir_ + "/p.pyro", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  std::FILE* sink = std::tmpfile();
  ASSERT_EQ(run_report_command({dir_ + "/p.pyro", "--html", dir_ + "/p.html"}, sink, sink), 0);
  std::fclose(sink);
  const std::string dom = load("#L0-4");
  EXPECT_EQ(console_.find("CONSOLE"), std::string::npos) << console_;
  // The scripts hold the views' fixed texts too: look for what only drawing real data makes.
  const size_t memory = dom.find("<section id=\"memory\">");
  ASSERT_NE(memory, std::string::npos);
  const std::string section = dom.substr(memory, dom.find("</section>", memory) - memory);
  EXPECT_NE(section.find("Heap peak 64.0 MiB at 1.00 s"), std::string::npos) << section;
  const size_t leaks = section.find("Possible leaks");
  const size_t holders = section.find("Who holds memory at the peak");
  ASSERT_NE(leaks, std::string::npos) << section;
  ASSERT_NE(holders, std::string::npos) << section;
  EXPECT_NE(section.substr(leaks, holders - leaks).find(">app.py:4<"), std::string::npos) << section;
  EXPECT_NE(section.find("30.0 MiB", holders), std::string::npos) << "line 4's bytes at the peak";
  EXPECT_NE(dom.find("id=\"L0-4\""), std::string::npos) << "the allocation-only line is drawn";
  EXPECT_NE(dom.find("40.0 MiB"), std::string::npos) << "line 4's allocated bytes";
}

TEST_F(report_HtmlBrowserTest, FragmentRevealsAFoldedLine) {
  const std::string dom = load("#L0-100");
  EXPECT_EQ(console_.find("CONSOLE"), std::string::npos) << console_;
  EXPECT_NE(dom.find("id=\"L0-100\""), std::string::npos);
}

}  // namespace
}  // namespace pyro::report
