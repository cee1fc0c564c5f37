// The API the preload agent (libpyrometer_preload.so) exports to the Python extension.
// The extension finds it with dlsym(RTLD_DEFAULT, "pyrometer_agent_api"): the agent is
// LD_PRELOADed into the profiled process, the extension is dlopen'ed later with
// RTLD_LOCAL, so there is no link-time dependency between the two.
#ifndef PYROMETER_AGENT_API_H
#define PYROMETER_AGENT_API_H

#include <stdint.h>

#include "pyrometer/walker_api.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PYRO_AGENT_ABI_VERSION 1u

typedef struct PyroAgentApi {
  uint32_t abi_version;  // PYRO_AGENT_ABI_VERSION

  // Installs the Python frame walker. Must happen before start(); the table must stay
  // valid until finish() returned.
  int (*register_walker)(const PyroWalker* walker);

  // Run metadata written into the profile's META records (argv, python_version, ...).
  void (*set_metadata)(const char* key, const char* value);

  // The command the agent runs once the profile is written (report generation). argv is
  // NULL-terminated; it is copied.
  void (*set_report_command)(const char* const* argv);

  // Names a thread; tid 0 means the calling thread. Python's threading.Thread.name.
  void (*set_thread_name)(uint32_t tid, const char* name);

  // Arms a timer on every registered thread (and on threads created later). 0 on success;
  // on failure the agent's last_error() says why.
  int (*start)(void);

  // Stops sampling, drains, writes the profile, runs the report command. Idempotent and
  // safe to call from any exit path. Returns the report command's exit status (or 0).
  int (*finish)(void);

  const char* (*last_error)(void);
} PyroAgentApi;

// Exported by the agent.
const PyroAgentApi* pyrometer_agent_api(void);

#ifdef __cplusplus
}
#endif

#endif  // PYROMETER_AGENT_API_H
