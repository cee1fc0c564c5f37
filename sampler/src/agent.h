// The profiler inside the profiled process: lifecycle (init → start → finish), thread
// registration, the drain thread that turns samples into tables, checkpoints, and the
// hand-off to the report generator. preload/ calls into it from its interposers;
// python_ext/ reaches it through the PyroAgentApi table.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aggregator.h"
#include "memory_profiler.h"
#include "child_process.h"
#include "module_map.h"
#include "pyrometer/walker_api.h"
#include "thread_registry.h"
#include "wall_sampler.h"

namespace pyro {

struct AgentConfig {
  std::string output;  // absolute path of the .pyro file
  format::Mode mode = format::Mode::kCpu;
  uint64_t interval_ns = 10'000'000;
  uint64_t checkpoint_ns = 2'000'000'000;
  bool native = true;  // capture native stacks
  bool memory = false;  // track allocations (the allocation shim must be preloaded)
  uint64_t memory_interval = kDefaultMemoryInterval;  // mean bytes between allocation samples

  AgentRole role = AgentRole::kRoot;  // where this process sits in the profiled tree

  static constexpr uint64_t kDefaultMemoryInterval = 256 * 1024;

  // Parses "key=value;key=value" (the PYROMETER_AGENT variable). False on a bad entry.
  bool parse(const std::string& text, std::string* error);
};

class Agent {
 public:
  static Agent& instance();

  // Process start (preload constructor). Dormant unless PYROMETER_AGENT is set.
  void init_from_environment();
  bool active() const { return active_.load(std::memory_order_acquire); }
  // Mean bytes between allocation samples; 0 when memory tracking is off.
  uint64_t memory_interval() const { return memory_.enabled() ? memory_.mean() : 0; }

  // Thread lifecycle, called by the pthread_create interposer on the new thread.
  void on_thread_start();
  void on_thread_exit();
  // True while the agent itself creates a thread: the interposer must not register it.
  static bool creating_internal_thread();

  // PyroAgentApi.
  int register_walker(const PyroWalker* walker);
  void set_metadata(const char* key, const char* value);
  void set_report_command(const char* const* argv);
  void set_thread_name(uint32_t tid, const char* name);
  int start();
  int finish();
  const char* last_error() const { return last_error_.c_str(); }

  // Exit paths (preload/exit_hooks).
  void on_terminate_signal(int sig);  // signal handler context

  // Child processes (agent_children.cpp). pthread_atfork handlers; on_fork_child is
  // lock-free, start() does the rest in the child.
  void on_fork_prepare();
  void on_fork_parent();
  void on_fork_child();
  // The exec interposers (preload/exec_hooks.cpp), possibly in a vfork child: the
  // environment to give the new image. replaces_image: exec (not posix_spawn) of a target
  // that exists — the current image's profile is written first.
  char* const* before_exec(char* const* envp, bool replaces_image, ExecEnvironment::Buffers* buffers);

 private:
  Agent() = default;
  static void* drain_main(void* self);
  static bool spawn_internal_thread(pthread_t* thread, void* (*fn)(void*), void* arg);
  void drain_loop();
  void drain_once();
  void retire_exited(ThreadSlot& slot, uint32_t thread_index);
  uint32_t thread_index_for(ThreadSlot& slot);
  void refresh_live_thread_names();
  void stop_sampling();
  std::string write_profile();
  int run_report_command();
  void install_terminate_handler();
  // Child processes (agent_children.cpp).
  bool follow_children(const std::string& settings);
  bool prepare_child_start(bool forked);
  bool owns_process() const;

  AgentConfig config_;
  std::atomic<bool> active_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> finishing_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> terminate_requested_{false};
  std::atomic<bool> drain_running_{false};
  int wake_fd_ = -1;  // eventfd: wakes the drain thread early (terminate signal, stop)
  pthread_t drain_thread_{};
  bool drain_started_ = false;
  pid_t pid_ = 0;
  uint64_t start_monotonic_ns_ = 0;
  uint64_t start_unix_ns_ = 0;
  uint64_t last_checkpoint_ns_ = 0;
  int report_status_ = 0;

  ThreadRegistry registry_;
  WallSampler wall_sampler_;
  ModuleMap modules_;  // drain-owned
  MemoryProfiler memory_;
  std::unique_ptr<Aggregator> aggregator_;  // owned by the drain thread while it runs

  std::mutex config_lock_;  // metadata, report command, last error
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<std::string> report_command_;
  std::string last_error_;

  // Child processes (agent_children.cpp).
  AgentRole role_ = AgentRole::kRoot;
  std::string children_dir_;  // BASE.pyro.children: where descendants write their profiles
  ExecEnvironment exec_env_;  // read-only once prepared: exec interposers use it
  std::atomic<bool> forked_child_{false};  // start() must restart what fork() dropped
};

}  // namespace pyro
