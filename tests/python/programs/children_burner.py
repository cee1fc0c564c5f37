"""Run as a child process: burns CPU and records what it used in argv[1]/<argv[2]>.json."""
import json
import os
import sys
import time


def subprocess_burn(seconds):
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return time.thread_time() - start


used = subprocess_burn(float(sys.argv[3]))
with open(os.path.join(sys.argv[1], sys.argv[2] + ".json"), "w") as f:
    json.dump({"pid": os.getpid(), "cpu": used}, f)
print("burner", sys.argv[2], "done")
sys.exit(5)
