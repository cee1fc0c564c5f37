#include "agent.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "capture.h"
#include "cpu_timer.h"
#include "native_unwind.h"
#include "profile_writer.h"
#include "safe_access.h"

extern char** environ;

namespace pyro {
namespace {

constexpr uint64_t kDrainPeriodNs = 20'000'000;
constexpr size_t kFunctionCapacity = 1 << 20;
constexpr size_t kFunctionArenaBytes = 64u << 20;

__thread bool t_creating_internal_thread __attribute__((tls_model("initial-exec"))) = false;

uint64_t unix_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

// Blocks SIGTERM on the calling thread for its lifetime.
class SigtermBlocked {
 public:
  SigtermBlocked() {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, &previous_);
  }
  ~SigtermBlocked() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

 private:
  sigset_t previous_;
};

void print_error(const std::string& message) {
  // One line on stderr; write(2) directly: stdio may be in any state at exit.
  std::string line = "pyrometer: error: " + message + "\n";
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

Agent& Agent::instance() {
  static Agent* agent = new Agent();  // never destroyed: exit paths may still use it
  return *agent;
}

bool Agent::creating_internal_thread() { return t_creating_internal_thread; }

void Agent::init_from_environment() {
  const char* settings = std::getenv("PYROMETER_AGENT");
  if (!settings) return;
  std::string error;
  if (!config_.parse(settings, &error)) {
    print_error("invalid PYROMETER_AGENT: " + error);
    return;
  }
  if (!follow_children(settings)) return;  // a non-Python child: dormant
  if (!capture_state().functions.init(kFunctionCapacity, kFunctionArenaBytes)) {
    print_error("cannot reserve memory for the profiler");
    return;
  }
  pid_ = getpid();
  capture_state().mode = config_.mode;
  capture_state().interval_ns = config_.interval_ns;
  capture_state().native = config_.native;
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (config_.memory && !memory_.configure(config_.memory_interval, &error)) print_error(error + "; profiling CPU only");
  active_.store(true, std::memory_order_release);
  on_thread_start();  // the main thread
}

void Agent::on_thread_start() {
  if (!active() || finishing_.load(std::memory_order_acquire)) return;
  ThreadSlot* slot = registry_.register_current(memory_.enabled());
  if (!slot) return;
  memory_.attach_thread(slot);
  slot->last_cpu_ns = thread_cpu_ns();
  slot->last_wall_ns = monotonic_ns();
  set_current_slot(slot);
  if (started_.load(std::memory_order_acquire) && config_.mode == format::Mode::kCpu &&
      !slot->timer_claimed.exchange(true, std::memory_order_acq_rel)) {
    std::string error;
    create_cpu_timer(slot, config_.interval_ns, &error);  // a thread without timer is just not sampled
  }
}

void Agent::on_thread_exit() {
  ThreadSlot* slot = current_slot();
  if (!slot) return;
  set_current_slot(nullptr);  // from here on, a late signal finds no slot and does nothing
  delete_cpu_timer(slot);
  memory_.detach_thread(slot);
  // The handler no longer touches the slot, so its baseline is stable to read here.
  const uint64_t cpu = thread_cpu_ns();
  slot->tail_cpu_ns = cpu > slot->last_cpu_ns ? cpu - slot->last_cpu_ns : 0;
  registry_.mark_exited(slot);  // release: publishes tail_cpu_ns to the drain
}

int Agent::register_walker(const PyroWalker* walker) {
  if (!walker || walker->abi_version != PYRO_WALKER_ABI_VERSION) {
    std::lock_guard<std::mutex> lock(config_lock_);
    last_error_ = "the frame walker's ABI version does not match the agent's";
    return -1;
  }
  capture_state().walker.store(walker, std::memory_order_release);
  return 0;
}

void Agent::set_metadata(const char* key, const char* value) {
  std::lock_guard<std::mutex> lock(config_lock_);
  for (auto& kv : metadata_) {
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  }
  metadata_.emplace_back(key, value);
}

void Agent::set_report_command(const char* const* argv) {
  std::lock_guard<std::mutex> lock(config_lock_);
  report_command_.clear();
  for (; argv && *argv; ++argv) report_command_.emplace_back(*argv);
}

void Agent::set_thread_name(uint32_t tid, const char* name) {
  if (!active()) return;
  if (tid == 0) {
    if (ThreadSlot* slot = current_slot()) registry_.set_name(slot, name, true);
    return;
  }
  registry_.set_name_by_tid(static_cast<pid_t>(tid), name);
}

bool Agent::spawn_internal_thread(pthread_t* thread, void* (*fn)(void*), void* arg) {
  // Internal threads must never take the program's signals: block them all while
  // creating so the new thread inherits a full mask.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  t_creating_internal_thread = true;
  int rc = pthread_create(thread, nullptr, fn, arg);
  t_creating_internal_thread = false;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return rc == 0;
}

int Agent::start() {
  auto fail = [this](const std::string& why) {
    std::lock_guard<std::mutex> lock(config_lock_);
    last_error_ = why;
    return -1;
  };
  if (!active()) return fail("the pyrometer agent is not configured (PYROMETER_AGENT unset)");
  if (started_.exchange(true)) return 0;
  // A fork child inherits the signal handlers: installing them again would chain to itself.
  const bool forked = forked_child_.exchange(false, std::memory_order_acq_rel);
  if (!forked && (!install_sample_handler() || !SafeAccess::install())) return fail("cannot install signal handlers");
  if (!prepare_child_start(forked)) return fail("cannot set up the child process's profile");

  start_monotonic_ns_ = monotonic_ns();
  start_unix_ns_ = unix_ns();
  last_checkpoint_ns_ = start_monotonic_ns_;
  aggregator_ = std::make_unique<Aggregator>(config_.mode, start_monotonic_ns_);
  if (const PyroWalker* walker = capture_state().walker.load(std::memory_order_acquire))
    aggregator_->set_eval_loop(walker->eval_loop);
  if (config_.native) {
    prepare_native_unwinding();
    modules_.refresh();
  }

  // Threads that registered before start() get their baselines and timers now.
  std::string error;
  registry_.for_each_used([&](ThreadSlot& slot) {
    if (slot.state.load(std::memory_order_acquire) != SlotState::kActive) return;
    // Baselines: CPU used before start() (interpreter start-up) is not the program's.
    // No handler runs for this slot yet, so writing its handler-owned fields is safe.
    timespec ts;
    if (clock_gettime(thread_cpu_clock(slot.tid), &ts) != 0) return;
    slot.last_cpu_ns = uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
    slot.last_wall_ns = start_monotonic_ns_;
    if (config_.mode == format::Mode::kCpu && !slot.timer_claimed.exchange(true, std::memory_order_acq_rel))
      create_cpu_timer(&slot, config_.interval_ns, &error);
  });
  if (!error.empty()) return fail(error);
  capture_state().sampling.store(true, std::memory_order_release);
  memory_.start(start_monotonic_ns_, wake_fd_);
  if (config_.mode == format::Mode::kWall &&
      !wall_sampler_.start(&registry_, config_.interval_ns, &Agent::spawn_internal_thread))
    return fail("cannot start the wall-clock sampler thread");
  drain_running_.store(true, std::memory_order_release);
  drain_started_ = spawn_internal_thread(&drain_thread_, &Agent::drain_main, this);
  if (!drain_started_) {
    drain_running_.store(false);
    return fail("cannot start the drain thread");
  }
  install_terminate_handler();
  return 0;
}

void* Agent::drain_main(void* self) {
  static_cast<Agent*>(self)->drain_loop();
  return nullptr;
}

void Agent::drain_loop() {
  while (drain_running_.load(std::memory_order_acquire)) {
    pollfd pfd{wake_fd_, POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(kDrainPeriodNs / 1'000'000));
    uint64_t wakeups;
    (void)!::read(wake_fd_, &wakeups, sizeof wakeups);  // non-blocking: just clears the eventfd
    if (terminate_requested_.load(std::memory_order_acquire)) {
      drain_running_.store(false, std::memory_order_release);
      finish();  // on this thread: the terminated thread waits in its handler
      return;
    }
    if (!drain_running_.load(std::memory_order_acquire)) return;
    if (config_.native) modules_.refresh();  // before draining: samples may point into new modules
    drain_once();
    const uint64_t now = monotonic_ns();
    if (now - last_checkpoint_ns_ >= config_.checkpoint_ns) {
      last_checkpoint_ns_ = now;
      refresh_live_thread_names();
      write_profile();  // a failed checkpoint is retried at the next one and at the end
    }
  }
}

uint32_t Agent::thread_index_for(ThreadSlot& slot) {
  if (slot.drain_generation != slot.generation) {
    slot.drain_generation = slot.generation;
    slot.drain_thread_index = aggregator_->add_thread(slot.tid, registry_.name_of(&slot));
  }
  return slot.drain_thread_index;
}

void Agent::drain_once() {
  registry_.for_each_used([&](ThreadSlot& slot) {
    // Read the state before draining: samples committed before the thread exited are then
    // guaranteed to be visible to this drain.
    const bool exited = slot.state.load(std::memory_order_acquire) == SlotState::kExited;
    const uint32_t index = thread_index_for(slot);
    slot.ring->drain([&](const RawSample& s) { aggregator_->add_sample(index, s); });
    memory_.drain_slot(slot, index, *aggregator_);
    if (exited) retire_exited(slot, index);
  });
  memory_.end_cycle(monotonic_ns(), *aggregator_, registry_);
}

void Agent::retire_exited(ThreadSlot& slot, uint32_t thread_index) {
  aggregator_->add_tail_cpu(thread_index, slot.tail_cpu_ns);
  aggregator_->add_idle(thread_index, slot.idle_ns.exchange(0, std::memory_order_acq_rel));
  aggregator_->thread(thread_index).name = registry_.name_of(&slot);
  memory_.retire_slot(slot);
  registry_.release(&slot);
}

void Agent::refresh_live_thread_names() {
  registry_.for_each_used([&](ThreadSlot& slot) {
    if (slot.drain_generation == slot.generation)
      aggregator_->thread(slot.drain_thread_index).name = registry_.name_of(&slot);
  });
}

void Agent::stop_sampling() {
  capture_state().sampling.store(false, std::memory_order_release);
  memory_.stop();
  wall_sampler_.stop();
  registry_.for_each_used([&](ThreadSlot& slot) { delete_cpu_timer(&slot); });
  // Wait (bounded) for handlers that were already running when sampling stopped.
  for (int spin = 0; spin < 1000; ++spin) {
    bool busy = false;
    registry_.for_each_used([&](ThreadSlot& slot) {
      busy |= slot.in_handler.load(std::memory_order_acquire) != 0 || slot.in_memory_hook.load(std::memory_order_acquire) != 0;
    });
    if (!busy) break;
    timespec ts{0, 100'000};
    nanosleep(&ts, nullptr);
  }
}

std::string Agent::write_profile() {
  if (role_ != AgentRole::kRoot && aggregator_->samples() == 0) return {};  // e.g. a fork child that only exec'd
  RunInfo run;
  run.pid = pid_;
  run.mode = config_.mode;
  run.interval_ns = config_.interval_ns;
  run.start_unix_ns = start_unix_ns_;
  run.duration_ns = monotonic_ns() - start_monotonic_ns_;
  uint64_t dropped = 0;
  registry_.for_each_used([&](ThreadSlot& slot) { dropped += slot.dropped.load(std::memory_order_relaxed); });
  run.dropped_samples = dropped + SafeAccess::faults();
  std::vector<std::pair<std::string, std::string>> meta;
  {
    std::lock_guard<std::mutex> lock(config_lock_);
    meta = metadata_;
  }
  meta.emplace_back("native", config_.native ? "1" : "0");
  meta.emplace_back("memory", memory_.enabled() ? "1" : "0");
  ProfileExtras extras;
  if (MemoryAggregator* tables = memory_.tables()) {
    tables->publish(*aggregator_);
    extras.memory = tables;
    extras.dropped_allocations = memory_.dropped_allocations();
    extras.untracked_frees = memory_.untracked_frees();
  }
  if (config_.native) {
    modules_.refresh();
    extras.modules = modules_.modules();
    if (const PyroWalker* walker = capture_state().walker.load(std::memory_order_acquire))
      meta.emplace_back("interpreter_path", modules_.path_of(walker->eval_loop.start));
  }
  for (const auto& bucket : capture_state().capture_durations) extras.capture_durations.push_back(bucket.load());
  return ProfileWriter::write(config_.output, run, meta, *aggregator_, capture_state().functions, extras);
}

int Agent::finish() {
  // In a vfork child the agent's memory is the parent's: never touch it from there.
  if (!active() || !started_.load(std::memory_order_acquire) || !owns_process()) return 0;
  // A SIGTERM on this thread while it writes the profile would kill it half-way (a pool
  // worker exiting by itself while multiprocessing terminates it): held until done.
  SigtermBlocked sigterm_blocked;
  if (finishing_.exchange(true, std::memory_order_acq_rel)) {
    // Another thread is finishing (e.g. os._exit racing the atexit hook): wait for it,
    // so the process does not exit before the profile is on disk.
    for (int i = 0; i < 600'000 && !finished_.load(std::memory_order_acquire); ++i) {
      timespec ts{0, 100'000};
      nanosleep(&ts, nullptr);
    }
    return report_status_;
  }
  stop_sampling();
  drain_running_.store(false, std::memory_order_release);
  if (drain_started_ && !pthread_equal(pthread_self(), drain_thread_)) {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
    pthread_join(drain_thread_, nullptr);
  }
  drain_once();
  // Threads still alive: their CPU since the last sample (handlers are stopped, so the
  // baselines are stable) and their last blocked stretch.
  registry_.for_each_used([&](ThreadSlot& slot) {
    if (slot.drain_generation != slot.generation) return;
    timespec ts;
    if (clock_gettime(thread_cpu_clock(slot.tid), &ts) == 0) {
      const uint64_t cpu = uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
      if (cpu > slot.last_cpu_ns) aggregator_->add_tail_cpu(slot.drain_thread_index, cpu - slot.last_cpu_ns);
      slot.last_cpu_ns = cpu;
    }
    aggregator_->add_idle(slot.drain_thread_index, slot.idle_ns.exchange(0, std::memory_order_acq_rel));
  });
  refresh_live_thread_names();
  std::string error = write_profile();
  if (!error.empty()) {
    print_error(error);
    report_status_ = 2;
  } else {
    report_status_ = run_report_command();
  }
  finished_.store(true, std::memory_order_release);
  return report_status_;
}

int Agent::run_report_command() {
  std::vector<std::string> command;
  {
    std::lock_guard<std::mutex> lock(config_lock_);
    command = report_command_;
  }
  if (command.empty()) return 0;
  std::vector<char*> argv;
  for (auto& arg : command) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, dfl;
  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGTERM);
  sigaddset(&dfl, SIGINT);
  sigaddset(&dfl, kSampleSignal);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &dfl);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t child;
  InternalSpawn internal;  // the report generator is not a child to profile
  int rc = posix_spawn(&child, argv[0], nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    print_error("cannot run the report generator " + command[0] + ": " + std::strerror(rc));
    return 2;
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return 0;  // reaped by the program's own SIGCHLD handling
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

namespace {
void on_terminate(int sig) { Agent::instance().on_terminate_signal(sig); }
}  // namespace

void Agent::install_terminate_handler() {
  // Only where the program left the default action: a program that handles SIGTERM
  // itself exits through its own code path (and our atexit hook).
  struct sigaction current;
  if (sigaction(SIGTERM, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) return;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_terminate;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
}

void Agent::on_terminate_signal(int sig) {
  // Signal context: only flags, write(2) and nanosleep. The drain thread does the work;
  // this thread waits (bounded) so the program does not run on meanwhile, then dies by
  // the same signal with its default action.
  if (finishing_.load(std::memory_order_acquire)) {
    // Another thread is writing the profile (it holds SIGTERM blocked): let it end.
    for (int i = 0; i < 100'000 && !finished_.load(std::memory_order_acquire); ++i) {
      timespec ts{0, 100'000};
      nanosleep(&ts, nullptr);
    }
  } else if (drain_running_.load(std::memory_order_acquire)) {
    terminate_requested_.store(true, std::memory_order_release);
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
    for (int i = 0; i < 100'000 && !finished_.load(std::memory_order_acquire); ++i) {
      timespec ts{0, 100'000};
      nanosleep(&ts, nullptr);
    }
  }
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, nullptr);
  // Pending until this handler returns (the signal is blocked while it runs), then fatal.
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

}  // namespace pyro
