"""Pure-Python CPU benchmark (no I/O, no C-heavy builtins): prints its own elapsed seconds."""
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def loops(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total


def dicts(n):
    d = {}
    for i in range(n):
        d[i % 1000] = d.get(i % 1000, 0) + i
    return len(d)


start = time.perf_counter()
fib(29)
loops(8_000_000)
dicts(6_000_000)
print(f"{time.perf_counter() - start:.6f}")
