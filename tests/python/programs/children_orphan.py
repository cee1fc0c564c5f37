"""A forked child that outlives its parent: it works only once the parent has exited (and
written its report), so only a later `pyrometer report` can merge it."""
import os
import time


def orphan_burn(seconds):
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


parent = os.getpid()
if os.fork() == 0:
    while os.getppid() == parent:
        time.sleep(0.01)
    orphan_burn(0.2)
    os._exit(0)
print("parent leaves")
