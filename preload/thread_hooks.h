#pragma once
namespace pyro {
// Creates the TLS key whose destructor tells the agent a thread is exiting.
void install_thread_exit_hook();
}  // namespace pyro
