"""Python, native and system phases with known splits. Each phase line measures its own
user and system CPU time (getrusage(RUSAGE_THREAD)) on the same physical line:
- the Python line runs bytecode only (a comprehension over cached small ints, no calls):
  its user time is Python time;
- the native line is one call into zlib: its user time is native time;
- the system line asks the kernel for random bytes (getrandom): its time is system time
  (its small user part is reported as "user", Python and native together).
"""
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _truth import add_cpu, scale_from_argv, thread_time, thread_usage  # noqa: E402

DATA = os.urandom(1 << 16) * 16  # 1 MiB, compressible
SPIN = [1] * 100_000  # small ints: the Python line allocates nothing but its list


def record(name, user_kind, before):
    user, system = thread_usage()
    add_cpu(name, user_kind, user - before[0])
    add_cpu(name, "system", system - before[1])


def python_phase():
    u = thread_usage(); s = [(i * 3 + 1) & 127 for i in SPIN]; s = None; record("python", "python", u)  # @L:python


def native_phase():
    u = thread_usage(); c = zlib.compress(DATA, 6); c = None; record("native", "native", u)  # @L:native


def system_phase():
    u = thread_usage(); r = os.urandom(6 << 20); r = None; record("system", "user", u)  # @L:system


def main():
    budget = 4.0 * scale_from_argv()
    start = thread_time()
    while thread_time() - start < budget:
        python_phase()
        native_phase()
        system_phase()


if __name__ == "__main__":
    main()
