"""20 000 allocations of 300 KB, each freed at once: under pyrometer at a mean of 256 KiB or
less nearly every one is sampled, so the difference to a run without memory tracking is the
cost of sampling an allocation (stack capture, live-table entry, matched free)."""
import time


def churn():
    for _ in range(20000):
        block = bytearray(300_000)
        del block


start = time.perf_counter()
churn()
print(f"{time.perf_counter() - start:.6f}")
