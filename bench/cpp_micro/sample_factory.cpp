#include "sample_factory.h"

#include <cstddef>
#include <cstring>

namespace pyro::bench {

SampleFactory::SampleFactory(FunctionTable& functions, int files, int functions_per_file) {
  strings_.reserve(static_cast<size_t>(files) * functions_per_file * 2);
  for (int f = 0; f < files; ++f) {
    for (int k = 0; k < functions_per_file; ++k) {
      strings_.push_back("/srv/app/package/module_" + std::to_string(f) + ".py");
      const std::string& path = strings_.back();
      strings_.push_back("Handler.function_" + std::to_string(k));
      const std::string& name = strings_.back();
      PyroPyFrame frame{};
      frame.file = path.data();
      frame.file_len = static_cast<uint32_t>(path.size());
      frame.file_kind = PYRO_STR_1BYTE;
      frame.name = name.data();
      frame.name_len = static_cast<uint32_t>(name.size());
      frame.name_kind = PYRO_STR_1BYTE;
      frame.first_line = 10 * k + 1;
      ids_.push_back(functions.intern(frame));
    }
  }
}

void SampleFactory::fill(RawSample& s, uint64_t stack, uint64_t distinct, int depth, bool native) const {
  std::memset(&s, 0, offsetof(RawSample, python));
  s.cpu_ns = 10'000'000;
  s.system_ns = stack % 5 == 0 ? 1'000'000 : 0;
  s.flags = kSampleGilHeld | (stack % 3 == 0 ? kSampleNativePc : 0);
  s.python_depth = static_cast<uint32_t>(depth);
  // Stacks share their outer frames (a call tree), and differ in the innermost frames and line.
  uint64_t key = stack % distinct;
  for (int i = 0; i < depth; ++i) {
    const uint64_t mix = i < 3 ? key : key / (i + 1);
    s.python[i].function_id = ids_[(mix * 2654435761u + i) % ids_.size()];
    s.python[i].line = static_cast<int32_t>(10 + (i == 0 ? key % 97 : mix % 13));
  }
  // Every 8th Python frame begins its own eval-loop call (C code called back into Python).
  int entries = 0;
  for (int i = 0; i < depth; ++i) {
    if (i % 8 == 7 || i == depth - 1) {
      s.python_entry_mask[i / 64] |= uint64_t(1) << (i % 64);
      ++entries;
    }
  }
  if (!native) return;
  int n = 0;
  s.native[n++] = 0x700010 + (key % 64) * 16;  // leaf in a C library
  for (int e = 0; e < entries && n + 3 < kMaxNativeFrames; ++e) {
    s.native[n++] = kFakeEvalLoop.start + 0x100 + e;  // an eval-loop call
    s.native[n++] = 0x500000 + e * 32;                // the C code that called it
  }
  s.native[n++] = 0x400100;  // main
  s.native_depth = static_cast<uint32_t>(n);
}

void aggregate(Aggregator& aggregator, const SampleFactory& factory, uint64_t count, uint64_t distinct,
               int depth, int threads, bool native) {
  std::vector<uint32_t> thread_ids;
  for (int t = 0; t < threads; ++t) thread_ids.push_back(aggregator.add_thread(1000 + t, "worker"));
  RawSample sample;
  std::memset(&sample, 0, sizeof sample);
  for (uint64_t i = 0; i < count; ++i) {
    // A skewed mix: a few stacks are hot, many are rare (as in real profiles).
    uint64_t stack = (i * 0x9E3779B97F4A7C15ull) >> 40;
    stack = (stack % 4 == 0) ? stack % distinct : stack % (distinct / 16 + 1);
    factory.fill(sample, stack, distinct, depth, native);
    aggregator.add_sample(thread_ids[i % thread_ids.size()], sample);
  }
}

}  // namespace pyro::bench
