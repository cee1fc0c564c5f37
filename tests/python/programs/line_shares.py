"""Ground truth for per-line CPU: each hot line measures its own thread CPU time.

Writes {line_number: cpu_seconds} as JSON to argv[1]."""
import json
import sys
import time

tt = time.thread_time
cost = {}


def measure(line, seconds_before):
    cost[line] = cost.get(line, 0.0) + tt() - seconds_before


for _ in range(28):
    t = tt(); a = sum([i * 3 for i in range(400_000)]); measure("A", t)  # LINE_A
    t = tt(); b = sum([i * i % 7 for i in range(1_000_000)]); measure("B", t)  # LINE_B
    t = tt(); c = "".join([str(i) for i in range(300_000)]); measure("C", t)  # LINE_C
    t = tt(); d = sorted([(i * 7919) % 1000003 for i in range(300_000)]); measure("D", t)  # LINE_D

json.dump(cost, open(sys.argv[1], "w"))
