"""Threads with known CPU shares: two pure-Python threads competing for the GIL, one
thread hashing large buffers (hashlib releases the GIL, so it runs beside them on another
core), and the main thread's own Python work. Each thread stops when its own CPU clock
(time.thread_time) reaches its budget, so the shares are known whatever the scheduling.
"""
import hashlib
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _truth import add_cpu, scale_from_argv, thread_time  # noqa: E402

BUF = os.urandom(1 << 22)


def python_a(budget):
    start = thread_time()
    while thread_time() - start < budget:
        t = thread_time(); s = sum([i * i for i in range(20_000)]); add_cpu("python_a", "total", thread_time() - t)  # @L:python_a


def python_b(budget):
    start = thread_time()
    while thread_time() - start < budget:
        t = thread_time(); s = sum([i * 3 for i in range(20_000)]); add_cpu("python_b", "total", thread_time() - t)  # @L:python_b


def hashing(budget):
    start = thread_time()
    while thread_time() - start < budget:
        t = thread_time(); h = hashlib.sha256(BUF).digest(); add_cpu("hashing", "total", thread_time() - t)  # @L:hashing


def main_work(budget):
    start = thread_time()
    while thread_time() - start < budget:
        t = thread_time(); s = sum([i ^ 5 for i in range(20_000)]); add_cpu("main_work", "total", thread_time() - t)  # @L:main_work


def main():
    scale = scale_from_argv()
    threads = [
        threading.Thread(target=python_a, args=(2.0 * scale,), name="python_a"),
        threading.Thread(target=python_b, args=(1.0 * scale,), name="python_b"),
        threading.Thread(target=hashing, args=(1.5 * scale,), name="hashing"),
    ]
    for t in threads:
        t.start()
    main_work(0.5 * scale)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
