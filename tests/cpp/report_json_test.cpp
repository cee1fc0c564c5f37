#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "json_escape.h"
#include "json_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "testing/mini_json.h"
#include "testing/profile_builder.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::Json;
using testing::native;
using testing::ProfileBuilder;
using testing::py;
using testing::truncated;

std::string escaped(std::string_view s, bool escape_slash = false) {
  std::string out;
  append_json_string(out, s, JsonEscapeOptions{escape_slash});
  return out;
}

TEST(report_JsonEscape, QuotesBackslashAndControlCharacters) {
  EXPECT_EQ(escaped("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(escaped("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(escaped(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(escaped(std::string("a\0b", 3)), R"("a\u0000b")");
}

TEST(report_JsonEscape, HtmlSignificantCharacters) {
  const std::string out = escaped("</script><script>alert(1)</script>&<!--");
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('&'), std::string::npos);
  EXPECT_EQ(out, R"("\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\u0026\u003c!--")");
  EXPECT_EQ(escaped("https://x"), R"("https://x")");
  EXPECT_EQ(escaped("https://x", true), R"("https:\/\/x")");
  EXPECT_EQ(escaped("\xE2\x80\xA8\xE2\x80\xA9"), R"("\u2028\u2029")");
}

TEST(report_JsonEscape, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(escaped("a\xFFz"), R"("a\ufffdz")");
  EXPECT_EQ(escaped("\xC0\xAF"), R"("\ufffd\ufffd")");              // overlong "/"
  EXPECT_EQ(escaped("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");    // a UTF-16 surrogate
  EXPECT_EQ(escaped("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(escaped("\xE2\x82"), R"("\ufffd\ufffd")");              // cut short
  // Valid multi-byte text passes through unchanged.
  EXPECT_EQ(escaped("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
  // Whatever the input, the output decodes.
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  EXPECT_NO_THROW(Json::parse(escaped(all_bytes)));
}

TEST(report_JsonEscape, Doubles) {
  auto d = [](double v) {
    std::string out;
    append_json_double(out, v);
    return out;
  };
  EXPECT_EQ(d(1.0), "1.0");
  EXPECT_EQ(d(0.0), "0.0");
  EXPECT_EQ(d(0.25), "0.25");
  EXPECT_EQ(d(123456789 / 1e9), "0.123456789");
  EXPECT_EQ(d(std::nan("")), "0.0");
  EXPECT_EQ(d(std::numeric_limits<double>::infinity()), "0.0");
  EXPECT_EQ(Json::parse(d(1e22)).type, Json::kFloat);
}

ProfileBuilder sample_profile() {
  ProfileBuilder b;
  b.meta("argv", "prog.py\x1f" "arg one\x1f</script>")
      .meta("python_version", "3.11.7")
      .meta("cwd", "/srv/app")
      .meta("exclude_prefixes", "/usr/lib/python3.11")
      .run()
      .function(1, "prog.py", "<module>", 1)
      .function(2, "prog.py", "Worker.run", 20)
      .function(3, "/usr/lib/python3.11/threading.py", "Thread.run", 990)
      .thread(4242, 4242, "MainThread", 800'000'000, 2'000'000'000, 80)
      .thread(4242, 4250, "helper", 400'000'000, 1'000'000'000, 40)
      .stack(4242, 4242, {py(1, 7), native(0xabc)}, Counters{5, 30'000'000, 10'000'000, 10'000'000, 0, 50'000'000, 0})
      .stack(4242, 4250, {truncated(), py(3, 995), py(2, 22)}, Counters{2, 20'000'000, 0, 0, 0, 20'000'000, 1'000})
      .stack(4242, 4250, {py(3, 995), native(0xdef)}, Counters{1, 0, 7'000'000, 0, 0, 0, 0})
      .stack(4242, 4260, {py(1, 8)}, Counters{1, 3'000'000, 0, 0, 0, 0, 0});
  return b;
}

Json render(const ProfileBuilder& b) {
  const std::vector<uint8_t> bytes = b.bytes();
  const Profile profile = ProfileReader::parse(bytes.data(), bytes.size());
  const LineModel model(profile);
  return Json::parse(JsonWriter(profile, model).render());
}

TEST(report_JsonWriter, HasEverySpecKeyWithTheRightType) {
  const Json doc = render(sample_profile());
  EXPECT_EQ(doc["schema"].text, "pyrometer/1");
  ASSERT_EQ(doc["program"].items.size(), 3u);
  EXPECT_EQ(doc["program"][1].text, "arg one");
  EXPECT_EQ(doc["program"][2].text, "</script>");
  EXPECT_EQ(doc["python_version"].text, "3.11.7");
  EXPECT_EQ(doc["mode"].text, "cpu");
  EXPECT_EQ(doc["interval_s"].type, Json::kFloat);
  EXPECT_DOUBLE_EQ(doc["interval_s"].number, 0.01);
  EXPECT_EQ(doc["duration_s"].type, Json::kFloat);
  EXPECT_EQ(doc["cpu_s"].type, Json::kFloat);
  EXPECT_EQ(doc["samples"].type, Json::kInt);
  EXPECT_EQ(doc["dropped_samples"].type, Json::kInt);
  EXPECT_EQ(doc["memory"].type, Json::kNull);
  EXPECT_EQ(doc["native_hotspots"].type, Json::kArray);
  EXPECT_EQ(doc["leaks"].type, Json::kArray);

  const Json& threads = doc["threads"];
  ASSERT_EQ(threads.items.size(), 3u);  // two recorded + one seen only in stacks
  EXPECT_EQ(threads[1]["name"].text, "helper");
  EXPECT_EQ(threads[1]["tid"].type, Json::kInt);
  EXPECT_EQ(threads[1]["pid"].type, Json::kInt);
  EXPECT_DOUBLE_EQ(threads[1]["cpu_s"].number, 0.4);
  EXPECT_EQ(threads[1]["wall_s"].type, Json::kFloat);
  EXPECT_EQ(threads[2]["tid"].number, 4260);

  const Json& files = doc["files"];
  ASSERT_EQ(files.items.size(), 1u);
  EXPECT_EQ(files[0]["path"].text, "/srv/app/prog.py");
  const Json& lines = files[0]["lines"];
  ASSERT_EQ(lines.items.size(), 3u);
  EXPECT_EQ(lines[0]["line"].number, 7);
  EXPECT_EQ(lines[1]["line"].number, 8);
  EXPECT_EQ(lines[2]["line"].number, 22);
  for (const Json& line : lines.items) {
    EXPECT_EQ(line["line"].type, Json::kInt);
    for (const char* key : {"cpu_python_s", "cpu_native_s", "cpu_system_s", "wall_s", "gil_held_s", "gil_wait_s"}) {
      EXPECT_EQ(line[key].type, Json::kFloat) << key;
    }
    for (const char* key : {"alloc_bytes", "free_bytes", "live_bytes", "peak_bytes"}) {
      EXPECT_EQ(line[key].type, Json::kInt) << key;
    }
  }
  EXPECT_DOUBLE_EQ(lines[0]["cpu_native_s"].number, 0.01);
  EXPECT_DOUBLE_EQ(lines[0]["gil_held_s"].number, 0.05);
  EXPECT_DOUBLE_EQ(lines[2]["gil_wait_s"].number, 1e-6);

  const Json& functions = files[0]["functions"];
  ASSERT_EQ(functions.items.size(), 2u);
  EXPECT_EQ(functions[0]["name"].text, "<module>");
  EXPECT_EQ(functions[0]["line"].type, Json::kInt);
  EXPECT_EQ(functions[1]["name"].text, "Worker.run");
  EXPECT_DOUBLE_EQ(functions[1]["cpu_s"].number, 0.02);
  EXPECT_EQ(functions[1]["alloc_bytes"].type, Json::kInt);
}

TEST(report_JsonWriter, CpuTotalsAddUp) {
  const Json doc = render(sample_profile());
  double lines_total = 0;
  for (const Json& file : doc["files"].items) {
    for (const Json& line : file["lines"].items) {
      lines_total += line["cpu_python_s"].number + line["cpu_native_s"].number + line["cpu_system_s"].number;
    }
  }
  EXPECT_NEAR(doc["cpu_s"].number, 0.08, 1e-12);
  EXPECT_NEAR(lines_total + doc["unattributed_cpu_s"].number, doc["cpu_s"].number, 1e-9);
  EXPECT_NEAR(doc["unattributed_cpu_s"].number, 0.007, 1e-12);
}

TEST(report_JsonWriter, StacksKeepEveryFrameRootFirst) {
  const Json doc = render(sample_profile());
  const Json& stacks = doc["stacks"];
  ASSERT_EQ(stacks.items.size(), 4u);
  const Json& first = stacks[0];
  EXPECT_EQ(first["tid"].number, 4242);
  EXPECT_EQ(first["pid"].number, 4242);
  ASSERT_EQ(first["frames"].items.size(), 2u);
  EXPECT_EQ(first["frames"][0]["kind"].text, "python");
  EXPECT_EQ(first["frames"][0]["name"].text, "<module>");
  EXPECT_EQ(first["frames"][0]["path"].text, "/srv/app/prog.py");
  EXPECT_EQ(first["frames"][0]["line"].number, 7);
  EXPECT_EQ(first["frames"][0]["module"].type, Json::kNull);
  EXPECT_EQ(first["frames"][1]["kind"].text, "native");
  EXPECT_EQ(first["frames"][1]["name"].text, "0xabc");
  EXPECT_EQ(first["frames"][1]["path"].type, Json::kNull);
  EXPECT_EQ(first["frames"][1]["line"].type, Json::kNull);
  EXPECT_DOUBLE_EQ(first["cpu_s"].number, 0.05);
  EXPECT_EQ(first["wall_s"].type, Json::kFloat);
  EXPECT_EQ(first["alloc_bytes"].type, Json::kInt);

  const Json& second = stacks[1]["frames"];
  EXPECT_EQ(second[0]["name"].text, "<truncated>");
  EXPECT_EQ(second[0]["path"].type, Json::kNull);
  EXPECT_EQ(second[1]["path"].text, "/usr/lib/python3.11/threading.py");
}

TEST(report_JsonWriter, WallMode) {
  ProfileBuilder b;
  testing::RunSpec run;
  run.mode = 1;
  b.run(run).function(1, "/a.py", "f", 1);
  Counters c;
  c.wall_ns = 30'000'000;
  b.stack(1, 1, {py(1, 2)}, c);
  const Json doc = render(b);
  EXPECT_EQ(doc["mode"].text, "wall");
  EXPECT_DOUBLE_EQ(doc["files"][0]["lines"][0]["wall_s"].number, 0.03);
  EXPECT_EQ(doc["cpu_s"].type, Json::kFloat);
}

TEST(report_JsonWriter, HostileStringsStayStrings) {
  ProfileBuilder b;
  b.meta("argv", std::string("\xFF\x01\"") + "\x1f" + "x").run();
  b.function(1, "/tmp/we\"ird\n<dir>/a\xFE.py", "f\\g", 1);
  b.stack(1, 1, {py(1, 2)}, Counters{1, 5, 0, 0, 0, 0, 0});
  const Json doc = render(b);
  EXPECT_EQ(doc["program"][0].text, "\xEF\xBF\xBD\x01\"");
  EXPECT_EQ(doc["files"][0]["path"].text, "/tmp/we\"ird\n<dir>/a\xEF\xBF\xBD.py");
  EXPECT_EQ(doc["stacks"][0]["frames"][0]["name"].text, "f\\g");
}

}  // namespace
}  // namespace pyro::report
