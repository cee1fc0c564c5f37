#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "html_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "report_assets.h"
#include "testing/mini_json.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::Json;
using testing::ProfileBuilder;
using testing::py;

class report_HtmlWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/pyro-html-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    source_ = dir_ + "/evil.py";
    std::ofstream(source_) << "# see https://example.com/docs and http://example.org\n"
                              "x = '</script><script>alert(1)</script>'\n"
                              "y = 1  # <!-- & -->\n";
  }
  void TearDown() override {
    std::remove(source_.c_str());
    ::rmdir(dir_.c_str());
  }

  std::string render() {
    ProfileBuilder b;
    b.meta("argv", "evil.py\x1fhttps://example.net/</script>").meta("cwd", dir_).run();
    b.function(1, "evil.py", "<module>", 1);
    b.stack(1, 1, {py(1, 2)}, Counters{3, 30'000'000, 0, 0, 0, 0, 0});
    b.stack(1, 1, {py(1, 3)}, Counters{1, 10'000'000, 0, 0, 0, 0, 0});
    const std::vector<uint8_t> bytes = b.bytes();
    const Profile profile = ProfileReader::parse(bytes.data(), bytes.size());
    const LineModel model(profile);
    SourceFileCache sources;
    return HtmlWriter(profile, model, sources).render();
  }

  static Json embedded_data(const std::string& html) {
    const std::string open = "<script type=\"application/json\" id=\"pyro-data\">";
    const size_t start = html.find(open);
    EXPECT_NE(start, std::string::npos);
    const size_t end = html.find("</script>", start);
    return Json::parse(html.substr(start + open.size(), end - start - open.size()));
  }

  std::string dir_;
  std::string source_;
};

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(report_HtmlWriterTest, IsSelfContainedWithCsp) {
  const std::string html = render();
  EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">"),
            std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("@@PYRO_"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
}

TEST_F(report_HtmlWriterTest, SourceTextCannotBreakOutOfTheDataScript) {
  const std::string html = render();
  // Exactly two script elements: the data and the page's own code.
  EXPECT_EQ(count(html, "<script"), 2u);
  EXPECT_EQ(count(html, "</script>"), 2u);
  EXPECT_EQ(html.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(html.find("<!-- &"), std::string::npos);

  const Json data = embedded_data(html);
  EXPECT_EQ(data["schema"].text, "pyrometer/1");
  EXPECT_EQ(data["program"][1].text, "https://example.net/</script>");
  EXPECT_EQ(data["files"][0]["path"].text, source_);
  const Json& source = data["page"]["sources"][0];
  EXPECT_EQ(source["path"].text, source_);
  EXPECT_FALSE(source["partial"].boolean);
  ASSERT_EQ(source["chunks"].items.size(), 1u);
  EXPECT_EQ(source["chunks"][0][0].number, 1);
  const Json& lines = source["chunks"][0][1];
  ASSERT_EQ(lines.items.size(), 3u);
  EXPECT_EQ(lines[1].text, "x = '</script><script>alert(1)</script>'");
  EXPECT_EQ(lines[0].text, "# see https://example.com/docs and http://example.org");
  // The stacks are in the page's own bounded form, not the export's.
  EXPECT_FALSE(data.has("stacks"));
  EXPECT_EQ(data["page"]["stacks"].items.size(), 2u);
}

TEST_F(report_HtmlWriterTest, UnreadableSourceIsNull) {
  std::remove(source_.c_str());
  const Json data = embedded_data(render());
  EXPECT_EQ(data["page"]["sources"][0]["chunks"].type, Json::kNull);
  EXPECT_EQ(data["files"][0]["lines"].items.size(), 2u);
}

TEST(report_Assets, ScriptAndStyleAreSafeToInline) {
  const std::string js(assets::report_js());
  const std::string css(assets::report_css());
  const std::string page(assets::report_html());
  EXPECT_GT(js.size(), 1000u);
  // Every script is joined in, in order, the page's entry point last.
  size_t at = 0;
  for (const char* name : {"util.js", "model.js", "tables.js", "charts.js", "flamegraph.js", "lineview.js",
                           "panels.js", "selftest.js", "report.js"}) {
    const size_t found = js.find(std::string("// ---- ") + name + " ----");
    ASSERT_NE(found, std::string::npos) << name;
    EXPECT_GE(found, at) << name;
    at = found;
  }
  EXPECT_GT(css.size(), 500u);
  EXPECT_EQ(js.find("</script"), std::string::npos);
  EXPECT_EQ(css.find("</style"), std::string::npos);
  // Source text must only ever reach the page as text.
  EXPECT_EQ(js.find("innerHTML"), std::string::npos);
  EXPECT_EQ(js.find("outerHTML"), std::string::npos);
  EXPECT_EQ(js.find("insertAdjacentHTML"), std::string::npos);
  EXPECT_EQ(js.find("document.write"), std::string::npos);
  EXPECT_EQ(js.find("eval("), std::string::npos);
  for (const std::string* text : {&js, &css, &page}) {
    EXPECT_EQ(text->find("http://"), std::string::npos);
    EXPECT_EQ(text->find("https://"), std::string::npos);
  }
}

}  // namespace
}  // namespace pyro::report
