#!/usr/bin/env bash
# Sets WalkWell up on a fresh machine: a virtual environment in .venv with the bot and its dev tools.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
"$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
# The shared REST proxy (proxy/, optional, for several processes) needs Node 20+: installed when
# npm is here; the default single-process bot does not need it.
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix proxy --no-audit --no-fund --loglevel=error \
    || echo "warning: npm ci --prefix proxy failed: the optional REST proxy is not installed" >&2
else
  echo "npm not found: skipping the optional REST proxy (proxy/ needs Node 20+)"
fi
echo "WalkWell is set up: run the tests with .venv/bin/pytest"
