"""A small program with a few kinds of hot spots, to see what a pyrometer report shows.

    pyrometer run examples/demo.py
"""

import random
import threading
import time


def python_loop(n):
    total = 0
    for i in range(n):          # pure-Python bytecode: Python time
        total += i * i % 7
    return total


def sort_numbers(n):
    data = [random.random() for _ in range(n)]
    return sorted(data)         # one C builtin doing the work: native time


def build_strings(n):
    parts = []
    for i in range(n):
        parts.append(f"item-{i}")
    return ",".join(parts)


def write_files(n):
    import os
    import tempfile

    with tempfile.TemporaryFile() as f:
        for _ in range(n):
            f.write(b"x" * 4096)
            f.flush()
            os.fsync(f.fileno())  # system calls: kernel time


def background_worker(stop):
    while not stop.is_set():
        python_loop(50_000)
        time.sleep(0.01)


def main():
    stop = threading.Event()
    worker = threading.Thread(target=background_worker, args=(stop,), name="worker")
    worker.start()
    print("loop:", python_loop(3_000_000))
    print("sorted:", len(sort_numbers(1_500_000)))
    print("strings:", len(build_strings(600_000)))
    write_files(300)
    stop.set()
    worker.join()


if __name__ == "__main__":
    main()
