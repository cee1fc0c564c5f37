#!/usr/bin/env bash
# Creates (or reuses) .venv with the build tools, installs pyrometer from this tree into
# it. Prints nothing on success but pip's errors.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check scikit-build-core pybind11 cmake ninja pytest numpy
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation .
