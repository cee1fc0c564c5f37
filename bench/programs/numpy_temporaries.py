"""Element-wise numpy arithmetic on 2M-element arrays: every iteration allocates and frees
16 MB temporaries, the allocation pattern of array code. Prints the loop's own time.

    python numpy_temporaries.py [ITERATIONS]     (default 200)
"""
import sys
import time

import numpy as np

iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 200
x = np.random.rand(2_000_000)
start = time.perf_counter()
for _ in range(iterations):
    y = x * 2.0 + 1.0
print(f"BENCH_ELAPSED {time.perf_counter() - start:.4f}")
