"""The program's own SIGSEGV handler, installed after pyrometer's fault guard:
robust_faults.py handler-after LIB."""
import ctypes
import sys


def work(n):
    return sum(i * i % 7 for i in range(n))


lib = ctypes.CDLL(sys.argv[2])
total = work(200_000)
visible = []
recovered = 0
for how, rounds in ((0, 250), (1, 50)):  # sigaction(), then signal()
    assert lib.install_segv_handler(how) == 0
    visible.append(lib.segv_handler_is_ours())
    for _ in range(rounds):
        total += work(30_000)
        recovered += lib.fault_and_recover()
print("work", total)
print("recovered", recovered, "handler-visible", *visible)
