#!/usr/bin/env bash
# The allocation shim's fast-path cost: malloc+free pairs under glibc, under plain jemalloc
# (the shim's backing allocator) and under pyrometer's shim (agent loaded, memory tracking
# configured at the default mean, countdown and free-filter probe on every call).
#   bash bench/alloc_cost.sh [BUILD_DIR]      (default build/dev; builds the targets it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
cmake --build "$build" --target alloc_pair pyrometer_memory pyrometer_preload >/dev/null
bin=$build/bench/cpp/alloc_pair
jemalloc=$(ldconfig -p | awk '/libjemalloc.so.2 /{print $NF; exit}')
shim="$PWD/$build/preload/libpyrometer_memory.so:$PWD/$build/preload/libpyrometer_preload.so"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" glibc
LD_PRELOAD=$jemalloc "$bin" jemalloc
PYROMETER_AGENT="out=$out/p.pyro;memory=1;memory_interval=262144" LD_PRELOAD=$shim "$bin" pyrometer-shim
