"""Signal torture for the robustness suite: robust_signals.py MODE."""
import os
import signal
import sys
import time


def work(n):
    return sum(i * i % 7 for i in range(n))


def burn_cpu(seconds):
    end = time.process_time() + seconds
    total = 0
    while time.process_time() < end:
        total += work(10_000)
    return total


def own_handlers():
    # The program's own SIGALRM (driven by its own ITIMER_REAL) and SIGUSR1 handlers.
    alarms, usr1 = [], []
    signal.signal(signal.SIGALRM, lambda s, f: alarms.append(s))
    signal.signal(signal.SIGUSR1, lambda s, f: usr1.append(s))
    signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
    burn_cpu(0.6)
    for _ in range(20):
        os.kill(os.getpid(), signal.SIGUSR1)
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("work", work(100_000))
    print("usr1", len(usr1))
    print("alarms ok" if len(alarms) >= 10 else f"alarms too few: {len(alarms)}")


def own_sigprof():
    # The program profiles itself with SIGPROF + ITIMER_PROF, as a home-made profiler would.
    ticks = []
    handler = lambda s, f: ticks.append(f.f_lineno if f else 0)  # noqa: E731
    signal.signal(signal.SIGPROF, handler)
    signal.setitimer(signal.ITIMER_PROF, 0.005, 0.005)
    burn_cpu(0.8)
    signal.setitimer(signal.ITIMER_PROF, 0)
    print("handler kept", signal.getsignal(signal.SIGPROF) is handler)
    print("prof ticks ok" if len(ticks) >= 40 else f"prof ticks too few: {len(ticks)}")
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    print("back to default", signal.getsignal(signal.SIGPROF) == signal.SIG_DFL)


def sigprof_ignored():
    signal.signal(signal.SIGPROF, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_PROF, 0.005, 0.005)
    burn_cpu(0.5)
    print("still alive")


def sigprof_default():
    # No handler: the program's own ITIMER_PROF kills it with SIGPROF, as it would anyway.
    print("arming", flush=True)
    time.sleep(2.3)  # past pyrometer's first checkpoint (2 s), without burning CPU
    signal.setitimer(signal.ITIMER_PROF, 0.2)
    burn_cpu(10)
    print("not reached")


def wait_for_signal(how):
    if how == "sigint-caught":
        try:
            print("ready", flush=True)
            time.sleep(30)
        except KeyboardInterrupt:
            print("caught KeyboardInterrupt")
        return
    if how == "sigterm-handled":
        signal.signal(signal.SIGTERM, lambda s, f: sys.exit(5))
    print("ready", flush=True)
    if how == "sigint":
        time.sleep(30)  # KeyboardInterrupt raised here: the traceback is the same every time
    burn_cpu(30)


mode = sys.argv[1]
if mode == "handlers":
    own_handlers()
elif mode == "sigprof":
    own_sigprof()
elif mode == "sigprof-ignored":
    sigprof_ignored()
elif mode == "sigprof-default":
    sigprof_default()
else:
    wait_for_signal(mode)
