// pthread_create interposition: every thread the program creates — Python threads, BLAS
// pools, C++ workers — registers with the agent on its first instruction, so it gets its
// own CPU timer. Thread exit is seen through a TLS destructor, which also runs for
// pthread_exit() and cancellation.
#include "thread_hooks.h"

#include <dlfcn.h>
#include <pthread.h>

#include <cstdlib>

#include "agent.h"
#include "exports.h"

namespace {

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

pthread_key_t g_exit_key;
bool g_exit_key_ready = false;

struct ThreadStart {
  void* (*fn)(void*);
  void* arg;
};

CreateFn real_pthread_create() {
  static CreateFn real = reinterpret_cast<CreateFn>(dlsym(RTLD_NEXT, "pthread_create"));
  return real;
}

void on_thread_exit(void*) { pyro::Agent::instance().on_thread_exit(); }

void* start_registered_thread(void* p) {
  ThreadStart start = *static_cast<ThreadStart*>(p);
  std::free(p);
  pyro::Agent::instance().on_thread_start();
  // Any non-null value makes the destructor run at exit.
  if (g_exit_key_ready) pthread_setspecific(g_exit_key, reinterpret_cast<void*>(1));
  return start.fn(start.arg);
}

}  // namespace

namespace pyro {
void install_thread_exit_hook() { g_exit_key_ready = pthread_key_create(&g_exit_key, on_thread_exit) == 0; }
}  // namespace pyro

PYRO_EXPORT int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  CreateFn real = real_pthread_create();
  if (!real) return EAGAIN;
  pyro::Agent& agent = pyro::Agent::instance();
  if (!agent.active() || pyro::Agent::creating_internal_thread()) return real(thread, attr, fn, arg);
  auto* start = static_cast<ThreadStart*>(std::malloc(sizeof(ThreadStart)));
  if (!start) return real(thread, attr, fn, arg);
  start->fn = fn;
  start->arg = arg;
  int rc = real(thread, attr, start_registered_thread, start);
  if (rc != 0) std::free(start);
  return rc;
}
