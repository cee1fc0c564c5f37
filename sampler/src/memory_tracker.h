// The in-process half of memory tracking that runs inside malloc and free (called by the
// allocation shim through pyrometer/memory_hooks.h): it remembers each sampled allocation
// by pointer until it is freed, records the allocation's stack into the thread's ring, and
// queues the frees for the drain thread. Everything on the hook side is lock-free and
// allocation-free: fixed tables mmap'ed at start, CAS to claim entries, drop-and-count when
// a table is full.
#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace pyro {

// Pointer -> allocation id, for sampled allocations that are still live. Open addressing
// with a bounded probe: an insert that finds no free entry within kMaxProbe is refused (the
// allocation is counted as dropped), so a lookup never scans further either.
class LiveTable {
 public:
  static constexpr uint32_t kMaxProbe = 64;

  bool init(size_t capacity);  // rounded up to a power of two; mmap'ed, touched as used
  bool insert(uintptr_t ptr, uint64_t id);
  // Removes ptr and returns its id, or false when ptr is not (or no longer) in the table.
  bool remove(uintptr_t ptr, uint64_t* id);
  size_t capacity() const { return mask_ + 1; }

 private:
  static constexpr uintptr_t kEmpty = 0, kTombstone = 1, kBusy = 2;
  struct Entry {
    std::atomic<uintptr_t> key;
    std::atomic<uint64_t> value;
  };
  size_t home(uintptr_t ptr) const { return ((ptr >> 4) * 0x9E3779B97F4A7C15ULL) >> shift_; }

  Entry* entries_ = nullptr;
  size_t mask_ = 0;
  unsigned shift_ = 64;
};

// Bounded multi-producer, single-consumer queue of frees (sequence-numbered cells: a
// producer claims a cell with one CAS and never waits for another producer).
struct FreeEvent {
  uint64_t seq;  // global event order, shared with allocation ids
  uint64_t id;   // the allocation freed
};

class FreeQueue {
 public:
  bool init(size_t capacity);
  bool push(const FreeEvent& event);  // false when full
  template <typename Fn>
  size_t drain(Fn&& fn) {
    size_t n = 0;
    for (;;) {
      Cell& c = cells_[head_ & mask_];
      if (c.seq.load(std::memory_order_acquire) != head_ + 1) return n;
      fn(c.event);
      c.seq.store(head_ + mask_ + 1, std::memory_order_release);
      ++head_;
      ++n;
    }
  }

 private:
  struct Cell {
    std::atomic<uint64_t> seq;
    FreeEvent event;
  };
  Cell* cells_ = nullptr;
  size_t mask_ = 0;
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) uint64_t head_ = 0;  // consumer only
};

class MemoryTracker {
 public:
  static MemoryTracker& instance();

  // Normal context, before sampling starts. mean: bytes between samples on average.
  bool init(size_t mean_bytes);
  bool initialized() const { return mean_ != 0; }
  size_t mean() const { return mean_; }
  void set_recording(bool on) { recording_.store(on, std::memory_order_release); }
  void set_wake_fd(int fd) { wake_fd_ = fd; }

  // Hook side (inside malloc/free/mmap/munmap of any thread).
  void on_sample(void* ptr, size_t size, size_t mean, uintptr_t caller);
  void on_free(void* ptr);
  void on_mapped(void* addr, size_t len);
  void on_unmapped(void* addr, size_t len);

  // Drain side.
  FreeQueue& frees() { return frees_; }
  int64_t mapped_bytes() const { return mapped_bytes_.load(std::memory_order_relaxed); }
  uint64_t dropped_allocations() const { return dropped_allocations_.load(std::memory_order_relaxed); }
  uint64_t untracked_frees() const { return untracked_frees_.load(std::memory_order_relaxed); }

 private:
  void wake_drain();

  size_t mean_ = 0;
  std::atomic<bool> recording_{false};
  int wake_fd_ = -1;
  LiveTable live_;
  LiveTable mappings_;  // program mappings: address -> length
  FreeQueue frees_;
  std::atomic<uint64_t> next_seq_{1};
  std::atomic<int64_t> mapped_bytes_{0};
  std::atomic<uint64_t> dropped_allocations_{0};
  std::atomic<uint64_t> untracked_frees_{0};
};

}  // namespace pyro

namespace pyro {

// The bytes a sampled allocation stands for. With an exponential countdown of mean m, an
// allocation of s bytes is sampled with probability 1 - e^(-s/m); weighting it by the
// inverse makes every byte count once in expectation (large allocations: ~s, small: ~m).
inline double allocation_weight(uint64_t size, uint64_t mean) {
  if (mean == 0 || size == 0) return double(size);
  const double x = double(size) / double(mean);
  if (x > 40) return double(size);
  return double(size) / -std::expm1(-x);
}

}  // namespace pyro
