#include "agent_client.h"

#include <dlfcn.h>

namespace pyro {

const PyroAgentApi* find_agent(std::string* why) {
  using EntryPoint = const PyroAgentApi* (*)();
  void* symbol = dlsym(RTLD_DEFAULT, "pyrometer_agent_api");
  if (symbol == nullptr) {
    *why = "the pyrometer agent is not loaded";
    return nullptr;
  }
  const PyroAgentApi* api = reinterpret_cast<EntryPoint>(symbol)();
  if (api == nullptr) {
    *why = "the pyrometer agent is loaded but returned no API table";
    return nullptr;
  }
  if (api->abi_version != PYRO_AGENT_ABI_VERSION) {
    *why = "the pyrometer agent speaks ABI version " + std::to_string(api->abi_version) +
           ", this extension expects " + std::to_string(PYRO_AGENT_ABI_VERSION) +
           " (mixed installations?)";
    return nullptr;
  }
  return api;
}

}  // namespace pyro
