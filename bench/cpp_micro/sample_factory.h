// Synthetic samples for the microbenchmarks: Python stacks of a chosen depth over a pool of
// interned functions, with a chosen number of distinct stacks, and optionally a native
// stack that the aggregator merges with them (leaf in C, eval-loop frames in between).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aggregator.h"
#include "function_table.h"
#include "raw_sample.h"

namespace pyro::bench {

// The eval loop's address range the native stacks below use.
inline constexpr PyroCodeRange kFakeEvalLoop{0x100000, 0x200000};

class SampleFactory {
 public:
  // files x functions_per_file functions are interned in `functions`.
  SampleFactory(FunctionTable& functions, int files, int functions_per_file);

  // The sample of stack number `stack` (0 <= stack < distinct) of `depth` Python frames;
  // with `native`, a matching native stack (pc in C, one eval-loop frame per entry frame).
  void fill(RawSample& sample, uint64_t stack, uint64_t distinct, int depth, bool native) const;

 private:
  std::vector<uint32_t> ids_;
  std::vector<std::string> strings_;  // keeps the names the table copied from alive
};

// Aggregates `count` samples spread over `distinct` stacks on `threads` threads.
void aggregate(Aggregator& aggregator, const SampleFactory& factory, uint64_t count, uint64_t distinct,
               int depth, int threads, bool native);

}  // namespace pyro::bench
