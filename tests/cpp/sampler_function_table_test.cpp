#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "function_table.h"

namespace pyro {
namespace {

PyroPyFrame frame(const std::string& file, const std::string& name, int first_line) {
  PyroPyFrame f{};
  f.file = file.data();
  f.file_len = static_cast<uint32_t>(file.size());
  f.file_kind = 1;
  f.name = name.data();
  f.name_len = static_cast<uint32_t>(name.size());
  f.name_kind = 1;
  f.first_line = first_line;
  return f;
}

TEST(FunctionTable, SameContentSameIdEvenFromDifferentBuffers) {
  FunctionTable table;
  ASSERT_TRUE(table.init(1024, 1 << 16));
  std::string a_file = "/app/x.py", a_name = "f";
  std::string b_file = "/app/x.py", b_name = "f";  // another copy: freed-and-reused code objects
  uint32_t a = table.intern(frame(a_file, a_name, 3));
  uint32_t b = table.intern(frame(b_file, b_name, 3));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, table.intern(frame(a_file, a_name, 4)));
  EXPECT_NE(a, table.intern(frame(a_file, "g", 3)));
  FunctionInfo info;
  ASSERT_TRUE(table.lookup(a, &info));
  EXPECT_EQ(info.path, "/app/x.py");
  EXPECT_EQ(info.name, "f");
  EXPECT_EQ(info.first_line, 3);
  EXPECT_EQ(table.size(), 3u);
}

TEST(FunctionTable, DecodesWideCharacters) {
  FunctionTable table;
  ASSERT_TRUE(table.init(64, 1 << 12));
  std::u16string name16 = u"f\u00e9\u4e2d";  // UCS-2 as CPython stores it
  std::u32string name32 = U"g\U0001F600";
  PyroPyFrame f = frame("/a.py", "", 1);
  f.name = name16.data();
  f.name_len = static_cast<uint32_t>(name16.size() * 2);
  f.name_kind = 2;
  FunctionInfo info;
  ASSERT_TRUE(table.lookup(table.intern(f), &info));
  EXPECT_EQ(info.name, "f\xC3\xA9\xE4\xB8\xAD");
  f.name = name32.data();
  f.name_len = static_cast<uint32_t>(name32.size() * 4);
  f.name_kind = 4;
  ASSERT_TRUE(table.lookup(table.intern(f), &info));
  EXPECT_EQ(info.name, "g\xF0\x9F\x98\x80");
}

TEST(FunctionTable, FullTableReportsLostInsteadOfBlocking) {
  FunctionTable table;
  ASSERT_TRUE(table.init(16, 1 << 12));
  int lost = 0;
  for (int i = 0; i < 64; ++i) {
    std::string name = "f" + std::to_string(i);
    if (table.intern(frame("/a.py", name, i)) == FunctionTable::kLost) ++lost;
  }
  EXPECT_GT(lost, 0);
  EXPECT_EQ(table.lost(), static_cast<uint64_t>(lost));
  EXPECT_LE(table.size(), 12u);  // load factor bound
}

TEST(FunctionTable, ConcurrentInternsAgree) {
  FunctionTable table;
  ASSERT_TRUE(table.init(1 << 12, 1 << 20));
  std::vector<std::vector<uint32_t>> ids(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::string name = "fn" + std::to_string(i);
        ids[t].push_back(table.intern(frame("/m.py", name, i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(ids[t], ids[0]);
  EXPECT_EQ(table.size(), 500u);
}

}  // namespace
}  // namespace pyro
