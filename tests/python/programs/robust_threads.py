"""Thread torture for the robustness suite: robust_threads.py MODE [LIB]."""
import ctypes
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def work(n):
    return sum(i * i % 7 for i in range(n))


def short_lived():
    # 100 threads that each live a few milliseconds, in waves so several overlap.
    results = [0] * 100
    threads = []
    for i in range(100):
        t = threading.Thread(target=lambda i=i: results.__setitem__(i, work(20_000 + i)), name=f"short-{i}")
        t.start()
        threads.append(t)
        if len(threads) >= 8:
            threads.pop(0).join()
    for t in threads:
        t.join()
    print("short-lived", len(results), sum(results))


def pool():
    with ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(work, range(10_000, 10_200)))
    print("pool", len(results), sum(results))


def c_threads(lib_path):
    lib = ctypes.CDLL(lib_path)
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)
    calls = []

    def from_c(x):  # runs on a thread Python did not create
        calls.append(x)
        return work(3_000) % 97 + x % 13

    callback = callback_type(from_c)
    lib.run_c_threads.argtypes = [ctypes.c_int, ctypes.c_int, callback_type]
    lib.run_c_threads.restype = ctypes.c_long
    total = lib.run_c_threads(16, 20, callback)
    print("c-threads", total, len(calls), sorted(calls) == sorted(i * 1000 + k for i in range(16) for k in range(20)))


def daemons():
    # Daemon threads still burning CPU (and one blocked forever) when the main thread ends.
    stop = threading.Event()
    for i in range(4):
        threading.Thread(target=lambda: [work(50_000) for _ in iter(int, 1)], daemon=True, name=f"spin-{i}").start()
    threading.Thread(target=stop.wait, daemon=True, name="blocked").start()
    print("main", work(300_000))
    time.sleep(0.2)
    print("main done")


mode = sys.argv[1]
if mode == "short":
    short_lived()
elif mode == "pool":
    pool()
elif mode == "c":
    c_threads(sys.argv[2])
elif mode == "daemon":
    daemons()
