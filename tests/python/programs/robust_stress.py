"""Stress for the robustness suite: robust_stress.py MODE [N]."""
import sys
import time


def work(n):
    return sum(i * i % 7 for i in range(n))


def deep(depth, n):
    return work(n) if depth == 0 else deep(depth - 1, n) + 1


def unbounded(depth=0):
    return unbounded(depth + 1) + 1


def recursion():
    limit = sys.getrecursionlimit()
    results = [deep(limit - 40, 20_000) for _ in range(30)]  # near the limit, over and over
    print("near-limit", results[0], len(results))
    for _ in range(20):
        try:
            unbounded()
        except RecursionError:
            pass
    print("RecursionError caught 20 times")
    sys.setrecursionlimit(20_000)
    print("very deep", deep(15_000, 200_000))


def code_objects(n):
    # n distinct functions, each compiled from its own source and file name, each called.
    total = 0
    begin = time.perf_counter()
    for i in range(n):
        namespace = {}
        exec(compile(f"def f_{i}(x):\n    return x * {i % 1000} + {i % 7}\n", f"/generated/mod_{i}.py", "exec"),
             namespace)
        total += namespace[f"f_{i}"](i)
    print("code objects", n, total)
    print(f"took {time.perf_counter() - begin:.1f}s", file=sys.stderr)


def memory(megabytes):
    # A few GB in 64 MB chunks, touched, freed, twice.
    chunk = 64 << 20
    for _ in range(2):
        chunks = [b"\x01" * chunk for _ in range(megabytes // 64)]
        print("allocated MB", len(chunks) * 64, sum(c[-1] for c in chunks))
        del chunks
    print("freed")


mode = sys.argv[1]
if mode == "recursion":
    recursion()
elif mode == "code-objects":
    code_objects(int(sys.argv[2]))
elif mode == "memory":
    memory(int(sys.argv[2]))
