"""Runs the C allocation patterns (fixtures/alloc_patterns.c, built by the test into argv[1])
from Python threads at the same time, and keeps a natively allocated block."""
import ctypes
import sys
import threading

lib = ctypes.CDLL(sys.argv[1])
lib.keep_native.restype = ctypes.c_void_p
lib.keep_native.argtypes = [ctypes.c_size_t]
results = []


def worker():
    results.append(lib.run_alloc_patterns(2))


threads = [threading.Thread(target=worker) for _ in range(3)]
for t in threads:
    t.start()
blocks = [bytearray(4 << 20) for _ in range(25)]  # PY_THREAD_ALLOC
for t in threads:
    t.join()
lib.keep_native(48 << 20)  # KEEP_NATIVE
print("failures", results, len(blocks))
