"""os.fork() child burning CPU in its own function; the child ends by `how` (argv[1]).
Each process writes the CPU it measured itself into argv[2]/<role>.json."""
import json
import os
import signal
import sys
import time


def child_burn(seconds):
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return time.thread_time() - start


def parent_burn(seconds):
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return time.thread_time() - start


def record(outdir, role, used):
    with open(os.path.join(outdir, role + ".json"), "w") as f:
        json.dump({"pid": os.getpid(), "cpu": used}, f)


how, outdir = sys.argv[1], sys.argv[2]
ready_r, ready_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(ready_r)
    record(outdir, "child", child_burn(0.6))
    os.write(ready_w, b"x")
    if how == "os_exit":
        os._exit(3)
    if how == "sys_exit":
        sys.exit(3)
    if how == "sigterm":
        while True:
            time.sleep(1)
    # "normal": the child runs to the end of the script
else:
    os.close(ready_w)
    record(outdir, "parent", parent_burn(0.3))
    os.read(ready_r, 1)
    if how == "sigterm":
        os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    print("child ended with", os.waitstatus_to_exitcode(status))
