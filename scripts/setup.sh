#!/usr/bin/env bash
# One command on a fresh machine: system packages, a virtualenv with pyrometer installed,
# and a profile of the bundled demo written to demo.html.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/venv.sh
.venv/bin/pyrometer run -o demo examples/demo.py
echo "Open demo.html in a browser. To profile your own program: .venv/bin/pyrometer run app.py"
