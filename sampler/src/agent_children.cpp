// The Agent's child-process half: following fork() and exec() so that every process of
// the profiled tree writes its own profile next to the root's (see child_process.h and
// docs/architecture.md, "Child processes").
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <new>

#include "agent.h"
#include "capture.h"
#include "native_unwind.h"
#include "pyrometer/profile_format.h"

namespace pyro {

bool Agent::follow_children(const std::string& settings) {
  pid_ = current_pid();
  role_ = config_.role;
  children_dir_ = config_.output + format::kChildrenDirSuffix;
  const std::string library = agent_library_path();
  const std::string memory_library = config_.memory ? memory_library_path() : std::string();
  const char* run = std::getenv("PYROMETER_RUN");
  exec_env_.prepare(settings, run ? run : "", library, memory_library);
  if (role_ == AgentRole::kRoot || process_is_python()) return true;
  // sh, ls, make...: nothing here will ever call start(). The program must see the
  // environment its parent gave it; our variables live on in exec_env_ and go back into
  // the environment of whatever it execs (a shell running python is profiled).
  scrub_profiler_environment(library, memory_library);
  return false;
}

bool Agent::owns_process() const { return pid_ == current_pid(); }

void Agent::on_fork_prepare() {
  // No thread may be inside dl_iterate_phdr at the fork (its lock survives, held, in the
  // child: see native_unwind.h).
  block_phdr_iteration_for_fork();
  // Held across fork() so the child's copy of metadata and report command is consistent.
  config_lock_.lock();
}

void Agent::on_fork_parent() {
  config_lock_.unlock();
  unblock_phdr_iteration_after_fork(false);
}

void Agent::on_fork_child() {
  // Only the forking thread survives, and any lock (the allocator's included) may have
  // been held by a thread that no longer exists: lock-free resets only, no allocation.
  // start() — called from the Python side's os.register_at_fork(after_in_child=...) hook —
  // restarts sampling in normal context.
  new (&config_lock_) std::mutex();  // held across the fork by on_fork_prepare
  unblock_phdr_iteration_after_fork(true);
  capture_state().sampling.store(false, std::memory_order_relaxed);
  for (auto& bucket : capture_state().capture_durations) bucket.store(0, std::memory_order_relaxed);
  pid_ = current_pid();
  role_ = AgentRole::kChild;
  registry_.reset_after_fork(current_slot());
  wall_sampler_.forget_after_fork();
  // Owned by the drain thread, which may have been updating them at the fork: abandoned
  // (never freed — their state may be torn), replaced by empty ones. Their pages are the
  // parent's, shared copy-on-write.
  (void)aggregator_.release();
  memory_.on_fork_child();
  new (&modules_) ModuleMap();
  // The function table is kept: it is lock-free and append-only, its ids stay valid, and
  // the writer only writes the functions the child's own stacks use. An entry a vanished
  // thread was publishing at the fork never becomes ready and is written as <unknown>.
  drain_started_ = false;
  drain_running_.store(false, std::memory_order_relaxed);
  finishing_.store(false, std::memory_order_relaxed);
  finished_.store(false, std::memory_order_relaxed);
  terminate_requested_.store(false, std::memory_order_relaxed);
  forked_child_.store(active(), std::memory_order_relaxed);
  started_.store(false, std::memory_order_release);
}

bool Agent::prepare_child_start(bool forked) {
  if (forked) {
    // The eventfd is shared with the parent: a wake-up here would wake the parent's drain.
    const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = fd;
  }
  if (role_ == AgentRole::kRoot) return true;
  {
    std::lock_guard<std::mutex> lock(config_lock_);
    if (role_ == AgentRole::kChild) report_command_.clear();  // only the root (or its successor) reports
  }
  set_metadata("role", role_ == AgentRole::kChild ? "child" : "successor");
  set_metadata("parent_pid", std::to_string(getppid()).c_str());
  if (::mkdir(children_dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    std::lock_guard<std::mutex> lock(config_lock_);
    last_error_ = "cannot create " + children_dir_;
    return false;
  }
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  config_.output = child_profile_path(children_dir_, pid_,
                                      uint64_t(now.tv_sec) * 1'000'000'000ULL + uint64_t(now.tv_nsec));
  return true;
}

char* const* Agent::before_exec(char* const* envp, bool replaces_image, ExecEnvironment::Buffers* buffers) {
  if (InternalSpawn::active() || !exec_env_.ready()) return envp;
  // In a vfork child the pid differs from ours (the agent's memory is the parent's): only
  // the environment is prepared, on the stack.
  const bool own_image = owns_process();
  const bool successor = own_image && replaces_image && role_ != AgentRole::kChild;
  if (own_image && replaces_image && started_.load(std::memory_order_acquire) &&
      !finishing_.load(std::memory_order_acquire)) {
    // The image is about to be replaced: write its profile now. A successor reports again
    // at its own exit with everything merged, so this report prints no summary.
    if (successor) {
      std::lock_guard<std::mutex> lock(config_lock_);
      report_command_.erase(std::remove(report_command_.begin(), report_command_.end(), "--summary"),
                            report_command_.end());
    }
    finish();
  }
  return exec_env_.build(envp, successor ? AgentRole::kSuccessor : AgentRole::kChild, buffers);
}

}  // namespace pyro
