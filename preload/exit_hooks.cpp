// os._exit() and C code calling _exit() skip atexit handlers; the profile must still be
// written, so the agent finishes before the process really exits.
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "exports.h"

namespace {
[[noreturn]] void exit_now(int status) {
  pyro::Agent::instance().finish();
  for (;;) syscall(SYS_exit_group, status);
}
}  // namespace

PYRO_EXPORT void _exit(int status) { exit_now(status); }
PYRO_EXPORT void _Exit(int status) { exit_now(status); }
