"""Exit paths with company: robust_exits.py MODE [LIB]."""
import ctypes
import os
import sys
import threading
import time


def work(n):
    return sum(i * i % 7 for i in range(n))


def burn_cpu(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        work(10_000)


def busy_daemons(n=2):
    for i in range(n):
        threading.Thread(target=lambda: [work(20_000) for _ in iter(int, 1)], daemon=True, name=f"busy-{i}").start()


mode = sys.argv[1]
print("work", work(300_000), flush=True)
if mode == "os-exit-from-thread":
    busy_daemons()
    threading.Thread(target=lambda: (work(100_000), os._exit(3))).start()
    time.sleep(30)
elif mode == "exit-waits-for-threads":
    worker = threading.Thread(target=lambda: (time.sleep(0.3), print("worker done", work(50_000), flush=True)))
    worker.start()
    busy_daemons()
    sys.exit(4)
elif mode == "exit-message":
    sys.exit("fatal: the program gives up")
elif mode == "exit-256":
    sys.exit(256)  # the status is taken modulo 256: exit code 0
elif mode == "thread-exception":
    t = threading.Thread(target=lambda: 1 / 0, name="failing")
    t.start()
    t.join()
    print("main continues")
elif mode == "exit-in-atexit":
    import atexit

    atexit.register(lambda: os._exit(6))
elif mode == "crash":
    # A bug in a C extension, after pyrometer's first checkpoint (every 2 s).
    lib = ctypes.CDLL(sys.argv[2])
    busy_daemons(1)
    burn_cpu(0.5)
    time.sleep(2.0)
    burn_cpu(0.2)
    print("crashing", flush=True)
    lib.crash_now()
    print("not reached")
elif mode == "crash-faulthandler":
    import faulthandler

    faulthandler.enable()
    lib = ctypes.CDLL(sys.argv[2])
    burn_cpu(0.2)
    lib.crash_now()
elif mode == "forever":
    print("ready", flush=True)
    burn_cpu(60)
