#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "agent.h"
#include "profile_writer.h"

namespace pyro {
namespace {

using format::ByteReader;
using format::RecordType;

TEST(ProfileWriter, WritesAWellFormedSnapshot) {
  FunctionTable functions;
  ASSERT_TRUE(functions.init(64, 4096));
  std::string file = "/a.py", name = "f";
  PyroPyFrame f{};
  f.file = file.data();
  f.file_len = 5;
  f.file_kind = 1;
  f.name = name.data();
  f.name_len = 1;
  f.name_kind = 1;
  f.first_line = 1;
  uint32_t id = functions.intern(f);

  Aggregator agg(format::Mode::kCpu, 0);
  uint32_t t = agg.add_thread(42, "MainThread");
  RawSample s;
  std::memset(&s, 0, sizeof s);
  s.cpu_ns = 10;
  s.python_depth = 1;
  s.python[0] = {id, 3};
  agg.add_sample(t, s);

  RunInfo run;
  run.pid = 99;
  auto bytes = ProfileWriter::serialize(run, {{"argv", "a.py"}}, agg, functions);
  ByteReader r(bytes.data(), bytes.size());
  char magic[8];
  ASSERT_TRUE(r.raw(magic, 8));
  EXPECT_EQ(std::memcmp(magic, format::kMagic, 8), 0);
  EXPECT_EQ(r.u32(), format::kVersion);
  r.u32();
  int counts[8] = {};
  uint64_t records = 0;
  bool saw_end = false;
  while (r.remaining() > 0) {
    uint32_t type = r.u32(), len = r.u32();
    ASSERT_FALSE(r.failed());
    ASSERT_LE(len, r.remaining());
    std::vector<uint8_t> payload(len);
    r.raw(payload.data(), len);
    if (type == static_cast<uint32_t>(RecordType::kEnd)) {
      ByteReader p(payload.data(), len);
      EXPECT_EQ(p.u64(), records);
      saw_end = true;
      break;
    }
    ++records;
    if (type < 8) ++counts[type];
    if (type == static_cast<uint32_t>(RecordType::kStack)) {
      ByteReader p(payload.data(), len);
      EXPECT_EQ(p.u32(), 99u);
      EXPECT_EQ(p.u32(), 42u);
      EXPECT_EQ(p.u32(), 1u);
      EXPECT_EQ(p.u8(), static_cast<uint8_t>(format::FrameKind::kPython));
      EXPECT_EQ(p.u32(), id);
      EXPECT_EQ(p.i32(), 3);
      EXPECT_EQ(p.u32(), format::kStackCounterCount);
    }
  }
  EXPECT_TRUE(saw_end);
  EXPECT_EQ(counts[static_cast<int>(RecordType::kMeta)], 1);
  EXPECT_EQ(counts[static_cast<int>(RecordType::kRun)], 1);
  EXPECT_EQ(counts[static_cast<int>(RecordType::kFunction)], 1);
  EXPECT_EQ(counts[static_cast<int>(RecordType::kThread)], 1);
  EXPECT_EQ(counts[static_cast<int>(RecordType::kStack)], 1);
}

TEST(ProfileWriter, ReplacesAtomicallyAndReportsErrors) {
  FunctionTable functions;
  ASSERT_TRUE(functions.init(16, 1024));
  Aggregator agg(format::Mode::kCpu, 0);
  char dir[] = "/tmp/pyro-writer-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/p.pyro";
  EXPECT_EQ(ProfileWriter::write(path, RunInfo{}, {}, agg, functions), "");
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content.substr(0, 8), "PYROPROF");
  EXPECT_NE(ProfileWriter::write(std::string(dir) + "/missing/p.pyro", RunInfo{}, {}, agg, functions), "");
  unlink(path.c_str());
  rmdir(dir);
}

TEST(AgentConfig, ParsesAndRejects) {
  AgentConfig c;
  std::string error;
  ASSERT_TRUE(c.parse("out=/tmp/x.pyro;mode=wall;interval_ns=5000000;future_key=1", &error)) << error;
  EXPECT_EQ(c.output, "/tmp/x.pyro");
  EXPECT_EQ(c.mode, format::Mode::kWall);
  EXPECT_EQ(c.interval_ns, 5'000'000u);
  AgentConfig bad;
  EXPECT_FALSE(bad.parse("out=/x;mode=turbo", &error));
  EXPECT_FALSE(AgentConfig().parse("mode=cpu", &error));  // no output
  EXPECT_FALSE(AgentConfig().parse("out=/x;interval_ns=abc", &error));
}

}  // namespace
}  // namespace pyro
