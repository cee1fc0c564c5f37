"""Python children started through subprocess (directly and through a shell), and
non-Python children whose output and exit code must not change."""
import os
import shlex
import subprocess
import sys

outdir = sys.argv[1]
burner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "children_burner.py")

r = subprocess.run([sys.executable, burner, outdir, "direct", "0.4"], capture_output=True, text=True)
print("direct:", r.returncode, r.stdout.strip())
command = " ".join(shlex.quote(a) for a in [sys.executable, burner, outdir, "shell", "0.2"])
r = subprocess.run(["sh", "-c", command + "; echo shell says $?"], capture_output=True, text=True)
print("via sh:", r.returncode, r.stdout.strip())

r = subprocess.run(["sh", "-c", "echo hi; echo oops >&2; exit 3"], capture_output=True, text=True)
print("sh:", r.returncode, repr(r.stdout), repr(r.stderr))
r = subprocess.run(["env"], capture_output=True, text=True)
print("env:", sorted(line.split("=", 1)[0] for line in r.stdout.splitlines()
                     if "PYROMETER" in line or line.startswith("LD_PRELOAD=")))
r = subprocess.run(["ls", "/"], capture_output=True, text=True)
print("ls:", r.returncode, len(r.stdout) > 0)
r = subprocess.run([sys.executable, "-c", "import os; print(sorted(k for k in os.environ if 'PYROMETER' in k or k == 'LD_PRELOAD'))"],
                   capture_output=True, text=True)
print("python env:", r.stdout.strip())
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError:
    print("missing program: FileNotFoundError")
print("status", os.system("exit 2") >> 8)
