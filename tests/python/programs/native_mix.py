"""Native work of several kinds; argv[1] is the directory holding hotmod and libdlhot.so."""
import ctypes
import ctypes.util
import sys
import time

sys.path.insert(0, sys.argv[1])
import hotmod  # noqa: E402


def qsort_with_python_comparator():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    cmp_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))

    def compare(a, b):
        return a[0] - b[0]  # COMPARATOR_LINE

    # Big enough that several samples land in the comparator itself (most of the time goes
    # to ctypes glue): with 40000 values a run had none about one time in five.
    values = (ctypes.c_int * 160000)(*range(160000, 0, -1))
    libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int), cmp_type(compare))  # QSORT_LINE


def numpy_work():
    import numpy as np

    a = np.random.rand(300, 300)
    for _ in range(30):
        a @ a  # MATMUL_LINE
    x = np.random.rand(2_000_000)
    for _ in range(6):
        np.sort(x)  # NPSORT_LINE


# ~0.4 s: about 40 samples at the default 10 ms, so one sample weighted with the time
# before the call (it lands in cold_setup) cannot take 20 % of the line.
hotmod.burn(400_000_000)  # HOTMOD_LINE
qsort_with_python_comparator()
numpy_work()
hotmod.burn_in_c_thread(120_000_000)  # CTHREAD_LINE
time.sleep(0.05)
lib = ctypes.CDLL(sys.argv[1] + "/libdlhot.so")  # loaded long after profiling started
lib.dl_hot_function.restype = ctypes.c_double
lib.dl_hot_function(80_000_000)  # DLOPEN_LINE
