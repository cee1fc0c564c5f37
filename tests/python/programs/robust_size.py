"""Output size against run length: robust_size.py MODE SECONDS.
fixed: the same 40 functions (and C builtins) over and over;
distinct: a new function, with its own file and line, on every iteration."""
import sys
import time

mode, seconds = sys.argv[1], float(sys.argv[2])
namespace = {}
for i in range(40):
    exec(compile(f"def f_{i}(n):\n    return sum(x * {i} for x in range(n)) + len(sorted(range(n)))\n",
                 f"/generated/fixed_{i}.py", "exec"), namespace)
fixed = [namespace[f"f_{i}"] for i in range(40)]

end = time.monotonic() + seconds
iterations = 0
while time.monotonic() < end:
    if mode == "fixed":
        fixed[iterations % 40](3_000)
    else:
        code = compile(f"def g(n):\n    return sum(x * {iterations} for x in range(n))\n",
                       f"/generated/distinct_{iterations}.py", "exec")
        exec(code, namespace)
        namespace["g"](3_000)
    iterations += 1
print("done", mode)
