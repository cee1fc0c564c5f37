#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "report_command.h"
#include "testing/mini_json.h"
#include "testing/profile_builder.h"
#include "text_summary.h"

namespace pyro::report {
namespace {

using testing::Counters;
using testing::Json;
using testing::native;
using testing::ProfileBuilder;
using testing::py;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

class report_CommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/pyro-cmd-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ + "/app.py") << "import json\n\ndef work():\n    return json.dumps(list(range(10)))\n\n"
                                       "for _ in range(3):\n    work()\n";
    ProfileBuilder b;
    b.meta("argv", "app.py\x1f--fast").meta("cwd", dir_).meta("python_version", "3.11.7");
    b.meta("exclude_prefixes", "/usr/lib/python3.11");
    b.run().function(1, "app.py", "<module>", 1).function(2, "app.py", "work", 3);
    b.function(3, "/usr/lib/python3.11/json/__init__.py", "dumps", 183);
    b.thread(100, 100, "MainThread", 900'000'000, 1'000'000'000, 90);
    b.stack(100, 100, {py(1, 7), py(2, 4), py(3, 231), native(0x55)}, Counters{60, 200'000'000, 350'000'000, 50'000'000, 0, 0, 0});
    b.stack(100, 100, {py(1, 6)}, Counters{30, 300'000'000, 0, 0, 0, 0, 0});
    const std::vector<uint8_t> bytes = b.bytes();
    profile_ = dir_ + "/p.pyro";
    std::ofstream(profile_, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                     static_cast<std::streamsize>(bytes.size()));
  }
  void TearDown() override {
    DIR* d = ::opendir(dir_.c_str());
    if (d != nullptr) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") std::remove((dir_ + "/" + name).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(dir_.c_str());
  }

  // Runs the command with stdout/stderr captured.
  int run(const std::vector<std::string>& args) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    const int status = run_report_command(args, out, err);
    out_ = read_all(out);
    err_ = read_all(err);
    return status;
  }

  static std::string read_all(std::FILE* f) {
    std::string s;
    std::rewind(f);
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) s.append(buffer, n);
    std::fclose(f);
    return s;
  }

  std::vector<std::string> files_in_dir() const {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  void expect_one_error_line(const std::string& fragment) const {
    EXPECT_EQ(err_.rfind("pyrometer: error: ", 0), 0u) << err_;
    EXPECT_EQ(std::count(err_.begin(), err_.end(), '\n'), 1) << err_;
    EXPECT_NE(err_.find(fragment), std::string::npos) << err_;
  }

  std::string dir_;
  std::string profile_;
  std::string out_;
  std::string err_;
};

TEST_F(report_CommandTest, WritesEveryOutput) {
  const std::string json = dir_ + "/p.json";
  const std::string html = dir_ + "/p.html";
  ASSERT_EQ(run({profile_, "--json", json, "--html=" + html, "--summary", "--wrote", profile_}), 0) << err_;
  EXPECT_TRUE(out_.empty());
  const Json doc = Json::parse(slurp(json));
  EXPECT_EQ(doc["schema"].text, "pyrometer/1");
  EXPECT_EQ(doc["files"][0]["path"].text, dir_ + "/app.py");
  EXPECT_NE(slurp(html).find("id=\"pyro-data\""), std::string::npos);
  EXPECT_EQ(files_in_dir(), (std::vector<std::string>{"app.py", "p.html", "p.json", "p.pyro"}));

  // The summary: header, hot lines with their source, written files in order.
  EXPECT_NE(err_.find("app.py --fast"), std::string::npos) << err_;
  EXPECT_NE(err_.find("Top lines by CPU"), std::string::npos);
  EXPECT_NE(err_.find("app.py:4"), std::string::npos);
  EXPECT_NE(err_.find("return json.dumps(list(range(10)))"), std::string::npos);
  EXPECT_NE(err_.find("66.7%"), std::string::npos) << err_;
  const size_t pyro_at = err_.find(profile_);
  const size_t html_at = err_.find(html);
  const size_t json_at = err_.find(json);
  ASSERT_NE(pyro_at, std::string::npos);
  EXPECT_LT(pyro_at, html_at);
  EXPECT_LT(html_at, json_at);
  EXPECT_EQ(err_.find('\x1b'), std::string::npos) << "no colour when stderr is not a terminal";
}

TEST_F(report_CommandTest, TextGoesToStdoutAndIsTheDefault) {
  ASSERT_EQ(run({profile_}), 0) << err_;
  EXPECT_NE(out_.find("Top lines by CPU"), std::string::npos);
  EXPECT_TRUE(err_.empty());
  ASSERT_EQ(run({"--text", profile_}), 0);
  EXPECT_NE(out_.find("0.900s CPU"), std::string::npos) << out_;
}

TEST_F(report_CommandTest, MissingProfile) {
  EXPECT_EQ(run({dir_ + "/nope.pyro", "--json", dir_ + "/x.json"}), 2);
  expect_one_error_line("nope.pyro");
  EXPECT_FALSE(exists(dir_ + "/x.json"));
}

TEST_F(report_CommandTest, BadProfile) {
  std::ofstream(dir_ + "/bad.pyro") << "print('not a profile')\n";
  EXPECT_EQ(run({dir_ + "/bad.pyro"}), 2);
  expect_one_error_line("not a pyrometer profile");
}

TEST_F(report_CommandTest, UnwritableOutput) {
  EXPECT_EQ(run({profile_, "--json", dir_ + "/missing-dir/out.json"}), 2);
  expect_one_error_line("cannot write " + dir_ + "/missing-dir/out.json");
  EXPECT_EQ(run({profile_, "--html", dir_}), 2);  // a directory
  expect_one_error_line("cannot write");
  EXPECT_EQ(files_in_dir(), (std::vector<std::string>{"app.py", "p.pyro"})) << "no temporary left";
}

TEST_F(report_CommandTest, BadCommandLines) {
  EXPECT_EQ(run({}), 2);
  expect_one_error_line("no profile");
  EXPECT_EQ(run({profile_, "--bogus"}), 2);
  expect_one_error_line("unknown option '--bogus'");
  EXPECT_EQ(run({profile_, "--json"}), 2);
  expect_one_error_line("--json needs a file name");
  EXPECT_EQ(run({profile_, profile_}), 2);
  expect_one_error_line("unexpected argument");
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(out_.find("usage: pyrometer-report"), std::string::npos);
}

TEST_F(report_CommandTest, WritesFlameGraphExports) {
  const std::string folded = dir_ + "/p.folded";
  const std::string speedscope = dir_ + "/p.speedscope.json";
  ASSERT_EQ(run({profile_, "--collapsed", folded, "--speedscope=" + speedscope}), 0) << err_;
  EXPECT_TRUE(out_.empty()) << "an export alone prints no summary";
  // 0x55 lies in no module: kept, named by its address.
  EXPECT_EQ(slurp(folded),
            "MainThread (100);<module> (app.py:6) 300000\n"
            "MainThread (100);<module> (app.py:7);work (app.py:4);"
            "dumps (/usr/lib/python3.11/json/__init__.py:231);0x55 600000\n");
  const Json doc = Json::parse(slurp(speedscope));
  EXPECT_EQ(doc["profiles"].items.size(), 1u);
  EXPECT_EQ(doc["profiles"][0]["name"].text, "MainThread");
  EXPECT_DOUBLE_EQ(doc["profiles"][0]["endValue"].number, 0.9);
  EXPECT_EQ(files_in_dir(), (std::vector<std::string>{"app.py", "p.folded", "p.pyro", "p.speedscope.json"}));

  EXPECT_EQ(run({profile_, "--collapsed"}), 2);
  expect_one_error_line("--collapsed needs a file name");
  EXPECT_EQ(run({profile_, "--speedscope", dir_ + "/missing-dir/s.json"}), 2);
  expect_one_error_line("cannot write");
}

TEST(report_CommandLine, Parses) {
  const CommandLine cl = parse_command_line({"p.pyro", "--wrote", "a", "--wrote=b", "--html", "h", "--summary"});
  EXPECT_EQ(cl.profile, "p.pyro");
  EXPECT_EQ(cl.wrote, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cl.html_path, "h");
  EXPECT_TRUE(cl.summary);
  EXPECT_FALSE(cl.text);
  EXPECT_EQ(parse_command_line({"--", "-odd.pyro"}).profile, "-odd.pyro");
  const CommandLine exports = parse_command_line({"p.pyro", "--collapsed", "c", "--speedscope=s"});
  EXPECT_EQ(exports.collapsed_path, "c");
  EXPECT_EQ(exports.speedscope_path, "s");
  EXPECT_FALSE(exports.text);
}

}  // namespace
}  // namespace pyro::report
