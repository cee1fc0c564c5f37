// Loads the HTML report in headless Chromium (Debian's `chromium`) and checks what a user
// would get: the page draws, the script raises no error, the CSP blocks nothing (nothing is
// fetched), and hostile source text shows as text. Skipped when Chromium is not installed.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "report_command.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::Counters;
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
    b.thread(1, 1, "MainThread", 60'000'000, 0, 6);
    b.stack(1, 1, {py(1, 5)}, Counters{4, 40'000'000, 0, 0, 0, 40'000'000, 0});
    b.stack(1, 1, {py(1, 200)}, Counters{2, 10'000'000, 10'000'000, 0, 0, 20'000'000, 0});
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

TEST_F(report_HtmlBrowserTest, FragmentRevealsAFoldedLine) {
  const std::string dom = load("#L0-100");
  EXPECT_EQ(console_.find("CONSOLE"), std::string::npos) << console_;
  EXPECT_NE(dom.find("id=\"L0-100\""), std::string::npos);
}

}  // namespace
}  // namespace pyro::report
