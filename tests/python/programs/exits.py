"""Ends in the way argv[1] says, after doing some work and printing."""
import os
import signal
import sys


def work():
    return sum(i * i for i in range(2_000_000))


print("result", work(), flush=True)
how = sys.argv[1] if len(sys.argv) > 1 else "normal"
if how == "exit3":
    sys.exit(3)
if how == "raise":
    raise ValueError("boom from the program")
if how == "sigterm":
    os.kill(os.getpid(), signal.SIGTERM)
    import time
    time.sleep(5)
if how == "os_exit":
    sys.stdout.flush()
    os._exit(7)
if how == "keyboard":
    raise KeyboardInterrupt
