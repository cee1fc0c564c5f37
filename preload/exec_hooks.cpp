// exec and posix_spawn interposition: a Python program started by the profiled one
// (subprocess, os.exec*, os.posix_spawn, multiprocessing's spawn and forkserver) is
// profiled too. The program's own os.environ no longer holds our variables (the bootstrap
// removed them), so the new image's environment gets them back here: LD_PRELOAD (ours
// first), PYROMETER_AGENT with role=child, PYROMETER_RUN. A non-Python image scrubs them
// again in its preload constructor (sampler/src/child_process.h).
//
// CPython's _posixsubprocess calls execve/execv in a child made by vfork(): that child
// shares the parent's memory and runs on the calling thread's stack, so these hooks never
// allocate or lock — the new environment is assembled in a stack buffer.
//
// glibc's exec* and posix_spawn* call the internal __execve, not execve, so each entry
// point is interposed, not only execve. system() is not: it spawns /bin/sh internally.
#include <alloca.h>
#include <dlfcn.h>
#include <limits.h>
#include <spawn.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdlib>
#include <cstring>

#include "agent.h"
#include "exports.h"

extern char** environ;

namespace {

using ExecveFn = int (*)(const char*, char* const[], char* const[]);
using FexecveFn = int (*)(int, char* const[], char* const[]);
using SpawnFn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
                        char* const[], char* const[]);

// Resolved in the constructor: dlsym may allocate, and a vfork child must not.
ExecveFn g_execve;
ExecveFn g_execvpe;
FexecveFn g_fexecve;
SpawnFn g_posix_spawn;
SpawnFn g_posix_spawnp;

template <typename Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

__attribute__((constructor(101))) void resolve_exec_functions() {
  g_execve = next<ExecveFn>("execve");
  g_execvpe = next<ExecveFn>("execvpe");
  g_fexecve = next<FexecveFn>("fexecve");
  g_posix_spawn = next<SpawnFn>("posix_spawn");
  g_posix_spawnp = next<SpawnFn>("posix_spawnp");
}

bool executable(const char* path) { return path != nullptr && access(path, X_OK) == 0; }

// Whether execvp(file) would find something to run (the same PATH search, no allocation).
bool found_on_path(const char* file) {
  if (file == nullptr || *file == '\0') return false;
  if (std::strchr(file, '/') != nullptr) return executable(file);
  const char* path = std::getenv("PATH");
  if (path == nullptr) path = "/bin:/usr/bin";
  const size_t file_len = std::strlen(file);
  char candidate[PATH_MAX];
  for (const char* dir = path;;) {
    const char* end = std::strchr(dir, ':');
    const size_t dir_len = end ? static_cast<size_t>(end - dir) : std::strlen(dir);
    if (dir_len + 1 + file_len < sizeof candidate) {
      const size_t n = dir_len == 0 ? 0 : dir_len;  // an empty entry means the cwd
      std::memcpy(candidate, dir, n);
      size_t at = n;
      if (n > 0) candidate[at++] = '/';
      std::memcpy(candidate + at, file, file_len + 1);
      if (executable(candidate)) return true;
    }
    if (end == nullptr) return false;
    dir = end + 1;
  }
}

char* const* environment_for(char* const* envp, bool replaces_image, pyro::ExecEnvironment::Buffers* buffers) {
  return pyro::Agent::instance().before_exec(envp, replaces_image, buffers);
}

// execl-style argument lists: the arguments after `first` up to the terminating nullptr.
// Counted first, then copied into an array on the caller's stack (alloca in the macro).
size_t count_list(const char* first, va_list args) {
  size_t n = 1;
  if (first == nullptr) return 0;
  while (va_arg(args, const char*) != nullptr) ++n;
  return n;
}

}  // namespace

PYRO_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) noexcept {
  pyro::ExecEnvironment::Buffers buffers;  // on the stack: no allocation, vfork-safe
  return g_execve(path, argv, environment_for(envp, executable(path), &buffers));
}

PYRO_EXPORT int execv(const char* path, char* const argv[]) noexcept { return execve(path, argv, environ); }

PYRO_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) noexcept {
  pyro::ExecEnvironment::Buffers buffers;
  return g_execvpe(file, argv, environment_for(envp, found_on_path(file), &buffers));
}

PYRO_EXPORT int execvp(const char* file, char* const argv[]) noexcept { return execvpe(file, argv, environ); }

PYRO_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) noexcept {
  pyro::ExecEnvironment::Buffers buffers;
  return g_fexecve(fd, argv, environment_for(envp, fd >= 0, &buffers));
}

// The list is walked twice (count, copy); alloca keeps the array on this frame's stack.
#define PYRO_COLLECT_LIST(first, last_arg, argv)                              \
  va_list count_args;                                                        \
  va_start(count_args, last_arg);                                            \
  const size_t argc = count_list(first, count_args);                         \
  va_end(count_args);                                                        \
  auto** argv = static_cast<char**>(alloca((argc + 1) * sizeof(char*)));      \
  va_list copy_args;                                                         \
  va_start(copy_args, last_arg);                                             \
  if (argc > 0) argv[0] = const_cast<char*>(first);                          \
  for (size_t i = 1; i < argc; ++i) argv[i] = va_arg(copy_args, char*);      \
  argv[argc] = nullptr

PYRO_EXPORT int execl(const char* path, const char* arg, ...) noexcept {
  PYRO_COLLECT_LIST(arg, arg, argv);
  va_end(copy_args);
  return execve(path, argv, environ);
}

PYRO_EXPORT int execlp(const char* file, const char* arg, ...) noexcept {
  PYRO_COLLECT_LIST(arg, arg, argv);
  va_end(copy_args);
  return execvpe(file, argv, environ);
}

PYRO_EXPORT int execle(const char* path, const char* arg, ...) noexcept {
  PYRO_COLLECT_LIST(arg, arg, argv);
  if (argc > 0) va_arg(copy_args, char*);  // the list's terminating nullptr
  char* const* envp = va_arg(copy_args, char* const*);
  va_end(copy_args);
  return execve(path, argv, envp);
}

// posix_spawn runs in the parent and does not replace it: only the environment changes.
PYRO_EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                            const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  pyro::ExecEnvironment::Buffers buffers;
  return g_posix_spawn(pid, path, actions, attr, argv, environment_for(envp, false, &buffers));
}

PYRO_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                             const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  pyro::ExecEnvironment::Buffers buffers;
  return g_posix_spawnp(pid, file, actions, attr, argv, environment_for(envp, false, &buffers));
}
