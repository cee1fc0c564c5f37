// Finding the preload agent from the extension. The agent is LD_PRELOADed into the profiled
// process and the extension is dlopen'ed later with RTLD_LOCAL, so there is no link-time
// dependency: the extension looks the agent's entry point up at run time.
#pragma once

#include <string>

#include "pyrometer/agent_api.h"

namespace pyro {

// The agent's API table, or nullptr with `why` set when the agent is not loaded or speaks
// another ABI version. Cheap enough to call on every use (one dlsym).
const PyroAgentApi* find_agent(std::string* why);

}  // namespace pyro
