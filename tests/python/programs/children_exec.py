"""The profiled program replaces itself with os.execv (same pid): both images' CPU counts."""
import json
import os
import sys
import time


def before_exec_burn(seconds):
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return time.thread_time() - start


def after_exec_burn(seconds):
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return time.thread_time() - start


outdir = sys.argv[1]
if len(sys.argv) > 2:
    used = after_exec_burn(0.4)
    with open(os.path.join(outdir, "after.json"), "w") as f:
        json.dump({"pid": os.getpid(), "cpu": used}, f)
    print("after exec", sys.argv[2])
    sys.exit(4)
used = before_exec_burn(0.2)
with open(os.path.join(outdir, "before.json"), "w") as f:
    json.dump({"pid": os.getpid(), "cpu": used}, f)
print("before exec", flush=True)
os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), outdir, "second"])
