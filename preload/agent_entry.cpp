// Process start of the preload agent and the API table the Python extension looks up.
#include <pthread.h>
#include <stdlib.h>

#include "agent.h"
#include "capture.h"
#include "exports.h"
#include "pyrometer/agent_api.h"
#include "thread_hooks.h"

namespace {

using pyro::Agent;

int api_register_walker(const PyroWalker* walker) { return Agent::instance().register_walker(walker); }
void api_set_metadata(const char* key, const char* value) { Agent::instance().set_metadata(key, value); }
void api_set_report_command(const char* const* argv) { Agent::instance().set_report_command(argv); }
void api_set_thread_name(uint32_t tid, const char* name) { Agent::instance().set_thread_name(tid, name); }
int api_start() { return Agent::instance().start(); }
int api_finish() { return Agent::instance().finish(); }
const char* api_last_error() { return Agent::instance().last_error(); }

const PyroAgentApi kApi = {
    PYRO_AGENT_ABI_VERSION, api_register_walker, api_set_metadata, api_set_report_command,
    api_set_thread_name,    api_start,           api_finish,       api_last_error,
};

void at_process_exit() {
  // Last resort, after the interpreter is gone (the Python side normally finished the
  // profile from its own atexit hook, while the interpreter was still intact): walking
  // frames of a finalized interpreter is unsafe, so drop the walker first.
  pyro::capture_state().walker.store(nullptr, std::memory_order_release);
  Agent::instance().finish();
}

void on_fork_prepare() { Agent::instance().on_fork_prepare(); }
void on_fork_parent() { Agent::instance().on_fork_parent(); }
void on_fork_child() { Agent::instance().on_fork_child(); }

__attribute__((constructor)) void pyrometer_agent_init() {
  pyro::install_thread_exit_hook();
  Agent::instance().init_from_environment();
  if (!Agent::instance().active()) return;
  atexit(at_process_exit);
  pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
}

}  // namespace

PYRO_EXPORT const PyroAgentApi* pyrometer_agent_api(void) { return &kApi; }
