// The libdw symbolizer on real code: this test's own functions (built with -O2 -g, see
// report.cmake), libc's qsort, and addresses no module holds. The Module records come from
// the test process itself, as the agent would write them.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdint>
#include <string>

#include "profile.h"
#include "symbolizer.h"
#include "testing/self_modules.h"

namespace {

// Return addresses taken inside the functions below, each with the line of its call (set
// on the same source line as the call).
uintptr_t g_plain_return = 0;
uintptr_t g_inlined_return = 0;
uintptr_t g_nested_return = 0;
int g_plain_call_line = 0;
int g_inlined_call_line = 0;
int g_inline_site_line = 0;
int g_nested_inner_line = 0;
int g_nested_middle_line = 0;
int g_nested_outer_line = 0;

__attribute__((noinline)) void record_return(uintptr_t* where) {
  *where = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  asm volatile("" ::: "memory");
}

}  // namespace

constexpr int kPlainDeclLine = __LINE__ + 1;
extern "C" __attribute__((noinline)) int pyro_symbolizer_test_plain(int x) {
  volatile int y = x * 2;
  record_return(&g_plain_return); g_plain_call_line = __LINE__;
  return y + 1;
}

namespace pyro_symbolizer_test_ns {
__attribute__((noinline)) int scaled(int x, double factor) {
  volatile double r = x * factor;
  return static_cast<int>(r);
}
}  // namespace pyro_symbolizer_test_ns

static inline __attribute__((always_inline)) int pyro_symbolizer_inlined_helper(volatile int* p) {
  const int v = *p * 3;
  record_return(&g_inlined_return); g_inlined_call_line = __LINE__;
  return v + *p;
}

extern "C" __attribute__((noinline)) int pyro_symbolizer_test_inline_caller(volatile int* p) {
  const int r = pyro_symbolizer_inlined_helper(p); g_inline_site_line = __LINE__;
  return r + 7;
}

// Two levels: inner inlined into middle, middle inlined into the noinline outer.
static inline __attribute__((always_inline)) int pyro_symbolizer_nested_inner(volatile int* p) {
  record_return(&g_nested_return); g_nested_inner_line = __LINE__;
  return *p + 11;
}
static inline __attribute__((always_inline)) int pyro_symbolizer_nested_middle(volatile int* p) {
  const int r = pyro_symbolizer_nested_inner(p) * 5; g_nested_middle_line = __LINE__;
  return r - *p;
}
extern "C" __attribute__((noinline)) int pyro_symbolizer_nested_outer(volatile int* p) {
  const int r = pyro_symbolizer_nested_middle(p); g_nested_outer_line = __LINE__;
  return r ^ 3;
}

namespace pyro::report {
namespace {

std::string basename_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class report_NativeSymbolizer : public ::testing::Test {
 protected:
  void SetUp() override {
    volatile int v = 5;
    ASSERT_GT(pyro_symbolizer_test_plain(3), 0);
    ASSERT_GT(pyro_symbolizer_test_inline_caller(&v), 0);
    ASSERT_NE(pyro_symbolizer_nested_outer(&v), 0);
    ASSERT_NE(g_nested_return, 0u);
    ASSERT_NE(g_plain_return, 0u);
    ASSERT_NE(g_inlined_return, 0u);
    modules_ = testing::self_module_infos();
    ASSERT_FALSE(modules_.empty());
  }
  std::string module_path(const SymbolizedAddress& s) const {
    return s.module < 0 ? std::string() : modules_[static_cast<size_t>(s.module)].path;
  }
  std::vector<ModuleInfo> modules_;
};

TEST_F(report_NativeSymbolizer, OwnFunctionNameFileAndLine) {
  Symbolizer symbolizer(modules_);
  // The exact entry PC: the function itself, its file.
  const auto entry = reinterpret_cast<uint64_t>(&pyro_symbolizer_test_plain);
  const SymbolizedAddress& at_entry = symbolizer.lookup(entry, false);
  ASSERT_EQ(at_entry.frames.size(), 1u);
  EXPECT_EQ(at_entry.frames[0].function, "pyro_symbolizer_test_plain");
  EXPECT_EQ(basename_of(at_entry.frames[0].path), "report_native_symbolizer_test.cpp");
  EXPECT_EQ(basename_of(module_path(at_entry)), "report_tests");
  EXPECT_EQ(at_entry.frames[0].decl_line, kPlainDeclLine);

  // A return address: looked up at address - 1, the call's line in the body.
  const SymbolizedAddress& at_call = symbolizer.lookup(g_plain_return, true);
  ASSERT_EQ(at_call.frames.size(), 1u);
  EXPECT_EQ(at_call.frames[0].function, "pyro_symbolizer_test_plain");
  EXPECT_EQ(at_call.frames[0].line, g_plain_call_line);
  EXPECT_FALSE(at_call.frames[0].inlined);
  EXPECT_TRUE(symbolizer.module_problem(static_cast<size_t>(at_call.module)).empty())
      << symbolizer.module_problem(static_cast<size_t>(at_call.module));
}

TEST_F(report_NativeSymbolizer, CxxNamesAreDemangled) {
  Symbolizer symbolizer(modules_);
  const auto address = reinterpret_cast<uint64_t>(&pyro_symbolizer_test_ns::scaled);
  const SymbolizedAddress& s = symbolizer.lookup(address, false);
  ASSERT_FALSE(s.frames.empty());
  EXPECT_EQ(s.frames.back().function, "pyro_symbolizer_test_ns::scaled(int, double)");
  EXPECT_EQ(demangle("_ZN3foo3barEv"), "foo::bar()");
  EXPECT_EQ(demangle("take_gil"), "take_gil");
  EXPECT_EQ(demangle("_Znot a mangled name"), "_Znot a mangled name");
}

TEST_F(report_NativeSymbolizer, InlinedCallIsAnExtraLogicalFrame) {
  Symbolizer symbolizer(modules_);
  const SymbolizedAddress& s = symbolizer.lookup(g_inlined_return, true);
  ASSERT_EQ(s.frames.size(), 2u);
  // Innermost first: the inlined helper at the call inside it, then its caller at the line
  // where the helper was inlined.
  EXPECT_EQ(s.frames[0].function, "pyro_symbolizer_inlined_helper");
  EXPECT_TRUE(s.frames[0].inlined);
  EXPECT_EQ(s.frames[0].line, g_inlined_call_line);
  EXPECT_EQ(basename_of(s.frames[0].path), "report_native_symbolizer_test.cpp");
  EXPECT_EQ(s.frames[1].function, "pyro_symbolizer_test_inline_caller");
  EXPECT_FALSE(s.frames[1].inlined);
  EXPECT_EQ(s.frames[1].line, g_inline_site_line);
  EXPECT_EQ(basename_of(s.frames[1].path), "report_native_symbolizer_test.cpp");
}

TEST_F(report_NativeSymbolizer, NestedInlinesExpandEveryLevel) {
  Symbolizer symbolizer(modules_);
  const SymbolizedAddress& s = symbolizer.lookup(g_nested_return, true);
  ASSERT_EQ(s.frames.size(), 3u);
  EXPECT_EQ(s.frames[0].function, "pyro_symbolizer_nested_inner");
  EXPECT_EQ(s.frames[0].line, g_nested_inner_line);
  EXPECT_TRUE(s.frames[0].inlined);
  EXPECT_EQ(s.frames[1].function, "pyro_symbolizer_nested_middle");
  EXPECT_EQ(s.frames[1].line, g_nested_middle_line);
  EXPECT_TRUE(s.frames[1].inlined);
  EXPECT_EQ(s.frames[2].function, "pyro_symbolizer_nested_outer");
  EXPECT_EQ(s.frames[2].line, g_nested_outer_line);
  EXPECT_FALSE(s.frames[2].inlined);
}

TEST(report_SymbolNames, GccCloneSuffixesAreStripped) {
  EXPECT_EQ(strip_clone_suffix("list_sort_impl.constprop.0"), "list_sort_impl");
  EXPECT_EQ(strip_clone_suffix("take_gil.isra.0.cold"), "take_gil");
  EXPECT_EQ(strip_clone_suffix("f.part.12"), "f");
  EXPECT_EQ(strip_clone_suffix("ns::f(int) [clone .constprop.0]"), "ns::f(int)");
  EXPECT_EQ(strip_clone_suffix("GLIBC_2.2.5"), "GLIBC_2.2.5");
  EXPECT_EQ(strip_clone_suffix("a.b"), "a.b");
  EXPECT_EQ(strip_clone_suffix(".cold"), ".cold");
  EXPECT_EQ(strip_clone_suffix("plain"), "plain");
}

TEST_F(report_NativeSymbolizer, LibcFunction) {
  Symbolizer symbolizer(modules_);
  // From libc's own handle: under AddressSanitizer RTLD_DEFAULT finds its interceptor.
  void* libc = ::dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(libc, nullptr);
  void* qsort_address = ::dlsym(libc, "qsort");
  ::dlclose(libc);
  ASSERT_NE(qsort_address, nullptr);
  const SymbolizedAddress& s = symbolizer.lookup(reinterpret_cast<uint64_t>(qsort_address), false);
  ASSERT_FALSE(s.frames.empty());
  EXPECT_EQ(s.frames.back().function, "qsort");
  EXPECT_EQ(basename_of(module_path(s)).rfind("libc.so", 0), 0u) << module_path(s);
}

TEST_F(report_NativeSymbolizer, AddressOutsideEveryModule) {
  Symbolizer symbolizer(modules_);
  const SymbolizedAddress& s = symbolizer.lookup(0x10, false);
  EXPECT_EQ(s.module, SymbolizedAddress::kNoModule);
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].function, "0x10");
  EXPECT_TRUE(s.frames[0].path.empty());
}

TEST_F(report_NativeSymbolizer, ChangedOrMissingFileKeepsTheModule) {
  const auto entry = reinterpret_cast<uint64_t>(&pyro_symbolizer_test_plain);
  std::vector<ModuleInfo> changed = modules_;
  std::vector<ModuleInfo> missing = modules_;
  int32_t own = -1;
  for (size_t m = 0; m < modules_.size(); ++m) {
    for (const AddressRange& r : modules_[m].ranges) {
      if (entry >= r.start && entry < r.end) own = static_cast<int32_t>(m);
    }
  }
  ASSERT_GE(own, 0);
  const auto index = static_cast<size_t>(own);
  ASSERT_FALSE(modules_[index].build_id.empty());
  changed[index].build_id = std::string(modules_[index].build_id.size(), '0');
  missing[index].path = "/nonexistent/pyrometer/report_tests";
  const std::string offset = fmt::format("0x{:x}", entry - modules_[index].load_bias);
  for (const auto* mods : {&changed, &missing}) {
    Symbolizer symbolizer(*mods);
    const SymbolizedAddress& s = symbolizer.lookup(entry, false);
    EXPECT_EQ(s.module, own);
    ASSERT_EQ(s.frames.size(), 1u);
    EXPECT_EQ(s.frames[0].function, offset);
    EXPECT_FALSE(symbolizer.module_problem(index).empty());
  }
}

TEST_F(report_NativeSymbolizer, ResultsAreCachedPerAddress) {
  Symbolizer symbolizer(modules_);
  const SymbolizedAddress& a = symbolizer.lookup(g_plain_return, true);
  const SymbolizedAddress& b = symbolizer.lookup(g_plain_return, true);
  EXPECT_EQ(&a, &b);
  // The same address as an exact PC is a different lookup (no - 1).
  const SymbolizedAddress& c = symbolizer.lookup(g_plain_return, false);
  EXPECT_NE(&a, &c);
}

}  // namespace
}  // namespace pyro::report
