// Single-producer (the thread's own signal handler) / single-consumer (the drain thread)
// ring of samples. The producer never blocks: when the ring is full the sample is dropped
// and counted by the caller.
#pragma once

#include <atomic>
#include <cstdint>

#include "raw_sample.h"

namespace pyro {

template <uint32_t kCapacity>
class SampleRing {
  static_assert((kCapacity & (kCapacity - 1)) == 0, "capacity must be a power of two");

 public:
  // Producer: a slot to fill, or nullptr when full. Call commit() after filling it.
  RawSample* reserve() {
    uint32_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= kCapacity) return nullptr;
    return &slots_[head & (kCapacity - 1)];
  }
  void commit() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Consumer: calls fn(const RawSample&) for every committed sample, oldest first.
  template <typename Fn>
  uint32_t drain(Fn&& fn) {
    uint32_t tail = tail_.load(std::memory_order_relaxed);
    uint32_t head = head_.load(std::memory_order_acquire);
    for (uint32_t i = tail; i != head; ++i) fn(slots_[i & (kCapacity - 1)]);
    tail_.store(head, std::memory_order_release);
    return head - tail;
  }

  // Committed samples not drained yet (producer side: a hint for waking the consumer).
  uint32_t pending() const { return head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_relaxed); }

  void reset() {
    head_.store(0, std::memory_order_relaxed);
    tail_.store(0, std::memory_order_relaxed);
  }

 private:
  alignas(64) std::atomic<uint32_t> head_{0};
  alignas(64) std::atomic<uint32_t> tail_{0};
  RawSample slots_[kCapacity];
};

}  // namespace pyro
