// Marks the calling thread as inside the dynamic loader while it runs dlopen, dlclose or
// dl_iterate_phdr: those hold the loader's lock, which native unwinding in our signal
// handler would need too (see sampler/src/native_unwind.h). Such samples keep their
// Python frames and are counted as native_skipped.
#include <dlfcn.h>
#include <link.h>

#include "exports.h"
#include "native_unwind.h"

namespace {

using DlopenFn = void* (*)(const char*, int);
using DlcloseFn = int (*)(void*);
using IterateFn = int (*)(int (*)(dl_phdr_info*, size_t, void*), void*);

// Resolved in the constructor, never lazily: dl_iterate_phdr is also called from our
// signal handler (by libunwind), where dlsym must not run.
DlopenFn g_dlopen;
DlcloseFn g_dlclose;
IterateFn g_iterate;

__attribute__((constructor(101))) void resolve_loader_functions() {
  g_dlopen = reinterpret_cast<DlopenFn>(dlsym(RTLD_NEXT, "dlopen"));
  g_dlclose = reinterpret_cast<DlcloseFn>(dlsym(RTLD_NEXT, "dlclose"));
  g_iterate = reinterpret_cast<IterateFn>(dlsym(RTLD_NEXT, "dl_iterate_phdr"));
}

struct LoaderScope {
  LoaderScope() { pyro::enter_dynamic_loader(); }
  ~LoaderScope() { pyro::leave_dynamic_loader(); }
};

}  // namespace

PYRO_EXPORT void* dlopen(const char* file, int mode) {
  LoaderScope scope;
  return g_dlopen(file, mode);
}

PYRO_EXPORT int dlclose(void* handle) {
  LoaderScope scope;
  return g_dlclose(handle);
}

PYRO_EXPORT int dl_iterate_phdr(int (*callback)(dl_phdr_info*, size_t, void*), void* data) {
  // Our handler's own unwind: it announced itself already (native_unwind.cpp).
  if (pyro::unwinding_in_handler()) return g_iterate(callback, data);
  LoaderScope scope;
  pyro::begin_phdr_iteration();
  const int rc = g_iterate(callback, data);
  pyro::end_phdr_iteration();
  return rc;
}
