#!/usr/bin/env bash
# The whole test suite: C++ units (GoogleTest through ctest) and end-to-end tests (pytest)
# against pyrometer installed from this tree. Exits non-zero when any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
scripts/venv.sh || exit 1
export PATH="$PWD/.venv/bin:$PATH"
status=0
mkdir -p build
cmake -S . -B build/test -G Ninja -DPython_EXECUTABLE="$PWD/.venv/bin/python" >build/cmake-test.log 2>&1 \
  || { cat build/cmake-test.log; exit 1; }
cmake --build build/test -j2 || exit 1
ctest --test-dir build/test --output-on-failure -j2 || status=1
.venv/bin/python -m pytest tests/python -q -p no:cacheprovider || status=1
exit $status
