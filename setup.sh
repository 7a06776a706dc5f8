#!/usr/bin/env bash
# Sets WalkWell up on a fresh machine: a virtual environment in .venv with the bot and its dev tools.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
"$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
echo "WalkWell is set up: run the tests with .venv/bin/pytest"
