// Turns raw samples into bounded tables: counters per (thread, stack), totals per thread,
// and a CPU timeline. Owned by one thread at a time (the drain thread, or finish() after
// the drain thread stopped), so it needs no locks. Memory grows with distinct stacks and
// threads, never with run length.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pyrometer/profile_format.h"
#include "raw_sample.h"
#include "stack_merge.h"

namespace pyro {

struct StackCounters {
  uint64_t values[format::kStackCounterCount] = {};
};

struct AggregatedStack {
  pid_t tid = 0;
  bool truncated = false;
  std::vector<MixedFrame> frames;  // innermost first
  StackCounters counters;
};

struct AggregatedThread {
  pid_t tid = 0;
  std::string name;
  uint64_t cpu_ns = 0;
  uint64_t wall_ns = 0;
  uint64_t samples = 0;
  int64_t last_stack = -1;  // index into stacks(): where blocked time of this thread goes
  uint32_t last_flags = 0;  // SampleFlags of the last sample: how to classify tail CPU
};

class Aggregator {
 public:
  static constexpr size_t kMaxStacks = 200000;  // beyond this, new stacks fold by innermost frame
  static constexpr size_t kMaxTimelineBuckets = 2048;
  // The interrupted PC makes every sample in native code a potential new stack, so a long
  // run of the same workload kept adding stacks (~200 KB of .pyro per minute). Per stack
  // below the leaf, the first kExactLeafPcs distinct PCs are kept exactly (the hot ones come
  // first); a later PC within kLeafFoldBytes of one of them joins it; a farther one (another
  // function behind the same call site) still gets its own stack.
  static constexpr size_t kExactLeafPcs = 32;
  static constexpr uint64_t kLeafFoldBytes = 1024;

  explicit Aggregator(format::Mode mode, uint64_t start_ns) : mode_(mode), start_ns_(start_ns) {}

  // Where the interpreter's eval loop lives, for merging native and Python frames.
  void set_eval_loop(const PyroCodeRange& range) { eval_loop_ = range; }

  uint32_t add_thread(pid_t tid, const std::string& name);
  AggregatedThread& thread(uint32_t index) { return threads_[index]; }
  const std::vector<AggregatedThread>& threads() const { return threads_; }

  void add_sample(uint32_t thread_index, const RawSample& sample);
  // A sampled allocation (kSampleAllocation): interns its stack, counts its estimated bytes
  // and returns the stack's index (for the memory aggregator).
  size_t add_allocation(uint32_t thread_index, const RawSample& sample, uint64_t bytes);
  void add_to_counter(size_t stack, format::StackCounter c, uint64_t delta) { stacks_[stack].counters.values[c] += delta; }
  void set_counter(size_t stack, format::StackCounter c, uint64_t value) { stacks_[stack].counters.values[c] = value; }

  // Wall mode: blocked time of a thread, charged to the stack it was last seen in.
  void add_idle(uint32_t thread_index, uint64_t idle_ns);
  // CPU a thread used after its last sample (it exited, or the run ended), charged to the
  // stack it was last seen in, so per-thread totals equal the threads' real CPU time.
  void add_tail_cpu(uint32_t thread_index, uint64_t cpu_ns);

  const std::vector<AggregatedStack>& stacks() const { return stacks_; }
  uint64_t samples() const { return samples_; }
  uint64_t truncated_stacks() const { return truncated_; }
  uint64_t native_fallbacks() const { return native_fallbacks_; }
  uint64_t native_skipped() const { return native_skipped_; }
  uint64_t folded_leaf_pcs() const { return folded_leaf_pcs_; }

  // CPU used per timeline bucket (all threads).
  uint64_t timeline_bucket_ns() const { return bucket_ns_; }
  const std::vector<uint64_t>& timeline() const { return timeline_; }

 private:
  size_t stack_index(pid_t tid, bool truncated);
  static void append_key(std::string& key, const MixedFrame& f);
  void fold_leaf_pc(pid_t tid, bool truncated);
  void add_to_timeline(uint64_t at_ns, uint64_t cpu_ns);

  format::Mode mode_;
  uint64_t start_ns_;
  std::vector<AggregatedThread> threads_;
  std::vector<AggregatedStack> stacks_;
  std::unordered_map<std::string, size_t> stack_ids_;
  PyroCodeRange eval_loop_{0, 0};
  std::vector<MixedFrame> merged_;  // reused buffer: the sample being added, innermost first
  std::string key_;                 // reused buffer
  std::string parent_key_;          // reused buffer: key_ without the leaf frame
  std::unordered_map<std::string, std::vector<uint64_t>> leaf_pcs_;  // parent key → leaf PCs with a stack
  uint64_t folded_leaf_pcs_ = 0;
  uint64_t samples_ = 0;
  uint64_t truncated_ = 0;
  uint64_t native_fallbacks_ = 0;
  uint64_t native_skipped_ = 0;
  uint64_t bucket_ns_ = 100'000'000;  // doubles whenever the timeline gets too long
  std::vector<uint64_t> timeline_;
};

}  // namespace pyro
