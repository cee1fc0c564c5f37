"""Allocation-heavy workload for the overhead suite: many small objects (records, strings,
tuples), medium and large buffers of random sizes kept in a sliding window, JSON round
trips. Each loop does the same work (seeded).

    python alloc_heavy.py --loops N      # last line: BENCH_ELAPSED <seconds>
"""
import argparse
import json
import random
import time


def records(n):
    return [{"id": i, "name": f"user{i}", "tags": [str(i % 7), str(i % 11)], "score": i * 0.5} for i in range(n)]


def buffers(rng, n, window=64):
    kept = []
    total = 0
    for _ in range(n):
        size = int(rng.paretovariate(1.2) * 256) % (1 << 20)
        kept.append(bytearray(size))
        if len(kept) > window:
            total += len(kept.pop(rng.randrange(len(kept))))
    return total


def text(rows):
    lines = [f"{r['id']},{r['name']},{'|'.join(r['tags'])}" for r in rows]
    return sum(len(line.split(",")) for line in lines)


def one_loop(rng):
    rows = records(30_000)
    blob = json.dumps(rows)
    back = json.loads(blob)
    pairs = {(r["id"], r["name"]): r for r in back}
    return buffers(rng, 20_000) + text(rows) + len(pairs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loops", type=int, default=1)
    loops = parser.parse_args().loops
    rng = random.Random(42)
    start = time.perf_counter()
    for _ in range(loops):
        one_loop(rng)
    print(f"BENCH_ELAPSED {time.perf_counter() - start:.6f}", flush=True)


if __name__ == "__main__":
    main()
