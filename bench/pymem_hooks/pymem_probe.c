/* The PyMem-hook alternative to PYTHONMALLOC=malloc, reduced to its fast path: wrappers
 * around the interpreter's allocators (raw, mem and object domains) that do what the
 * allocation shim's fast path does — a thread-local byte countdown and a branch — then call
 * the original allocator. Importing the module installs them. Used only by
 * bench/pymem_hooks/compare.py to measure the two ways of seeing Python's allocations. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static __thread long long countdown = 1 << 18;
static unsigned long long sampled;
static PyMemAllocatorEx original[3];

static void account(size_t size) {
  countdown -= (long long)size;
  if (__builtin_expect(countdown < 0, 0)) {
    countdown = 1 << 18;
    sampled++;
  }
}

#define WRAPPERS(N)                                                                       \
  static void* malloc_##N(void* ctx, size_t n) {                                          \
    void* p = original[N].malloc(original[N].ctx, n);                                     \
    account(n);                                                                           \
    return p;                                                                             \
  }                                                                                       \
  static void* calloc_##N(void* ctx, size_t k, size_t n) {                                \
    void* p = original[N].calloc(original[N].ctx, k, n);                                  \
    account(k * n);                                                                       \
    return p;                                                                             \
  }                                                                                       \
  static void* realloc_##N(void* ctx, void* q, size_t n) {                                \
    void* p = original[N].realloc(original[N].ctx, q, n);                                 \
    account(n);                                                                           \
    return p;                                                                             \
  }                                                                                       \
  static void free_##N(void* ctx, void* q) { original[N].free(original[N].ctx, q); }
WRAPPERS(0)
WRAPPERS(1)
WRAPPERS(2)

static PyObject* samples(PyObject* self, PyObject* unused) { return PyLong_FromUnsignedLongLong(sampled); }
static PyMethodDef methods[] = {{"samples", samples, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pymem_probe", NULL, -1, methods};

PyMODINIT_FUNC PyInit_pymem_probe(void) {
  PyMemAllocatorDomain domains[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
  PyMemAllocatorEx hooks[3] = {{NULL, malloc_0, calloc_0, realloc_0, free_0},
                               {NULL, malloc_1, calloc_1, realloc_1, free_1},
                               {NULL, malloc_2, calloc_2, realloc_2, free_2}};
  for (int i = 0; i < 3; ++i) {
    PyMem_GetAllocator(domains[i], &original[i]);
    PyMem_SetAllocator(domains[i], &hooks[i]);
  }
  return PyModule_Create(&module);
}
