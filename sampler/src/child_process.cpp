#include "child_process.h"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace pyro {
namespace {

constexpr char kAgentVariable[] = "PYROMETER_AGENT";
constexpr char kRunVariable[] = "PYROMETER_RUN";
constexpr char kPreloadVariable[] = "LD_PRELOAD";
constexpr char kPythonMallocVariable[] = "PYTHONMALLOC";
constexpr char kSavedPythonMallocVariable[] = "PYROMETER_PYTHONMALLOC";
char kPythonMallocSetting[] = "PYTHONMALLOC=malloc";
constexpr char kShimMarker[] = "pyrometer_memory_shim_version";

// "NAME=" prefix test without strlen of the entry (entries can be long).
bool is_variable(const char* entry, const char* name) {
  size_t i = 0;
  for (; name[i] != '\0'; ++i)
    if (entry[i] != name[i]) return false;
  return entry[i] == '=';
}

// The settings without any role= entry: the role is what we add.
std::string without_role(const std::string& settings) {
  std::string out;
  size_t pos = 0;
  while (pos <= settings.size()) {
    size_t end = settings.find(';', pos);
    if (end == std::string::npos) end = settings.size();
    std::string item = settings.substr(pos, end - pos);
    if (!item.empty() && item.rfind("role=", 0) != 0) {
      if (!out.empty()) out += ';';
      out += item;
    }
    pos = end + 1;
  }
  return out;
}

void marker() {}

__thread bool t_internal_spawn __attribute__((tls_model("initial-exec"))) = false;

}  // namespace

InternalSpawn::InternalSpawn() { t_internal_spawn = true; }
InternalSpawn::~InternalSpawn() { t_internal_spawn = false; }
bool InternalSpawn::active() { return t_internal_spawn; }

bool parse_agent_role(const std::string& text, AgentRole* role) {
  if (text == "root") *role = AgentRole::kRoot;
  else if (text == "child") *role = AgentRole::kChild;
  else if (text == "successor") *role = AgentRole::kSuccessor;
  else return false;
  return true;
}

void ExecEnvironment::prepare(const std::string& settings, const std::string& run, const std::string& library,
                              const std::string& memory_library) {
  const std::string base = std::string(kAgentVariable) + "=" + without_role(settings);
  child_agent_ = base + ";role=child";
  successor_agent_ = base + ";role=successor";
  run_ = std::string(kRunVariable) + "=" + run;
  library_ = library;
  memory_library_ = memory_library;
  ready_ = !library_.empty() && library_.find_first_of(": ") == std::string::npos &&
           memory_library_.find_first_of(": ") == std::string::npos;
}

char* const* ExecEnvironment::build(char* const* envp, AgentRole role, Buffers* out) const {
  if (!ready_ || envp == nullptr) return envp;
  size_t n = 0;
  const char* program_preload = nullptr;
  const char* program_pythonmalloc = nullptr;
  const bool memory = !memory_library_.empty();
  for (char* const* e = envp; *e != nullptr; ++e) {
    if (is_variable(*e, kAgentVariable)) return envp;  // profiling set up by someone else
    if (is_variable(*e, kPreloadVariable)) {
      program_preload = *e + sizeof kPreloadVariable;
      continue;
    }
    if (is_variable(*e, kRunVariable) || is_variable(*e, kSavedPythonMallocVariable)) continue;
    if (memory && is_variable(*e, kPythonMallocVariable)) {
      program_pythonmalloc = *e + sizeof kPythonMallocVariable;
      continue;
    }
    if (n >= kMaxEntries) return envp;
    out->entries[n++] = *e;
  }

  // LD_PRELOAD: ours first (our interposers must win), then the program's own.
  char* p = out->preload;
  char* const end = out->preload + kPreloadBytes;
  auto append = [&](const char* s, size_t len) {
    if (static_cast<size_t>(end - p) <= len) return false;
    std::memcpy(p, s, len);
    p += len;
    return true;
  };
  bool fits = append(kPreloadVariable, sizeof kPreloadVariable - 1) && append("=", 1);
  if (memory) fits = fits && append(memory_library_.data(), memory_library_.size()) && append(":", 1);
  fits = fits && append(library_.data(), library_.size());
  // Then the program's own entries, minus ours (a profiled parent's LD_PRELOAD may carry
  // them already).
  for (const char* item = program_preload; fits && item && *item != '\0';) {
    const char* item_end = item;
    while (*item_end != '\0' && *item_end != ':' && *item_end != ' ') ++item_end;
    const size_t len = static_cast<size_t>(item_end - item);
    const bool ours = (len == library_.size() && std::memcmp(item, library_.data(), len) == 0) ||
                      (memory && len == memory_library_.size() && std::memcmp(item, memory_library_.data(), len) == 0);
    if (len > 0 && !ours) fits = append(":", 1) && append(item, len);
    item = *item_end == '\0' ? item_end : item_end + 1;
  }
  if (!fits) return envp;
  *p = '\0';

  out->entries[n++] = out->preload;
  if (memory) {
    // Python's allocator through malloc, so the shim sees every object; the program's own
    // setting travels in PYROMETER_PYTHONMALLOC for the child to restore.
    out->entries[n++] = kPythonMallocSetting;
    if (program_pythonmalloc) {
      const size_t prefix = sizeof kSavedPythonMallocVariable;  // name + '='
      const size_t len = std::strlen(program_pythonmalloc);
      if (prefix + len >= kPythonMallocBytes) return envp;
      std::memcpy(out->pythonmalloc, kSavedPythonMallocVariable, prefix - 1);
      out->pythonmalloc[prefix - 1] = '=';
      std::memcpy(out->pythonmalloc + prefix, program_pythonmalloc, len + 1);
      out->entries[n++] = out->pythonmalloc;
    }
  }
  const std::string& agent = role == AgentRole::kSuccessor ? successor_agent_ : child_agent_;
  out->entries[n++] = const_cast<char*>(agent.c_str());
  out->entries[n++] = const_cast<char*>(run_.c_str());
  out->entries[n] = nullptr;
  return out->entries;
}

std::string child_profile_path(const std::string& children_dir, pid_t pid, uint64_t start_unix_ns) {
  return children_dir + "/" + std::to_string(pid) + "." + std::to_string(start_unix_ns) + ".pyro";
}

bool process_is_python() {
  // Every CPython build exports its entry point, from the executable (Debian's static
  // interpreter) or from libpython (--enable-shared), both loaded before constructors run.
  return dlsym(RTLD_DEFAULT, "Py_BytesMain") != nullptr;
}

void scrub_profiler_environment(const std::string& library, const std::string& memory_library) {
  unsetenv(kAgentVariable);
  unsetenv(kRunVariable);
  if (!memory_library.empty()) {
    const char* saved = std::getenv(kSavedPythonMallocVariable);
    if (saved) {
      setenv(kPythonMallocVariable, saved, 1);
    } else {
      unsetenv(kPythonMallocVariable);
    }
    unsetenv(kSavedPythonMallocVariable);
  }
  const char* preload = std::getenv(kPreloadVariable);
  if (preload == nullptr) return;
  std::string kept;
  const std::string list = preload;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t sep = list.find_first_of(": ", pos);
    if (sep == std::string::npos) sep = list.size();
    std::string item = list.substr(pos, sep - pos);
    if (!item.empty() && item != library && item != memory_library) {
      if (!kept.empty()) kept += ':';
      kept += item;
    }
    pos = sep + 1;
  }
  if (kept.empty()) {
    unsetenv(kPreloadVariable);
  } else {
    setenv(kPreloadVariable, kept.c_str(), 1);
  }
}

std::string agent_library_path() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&marker), &info) == 0 || info.dli_fname == nullptr) return {};
  return info.dli_fname;
}

std::string memory_library_path() {
  void* marker_symbol = dlsym(RTLD_DEFAULT, kShimMarker);
  Dl_info info;
  if (!marker_symbol || dladdr(marker_symbol, &info) == 0 || info.dli_fname == nullptr) return {};
  return info.dli_fname;
}

pid_t current_pid() { return static_cast<pid_t>(syscall(SYS_getpid)); }

}  // namespace pyro
