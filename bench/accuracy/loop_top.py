"""The loop-top bias case (scalene issue #379). CPython runs Python-level signal handlers
only where it checks its eval breaker (backward jumps, calls), so a profiler whose sampling
runs in such a handler sees the loop's header or first body line instead of the line that
used the time. Here the body's first line is one long instruction (a big-integer multiply,
~1 ms, no call) and the second is trivial: nearly all of the loop's CPU belongs to the
multiply line.

Truth: the loop's CPU (thread_time around the call) minus the CPU of the same loop without
the multiply (measured right after, on lines that are not compared), which is split evenly
between the header and the trivial line.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _truth import add_cpu, scale_from_argv, thread_time  # noqa: E402

A = 7 ** 30_000
B = 3 ** 40_000


def loop(n):
    x = y = 0
    for i in range(n):  # @L:header
        x = A * B  # @L:multiply
        y = i + 1  # @L:trivial
    return x, y


def loop_without_multiply(n):
    y = 0
    for i in range(n):
        y = i + 1
    return y


def main():
    budget = 4.0 * scale_from_argv()
    start = thread_time()
    while thread_time() - start < budget:
        t = thread_time()
        loop(200)
        total = thread_time() - t
        t = thread_time()
        loop_without_multiply(200)
        rest = thread_time() - t
        add_cpu("multiply", "total", max(total - rest, 0.0))
        add_cpu("header", "total", rest / 2)
        add_cpu("trivial", "total", rest / 2)


if __name__ == "__main__":
    main()
