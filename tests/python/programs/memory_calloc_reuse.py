"""Recycled large blocks through libc: calloc of 300 KB (what np.zeros does) and malloc of
16 MB (numpy temporaries). Prints whether every calloc'ed block came back zeroed, and the
page faults each loop took per call."""
import ctypes
import resource

libc = ctypes.CDLL(None)
libc.malloc.restype = libc.calloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]

SIZE, CALLS = 300_000, 2000
BIG, BIG_CALLS = 16 << 20, 50
dirty = libc.malloc(SIZE)
ctypes.memset(dirty, 0xFF, SIZE)
libc.free(dirty)  # the next block of this size is likely this one, dirty

zeroed = True
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(CALLS):
    p = libc.calloc(1, SIZE)
    zeroed = zeroed and ctypes.string_at(p, SIZE).count(0) == SIZE
    ctypes.memset(p, 0xFF, SIZE)  # written all over, as a program would
    libc.free(p)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print("zeroed", zeroed)
print("faults per call", round(faults / CALLS))

before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(BIG_CALLS):
    p = libc.malloc(BIG)
    ctypes.memset(p, 1, BIG)
    libc.free(p)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print("16 MB faults per call", round(faults / BIG_CALLS))
