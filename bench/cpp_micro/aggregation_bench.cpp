// Aggregation throughput: how many raw samples per second the drain thread can fold into
// the stack table (merge with native frames, hash the stack, bump the counters).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "sample_factory.h"

namespace pyro::bench {
namespace {

FunctionTable& shared_functions() {
  static FunctionTable* table = [] {
    auto* t = new FunctionTable;
    t->init(1 << 14, 1 << 22);
    return t;
  }();
  return *table;
}

const SampleFactory& shared_factory() {
  static SampleFactory factory(shared_functions(), 20, 25);
  return factory;
}

// Args: distinct stacks, Python depth, native frames (0/1). The samples are made before
// timing starts (one per distinct stack, up to 16384, visited in a scrambled order).
void BM_AggregateSample(benchmark::State& state) {
  const uint64_t distinct = static_cast<uint64_t>(state.range(0));
  const int depth = static_cast<int>(state.range(1));
  const bool native = state.range(2) != 0;
  std::vector<RawSample> samples(std::min<uint64_t>(distinct, 16384));
  for (size_t k = 0; k < samples.size(); ++k) {
    std::memset(&samples[k], 0, sizeof(RawSample));
    shared_factory().fill(samples[k], (k * 7919) % distinct, distinct, depth, native);
  }
  Aggregator aggregator(format::Mode::kCpu, 0);
  aggregator.set_eval_loop(kFakeEvalLoop);
  uint32_t thread = aggregator.add_thread(1, "MainThread");
  size_t i = 0;
  for (auto _ : state) {
    aggregator.add_sample(thread, samples[i]);
    if (++i == samples.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["stacks"] = static_cast<double>(aggregator.stacks().size());
}
BENCHMARK(BM_AggregateSample)
    ->ArgNames({"distinct", "depth", "native"})
    ->Args({100, 20, 0})
    ->Args({10000, 20, 0})
    ->Args({10000, 20, 1})
    ->Args({10000, 60, 1});

// One million samples end to end (sample construction included, which is cheap next to
// add_sample): the time a long run's drain thread spends aggregating.
void BM_AggregateOneMillion(benchmark::State& state) {
  const uint64_t distinct = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    Aggregator aggregator(format::Mode::kCpu, 0);
    aggregator.set_eval_loop(kFakeEvalLoop);
    aggregate(aggregator, shared_factory(), 1'000'000, distinct, 24, 4, true);
    benchmark::DoNotOptimize(aggregator.stacks().size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1'000'000);
}
BENCHMARK(BM_AggregateOneMillion)->ArgName("distinct")->Arg(2000)->Arg(50000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pyro::bench
