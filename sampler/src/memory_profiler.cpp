#include "memory_profiler.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "capture.h"
#include "memory_tracker.h"
#include "safe_access.h"

namespace pyro {
namespace {

// Marker the allocation shim exports: memory tracking needs it in the process.
constexpr const char* kShimMarker = "pyrometer_memory_shim_version";

// The executable segment of the object that contains `address` (code or data); empty when
// none does.
PyroCodeRange executable_range_of(const void* address) {
  struct Query {
    uintptr_t address;
    PyroCodeRange range;
  } query{reinterpret_cast<uintptr_t>(address), {0, 0}};
  if (!address) return query.range;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* q = static_cast<Query*>(data);
        bool contains = false;
        PyroCodeRange text{0, 0};
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          const uintptr_t start = info->dlpi_addr + ph.p_vaddr, end = start + ph.p_memsz;
          contains |= q->address >= start && q->address < end;
          if (ph.p_flags & PF_X) text = {start, end};
        }
        if (!contains) return 0;
        q->range = text;
        return 1;
      },
      &query);
  return query.range;
}

uint64_t read_rss_bytes(int fd) {
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // statm: size resident shared text lib data dt (pages)
  char* rest = nullptr;
  std::strtoull(buf, &rest, 10);
  const unsigned long long resident = std::strtoull(rest, nullptr, 10);
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

bool MemoryProfiler::configure(uint64_t mean_bytes, std::string* error) {
  if (!dlsym(RTLD_DEFAULT, kShimMarker)) {
    *error = "memory tracking needs the allocation shim (libpyrometer_memory.so) preloaded";
    return false;
  }
  mallctl_ = reinterpret_cast<decltype(mallctl_)>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (!mallctl_ || !MemoryTracker::instance().init(mean_bytes)) {
    *error = "cannot set up memory tracking";
    return false;
  }
  mean_ = mean_bytes;
  enabled_ = true;
  // The allocator's code ranges, for the Python/native split (see CaptureState::allocator).
  // Located by symbols only they define: "malloc" itself may resolve to the canonical PLT
  // entry of a non-PIE interpreter executable.
  const void* allocator_symbols[CaptureState::kMaxAllocatorRanges] = {dlsym(RTLD_DEFAULT, "mallocx"),
                                                                     dlsym(RTLD_DEFAULT, kShimMarker)};
  for (int i = 0; i < CaptureState::kMaxAllocatorRanges; ++i)
    capture_state().allocator[i] = executable_range_of(allocator_symbols[i]);
  statm_fd_ = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  return true;
}

void MemoryProfiler::attach_thread(ThreadSlot* slot) {
  if (!enabled_) return;
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  size_t size = sizeof allocated;
  if (mallctl_("thread.allocatedp", &allocated, &size, nullptr, 0) != 0) return;
  size = sizeof deallocated;
  if (mallctl_("thread.deallocatedp", &deallocated, &size, nullptr, 0) != 0) return;
  slot->allocated_counter = allocated;
  slot->deallocated_counter = deallocated;
}

void MemoryProfiler::detach_thread(ThreadSlot* slot) {
  if (!slot->allocated_counter) return;
  slot->exit_net_bytes = static_cast<int64_t>(*slot->allocated_counter - *slot->deallocated_counter);
}

void MemoryProfiler::start(uint64_t start_ns, int wake_fd) {
  if (!enabled_) return;
  tables_ = std::make_unique<MemoryAggregator>(start_ns, mean_);
  MemoryTracker::instance().set_wake_fd(wake_fd);
  MemoryTracker::instance().set_recording(true);
}

void MemoryProfiler::stop() {
  if (enabled_) MemoryTracker::instance().set_recording(false);
}

void MemoryProfiler::drain_slot(ThreadSlot& slot, uint32_t thread_index, Aggregator& agg) {
  if (!tables_ || !slot.alloc_ring) return;
  slot.alloc_ring->drain([&](const RawSample& s) {
    const auto bytes =
        static_cast<uint64_t>(std::llround(allocation_weight(s.alloc_size, s.alloc_mean))) + s.alloc_carried;
    const size_t stack = agg.add_allocation(thread_index, s, bytes);
    tables_->add_allocation(s.alloc_id, stack, bytes, s.wall_ns);
  });
}

void MemoryProfiler::retire_slot(ThreadSlot& slot) {
  if (!slot.allocated_counter) return;
  retired_net_bytes_ += slot.exit_net_bytes;
  slot.allocated_counter = slot.deallocated_counter = nullptr;
}

int64_t MemoryProfiler::heap_bytes(ThreadRegistry& registry) {
  int64_t total = retired_net_bytes_ + MemoryTracker::instance().mapped_bytes();
  registry.for_each_used([&](ThreadSlot& slot) {
    if (!slot.allocated_counter) return;
    if (slot.state.load(std::memory_order_acquire) == SlotState::kExited) {
      total += slot.exit_net_bytes;
      return;
    }
    // The counters live in the thread's TLS, which goes away with the thread: a thread that
    // exits right now may take them along, so read them under the fault guard.
    uint64_t allocated = 0, deallocated = 0;
    if (SafeAccess::run([&] {
          allocated = *slot.allocated_counter;
          deallocated = *slot.deallocated_counter;
        }))
      total += static_cast<int64_t>(allocated - deallocated);
  });
  return total;
}

void MemoryProfiler::end_cycle(uint64_t now_ns, Aggregator& agg, ThreadRegistry& registry) {
  if (!tables_) return;
  MemoryTracker::instance().frees().drain([&](const FreeEvent& e) { tables_->add_free(e.seq, e.id); });
  tables_->end_cycle(now_ns, agg);
  tables_->add_heap_point(now_ns, heap_bytes(registry), read_rss_bytes(statm_fd_));
}

uint64_t MemoryProfiler::dropped_allocations() const { return MemoryTracker::instance().dropped_allocations(); }
uint64_t MemoryProfiler::untracked_frees() const { return MemoryTracker::instance().untracked_frees(); }

}  // namespace pyro
