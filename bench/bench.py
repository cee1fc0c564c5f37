"""The benchmark harness's entry point (bench/run.sh calls it inside bench/.venv).

    python bench/bench.py setup                        # install the peers and pyrometer
    python bench/bench.py all [--short]                # every suite, then the docs
    python bench/bench.py overhead|startup|accuracy|micro [--short] [--reps N]
                          [--workloads a,b] [--tools k1,k2]
    python bench/bench.py docs [--short]               # rewrite docs/ from bench/results/
    python bench/bench.py soak [--stress] [--workloads a,b]  # every pyperformance benchmark once,
                                                       # plain and profiled (not part of `all`)

Results go to bench/results/<suite>-<mode>.json; the tables and the plot to docs/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import accuracy, micro, overhead, report, setup, soak, tools  # noqa: E402
from harness.common import RESULTS, SCRATCH, log  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["setup", "all", "overhead", "startup", "accuracy", "micro", "docs", "soak"])
    parser.add_argument("--short", action="store_true", help="~1.5 s per workload, 3 rounds (default: 10 s, 5)")
    parser.add_argument("--reps", type=int, help="rounds per workload / runs per accuracy program")
    parser.add_argument("--workloads", help="overhead: only these workloads (comma-separated)")
    parser.add_argument("--tools", help="only these tools (keys: " + ",".join(t.key for t in tools.TOOLS) + ")")
    parser.add_argument("--stress", action="store_true", help="soak: sample 10x as often (CPU and memory)")
    parser.add_argument("--skip-pyrometer-build", action="store_true", help="setup: keep the installed pyrometer")
    args = parser.parse_args()
    mode = "short" if args.short else "full"
    only_tools = args.tools.split(",") if args.tools else None
    RESULTS.mkdir(parents=True, exist_ok=True)

    if args.command == "setup":
        result = setup.install(skip_pyrometer=args.skip_pyrometer_build)
        failed = [name for name, info in result["packages"].items() if info.get("error")]
        log("setup done" + (f"; failed: {', '.join(failed)}" if failed else ""))
        return 0
    if args.command == "soak":
        result = soak.run_soak(args.workloads.split(",") if args.workloads else None, args.stress,
                               RESULTS / ("soak-stress.json" if args.stress else "soak.json"))
        return 1 if result["counts"]["finding"] else 0
    if args.command in ("overhead", "all"):
        reps = args.reps or (3 if args.short else 5)
        log(f"overhead suite ({mode}, {reps} rounds)")
        overhead.run_suite(args.short, reps, args.workloads.split(",") if args.workloads else None,
                           only_tools, RESULTS / f"overhead-{mode}.json")
    if args.command in ("startup", "all"):
        log("start-up cost (empty program)")
        overhead.run_startup(args.reps or (5 if args.short else 11), RESULTS / f"startup-{mode}.json")
    if args.command in ("accuracy", "all"):
        reps = args.reps or (1 if args.short else 3)
        log(f"accuracy suite ({mode}, {reps} run(s) per tool)")
        accuracy.run_suite(args.short, reps, only_tools, RESULTS / f"accuracy-{mode}.json")
    if args.command in ("micro", "all"):
        log("microbenchmarks")
        micro.run_suite(args.short, RESULTS / f"micro-{mode}.json")
    if args.command in ("docs", "all", "overhead", "startup", "accuracy", "micro"):
        doc = report.write_docs(RESULTS, mode)
        log(f"wrote {doc} and docs/{report.PLOT.name}")
    if SCRATCH.exists() and not any(SCRATCH.iterdir()):
        SCRATCH.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
