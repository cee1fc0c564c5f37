"""Known allocations per line (issue 4). argv[1]: where to write the ground truth (JSON)."""
import ctypes
import json
import sys

import numpy as np

MB = 1 << 20
keep = []
truth = {}


def kept_bytearray():
    keep.append(bytearray(120 * MB))  # KEPT_BYTEARRAY


def freed_bytes():
    b = bytes(200 * MB)  # FREED_BYTES
    del b


def churn():
    for _ in range(40):
        t = bytearray(10 * MB)  # CHURN
    del t


def numpy_kept():
    keep.append(np.ones(100 * MB // 8))  # NUMPY_KEPT


def small_objects():
    strings = [str(i) * 3 for i in range(400_000)]  # SMALL_OBJECTS
    keep.append(strings)
    # What stays allocated: the list (header + item array) and its strings.
    truth["small_live"] = sys.getsizeof(strings) - 16 + sum(sys.getsizeof(s) for s in strings)


def native_malloc():
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    p = libc.malloc(64 * MB)  # NATIVE_MALLOC
    ctypes.memset(p, 1, 64 * MB)
    keep.append(p)


def peak_moment():
    t = bytearray(300 * MB)  # PEAK_MOMENT
    del t


kept_bytearray()
freed_bytes()
churn()
numpy_kept()
small_objects()
native_malloc()
peak_moment()
with open(sys.argv[1], "w") as f:
    json.dump(truth, f)
