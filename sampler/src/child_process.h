// Child processes: how profiling follows fork() and exec() through the profiled process
// tree. Each process writes its own profile; report/ merges them (docs/architecture.md,
// "Child processes").
//
//   fork()  — the agent's pthread_atfork child handler (Agent::on_fork_child) only resets
//             lock-free state; the restart (new drain thread, timer, tables) happens in
//             Agent::start(), which the Python side calls from os.register_at_fork's
//             after_in_child hook, in normal context once the interpreter is whole again.
//   exec()  — preload/exec_hooks.cpp puts LD_PRELOAD, PYROMETER_AGENT (role=child) and
//             PYROMETER_RUN back into the environment of the new image; the program itself
//             never sees them in its own os.environ.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace pyro {

// Which part of the process tree an agent profiles (PYROMETER_AGENT "role=").
enum class AgentRole : uint8_t {
  kRoot,       // the process `pyrometer run` started: writes BASE.pyro, runs the report
  kChild,      // a fork()ed or exec'd descendant: writes into BASE.pyro.children/, no report
  kSuccessor,  // the image the root exec()ed into (same pid): writes like a child, reports
};

bool parse_agent_role(const std::string& text, AgentRole* role);

// The variables an exec'd image needs to be profiled, prepared once in normal context.
// build() is what the exec interposers call: it may run in a vfork() child, which shares
// the parent's memory and stack, so it allocates nothing and takes no lock — it only copies
// pointers and bytes into caller-provided (stack) buffers.
class ExecEnvironment {
 public:
  // ~12 KiB on the caller's stack: small enough for a thread started with a small stack
  // (threading.stack_size(64 KiB)). Larger environments are passed on unchanged.
  static constexpr size_t kMaxEntries = 1024;
  static constexpr size_t kPreloadBytes = 4096;

  static constexpr size_t kPythonMallocBytes = 256;

  struct Buffers {
    char* entries[kMaxEntries + 6];  // the program's variables, ours, nullptr
    char preload[kPreloadBytes];     // "LD_PRELOAD=[<shim>:]<agent>:<the program's LD_PRELOAD>"
    char pythonmalloc[kPythonMallocBytes];  // "PYROMETER_PYTHONMALLOC=<the program's value>"
  };

  // settings: the PYROMETER_AGENT value this process got; run: PYROMETER_RUN's value;
  // library: the absolute path of the preload agent; memory_library: the allocation shim's
  // when memory is tracked (it goes first, and the image gets PYTHONMALLOC=malloc with the
  // program's own value kept in PYROMETER_PYTHONMALLOC for the child to restore), else empty.
  void prepare(const std::string& settings, const std::string& run, const std::string& library,
               const std::string& memory_library = {});
  bool ready() const { return ready_; }

  // The environment for the new image: envp plus our variables (the program's own
  // LD_PRELOAD kept after ours). envp itself when it already carries PYROMETER_AGENT (a
  // nested `pyrometer run` sets up its own profiling) or does not fit the buffers.
  char* const* build(char* const* envp, AgentRole role, Buffers* out) const;

 private:
  std::string child_agent_;      // "PYROMETER_AGENT=...;role=child"
  std::string successor_agent_;  // "PYROMETER_AGENT=...;role=successor"
  std::string run_;              // "PYROMETER_RUN=..."
  std::string library_;          // the agent's path, as LD_PRELOAD names it
  std::string memory_library_;   // the allocation shim's path, or empty
  bool ready_ = false;
};

// While alive, posix_spawn calls of this thread are the agent's own (the report
// generator): the exec interposers pass them through untouched.
class InternalSpawn {
 public:
  InternalSpawn();
  ~InternalSpawn();
  InternalSpawn(const InternalSpawn&) = delete;
  InternalSpawn& operator=(const InternalSpawn&) = delete;
  static bool active();
};

// Where the profile of process `pid` started at `start_unix_ns` goes: one file per process
// image (an exec keeps the pid, so the pid alone is not unique).
std::string child_profile_path(const std::string& children_dir, pid_t pid, uint64_t start_unix_ns);

// Whether this process runs a CPython interpreter (checked in the preload constructor: a
// non-Python child — sh, ls — stays dormant and must see the environment its parent meant).
bool process_is_python();

// Removes PYROMETER_AGENT, PYROMETER_RUN and our LD_PRELOAD entries (agent, allocation
// shim) from this process's environment, and gives PYTHONMALLOC back its value from
// PYROMETER_PYTHONMALLOC (normal context: setenv/unsetenv allocate).
void scrub_profiler_environment(const std::string& library, const std::string& memory_library);

// The path of the allocation shim when it is loaded, else empty.
std::string memory_library_path();

// The path of the shared object this code lives in (the preload agent).
std::string agent_library_path();

// Raw getpid (no libc cache, valid in a vfork child).
pid_t current_pid();

}  // namespace pyro
