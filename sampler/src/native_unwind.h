// Native call stack of the interrupted thread, captured from the signal handler with
// libunwind (return addresses only, no symbols: those come later, in report/).
#pragma once

#include <cstdint>

namespace pyro {

// Normal context, once: per-thread caches (libunwind's global cache takes a lock) and a
// warm-up unwind, whose first call costs 0.1-0.3 ms.
void prepare_native_unwinding();

// Signal-safe. Writes the interrupted thread's frames, innermost (the interrupted PC)
// first, into out[0..max) and returns how many; 0 when the unwind did not reach the
// interrupted frame; kSkippedInLoader when the thread is inside the dynamic loader (below).
inline constexpr int kSkippedInLoader = -1;
int capture_native_stack(uintptr_t interrupted_pc, uintptr_t* out, int max);

// Normal context (an allocation hook): the calling thread's frames from the function that
// `return_address` returns into, outward (return addresses only). Same return values. The
// SIGPROF handler takes no sample while the thread is inside an allocation hook, so this
// never nests with the handler's unwind (libunwind's per-thread cache is not reentrant).
int capture_native_stack_from(uintptr_t return_address, uintptr_t* out, int max);

// libunwind looks up unwind tables with dl_iterate_phdr, which takes the loader's lock: a
// thread interrupted while it holds that lock (inside dlopen, dlclose, or dl_iterate_phdr
// itself, e.g. while C++ throws) would deadlock in its own handler. preload/ brackets
// those calls with these, and such samples keep their Python frames only.
void enter_dynamic_loader();
void leave_dynamic_loader();

// The same lock, held by *another* thread: dl_iterate_phdr holds it while its callback
// runs, and a callback that allocates (our module map does) waits for the allocator's
// lock — which the interrupted thread may hold while its handler waits for the loader's
// lock. And glibc's fork() does not reset that lock: a child forked while any thread was
// inside dl_iterate_phdr (libunwind calls it for every sample) deadlocks in its first one.
// So every dl_iterate_phdr made outside our handler is counted (preload/loader_hooks.cpp
// calls begin/end), a handler unwinds only while that count is zero (else the sample keeps
// its Python frames, native_skipped), and fork() waits until no one iterates.
void begin_phdr_iteration();  // normal context; waits while a fork is being prepared
void end_phdr_iteration();
bool unwinding_in_handler();  // the calling thread is inside the handler's own unwind
void block_phdr_iteration_for_fork();  // pthread_atfork prepare: bounded wait
void unblock_phdr_iteration_after_fork(bool in_child);

}  // namespace pyro
