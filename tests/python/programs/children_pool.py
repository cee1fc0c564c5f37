"""A multiprocessing Pool (start method argv[1]) whose workers burn CPU; the CPU they
measured goes to argv[2]/pool.json."""
import json
import multiprocessing
import os
import sys
import time


def burn_task(seconds):
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return os.getpid(), time.thread_time() - start


if __name__ == "__main__":
    method, outdir = sys.argv[1], sys.argv[2]
    with multiprocessing.get_context(method).Pool(2) as pool:
        results = pool.map(burn_task, [0.15] * 6)
    with open(os.path.join(outdir, "pool.json"), "w") as f:
        json.dump({"cpu": sum(used for _, used in results), "pids": sorted({p for p, _ in results})}, f)
    print("tasks", len(results))
