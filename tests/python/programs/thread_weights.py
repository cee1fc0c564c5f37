"""Four Python threads with CPU weights 1:2:3:4 plus one thread hashing without the GIL.
Each thread records its own CPU time; writes {thread_name: cpu_seconds} to argv[1]."""
import hashlib
import json
import sys
import threading
import time

results = {}
UNIT = 2_000_000


def spin(weight):
    t = time.thread_time()
    x = 0
    for i in range(UNIT * weight):
        x += i % 3
    results[threading.current_thread().name] = time.thread_time() - t


def hash_without_gil():
    t = time.thread_time()
    data = b"\x01" * (8 << 20)
    for _ in range(60):
        hashlib.sha256(data).digest()  # releases the GIL for large buffers
    results[threading.current_thread().name] = time.thread_time() - t


threads = [threading.Thread(target=spin, args=(w,), name=f"weight-{w}") for w in (1, 2, 3, 4)]
threads.append(threading.Thread(target=hash_without_gil, name="native-hasher"))
for t in threads:
    t.start()
for t in threads:
    t.join()
json.dump(results, open(sys.argv[1], "w"))
