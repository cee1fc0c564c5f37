// Test support: a made-up process for the native views — four modules (the interpreter,
// libc, the profiler's preload shim, an extension module) and FakeSymbols for the addresses
// below, so stacks can be written as the agent would record them.
#ifndef PYROMETER_REPORT_TESTING_NATIVE_FIXTURE_H
#define PYROMETER_REPORT_TESTING_NATIVE_FIXTURE_H

#include <cstdint>
#include <string>

#include "testing/fake_symbols.h"
#include "testing/profile_builder.h"

namespace pyro::report::testing::fake {

// Module indices (the order of the Module records add_modules writes).
enum : int32_t { kInterpreter = 0, kLibc = 1, kPreload = 2, kExtension = 3 };
inline const char kInterpreterPath[] = "/opt/py/lib/libpython3.11.so.1.0";
inline const char kLibcPath[] = "/lib/x86_64-linux-gnu/libc.so.6";
inline const char kPreloadPath[] = "/opt/venv/lib/python3.11/site-packages/pyrometer/_lib/libpyrometer_preload.so";
inline const char kExtensionPath[] = "/opt/venv/lib/python3.11/site-packages/fastmath/_core.so";

// Addresses.
enum : uint64_t {
  kLibcStartMain = 0x1000,
  kStartThread = 0x1100,
  kCondWait = 0x1200,
  kFutexWait = 0x1201,
  kMemcpy = 0x1300,
  kLibcMalloc = 0x1400,
  kPyRunMain = 0x2000,
  kEvalVector = 0x2100,
  kVectorcall = 0x2200,
  kBuiltinSorted = 0x2300,
  kListSort = 0x2400,      // listobject.c:2229
  kListSortOther = 0x2401,  // listobject.c:2300
  kLongCompare = 0x2500,
  kRestoreThread = 0x2600,
  kTakeGil = 0x2601,
  kUnnamedInterp = 0x2602,
  kGilStateEnsure = 0x2603,
  kThreadStateNew = 0x2604,
  kThreadRun = 0x2700,
  kPreloadMalloc = 0x3000,
  kExtDot = 0x4000,        // dot() with blas_kernel() inlined into it
  kExtWorker = 0x4100,
  kExtRecurse = 0x4200,
  kExtRecurse2 = 0x4201,
  kUnknown = 0x9999,
};

inline void add_modules(ProfileBuilder& b) {
  b.meta("native", "1").meta("interpreter_path", kInterpreterPath);
  b.module(ModuleSpec{kInterpreterPath, 0, "", {{0x2000, 0x3000}}});
  b.module(ModuleSpec{kLibcPath, 0, "", {{0x1000, 0x2000}}});
  b.module(ModuleSpec{kPreloadPath, 0, "", {{0x3000, 0x4000}}});
  b.module(ModuleSpec{kExtensionPath, 0, "", {{0x4000, 0x5000}}});
}

inline FakeSymbols symbols() {
  FakeSymbols s;
  s.add(kLibcStartMain, kLibc, "__libc_start_main");
  s.add(kStartThread, kLibc, "start_thread");
  s.add(kCondWait, kLibc, "pthread_cond_timedwait");
  s.add(kFutexWait, kLibc, "__futex_abstimed_wait_common");
  s.add(kMemcpy, kLibc, "memcpy", "/build/glibc/string/memcpy.S", 100);
  s.add(kLibcMalloc, kLibc, "malloc", "/build/glibc/malloc/malloc.c", 3290);
  s.add(kPyRunMain, kInterpreter, "Py_RunMain");
  s.add(kEvalVector, kInterpreter, "_PyEval_Vector");
  s.add(kVectorcall, kInterpreter, "PyObject_Vectorcall");
  NativeLocation sorted = location("builtin_sorted", "/src/Python/bltinmodule.c", 2210);
  sorted.decl_path = "/src/Python/bltinmodule.c";
  sorted.decl_line = 2199;
  s.add(kBuiltinSorted, kInterpreter, {sorted});
  s.add(kListSort, kInterpreter, "list_sort_impl", "/src/Objects/listobject.c", 2229);
  s.add(kListSortOther, kInterpreter, "list_sort_impl", "/src/Objects/listobject.c", 2300);
  s.add(kLongCompare, kInterpreter, "unsafe_long_compare", "/src/Objects/listobject.c", 1290);
  s.add(kRestoreThread, kInterpreter, "PyEval_RestoreThread");
  s.add(kTakeGil, kInterpreter, "take_gil");
  s.add(kUnnamedInterp, kInterpreter, "0x2602");
  s.add(kGilStateEnsure, kInterpreter, "PyGILState_Ensure");
  s.add(kThreadStateNew, kInterpreter, "PyThreadState_New");
  s.add(kThreadRun, kInterpreter, "thread_run");
  s.add(kPreloadMalloc, kPreload, "malloc");
  s.add(kExtDot, kExtension,
        {location("blas_kernel", "/src/fastmath/blas.c", 10, true), location("dot", "/src/fastmath/core.c", 500)});
  s.add(kExtWorker, kExtension, "worker_loop", "/src/fastmath/pool.c", 42);
  s.add(kExtRecurse, kExtension, "walk_tree", "/src/fastmath/tree.c", 7);
  s.add(kExtRecurse2, kExtension, "walk_tree", "/src/fastmath/tree.c", 9);
  return s;
}

}  // namespace pyro::report::testing::fake

#endif  // PYROMETER_REPORT_TESTING_NATIVE_FIXTURE_H
