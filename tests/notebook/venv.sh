#!/usr/bin/env bash
# Creates target/notebook-venv for the notebook tests (tests/notebook/*.test.mjs):
#   tests/notebook/venv.sh          python3 -m venv + tests/notebook/requirements.txt
#   tests/notebook/venv.sh widget   also (re)installs ./widget into it (the genlab-widget package)
# Idempotent: the requirements step is skipped while the stamp file holds the requirements
# file's hash (and the Python it was made with); the widget step always runs and is quick.
# VENV=… overrides the folder. Run from anywhere; paths are relative to the repo root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$ROOT/target/notebook-venv}"
REQS="$ROOT/tests/notebook/requirements.txt"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.requirements.sha256"
want="$(cat "$REQS" <("$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"

if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  # a half-made or stale venv is remade from scratch, so removed pins don't linger
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
  echo "$want" > "$STAMP"
fi

# The venv sits inside the repo, whose package.json says "type": "module": without a package.json
# of its own, node would load jupyterlab's bundled CommonJS yarn.js (run at every server start to
# read the npm registry setting) as an ES module and fail, logging a screenful of minified JS.
[ -f "$VENV/package.json" ] || echo '{ "type": "commonjs", "private": true }' > "$VENV/package.json"

if [ "${1:-}" = widget ]; then
  # --no-deps: the widget's dependencies come from requirements.txt (pinned), not a fresh resolve
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall "$ROOT/widget"
fi
