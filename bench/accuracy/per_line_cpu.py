"""Per-line CPU ground truth: five lines with different kinds of work, each timing itself
with time.thread_time on the same physical line (so the timer calls are charged to the line
they measure). Each line also drops what it made before its timer stops: freeing a big
result is work too, and it must happen on the measured line, not on the caller's. Each line sits in its own function, so function-level profilers can be
compared too. Rounds interleave the lines until `4 s x scale` of CPU have been used.
"""
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _truth import add_cpu, scale_from_argv, thread_time  # noqa: E402

random.seed(1)
DATA = [random.random() for _ in range(25_000)]
TEXT = " ".join(f"word{random.randrange(1000)} {random.randrange(10**6)}" for _ in range(10_000))
WORD = re.compile(r"word(\d+) (\d+)")


def squares(n):
    t = thread_time(); s = sum([i * i for i in range(n)]); s = None; add_cpu("squares", "total", thread_time() - t)  # @L:squares


def strings(n):
    t = thread_time(); s = "-".join([str(i) for i in range(n)]); s = None; add_cpu("strings", "total", thread_time() - t)  # @L:strings


def dicts(n):
    t = thread_time(); d = {i: i % 7 for i in range(n)}; d = None; add_cpu("dicts", "total", thread_time() - t)  # @L:dicts


def sorting():
    t = thread_time(); s = sorted(DATA); s = None; add_cpu("sorting", "total", thread_time() - t)  # @L:sorting


def regex():
    t = thread_time(); m = WORD.findall(TEXT); m = None; add_cpu("regex", "total", thread_time() - t)  # @L:regex


def main():
    budget = 4.0 * scale_from_argv()
    start = thread_time()
    while thread_time() - start < budget:
        squares(90_000)
        strings(20_000)
        dicts(60_000)
        sorting()
        regex()


if __name__ == "__main__":
    main()
