#include "memory_tracker.h"

#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "pyrometer/memory_hooks.h"

// The free filter the shim probes on every free (see memory_hooks.h). Defined here, in the
// agent, and exported: the shim links the agent.
extern "C" {
__attribute__((visibility("default"))) uint8_t pyrometer_free_filter[1u << PYROMETER_FREE_FILTER_BITS];
}

namespace pyro {
namespace {

void* map_zeroed(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

size_t round_up_pow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// Saturating counters: a counter that reached 255 stays there (its pointers always take the
// slow path, which is only slower, never wrong).
void filter_increment(uintptr_t ptr) {
  uint8_t* c = &pyrometer_free_filter[pyrometer_filter_index(reinterpret_cast<void*>(ptr))];
  uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
  while (v != 255 && !__atomic_compare_exchange_n(c, &v, uint8_t(v + 1), true, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
  }
}

void filter_decrement(uintptr_t ptr) {
  uint8_t* c = &pyrometer_free_filter[pyrometer_filter_index(reinterpret_cast<void*>(ptr))];
  uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
  while (v != 255 && v != 0 && !__atomic_compare_exchange_n(c, &v, uint8_t(v - 1), true, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
  }
}

}  // namespace

bool LiveTable::init(size_t capacity) {
  capacity = round_up_pow2(capacity < 2 * kMaxProbe ? 2 * kMaxProbe : capacity);
  entries_ = static_cast<Entry*>(map_zeroed(capacity * sizeof(Entry)));
  if (!entries_) return false;
  mask_ = capacity - 1;
  shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
  return true;
}

bool LiveTable::insert(uintptr_t ptr, uint64_t id) {
  if (!entries_ || ptr <= kBusy) return false;
  const size_t start = home(ptr);
  for (uint32_t i = 0; i < kMaxProbe; ++i) {
    Entry& e = entries_[(start + i) & mask_];
    uintptr_t key = e.key.load(std::memory_order_relaxed);
    if (key != kEmpty && key != kTombstone) continue;
    if (!e.key.compare_exchange_strong(key, kBusy, std::memory_order_acquire)) continue;
    e.value.store(id, std::memory_order_relaxed);
    e.key.store(ptr, std::memory_order_release);
    return true;
  }
  return false;
}

bool LiveTable::remove(uintptr_t ptr, uint64_t* id) {
  if (!entries_) return false;
  const size_t start = home(ptr);
  for (uint32_t i = 0; i < kMaxProbe; ++i) {
    Entry& e = entries_[(start + i) & mask_];
    uintptr_t key = e.key.load(std::memory_order_acquire);
    if (key == kEmpty) return false;
    if (key != ptr) continue;
    *id = e.value.load(std::memory_order_relaxed);
    // Only the thread freeing ptr can get here for this key, so a plain store suffices.
    e.key.store(kTombstone, std::memory_order_release);
    return true;
  }
  return false;
}

bool FreeQueue::init(size_t capacity) {
  capacity = round_up_pow2(capacity);
  cells_ = static_cast<Cell*>(map_zeroed(capacity * sizeof(Cell)));
  if (!cells_) return false;
  mask_ = capacity - 1;
  for (size_t i = 0; i < capacity; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  return true;
}

bool FreeQueue::push(const FreeEvent& event) {
  if (!cells_) return false;
  uint64_t pos = tail_.load(std::memory_order_relaxed);
  for (;;) {
    Cell& c = cells_[pos & mask_];
    const uint64_t seq = c.seq.load(std::memory_order_acquire);
    const int64_t diff = static_cast<int64_t>(seq) - static_cast<int64_t>(pos);
    if (diff == 0) {
      if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        c.event = event;
        c.seq.store(pos + 1, std::memory_order_release);
        return true;
      }
    } else if (diff < 0) {
      return false;  // full: the consumer has not caught up
    } else {
      pos = tail_.load(std::memory_order_relaxed);
    }
  }
}

namespace {
// Namespace scope, constant-initialized: usable from the first malloc of the process, and
// no guard variable (a function-local static would take a lock on first use).
MemoryTracker g_tracker;
}  // namespace

MemoryTracker& MemoryTracker::instance() { return g_tracker; }

bool MemoryTracker::init(size_t mean_bytes) {
  // Live sampled allocations are about live bytes / mean: a million entries covers a 64 GB
  // heap at the default mean, and the table costs virtual memory only until used.
  if (!live_.init(1u << 20) || !mappings_.init(1u << 14) || !frees_.init(1u << 16)) return false;
  mean_ = mean_bytes;
  return true;
}

void MemoryTracker::wake_drain() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

void MemoryTracker::on_sample(void* ptr, size_t size, size_t mean, uintptr_t caller) {
  if (!recording_.load(std::memory_order_acquire)) return;
  ThreadSlot* slot = current_slot();
  if (!slot || !slot->alloc_ring) return;  // the profiler's own threads, or untracked ones
  // Inside our own SIGPROF handler (something it called allocated): the profiler's memory,
  // and unwinding here would re-enter the handler's unwind.
  if (slot->in_handler.load(std::memory_order_relaxed)) return;
  slot->in_memory_hook.store(1, std::memory_order_release);
  // The CPU this takes is the profiler's, not the program's: it is taken out of the CPU the
  // thread's next CPU sample accounts (unless a sample landed meanwhile and took it in).
  const uint64_t cpu_before = thread_cpu_ns();
  const uint64_t accounted_before = slot->last_cpu_ns;
  // Re-check after publishing in_memory_hook: finish() clears recording_, then waits.
  if (recording_.load(std::memory_order_acquire)) {
    const uint64_t id = next_seq_.fetch_add(1, std::memory_order_relaxed);
    RawSample* s = slot->alloc_ring->reserve();
    if (!s || !live_.insert(reinterpret_cast<uintptr_t>(ptr), id)) {
      dropped_allocations_.fetch_add(1, std::memory_order_relaxed);
      // Its bytes ride on this thread's next recorded sample: a loop that outruns the drain
      // would otherwise lose a share of its allocations and read low.
      slot->dropped_alloc_bytes += static_cast<uint64_t>(std::llround(allocation_weight(size, mean)));
      if (!s) wake_drain();
    } else {
      filter_increment(reinterpret_cast<uintptr_t>(ptr));
      s->wall_ns = monotonic_ns();
      s->cpu_ns = s->system_ns = s->wall_delta_ns = s->idle_before_ns = 0;
      s->flags = kSampleAllocation | kSampleReturnAddresses;
      s->alloc_id = id;
      s->alloc_size = size;
      s->alloc_mean = mean;
      s->alloc_carried = slot->dropped_alloc_bytes;
      slot->dropped_alloc_bytes = 0;
      capture_stack_here(s, caller);
      slot->alloc_ring->commit();
      if (slot->alloc_ring->pending() >= kAllocRingCapacity / 2) wake_drain();
    }
  }
  const uint64_t cpu_after = thread_cpu_ns();
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  if (slot->last_cpu_ns == accounted_before) {
    slot->last_cpu_ns += cpu_after - cpu_before;
    slot->last_user_ns += cpu_after - cpu_before;  // nor in the user/system split
  }
  slot->in_memory_hook.store(0, std::memory_order_release);
}

void MemoryTracker::on_free(void* ptr) {
  uint64_t id;
  if (!live_.remove(reinterpret_cast<uintptr_t>(ptr), &id)) return;  // a filter false positive
  filter_decrement(reinterpret_cast<uintptr_t>(ptr));
  const uint64_t seq = next_seq_.fetch_add(1, std::memory_order_relaxed);
  if (!frees_.push({seq, id})) untracked_frees_.fetch_add(1, std::memory_order_relaxed);
}

void MemoryTracker::on_mapped(void* addr, size_t len) {
  if (mappings_.insert(reinterpret_cast<uintptr_t>(addr), len))
    mapped_bytes_.fetch_add(static_cast<int64_t>(len), std::memory_order_relaxed);
}

void MemoryTracker::on_unmapped(void* addr, size_t) {
  // By start address: an munmap at a mapping's start removes all of it; one elsewhere inside
  // it is not seen (Python and the allocators we know unmap what they mapped, whole).
  uint64_t len;
  if (mappings_.remove(reinterpret_cast<uintptr_t>(addr), &len))
    mapped_bytes_.fetch_sub(static_cast<int64_t>(len), std::memory_order_relaxed);
}

}  // namespace pyro
