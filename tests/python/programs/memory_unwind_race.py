"""Allocation samples on the main thread (each unwinds the native stack in the allocation
hook) while BLAS threads are interrupted by CPU samples (each unwinds in the signal
handler): the two kinds of unwind must never wait for each other. Hung before the fix."""
import threading

import numpy as np

stop = threading.Event()


def blas():
    a = np.random.rand(200, 200)
    while not stop.is_set():
        a @ a


workers = [threading.Thread(target=blas) for _ in range(2)]
for w in workers:
    w.start()
junk = 0
for i in range(300_000):
    junk += len([str(i)] * 4)  # ALLOCATING_LINE
stop.set()
for w in workers:
    w.join()
print("done")
