// PYROMETER_AGENT: the settings the launcher (or the exec hook) hands to the agent.
#include <cstdlib>
#include <string>

#include "agent.h"

namespace pyro {

bool AgentConfig::parse(const std::string& text, std::string* error) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      *error = "bad agent setting '" + item + "'";
      return false;
    }
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "out") {
      output = value;
    } else if (key == "mode") {
      if (value != "cpu" && value != "wall") {
        *error = "bad mode '" + value + "'";
        return false;
      }
      mode = value == "wall" ? format::Mode::kWall : format::Mode::kCpu;
    } else if (key == "memory") {
      if (value != "0" && value != "1") {
        *error = "bad memory '" + value + "'";
        return false;
      }
      memory = value == "1";
    } else if (key == "memory_interval") {
      char* rest = nullptr;
      unsigned long long v = std::strtoull(value.c_str(), &rest, 10);
      if (value.empty() || *rest != '\0' || v == 0) {
        *error = "bad memory_interval '" + value + "'";
        return false;
      }
      memory_interval = v;
    } else if (key == "native") {
      if (value != "0" && value != "1") {
        *error = "bad native '" + value + "'";
        return false;
      }
      native = value == "1";
    } else if (key == "role") {
      if (!parse_agent_role(value, &role)) {
        *error = "bad role '" + value + "'";
        return false;
      }
    } else if (key == "interval_ns" || key == "checkpoint_ns") {
      char* rest = nullptr;
      unsigned long long v = std::strtoull(value.c_str(), &rest, 10);
      if (value.empty() || *rest != '\0' || v < 100'000) {
        *error = "bad " + key + " '" + value + "'";
        return false;
      }
      (key == "interval_ns" ? interval_ns : checkpoint_ns) = v;
    }
    // Unknown keys are ignored: a newer launcher may pass settings an older agent lacks.
  }
  if (output.empty()) {
    *error = "no output path";
    return false;
  }
  return true;
}

}  // namespace pyro
