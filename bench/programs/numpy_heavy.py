"""NumPy-heavy workload for the overhead suite: BLAS matrix products, element-wise
expressions with temporaries, sorting, FFT and reductions, with a little Python glue.

    python numpy_heavy.py --loops N      # last line: BENCH_ELAPSED <seconds>
"""
import argparse
import time

import numpy as np


def one_loop(rng):
    a = rng.standard_normal((400, 400))
    b = rng.standard_normal((400, 400))
    c = a @ b
    x = rng.standard_normal(1_000_000)
    y = np.sqrt(np.abs(x)) * np.sin(x) + np.exp(-x * x)
    order = np.argsort(y)
    spectrum = np.fft.rfft(x)
    groups = [float(chunk.mean()) for chunk in np.array_split(y[order], 200)]
    return float(c.trace()) + float(np.abs(spectrum).max()) + sum(groups)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loops", type=int, default=1)
    loops = parser.parse_args().loops
    rng = np.random.default_rng(42)
    start = time.perf_counter()
    for _ in range(loops):
        one_loop(rng)
    print(f"BENCH_ELAPSED {time.perf_counter() - start:.6f}", flush=True)


if __name__ == "__main__":
    main()
