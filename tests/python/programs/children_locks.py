"""Forks from a parent whose 4 threads are busy holding locks (and allocating) at every
moment: the children must neither deadlock nor lose their profile."""
import os
import sys
import threading
import time

stop = threading.Event()
locks = [threading.Lock() for _ in range(4)]


def busy(lock):
    while not stop.is_set():
        with lock:
            junk = [bytearray(64) for _ in range(200)]  # malloc under the lock
            sum(range(2000))
            del junk


def forked_child_work():
    start = time.thread_time()
    while time.thread_time() - start < 0.1:
        pass


threads = [threading.Thread(target=busy, args=(lock,), name=f"busy-{i}") for i, lock in enumerate(locks)]
for t in threads:
    t.start()
codes = []
for _ in range(5):
    pid = os.fork()
    if pid == 0:
        forked_child_work()
        os._exit(0)
    codes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
stop.set()
for t in threads:
    t.join()
print("children", codes)
