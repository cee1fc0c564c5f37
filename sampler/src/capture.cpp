#include "capture.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

#include <cerrno>
#include <cstring>

#include "cpu_timer.h"
#include "native_unwind.h"
#include "safe_access.h"
#include "signal_chain.h"

namespace pyro {
namespace {

__thread ThreadSlot* t_slot __attribute__((tls_model("initial-exec"))) = nullptr;

CaptureState g_capture;

uint64_t timeval_ns(const timeval& tv) { return uint64_t(tv.tv_sec) * 1'000'000'000ULL + uint64_t(tv.tv_usec) * 1000ULL; }

bool in_range(const PyroCodeRange& r, uintptr_t pc) { return pc >= r.start && pc < r.end; }

// Python frames of the interrupted thread, interned into the sample. Returns the walker
// flags; on a fault the sample keeps no Python frames.
uint32_t capture_python(const PyroWalker* walker, RawSample* s) {
  s->python_depth = 0;
  if (!walker) return 0;
  PyroPyFrame frames[kMaxPythonFrames];
  int depth = 0;
  uint32_t flags = 0;
  bool completed = SafeAccess::run([&] { depth = walker->walk_current_thread(frames, kMaxPythonFrames, &flags); });
  if (!completed) {
    s->flags |= kSampleWalkFaulted;
    return 0;
  }
  if (depth < 0) depth = 0;
  if (depth > kMaxPythonFrames) depth = kMaxPythonFrames;
  s->python_entry_mask[0] = s->python_entry_mask[1] = 0;
  for (int i = 0; i < depth; ++i) {
    s->python[i].function_id = g_capture.functions.intern(frames[i]);
    s->python[i].line = frames[i].line;
    if (frames[i].is_entry) s->python_entry_mask[i / 64] |= uint64_t(1) << (i % 64);
  }
  s->python_depth = static_cast<uint32_t>(depth);
  if (flags & PYRO_WALK_TRUNCATED) s->flags |= kSampleTruncated;
  if (flags & PYRO_WALK_GIL_HELD) s->flags |= kSampleGilHeld;
  return flags;
}

// Python or native time, by where the PC is (see PyroWalker's ranges).
bool is_native_pc(const PyroWalker* walker, uintptr_t pc, uint32_t walk_flags, uint32_t depth) {
  if (!walker || depth == 0) return true;  // no Python code running on this thread
  if (in_range(walker->eval_loop, pc)) return false;
  if (in_range(walker->interpreter, pc)) return (walk_flags & PYRO_WALK_IN_CALL) != 0;
  for (const PyroCodeRange& r : g_capture.allocator)
    if (in_range(r, pc)) return (walk_flags & PYRO_WALK_IN_CALL) != 0;
  return true;
}

// The result of a native capture: a depth, or why there is none.
void store_native_depth(RawSample* s, int depth) {
  if (depth == kSkippedInLoader) {
    s->flags |= kSampleNativeSkipped;
  } else {
    s->native_depth = static_cast<uint32_t>(depth);
  }
}

uintptr_t interrupted_pc(const void* ucontext) {
#if defined(__x86_64__)
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(ucontext)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(static_cast<const ucontext_t*>(ucontext)->uc_mcontext.pc);
#else
  return 0;
#endif
}

void on_sample_signal(int sig, siginfo_t* info, void* ucontext) {
  const int saved_errno = errno;
  ThreadSlot* slot = t_slot;
  if (!is_sample_signal(info)) {
    if (SignalChain::forward(sig, info, ucontext) == SignalChain::Outcome::kDefault)
      SignalChain::die_by_default(sig, info);
  } else if (!slot) {
    g_capture.signals_without_slot.fetch_add(1, std::memory_order_relaxed);
  } else if (slot->in_memory_hook.load(std::memory_order_relaxed)) {
    // The thread is recording an allocation sample: that CPU is the profiler's. Take no
    // sample and account nothing; the hook takes its own CPU out of the thread's account,
    // and the next sample accounts the program's CPU up to its expiry point.
  } else if (g_capture.sampling.load(std::memory_order_acquire)) {
    slot->in_handler.store(1, std::memory_order_release);
    // Re-check after publishing in_handler: finish() clears `sampling` then waits for
    // in_handler to drop, so no handler can be inside once it proceeds.
    if (g_capture.sampling.load(std::memory_order_acquire)) {
      const uint64_t begin = monotonic_ns();
      capture_sample(slot, interrupted_pc(ucontext));
      const uint64_t took = monotonic_ns() - begin;
      const int bucket = took ? 63 - __builtin_clzll(took) : 0;
      g_capture.capture_durations[bucket < CaptureState::kDurationBuckets ? bucket : CaptureState::kDurationBuckets - 1]
          .fetch_add(1, std::memory_order_relaxed);
    }
    slot->in_handler.store(0, std::memory_order_release);
  }
  errno = saved_errno;
}

}  // namespace

CaptureState& capture_state() { return g_capture; }
ThreadSlot* current_slot() { return t_slot; }
void set_current_slot(ThreadSlot* slot) {
  t_slot = slot;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

uint64_t jittered_interval(uint64_t& rng_state, uint64_t interval_ns) {
  // xorshift64*: signal-safe, per-thread state.
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t r = rng_state * 0x2545F4914F6CDD1DULL;
  return interval_ns / 2 + (r % (interval_ns ? interval_ns : 1));
}

void capture_sample(ThreadSlot* slot, uintptr_t pc) {
  const uint64_t now = monotonic_ns();
  const uint64_t cpu_now = thread_cpu_ns();
  rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  const uint64_t user_now = timeval_ns(ru.ru_utime), system_now = timeval_ns(ru.ru_stime);

  // CPU mode: the sample stands for the CPU up to the expiry point that fired (see
  // account_and_rearm_cpu_timer); wall mode: up to now.
  const uint64_t accounted_to = g_capture.mode == format::Mode::kCpu
                                    ? account_and_rearm_cpu_timer(slot, cpu_now, g_capture.interval_ns)
                                    : cpu_now;
  const uint64_t cpu = accounted_to > slot->last_cpu_ns ? accounted_to - slot->last_cpu_ns : 0;
  // The kernel's user/system split (tick-sampled, then scaled to the precise runtime)
  // applied to this sample's precise CPU delta.
  uint64_t du, ds;
  if (slot->have_rusage_baseline) {
    du = user_now > slot->last_user_ns ? user_now - slot->last_user_ns : 0;
    ds = system_now > slot->last_system_ns ? system_now - slot->last_system_ns : 0;
  } else {
    du = user_now;  // first sample of this thread: its ratio so far
    ds = system_now;
  }
  const uint64_t system = (du + ds) ? static_cast<uint64_t>(static_cast<double>(cpu) * ds / (du + ds)) : 0;
  const uint64_t wall = slot->last_wall_ns && now > slot->last_wall_ns ? now - slot->last_wall_ns : 0;

  if (accounted_to > slot->last_cpu_ns) slot->last_cpu_ns = accounted_to;
  slot->last_user_ns = user_now;
  slot->last_system_ns = system_now;
  slot->have_rusage_baseline = true;
  slot->last_wall_ns = now;

  RawSample* s = slot->ring->reserve();
  if (!s) {
    slot->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  s->wall_ns = now;
  s->cpu_ns = cpu;
  s->system_ns = system;
  s->flags = 0;
  s->idle_before_ns = 0;
  s->wall_delta_ns = 0;
  if (g_capture.mode == format::Mode::kWall) {
    // Blocked time the wall sampler accounted without signalling belongs to the previous
    // stack; this sample stands for the rest of the elapsed wall time.
    const uint64_t idle = slot->idle_ns.exchange(0, std::memory_order_acq_rel);
    s->idle_before_ns = idle;
    s->wall_delta_ns = wall > idle ? wall - idle : 0;
  }
  const PyroWalker* walker = g_capture.walker.load(std::memory_order_acquire);
  const uint32_t walk_flags = capture_python(walker, s);
  if (is_native_pc(walker, pc, walk_flags, s->python_depth)) s->flags |= kSampleNativePc;
  s->native_depth = 0;
  if (g_capture.native) store_native_depth(s, capture_native_stack(pc, s->native, kMaxNativeFrames));
  slot->ring->commit();
}

void capture_stack_here(RawSample* s, uintptr_t caller) {
  const PyroWalker* walker = g_capture.walker.load(std::memory_order_acquire);
  capture_python(walker, s);
  s->native_depth = 0;
  if (g_capture.native) store_native_depth(s, capture_native_stack_from(caller, s->native, kMaxNativeFrames));
}

bool install_sample_handler() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sample_signal;
  sigemptyset(&sa.sa_mask);
  // SA_RESTART: a CPU-clock timer only fires while the thread runs, but the wall sampler
  // may interrupt a thread that just entered a syscall; restartable ones resume.
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  return SignalChain::take_over(kSampleSignal, sa);
}

}  // namespace pyro
