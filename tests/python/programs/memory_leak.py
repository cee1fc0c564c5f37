"""A cache that grows every iteration: a leak at LEAK_LINE; steady work beside it."""
import time

cache = []
scratch = 0
deadline = time.monotonic() + 1.6
while time.monotonic() < deadline:
    cache.append(bytearray(400_000))  # LEAK_LINE
    tmp = [bytearray(50_000) for _ in range(20)]  # CHURN_LINE
    scratch += len(tmp)
    time.sleep(0.004)
print(len(cache) > 0)
