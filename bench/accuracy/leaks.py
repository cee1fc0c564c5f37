"""A planted leak beside an innocent line that allocates as much. Every round the `leak`
line appends a 64 KiB bytearray to a module-level list that only grows; the `churn` line
allocates the same size and drops it. Some CPU work between rounds (which allocates nothing)
spreads the growth over the run, as a real leak would be.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _truth  # noqa: E402
from _truth import scale_from_argv  # noqa: E402

RETAINED = []
SPIN = [None] * 40_000


def one_round():
    RETAINED.append(bytearray(64 << 10))  # @L:leak
    tmp = bytearray(64 << 10); del tmp  # @L:churn
    x = 0
    for _ in SPIN: x = (x * 3 + 1) & 127  # busy work that allocates nothing (small ints are cached)
    return x


def main():
    rounds = int(1000 * scale_from_argv())
    for _ in range(rounds):
        one_round()
    size = sys.getsizeof(bytearray(64 << 10))
    _truth.alloc.update(leak=rounds * size, churn=rounds * size)
    _truth.live.update(leak=rounds * size, churn=0)


if __name__ == "__main__":
    main()
