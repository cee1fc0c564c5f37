#!/usr/bin/env bash
# The one command of the benchmark harness (docs/benchmarks.md):
#
#   bash bench/run.sh [--short]
#
# Creates bench/.venv (a plain venv of its own: the peers never become dependencies of
# pyrometer), installs the peers (scalene, py-spy, memray, pyinstrument; cProfile is built
# in), pyperformance and its benchmarks' requirements, and pyrometer built from this tree;
# installs libbenchmark-dev for the C++ microbenchmarks when missing; runs the overhead,
# accuracy and micro suites; writes bench/results/*.json, the tables in docs/benchmarks.md
# and docs/benchmarks-overhead.png. --short: ~1.5 s per workload and 3 rounds (minutes);
# the default (full) mode runs 10 s per workload and 5 rounds (hours on 2 shared cores).
# Extra arguments go to bench/bench.py (e.g. --tools pyrometer_cpu,pyspy --workloads mdp).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3.11}
# pyenv's python3.11 may be a bash shim: take the real interpreter it resolves to.
python=$("$python" -c 'import sys; print(sys.executable)')
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "bench/run.sh: pyrometer supports CPython 3.11; set PYTHON=/path/to/python3.11" >&2
  exit 2
fi

# Debian packages: the repo's build dependencies, and Google Benchmark for bench/cpp_micro.
bash scripts/install-deps.sh
if ! dpkg-query -W -f='${Status}' libbenchmark-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "bench: installing libbenchmark-dev" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq libbenchmark-dev >/dev/null \
    || echo "bench: libbenchmark-dev could not be installed; the microbenchmarks will report the build error" >&2
fi

if [ ! -x bench/.venv/bin/python ]; then
  "$python" -m venv bench/.venv
fi
bench/.venv/bin/python bench/bench.py setup
bench/.venv/bin/python bench/bench.py all "$@"
