"""Known per-line allocations. Each marked line allocates objects of known requested size
(sys.getsizeof is what CPython asked its allocator for) and frees them right away:
- big:    one 8 MiB bytearray per round (malloc);
- medium: 400 bytes objects of 4000 bytes per round (malloc, one at a time);
- small:  20000 bytearrays of 100 bytes per round (pymalloc: object and buffer < 512 B);
- numpy:  one 8 MiB numpy array per round (numpy's own malloc).
The loop lines keep the statement and its loop on one physical line, so the line owns
exactly these allocations. Nothing stays live.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402
from _truth import scale_from_argv  # noqa: E402

SMALL = [None] * 20_000
MEDIUM = [None] * 400


def add(name, nbytes):
    _truth.alloc[name] = _truth.alloc.get(name, 0) + nbytes
    _truth.live.setdefault(name, 0)


def one_round():
    b = bytearray(8 << 20); n = sys.getsizeof(b); del b  # @L:big
    add("big", n)
    for _ in MEDIUM: b = bytes(4000)  # @L:medium
    add("medium", len(MEDIUM) * sys.getsizeof(b))
    del b
    for _ in SMALL: b = bytearray(100)  # @L:small
    add("small", len(SMALL) * sys.getsizeof(b))
    del b
    a = np.ones(1 << 20); n = a.nbytes; del a  # @L:numpy
    add("numpy", n)


def main():
    rounds = int(30 * scale_from_argv())
    for _ in range(rounds):
        one_round()


if __name__ == "__main__":
    main()
