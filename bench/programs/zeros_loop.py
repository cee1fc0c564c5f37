"""np.zeros of one size in a loop, each array written once per page and dropped — the
calloc pattern of numeric code. Prints the loop's own time.

    python zeros_loop.py ELEMENTS [GIB_IN_ALL]     (float64 elements; default 4 GiB in all)
"""
import sys
import time

import numpy as np

elements = int(sys.argv[1])
total = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
calls = max(1, int(total * 2**30 // (elements * 8)))
start = time.perf_counter()
for _ in range(calls):
    a = np.zeros(elements)
    a[::512] = 1.0  # one write per 4 KiB page
print(f"BENCH_ELAPSED {time.perf_counter() - start:.4f}")
