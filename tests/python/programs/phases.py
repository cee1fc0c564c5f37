"""Three phases with known character: pure Python, one big C builtin, kernel work."""
import os


def python_phase():
    total = 0
    for i in range(4_000_000):  # PYTHON_LINE
        total += i * i % 7  # PYTHON_BODY
    return total


def native_phase():
    data = [(i * 7919) % 1000003 for i in range(1_500_000)]
    for _ in range(3):
        kept = sorted(data)  # NATIVE_LINE
        # Freeing the 1.5M-item result is interpreter code run by a bytecode (not a call):
        # Python time by PC range until native stacks refine it. Kept on its own line so
        # the NATIVE_LINE measures the call alone.
        del kept


def system_phase():
    fd = os.open("/dev/zero", os.O_RDONLY)
    for _ in range(10000):
        os.read(fd, 1 << 20)  # SYSTEM_LINE
    os.close(fd)


python_phase()
native_phase()
system_phase()
