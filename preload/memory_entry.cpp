// The agent's side of the allocation shim's ABI (pyrometer/memory_hooks.h): thin exported
// wrappers around the memory tracker. Called from inside malloc/free of any thread.
#include "agent.h"
#include "exports.h"
#include "memory_tracker.h"
#include "pyrometer/memory_hooks.h"

PYRO_EXPORT void pyrometer_memory_sample(void* ptr, size_t size, size_t mean, uintptr_t caller, int) {
  pyro::MemoryTracker::instance().on_sample(ptr, size, mean, caller);
}

PYRO_EXPORT void pyrometer_memory_free(void* ptr) { pyro::MemoryTracker::instance().on_free(ptr); }

PYRO_EXPORT void pyrometer_memory_mapped(void* addr, size_t len) {
  pyro::MemoryTracker::instance().on_mapped(addr, len);
}

PYRO_EXPORT void pyrometer_memory_unmapped(void* addr, size_t len) {
  pyro::MemoryTracker::instance().on_unmapped(addr, len);
}

PYRO_EXPORT size_t pyrometer_memory_interval(void) {
  // Before the agent's constructor ran, Agent::instance() would allocate: answer 0 until
  // the tracker is set up (it is set up in that constructor).
  if (!pyro::MemoryTracker::instance().initialized()) return 0;
  return pyro::Agent::instance().memory_interval();
}
