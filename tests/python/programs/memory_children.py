"""Memory in child processes: a fork child and a subprocess each allocate and keep a known
amount; the subprocess also reports the PYTHONMALLOC it sees (the profiler's must not show)."""
import os
import subprocess
import sys

MB = 1 << 20
keep = []


def child_work():
    keep.append(bytearray(60 * MB))  # FORK_CHILD_ALLOC


if len(sys.argv) > 1 and sys.argv[1] == "sub":
    keep.append(bytearray(40 * MB))  # SUBPROCESS_ALLOC
    print("sub sees PYTHONMALLOC", os.environ.get("PYTHONMALLOC"), "LD_PRELOAD" in os.environ)
    sys.exit(0)

keep.append(bytearray(30 * MB))  # PARENT_ALLOC
pid = os.fork()
if pid == 0:
    child_work()
    os._exit(0)
os.waitpid(pid, 0)
out = subprocess.run([sys.executable, __file__, "sub"], capture_output=True, text=True, check=True).stdout
print(out.strip())
