#include "aggregator.h"

#include <algorithm>
#include <cstring>

namespace pyro {

using format::StackCounter;

uint32_t Aggregator::add_thread(pid_t tid, const std::string& name) {
  AggregatedThread t;
  t.tid = tid;
  t.name = name;
  threads_.push_back(std::move(t));
  return static_cast<uint32_t>(threads_.size() - 1);
}

void Aggregator::append_key(std::string& key, const MixedFrame& f) {
  key.push_back(static_cast<char>(f.kind));
  if (f.kind == format::FrameKind::kPython) {
    key.append(reinterpret_cast<const char*>(&f.function_id), sizeof f.function_id);
    key.append(reinterpret_cast<const char*>(&f.line), sizeof f.line);
  } else {
    key.append(reinterpret_cast<const char*>(&f.address), sizeof f.address);
  }
}

// Bounds the leaf PCs per stack (see kExactLeafPcs): may move merged_'s leaf PC onto a
// nearby one that already has a stack.
void Aggregator::fold_leaf_pc(pid_t tid, bool truncated) {
  if (merged_.empty() || merged_.front().kind != format::FrameKind::kNativePc) return;
  parent_key_.clear();
  parent_key_.append(reinterpret_cast<const char*>(&tid), sizeof tid);
  parent_key_.push_back(truncated ? 1 : 0);
  for (size_t i = 1; i < merged_.size(); ++i) append_key(parent_key_, merged_[i]);
  std::vector<uint64_t>& pcs = leaf_pcs_[parent_key_];
  const uint64_t pc = merged_.front().address;
  if (std::find(pcs.begin(), pcs.end(), pc) != pcs.end()) return;
  if (pcs.size() >= kExactLeafPcs) {
    uint64_t nearest = 0, distance = UINT64_MAX;
    for (uint64_t kept : pcs) {
      const uint64_t d = kept > pc ? kept - pc : pc - kept;
      if (d < distance) {
        distance = d;
        nearest = kept;
      }
    }
    if (distance <= kLeafFoldBytes) {
      merged_.front().address = nearest;
      ++folded_leaf_pcs_;
      return;
    }
  }
  pcs.push_back(pc);
}

// The stack of merged_ (the sample being added) for this thread.
size_t Aggregator::stack_index(pid_t tid, bool truncated) {
  if (stacks_.size() < kMaxStacks) fold_leaf_pc(tid, truncated);
  key_.clear();
  key_.append(reinterpret_cast<const char*>(&tid), sizeof tid);
  key_.push_back(truncated ? 1 : 0);
  for (const MixedFrame& f : merged_) append_key(key_, f);

  auto it = stack_ids_.find(key_);
  if (it != stack_ids_.end()) return it->second;

  if (stacks_.size() >= kMaxStacks) {
    // Bounded memory: once the table is full, a new stack keeps only its innermost frame
    // (what line attribution needs) and merges with others that share it.
    key_.resize(sizeof tid);
    key_.push_back(2);
    if (!merged_.empty()) append_key(key_, merged_.front());
    auto folded_it = stack_ids_.find(key_);
    if (folded_it != stack_ids_.end()) return folded_it->second;
    AggregatedStack folded;
    folded.tid = tid;
    folded.truncated = true;
    if (!merged_.empty()) folded.frames.push_back(merged_.front());
    stacks_.push_back(std::move(folded));
    stack_ids_.emplace(key_, stacks_.size() - 1);
    return stacks_.size() - 1;
  }
  AggregatedStack stack;
  stack.tid = tid;
  stack.truncated = truncated;
  stack.frames = merged_;
  stacks_.push_back(std::move(stack));
  stack_ids_.emplace(key_, stacks_.size() - 1);
  return stacks_.size() - 1;
}

void Aggregator::add_sample(uint32_t thread_index, const RawSample& s) {
  AggregatedThread& thread = threads_[thread_index];
  if (s.idle_before_ns) add_idle(thread_index, s.idle_before_ns);

  if (merge_stacks(s, eval_loop_, &merged_) == MergeResult::kMismatch) ++native_fallbacks_;
  if (s.flags & kSampleNativeSkipped) ++native_skipped_;
  size_t index = stack_index(thread.tid, (s.flags & kSampleTruncated) != 0);
  uint64_t* c = stacks_[index].counters.values;
  const uint64_t system = std::min(s.system_ns, s.cpu_ns);
  const uint64_t user = s.cpu_ns - system;
  c[format::kSamples] += 1;
  c[(s.flags & kSampleNativePc) ? format::kCpuNativeNs : format::kCpuPythonNs] += user;
  c[format::kCpuSystemNs] += system;
  c[format::kWallNs] += s.wall_delta_ns;
  // "Held the GIL for how long": CPU time in CPU mode, wall time in wall mode.
  const uint64_t span = mode_ == format::Mode::kWall ? s.wall_delta_ns : s.cpu_ns;
  if (s.flags & kSampleGilHeld) c[format::kGilHeldNs] += span;
  if (s.flags & kSampleGilWait) c[format::kGilWaitNs] += span;
  if (s.flags & kSampleTruncated) ++truncated_;

  thread.cpu_ns += s.cpu_ns;
  thread.wall_ns += s.wall_delta_ns;
  thread.samples += 1;
  thread.last_stack = static_cast<int64_t>(index);
  thread.last_flags = s.flags;
  ++samples_;
  add_to_timeline(s.wall_ns, s.cpu_ns);
}

size_t Aggregator::add_allocation(uint32_t thread_index, const RawSample& s, uint64_t bytes) {
  if (merge_stacks(s, eval_loop_, &merged_) == MergeResult::kMismatch) ++native_fallbacks_;
  const size_t index = stack_index(threads_[thread_index].tid, (s.flags & kSampleTruncated) != 0);
  uint64_t* c = stacks_[index].counters.values;
  c[format::kAllocBytes] += bytes;
  c[format::kAllocSamples] += 1;
  return index;
}

void Aggregator::add_idle(uint32_t thread_index, uint64_t idle_ns) {
  AggregatedThread& thread = threads_[thread_index];
  thread.wall_ns += idle_ns;
  if (thread.last_stack < 0) return;  // blocked before its first sample: nowhere to charge it
  uint64_t* c = stacks_[static_cast<size_t>(thread.last_stack)].counters.values;
  c[format::kWallNs] += idle_ns;
}

void Aggregator::add_tail_cpu(uint32_t thread_index, uint64_t cpu_ns) {
  if (cpu_ns == 0) return;
  AggregatedThread& thread = threads_[thread_index];
  if (thread.last_stack < 0) {
    // Never sampled (it ran less than one interval): keep its CPU, with no frames, so
    // thread totals stay true and the sum over stacks still equals cpu_s.
    merged_.clear();
    thread.last_stack = static_cast<int64_t>(stack_index(thread.tid, false));
    thread.last_flags = kSampleNativePc;  // no Python frame seen: the handler's rule for depth 0
  }
  thread.cpu_ns += cpu_ns;
  uint64_t* c = stacks_[static_cast<size_t>(thread.last_stack)].counters.values;
  c[(thread.last_flags & kSampleNativePc) ? format::kCpuNativeNs : format::kCpuPythonNs] += cpu_ns;
  if (mode_ == format::Mode::kCpu && (thread.last_flags & kSampleGilHeld)) c[format::kGilHeldNs] += cpu_ns;
}

void Aggregator::add_to_timeline(uint64_t at_ns, uint64_t cpu_ns) {
  if (at_ns < start_ns_) at_ns = start_ns_;
  size_t bucket = (at_ns - start_ns_) / bucket_ns_;
  while (bucket >= kMaxTimelineBuckets) {
    // Halve the resolution: merge neighbouring buckets.
    std::vector<uint64_t> merged((timeline_.size() + 1) / 2);
    for (size_t i = 0; i < timeline_.size(); ++i) merged[i / 2] += timeline_[i];
    timeline_.swap(merged);
    bucket_ns_ *= 2;
    bucket = (at_ns - start_ns_) / bucket_ns_;
  }
  if (timeline_.size() <= bucket) timeline_.resize(bucket + 1);
  timeline_[bucket] += cpu_ns;
}

}  // namespace pyro
