#!/usr/bin/env bash
# Fuzzes the profile reader (and the writers behind it) with libFuzzer for a bounded time:
#   bash scripts/fuzz.sh [SECONDS] [report|parse]     (default: 600 s, report)
# report: the reader and every writer behind it; parse: the reader alone (much faster).
# Installs clang from Debian when missing (only this script needs it), builds
# report/fuzz/ with ASan+UBSan into build/fuzz/, and runs from the seed corpus
# report/fuzz/corpus/ (real profiles) plus what earlier runs found (build/fuzz/corpus-*/).
# Crashing inputs land in build/fuzz/artifacts/; exits non-zero when there is one.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
case ${2:-report} in
  report) target=profile_reader_fuzz ;;
  parse) target=profile_parse_fuzz ;;
  *) echo "usage: bash scripts/fuzz.sh [SECONDS] [report|parse]" >&2; exit 2 ;;
esac
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: installing clang (apt-get)" >&2
  apt-get install -y -q clang >/dev/null || { echo "fuzz.sh: cannot install clang" >&2; exit 1; }
fi
scripts/install-deps.sh >/dev/null || exit 1
python=$PWD/.venv/bin/python
[ -x "$python" ] || scripts/venv.sh || exit 1
mkdir -p "build/fuzz/corpus-$target" build/fuzz/artifacts
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DPYROMETER_FUZZ=ON -DPYROMETER_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython_EXECUTABLE="$python" >build/fuzz/cmake.log 2>&1 \
  || { cat build/fuzz/cmake.log; exit 1; }
cmake --build build/fuzz -j2 --target "$target" || exit 1
# DEBUGINFOD_URLS cleared: symbolizing a fuzzed module path must never reach the network.
DEBUGINFOD_URLS= UBSAN_OPTIONS=print_stacktrace=1 "build/fuzz/report/fuzz/$target" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -dict=report/fuzz/pyro.dict -artifact_prefix=build/fuzz/artifacts/ \
  "build/fuzz/corpus-$target" report/fuzz/corpus
